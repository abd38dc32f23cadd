"""Write the SYNTHETIC demo indicator table for Huddinge's 22 RegSO areas.

Every value is invented by the seeded generator in :mod:`indicators.synthetic` (which says
how); the table says nothing about the real areas. Its sidecar ``.meta.toml`` marks it
synthetic, and so does the column ``syntetiska_demodata`` in every row.

    .venv/bin/python data/build_demo_indicators.py
    .venv/bin/python data/build_demo_indicators.py --history data/demo/huddinge_demo_historik.csv
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))   # run as a script from anywhere

from indicators.synthetic import HISTORY_YEARS, SEED, generate, generate_history  # noqa: E402

AREAS = HERE / "areas" / "huddinge_regso_2025.parquet"
OUT = HERE / "demo" / "huddinge_demo_indicators.csv"
CATALOGUE = HERE / "indicator_catalogue.csv"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Generate the synthetic demo indicator table.")
    parser.add_argument("--areas", type=Path, default=AREAS)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--history", type=Path, help="also write 2021–2023 to this file")
    args = parser.parse_args(argv)
    areas = pd.read_parquet(args.areas, columns=["area_id", "area_name"])
    domains = pd.read_csv(CATALOGUE, dtype=str).set_index("id")["domain"].to_dict()
    table = generate(areas.sort_values("area_id", ignore_index=True), domains, args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out, index=False, encoding="utf-8", lineterminator="\n")
    print(f"Wrote {len(table)} synthetic rows to {args.out}")
    if args.history:
        history = generate_history(table, seed=args.seed)
        history.to_csv(args.history, index=False, encoding="utf-8", lineterminator="\n")
        print(f"Wrote {len(history)} synthetic rows for {HISTORY_YEARS} to {args.history}")


if __name__ == "__main__":
    main()
