"""Hidden (disclosure-controlled) rates written the way prevmap writes numbers."""

from __future__ import annotations

import re

from geo.analysis import Analysis
from indicators.swedish import format_number


def shown_hidden_rates(text: str, analysis: Analysis,
                       by_area: dict[str, str] | None = None) -> list[tuple[str, str, str]]:
    """(area, indicator, text) for every hidden rate that ``text`` shows as format_number
    writes it (two decimals, or one decimal and the unit), standing alone. With
    ``by_area`` (area id -> the part of the text about that area) each area's part is
    searched instead of the whole text."""
    inputs = analysis.inputs
    table = inputs.table.set_index("area_id")
    found = []
    for row in analysis.assessment.prepared.disclosure.suppressed.itertuples():
        for ind in inputs.catalogue.values():
            if ind.numerator != row.column:
                continue
            rate = (table.at[row.area_id, row.column] / table.at[row.area_id, ind.denominator]
                    * ind.per)
            for shown in (format_number(rate), format_number(rate, 1) + " " + ind.unit):
                where = text if by_area is None else by_area.get(row.area_id, "")
                if re.search(rf"(?<![\d,.]){re.escape(shown)}(?![\d])", where):
                    found.append((row.area_id, ind.id, shown))
    return found
