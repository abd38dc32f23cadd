"""Priority tiers from the Monte Carlo ranking, and how they agree with other assessments.

A single rank says too little when ranks are uncertain: rank 9 and rank 12 may well be
the same. The tiers therefore use what the Monte Carlo analysis
(:mod:`indicators.uncertainty`) gives per area: the probability of being among the
``k`` areas with most need (``p_top_k``) and the median rank.

* **Hög prioritet**: ``p_top_k >= high_p`` (default 0.8): the area is among the top ``k``
  in at least 80 % of the simulations.
* **Förhöjd**: otherwise ``p_top_k >= raised_p`` (default 0.3), or median rank ``<= k``.
* **Övriga**: every other area with a rank.
* **Ingen rang**: the area lacks a median rank or a probability (no indicator values).

Thresholds are compared with a tolerance of 1e-9, so that a probability computed as a
share of simulations (80/100 = 0.8, or 0.7 + 0.1) falls on the side its exact value does.

:func:`agreement` sets the tiers beside SCB's områdestyp or the police's levels. It is a
comparison, not a validation: none of the three measures the same thing.

* SCB's områdestyp (RegSO, 1–5, :data:`indicators.codes.OMRADESTYP_LABELS`) counts
  as *utmaning* for type 1 ("Områden med stora socioekonomiska utmaningar") and type 2
  ("Områden med socioekonomiska utmaningar"): the two types SCB itself names as areas with
  socio-economic challenges. Types 3–5 (blandade, goda, mycket goda förutsättningar) do not.
* The police's assessment counts as *utsatt* for any level: "Riskområde", "Utsatt område"
  or "Särskilt utsatt område"; an empty value means the area is in none.

By default only "Hög prioritet" counts as prioritised by prevmap (``prioritised``).
The share of agreement is taken over areas with both a tier and a comparison value;
areas without one are shown (as "Ingen rang" or "Saknas") but not counted.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from indicators.codes import OMRADESTYP_LABELS
from indicators.errors import Problems, SettingsError, format_values
from indicators.swedish import format_number, format_percent

TIERS: tuple[str, ...] = ("Hög prioritet", "Förhöjd", "Övriga")
HIGH, RAISED, OTHER = TIERS
NO_RANK = "Ingen rang"
TIER_CATEGORIES: tuple[str, ...] = (*TIERS, NO_RANK)

MISSING = "Saknas"
TOTAL = "Totalt"
TIER_AXIS = "Prioritet"
NO_LEVEL = "Ingen nivå"
POLICE_LEVELS: tuple[str, ...] = ("Särskilt utsatt område", "Utsatt område", "Riskområde")
CHALLENGED_TYPES: tuple[int, ...] = (1, 2)

TOLERANCE = 1e-9

Kind = Literal["omradestyp", "polis"]


def _share(value: float) -> str:
    """A probability as a Swedish percentage: 0.8 -> '80 %', 0.125 -> '12,5 %'."""
    return format_percent(value * 100)


@dataclass(frozen=True)
class TierRule:
    """Thresholds of the tiers (see the module docstring; ``[tiers]`` in the settings file).
    Both are probabilities in (0, 1], and 'Förhöjd' cannot lie above 'Hög prioritet'."""

    high_p: float = 0.8     # P(top k) at or above -> "Hög prioritet"
    raised_p: float = 0.3   # P(top k) at or above, or median rank <= k -> "Förhöjd"

    FILE_KEYS = ("high_p", "raised_p")

    def __post_init__(self) -> None:
        problems = Problems(SettingsError)
        for key in self.FILE_KEYS:
            value = getattr(self, key)
            if (isinstance(value, bool) or not isinstance(value, int | float)
                    or not math.isfinite(value) or not 0 < value <= 1):
                problems.add("en sannolikhet mellan 0 och 1.", column=key, values=[value])
            else:
                object.__setattr__(self, key, float(value))
        if not problems and self.raised_p > self.high_p:
            problems.add("gränsen för 'Förhöjd' kan inte ligga över gränsen för 'Hög "
                         "prioritet'.", column="raised_p", values=[self.raised_p, self.high_p])
        problems.raise_if_any()

    def definitions(self, k: int) -> dict[str, str]:
        """Each tier's rule in Swedish, by tier."""
        return {HIGH: f"området hamnar bland de {k} områden med störst behov i minst "
                      f"{_share(self.high_p)} av simuleringarna (P(topp {k}) ≥ "
                      f"{_share(self.high_p)})",
                RAISED: f"P(topp {k}) ≥ {_share(self.raised_p)} eller medianrang ≤ {k}",
                OTHER: "alla andra områden med rang"}

    def text(self, k: int) -> str:
        """The rule in Swedish, for the app and the export."""
        return " ".join(f"{tier}: {words}." for tier, words in self.definitions(k).items()) \
            + f" {NO_RANK}: området saknar värden och har därför ingen rang."


