"""One frozen, validated object that describes an analysis.

:class:`AnalysisSettings` is hashable (a cache key in the app), serialisable to
TOML (saved beside every export) and replayable: the same settings on the same
data give the same result. Unknown keys are refused, and every problem found is
reported at once.

It is composed of the options of each later stage, frozen and validated where they are
defined: :class:`UncertaintyOptions` (``[uncertainty]``, the Monte Carlo of
:mod:`indicators.uncertainty`), :class:`SmallNumbers` (``[small_numbers]``, disclosure
control, smoothing and merging) and :class:`~indicators.tiers.TierRule` (``[tiers]``). The
method reads them as ``settings.uncertainty``, ``settings.small_numbers`` and
``settings.tiers``; :meth:`AnalysisSettings.create` and :meth:`~AnalysisSettings.with_changes`
also take a stage's option by its flat name (``draws=200``, ``tier_high_p=0.7``).

File format (TOML)::

    prevmap_settings = 1
    name = "Bred prevention"
    normalisation = "zscore"        # zscore | percentile | minmax
    aggregation = "arithmetic"      # arithmetic | mpi (Mazziotta–Pareto MPI+ between domains)
    missing = "reweight"            # reweight | error
    outliers = "none"               # none | auto (winsorise or log, see indicators/outliers.py)
    flag_threshold = 0.9            # flag values at or above this percentile rank
    top_n = 3                       # how many top contributors to name per area

    [domain_weights]                # domains not listed weigh 1
    kriminalitet = 2.0

    [indicator_weights]             # the indicators that count, and their weights
    vald_brott = 1.0

    [uncertainty]                   # Monte Carlo over the method and the data
    draws = 1000
    seed = 20261123
    concentration = 50.0            # Dirichlet concentration around the chosen weights
    vary_normalisation = true
    vary_aggregation = true
    data_noise = true               # Jeffreys-posterior noise of count-based indicators
    top_k = 0                       # 0: a fifth of the areas

    [small_numbers]
    smoothing = "none"              # none | eb (empirical Bayes toward the pooled rate)
    disclosure = true               # suppress counts below the threshold everywhere
    disclosure_threshold = 5
    min_population = 50             # flag areas whose youth population is smaller
    merge_small = false             # merge such areas with neighbours until each reaches it
    min_coverage = 0.5              # rank only areas with values for this share of the weight

    [tiers]                         # priority tiers from P(top k) and the median rank
    high_p = 0.8
    raised_p = 0.3

    [rekommendation]                # the recommended approach and the budget (issue 19)
    intensity_high = "intensiv"     # bas | förstärkt | intensiv, per tier
    intensity_raised = "förstärkt"
    intensity_other = "bas"
    focus_threshold = 1.0           # sd above the kommun's mean for a focus domain
    max_focus = 3                   # 1–3 focus domains at most
    protective_threshold = 1.0      # sd below the mean for a förutsättning
    total_kr = 3000000              # the budget in whole kronor
    base_share = 0.3                # shared equally by every area
    weighting = "behov_barn"        # behov | behov_barn | per_barn | hogsta_prioritet

The section ``[rekommendation]`` is the field ``recommendation``
(:class:`~indicators.recommendation.RecommendationRules`, :data:`SECTION_FIELDS`).
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import tomli_w

from indicators.catalogue import Catalogue
from indicators.columns import (
    AGGREGATIONS,
    DEFAULT_CONCENTRATION,
    DEFAULT_DRAWS,
    DEFAULT_SEED,
    DOMAINS,
    MISSING_POLICIES,
    NORMALISATIONS,
)
from indicators.disclosure import DEFAULT_MIN_POPULATION, DEFAULT_THRESHOLD
from indicators.errors import Problem, Problems, SettingsError
from indicators.outliers import OUTLIER_CHOICES
from indicators.recommendation import RecommendationRules
from indicators.tiers import TierRule

FORMAT_VERSION = 1
_KEYS = {"prevmap_settings", "name", "description", "normalisation", "aggregation", "missing",
         "flag_threshold", "top_n", "domain_weights", "indicator_weights", "uncertainty",
         "outliers",
         "small_numbers", "tiers", "rekommendation"}
SMOOTHING = {"none": "Ingen utjämning",
             "eb": "Empirisk Bayes mot alla områdens samlade andel"}


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _as_float(value: object) -> object:
    return float(value) if _is_number(value) else value


def _int_at_least(value: object, lowest: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= lowest


def _check_flags(options: object, names: tuple[str, ...], problems: Problems) -> None:
    for name in names:
        if not isinstance(getattr(options, name), bool):
            problems.add("ska vara true eller false.", column=name,
                         values=[getattr(options, name)])


# -- the options of each stage, each validated here and only here ---------------------------
@dataclass(frozen=True)
class UncertaintyOptions:
    """What the Monte Carlo analysis varies, and how much (``[uncertainty]`` in the file;
    the method is described in :mod:`indicators.uncertainty`).

    ``top_k`` 0 means a fifth of the ranked areas (at least 1). ``vary_weights`` False (or
    ``concentration=math.inf``) keeps the chosen weights. ``noise_replicates`` None chooses
    the number of noisy data sets automatically (one per draw when the data are small
    enough, see ``NOISE_CELL_BUDGET``). The last two are not written to the file.
    """

    draws: int = DEFAULT_DRAWS
    seed: int = DEFAULT_SEED
    concentration: float = DEFAULT_CONCENTRATION
    vary_normalisation: bool = True
    vary_aggregation: bool = True
    data_noise: bool = True
    top_k: int = 0
    vary_weights: bool = True
    noise_replicates: int | None = None

    FILE_KEYS = ("draws", "seed", "concentration", "vary_normalisation", "vary_aggregation",
                 "data_noise", "top_k")

    def __post_init__(self) -> None:
        problems = Problems(SettingsError)
        if not _int_at_least(self.draws, 1):
            problems.add("antalet dragningar ska vara ett heltal ≥ 1, t.ex. 1000.",
                         column="draws", values=[self.draws])
        if not _int_at_least(self.seed, 0):
            problems.add("fröet ska vara ett heltal ≥ 0.", column="seed", values=[self.seed])
        c = self.concentration
        if (isinstance(c, bool) or not isinstance(c, int | float) or math.isnan(c)
                or c <= 0):
            problems.add("koncentrationen ska vara ett tal > 0 (högre = vikterna varierar "
                         "mindre; inf = de valda vikterna).", column="concentration",
                         values=[c])
        else:
            object.__setattr__(self, "concentration", float(c))
        if not _int_at_least(self.top_k, 0):
            problems.add("k ska vara ett heltal ≥ 0 (0 = en femtedel av områdena).",
                         column="top_k", values=[self.top_k])
        if self.noise_replicates is not None and not _int_at_least(self.noise_replicates, 1):
            problems.add("antalet uppsättningar slumpbrus ska vara ett heltal ≥ 1 (eller None "
                         "för automatiskt val).", column="noise_replicates",
                         values=[self.noise_replicates])
        _check_flags(self, ("vary_normalisation", "vary_aggregation", "data_noise",
                            "vary_weights"), problems)
        problems.raise_if_any()

    @property
    def varies_weights(self) -> bool:
        return self.vary_weights and math.isfinite(self.concentration)


@dataclass(frozen=True)
class SmallNumbers:
    """How small numbers are protected (``[small_numbers]`` in the file): disclosure control
    (:mod:`indicators.disclosure`), smoothing (:mod:`indicators.smoothing`) and the smallest
    youth population below which an area is flagged, or merged with neighbours.

    ``min_coverage`` (0..1): an area whose values carry less than this share of the nominal
    weight is not ranked ("otillräckliga data", see :mod:`indicators.ranking` step 3); 0
    ranks every area with a value."""

    smoothing: str = "none"
    disclosure: bool = True
    disclosure_threshold: int = DEFAULT_THRESHOLD
    min_population: int = DEFAULT_MIN_POPULATION
    merge_small: bool = False
    min_coverage: float = 0.5

    FILE_KEYS = ("smoothing", "disclosure", "disclosure_threshold", "min_population",
                 "merge_small", "min_coverage")

    def __post_init__(self) -> None:
        problems = Problems(SettingsError)
        if self.smoothing not in SMOOTHING:
            problems.add("okänt val.", column="smoothing", values=[self.smoothing],
                         expected=", ".join(SMOOTHING))
        if not _int_at_least(self.disclosure_threshold, 1):
            problems.add("tröskeln för röjandekontroll ska vara ett heltal ≥ 1, t.ex. 5.",
                         column="disclosure_threshold", values=[self.disclosure_threshold])
        if not _int_at_least(self.min_population, 0):
            problems.add("minsta befolkning ska vara ett heltal ≥ 0.", column="min_population",
                         values=[self.min_population])
        if not _is_number(self.min_coverage) or not 0 <= self.min_coverage <= 1:
            problems.add("minsta täckning ska vara en andel mellan 0 och 1.",
                         column="min_coverage", values=[self.min_coverage],
                         fix="ange t.ex. 0.5: områden med värden för mindre än halva vikten "
                             "rangordnas inte")
        else:
            object.__setattr__(self, "min_coverage", float(self.min_coverage))
        _check_flags(self, ("disclosure", "merge_small"), problems)
        problems.raise_if_any()


# The stages as the file names them: [section] -> (options class, the settings' field).
STAGES: dict[str, type] = {"uncertainty": UncertaintyOptions, "small_numbers": SmallNumbers,
                           "tiers": TierRule, "rekommendation": RecommendationRules}
# A section whose field has another name (the file speaks Swedish, the code English).
SECTION_FIELDS: dict[str, str] = {"rekommendation": "recommendation"}


def _field(section: str) -> str:
    """The settings' field of a file section."""
    return SECTION_FIELDS.get(section, section)
