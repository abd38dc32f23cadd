"""Write the embedded real data: SCB's public DeSO statistics for all of Sweden.

Reads SCB's wide DeSO table (reference year 2022, DeSO 2018, 5 984 areas) and the link table
DeSO 2018 -> RegSO 2020 from ``../shared/data/sweden`` and writes one compact Parquet file,
``data/scb/scb_deso_2022.parquet``: per DeSO its RegSO, kommun, the counts of
``data/catalogue_scb.csv`` (made by :func:`geo.io.scb_wide.scb_indicator_counts`, the same
formulas an uploaded SCB export goes through) and the child and youth population. Nothing
is estimated: every column is a published count, a sum of published counts, or (low economic
standard) SCB's percentage times SCB's number of persons.

    .venv/bin/python data/build_scb_deso.py            # needs ../shared/data
    .venv/bin/python data/build_scb_deso.py --check    # rebuild in memory, compare

SCB's statistics are public (CC0). The test suite rebuilds the file from ``../shared/data``
when it is there and compares it with the committed one, value for value.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))   # run as a script from anywhere

from geo.io.scb_wide import scb_indicator_counts  # noqa: E402

SHARED = HERE.parents[1] / "shared" / "data" / "sweden"
WIDE = SHARED / "scb_deso2018_2022_wide.csv"
LINK = SHARED / "koppling_deso2018_regso2020.csv"
OUT = HERE / "scb" / "scb_deso_2022.parquet"

UNUSED = ("inv_utlandsk_bakgrund", "inv_bakgrund")
"""Counts scb_wide can make that no catalogue indicator uses: not carried."""


def build(wide_path: Path = WIDE, link_path: Path = LINK) -> pd.DataFrame:
    """The embedded table, one row per DeSO 2018, sorted by code."""
    wide = pd.read_csv(wide_path, dtype={"deso_2018": str}, encoding="utf-8-sig")
    link = pd.read_csv(link_path, dtype=str, encoding="utf-8-sig")
    if set(wide["deso_2018"]) != set(link["DeSO_2018"]):
        raise SystemExit(f"{wide_path.name} and {link_path.name} do not hold the same DeSO")
    link = link.set_index("DeSO_2018").loc[wide["deso_2018"]]
    counts = scb_indicator_counts(wide, source=wide_path.name).drop(
        columns=["area_id", *UNUSED])
    out = pd.DataFrame({
        "deso": wide["deso_2018"].to_numpy(),
        "regso": link["RegSOkod_2020"].to_numpy(),
        "regso_namn": link["RegSO_2020"].to_numpy(),
        "kommun": link["Kommun"].to_numpy(),
        "kommun_namn": link["Kommunnamn"].to_numpy(),
    })
    for column in counts.columns:
        out[column] = counts[column].to_numpy()
    return out.sort_values("deso", ignore_index=True)


def write(table: pd.DataFrame, path: Path = OUT) -> Path:
    """Parquet with zstd; no pandas index, no creation time: the bytes depend on the data."""
    path.parent.mkdir(parents=True, exist_ok=True)
    table.to_parquet(path, index=False, compression="zstd")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wide", type=Path, default=WIDE)
    parser.add_argument("--link", type=Path, default=LINK)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--check", action="store_true",
                        help="compare with the committed file instead of writing")
    args = parser.parse_args(argv)
    table = build(args.wide, args.link)
    if args.check:
        same = table.equals(pd.read_parquet(args.out))
        print("samma som" if same else "SKILJER SIG FRÅN", args.out)
        return 0 if same else 1
    path = write(table, args.out)
    print(f"{path}: {len(table)} DeSO, {path.stat().st_size / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