def assign_tiers(p_top_k: pd.Series, median_rank: pd.Series, top_k: int,
                 rule: TierRule = TierRule()) -> pd.Series:
    """The tier of each area, indexed like ``p_top_k`` (``median_rank`` is aligned to it).

    Returns a categorical Series with categories ``TIERS`` and then ``"Ingen rang"`` (for
    areas whose probability or median rank is missing).
    """
    if top_k < 1:
        raise ValueError(f"top_k ska vara minst 1, inte {top_k}.")
    p = pd.to_numeric(p_top_k, errors="coerce").astype(float)
    med = pd.to_numeric(median_rank, errors="coerce").astype(float).reindex(p.index)
    bad = p[(p < -TOLERANCE) | (p > 1 + TOLERANCE)]
    if len(bad):
        raise ValueError(f"sannolikheter utanför 0–1: {format_values(list(bad.index))}.")
    high = p >= rule.high_p - TOLERANCE
    raised = (p >= rule.raised_p - TOLERANCE) | (med <= top_k + TOLERANCE)
    no_rank = p.isna() | med.isna()
    tier = np.select([no_rank, high, raised], [NO_RANK, HIGH, RAISED], default=OTHER)
    return pd.Series(pd.Categorical(tier, categories=TIER_CATEGORIES), index=p.index,
                     name=TIER_AXIS)


@dataclass(frozen=True, eq=False)
class Agreement:
    """Tiers beside one comparison.

    ``crosstab``: counts, rows the tiers (``"Ingen rang"`` only when some area lacks a
    rank), columns the comparison's categories in order (``"Saknas"`` only when some value
    is missing), margins ``"Totalt"``. ``share``: the share of compared areas where
    prevmap and the comparison agree (both prioritise or both do not); NaN when no area
    can be compared. ``kappa``: Cohen's kappa of the same 2x2 table (agreement beyond
    chance; NaN when undefined). ``only_prevmap`` / ``only_comparison``: area ids
    prioritised by one but not the other. ``notes``: all of it in Swedish sentences.
    """

    label: str
    kind: Kind
    crosstab: pd.DataFrame
    share: float
    kappa: float
    n_compared: int
    n_agree: int
    only_prevmap: tuple[str, ...]
    only_comparison: tuple[str, ...]
    notes: tuple[str, ...]


def _detect_kind(values: pd.Series) -> Kind:
    if pd.api.types.is_numeric_dtype(values):
        return "omradestyp"
    present = values.dropna()
    if len(present) and all(isinstance(v, (int, float, np.integer, np.floating))
                            and not isinstance(v, bool) for v in present):
        return "omradestyp"
    return "polis"


def _omradestyp_labels(values: pd.Series, label: str) -> tuple[pd.Series, list[str],
                                                                pd.Series]:
    numbers = pd.to_numeric(values, errors="coerce")
    unknown = values[(numbers.isna() & values.notna()) | (numbers.notna()
                                                         & ~numbers.isin(OMRADESTYP_LABELS))]
    if len(unknown):
        raise ValueError(f"{label}: okända områdestyper {format_values(list(unknown))}. "
                         "Förväntat: 1–5 eller tomt.")
    names = {t: f"{t} – {text}" for t, text in OMRADESTYP_LABELS.items()}
    shown = numbers.map(lambda t: MISSING if pd.isna(t) else names[int(t)], na_action=None)
    flagged = numbers.isin(CHALLENGED_TYPES).where(numbers.notna())
    return shown, list(names.values()), flagged


def _missing(value: object) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


def _police_labels(values: pd.Series, label: str) -> tuple[pd.Series, list[str], pd.Series]:
    def clean(v: object) -> object:
        if _missing(v):
            return None
        text = str(v).strip()
        return text[:1].upper() + text[1:]

    cleaned = values.map(clean)
    known = {*POLICE_LEVELS, ""}
    unknown = cleaned[cleaned.notna() & ~cleaned.isin(known)]
    if len(unknown):
        raise ValueError(f"{label}: okända nivåer {format_values(list(unknown))}. "
                         f"Förväntat: {', '.join(POLICE_LEVELS)} eller tomt (ingen nivå).")
    shown = cleaned.map(lambda v: MISSING if _missing(v) else (NO_LEVEL if v == "" else v),
                        na_action=None)
    flagged = cleaned.isin(POLICE_LEVELS).where(cleaned.notna())
    return shown, [*POLICE_LEVELS, NO_LEVEL], flagged


def _named(ids: Sequence[str], names: Mapping[str, str] | pd.Series | None) -> str:
    if names is None:
        return format_values([str(i) for i in ids], limit=10)
    lookup = dict(names.items())
    return format_values([f"{lookup[i]} ({i})" if i in lookup and pd.notna(lookup[i])
                          else str(i) for i in ids], limit=10)