# Flat names a caller may give to create() and with_changes() ("draws=200",
# "tier_high_p=0.7"): flat name -> (section, key).
FLAT_NAMES: dict[str, tuple[str, str]] = {
    **{key: ("uncertainty", key) for key in UncertaintyOptions.FILE_KEYS},
    **{key: ("small_numbers", key) for key in SmallNumbers.FILE_KEYS},
    **{f"tier_{key}": ("tiers", key) for key in TierRule.FILE_KEYS},
}


def _stage(section: str, base: object, changes: Mapping[str, Any],
           problems: Problems) -> object:
    """``base`` (an options object of ``section``) with ``changes``; a problem is added
    under its file key ("tiers.raised_p") instead of raised."""
    try:
        return replace(base, **changes)
    except SettingsError as err:
        for p in err.problems:
            problems.add(p.message, column=f"{section}.{p.column}", values=p.values,
                         expected=p.expected, fix=p.fix)
    except TypeError as err:   # a key the stage does not have
        problems.add(f"okänd nyckel ({err}).", column=section,
                     expected=", ".join(STAGES[section].FILE_KEYS))
    return base


def _routed(changes: Mapping[str, Any], stage_of: Callable[[str], Any],
            problems: Problems) -> dict[str, Any]:
    """``changes`` as fields of :class:`AnalysisSettings`: options given by their flat
    names are applied to their stage (``stage_of(section)``, or the stage in ``changes``)."""
    staged: dict[str, dict[str, Any]] = {}
    fields_: dict[str, Any] = {}
    for name, value in changes.items():
        if name in FLAT_NAMES:
            section, key = FLAT_NAMES[name]
            staged.setdefault(section, {})[key] = value
        else:
            fields_[name] = value
    for section, stage_changes in staged.items():
        base = fields_.get(_field(section)) or stage_of(section)
        fields_[_field(section)] = _stage(section, base, stage_changes, problems)
    return fields_


