"""Hostile table files read before and after the checks of geo/io/table_limits.py, and
what the checks cost on the real files.

    .venv/bin/python benchmarks/bench_table_limits.py

Each read runs in a child process, which prints its seconds and its peak memory (its
``ru_maxrss`` minus that of a child that only imports the same modules). "before" reads
the way the code did before the checks (``pd.read_parquet``, openpyxl's full mode,
``pd.read_csv`` of everything) on a scaled-down copy of the hostile file, so that it fits
on a shared machine, and scales time and memory linearly to the full-size file; "after"
runs today's reader on the full-size file. The real files (../shared/data) are read by
today's readers, and the checks alone are timed (medians), to show their overhead.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.timing import median_time  # noqa: E402
from geo.io.limits import FileLimits  # noqa: E402
from geo.io.scb_files import read_scb_export  # noqa: E402
from geo.io.table_limits import merged_ranges, validate_excel_package, validate_file_size
from geo.io.tables import read_raw_table  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
ROOT = Path(__file__).resolve().parents[1]

CHILD = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
import pandas as pd, openpyxl
from geo.io.files import read_indicator_table
from geo.io.limits import FileLimitError
start = time.perf_counter()
outcome = "read"
try:
{body}
except FileLimitError:
    outcome = "refused"
print(json.dumps({{"seconds": time.perf_counter() - start, "outcome": outcome,
                   "kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}}))
"""

OLD_EXCEL = """
book = openpyxl.load_workbook({path!r}, data_only=True)
grid = [[str(v) for v in row] for row in book.worksheets[0].iter_rows(values_only=True)]
"""


def child(body: str) -> dict[str, float | str]:
    """Run ``body`` (indented into a try block) in a fresh interpreter; its figures."""
    code = CHILD.format(root=str(ROOT), body=textwrap.indent(body.strip(), "    "))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


BASE_KB = 0.0


def report(name: str, before: str | None, scale: float, after: str) -> None:
    """Print one hostile file's figures: the old way (scaled up) and today's reader."""
    line = f"{name}:"
    if before is not None:
        old = child(before)
        mb = max(float(old["kb"]) - BASE_KB, 0) / 1024 * scale
        line += (f" before ≈ {float(old['seconds']) * scale:.1f} s, ≈ {mb:,.0f} MB"
                 f" (×{scale:g} of the scaled copy: {float(old['seconds']):.2f} s);")
    new = child(after)
    mb = max(float(new["kb"]) - BASE_KB, 0) / 1024
    print(f"{line} after {new['outcome']} in {float(new['seconds']):.3f} s, {mb:,.0f} MB",
          flush=True)


def parquet_repeated(path: Path, value: str, rows: int) -> Path:
    """``rows`` references to one dictionary value, in row groups of 100 000, without the
    Arrow schema (as other tools write Parquet), so that it reads back as plain text."""
    column = pa.DictionaryArray.from_arrays(pa.array(np.zeros(rows, dtype="int32")),
                                            pa.array([value]))
    pq.write_table(pa.table({"area_id": column}), path, row_group_size=100_000,
                   store_schema=False)
    return path


def xlsx_with_far_cell(path: Path, ref: str) -> Path:
    """A table of two rows and one more cell at ``ref``: the declared dimension reaches it."""
    book = openpyxl.Workbook()
    ws = book.active
    for row in (["area_id", "x"], ["0126C1010", 1]):
        ws.append(row)
    ws[ref] = 0
    book.save(path)
    return path


def xlsx_numbers(path: Path, rows: int, columns: int) -> Path:
    """A plain table of numbers, written by pandas (with its dimension, as Excel writes)."""
    frame = pd.DataFrame({"area_id": [f"0126C{i:06d}" for i in range(rows)],
                          **{f"x{j}": np.arange(rows) * j for j in range(1, columns)}})
    frame.to_excel(path, index=False)
    return path


def csv_of_separators(path: Path, lines: int, columns: int) -> Path:
    header = ";".join(f"k{j}" for j in range(columns))
    path.write_text(header + "\n" + (";" * (columns - 1) + "\n") * lines, encoding="utf-8")
    return path