def agreement(tiers: pd.Series, comparison: pd.Series, *, label: str,
              kind: Kind | None = None, names: Mapping[str, str] | pd.Series | None = None,
              prioritised: Sequence[str] = (HIGH,)) -> Agreement:
    """Compare tiers (from :func:`assign_tiers`) with a comparison column, by area id.

    ``comparison`` is SCB's områdestyp (numbers 1–5, kind ``"omradestyp"``) or the police's
    level (text, kind ``"polis"``); the kind is inferred from the values unless given.
    Areas in only one of the two Series are kept: "Ingen rang" or "Saknas".
    ``names`` (area id -> name) names the areas in the notes.
    """
    bad = [t for t in prioritised if t not in TIERS]
    if bad or not prioritised:
        raise ValueError(f"okända nivåer i prioritised: {format_values(bad)}. "
                         f"Förväntat några av: {', '.join(TIERS)}.")
    index = tiers.index.append(comparison.index.difference(tiers.index, sort=False))
    tier = pd.Series(tiers, dtype="object").reindex(index)
    unknown_tiers = tier[tier.notna() & ~tier.isin(TIER_CATEGORIES)]
    if len(unknown_tiers):
        raise ValueError(f"okända prioriteringsnivåer: {format_values(list(unknown_tiers))}.")
    tier = tier.fillna(NO_RANK)
    values = comparison.reindex(index)
    kind = kind or _detect_kind(comparison)
    if kind == "omradestyp":
        shown, columns, flagged = _omradestyp_labels(values, label)
        group = f"områdestyp {'–'.join(str(t) for t in CHALLENGED_TYPES)} " \
                "(socioekonomiska utmaningar)"
    elif kind == "polis":
        shown, columns, flagged = _police_labels(values, label)
        group = "någon av polisens nivåer (riskområde, utsatt eller särskilt utsatt område)"
    else:
        raise ValueError(f"okänd jämförelse {kind!r}: förväntat 'omradestyp' eller 'polis'.")

    rows = [*TIERS, *([NO_RANK] if (tier == NO_RANK).any() else [])]
    cols = [*columns, *([MISSING] if (shown == MISSING).any() else [])]
    counts = pd.crosstab(pd.Categorical(tier, categories=rows),
                         pd.Categorical(shown, categories=cols), dropna=False)
    counts = counts.reindex(index=rows, columns=cols, fill_value=0).astype(int)
    counts[TOTAL] = counts.sum(axis=1)
    counts.loc[TOTAL] = counts.sum(axis=0)
    counts.index.name, counts.columns.name = TIER_AXIS, label

    ours = tier.isin(prioritised)
    compared = (tier != NO_RANK) & flagged.notna()
    theirs = flagged.fillna(False).astype(bool)
    both, neither = (ours & theirs & compared).sum(), (~ours & ~theirs & compared).sum()
    n = int(compared.sum())
    agree = int(both + neither)
    share = agree / n if n else float("nan")
    kappa = float("nan")
    if n:
        p_ours, p_theirs = (ours & compared).sum() / n, (theirs & compared).sum() / n
        chance = p_ours * p_theirs + (1 - p_ours) * (1 - p_theirs)
        if chance < 1 - TOLERANCE:
            kappa = float((share - chance) / (1 - chance))
    only_ours = tuple(str(i) for i in index[(ours & ~theirs & compared).to_numpy()])
    only_theirs = tuple(str(i) for i in index[(~ours & theirs & compared).to_numpy()])

    ours_text = " eller ".join(f"'{t}'" for t in prioritised)
    notes = [f"{label}: prevmap prioriterar ett område när det har nivån {ours_text}; "
             f"jämförelsen när området har {group}."]
    if n:
        notes.append(f"Samma bedömning (båda prioriterar eller ingen av dem) för {agree} av "
                     f"{n} områden ({_share(share)})"
                     + (f", kappa {format_number(kappa, 2)}" if not np.isnan(kappa)
                        else "") + ".")
    else:
        notes.append("Inget område har både rang och värde i jämförelsen; ingen andel kan "
                     "beräknas.")
    if only_ours:
        notes.append(f"Prioriterade av prevmap men inte av jämförelsen ({len(only_ours)}): "
                     f"{_named(only_ours, names)}.")
    if only_theirs:
        notes.append(f"Prioriterade av jämförelsen men inte av prevmap ({len(only_theirs)}): "
                     f"{_named(only_theirs, names)}.")
    lacking = index[(shown == MISSING).to_numpy()]
    if len(lacking):
        notes.append(f"{len(lacking)} område(n) saknar värde i {label} ('{MISSING}') och "
                     f"räknas inte i andelen: {_named(list(lacking), names)}.")
    unranked = index[(tier == NO_RANK).to_numpy()]
    if len(unranked):
        notes.append(f"{len(unranked)} område(n) saknar rang ('{NO_RANK}') och räknas inte i "
                     f"andelen: {_named(list(unranked), names)}.")
    return Agreement(label=label, kind=kind, crosstab=counts, share=share, kappa=kappa,
                     n_compared=n, n_agree=agree, only_prevmap=only_ours,
                     only_comparison=only_theirs, notes=tuple(notes))
