"""Follow-up of an åtgärdsplan: where each goal stands when new data arrive.

Pure: pandas and numpy only, no geometry, no database.

**Values.** The yearly indicator tables (year -> table, one row per area with an
``area_id`` column and the count columns) are measured once (:func:`measure`): each year
is validated, disclosure control (:func:`indicators.disclosure.apply_disclosure`) hides
small counts with the analysis' settings (:class:`~indicators.settings.SmallNumbers`), and
the values are derived from the counts that remain (:func:`indicators.table.derive_values`).
A hidden value is never shown or used: it counts as not measurable, and only the fact that it is
hidden is said. Disclosure control covers every rate indicator measured (not only those
an analysis weighs), so the follow-up hides at least what the analysis hides.

**Per goal** (:func:`follow_up`): the series of values from the baseline year on; the
latest year after the baseline year with a measurable value; the *expected* value that
year on the straight line from (baseline year, baseline value) to (target year, target
value), held at the target value after the target year; and a status. With ``d`` the
goal's direction, the sign of target minus baseline (for a goal to hold the level, the
direction of less need: ``-direction`` of the indicator), and a tolerance of 1e-9:

* **målet nått**: ``d · (value - target) ≥ 0``: the target is reached or passed, and the
  interval of the change supports it (attainment ``uppnått``, below);
* **på väg**: otherwise ``d · (value - expected) ≥ 0``: at or beyond the line;
* **inte på väg**: otherwise (also every goal whose target year has passed unreached);
* **kan inte mätas**, with the reason: the indicator is no longer in the catalogue or is
  measured in another unit, the area or the indicator is absent from the data, no year
  after the baseline year has data yet, or every such year's value is missing or hidden by
  disclosure control. A hidden latest year falls back to the latest measurable year, with
  a note saying so.

**Change and its uncertainty**: from the baseline year to the latest measurable year,
with :func:`indicators.trends.rate_change` (MOVER interval; Newcombe's for shares,
Poisson score for other rates) from the counts after disclosure control. An indicator
without counts (a ready value) has no interval: "kan inte bedömas". ``rate_change``
treats every row on its own, so all goals of one model are assessed in one call, one
row per goal.

**Attainment** (:func:`attainment`): the goal asks for the change ``required = target -
the baseline year's value in the data``. ``uppnått`` when the whole interval of the change
is at or beyond ``required`` in the goal's direction, ``ej uppnått`` when the whole
interval falls short of it, ``osäkert`` otherwise; ``kan inte bedömas`` without an
interval. A value at or beyond the target whose attainment is not ``uppnått`` is "på väg"
(it is beyond the line), with the reason: a single value past the target is no proof
that the goal is reached.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from indicators.catalogue import Catalogue, Indicator
from indicators.columns import AREA_ID
from indicators.disclosure import apply_disclosure
from indicators.settings import SmallNumbers
from indicators.swedish import format_number
from indicators.table import derive_values, validate_indicator_table
from indicators.trends import CANNOT_ASSESS, DECREASE, INCREASE, rate_change
from plans.model import Goal, PlanContents

# Whether the goal is reached, judged by the interval of the change (Change.attainment).
ATTAINED = "uppnått"
UNCERTAIN = "osäkert"
NOT_ATTAINED = "ej uppnått"
ATTAINMENTS: tuple[str, ...] = (ATTAINED, UNCERTAIN, NOT_ATTAINED, CANNOT_ASSESS)

REACHED = "målet nått"
ON_TRACK = "på väg"
OFF_TRACK = "inte på väg"
NOT_MEASURABLE = "kan inte mätas"
#: The statuses in the order they are shown and counted.
STATUSES: tuple[str, ...] = (REACHED, ON_TRACK, OFF_TRACK, NOT_MEASURABLE)
WHOLE_PLAN = "Hela planen"
TOTAL = "Antal mål"
TOLERANCE = 1e-9

# Why one cell (year, area, indicator) has no value.
OK, NO_COLUMNS, AREA_ABSENT, SUPPRESSED, MISSING = range(5)


def cell_reason(code: int, year: int | str) -> str:
    """Why a value is not measurable in ``year`` (a year, or several as text), in Swedish;
    never the hidden value itself."""
    return {NO_COLUMNS: f"indikatorn saknas i data för {year}",
            AREA_ABSENT: f"området saknas i data för {year}",
            SUPPRESSED: f"värdet för {year} är dolt av röjandekontrollen (för få personer)",
            MISSING: f"värdet saknas i data för {year}"}.get(code, "")


def reasons(values: Iterable[YearValue]) -> str:
    """Why the values have none, the years of one cause together (causes in the order of
    their latest year): "värdet för 2024, 2025 är dolt av röjandekontrollen (för få
    personer)"."""
    years: dict[int, list[int]] = {}
    for v in sorted(values, key=lambda v: -v.year):
        if v.code != OK:
            years.setdefault(v.code, []).append(v.year)
    return "; ".join(cell_reason(code, ", ".join(str(y) for y in sorted(ys)))
                     for code, ys in years.items())