def _made(problems: Problems, make: Callable[[], AnalysisSettings]) -> AnalysisSettings:
    """``make()``, its problems reported together with those found before."""
    try:
        made = make()
    except SettingsError as err:
        for p in err.problems:
            problems.add(p.message, column=p.column, values=p.values, expected=p.expected,
                         fix=p.fix)
    problems.raise_if_any()
    return made


@dataclass(frozen=True)
class AnalysisSettings:
    """Everything that decides a ranking, apart from the data: the weights and the method,
    and the options of each later stage (uncertainty, small numbers, tiers, and the
    recommendation read after the ranking)."""

    indicator_weights: tuple[tuple[str, float], ...]
    domain_weights: tuple[tuple[str, float], ...] = ()
    normalisation: str = "zscore"
    aggregation: str = "arithmetic"
    missing: str = "reweight"
    flag_threshold: float = 0.9
    top_n: int = 3
    outliers: str = "none"
    name: str = ""
    description: str = ""
    uncertainty: UncertaintyOptions = UncertaintyOptions()
    small_numbers: SmallNumbers = SmallNumbers()
    tiers: TierRule = TierRule()
    recommendation: RecommendationRules = RecommendationRules()

    def __post_init__(self) -> None:
        problems = Problems(SettingsError)
        # Weights may be given as a mapping or as (name, weight) pairs.
        given_iw, given_dw = (list(w.items()) if isinstance(w, Mapping) else list(w)
                              for w in (self.indicator_weights, self.domain_weights))
        iw = tuple(sorted((str(k), _as_float(v)) for k, v in dict(given_iw).items()))
        dw = tuple(sorted((str(k), _as_float(v)) for k, v in dict(given_dw).items()))
        # Check the input before it is replaced (names are compared as text).
        for key, given in (("indicator_weights", given_iw), ("domain_weights", given_dw)):
            names = [str(k) for k, _ in given]
            twice = sorted({n for n in names if names.count(n) > 1})
            if twice:
                problems.add("samma namn förekommer två gånger bland vikterna.", column=key,
                             values=twice, fix="ange varje namn en gång")
        object.__setattr__(self, "indicator_weights", iw)
        object.__setattr__(self, "domain_weights", dw)

        if not iw:
            problems.add("inga indikatorer är valda.", column="indicator_weights",
                         fix="välj minst en indikator")
        for key, table in (("indicator_weights", iw), ("domain_weights", dw)):
            not_num = [f"{k}={v!r}" for k, v in table if not _is_number(v)]
            if not_num:
                problems.add("vikter måste vara tal.", column=key, values=not_num,
                             fix="ange vikter som tal ≥ 0, t.ex. 1 eller 0.5")
            negative = [f"{k}={v}" for k, v in table if _is_number(v) and v < 0]
            if negative:
                problems.add("negativa vikter.", column=key, values=negative,
                             expected="vikter ≥ 0", fix="ange 0 för att utesluta, annars ett "
                             "positivt tal; riktningen anges i katalogen, inte med vikten")
        if iw and all(_is_number(v) and v == 0 for _, v in iw):
            problems.add("alla indikatorvikter är noll.", column="indicator_weights",
                         fix="ge minst en indikator en positiv vikt")
        unknown_domains = [k for k, _ in dw if k not in DOMAINS]
        if unknown_domains:
            problems.add("okända domäner.", column="domain_weights", values=unknown_domains,
                         expected=", ".join(DOMAINS))
        for key, allowed in (("normalisation", NORMALISATIONS), ("aggregation", AGGREGATIONS),
                             ("missing", MISSING_POLICIES)):
            if key == "aggregation" and self.aggregation == "geometric":
                problems.add(
                    "det geometriska medelvärdet finns inte längre: med högre = större behov "
                    "lät det ett lågt behov i en domän ta ut ett högt i en annan ännu mer än "
                    "det aritmetiska, och med z-poäng blev det i praktiken aritmetiskt.",
                    column=key, values=["geometric"], expected=", ".join(allowed),
                    fix='ange aggregation = "mpi" (Mazziotta–Pareto: ojämnt höga behov späds '
                        'inte ut) eller aggregation = "arithmetic"')
            elif getattr(self, key) not in allowed:
                problems.add("okänt val.", column=key, values=[getattr(self, key)],
                             expected=", ".join(allowed))
        if self.outliers not in OUTLIER_CHOICES:
            problems.add("okänt val för extremvärden.", column="outliers", values=[self.outliers],
                         expected=", ".join(OUTLIER_CHOICES),
                         fix='ange outliers = "auto" (winsorisera eller logaritmera enligt '
                             'COINr) eller outliers = "none"')
        if not _is_number(self.flag_threshold) or not 0 < self.flag_threshold <= 1:
            problems.add("flaggtröskeln ska vara en percentilrang mellan 0 och 1.",
                         column="flag_threshold", values=[self.flag_threshold],
                         fix="ange t.ex. 0.9 för den översta tiondelen")
        if isinstance(self.top_n, bool) or not isinstance(self.top_n, int) or self.top_n < 1:
            problems.add("antalet bidragande indikatorer ska vara ett heltal ≥ 1.",
                         column="top_n", values=[self.top_n])
        for section, kind in STAGES.items():
            if not isinstance(getattr(self, _field(section)), kind):
                problems.add(f"ska vara {kind.__name__}.", column=section,
                             values=[getattr(self, _field(section))])
        problems.raise_if_any()

    # -- construction -----------------------------------------------------------------
    @classmethod
    def create(cls, indicators: Mapping[str, float], domains: Mapping[str, float] | None = None,
               **options: Any) -> AnalysisSettings:
        """Build settings from plain mappings of weights; a stage's option may be given by
        its flat name (``draws=200``, ``tier_high_p=0.7``, see :data:`FLAT_NAMES`)."""
        problems = Problems(SettingsError)
        fields_ = _routed(options, lambda section: STAGES[section](), problems)
        return _made(problems, lambda: cls(indicator_weights=tuple(indicators.items()),
                                           domain_weights=tuple((domains or {}).items()),
                                           **fields_))

    def with_changes(self, **changes: Any) -> AnalysisSettings:
        """These settings with ``changes``: fields, whole stages, or a stage's options by
        their flat names. Every problem is reported at once, named as in the file."""
        problems = Problems(SettingsError)
        fields_ = _routed(changes, lambda section: getattr(self, _field(section)), problems)
        return _made(problems, lambda: replace(self, **fields_))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "inställningar") -> AnalysisSettings:
        """Validate a mapping (from TOML or JSON) and build settings from it."""
        problems = Problems(SettingsError, source)
        unknown = sorted(set(data) - _KEYS)
        if unknown:
            problems.add("okända nycklar.", values=unknown, expected=", ".join(sorted(_KEYS)),
                         fix="ta bort eller rätta stavningen")
        version = data.get("prevmap_settings", FORMAT_VERSION)
        if version != FORMAT_VERSION:
            problems.add("okänd filversion.", column="prevmap_settings", values=[version],
                         expected=str(FORMAT_VERSION))
        for key in ("indicator_weights", "domain_weights"):
            if key in data and not isinstance(data[key], Mapping):
                problems.add("ska vara en tabell av namn = vikt.", column=key,
                             values=[data[key]])
        stages: dict[str, Any] = {}
        values = Problems(SettingsError, source)    # reported with the constructor's
        for section, kind in STAGES.items():
            table = data.get(section, {})
            if not isinstance(table, Mapping):
                problems.add("ska vara en tabell.", column=section, values=[table])
                continue
            odd = sorted(set(table) - set(kind.FILE_KEYS))
            if odd:
                problems.add(f"okända nycklar i [{section}].", column=section, values=odd,
                             expected=", ".join(kind.FILE_KEYS))
            stages[_field(section)] = _stage(section, kind(), {k: v for k, v in table.items()
                                                       if k in kind.FILE_KEYS}, values)
        if "indicator_weights" not in data:
            problems.add("nyckeln saknas.", column="indicator_weights",
                         fix="lägg till en tabell [indicator_weights] med minst en indikator")
        problems.raise_if_any()
        options = {k: v for k, v in data.items()
                   if k not in {"prevmap_settings", "indicator_weights", "domain_weights",
                                *STAGES}}
        try:
            return _made(values, lambda: cls.create(data["indicator_weights"],
                                                    data.get("domain_weights"), **options,
                                                    **stages))
        except SettingsError as err:
            raise SettingsError([replace(p, source=source) for p in err.problems]) from None
        except TypeError as err:  # a value of the wrong type reached the constructor
            raise SettingsError([replace(p, source=source) for p in
                                 SettingsError(str(err)).problems]) from None

    @classmethod
    def from_toml(cls, text: str, source: str = "inställningar") -> AnalysisSettings:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as err:
            raise SettingsError([replace(p, source=source) for p in SettingsError(
                f"filen är inte giltig TOML ({err}).").problems]) from None
        except RecursionError:  # tomllib recurses per nesting level: "a = [[[[…]]]]"
            raise SettingsError([Problem(
                "filen har listor eller tabeller nästlade i för många nivåer för att läsas.",
                source=source, expected="inställningar med högst några få nivåer",
                fix="spara inställningarna på nytt från appen, eller utgå från en profil i "
                    "data/profiles")]) from None
        return cls.from_dict(data, source)

    # -- serialisation ----------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"prevmap_settings": FORMAT_VERSION}
        if self.name:
            data["name"] = self.name
        if self.description:
            data["description"] = self.description
        data.update(normalisation=self.normalisation, aggregation=self.aggregation,
                    missing=self.missing, outliers=self.outliers,
                    flag_threshold=self.flag_threshold, top_n=self.top_n,
                    domain_weights=dict(self.domain_weights),
                    indicator_weights=dict(self.indicator_weights))
        for section, kind in STAGES.items():
            stage = getattr(self, _field(section))
            data[section] = {key: getattr(stage, key) for key in kind.FILE_KEYS}
        return data

    def to_toml(self) -> str:
        return tomli_w.dumps(self.to_dict())

    # -- accessors --------------------------------------------------------------------
    @property
    def indicators(self) -> tuple[str, ...]:
        return tuple(k for k, _ in self.indicator_weights)

    def indicator_weight(self, indicator: str) -> float:
        return float(dict(self.indicator_weights).get(indicator, 0.0))

    def domain_weight(self, domain: str) -> float:
        """Weight of a domain; domains not listed weigh 1."""
        return float(dict(self.domain_weights).get(domain, 1.0))

    def flat(self, name: str) -> Any:
        """A stage's option by its flat name (``"draws"``, ``"tier_high_p"``)."""
        section, key = FLAT_NAMES[name]
        return getattr(getattr(self, section), key)

    def equivalent(self, other: AnalysisSettings) -> bool:
        """Same analysis, ignoring name and description (a domain not listed weighs 1)."""
        method = ("normalisation", "aggregation", "missing", "outliers", "flag_threshold",
                  "top_n", *map(_field, STAGES))
        return (self.indicator_weights == other.indicator_weights
                and all(self.domain_weight(d) == other.domain_weight(d) for d in DOMAINS)
                and all(getattr(self, k) == getattr(other, k) for k in method))


