"""The inputs of an analysis: areas, indicator table, catalogue and history, read and validated
at the boundary; the bundled default files and profiles."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
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
from geo.io.safe_files import read_table_file
from geo.io.scb_upload import read_indicator_upload
from indicators.catalogue import Catalogue
from indicators.errors import IndicatorTableError
from indicators.settings import AnalysisSettings
from indicators.table import validate_indicator_table
from indicators.trends import split_years

DATA_DIR = Path(__file__).resolve().parents[1] / "data"


DEFAULT_AREAS = DATA_DIR / "areas" / "huddinge_regso_2025.parquet"


DEFAULT_INDICATORS = DATA_DIR / "demo" / "huddinge_demo_indicators.csv"


DEFAULT_HISTORY = DATA_DIR / "demo" / "huddinge_demo_historik.csv"


DEMO_YEAR = 2024


DEFAULT_CATALOGUE = DATA_DIR / "indicator_catalogue.csv"


SCB_CATALOGUE = DATA_DIR / "catalogue_scb.csv"
"""The catalogue of SCB's counts (:mod:`geo.io.scb_wide`): fetched or uploaded SCB tables."""


PROFILES_DIR = DATA_DIR / "profiles"


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
    areas_digest: str = field(init=False, repr=False)
    """Hex SHA-256 of the areas (ids, names, geometry as WKB, CRS, source, repairs, notes),
    taken once when the inputs are made: hashing the geometry of Sweden's RegSO costs
    about 0.2 s, too much for every weight change. Areas are validated at the boundary
    and never changed after (maps and caches share their geometry)."""

    def __post_init__(self) -> None:
        areas = self.areas
        object.__setattr__(self, "areas_digest", digest_of(
            [areas.frame, areas.source, areas.repairs, areas.notes]))

    @property
    def synthetic(self) -> bool:
        return self.table_source.synthetic or self.areas.source.synthetic

    @property
    def digest(self) -> str:
        """Hex SHA-256 of everything here: :attr:`areas_digest`, the validated table by
        its content, its source and name, the catalogue, the year and every year of the
        history. Two inputs with the same digest give the same analysis; a corrected file
        with the same name and row count gets a new one. The tables are hashed anew on
        every call (1–6 ms; a frame can be changed in place, so it is never memoised)."""
        history = [part for year, table in self.history for part in (year, table)]
        return content_digest(self.areas_digest, digest_of(
            [self.table, self.table_source, self.table_name, self.catalogue, self.year,
             len(self.history), *history]))


def load_inputs(areas: str | Path = DEFAULT_AREAS, indicators: str | Path = DEFAULT_INDICATORS,
                catalogue: str | Path = DEFAULT_CATALOGUE, *, id_column: str | None = None,
                name_column: str | None = None, history: str | Path | None = None,
                year: int | None = None) -> Inputs:
    """Read and validate all inputs at the boundary; the table is kept with numeric columns,
    so that a change of settings does not parse text again. The embedded demo table comes
    with its history (2021–2023) and its year (2024)."""
    if Path(indicators) == DEFAULT_INDICATORS and history is None:
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


def inputs_for_areas(areas: Areas, indicators: str | Path,
                     catalogue: str | Path = DEFAULT_CATALOGUE, *,
                     history: str | Path | None = None, year: int | None = None) -> Inputs:
    """Inputs from areas already read and an indicator file (CSV, Excel, Parquet), or an
    SCB Statistikdatabasen export as downloaded (:mod:`geo.io.scb_upload`), which is read
    with SCB's catalogue when the default one was asked for."""
    indicators = Path(indicators)
    raw = read_table_file(indicators, reader=read_indicator_upload)
    scb = raw.attrs.get("scb")
    if scb and Path(catalogue) == DEFAULT_CATALOGUE:
        catalogue = SCB_CATALOGUE
    cat = read_catalogue(catalogue)
    table = validate_indicator_table(raw, cat, indicators.name)
    past = read_history(history, cat) if history is not None else ()
    if year is not None and any(y >= year for y, _ in past):
        raise IndicatorTableError(f"fil '{Path(history).name}': historiken innehåller år "
                                  f"{', '.join(str(y) for y, _ in past if y >= year)}, inte "
                                  f"före huvudtabellens år {year}.")
    source = read_source_info(indicators)
    if scb:
        source = replace(source, title=f"{scb['title']} ({indicators.name})",
                         source=f"SCB Statistikdatabasen, tabell {scb['table_code']}",
                         date=scb["year"] or source.date,
                         note="SCB:s tabell som den laddades ned, omräknad till katalogens "
                              "antal (data/catalogue_scb.csv)")
    return Inputs(areas=areas, table=table.reset_index(),
                  table_source=mark_synthetic(source, raw),
                  table_name=indicators.name, catalogue=cat, year=year, history=past)


def list_profiles(directory: Path = PROFILES_DIR) -> dict[str, AnalysisSettings]:
    """The named analysis profiles shipped in ``data/profiles``, by their Swedish name."""
    profiles = {}
    for path in sorted(directory.glob("*.toml")):
        settings = read_settings(path)
        profiles[settings.name or path.stem] = settings
    return profiles

