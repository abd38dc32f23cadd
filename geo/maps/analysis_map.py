"""The map of one analysis: the choropleth with robustness tooltips and overlays (hot and
cold spots, uncertain placement, comparisons)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import replace

import folium
import pandas as pd

from geo.analysis import (
    TIER,
    Analysis,
    published_values,
    robustness_columns,
    robustness_details,
)
from geo.maps.choropleth import page_from_view
from geo.maps.legend import Measure
from geo.maps.mapview import INDEX, MapView, area_view
from geo.recommend import recommendations
from geo.sources import kommuner
from geo.spatial.layers import MapOverlay
from indicators.columns import (
    AREA_ID,
    AREA_NAME,
    DOMAINS,
    SCORE,
)
from indicators.errors import AreaFileError, SettingsError
from indicators.recommendation import (
    FOCUS,
    INTENSITIES,
    INTENSITY,
    INTENSITY_MEANINGS,
    NO_RECOMMENDATION,
    focus_labels,
    focus_line_legend,
    focus_short,
)
from indicators.reference import KOMMUN, Reference
from indicators.tiers import NO_RANK, TIERS

#: What the map can show besides the indicators and domains (key -> Swedish label).
SHOW_INDEX, SHOW_TIER = "index", "prioritet"
#: The tiers' colours, most need first (categorical: a dark red, an orange, a pale yellow).
TIER_COLOURS = ((TIERS[0], "#bd0026"), (TIERS[1], "#fd8d3c"), (TIERS[2], "#ffffb2"))
#: The recommended approach (issue 19): the intensity as a category, most intensive first.
SHOW_APPROACH, APPROACH_LABEL = "angreppssatt", "Rekommenderat angreppssätt"
APPROACH_COLOURS = (("Intensiv", "#54278f"), ("Förstärkt", "#9e9ac8"), ("Bas", "#f2f0f7"))
FOCUS_LINE = "Fokus"
#: The overlay of the areas whose recommendation a samordnare changed (dashed outline).
OVERRIDDEN_LABEL, OVERRIDDEN_COLOUR = "Ändrad av samordnare", "#e66101"


def intensity_word(intensity: str) -> str:
    """The intensity as the map's category ("Intensiv"); "" without a recommendation."""
    return intensity[:1].upper() + intensity[1:] if intensity else ""


def approach_rule(reference: Reference = KOMMUN) -> str:
    """The approach legend's explanation: each intensity's meaning, most intensive first,
    and what the second line of an area's name is (its focus, above ``reference``)."""
    return ("; ".join(f"{intensity_word(i)}: {INTENSITY_MEANINGS[i]}"
                      for i in reversed(INTENSITIES))
            + f". Grått: {NO_RECOMMENDATION.lower()} (området saknar rang). "
            + focus_line_legend(reference))


def map_choices(analysis: Analysis) -> dict[str, str]:
    """What the analysis' map can show, key -> Swedish label: the composite index, the
    priority tier (when the uncertainty was computed), each domain's score, each
    indicator of the ranking. The keys are ``prevmap export --visa``'s values."""
    out = {SHOW_INDEX: "Sammanvägt behov"}
    if analysis.assessment is not None:
        out[SHOW_TIER] = "Prioritet"
        out[SHOW_APPROACH] = APPROACH_LABEL
    for domain in analysis.result.domain_scores.columns:
        out[domain] = f"Domän: {DOMAINS.get(domain, domain)}"
    for ind in analysis.result.indicators:
        out[ind.id] = f"Indikator: {ind.name}"
    return out


def map_measure(analysis: Analysis, show: str = SHOW_INDEX) -> Measure:
    """The :class:`Measure` for ``show`` (a key of :func:`map_choices`); an unknown key is
    refused with the valid ones named."""
    choices = map_choices(analysis)
    if show not in choices:
        raise SettingsError(f"kartan kan inte visa {show!r} (--visa). Välj en av: "
                            + ", ".join(choices) + ".")
    result, year = analysis.result, analysis.inputs.year
    when = f"år {year}" if year is not None else ""
    if show == SHOW_INDEX:
        return INDEX
    if show == SHOW_TIER:
        k = analysis.assessment.top_k
        tiers = robustness_columns(analysis)[TIER].astype(str)
        return Measure(show, "Prioritet", categories=tiers.where(tiers != NO_RANK, ""),
                       colours=TIER_COLOURS, rule=analysis.settings.tiers.text(k))
    if show == SHOW_APPROACH:
        rec = recommendations(analysis)
        return Measure(show, APPROACH_LABEL,
                       categories=rec.areas[INTENSITY].map(intensity_word),
                       colours=APPROACH_COLOURS, rule=approach_rule(rec.reference))
    if show in result.domain_scores.columns:
        return Measure(show, choices[show], values=result.domain_scores[show],
                       note="domänpoäng, högre = större behov")
    ind = analysis.inputs.catalogue[show]
    # as every output publishes it: a value hidden by disclosure control is missing (the
    # ranking computed with its band's midpoint, which is never shown)
    side = "högre" if ind.direction > 0 else "lägre"
    return Measure(show, ind.name, values=published_values(analysis)[show], direction=ind.direction,
                   unit=ind.unit, note=", ".join(p for p in (when, f"{side} värde = större behov")
                                                 if p))


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
                       extra_details: pd.DataFrame | None = None,
                       show: str = SHOW_INDEX, overridden: Collection[str] = ()) -> folium.Map:
    """The analysis map as a page (:func:`analysis_view` for the arguments)."""
    view = analysis_view(analysis, created=created, kommun=kommun,
                         extra_overlays=extra_overlays, extra_details=extra_details, show=show,
                         overridden=overridden)
    return page_from_view(view, tiles=tiles, layer_name=map_choices(analysis)[show])


