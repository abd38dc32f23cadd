"""The map's legend in words: what a map shows (:class:`Measure`) and its classes named by
need ("Högst behov" … "Lägst behov"), with how many areas each holds and how the classes
were made; the class limits go to the tooltip (:func:`class_spans`).

A numeric measure is classed on its *need* (value × direction: an indicator where a
higher value means less need is turned round), so that the darkest class is always the
one with most need. A categorical measure (the priority tier) has one colour per category
and its rule in the legend.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from indicators.swedish import format_number

#: The classes' names, most need first, by the number of classes.
NEED_WORDS: dict[int, tuple[str, ...]] = {
    1: ("Samma värde i alla områden",),
    2: ("Högre behov", "Lägre behov"),
    3: ("Högst behov", "Medel", "Lägst behov"),
    4: ("Högst behov", "Högt", "Lågt", "Lägst behov"),
    5: ("Högst behov", "Högt", "Medel", "Lågt", "Lägst behov"),
}
#: Quantile classes as parts of the areas, by their number.
FRACTIONS = {2: "halvor", 3: "tredjedelar", 4: "fjärdedelar", 5: "femtedelar"}
#: How each classifier (:data:`geo.maps.mapview.CLASSIFIERS`) is said in the legend.
SCHEME_WORDS = {"fisher_jenks": "naturliga brytpunkter (Fisher–Jenks, mapclassify.FisherJenks)",
                "equal_interval": "lika breda intervall (som mapclassify.EqualInterval)"}
MISSING_WORDS = "Saknar värde"
NO_DATA_COLOUR = "#d9d9d9"


def _esc(value: object) -> str:
    return html.escape(str(value), quote=True).replace("{", "&#123;").replace("}", "&#125;")


@dataclass(frozen=True, eq=False)
class Measure:
    """What an area map colours its areas by.

    Numeric: ``values`` per area id (a Series), classed on ``values × direction`` (larger =
    more need), with ``unit`` and a ``note`` (year, source) in the legend. Categorical:
    ``categories`` per area id and ``colours`` ((category, colour), legend order), with the
    ``rule`` that assigns them in the legend."""

    key: str
    label: str
    values: pd.Series | None = None
    direction: int = 1
    unit: str = ""
    note: str = ""
    categories: pd.Series | None = None
    colours: tuple[tuple[str, str], ...] = field(default=())
    rule: str = ""

    @property
    def categorical(self) -> bool:
        return self.categories is not None


def need_words(n_classes: int) -> tuple[str, ...]:
    """The names of ``n_classes`` classes, most need first."""
    if n_classes in NEED_WORDS:
        return NEED_WORDS[n_classes]
    return tuple(f"Klass {i}" for i in range(n_classes, 0, -1))


def class_counts(classes: np.ndarray, n_classes: int) -> list[int]:
    """How many areas each class holds, class 0 (least need) first."""
    return [int((classes == c).sum()) for c in range(n_classes)]


def classes_made(scheme: str, asked: int, got: int, distinct: int,
                 of: str | None = None) -> str:
    """How the classes were made, in words: quantiles as parts of the areas ("femtedelar av
    områdena"), other schemes by name; ``of`` names a larger whole the limits come from."""
    whole = of or "områdena"
    if got == distinct and distinct < 3:
        return "ett värde per klass"
    if scheme == "quantiles":
        if got == min(asked, distinct) and got in FRACTIONS:   # fewer areas: fewer classes
            return f"{FRACTIONS[got]} av {whole}"
        return f"kvantiler av {whole} (lika värden hamnar i samma klass)"
    return SCHEME_WORDS.get(scheme, scheme) + (f", gränser från {of}" if of else "")


def class_spans(bins: Sequence[float], direction: int = 1) -> list[str]:
    """Each class's limits in the measure's own units, class 0 (least need) first: the
    classes are (previous limit, limit] of value × ``direction``."""
    spans, lower = [], None
    for upper in bins:
        if direction >= 0:
            spans.append(f"≤ {format_number(upper)}" if lower is None
                         else f"{format_number(lower)} – {format_number(upper)}")
        else:
            spans.append(f"≥ {format_number(-upper)}" if lower is None
                         else f"{format_number(-upper)} – {format_number(-lower)}")
        lower = upper
    return spans


def legend_html(measure: Measure, colours: Sequence[str], counts: Sequence[int],
                made: str, n_missing: int, extra_rows: Sequence[str] = ()) -> str:
    """The legend of a numeric measure: its name, unit and note, one row per class most
    need first ("Högst behov (4)"), how the classes were made, the areas without a value,
    then ``extra_rows`` (other layers, HTML)."""
    words = need_words(len(colours))
    rows = [f'<div><i style="background:{colour}"></i>{word} ({count})</div>'
            for colour, word, count in zip(reversed(colours), words, reversed(counts),
                                           strict=True)]
    return _legend(measure, rows, f"Klasser: {_esc(made)}.", n_missing, extra_rows)


def category_legend(measure: Measure, counts: Sequence[int], n_missing: int,
                    extra_rows: Sequence[str] = ()) -> str:
    """The legend of a categorical measure: one row per category with its count, the rule."""
    rows = [f'<div><i style="background:{colour}"></i>{_esc(name)} ({count})</div>'
            for (name, colour), count in zip(measure.colours, counts, strict=True)]
    return _legend(measure, rows, _esc(measure.rule), n_missing, extra_rows)


def _legend(measure: Measure, rows: list[str], how: str, n_missing: int,
            extra_rows: Sequence[str]) -> str:
    head = f"<b>{_esc(measure.label)}</b>"
    if measure.unit:
        head += f" <small>({_esc(measure.unit)})</small>"
    if measure.note:
        head += f"<br><small>{_esc(measure.note)}</small>"
    if n_missing:
        rows = [*rows, f'<div><i style="background:{NO_DATA_COLOUR}"></i>'
                       f"{MISSING_WORDS} ({n_missing})</div>"]
    return (f'<div class="pm-panel pm-legend">{head}' + "".join(rows)
            + f'<div class="pm-how">{how}</div>' + "".join(extra_rows) + "</div>")
