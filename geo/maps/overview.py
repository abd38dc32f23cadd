"""The overview of a län or of all of Sweden: one polygon per kommun, coloured by the share
of its areas that the ranking puts in *Hög prioritet*; a click on a kommun drills down to
its own areas (:func:`geo.maps.analysis_map.build_analysis_map` with ``kommun=``).

The ranking is the whole scope's (all RegSO of the län or of Sweden are ranked together);
the overview only summarises it per kommun, so a kommun's 40 RegSO and another's 3 are
compared by share, with the counts in the tooltip. The kommun polygons are the union of
their areas' display geometry (:mod:`geo.spatial.display`), so the borders are the areas' own.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.analysis import TIER, Analysis, robustness_columns
from geo.maps.choropleth import page_from_view
from geo.maps.mapview import (
    PALETTE,
    MapView,
    area_display_geometry,
    context_json,
    context_legend_rows,
    encoded,
    escape_text,
    map_shape,
    page_title,
    sources_panel,
    title_panel,
)
from geo.spatial.context import map_context
from geo.spatial.display import DisplayGeometry
from indicators.columns import AREA_ID, RANK
from indicators.errors import AreaFileError
from indicators.swedish import format_number
from indicators.tiers import TIERS

KOMMUN_CODE = "kommun_kod"
KOMMUN_NAME = "kommun"
N_AREAS = "Områden"
N_HIGH = "Hög prioritet"
N_RAISED = "Förhöjd"
SHARE_HIGH = "Andel med hög prioritet (%)"
BEST_RANK = "Bästa rang"
#: Class limits of the share in Hög prioritet, in per cent: 0, (0, 10], (10, 25], (25, 50],
#: above 50. Fixed, so that two overviews (two years, two profiles) read alike.
SHARE_LIMITS = (0.0, 10.0, 25.0, 50.0)
SHARE_LABELS = ("0 %", "under 10 %", "10–25 %", "25–50 %", "över 50 %")


def kommun_codes(area_ids: pd.Series) -> pd.Series:
    """The kommun code of each area: the first four digits of a RegSO or DeSO code."""
    codes = area_ids.astype(str).str[:4]
    bad = area_ids[~codes.str.fullmatch(r"\d{4}")]
    if len(bad):
        raise AreaFileError("översikten per kommun kräver RegSO- eller DeSO-koder som börjar "
                            "med kommunkoden; dessa gör det inte: "
                            + ", ".join(map(str, bad.head(5))) + ".")
    return codes


def kommun_overview(analysis: Analysis, *, max_bytes: int | None = None
                    ) -> gpd.GeoDataFrame:
    """One row per kommun (EPSG:4326, sorted by code): number of areas, how many in each
    tier, the share in Hög prioritet and the best rank, with the kommun as the union of its
    areas' display geometry."""
    from geo.sources import kommuner

    joined = analysis.joined
    tiers = robustness_columns(analysis).get(TIER, pd.Series(dtype=str))
    frame = pd.DataFrame({AREA_ID: joined[AREA_ID].to_numpy(),
                          RANK: joined[RANK].to_numpy(dtype=float)})
    frame[KOMMUN_CODE] = kommun_codes(frame[AREA_ID]).to_numpy()
    frame[TIER] = frame[AREA_ID].map(tiers).fillna("").to_numpy()
    polygons = kommun_polygons(area_display_geometry(joined, max_bytes=max_bytes),
                               tuple(frame[KOMMUN_CODE]))
    by_kommun = frame.groupby(KOMMUN_CODE, sort=True)
    codes = list(by_kommun.groups)
    n_areas = by_kommun.size()
    n_high = (frame[TIER] == TIERS[0]).groupby(frame[KOMMUN_CODE], sort=True).sum()
    names = kommuner()
    out = pd.DataFrame({
        KOMMUN_CODE: codes, KOMMUN_NAME: [names.get(c, c) for c in codes],
        N_AREAS: n_areas.to_numpy(), N_HIGH: n_high.to_numpy(dtype=int),
        N_RAISED: (frame[TIER] == TIERS[1]).groupby(frame[KOMMUN_CODE], sort=True).sum()
        .to_numpy(dtype=int),
        SHARE_HIGH: (100 * n_high / n_areas).round(1).to_numpy(),
        BEST_RANK: by_kommun[RANK].min().to_numpy()})
    return gpd.GeoDataFrame(out, geometry=[polygons[c] for c in codes], crs=4326)


_POLYGONS: OrderedDict[tuple[int, tuple[str, ...]],
                       tuple[DisplayGeometry, dict[str, object]]] = OrderedDict()
_POLYGONS_LOCK = threading.Lock()