def analysis_view(analysis: Analysis, *, created: dt.date | None = None,
                  kommun: str | None = None, extra_overlays: tuple[MapOverlay, ...] = (),
                  extra_details: pd.DataFrame | None = None, settings: bool = True,
                  show: str = SHOW_INDEX, overridden: Collection[str] = ()) -> MapView:
    """The analysis map's view; with ``kommun`` (a kommun code) only that kommun's areas,
    still with the ranks of the whole analysis (the drill-down from a län or Sweden).
    ``extra_overlays`` and ``extra_details`` (tooltip lines per area, index ``area_id``) add
    other layers, e.g. the resources in the areas (:mod:`geo.maps.resources`).
    ``settings=False``: the app's map, whose sources box leaves out the method and the
    settings (the app shows them on pages of their own). ``show`` is what the map
    colours (a key of :func:`map_choices`; by default the composite index).
    ``overridden``: the ids of the areas whose recommendation a samordnare changed, drawn
    with a dashed outline and the legend line "Ändrad av samordnare" (ids not on the map
    are left out)."""
    measure = map_measure(analysis, show)
    comparison = analysis.comparison
    details = robustness_details(analysis)
    hover = (TIER,)
    label_lines = None
    if show == SHOW_APPROACH:
        details = details.join(approach_details(analysis), how="outer")
        hover = (TIER, FOCUS_LINE)
        label_lines = focus_lines(analysis)
    if comparison is not None:
        details = details.join(comparison.tooltip_details(), how="outer")
    if extra_details is not None:   # lines the comparisons already show are not repeated
        details = details.join(extra_details.drop(
            columns=[c for c in extra_details.columns if c in details.columns]), how="outer")
    joined, title = analysis.joined, analysis.title
    shown = {o.name for o in comparison.overlays} if comparison is not None else set()
    overlays = robustness_overlays(analysis) + overridden_overlays(analysis, overridden) + tuple(
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
        if measure.values is None:
            whole = analysis.joined[SCORE].to_numpy(dtype=float)
        else:
            whole = measure.values.reindex(analysis.joined[AREA_ID].astype(str)).to_numpy(
                dtype=float)
        classify_on = whole * measure.direction
        classes_of = "alla områden i analysen"
    method = [(s.heading, s.paragraphs) for s in analysis.method_page()] if settings else []
    return area_view(joined, analysis.result, title=title, sources=analysis.sources,
                     created=created, notes=analysis.notes(),
                     overlays=(*overlays, *(comparison.overlays if comparison else ())),
                     details=details if len(details.columns) else None, method=method,
                     classify_on=classify_on, classes_of=classes_of, digest=analysis.digest,
                     settings=settings, measure=measure, year=analysis.inputs.year,
                     always_named=_top_tier(analysis), hover_details=hover,
                     label_lines=label_lines)


def approach_details(analysis: Analysis) -> pd.DataFrame:
    """Per area the focus in words (tooltip line "Fokus"), index area_id."""
    areas = recommendations(analysis).areas
    focus = [(focus_labels(f) or "inget särskilt") if level else ""
             for f, level in zip(areas[FOCUS].astype(str), areas[INTENSITY], strict=True)]
    return pd.DataFrame({FOCUS_LINE: focus}, index=areas.index.rename(AREA_ID))


def focus_lines(analysis: Analysis) -> pd.Series:
    """Per area id the second line of its name on the approach map: its focus in short
    words ("kriminalitet · skola", :func:`~indicators.recommendation.focus_short`), ""
    for an area without a focus."""
    areas = recommendations(analysis).areas
    return pd.Series([focus_short(f) for f in areas[FOCUS].astype(str)],
                     index=areas.index.astype(str).rename(AREA_ID), dtype=object)


def overridden_overlays(analysis: Analysis, overridden: Collection[str]
                        ) -> tuple[MapOverlay, ...]:
    """The areas a samordnare changed the recommendation of, as a dashed outline."""
    if not overridden:
        return ()
    frame = analysis.inputs.areas.frame.set_index(AREA_ID)
    ids = [a for a in frame.index if str(a) in {str(o) for o in overridden}]
    if not ids:
        return ()
    shown = frame.loc[ids].reset_index().assign(Rekommendation=OVERRIDDEN_LABEL.lower())
    return (MapOverlay(OVERRIDDEN_LABEL, shown, (AREA_NAME, "Rekommendation"),
                       OVERRIDDEN_COLOUR),)


def _top_tier(analysis: Analysis) -> tuple[str, ...]:
    """The ids of the areas in the top tier (Hög prioritet): the map always names them."""
    if analysis.assessment is None:
        return ()
    tiers = robustness_columns(analysis)[TIER].astype(str)
    return tuple(str(a) for a in tiers.index[tiers == TIERS[0]])