# -- measuring the yearly tables once -------------------------------------------------------

@dataclass(frozen=True, eq=False)
class Measured:
    """Every indicator's value per year and area after disclosure control.

    ``values``, ``codes``, ``numerators`` and ``denominators`` have the shape
    (years, areas, indicators); ``codes`` says why a value is missing (``OK``,
    ``NO_COLUMNS``, ``AREA_ABSENT``, ``SUPPRESSED``, ``MISSING``); the counts are NaN
    where hidden and for indicators without counts.
    """

    years: tuple[int, ...]
    areas: tuple[str, ...]
    indicators: tuple[str, ...]
    values: np.ndarray
    codes: np.ndarray
    numerators: np.ndarray
    denominators: np.ndarray
    rule: SmallNumbers
    _area_pos: dict[str, int] = field(init=False, default_factory=dict, repr=False)
    _indicator_pos: dict[str, int] = field(init=False, default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._area_pos.update({a: k for k, a in enumerate(self.areas)})
        self._indicator_pos.update({i: k for k, i in enumerate(self.indicators)})

    def area(self, area_id: str) -> int | None:
        return self._area_pos.get(str(area_id).strip())

    def indicator(self, indicator_id: str) -> int | None:
        return self._indicator_pos.get(indicator_id)

    def value(self, year: int, area_id: str, indicator_id: str) -> tuple[float | None, str]:
        """(value, "") when measurable, else (None, why) in Swedish."""
        y = self.years.index(year) if year in self.years else None
        a, i = self.area(area_id), self.indicator(indicator_id)
        if y is None:
            return None, f"inga data för {year}"
        if i is None:
            return None, cell_reason(NO_COLUMNS, year)
        if a is None:
            return None, cell_reason(AREA_ABSENT, year)
        code = int(self.codes[y, a, i])
        return (float(self.values[y, a, i]), "") if code == OK else (None, cell_reason(code, year))


def _year_table(table: pd.DataFrame, catalogue: Catalogue, year: int) -> pd.DataFrame:
    """One year's table as :func:`indicators.table.validate_indicator_table` gives it
    (numeric columns, indexed by area id). A table that is numeric already and passes the
    same checks (ids present and unique; counts finite and not negative; a share's
    numerator not above its denominator), as the analysis' inputs are, is taken as it is;
    any other goes through the validation, which names every problem."""
    frame = table.reset_index() if AREA_ID not in table.columns \
        and table.index.name == AREA_ID else table
    source = f"indikatortabell {year}"
    columns = list(dict.fromkeys(c for ind in catalogue.values() for c in ind.columns
                                 if c in frame.columns))
    dtypes = frame.dtypes
    if AREA_ID not in frame.columns or not all(
            pd.api.types.is_numeric_dtype(dtypes[c]) and not pd.api.types.is_bool_dtype(dtypes[c])
            for c in columns):
        return validate_indicator_table(frame, catalogue, source)
    ids = frame[AREA_ID].astype("string").str.strip()
    numbers = frame[columns].to_numpy(dtype=float)
    col = {c: k for k, c in enumerate(columns)}
    shares = [(col[i.numerator], col[i.denominator]) for i in catalogue.values()
              if i.is_rate and i.per == 100 and i.numerator in col and i.denominator in col]
    rates = [col[c] for i in catalogue.values() if i.is_rate for c in i.columns if c in col]
    with np.errstate(invalid="ignore"):
        wrong = (ids.isna().any() or (ids == "").any() or ids.duplicated().any()
                 or np.isinf(numbers).any() or (numbers[:, rates] < 0).any()
                 or any((numbers[:, n] > numbers[:, d]).any() for n, d in shares))
    if wrong:
        return validate_indicator_table(frame, catalogue, source)
    return pd.DataFrame(numbers, columns=columns, index=pd.Index(ids.to_numpy(dtype=object),
                                                                  name=AREA_ID))


def _with_shared_numerators(catalogue: Catalogue, wanted: Sequence[str]) -> Catalogue:
    """The wanted indicators and every other rate indicator that shares a numerator with
    one of them: disclosure control works on numerator columns and must see them all."""
    numerators = {catalogue[i].numerator for i in wanted if catalogue[i].is_rate}
    extra = [i for i in catalogue if i not in wanted and catalogue[i].is_rate
             and catalogue[i].numerator in numerators]
    return Catalogue(tuple(catalogue[i] for i in (*wanted, *extra)))


def measure(tables: Mapping[int, pd.DataFrame], catalogue: Catalogue, *,
            rule: SmallNumbers | None = None,
            indicators: Iterable[str] | None = None) -> Measured:
    """Every year's values of ``indicators`` (default: the whole catalogue), computed once.

    ``tables``: year -> indicator table (an ``area_id`` column, or indexed by area id).
    ``rule``: disclosure control (default on, threshold 5, as the analysis' default).
    Disclosure control runs per year, hiding what the analysis hides (the tables are the
    analysis' protected inputs, :func:`geo.analysis.protect_inputs`, in which hidden
    counts are already censored); the values of all years are then derived together.
    """
    rule = rule or SmallNumbers()
    wanted = [i for i in (catalogue if indicators is None else dict.fromkeys(indicators))
              if i in catalogue]
    sub = _with_shared_numerators(catalogue, wanted)
    years = tuple(sorted(int(y) for y in tables))
    valid = [_year_table(tables[y], sub, y) for y in years]
    areas = tuple(dict.fromkeys(str(a) for table in valid for a in table.index))
    pos = {a: k for k, a in enumerate(areas)}
    shape = (len(years), len(areas), len(wanted))
    values = np.full(shape, np.nan)
    numerators = np.full(shape, np.nan)
    denominators = np.full(shape, np.nan)
    codes = np.full(shape, AREA_ABSENT, dtype=np.int8)
    protected, present = [], []
    for table in valid:
        have = [i for i in sub if all(c in table.columns for c in sub[i].columns)]
        protect = [i for i in have if sub[i].is_rate]
        if rule.disclosure and protect:
            table = apply_disclosure(table, sub, protect, threshold=rule.disclosure_threshold,
                                     min_population=rule.min_population).table
        protected.append(table)
        present.append(np.array([i in have for i in wanted], dtype=bool))
    measurable = [i for k, i in enumerate(wanted) if any(p[k] for p in present)]
    if not years:
        return Measured(years, areas, tuple(wanted), values, codes, numerators,
                        denominators, rule)
    # All years at once: one row per (year, area), columns missing in a year are NaN.
    before_all = pd.concat([t.reset_index(drop=True) for t in valid], ignore_index=True)
    after_all = pd.concat([t.reset_index(drop=True) for t in protected], ignore_index=True)
    before = derive_values(before_all, sub, measurable).to_numpy(dtype=float)
    after = derive_values(after_all, sub, measurable).to_numpy(dtype=float)
    cols = np.array([wanted.index(i) for i in measurable], dtype=int)
    rate_cols = [(j, k, sub[i]) for j, (k, i) in enumerate(zip(cols, measurable, strict=True))
                 if sub[i].is_rate]
    offset = 0
    for y, table in enumerate(valid):
        rows = np.array([pos[str(a)] for a in table.index], dtype=int)
        part = slice(offset, offset + len(rows))
        offset += len(rows)
        here = np.ix_(rows, cols)
        values[y][here] = after[part]
        codes[y][here] = np.select([~np.isnan(after[part]), ~np.isnan(before[part])],
                                   [OK, SUPPRESSED], default=MISSING)
        codes[y][np.ix_(rows, np.flatnonzero(~present[y]))] = NO_COLUMNS
        for j, k, ind in rate_cols:
            if not present[y][k]:
                continue
            shown = ~np.isnan(after[part, j])
            numerators[y, rows, k] = np.where(
                shown, after_all[ind.numerator].to_numpy(dtype=float)[part], np.nan)
            denominators[y, rows, k] = np.where(
                shown, after_all[ind.denominator].to_numpy(dtype=float)[part], np.nan)
    values[codes != OK] = np.nan
    return Measured(years, areas, tuple(wanted), values, codes, numerators, denominators, rule)


def _measured(tables: Mapping[int, pd.DataFrame] | Measured, catalogue: Catalogue,
              rule: SmallNumbers | None, indicators: Iterable[str]) -> Measured:
    if isinstance(tables, Measured):
        if rule is not None and rule != tables.rule:
            raise ValueError("tabellerna är redan mätta med en annan röjandekontroll "
                             f"({tables.rule}) än den angivna ({rule}).")
        return tables
    return measure(tables, catalogue, rule=rule, indicators=indicators)


def baseline_for(area_id: str, indicator_id: str, catalogue: Catalogue,
                 tables: Mapping[int, pd.DataFrame] | Measured, *,
                 rule: SmallNumbers | None = None) -> tuple[int, float] | None:
    """The baseline the data give for a goal: the latest year with a measurable value
    (after disclosure control) and that value; None when no year has one."""
    if indicator_id not in catalogue:
        return None
    m = _measured(tables, catalogue, rule, [indicator_id])
    a, i = m.area(area_id), m.indicator(indicator_id)
    if a is None or i is None:
        return None
    ok = np.flatnonzero(m.codes[:, a, i] == OK)
    if not len(ok):
        return None
    y = int(ok[-1])
    return m.years[y], float(m.values[y, a, i])


# -- the follow-up of each goal -------------------------------------------------------------

@dataclass(frozen=True)
class YearValue:
    year: int
    value: float | None
    code: int = OK              # why there is no value (OK when there is one)

    @property
    def reason(self) -> str:
        return cell_reason(self.code, self.year)


@dataclass(frozen=True)
class Change:
    """The change from the baseline year to the latest measurable year, with its
    confidence interval (:func:`indicators.trends.rate_change`)."""

    first: int
    last: int | None
    change: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    verdict: str = CANNOT_ASSESS
    reason: str = ""
    required: float | None = None       # the change the goal asks for (target - baseline)
    attainment: str = CANNOT_ASSESS     # ATTAINMENTS: the interval against ``required``

    @property
    def exceeds_uncertainty(self) -> bool:
        """True when the whole interval lies on one side of 0."""
        return self.verdict in (INCREASE, DECREASE)


@dataclass(frozen=True)
class GoalFollowUp:
    goal: Goal
    indicator: Indicator | None
    series: tuple[YearValue, ...]
    latest_year: int | None
    latest_value: float | None
    expected: float | None
    status: str
    reason: str
    change: Change
    notes: tuple[str, ...] = ()

    @property
    def indicator_name(self) -> str:
        return self.indicator.name if self.indicator is not None else self.goal.indicator_id


def expected_value(goal: Goal, year: int) -> float:
    """The value on the straight line from (baseline year, baseline value) to (target year,
    target value) in ``year``; the baseline before the baseline year and the target after
    the target year."""
    span = goal.target_year - goal.baseline_year
    if span <= 0 or year >= goal.target_year:
        return float(goal.target_value)
    share = max(0, year - goal.baseline_year) / span
    return goal.baseline_value + (goal.target_value - goal.baseline_value) * share


def goal_direction(goal: Goal, indicator: Indicator) -> int:
    """+1 when the goal is to raise the value, -1 to lower it; a goal to hold the level
    points toward less need (``-indicator.direction``)."""
    if goal.target_value > goal.baseline_value:
        return 1
    if goal.target_value < goal.baseline_value:
        return -1
    return -indicator.direction


def _at_or_beyond(value: float, reference: float, direction: int) -> bool:
    return direction * (value - reference) >= -TOLERANCE * max(1.0, abs(reference))


def goal_status(goal: Goal, indicator: Indicator, year: int, value: float
                ) -> tuple[str, float, str]:
    """(status, expected value, reason in Swedish) of a measurable value (rules in the
    module docstring)."""
    expected = expected_value(goal, year)
    d = goal_direction(goal, indicator)
    shown = _amount(value, indicator.unit)
    if _at_or_beyond(value, goal.target_value, d):
        return REACHED, expected, (f"{shown} år {year} når målvärdet "
                                   f"{_amount(goal.target_value, indicator.unit)}")
    if _at_or_beyond(value, expected, d):
        return ON_TRACK, expected, (f"{shown} år {year}, lika med eller bättre än "
                                    f"{_amount(expected, indicator.unit)} på linjen mot målet")
    late = (f"; målåret {goal.target_year} har passerat" if year > goal.target_year else "")
    return OFF_TRACK, expected, (f"{shown} år {year}, men linjen mot målet ligger på "
                                 f"{_amount(expected, indicator.unit)}{late}")


def attainment(direction: int, required: float, ci_low: float, ci_high: float) -> str:
    """Whether the interval of the change supports that the goal is reached: ``uppnått``
    when the whole interval is at or beyond ``required`` (the change the goal asks for) in
    the goal's ``direction``, ``ej uppnått`` when the whole interval falls short of it,
    ``osäkert`` otherwise."""
    ends = sorted((direction * (ci_low - required), direction * (ci_high - required)))
    slack = TOLERANCE * max(1.0, abs(required))
    if ends[0] >= -slack:
        return ATTAINED
    if ends[1] < -slack:
        return NOT_ATTAINED
    return UNCERTAIN


def _settled(result: GoalFollowUp) -> GoalFollowUp:
    """``målet nått`` only when the interval of the change supports it: a value at or
    beyond the target whose interval does not (or has none) is on track, and says why."""
    if result.status != REACHED or result.change.attainment == ATTAINED:
        return result
    ch, unit = result.change, result.goal.unit
    if ch.ci_low is None or ch.ci_high is None:
        why = (f"men osäkerheten kan inte bedömas ({ch.reason})" if ch.reason
               else "men osäkerheten kan inte bedömas")
    else:
        why = (f"men förändringens intervall ({_amount(ch.ci_low, unit)} till "
               f"{_amount(ch.ci_high, unit)}) rymmer också att målet inte är nått")
    return replace(result, status=ON_TRACK, reason=f"{result.reason}, {why}")


def _amount(value: float, unit: str) -> str:
    return f"{format_number(value, 1)} {unit}".strip()


def _not_measurable(goal: Goal, indicator: Indicator | None, reason: str,
                    series: tuple[YearValue, ...] = (), notes: tuple[str, ...] = ()
                    ) -> GoalFollowUp:
    change = Change(goal.baseline_year, None, reason="inget mätbart värde efter utgångsåret")
    return GoalFollowUp(goal, indicator, series, None, None, None, NOT_MEASURABLE, reason,
                        change, notes)


def _follow_goal(goal: Goal, catalogue: Catalogue, m: Measured
                 ) -> tuple[GoalFollowUp, tuple[int, int, int, int] | None]:
    """The goal's follow-up without its change, and (area, indicator, first, last
    positions) when the change is to be assessed from counts."""
    indicator = catalogue.get(goal.indicator_id)
    if indicator is None:
        return _not_measurable(goal, None, f"indikatorn '{goal.indicator_id}' finns inte "
                               "längre i indikatorkatalogen"), None
    if goal.unit != indicator.unit:
        return _not_measurable(goal, indicator, f"målet anges i '{goal.unit}', men "
                               f"indikatorn mäts nu i '{indicator.unit}'"), None
    a, i = m.area(goal.area_id), m.indicator(indicator.id)
    from_base = [y for y, year in enumerate(m.years) if year >= goal.baseline_year]
    if a is None or i is None:
        series = tuple(YearValue(m.years[y], None, AREA_ABSENT if i is not None
                                 else NO_COLUMNS) for y in from_base)
    else:
        series = tuple(YearValue(m.years[y], float(m.values[y, a, i]))
                       if m.codes[y, a, i] == OK
                       else YearValue(m.years[y], None, int(m.codes[y, a, i]))
                       for y in from_base)
    after = [s for s in series if s.year > goal.baseline_year]
    if not after:
        last = f" (senaste år i data: {m.years[-1]})" if m.years else ""
        return _not_measurable(goal, indicator, f"inga data efter utgångsåret "
                               f"{goal.baseline_year} ännu{last}", series), None
    measurable = [s for s in after if s.value is not None]
    if not measurable:
        return _not_measurable(goal, indicator, reasons(after), series), None
    latest = measurable[-1]
    notes = []
    later = [s for s in after if s.year > latest.year]
    if later:
        notes.append(f"Senaste mätbara år är {latest.year}: {reasons(later)}.")
    status, expected, reason = goal_status(goal, indicator, latest.year, latest.value)
    base = next((s for s in series if s.year == goal.baseline_year), None)
    if base is not None and base.value is not None and \
            abs(base.value - goal.baseline_value) > 0.05 + TOLERANCE:
        notes.append(f"Utgångsvärdet i planen ({_amount(goal.baseline_value, indicator.unit)}) "
                     f"skiljer sig från data för {goal.baseline_year} "
                     f"({_amount(base.value, indicator.unit)}).")
    result = GoalFollowUp(goal, indicator, series, latest.year, latest.value, expected,
                          status, reason, Change(goal.baseline_year, latest.year),
                          tuple(notes))
    if not indicator.is_rate:
        return _with_change(result, reason="indikatorn är ett färdigt värde utan antal, så "
                            "osäkerheten kan inte beräknas"), None
    if base is None:
        return _with_change(result, reason=f"utgångsåret {goal.baseline_year} finns inte i "
                            "data"), None
    if base.value is None:
        return _with_change(result, reason=base.reason), None
    return result, (a, i, m.years.index(goal.baseline_year), m.years.index(latest.year))


def _with_change(result: GoalFollowUp, **change: object) -> GoalFollowUp:
    return replace(result, change=replace(result.change, **change))


def _changes(pending: Sequence[tuple[int, tuple[int, int, int, int]]],
             goals: Sequence[GoalFollowUp], m: Measured, alpha: float) -> dict[int, Change]:
    """The change of every pending goal: one rate_change call per ``per`` (model), one row
    per goal (rate_change treats rows independently)."""
    out: dict[int, Change] = {}
    by_per: dict[float, list[tuple[int, tuple[int, int, int, int]]]] = {}
    for k, where in pending:
        per = float(goals[k].indicator.per)
        by_per.setdefault(per, []).append((k, where))
    for per, group in by_per.items():
        ids = [str(k) for k, _ in group]
        a = np.array([w[0] for _, w in group])
        i = np.array([w[1] for _, w in group])
        first = np.array([w[2] for _, w in group])
        last = np.array([w[3] for _, w in group])
        years = {0: pd.DataFrame({AREA_ID: ids, "x": m.numerators[first, a, i],
                                  "n": m.denominators[first, a, i]}),
                 1: pd.DataFrame({AREA_ID: ids, "x": m.numerators[last, a, i],
                                  "n": m.denominators[last, a, i]})}
        result = rate_change(years, numerator="x", denominator="n", per=per, first=0, last=1,
                             alpha=alpha)
        for (k, _), row in zip(group, result.itertuples(), strict=True):
            g = goals[k]
            low, high = _number(row.ci_low), _number(row.ci_high)
            required = _number(g.goal.target_value - row.rate_first)
            judged = (CANNOT_ASSESS if low is None or high is None or required is None
                      else attainment(goal_direction(g.goal, g.indicator), required, low, high))
            out[k] = Change(g.change.first, g.change.last, _number(row.change), low, high,
                            str(row.verdict), str(row.reason), required, judged)
    return out


def _number(value: object) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


@dataclass(frozen=True)
class FollowUp:
    """The follow-up of a whole plan: one :class:`GoalFollowUp` per goal, in the plan's
    order, with the plan's areas (id -> name, in order) and the years of data."""

    goals: tuple[GoalFollowUp, ...]
    areas: tuple[tuple[str, str], ...]
    years: tuple[int, ...]
    rule: SmallNumbers = SmallNumbers()
    alpha: float = 0.05

    def in_area(self, area_id: str) -> tuple[GoalFollowUp, ...]:
        return tuple(g for g in self.goals if g.goal.area_id == area_id)

    def summary(self) -> pd.DataFrame:
        """Counts per status (columns :data:`STATUSES` and ``Antal mål``), one row per area
        of the plan (index ``area_id``, areas without goals count 0) and a last row
        ``Hela planen``."""
        ids = [a for a, _ in self.areas]
        ids += [g.goal.area_id for g in self.goals if g.goal.area_id not in ids]
        counts = pd.DataFrame(0, index=pd.Index(ids, name=AREA_ID), columns=list(STATUSES))
        for g in self.goals:
            counts.loc[g.goal.area_id, g.status] += 1
        counts.loc[WHOLE_PLAN] = counts.sum(axis=0)
        counts[TOTAL] = counts[list(STATUSES)].sum(axis=1)
        return counts.astype(int)

    def area_name(self, area_id: str) -> str:
        return dict(self.areas).get(area_id, "") or area_id

    def table(self) -> pd.DataFrame:
        """One row per goal with Swedish headers, a column per year of data (the values
        from the baseline year on; hidden and missing values are empty)."""
        rows = []
        for g in self.goals:
            goal, ch = g.goal, g.change
            row = {"Områdeskod": goal.area_id, "Område": self.area_name(goal.area_id),
                   "Indikator": g.indicator_name, "Enhet": goal.unit,
                   "Utgångsår": goal.baseline_year, "Utgångsvärde": goal.baseline_value,
                   "Målvärde": goal.target_value, "Målår": goal.target_year,
                   "Senaste år": g.latest_year, "Senaste värde": g.latest_value,
                   "Enligt linjen mot målet": g.expected, "Status": g.status,
                   "Förklaring": g.reason,
                   "Förändring sedan utgångsåret": ch.change,
                   "Konfidensintervall, nedre": ch.ci_low,
                   "Konfidensintervall, övre": ch.ci_high,
                   "Bedömning av förändringen": ch.verdict,
                   "Förändring som målet kräver": ch.required,
                   "Måluppfyllelse": ch.attainment,
                   "Varför ingen bedömning": ch.reason,
                   "Anmärkningar": " ".join(g.notes)}
            values = {s.year: s.value for s in g.series}
            row.update({f"Värde {year}": values.get(year) for year in self.years})
            rows.append(row)
        columns = ["Områdeskod", "Område", "Indikator", "Enhet", "Utgångsår", "Utgångsvärde",
                   "Målvärde", "Målår", "Senaste år", "Senaste värde",
                   "Enligt linjen mot målet", "Status", "Förklaring",
                   "Förändring sedan utgångsåret", "Konfidensintervall, nedre",
                   "Konfidensintervall, övre", "Bedömning av förändringen",
                   "Förändring som målet kräver", "Måluppfyllelse",
                   "Varför ingen bedömning", "Anmärkningar",
                   *(f"Värde {year}" for year in self.years)]
        out = pd.DataFrame(rows, columns=columns)
        for column in ("Utgångsår", "Målår", "Senaste år"):
            out[column] = out[column].astype("Int64")
        return out

    def method(self) -> list[str]:
        """How the follow-up is made, in Swedish, for the report and the export."""
        level = f"{(1 - self.alpha) * 100:.0f} %"
        rule = (f"Röjandekontroll: antal under {self.rule.disclosure_threshold} döljs och "
                "räknas som ej mätbara." if self.rule.disclosure
                else "Röjandekontrollen är avstängd.")
        return [
            "Värdena räknas från antalen i varje års indikatortabell, utan utjämning. " + rule,
            "Linjen mot målet går rakt från utgångsvärdet utgångsåret till målvärdet målåret. "
            f"'{REACHED}': senaste mätbara värdet har nått eller passerat målvärdet. "
            f"'{ON_TRACK}': värdet ligger på eller bortom linjen i målets riktning. "
            f"'{OFF_TRACK}': värdet ligger efter linjen, eller målåret har passerat. "
            f"'{NOT_MEASURABLE}': inget mätbart värde efter utgångsåret (orsaken anges).",
            f"Förändringen från utgångsåret till senaste mätbara år har ett {level} "
            "konfidensintervall (MOVER: Newcombes intervall för andelar, Poissons "
            "score-intervall för övriga antal per invånare). "
            f"'{INCREASE}' eller '{DECREASE}' bara när hela intervallet ligger på ena sidan "
            "om 0; färdiga värden utan antal kan inte bedömas.",
            "Måluppfyllelse: målet kräver förändringen från utgångsårets värde i data till "
            f"målvärdet. '{ATTAINED}' när hela intervallet för förändringen når så långt "
            f"eller längre, '{NOT_ATTAINED}' när hela intervallet stannar före, "
            f"'{UNCERTAIN}' annars. Statusen '{REACHED}' ges bara när målet är "
            f"'{ATTAINED}'; ett värde som når målvärdet utan att intervallet stöder det är "
            f"'{ON_TRACK}'.",
        ]


def follow_up(plan: PlanContents | Iterable[Goal], catalogue: Catalogue,
              tables: Mapping[int, pd.DataFrame] | Measured, *,
              rule: SmallNumbers | None = None, alpha: float = 0.05) -> FollowUp:
    """The follow-up of every goal of ``plan`` (rules in the module docstring).

    ``tables``: year -> indicator table as the analysis reads it (for the app's inputs:
    ``{**dict(inputs.history), inputs.year: inputs.table}``), or a :class:`Measured`
    already made from them. ``rule``: the analysis' disclosure control
    (``settings.small_numbers``; default on, threshold 5).
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha ska ligga mellan 0 och 1, inte {alpha}.")
    if isinstance(plan, PlanContents):
        goals = plan.goals
        areas = tuple((a.area_id, a.area_name) for a in plan.areas)
    else:
        goals = tuple(plan)
        areas = tuple((a, "") for a in dict.fromkeys(g.area_id for g in goals))
    m = _measured(tables, catalogue, rule, [g.indicator_id for g in goals])
    done, pending = [], []
    for k, goal in enumerate(goals):
        result, where = _follow_goal(goal, catalogue, m)
        done.append(result)
        if where is not None:
            pending.append((k, where))
    for k, change in _changes(pending, done, m, alpha).items():
        done[k] = replace(done[k], change=change)
    return FollowUp(tuple(_settled(g) for g in done), areas, m.years, m.rule, alpha)


def tables_by_year(history: Iterable[tuple[int, pd.DataFrame]], year: int | None = None,
                   table: pd.DataFrame | None = None) -> dict[int, pd.DataFrame]:
    """Year -> table from an analysis' inputs: the earlier years (``inputs.history``) and
    the latest table with its year (``inputs.year``, ``inputs.table``), when it has one."""
    out = {int(y): t for y, t in history}
    if year is not None and table is not None:
        out[int(year)] = table
    return out
