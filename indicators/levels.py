"""Bringing indicators from small areas (DeSO) to larger ones (RegSO, kommundelar).

A *link table* says which larger area each small area belongs to (SCB's DeSO→RegSO
link, or the municipality's own grouping of RegSO into kommundelar). Counts are
summed; rates are recomputed from their numerators and denominators, never
averaged. A rate that the source only publishes as a percentage (such as SCB's
low economic standard) is first turned back into a count with its denominator.

Nothing is dropped: a small area that is not in the link table is an error, and a
count that is missing for some member of a group makes the group's value missing,
with the reason in the report (a sum over the members that happen to have a value
would understate it).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd

from indicators.columns import AREA_ID, AREA_NAME
from indicators.errors import IndicatorTableError, Problems

FROM_ID = "from_id"


@dataclass(frozen=True)
class Rate:
    """A column that holds a rate of a count column: ``value = numerator / denominator x per``."""

    value: str
    denominator: str
    per: float = 100.0


@dataclass(frozen=True)
class Incomplete:
    """A group value left missing because some members lack it."""

    area_id: str
    column: str
    missing_members: tuple[str, ...]
    members: int


@dataclass(frozen=True, eq=False)
class Aggregation:
    """The aggregated table (one row per larger area) and what happened on the way."""

    frame: pd.DataFrame
    members: dict[str, tuple[str, ...]]
    groups_without_data: tuple[str, ...]
    incomplete: tuple[Incomplete, ...]

    def messages(self) -> list[str]:
        out = []
        if self.groups_without_data:
            out.append("Områden i kopplingstabellen utan några rader i data: "
                       + ", ".join(self.groups_without_data) + ".")
        for gap in self.incomplete:
            out.append(f"{gap.area_id}, '{gap.column}': värde saknas för "
                       f"{len(gap.missing_members)} av {gap.members} delområden "
                       f"({', '.join(gap.missing_members)}); summan lämnas tom.")
        return out


def link_table(frame: pd.DataFrame, from_column: str, to_column: str,
               name_column: str | None = None, *, source: str = "kopplingstabell"
               ) -> pd.DataFrame:
    """Normalise a link table to columns ``from_id``, ``area_id`` and ``area_name``.

    Each small area must belong to exactly one larger area.
    """
    problems = Problems(IndicatorTableError, source)
    needed = [c for c in (from_column, to_column, name_column) if c is not None]
    lacking = [c for c in needed if c not in frame.columns]
    if lacking:
        problems.add("kolumner saknas i kopplingstabellen.", values=lacking,
                     expected=", ".join(map(str, frame.columns)))
        problems.raise_if_any()
    out = pd.DataFrame({
        FROM_ID: frame[from_column].astype("string").str.strip(),
        AREA_ID: frame[to_column].astype("string").str.strip(),
        AREA_NAME: (frame[name_column].astype("string") if name_column
                    else frame[to_column].astype("string")),
    }).drop_duplicates()
    twice = out[FROM_ID][out[FROM_ID].duplicated()]
    if len(twice):
        problems.add("delområden hör till mer än ett område.", column=from_column,
                     values=sorted(set(twice)),
                     fix="varje delområde ska höra till exakt ett område")
    empty = out[out[FROM_ID].isna() | out[AREA_ID].isna()]
    if len(empty):
        problems.add("tomma koder i kopplingstabellen på rad.",
                     values=[int(i) + 2 for i in empty.index])
    problems.raise_if_any()
    return out.reset_index(drop=True)


def aggregate_to_level(table: pd.DataFrame, link: pd.DataFrame, *, counts: Iterable[str],
                       rates: Sequence[Rate] = (), id_column: str = AREA_ID,
                       source: str = "indikatortabell") -> Aggregation:
    """Sum ``counts`` and recompute ``rates`` over the groups of ``link`` (see :func:`link_table`).

    Returns one row per larger area in the link table, with ``area_id``, ``area_name``,
    the summed counts and the recomputed rates.
    """
    counts = list(dict.fromkeys(counts))
    problems = Problems(IndicatorTableError, source)
    for rate in rates:
        if rate.denominator not in counts:
            counts.append(rate.denominator)
    needed = [id_column, *counts, *(r.value for r in rates)]
    lacking = [c for c in needed if c not in table.columns]
    if lacking:
        problems.add("kolumner saknas.", values=lacking, fix="kontrollera kolumnnamnen")
        problems.raise_if_any()
    ids = table[id_column].astype("string").str.strip()
    dup = sorted(set(ids[ids.duplicated()]))
    if dup:
        problems.add("koder förekommer mer än en gång.", column=id_column, values=dup,
                     fix="en rad per delområde")
    unknown = sorted(set(ids) - set(link[FROM_ID]))
    if unknown:
        problems.add("koder som inte finns i kopplingstabellen.", column=id_column,
                     values=unknown, fix="kontrollera att data och kopplingstabell gäller "
                     "samma indelning och årgång (t.ex. DeSO 2018 eller DeSO 2025)")
    numbers = pd.DataFrame(index=pd.Index(ids, name=FROM_ID))
    for col in [*counts, *(r.value for r in rates)]:
        values = pd.to_numeric(table[col], errors="coerce")
        bad = table[col][values.isna() & table[col].notna()
                         & (table[col].astype("string").str.strip() != "")]
        if len(bad):
            problems.add("värden som inte är tal.", column=col, values=list(bad))
        numbers[col] = values.to_numpy(dtype=float)
    problems.raise_if_any()

    # Rates published as percentages become counts again: value / per x denominator.
    derived = {}
    for rate in rates:
        derived[rate.value] = numbers[rate.value] / rate.per * numbers[rate.denominator]
    sum_columns = counts + [r.value for r in rates]
    to_sum = numbers[counts].assign(**derived)

    # Every member of every group, also those the table lacks: a group with a member
    # missing from the data gets no sum (it would be too low), and the report says why.
    in_table = set(to_sum.index)
    to_sum = to_sum.reindex(pd.Index(link[FROM_ID], name=FROM_ID))
    groups = link[AREA_ID].to_numpy()
    summed = to_sum.groupby(groups, sort=False).sum(min_count=1)
    missing = to_sum.isna().groupby(groups, sort=False).sum()
    summed = summed.mask(missing > 0)

    order = sorted(set(link[AREA_ID]))
    names = link.drop_duplicates(AREA_ID).set_index(AREA_ID)[AREA_NAME]
    grouped: dict[str, list[str]] = {}
    for small, large in zip(link[FROM_ID], link[AREA_ID], strict=True):
        grouped.setdefault(large, []).append(small)
    members = {g: tuple(grouped[g]) for g in order}
    present = {g for g, m in members.items() if any(f in in_table for f in m)}
    out = summed.reindex(order)
    for rate in rates:
        den = out[rate.denominator].where(out[rate.denominator] > 0)
        out[rate.value] = out[rate.value] / den * rate.per
    out.insert(0, AREA_NAME, names.reindex(order).to_numpy())
    out.index.name = AREA_ID

    incomplete = []
    for col in sum_columns:
        for group in missing.index[missing[col].to_numpy() > 0]:
            if group not in present:
                continue  # reported once, as a group without data
            lacking = tuple(m for m in members[group] if pd.isna(to_sum.at[m, col]))
            incomplete.append(Incomplete(str(group), col, lacking, len(members[group])))
    return Aggregation(frame=out.reset_index(), members=members,
                       groups_without_data=tuple(g for g in order if g not in present),
                       incomplete=tuple(incomplete))