def validate_settings(settings: AnalysisSettings, catalogue: Catalogue,
                      source: str = "inställningar") -> None:
    """Check settings against a catalogue: every indicator must exist, some weight must count."""
    problems = Problems(SettingsError, source)
    unknown = [i for i in settings.indicators if i not in catalogue]
    if unknown:
        problems.add("indikatorerna finns inte i katalogen.", column="indicator_weights",
                     values=unknown, fix="rätta id:t eller lägg till indikatorn i katalogen")
    problems.raise_if_any()
    effective = [settings.indicator_weight(i) * settings.domain_weight(catalogue[i].domain)
                 for i in settings.indicators]
    if not any(w > 0 for w in effective):
        problems.add("ingen vald indikator har både positiv indikatorvikt och positiv domänvikt.",
                     column="domain_weights",
                     fix="ge minst en domän med valda indikatorer en positiv vikt")
    problems.raise_if_any()


def fits(settings: AnalysisSettings, catalogue: Catalogue) -> bool:
    """Whether every indicator ``settings`` chooses is in ``catalogue``."""
    return all(i in catalogue for i in settings.indicators)


#: How many settings of other catalogues a session keeps aside (a few catalogues are all a
#: session switches between: the demo's, SCB's, an uploaded one).
KEPT_ASIDE = 4


