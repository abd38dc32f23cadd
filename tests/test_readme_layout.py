"""The README's "Layout" table is a map a newcomer can trust: every module of ``geo/``,
``indicators/`` and ``plans/`` is named in the row of the folder it lives in, and every module
the table names exists there."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("geo", "indicators", "plans")


def layout_rows() -> dict[str, set[str]]:
    """{first cell of a row (a path or paths): the backticked names in the whole row}."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 2 or not cells[0].startswith("`"):
            continue
        rows[cells[0]] = set(re.findall(r"`([^`]+)`", " ".join(cells[1:])))
    return rows


def row_for(rows: dict[str, set[str]], folder: str) -> set[str]:
    for key, names in rows.items():
        if f"`{folder}/`" in key:
            return names
    raise AssertionError(f"README's Layout table has no row for {folder}/")


def modules() -> dict[str, list[str]]:
    """{folder: module names (without .py) directly in it}, for every package folder."""
    out: dict[str, list[str]] = {}
    for package in PACKAGES:
        for init in sorted((ROOT / package).rglob("__init__.py")):
            folder = init.parent
            if "migrations" in folder.relative_to(ROOT).parts[1:]:
                continue            # Alembic's revisions are named by the database, not us
            out[folder.relative_to(ROOT).as_posix()] = sorted(
                p.stem for p in folder.glob("*.py") if p.stem != "__init__")
    return out


def test_every_module_is_in_its_folders_row() -> None:
    rows = layout_rows()
    top_level = {key for key in rows}
    missing = []
    for folder, names in modules().items():
        if folder in ("geo",):       # geo/'s own modules have rows of their own
            missing += [f"geo/{n}.py" for n in names
                        if not any(f"`geo/{n}.py`" in key for key in top_level)]
            continue
        listed = row_for(rows, folder)
        missing += [f"{folder}/{n}.py" for n in names if n not in listed]
    assert missing == [], f"add these to README's Layout table: {missing}"


def test_every_module_the_table_names_exists() -> None:
    rows = layout_rows()
    found = modules()
    wrong = []
    for key, names in rows.items():
        for folder in re.findall(r"`([\w/]+)/`", key):
            if folder.split("/")[0] not in PACKAGES:
                continue
            if folder not in found:
                wrong.append(f"{folder}/ (no such package)")
                continue
            wrong += [f"{folder}/{n}.py" for n in names if re.fullmatch(r"[a-z_]+", n)
                      and n not in found[folder] and not (ROOT / folder / n).is_dir()]
        for path in re.findall(r"`([\w/]+\.py)`", key):
            if not (ROOT / path).exists():
                wrong.append(path)
    assert wrong == [], f"README's Layout table names modules that do not exist: {wrong}"
