"""The ranked table with Swedish headers, as shown in the app and written to CSV for Swedish
Excel (text from files never becomes a formula)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from indicators.columns import (
    AREA_ID,
    AREA_NAME,
    DOMAINS,
    FLAG_COUNT,
    MISSING_COUNT,
    RANK,
    SCORE,
    TOP_CONTRIBUTORS,
    domain_column,
)

if TYPE_CHECKING:
    pass
from geo.analysis import TIER, Analysis, robustness_columns

CSV_OPTIONS = {"sep": ";", "decimal": ",", "index": False,
               "lineterminator": "\n"}


def ranking_table(analysis: Analysis) -> pd.DataFrame:
    """The ranked table with Swedish headers, as shown in the app and written to CSV; a
    new frame on every call (the caller's to change)."""
    summary = analysis.result.summary()
    names = dict(zip(analysis.inputs.areas.frame[AREA_ID],
                     analysis.inputs.areas.frame[AREA_NAME], strict=True))
    out = pd.DataFrame({
        "Rang": summary[RANK].astype("Int64"),
        "Områdeskod": summary[AREA_ID],
        "Område": summary[AREA_ID].map(names).fillna("(finns inte i kartan)"),
    })
    # Tier and certainty first, beside the name: what a samordnare reads first.
    robust = robustness_columns(analysis)
    for name in robust.columns:
        out[name] = robust[name].reindex(summary[AREA_ID].to_numpy()).to_numpy()
    out.insert(4 if TIER in out else 3, "Sammanvägt index", summary[SCORE].round(4))
    for dom in analysis.result.domain_scores.columns:
        out[DOMAINS[dom]] = summary[domain_column(dom)].round(4)
    out["Antal flaggor"] = summary[FLAG_COUNT]
    out["Saknade värden"] = summary[MISSING_COUNT]
    out["Bidrar mest"] = summary[TOP_CONTRIBUTORS]
    if analysis.comparison is not None:
        columns = analysis.comparison.columns
        for name in columns.columns:
            out[name] = columns[name].reindex(summary[AREA_ID].to_numpy()).to_numpy()
    out["Datakälla"] = analysis.inputs.table_source.label()
    return out


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _no_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Text that Excel would run as a formula (=, +, -, @, tab or CR first) gets a leading
    apostrophe, and a carriage return anywhere becomes a line feed: the CSV writer quotes a
    cell with a line feed but not one with a bare CR, which a spreadsheet reads as the end
    of the row, starting a new row with the rest of the text, unguarded."""
    out = frame.copy()
    for name in out.columns:
        if out[name].dtype == object or pd.api.types.is_string_dtype(out[name]):
            out[name] = [_csv_text(v) for v in out[name]]
    return out


def _csv_text(value: object) -> object:
    if not isinstance(value, str):
        return value
    if value.startswith(FORMULA_START):
        value = f"'{value}"
    return value.replace("\r\n", "\n").replace("\r", "\n")


def ranking_csv(analysis: Analysis) -> bytes:
    """The ranked table as CSV for Swedish Excel: semicolon, decimal comma, UTF-8 with BOM;
    text from files never becomes a formula."""
    return _no_formulas(ranking_table(analysis)).to_csv(**CSV_OPTIONS).encode("utf-8-sig")

