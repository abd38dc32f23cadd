"""The inputs of an analysis: areas, indicator table, catalogue and history, read and validated
at the boundary; the bundled default files and profiles."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import pandas as pd

from geo.cache import content_digest, digest_of
from geo.io.areas import Areas, read_areas
from geo.io.files import (
    SourceInfo,
    mark_synthetic,
    read_catalogue,
    read_settings,
    read_source_info,
)
from geo.io.indicator_files import IndicatorRead, read_indicator_files, text_columns
from geo.io.safe_files import read_table_file
from geo.io.scb_open import LINK_SOURCE, SCB_DESO, deso_regso_link
from geo.io.scb_wide import one_column_count
from indicators.catalogue import Catalogue, extended_catalogue
from indicators.codes import (
    DESO,
    REGSO,
    check_code_match,
    looks_like_codes,
    normalise_area_codes,
)
from indicators.columns import AREA_ID, AREA_NAME, SYNTHETIC_MARK
from indicators.disclosure import Held
from indicators.errors import IndicatorTableError
from indicators.levels import aggregate_to_level
from indicators.method import Section
from indicators.settings import AnalysisSettings, settings_for_catalogue, settings_for_table
from indicators.table import available_indicators, column_uses, validate_indicator_table
from indicators.trends import split_years
from indicators.validation import stored_section

DATA_DIR = Path(__file__).resolve().parents[1] / "data"


DEFAULT_AREAS = DATA_DIR / "areas" / "huddinge_regso_2025.parquet"


DEMO_INDICATORS = DATA_DIR / "demo" / "huddinge_demo_indicators.csv"
"""The SYNTHETIC demo table with all six domains (what :func:`load_inputs` reads by default)."""


REAL_INDICATORS = SCB_DESO
"""The embedded real data (SCB's public DeSO statistics, all of Sweden): what a user gets
by default, in ``prevmap export`` and in the app."""


DEFAULT_HISTORY = DATA_DIR / "demo" / "huddinge_demo_historik.csv"


DEMO_YEAR = 2024


DEFAULT_CATALOGUE = DATA_DIR / "indicator_catalogue.csv"


SCB_CATALOGUE = DATA_DIR / "catalogue_scb.csv"
"""The catalogue of SCB's counts (:mod:`geo.io.scb_wide`): fetched or uploaded SCB tables."""


PROFILES_DIR = DATA_DIR / "profiles"


VALIDATION = DATA_DIR / "validation" / "extern_validering.md"
"""The external validation of the default analysis, written by
``benchmarks/validate_external.py``: the method page's section on it."""


def validation_section() -> Section | None:
    """The method page's section on the external validation (None when the file is
    missing, e.g. removed from a copy)."""
    if not VALIDATION.is_file():
        return None
    return _stored_validation(VALIDATION.stat().st_mtime_ns)


@lru_cache(maxsize=1)
def _stored_validation(_mtime_ns: int) -> Section:
    """The section, read once per version of the file (the method page is built on every
    rerun of the app's method tab and for every export)."""
    return stored_section(VALIDATION.read_text(encoding="utf-8"))


DEFAULT_PROFILE = PROFILES_DIR / "bred_prevention.toml"


@dataclass(frozen=True, eq=False)
class Inputs:
    areas: Areas
    table: pd.DataFrame
    table_source: SourceInfo
    table_name: str
    catalogue: Catalogue
    year: int | None = None
    history: tuple[tuple[int, pd.DataFrame], ...] = ()
    """Earlier years' validated tables, oldest first (for trends)."""
    notes: tuple[str, ...] = ()
    """What reading and fitting the table did (codes normalised, DeSO summed to RegSO,
    rows of other kommuner set aside): shown with the map."""
    missing: pd.DataFrame | None = None
    """Missing cells with SCB's symbol and its meaning: area_id, column, symbol, reason."""
    columns: tuple[tuple[str, str, str], ...] = ()
    """What became of each column of the file(s): (column, use, why); see
    :func:`indicators.table.column_uses`."""
    held: Held | None = None
    """The counts as held before they were summed or moved to these areas (DeSO summed to
    RegSO, areas to kommundelar or merged groups); None: ``table`` is as held. Disclosure
    control censors the held counts before they are carried here
    (:func:`geo.analysis.protect_inputs`), so that no coarser area contains an exact
    hidden count."""
    carried: pd.DataFrame | None = None
    """After :func:`geo.analysis.protect_inputs`: the bands (``area_id``, ``column``,
    ``low``, ``high``) of the counts that hidden held counts were summed into, which the
    Monte Carlo varies; None when there are none."""
    areas_digest: str = field(init=False, repr=False)
    """Hex SHA-256 of the areas (ids, names, geometry as WKB, CRS, source, repairs, notes),
    taken once when the inputs are made: hashing the geometry of Sweden's RegSO costs
    about 0.2 s, too much for every weight change. Areas are validated at the boundary
    and never changed after (maps and caches share their geometry)."""
    _kept_digest: str | None = field(init=False, default=None, repr=False)
    """:attr:`digest` as taken by :meth:`keep_digest`; None (always, after ``replace``,
    which makes new inputs): hashed anew on every call."""

    def __post_init__(self) -> None:
        areas = self.areas
        object.__setattr__(self, "areas_digest", digest_of(
            [areas.frame, areas.source, areas.repairs, areas.notes]))
        object.__setattr__(self, "_kept_digest", None)

    @property
    def synthetic(self) -> bool:
        return self.table_source.synthetic or self.areas.source.synthetic

    @property
    def digest(self) -> str:
        """Hex SHA-256 of everything here: :attr:`areas_digest`, the validated table by
        its content, its source and name, the catalogue, the year and every year of the
        history. Two inputs with the same digest give the same analysis; a corrected file
        with the same name and row count gets a new one. The tables are hashed anew on
        every call (1–6 ms; a frame can be changed in place, so it is not memoised), unless
        :meth:`keep_digest` took it once for inputs that are never changed after."""
        if self._kept_digest is not None:
            return self._kept_digest
        history = [part for year, table in self.history for part in (year, table)]
        held = [] if self.held is None else [
            self.held.level, self.held.table, self.held.link, self.held.arrived,
            *(part for year, table in self.held.history for part in (year, table))]
        return content_digest(self.areas_digest, digest_of(
            [self.table, self.table_source, self.table_name, self.catalogue, self.year,
             self.notes, len(self.history), *history, self.missing, *held, self.carried]))

    def keep_digest(self) -> Inputs:
        """Take :attr:`digest` now and keep it; returns these inputs. Only for inputs that
        nothing changes after, which the shell's cache makes and keeps as one value
        (:func:`geo.analysis.protect_inputs`): every later rerun is handed that very
        object, so were one of its frames changed in place, the cache would hand out the
        changed frames under the old key anyway; keeping the digest adds no such risk.
        ``dataclasses.replace`` makes new inputs, whose digest is hashed again."""
        object.__setattr__(self, "_kept_digest", self.digest)
        return self


def load_inputs(areas: str | Path = DEFAULT_AREAS, indicators: str | Path = DEMO_INDICATORS,
                catalogue: str | Path = DEFAULT_CATALOGUE, *, id_column: str | None = None,
                name_column: str | None = None, history: str | Path | None = None,
                year: int | None = None) -> Inputs:
    """Read and validate all inputs at the boundary; the table is kept with numeric columns,
    so that a change of settings does not parse text again. The embedded demo table comes
    with its history (2021–2023) and its year (2024)."""
    if Path(indicators) == DEMO_INDICATORS and history is None:
        history, year = DEFAULT_HISTORY, year or DEMO_YEAR
    return inputs_for_areas(read_areas(areas, id_column=id_column, name_column=name_column),
                            indicators, catalogue, history=history, year=year)


def read_history(path: str | Path, catalogue: Catalogue) -> tuple[tuple[int, pd.DataFrame], ...]:
    """Earlier years from one long table with a year column (``ar``, ``år`` or ``year``),
    each year validated like the main table."""
    path = Path(path)
    tables = split_years(read_table_file(path))
    return tuple((year, validate_indicator_table(table.reset_index(), catalogue,
                                                 f"{path.name}, år {year}").reset_index())
                 for year, table in tables.items())


def level_of_areas(areas: Areas) -> str | None:
    """``'deso'``, ``'regso'`` or ``'kommun'`` for SCB's areas; None for own districts."""
    ids = areas.frame[AREA_ID]
    if not looks_like_codes(ids):
        return None
    return normalise_area_codes(list(ids), source=areas.source.title, column=AREA_ID).level


OWN_IDS = "egna id"
"""The level of the municipality's own district ids, in messages."""


@dataclass(frozen=True)
class Fitted:
    """A table fitted to a map's areas (:func:`fit_to_areas`)."""

    table: pd.DataFrame
    notes: tuple[str, ...]
    missing: pd.DataFrame
    held: Held | None = None
    """The DeSO counts before they were summed to RegSO (None: not summed)."""


def fit_to_areas(read: IndicatorRead, areas: Areas, catalogue: Catalogue) -> Fitted:
    """The table as the map needs it, every step said in :attr:`Fitted.notes`:

    * rows of kommuner outside the map are set aside (a national table for one kommun);
    * a DeSO table for a map of RegSO is summed through SCB's link DeSO 2018 -> RegSO 2020
      (:func:`geo.io.scb_open.deso_regso_link`): the catalogue's counts are summed, rates
      are recomputed from them by the analysis, other numeric columns are left out (they
      cannot be summed without knowing what they are);
    * codes that do not fit the map (fewer than half of its areas found) are refused with
      :func:`indicators.codes.check_code_match` (another level, kommun or vintage).
    """
    table, missing = read.table, read.missing
    held = None
    notes: list[str] = []
    level, map_level = read.level, level_of_areas(areas)
    map_ids = list(areas.frame[AREA_ID].astype(str))
    kommuner = {code[:4] for code in map_ids}
    if level in (DESO, REGSO) and map_level in (DESO, REGSO):
        own = table[AREA_ID].str[:4].isin(kommuner)
        if own.any() and not own.all():
            others = sorted(set(table.loc[~own, AREA_ID].str[:4]))
            notes.append(f"{read.name}: tabellen gäller {len(others) + len(kommuner)} kommuner; "
                         f"de {int((~own).sum())} raderna för kommuner utanför kartan "
                         f"({', '.join(others[:5])}{' …' if len(others) > 5 else ''}) används "
                         "inte")
            table = table[own.to_numpy()].reset_index(drop=True)
            missing = missing[missing[AREA_ID].str[:4].isin(kommuner)]
    if level == DESO and map_level == REGSO:
        link = deso_regso_link()
        link = link[link["from_id"].str[:4].isin(kommuner)]
        known = set(link["from_id"])
        check_code_match(table[AREA_ID], known, source=read.name, column=read.key_columns[0],
                         table_level=DESO, area_level=DESO, vintages=read.vintages)
        counts = [c for ind in catalogue.values() if ind.is_rate for c in ind.columns
                  if c in table.columns]
        counts = list(dict.fromkeys(counts))
        text = text_columns(table)
        left = [c for c in table.columns if c not in (AREA_ID, AREA_NAME, *counts, *text)]
        aggregation = aggregate_to_level(table, link, counts=counts, source=read.name)
        aggregated = aggregation.frame
        notes.append(f"{read.name}: tabellen har DeSO-koder; {len(table)} DeSO summerades till "
                     f"{len(aggregated)} RegSO med {LINK_SOURCE}: antalen summeras och "
                     "andelarna räknas om från dem")
        if left:
            notes.append(f"{read.name}: kolumnerna {', '.join(repr(c) for c in left[:8])} "
                         "summeras inte till RegSO (katalogen säger inte att de är antal) och "
                         "används inte")
        notes.extend(aggregation.messages())
        names = dict(zip(areas.frame[AREA_ID].astype(str), areas.frame[AREA_NAME].astype(str),
                         strict=True))
        renamed = [f"{code} ({old} → {names[code]})" for code, old in
                   zip(aggregated[AREA_ID], aggregated[AREA_NAME], strict=True)
                   if code in names and str(old).casefold() != names[code].casefold()]
        if renamed:
            notes.append(f"{len(renamed)} RegSO heter annorlunda i statistikens indelning "
                         f"(RegSO 2020) än i kartans (RegSO 2025); koden avgör, kontrollera "
                         f"att de avser samma område: {', '.join(renamed[:6])}")
        numbers = table[counts].apply(pd.to_numeric, errors="coerce").astype(float)
        held = Held(DESO, pd.concat([table[[AREA_ID]], numbers], axis=1).reset_index(drop=True),
                    link.assign(weight=1.0)[["from_id", AREA_ID, "weight"]]
                    .reset_index(drop=True),
                    arrived=arrived_cells(missing))
        members = link.set_index("from_id")[AREA_ID]
        missing = missing.assign(**{AREA_ID: missing[AREA_ID].map(members).fillna(
            missing[AREA_ID]), "reason": "DeSO " + missing[AREA_ID] + ": " + missing["reason"]})
        table, level = aggregated.drop(columns=[AREA_NAME]), REGSO
    check_code_match(table[AREA_ID], map_ids, source=read.name, column=read.key_columns[0],
                     table_level=level or OWN_IDS, area_level=map_level or OWN_IDS,
                     vintages=read.vintages)
    return Fitted(table.reset_index(drop=True), tuple(notes), missing.reset_index(drop=True),
                  held)


def arrived_cells(missing: pd.DataFrame | None) -> pd.DataFrame:
    """The cells of ``missing`` that arrived hidden as small counts (SCB's ``..`` in a
    count of its own, :func:`geo.io.scb_wide.one_column_count`): censored as 1–4, not
    missing. A '..' in one part of a count summed from several stays missing: the whole
    is not small."""
    if missing is None or "symbol" not in missing:
        return pd.DataFrame(columns=[AREA_ID, "column"])
    hidden = missing[(missing["symbol"].astype(str) == "..")
                     & missing["column"].map(one_column_count)]
    return hidden[[AREA_ID, "column"]].reset_index(drop=True)


CATALOGUES = (DEFAULT_CATALOGUE, SCB_CATALOGUE)
"""The shipped catalogues; a table without a chosen catalogue gets the one that makes the
most indicators of its columns (the first on a tie)."""


def catalogue_for(columns: Sequence[str], requested: str | Path | None = None) -> Path:
    """The catalogue a table is read with: ``requested`` unless it is None or the default
    catalogue, else the shipped catalogue under which the most indicators are available
    (on a tie, the one of which the largest share is available: one SCB table of education
    fits both catalogues, but is one sixth of SCB's and one fifteenth of the default)."""
    if requested is not None and Path(requested) != DEFAULT_CATALOGUE:
        return Path(requested)
    frame = pd.DataFrame(columns=list(columns))
    found = []
    for path in CATALOGUES:
        catalogue = read_catalogue(path)
        n = len(available_indicators(frame, catalogue))
        found.append((n, n / max(len(catalogue), 1)))
    return CATALOGUES[found.index(max(found))]


def inputs_for_areas(areas: Areas, indicators: str | Path | Sequence[str | Path],
                     catalogue: str | Path | None = None, *,
                     history: str | Path | None = None, year: int | None = None,
                     own: Sequence[Mapping[str, str]] = ()) -> Inputs:
    """Inputs from areas already read and one or several indicator files (CSV, Excel,
    Parquet, SCB Statistikdatabasen exports as downloaded, SCB's wide DeSO table), read by
    the one reading path (:func:`geo.io.indicator_files.read_indicator_files`) and fitted to
    the areas (:func:`fit_to_areas`). The catalogue follows the table
    (:func:`catalogue_for`) unless another than the default is given; ``own`` are the
    user's own indicators added to it (:func:`indicators.catalogue.extended_catalogue`)."""
    paths = [Path(indicators)] if isinstance(indicators, str | Path) else list(map(Path,
                                                                                 indicators))
    read = read_indicator_files(paths)
    catalogue_path = catalogue_for(list(read.table.columns), catalogue)
    cat = read_catalogue(catalogue_path)
    if own:
        cat = extended_catalogue(cat, own)
    fitted = fit_to_areas(read, areas, cat)
    table = validate_indicator_table(fitted.table, cat, read.name)
    past = read_history(history, cat) if history is not None else ()
    if year is not None and any(y >= year for y, _ in past):
        raise IndicatorTableError(f"fil '{Path(history).name}': historiken innehåller år "
                                  f"{', '.join(str(y) for y, _ in past if y >= year)}, inte "
                                  f"före huvudtabellens år {year}.")
    source = read_source_info(paths[0])
    if len(paths) > 1:
        infos = [read_source_info(p) for p in paths]
        source = replace(source, title=" + ".join(p.name for p in paths),
                         source="; ".join(dict.fromkeys(i.source for i in infos)),
                         date=max(i.date for i in infos),
                         synthetic=any(i.synthetic for i in infos))
    scb = read.scb
    if scb:
        source = replace(source, title=f"{scb['title']} ({read.name})",
                         source=f"SCB Statistikdatabasen, tabell {scb['table_code']}",
                         date=scb["year"] or source.date,
                         note="SCB:s tabell som den laddades ned, omräknad till katalogens "
                              "antal (data/catalogue_scb.csv)")
    columns = column_uses([c for c in read.table.columns if c not in (AREA_ID, AREA_NAME)],
                          cat, ignore=(SYNTHETIC_MARK,), text=text_columns(read.table))
    notes = (*read.notes, *fitted.notes)
    if catalogue_path != DEFAULT_CATALOGUE and (catalogue is None
                                                or Path(catalogue) == DEFAULT_CATALOGUE):
        notes += (f"katalogen {catalogue_path.name} valdes: den gör flest indikatorer av "
                  "tabellens kolumner",)
    marked = read.table.copy(deep=False)
    marked.attrs["notes"] = read.file_notes     # shown with the source, as from every reader
    return Inputs(areas=areas, table=table.reset_index(),
                  table_source=mark_synthetic(source, marked),
                  table_name=read.name, catalogue=cat, year=year, history=past,
                  notes=tuple(notes), missing=fitted.missing, columns=tuple(columns),
                  held=fitted.held)


def list_profiles(directory: Path = PROFILES_DIR) -> dict[str, AnalysisSettings]:
    """The named analysis profiles shipped in ``data/profiles``, by their Swedish name."""
    profiles = {}
    for path in sorted(directory.glob("*.toml")):
        settings = read_settings(path)
        profiles[settings.name or path.stem] = settings
    return profiles


def default_settings(inputs: Inputs) -> tuple[AnalysisSettings, list[str]]:
    """The settings a table is ranked with when the user gave none (the command line): the
    first shipped profile (by file name) that fits the catalogue and chooses some of the
    table's indicators (:func:`indicators.settings.settings_for_catalogue`, as the app
    does), restricted to the indicators the table has, and a note naming those of the
    profile it lacks. A table with no indicator at all is a named error listing its
    columns and what to do."""
    available = available_indicators(inputs.table, inputs.catalogue)
    if not available:
        raise IndicatorTableError(
            f"fil '{inputs.table_name}': ingen av tabellens kolumner är en indikator i "
            f"katalogen ({len(inputs.catalogue)} indikatorer). Kolumner: "
            + ", ".join(f"'{c}' ({why})" for c, _, why in inputs.columns[:8])
            + ". Åtgärd: döp kolumnerna som katalogens täljare och nämnare (mallen visar "
              "dem: prevmap mall), eller ange en egen katalog med --catalogue.")
    profiles = list_profiles()
    profile, _ = settings_for_catalogue(None, (), inputs.catalogue, profiles, available)
    settings = settings_for_table(profile, available, profiles)
    lacking = [inputs.catalogue[i].name for i in profile.indicators if i not in available]
    notes = [f"profilen '{profile.name}': {len(lacking)} av {len(profile.indicators)} "
             f"indikatorer saknas i tabellen och ingår inte: {', '.join(lacking)}"] if lacking \
        else []
    return settings, notes