def settings_for_catalogue(current: AnalysisSettings | None,
                           aside: tuple[AnalysisSettings, ...], catalogue: Catalogue,
                           profiles: Mapping[str, AnalysisSettings],
                           available: tuple[str, ...] | None = None,
                           ) -> tuple[AnalysisSettings, tuple[AnalysisSettings, ...]]:
    """The settings to use with ``catalogue`` and the settings kept aside after the choice.

    The current settings as long as they fit: the catalogue has their indicators and, given
    ``available`` (the indicators the table has; None or empty: no such condition), they choose at
    least one of them. Otherwise they are put aside (the last :data:`KEPT_ASIDE`), and the
    catalogue gets the settings last put aside that fit, or its first profile that fits, or
    all its available indicators at weight 1: a change of data never throws away what the
    user set, it comes back with its catalogue. Without ``available`` a profile that
    chooses none of the table's indicators (a catalogue with the user's own indicator
    beside the profiles' ones) would leave nothing to rank."""
    chosen = set(available) if available else None

    def usable(settings: AnalysisSettings) -> bool:
        return fits(settings, catalogue) and (chosen is None
                                              or bool(chosen & set(settings.indicators)))

    if current is not None and usable(current):
        return current, aside
    if current is not None:
        aside = (*aside, current)[-KEPT_ASIDE:]
    fitting = [i for i, s in enumerate(aside) if usable(s)]
    if fitting:
        last = fitting[-1]
        return aside[last], aside[:last] + aside[last + 1:]
    profile = next((p for p in profiles.values() if usable(p)), None)
    if profile is not None:
        return profile, aside
    if chosen is None:
        return AnalysisSettings.create({i: 1.0 for i in catalogue},
                                       name="Alla indikatorer"), aside
    return AnalysisSettings.create({i: 1.0 for i in catalogue if i in chosen},
                                   name="Tabellens indikatorer"), aside


def settings_for_table(settings: AnalysisSettings, available: tuple[str, ...],
                       profiles: Mapping[str, AnalysisSettings]) -> AnalysisSettings:
    """The settings an analysis runs with (and its exports save): the chosen indicators
    the table has, every domain's weight written out, named after the profile and marked
    "(ändrad)" when they differ from it ("Egen analys" without a profile)."""
    used = settings.with_changes(
        indicator_weights={i: w for i, w in settings.indicator_weights if i in available},
        domain_weights={d: settings.domain_weight(d) for d in DOMAINS}, description="")
    profile = profiles.get(settings.name)
    if profile is not None and used.equivalent(profile):
        return used.with_changes(description=profile.description)
    return used.with_changes(name=f"{settings.name} (ändrad)" if settings.name
                             else "Egen analys")
