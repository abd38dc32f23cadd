"""One frozen, validated object that describes an analysis.

:class:`AnalysisSettings` is hashable (a cache key in the app), serialisable to
TOML (saved beside every export) and replayable: the same settings on the same
data give the same result. Unknown keys are refused, and every problem found is
reported at once.

File format (TOML)::

    prevmap_settings = 1
    name = "Bred prevention"
    normalisation = "zscore"        # zscore | percentile | minmax
    aggregation = "arithmetic"      # arithmetic | geometric
    missing = "reweight"            # reweight | error
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
    data_noise = true               # binomial/Poisson noise of count-based indicators
    top_k = 0                       # 0: a fifth of the areas

    [small_numbers]
    smoothing = "none"              # none | eb (empirical Bayes toward the pooled rate)
    disclosure = true               # suppress counts below the threshold everywhere
    disclosure_threshold = 5
    min_population = 50             # flag areas whose youth population is smaller
    merge_small = false             # merge such areas with neighbours until each reaches it

    [tiers]                         # priority tiers from P(top k) and the median rank
    high_p = 0.8
    raised_p = 0.3
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
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
from indicators.errors import Problem, Problems, SettingsError

FORMAT_VERSION = 1
_KEYS = {"prevmap_settings", "name", "description", "normalisation", "aggregation", "missing",
         "flag_threshold", "top_n", "domain_weights", "indicator_weights", "uncertainty",
         "small_numbers", "tiers"}
# TOML sub-tables and the fields their keys fill ({table: {key: field}}).
SECTIONS: dict[str, dict[str, str]] = {
    "uncertainty": {"draws": "draws", "seed": "seed", "concentration": "concentration",
                    "vary_normalisation": "vary_normalisation",
                    "vary_aggregation": "vary_aggregation", "data_noise": "data_noise",
                    "top_k": "top_k"},
    "small_numbers": {"smoothing": "smoothing", "disclosure": "disclosure",
                      "disclosure_threshold": "disclosure_threshold",
                      "min_population": "min_population", "merge_small": "merge_small"},
    "tiers": {"high_p": "tier_high_p", "raised_p": "tier_raised_p"},
}
_FILE_KEYS = {name: f"{section}.{key}" for section, fields in SECTIONS.items()
              for key, name in fields.items()}
SMOOTHING = {"none": "Ingen utjämning", "eb": "Empirisk Bayes mot kommunens samlade andel"}


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _as_float(value: object) -> object:
    return float(value) if _is_number(value) else value


@dataclass(frozen=True)
class AnalysisSettings:
    """Everything that decides a ranking, apart from the data."""

    indicator_weights: tuple[tuple[str, float], ...]
    domain_weights: tuple[tuple[str, float], ...] = ()
    normalisation: str = "zscore"
    aggregation: str = "arithmetic"
    missing: str = "reweight"
    flag_threshold: float = 0.9
    top_n: int = 3
    name: str = ""
    description: str = ""
    draws: int = DEFAULT_DRAWS
    seed: int = DEFAULT_SEED
    concentration: float = DEFAULT_CONCENTRATION
    vary_normalisation: bool = True
    vary_aggregation: bool = True
    data_noise: bool = True
    top_k: int = 0
    smoothing: str = "none"
    disclosure: bool = True
    disclosure_threshold: int = 5
    min_population: int = 50
    merge_small: bool = False
    tier_high_p: float = 0.8
    tier_raised_p: float = 0.3

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
            if getattr(self, key) not in allowed:
                problems.add("okänt val.", column=key, values=[getattr(self, key)],
                             expected=", ".join(allowed))
        if not _is_number(self.flag_threshold) or not 0 < self.flag_threshold <= 1:
            problems.add("flaggtröskeln ska vara en percentilrang mellan 0 och 1.",
                         column="flag_threshold", values=[self.flag_threshold],
                         fix="ange t.ex. 0.9 för den översta tiondelen")
        if isinstance(self.top_n, bool) or not isinstance(self.top_n, int) or self.top_n < 1:
            problems.add("antalet bidragande indikatorer ska vara ett heltal ≥ 1.",
                         column="top_n", values=[self.top_n])
        self._check_robustness(problems)
        problems.raise_if_any()

    def _check_robustness(self, problems: Problems) -> None:
        """The Monte Carlo, small-number and tier options."""
        integers = {"draws": (1, "antalet dragningar ska vara ett heltal ≥ 1, t.ex. 1000"),
                    "seed": (0, "fröet ska vara ett heltal ≥ 0"),
                    "top_k": (0, "k ska vara ett heltal ≥ 0 (0 = en femtedel av områdena)"),
                    "disclosure_threshold": (1, "tröskeln för röjandekontroll ska vara ett "
                                                "heltal ≥ 1, t.ex. 5"),
                    "min_population": (0, "minsta befolkning ska vara ett heltal ≥ 0")}
        for key, (lowest, message) in integers.items():
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int) or value < lowest:
                problems.add(message + ".", column=key, values=[value])
        if not _is_number(self.concentration) or self.concentration <= 0:
            problems.add("koncentrationen ska vara ett tal > 0 (högre = vikterna varierar "
                         "mindre).", column="concentration", values=[self.concentration])
        for key in ("vary_normalisation", "vary_aggregation", "data_noise", "disclosure",
                    "merge_small"):
            if not isinstance(getattr(self, key), bool):
                problems.add("ska vara true eller false.", column=key,
                             values=[getattr(self, key)])
        if self.smoothing not in SMOOTHING:
            problems.add("okänt val.", column="smoothing", values=[self.smoothing],
                         expected=", ".join(SMOOTHING))
        for key in ("tier_high_p", "tier_raised_p"):
            value = getattr(self, key)
            if not _is_number(value) or not 0 < value <= 1:
                problems.add("en sannolikhet mellan 0 och 1.", column=key, values=[value])
        if (_is_number(self.tier_high_p) and _is_number(self.tier_raised_p)
                and self.tier_raised_p > self.tier_high_p):
            problems.add("gränsen för 'Förhöjd' kan inte ligga över gränsen för 'Hög "
                         "prioritet'.", column="tier_raised_p",
                         values=[self.tier_raised_p, self.tier_high_p])

    # -- construction -----------------------------------------------------------------
    @classmethod
    def create(cls, indicators: Mapping[str, float], domains: Mapping[str, float] | None = None,
               **options: Any) -> AnalysisSettings:
        """Build settings from plain mappings of weights."""
        return cls(indicator_weights=tuple(indicators.items()),
                   domain_weights=tuple((domains or {}).items()), **options)

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
        flat: dict[str, Any] = {}
        for section, fields in SECTIONS.items():
            table = data.get(section, {})
            if not isinstance(table, Mapping):
                problems.add("ska vara en tabell.", column=section, values=[table])
                continue
            odd = sorted(set(table) - set(fields))
            if odd:
                problems.add(f"okända nycklar i [{section}].", column=section, values=odd,
                             expected=", ".join(fields))
            flat.update({fields[k]: v for k, v in table.items() if k in fields})
        if "indicator_weights" not in data:
            problems.add("nyckeln saknas.", column="indicator_weights",
                         fix="lägg till en tabell [indicator_weights] med minst en indikator")
        problems.raise_if_any()
        options = {k: v for k, v in data.items()
                   if k not in {"prevmap_settings", "indicator_weights", "domain_weights",
                                *SECTIONS}} | flat
        for key in ("concentration", "tier_high_p", "tier_raised_p"):
            if key in options:
                options[key] = _as_float(options[key])
        try:
            return cls.create(data["indicator_weights"], data.get("domain_weights"), **options)
        except SettingsError as err:   # named as in the file: "tiers.raised_p"
            raise SettingsError([replace(p, source=source, column=_FILE_KEYS.get(p.column,
                                                                                   p.column))
                                 for p in err.problems]) from None
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
                    missing=self.missing, flag_threshold=self.flag_threshold, top_n=self.top_n,
                    domain_weights=dict(self.domain_weights),
                    indicator_weights=dict(self.indicator_weights))
        for section, fields in SECTIONS.items():
            data[section] = {key: getattr(self, name) for key, name in fields.items()}
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

    def with_changes(self, **changes: Any) -> AnalysisSettings:
        return replace(self, **changes)

    def equivalent(self, other: AnalysisSettings) -> bool:
        """Same analysis, ignoring name and description (a domain not listed weighs 1)."""
        method = ("normalisation", "aggregation", "missing", "flag_threshold", "top_n",
                  *(name for fields in SECTIONS.values() for name in fields.values()))
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