def hostile(tmp: Path) -> None:
    read = "read_indicator_table({path!r})"
    old_parquet = "pd.read_parquet({path!r})"
    p1 = parquet_repeated(tmp / "rows.parquet", "0126C1010", 20_000_000)
    p1s = parquet_repeated(tmp / "rows_s.parquet", "0126C1010", 2_000_000)
    print(f"Parquet, one code in 20 M rows ({p1.stat().st_size / 1e6:.1f} MB on disk)")
    report("  rows", old_parquet.format(path=str(p1s)), 10, read.format(path=str(p1)))
    p2 = parquet_repeated(tmp / "text.parquet", "x" * 1_000, 2_000_000)
    p2s = parquet_repeated(tmp / "text_s.parquet", "x" * 1_000, 200_000)
    print(f"Parquet, one 1 000-character text in 2 M rows ({p2.stat().st_size / 1e3:.0f} kB; "
          "2 GB expanded)")
    report("  text", old_parquet.format(path=str(p2s)), 10, read.format(path=str(p2)))

    x1 = xlsx_with_far_cell(tmp / "far.xlsx", "ALL100000")
    x1s = xlsx_with_far_cell(tmp / "far_s.xlsx", "ALL1000")
    print(f"xlsx declaring 1 000 × 100 000 cells ({x1.stat().st_size / 1e3:.0f} kB)")
    report("  dimension", OLD_EXCEL.format(path=str(x1s)), 100, read.format(path=str(x1)))
    x2 = xlsx_numbers(tmp / "numbers.xlsx", 20_000, 10)
    print(f"xlsx, a plain 20 000 × 10 table ({x2.stat().st_size / 1e6:.1f} MB): full mode "
          "(before) against read-only (after), both read")
    report("  plain", OLD_EXCEL.format(path=str(x2)), 1, read.format(path=str(x2)))

    c1 = csv_of_separators(tmp / "sep.csv", 50_000, 1_000)
    c1s = csv_of_separators(tmp / "sep_s.csv", 5_000, 1_000)
    print(f"CSV of separators, 1 000 × 50 000 cells ({c1.stat().st_size / 1e6:.0f} MB)")
    old_csv = ("import io\npd.read_csv(io.StringIO(open({path!r}, encoding='utf-8').read()), "
               "sep=';', dtype=str, keep_default_na=False, skip_blank_lines=False)")
    report("  cells", old_csv.format(path=str(c1s)), 10, read.format(path=str(c1)))


def real_files() -> None:
    xlsx = sorted((SHARED / "sweden" / "scb_statistikdatabasen_xlsx").glob("*.xlsx"))
    csvs = [SHARED / "huddinge" / "scb_deso2018_2022_0126_wide.csv",
            SHARED / "sweden" / "scb_deso2018_2022_wide.csv"]
    if not xlsx:
        print(f"{SHARED} is absent: no real files to measure")
        return
    limits = FileLimits()

    def checks() -> None:
        for path in xlsx:
            validate_excel_package(path, limits)
            merged_ranges(path, "xl/worksheets/sheet1.xml")

    total = median_time(lambda: [read_scb_export(p) for p in xlsx], 3)
    spent = median_time(checks, 3)
    print(f"Real SCB xlsx ({len(xlsx)} files): read {total:.2f} s, of which the package "
          f"check and the merged-cell scan {spent:.3f} s ({spent / total:.1%})")
    for path in csvs:
        if path.is_file():
            seconds = median_time(lambda p=path: read_raw_table(p), 5)
            check = median_time(lambda p=path: validate_file_size(p, limits), 5)
            print(f"Real CSV {path.name} ({path.stat().st_size / 1e3:.0f} kB): read "
                  f"{seconds * 1e3:.0f} ms; size check {check * 1e6:.0f} µs, line count "
                  "only above the row limit")


def main() -> None:
    global BASE_KB
    BASE_KB = float(child("pass")["kb"])
    print(f"A child that only imports: {BASE_KB / 1024:.0f} MB (subtracted below)")
    with tempfile.TemporaryDirectory() as tmp:
        hostile(Path(tmp))
    real_files()


if __name__ == "__main__":
    main()
