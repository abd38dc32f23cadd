"""The map of one analysis: the choropleth with robustness tooltips and overlays (hot and
cold spots, uncertain placement, comparisons)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import folium
import pandas as pd

from geo.analysis import Analysis, robustness_details
from geo.maps.choropleth import page_from_view
from geo.maps.mapview import MapView, area_view
from geo.sources import kommuner
from geo.spatial.layers import MapOverlay
from indicators.columns import (
    AREA_ID,
    AREA_NAME,
    SCORE,
)
from indicators.errors import AreaFileError


def robustness_overlays(analysis: Analysis) -> tuple[MapOverlay, ...]:
    """Hot and cold spots (Gi*) and areas whose place in the top k is uncertain."""
    frame = analysis.inputs.areas.frame.set_index(AREA_ID)
    out = []
    if analysis.hotspots is not None and "score" in analysis.hotspots.variables:
        labels = analysis.hotspots.for_variable("score")["gi_label"]
        for label, name, colour in (("Het punkt", "Heta punkter (Gi*, FDR)", "#b2182b"),
                                    ("Kall punkt", "Kalla punkter (Gi*, FDR)", "#2166ac")):
            ids = [a for a in labels.index[labels == label] if a in frame.index]
            if ids:
                shown = frame.loc[ids].reset_index().assign(Kluster=label)
                out.append(MapOverlay(name, shown, (AREA_NAME, "Kluster"), colour))
    if analysis.assessment is not None:
        unsure = analysis.assessment.uncertain()
        ids = [a for a in unsure.index[unsure] if a in frame.index]
        if ids:
            k = analysis.assessment.top_k
            shown = frame.loc[ids].reset_index().assign(
                Placering=f"osäkert om området hör till de {k} första")
            out.append(MapOverlay("Osäker placering", shown, (AREA_NAME, "Placering"),
                                  "#4d4d4d"))
    return tuple(out)


def build_analysis_map(analysis: Analysis, *, tiles: str | None = None,
                       created: dt.date | None = None, kommun: str | None = None,
                       extra_overlays: tuple[MapOverlay, ...] = (),
                       extra_details: pd.DataFrame | None = None) -> folium.Map:
    """The analysis map as a page (:func:`analysis_view` for the arguments)."""
    view = analysis_view(analysis, created=created, kommun=kommun,
                         extra_overlays=extra_overlays, extra_details=extra_details)
    return page_from_view(view, tiles=tiles, layer_name="Sammanvägt behov")


def analysis_view(analysis: Analysis, *, created: dt.date | None = None,
                  kommun: str | None = None, extra_overlays: tuple[MapOverlay, ...] = (),
                  extra_details: pd.DataFrame | None = None, settings: bool = True) -> MapView:
    """The analysis map's view; with ``kommun`` (a kommun code) only that kommun's areas,
    still with the ranks of the whole analysis (the drill-down from a län or Sweden).
    ``extra_overlays`` and ``extra_details`` (tooltip lines per area, index ``area_id``) add
    other layers, e.g. the resources in the areas (:mod:`geo.maps.resources`).
    ``settings=False``: the app's map, whose sources box leaves out the method and the
    settings (the app shows them on pages of their own)."""
    comparison = analysis.comparison
    details = robustness_details(analysis)
    if comparison is not None:
        details = details.join(comparison.tooltip_details(), how="outer")
    if extra_details is not None:   # lines the comparisons already show are not repeated
        details = details.join(extra_details.drop(
            columns=[c for c in extra_details.columns if c in details.columns]), how="outer")
    joined, title = analysis.joined, analysis.title
    shown = {o.name for o in comparison.overlays} if comparison is not None else set()
    overlays = robustness_overlays(analysis) + tuple(
        o for o in extra_overlays if o.name not in shown)
    classify_on, classes_of = None, None
    if kommun is not None:
        joined = joined[joined[AREA_ID].astype(str).str.startswith(kommun)]
        if joined.empty:
            raise AreaFileError(f"inga områden i analysen hör till kommun {kommun}.")
        title = (f"{title.split(' – ')[0]} – {kommuner().get(kommun, kommun)} ({kommun}), "
                 f"rangordnad inom {analysis.inputs.areas.source.title}")
        keep = set(joined[AREA_ID])
        overlays = tuple(
            replace(o, frame=o.frame[o.frame[AREA_ID].isin(keep)])
            if AREA_ID in o.frame.columns else o for o in overlays)
        overlays = tuple(o for o in overlays if len(o.frame))
        classify_on = analysis.joined[SCORE].to_numpy(dtype=float)
        classes_of = "alla områden i analysen"
    method = [(s.heading, s.paragraphs) for s in analysis.method_page()] if settings else []
    return area_view(joined, analysis.result, title=title, sources=analysis.sources,
                     created=created, notes=analysis.notes(),
                     overlays=(*overlays, *(comparison.overlays if comparison else ())),
                     details=details if len(details.columns) else None, method=method,
                     classify_on=classify_on, classes_of=classes_of, digest=analysis.digest,
                     settings=settings)