def kommun_polygons(shown: DisplayGeometry, codes: tuple[str, ...]) -> dict[str, object]:
    """Each kommun as the union of its areas' display borders (``codes``: the kommun of each
    row), remembered per display geometry: a weight change does not redo the unions."""
    key = (id(shown), codes)
    with _POLYGONS_LOCK:
        if key in _POLYGONS and _POLYGONS[key][0] is shown:
            _POLYGONS.move_to_end(key)
            return _POLYGONS[key][1]
    geoms = shown.geometry.to_numpy()
    groups = pd.Series(np.arange(len(codes))).groupby(list(codes), sort=True)
    union = shapely.coverage_union_all if shown.coverage_valid else shapely.union_all
    polygons = {code: union(geoms[rows.to_numpy()]) for code, rows in groups}
    with _POLYGONS_LOCK:
        _POLYGONS[key] = (shown, polygons)   # holds ``shown``: its id stays its own
        while len(_POLYGONS) > 4:
            _POLYGONS.popitem(last=False)
    return polygons


def _share_class(share: np.ndarray) -> np.ndarray:
    """0 for 0 %, then one class per limit in :data:`SHARE_LIMITS` above 0."""
    return np.where(share <= 0, 0, np.searchsorted(SHARE_LIMITS[1:], share, side="left") + 1)


def _columns(overview: gpd.GeoDataFrame, n_ranked: int) -> tuple[list, list, list]:
    """The overview's tooltip columns, fixed (name and code) and of the ranking (the
    counts, the best rank), and the template, which ends with how to drill down."""
    counts = [f"{row[N_AREAS]} områden, varav {row[N_HIGH]} med hög prioritet och "
              f"{row[N_RAISED]} förhöjda ({format_number(row[SHARE_HIGH], 1)} % hög)"
              for row in overview.to_dict("records")]
    best = ["ingen rang" if pd.isna(r) else f"{int(r)} av {format_number(n_ranked, 0)}"
            for r in overview[BEST_RANK]]
    fixed = [[escape_text(v) for v in overview[KOMMUN_NAME]],
             [escape_text(v) for v in overview[KOMMUN_CODE]]]
    template = [["<b>{}</b> ({})", 0, 1], ["{}", 2], ["Bästa rang: {}", 3],
                ["Klicka för kommunens områden"]]
    return fixed, [counts, best], template


def overview_view(analysis: Analysis, overview: gpd.GeoDataFrame, *,
                  created: dt.date | None = None, settings: bool = True) -> MapView:
    """The compact map view of ``overview`` (:func:`kommun_overview`): the kommuner coloured
    by their share of areas in Hög prioritet, row ``i`` the overview's row ``i`` (the app
    drills down to its ``kommun_kod`` on a click), over the kommuner around them and the
    water (:mod:`geo.spatial.context`; for all of Sweden only the water)."""
    colours = PALETTE[5]
    around = map_context(overview.geometry.to_numpy())
    classes = _share_class(overview[SHARE_HIGH].to_numpy(dtype=float))
    n_ranked = int(analysis.result.score.notna().sum())
    fixed, columns, template = _columns(overview, n_ranked)
    rows = "".join(f'<div><i style="background:{colour}"></i>{label}</div>'
                   for colour, label in reversed(list(zip(colours, SHARE_LABELS, strict=True))))
    legend = ('<div class="pm-panel pm-legend"><b>Andel områden med hög prioritet</b><br>'
              f"<small>{escape_text(TIERS[0])}: {escape_text(_tier_rule(analysis))}</small>"
              + rows + "".join(context_legend_rows(around)) + "</div>")
    title = f"Översikt per kommun – {analysis.title}"
    shown = area_display_geometry(analysis.joined)
    shape = map_shape(overview.geometry.to_numpy(), shown.decimals, fixed=fixed,
                      context=context_json(around))
    created = created or dt.date.today()
    method = [(s.heading, s.paragraphs) for s in analysis.method_page()] if settings else []
    values = {"fill": encoded([colours[c] for c in classes]),
              "columns": [encoded(c) for c in columns], "template": template, "outlines": []}
    panels = {"title": title_panel(title, analysis.result, analysis.sources),
              "page_title": page_title(title, analysis.sources), "legend": legend,
              "sources": sources_panel(analysis.result, analysis.sources, created,
                                       analysis.notes(), method, settings=settings)}
    return MapView(shape, values, panels)


def build_overview_map(analysis: Analysis, overview: gpd.GeoDataFrame, *,
                       tiles: str | None = None, created: dt.date | None = None) -> folium.Map:
    """The kommuner of ``overview`` (:func:`kommun_overview`) coloured by their share of
    areas in Hög prioritet, as an exported page (:func:`overview_view`)."""
    return page_from_view(overview_view(analysis, overview, created=created), tiles=tiles,
                          layer_name="Kommuner", boundary=None)


def _tier_rule(analysis: Analysis) -> str:
    a = analysis.assessment
    if a is None:
        return "ingen osäkerhetsberäkning"
    return (f"bland de {a.top_k} med störst behov i minst "
            f"{round(analysis.settings.tiers.high_p * 100)} % av beräkningarna")
