"""prevmap: Streamlit app. Only wires widgets to the core (indicators/) and the maps (geo/).

Run with ``make run`` (or ``streamlit run app.py``).
"""
# ruff: noqa: E402 - the page's first lines are drawn before the imports below (first_paint)

from __future__ import annotations

import json

import streamlit as st

from login_page import require_login

PAGE_TITLE = "prevmap – barns och ungas behov av förebyggande arbete per område"
BANNER = ("Områdesbaserad kartläggning: ett behovsindex per område ur offentlig statistik "
          "och kommunens egna data, med osäkerhet, kluster och åtgärdsplan.")
LOADING_TEXT = "Läser in data …"
# Set once a session has its first analysis: later reruns show no placeholder.
LOADED = "_first_analysis_shown"


def first_paint() -> DeltaGenerator:
    """The page's config, title and banner, the login in team mode, and a placeholder that
    says the data are being read in the first run of a session (empty in later runs, so
    that a weight change does not flash it; emptied by :func:`loaded`). Drawn before
    anything heavy is imported: a cold start spends seconds importing geopandas, folium
    and the analysis, and showed a blank page meanwhile."""
    st.set_page_config(page_title="prevmap – behov per område", page_icon="🗺️", layout="wide")
    swedish_page()
    st.title(PAGE_TITLE)
    st.caption(BANNER)
    require_login()   # team mode: nothing below (no data, no upload) before a login
    slot = st.empty()
    if LOADED not in st.session_state:
        slot.info(LOADING_TEXT, icon="⏳")
    return slot


# Streamlit serves its page as lang="en" and has no option for it (1.67): a screen reader
# then reads the Swedish text with an English voice. The script sets the page's language,
# and the locale in which the table widget writes numbers (table_widget.py: "localized"
# follows navigator.languages) whatever the browser's own language: 2,82 and 1 000, never
# 2.82 and 1,000. Streamlit's own words (the upload button, the table's toolbar, the skip
# link) have no option either: the script puts these in Swedish, as text and as the
# labels a screen reader reads, wherever Streamlit draws them (a watch on the page).
STREAMLIT_WORDS = {
    "Upload": "Ladda upp", "Upload directories": "Ladda upp mappar",
    "Drag and drop file here": "Dra och släpp en fil här",
    "Drag and drop a file here": "Dra och släpp en fil här",
    "Drag and drop files here": "Dra och släpp filer här",
    "Skip to main content": "Hoppa till huvudinnehållet",
    "Download as CSV": "Ladda ned som CSV", "Search": "Sök", "Fullscreen": "Helskärm",
    "Close fullscreen": "Stäng helskärm", "Show/hide columns": "Visa eller dölj kolumner",
    "Choose options": "Välj", "Choose an option": "Välj", "No results": "Inga träffar",
    "Select all": "Välj alla", "Clear all": "Rensa alla", "Running...": "Räknar …",
    "Stop": "Stoppa", "Copy to clipboard": "Kopiera", "Add row": "Lägg till rad",
    "Press Enter to apply": "Tryck Enter för att använda",
    "Press Enter to submit form": "Tryck Enter för att skicka",
}
PAGE_LANGUAGE = """<script>
document.documentElement.lang = 'sv';
for (const [key, value] of [['languages', ['sv-SE', 'sv']], ['language', 'sv-SE']]) {
  try { Object.defineProperty(navigator, key, {get: () => value, configurable: true}); }
  catch (e) { /* an older browser keeps its own locale: numbers as it writes them */ }
}
(() => {
  if (window.prevmapWords) { return; }
  const words = new Map(Object.entries(WORDS));
  const perFile = /^(\\d+(?:\\.\\d+)?)\\s?([KMG]B) per file$/;
  const swedish = text => {
    const t = text.trim();
    if (words.has(t)) { return text.replace(t, words.get(t)); }
    const m = t.match(perFile);
    return m ? text.replace(t, `högst ${m[1]} ${m[2]} per fil`) : null;
  };
  const attributes = ['aria-label', 'title', 'placeholder'];
  // The table widget's cells for screen readers carry the raw numbers ("-0.19"): a
  // decimal number there is written the Swedish way too ("−0,19"); whole numbers (years,
  // codes, counts) are left as they are.
  const decimal = /^-?\\d+\\.\\d+$/;
  const mend = root => {
    if (root.nodeType === Node.TEXT_NODE) {
      const v = root.nodeValue;
      if (decimal.test(v) && root.parentElement &&
          root.parentElement.closest('[data-testid="stDataFrame"] table')) {
        root.nodeValue = v.replace('.', ',').replace('-', '\u2212');
        return;
      }
      const s = swedish(root.nodeValue);
      if (s !== null && s !== root.nodeValue) { root.nodeValue = s; }
      return;
    }
    if (root.nodeType !== Node.ELEMENT_NODE) { return; }
    for (const el of [root, ...root.querySelectorAll('[aria-label],[title],[placeholder]')]) {
      for (const a of attributes) {
        const v = el.getAttribute(a);
        const s = v === null ? null : swedish(v);
        if (s !== null && s !== v) { el.setAttribute(a, s); }
      }
    }
    const walk = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let n = walk.nextNode(); n; n = walk.nextNode()) { mend(n); }
  };
  // Its own time is summed in prevmapWordsMs (bench_browser.py reports it per change).
  window.prevmapWordsMs = 0;
  window.prevmapWords = new MutationObserver(changes => {
    const start = performance.now();
    for (const c of changes) {
      if (c.type === 'childList') { c.addedNodes.forEach(mend); } else { mend(c.target); }
    }
    window.prevmapWordsMs += performance.now() - start;
  });
  window.prevmapWords.observe(document.body, {childList: true, subtree: true,
      characterData: true, attributes: true, attributeFilter: attributes});
  mend(document.body);
})();
</script>""".replace("WORDS", json.dumps(STREAMLIT_WORDS, ensure_ascii=False))
# Captions are drawn at 60 % opacity, 2.9:1 to 3.8:1 on white (WCAG AA asks 4.5:1): they
# are drawn opaque in a grey of 6.4:1 on white and 5.7:1 on the sidebar's grey. The
# element that carries the language script takes no room on the page.
PAGE_STYLE = """<style>
[data-testid="stCaptionContainer"] { opacity: 1; color: #5c5f6a; }
[data-testid="stElementContainer"]:has(> .stHtml > script:only-child) { display: none; }
</style>"""


def swedish_page() -> None:
    """The page's language (sv) and the contrast of its captions, once per run."""
    st.html(PAGE_STYLE)
    st.html(PAGE_LANGUAGE, unsafe_allow_javascript=True)


def loaded() -> None:
    """The data are in (or the page stopped before them): the placeholder goes."""
    st.session_state[LOADED] = True
    if LOADING is not None:
        LOADING.empty()


def stop() -> NoReturn:
    """``st.stop()`` without the placeholder: nothing drawn after a stop reaches the page."""
    loaded()
    st.stop()


# Not when a reading child of the fork server imports this file as __mp_main__ (see the end).
LOADING = first_paint() if __name__ == "__main__" else None

import hashlib
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext, suppress
from dataclasses import replace
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import pandas as pd
from streamlit.delta_generator import DeltaGenerator
from streamlit.runtime.scriptrunner import get_script_run_ctx

from geo import sources
from geo.analysis import (
    Analysis,
    add_comparisons,
    add_recommendation_files,
    analysis_trends,
    domain_hotspots,
    run_analysis,
)
from geo.cache import LRUCache, digest_of
from geo.export.formats import FORMATS, ExportFormat, ExportOptions
from geo.export.quality_views import quality_view, robustness_view
from geo.export.recommend_views import (
    ALLOCATION_COL,
    AREA,
    AREAS_COL,
    BUDGET_TITLE,
    CARD_TITLE,
    FOCUS_COL,
    LEAD_COL,
    REASON_COL,
    STRENGTHS_COL,
    budget_caption,
    budget_table,
    recommendation_card,
    recommendation_table,
    rule_label,
    unit_summary,
)
from geo.export.render import renderer_missing
from geo.export.tables import ranking_table
from geo.export.template import TEMPLATE_FORMATS, template_bytes
from geo.export.text import failure_text, md_text, technical_details
from geo.export.views import (
    against_heading,
    against_kommun,
    agreement_views,
    agreement_withheld,
    certainty_view,
    comparison_lines,
    correlation_note,
    correlation_table,
    data_quality_notes,
    domain_table,
    hotspot_table,
    join_summary,
    kolada_caption,
    kolada_table,
    lacking_columns,
    missing_values,
    profile_view,
    sensitivity_table,
    source_table,
    tier_rank_notes,
    trend_view,
    weight_table,
)
from geo.inputs import DEFAULT_CATALOGUE, Inputs, inputs_for_areas, list_profiles
from geo.io.areas import Areas, read_areas
from geo.io.files import read_catalogue
from geo.io.kolada import KOLADA_BASE_URL
from geo.io.overlays import read_utsatta_omraden
from geo.io.polisen import kommun_event_types, read_police_events
from geo.io.pxweb import SCB_BASE_URL
from geo.io.recommendation_files import (
    INTERVENTIONS,
    ORGANISATION,
    TEMPLATE_LABEL,
    TEMPLATE_NAMES,
    RecommendationFiles,
    default_recommendation_files,
    file_template,
)
from geo.maps.analysis_map import SHOW_APPROACH, analysis_view, map_choices
from geo.maps.choropleth import chosen_tiles
from geo.maps.overview import KOMMUN_CODE, kommun_codes, kommun_overview, overview_view
from geo.recommend import recommendations
from geo.sources import DataChoice
from geo.spatial.comparisons import (
    Comparisons,
    read_omradestyp_file,
    read_point_layer,
)
from geo.spatial.levels import (
    POLYGON_SUFFIXES,
    default_grouping,
    grouped_inputs,
    is_polygon_file,
    read_population_layer,
    to_polygons,
)
from geo.spatial.offences import offences_table, read_deso_link, read_police_offences
from indicators.allocation import WEIGHTINGS
from indicators.assessment import TrendReport
from indicators.catalogue import Catalogue, catalogue_table, extended_catalogue, own_indicator
from indicators.columns import AGGREGATIONS, AREA_ID, AREA_NAME, DOMAINS, NORMALISATIONS
from indicators.errors import OfflineError, PrevmapError, SettingsError
from indicators.outliers import OUTLIER_CHOICES
from indicators.sensitivity import Sensitivity, correlations, sensitivity
from indicators.settings import (
    SMOOTHING,
    AnalysisSettings,
    settings_for_catalogue,
    settings_for_table,
    validate_settings,
)
from indicators.swedish import format_integer
from indicators.table import available_indicators
from map_component import clicked_row, show_map
from plan_page import chosen_plan_overrides, show_plan_page
from table_widget import show_table

WEIGHT_MAX = 5.0
LEVELS = {"regso": "RegSO (SCB)", "deso": "DeSO (SCB, hämtas från WFS)",
          "kommundelar": "Kommundelar (grupper av RegSO)"}
INDICATOR_SOURCES = {"scb_open": "SCB:s öppna statistik (verkliga data, inbyggda)",
                     "demo": "Demodata med alla sex domäner (syntetiska)",
                     "scb": "Hämta från SCB (PxWebApi)", "upload": "Egna filer"}
AREA_SOURCES = {**sources.AREA_SOURCES, "upload": "Egen fil"}
# Tests point the online clients at a local server; PREVMAP_OFFLINE=1 never uses the network.
SCB_URL = os.environ.get("PREVMAP_SCB_URL", SCB_BASE_URL)
KOLADA_URL = os.environ.get("PREVMAP_KOLADA_URL", KOLADA_BASE_URL)
OFFLINE = os.environ.get("PREVMAP_OFFLINE", "") not in ("", "0")


UPLOAD_PREFIX = "prevmap-upload-"


@contextmanager
def _uploaded(name: str, data: bytes) -> Iterator[Path]:
    """An uploaded file on disk only while a reader needs a path (GDAL, Excel), in a folder
    of its own under its own base name; deleted right after: what was read is cached by the
    bytes' digest, and an upload must not stay on the server."""
    with _uploaded_all([(name, "", data)]) as paths:
        yield paths[0]


def show_failure(where, message: str, details: str = "") -> None:
    """An error as the user reads it (Swedish, shown literally), its technical details
    folded away: never a traceback with the server's paths."""
    where.error(md_text(message))
    if details:
        with where.expander("Tekniska detaljer", expanded=False):
            st.code(details, language=None, wrap_lines=True)


def show_error(where, err: BaseException, doing: str = "") -> None:
    show_failure(where, *failure_text(err, doing))


@contextmanager
def failures_shown(doing: str, where=st) -> Iterator[None]:
    """Any exception in the block shown by :func:`show_error` instead of a traceback; the
    rest of the page is still drawn (a stop or a rerun is no exception and passes)."""
    try:
        yield
    except Exception as err:  # every failure, the project's own or not, reaches the user
        show_error(where, err, doing)


# Streamlit's uploader writes its own English ("Drag and drop files here", "Upload") and
# offers no option for it (1.67): a Swedish hint below each one says what to do.
UPLOAD_HINT = "Dra filen till rutan ovan eller välj den med knappen ”Ladda upp”."


def file_uploader(where, label: str, **kwargs: Any) -> Any:
    """``where.file_uploader(label, **kwargs)`` with :data:`UPLOAD_HINT` below it."""
    value = where.file_uploader(label, **kwargs)
    where.caption(UPLOAD_HINT)
    return value


class WaitingForInput(Exception):
    """The chosen data need one more step from the user (an upload, a fetch)."""


# -- the one cache of the app ----------------------------------------------------------------
T = TypeVar("T")


# How many of each kind the process keeps: a weight change makes a new analysis, so the
# analyses and what is made from them are few; uploads and inputs are not pushed out by them.
KEPT = {"analysis": 6, "comparisons": 6, "trends": 4, "sensitivity": 4, "domain_hotspots": 4,
        "overview": 4}
KEPT_OTHER = 8


@st.cache_resource(show_spinner=False)
def _kept() -> dict[str, LRUCache]:
    """One bounded cache per kind of thing kept (geo.cache.LRUCache), for the process."""
    return {}


def kept(what: str, key: tuple[str, ...], make: Callable[[], T], spinner: str = "") -> T:
    """``make()``, remembered for the process by ``what`` it is and ``key``: the content
    digests (of an upload's bytes, :attr:`Inputs.digest`, :attr:`Analysis.digest`) and
    choices it was made from, never a title, a row count or an object's id. A corrected
    file with the same name and row count is new content, so nothing made from the old
    one is served for it. ``spinner`` shows while ``make`` runs (not on a hit)."""
    cache = _kept().setdefault(what, LRUCache(KEPT.get(what, KEPT_OTHER)))
    held = cache.get(key)
    if held is None:
        with st.spinner(spinner) if spinner else nullcontext():
            held = (make(),)      # a tuple: the cache holds no None, a result may be None
        cache.put(key, held)
    return held[0]


Upload = tuple[str, str, bytes]   # an upload's name, the hex SHA-256 of its bytes, the bytes


def _upload(key: str) -> Upload | None:
    uploads = _uploads(key)
    return uploads[0] if uploads else None


def _uploads(key: str) -> list[Upload]:
    """Every file of an uploader (one, or several where it accepts several)."""
    value = st.session_state.get(key)
    files = [] if value is None else list(value) if isinstance(value, list | tuple) else [value]
    out = []
    for upload in files:
        data = upload.getvalue()
        out.append((upload.name, hashlib.sha256(data).hexdigest(), data))
    return out


@contextmanager
def _uploaded_all(uploads: list[Upload]) -> Iterator[list[Path]]:
    """Uploads on disk in one folder of their own while read, each under its own base name
    (two of the same name get a number), deleted right after (see :func:`_uploaded`)."""
    with tempfile.TemporaryDirectory(prefix=UPLOAD_PREFIX) as folder:
        paths = []
        for i, (name, _, data) in enumerate(uploads):
            base = Path(name).name if Path(name).name not in ("", ".", "..") else "uppladdad"
            path = Path(folder) / base
            if path.exists():
                path = Path(folder) / f"{path.stem}-{i + 1}{path.suffix}"
            path.write_bytes(data)
            paths.append(path)
        yield paths


def read_upload(what: str, upload: Upload, reader: Callable[[Path], T], spinner: str) -> T:
    """An uploaded file read by ``reader`` (on disk only while read), kept by its bytes."""
    name, digest, data = upload

    def read() -> T:
        with _uploaded(name, data) as path:
            return reader(path)
    return kept(what, (digest, name), read, spinner)


@st.cache_data(show_spinner=False)
def load_profiles() -> dict[str, AnalysisSettings]:
    return list_profiles()


# -- the settings: one object in the session, the widgets a view of it ----------------------
SETTINGS = "settings"       # the session's one AnalysisSettings
SETTINGS_ASIDE = "settings_aside"   # the user's settings of other catalogues (SCB's, ...)


def current_settings() -> AnalysisSettings:
    return st.session_state[SETTINGS]


def set_settings(settings: AnalysisSettings) -> None:
    st.session_state[SETTINGS] = settings
    st.session_state.pop("settings_error", None)


def change_settings(**changes: Any) -> None:
    """Write a widget's change back into the settings. A change the settings refuse (the
    last indicator unticked) is said, and the widgets show the settings as they were."""
    try:
        set_settings(current_settings().with_changes(**changes))
    except SettingsError as err:
        st.session_state["settings_error"] = failure_text(err, "Ändringen gjordes inte")


def _written_back(key: str, field: str | None = None, scale: float = 1.0) -> None:
    value = st.session_state[key]
    change_settings(**{field or key: value / scale if scale != 1.0 else value})


def _indicator_changed(ind_id: str) -> None:
    state = st.session_state
    weights = dict(current_settings().indicator_weights)
    if state[f"use_{ind_id}"]:
        weights[ind_id] = state[f"w_{ind_id}"]
    else:
        weights.pop(ind_id, None)
    change_settings(indicator_weights=weights)


def _domain_changed(domain: str) -> None:
    weights = dict(current_settings().domain_weights)
    weights[domain] = st.session_state[f"dw_{domain}"]
    change_settings(domain_weights=weights)


def on_profile_change() -> None:
    if st.session_state["profile"] is not None:
        set_settings(load_profiles()[st.session_state["profile"]])


def on_settings_upload(catalogue: Catalogue) -> None:
    upload = st.session_state.get("settings_file")
    if upload is None:
        return
    try:
        settings = AnalysisSettings.from_toml(upload.getvalue().decode("utf-8"), upload.name)
        # Refuse ids the catalogue does not know: the analysis would silently leave them out.
        validate_settings(settings, catalogue, upload.name)
    except UnicodeDecodeError:
        st.session_state["settings_error"] = (f"Filen '{upload.name}' är inte UTF-8-text. "
                                              "Spara den som UTF-8 och försök igen.", "")
        return
    except Exception as err:  # a callback's failure would otherwise be a traceback
        st.session_state["settings_error"] = failure_text(err, "Inställningarna lästes inte in")
        return
    set_settings(settings)


def settings_for(catalogue: Catalogue, available: tuple[str, ...] | None = None) -> None:
    """Settings that fit ``catalogue`` and choose some of the ``available`` indicators
    (:func:`settings_for_catalogue`): the user's are kept aside while another catalogue is
    used, and come back with theirs."""
    state = st.session_state
    settings, aside = settings_for_catalogue(state.get(SETTINGS),
                                             tuple(state.get(SETTINGS_ASIDE, ())), catalogue,
                                             profiles_for(catalogue), available)
    state[SETTINGS_ASIDE] = aside
    if settings is not state.get(SETTINGS):
        set_settings(settings)


def _view(key: str, value: object) -> str:
    """Show ``value`` in the widget ``key`` (drawn right after): the settings own it."""
    st.session_state[key] = value
    return key


def robustness_widgets(settings: AnalysisSettings) -> None:
    """Monte Carlo, small numbers and tiers: saved in the settings file like the weights."""
    def view(key: str) -> dict[str, Any]:
        return {"key": _view(key, settings.flat(key)), "on_change": _written_back,
                "args": (key,)}

    with st.expander("Osäkerhet, små tal och prioritet"):
        st.number_input("Antal beräkningar (Monte Carlo)", 100, 10_000, step=100,
                        help="Hur många gånger rangordningen räknas om med variationer.",
                        **view("draws"))
        st.slider("Hur mycket vikterna varierar", 5.0, 200.0, step=5.0,
                  help="Dirichletfördelningens koncentration: högre = vikterna håller sig "
                       "närmare de valda.", **view("concentration"))
        st.checkbox("Variera normaliseringen", **view("vary_normalisation"))
        st.checkbox("Variera sammanvägningen", **view("vary_aggregation"))
        st.checkbox("Slumposäkerhet i små antal (Jeffreys)", **view("data_noise"))
        st.number_input("k: antal områden i toppgruppen (0 = en femtedel)", 0, 1000,
                        **view("top_k"))
        st.number_input("Slumpfrö", 0, 2**31 - 1,
                        help="Samma frö och inställningar ger samma resultat.", **view("seed"))
        st.radio("Utjämning av små områdens andelar", list(SMOOTHING),
                 format_func=SMOOTHING.get, **view("smoothing"))
        st.checkbox("Röjandekontroll: dölj små antal",
                    help="På som standard. Antal personer under tröskeln och andelar som "
                         "bygger på dem visas inte någonstans; i beräkningarna räknas de som "
                         "mitten av sitt intervall (med tröskeln 5: 1–4 ger 2,5).",
                    **view("disclosure"))
        st.number_input("Tröskel för röjandekontroll", 1, 100,
                        disabled=not settings.small_numbers.disclosure,
                        **view("disclosure_threshold"))
        st.number_input("Markera områden med färre unga än", 0, 10_000, step=10,
                        **view("min_population"))
        st.slider("Rangordna bara områden med värden för minst denna andel av vikten",
                  0.0, 1.0, step=0.05,
                  help="Ett område med för få indikatorvärden får ingen rang: "
                       "otillräckliga data.", **view("min_coverage"))
        st.checkbox("Slå ihop små grannområden tills alla når gränsen",
                    help="Det minsta området slås ihop med den granne det delar längst gräns "
                         "med; antal summeras och andelar räknas om.", **view("merge_small"))
        st.slider("Hög prioritet: sannolikhet för topp k minst", 0.05, 1.0, step=0.05,
                  **view("tier_high_p"))
        st.slider("Förhöjd: sannolikhet för topp k minst", 0.05, 1.0, step=0.05,
                  **view("tier_raised_p"))


def sidebar(catalogue: Catalogue, available: tuple[str, ...]) -> None:
    """The analysis' settings, always drawn (also while the data wait or fail): a view of
    the session's settings object, every widget writing its change back into it."""
    profiles = profiles_for(catalogue)
    settings = current_settings()
    choice = data_choice()
    with st.sidebar:
        st.header("Analys")
        st.caption(md_text(f"Data: {sources.place_name(choice.kommun)}, "
                           f"{LEVELS[choice.level]}, "
                           f"{INDICATOR_SOURCES[choice.indicator_source]}. "
                           "Ändra under fliken Data och källor."))
        # Settings that are no profile (the table's own indicators, an uploaded file) show
        # their name as the empty choice, never the profile chosen before them.
        _view("profile", settings.name if settings.name in profiles else None)
        st.selectbox("Profil", list(profiles), key="profile", on_change=on_profile_change,
                     placeholder=settings.name or "Egna inställningar",
                     help="Färdiga urval av indikatorer och vikter. Du kan ändra allt nedan.")
        file_uploader(st, "Läs in sparade inställningar (TOML)", type=["toml"],
                         key="settings_file", on_change=on_settings_upload, args=(catalogue,))
        if "settings_error" in st.session_state:
            show_failure(st, *st.session_state["settings_error"])
        st.radio("Normalisering", list(NORMALISATIONS), format_func=NORMALISATIONS.get,
                 key=_view("normalisation", settings.normalisation),
                 on_change=_written_back, args=("normalisation",))
        st.radio("Sammanvägning", list(AGGREGATIONS), format_func=AGGREGATIONS.get,
                 key=_view("aggregation", settings.aggregation),
                 on_change=_written_back, args=("aggregation",))
        st.slider("Flagga indikatorer från percentil", 50, 100, step=5,
                  key=_view("flag_threshold", int(round(settings.flag_threshold * 100))),
                  on_change=_written_back, args=("flag_threshold", None, 100.0),
                  help="Som i CDC:s SVI: en indikator flaggas för ett område när området ligger "
                       "på eller över denna percentil.")
        st.radio("Saknade värden", ["reweight", "error"],
                 format_func={"reweight": "Vikta om bland övriga indikatorer",
                              "error": "Stoppa med fel"}.get,
                 key=_view("missing", settings.missing), on_change=_written_back,
                 args=("missing",))
        st.radio("Extremvärden", list(OUTLIER_CHOICES), format_func={
                     "none": "Redovisa, behandla inte",
                     "auto": "Winsorisera eller logaritmera (COINr)"}.get,
                 key=_view("outliers", settings.outliers), on_change=_written_back,
                 args=("outliers",),
                 help=OUTLIER_CHOICES["auto"] + ". Inte standard: ett område vars värde blir "
                      "extremt dras in, och dess poäng kan sjunka fast behovet ökat. Vilka "
                      "indikatorer som berörs står under Vad styr rangordningen.")
        st.subheader("Domäner och indikatorer")
        chosen = dict(settings.indicator_weights)
        for dom, label in DOMAINS.items():
            members = [ind for ind in catalogue.in_domain(dom) if ind.id in available]
            if not members:
                continue
            with st.expander(label):
                st.slider(f"Domänvikt: {label}", 0.0, WEIGHT_MAX, step=0.5,
                          key=_view(f"dw_{dom}", min(settings.domain_weight(dom), WEIGHT_MAX)),
                          on_change=_domain_changed, args=(dom,))
                for ind in members:
                    arrow = "↑ högre = större behov" if ind.direction > 0 else \
                        "↓ högre = mindre behov"
                    st.checkbox(md_text(f"{ind.name} ({ind.unit})"),
                                key=_view(f"use_{ind.id}", ind.id in chosen),
                                on_change=_indicator_changed, args=(ind.id,),
                                help=md_text(f"{arrow}. Källa: {ind.source}"))
                    st.slider(md_text(f"Vikt: {ind.name}"), 0.0, WEIGHT_MAX, step=0.5,
                              key=_view(f"w_{ind.id}", min(chosen.get(ind.id, 1.0), WEIGHT_MAX)),
                              on_change=_indicator_changed, args=(ind.id,),
                              disabled=ind.id not in chosen, label_visibility="collapsed")
        robustness_widgets(settings)
        st.subheader("Karta")
        st.checkbox("Bakgrundskarta", key="tiles", value=False,
                    help="Av som standard: då skickas inga förfrågningar till någon kartserver. "
                         "Påslagen hämtas kartplattor, men inga indikatorvärden skickas.")
        st.text_input("Kartserver (tomt = OpenStreetMap)", key="tile_url",
                      placeholder="https://karta.kommun.se/tiles/{z}/{x}/{y}.png",
                      disabled=not st.session_state.get("tiles"),
                      help="Kommunens egen kartserver: en adress med {z}, {x} och {y}.")


def choose_comparisons(choice: DataChoice) -> Comparisons | None:
    """The uploaded comparison files, parsed (kept by their bytes), or None."""
    state = st.session_state
    readers = {"utsatta_file": (read_utsatta_omraden, "Läser in utsatta områden …"),
               "omradestyp_file": (read_omradestyp_file, "Läser in områdestyp …")}
    parsed = {key: read_upload(key, upload, reader, spinner)
              for key, (reader, spinner) in readers.items()
              if (upload := _upload(key)) is not None}
    if "omradestyp_file" in parsed and choice.level != "regso":
        # SCB's områdestyp is per RegSO by name: kommundelar would all be unmatched.
        del parsed["omradestyp_file"]
        st.info("SCB:s områdestyp gäller RegSO och visas bara på nivån RegSO.")
    points = tuple(read_upload("points", (f.name, hashlib.sha256(f.getvalue()).hexdigest(),
                                          f.getvalue()), read_point_layer, "Läser in punkter …")
                   for f in state.get("points_files") or ())
    offences = None
    if (upload := _upload("polisen_file")) is not None:
        link = _upload("deso_link_file")
        offences = replace(
            read_upload("polisen", upload, read_police_offences, "Läser in polisens brott …"),
            link=read_upload("deso_link", link, read_deso_link, "Läser in kopplingstabellen …")
            if link is not None else None)
    if not parsed and not points and offences is None:
        return None
    kommun = (state.get("omradestyp_kommun") or "").strip() or None
    return Comparisons(utsatta=parsed.get("utsatta_file"),
                       omradestyp=parsed.get("omradestyp_file"), kommun=kommun, points=points,
                       offences=offences)


def choose_areas(choice: DataChoice) -> tuple[Areas, str]:
    """The areas the data page names, and a key of what they are."""
    if choice.area_source == sources.UPLOAD:
        upload = _upload("areas_file")
        if upload is None:
            raise WaitingForInput("Ladda upp en områdesfil under fliken Data och källor, eller "
                                  "välj en annan källa för områdena.")
        return read_upload("areas", upload, read_areas, "Läser in uppladdade områden …"), \
            upload[1]
    key = (choice.kommun, choice.area_source, choice.area_level)
    areas = kept("areas", key, lambda: sources.kommun_areas(*key, offline=OFFLINE),
                 "Läser in områden …")
    return areas, "|".join(key)


def choose_inputs(choice: DataChoice) -> tuple[Inputs, list[str]]:
    """The inputs the data page names (areas, indicators, level), with notes. Their digest
    is taken once (:meth:`Inputs.keep_digest`): they come from the app's cache
    (:func:`kept`), which hands every rerun the same object, and nothing changes them; a
    weight change then does not hash the tables again (twice, 10-15 ms on Huddinge)."""
    areas, areas_key = choose_areas(choice)
    inputs = choose_indicators(choice, areas, areas_key)
    if choice.level != "kommundelar":
        return inputs.keep_digest(), []
    inputs, notes = choose_kommundelar(choice, inputs)
    return inputs.keep_digest(), notes


def choose_indicators(choice: DataChoice, areas: Areas, areas_key: str) -> Inputs:
    """The chosen indicators joined to ``areas`` (``areas_key``: what they are)."""
    if choice.indicator_source == sources.REAL:
        return kept("inputs", ("real", areas_key), lambda: sources.real_inputs(areas),
                    "Kopplar SCB:s statistik till områdena …")
    if choice.indicator_source == "demo":
        return kept("inputs", ("demo", choice.kommun, choice.area_source, areas_key),
                    lambda: sources.demo_inputs(areas, choice.kommun, choice.area_source),
                    "Tar fram demodata …")
    if choice.indicator_source == "scb":
        fetched = st.session_state.get("scb_fetch")
        if fetched is None or fetched[0] != choice.scb_key:
            raise WaitingForInput("Tryck på 'Hämta från SCB' under fliken Data och källor för "
                                  "att hämta indikatorerna för den valda kommunen och nivån.")
        _, fetch, fetch_digest = fetched
        return kept("inputs", ("scb", fetch_digest, areas_key),
                    lambda: sources.table_inputs(areas, fetch.table, fetch.source_info(),
                                                 name="SCB PxWebApi"),
                    "Kopplar SCB:s tabeller till områdena …")
    uploads = _uploads("table_file")
    if not uploads:
        raise WaitingForInput("Ladda upp en eller flera indikatortabeller under fliken Data och "
                              "källor, eller välj SCB:s statistik eller demodata.")
    own = own_catalogue_rows()

    def read_table() -> Inputs:
        with _uploaded_all(uploads) as paths:
            return inputs_for_areas(areas, paths, own=own)
    key = tuple((name, digest) for name, digest, _ in uploads)
    return kept("inputs", ("upload", key, digest_of([own]), areas_key), read_table,
                "Läser in indikatortabellen …")


def choose_kommundelar(choice: DataChoice, inputs: Inputs) -> tuple[Inputs, list[str]]:
    """``inputs`` at the level of kommundelar: an uploaded grouping table or polygons, or
    the grouping shipped for the kommun."""
    grouping = _upload("grouping_file")
    if grouping is not None and is_polygon_file(grouping[0]):
        return inputs_on_polygons(inputs, grouping)
    if grouping is None:
        path = default_grouping(choice.kommun)
        if path is None:
            raise WaitingForInput("Kommundelar: ladda upp en grupperingstabell (CSV eller "
                                  "Excel: RegSO-kod och kommundel) under fliken Data och "
                                  "källor.")
        return kept("level", (inputs.digest, str(path)), lambda: grouped_inputs(inputs, path),
                    "Summerar till kommundelar …")
    name, digest, data = grouping

    def summed() -> tuple[Inputs, list[str]]:
        with _uploaded(name, data) as path:
            return grouped_inputs(inputs, path)
    return kept("level", (inputs.digest, name, digest), summed, "Summerar till kommundelar …")


WEIGHTS = {"area": "Yta", "population": "Befolkning (kräver ett befolkningslager)"}


def inputs_on_polygons(inputs: Inputs, upload: Upload) -> tuple[Inputs, list[str]]:
    """The inputs moved onto uploaded kommundel polygons, by area or by population."""
    state = st.session_state
    polygons = read_upload("areas", upload, read_areas, "Läser in uppladdade områden …")
    weights, population, column, layer_key = state.get("weights", "area"), None, None, ""
    if weights == "population":
        layer = _upload("population_file")
        column = (state.get("population_column") or "").strip() or None
        if layer is None or column is None:
            raise WaitingForInput("Befolkningsviktning: ladda upp ett befolkningslager och ange "
                                  "kolumnen med folkmängd under fliken Data och källor.")
        population = read_upload("population", layer, read_population_layer,
                                 "Läser in befolkningslagret …")
        layer_key = layer[1]
    frame, name = population if population is not None else (None, "befolkningslagret")
    return kept("polygons", (inputs.digest, upload[1], weights, layer_key, column or ""),
                lambda: to_polygons(inputs, polygons, title="Kommundelar", weights=weights,
                                    population=frame, population_column=column,
                                    population_name=name),
                "Fördelar antal på kommundelarna …")


def fetch_scb(choice: DataChoice) -> None:
    """Fetch the SCB indicators for the chosen kommun and level, with progress shown."""
    state = st.session_state
    kommun, level = choice.scb_key
    with st.status(f"Hämtar från SCB: {sources.kommuner()[kommun]}, {level} …",
                   expanded=True) as status:
        try:
            fetched, digest = sources.fetch_scb(kommun, level, url=SCB_URL, offline=OFFLINE,
                                                progress=lambda m: status.write(md_text(m)))
        except PrevmapError as err:
            status.update(label="Hämtningen från SCB misslyckades", state="error")
            state["scb_error"] = str(err)
            return
        status.update(label=f"Hämtat från SCB: {len(fetched.table)} områden", state="complete",
                      expanded=False)
    state.pop("scb_error", None)
    state["scb_fetch"] = ((kommun, level), fetched, digest)


def fetch_kolada(kommun: str) -> None:
    state = st.session_state
    with st.spinner("Hämtar jämförelsetal från Kolada …"):
        try:
            table = sources.fetch_kolada(kommun, url=KOLADA_URL, offline=OFFLINE)
        except PrevmapError as err:
            state["kolada"] = (kommun, None, str(err))
            return
    state["kolada"] = (kommun, table, None)


CHOICE = "data_choice"      # the session's DataChoice


def data_choice() -> DataChoice:
    if CHOICE not in st.session_state:   # ?data=demo opens on the synthetic demo
        start = "demo" if st.query_params.get("data") == "demo" else sources.REAL
        st.session_state[CHOICE] = DataChoice(offline=OFFLINE, indicator_source=start)
    return st.session_state[CHOICE]


def _chose(transition: str, key: str) -> None:
    """Write a data widget's change back through the choice's transition."""
    st.session_state[CHOICE] = getattr(data_choice(), transition)(st.session_state[key])


def data_choices() -> tuple[DataChoice, DeltaGenerator | None]:
    """The data page's choices: kommun, level, area and indicator sources, comparisons.
    The widgets are a view of the session's :class:`DataChoice`; a change goes through its
    transitions (a län forces RegSO, leaving DeSO gives back the area source before it).
    With own files, also the place below their uploader where :func:`show_table_columns`
    goes once they are read."""
    state = st.session_state
    choice = data_choice()
    columns_slot = None
    names = {**sources.regions(), **sources.kommuner()}
    st.subheader("Välj data")
    left, right = st.columns(2)
    left.selectbox("Kommun, län eller hela Sverige", list(names),
                   key=_view("kommun", choice.kommun), on_change=_chose,
                   args=("with_kommun", "kommun"),
                   format_func=lambda k: names[k] if k == sources.SWEDEN
                   else f"{names.get(k, k)} ({k})",
                   help="Ett län eller hela Sverige rangordnar alla deras RegSO tillsammans; "
                        "kartan visar först en översikt per kommun, och ett klick på en "
                        "kommun visar dess områden.")
    region = choice.is_region   # only RegSO from the national file for a län or Sweden
    right.radio("Nivå", list(LEVELS), key=_view("level", choice.level), on_change=_chose,
                args=("with_level", "level"), format_func=LEVELS.get, disabled=region,
                help="Kommundelar är grupper av RegSO: antal summeras och andelar räknas om, "
                     "de medelvärdesbildas aldrig.")
    left.radio("Områden", choice.area_source_options(),
               key=_view("area_source", choice.area_source), on_change=_chose,
               args=("with_area_source", "area_source"), format_func=AREA_SOURCES.get)
    if choice.area_source == sources.UPLOAD:
        file_uploader(left, "Områdesfil (GeoPackage, GeoJSON, GeoParquet, zippad Shapefile)",
                           type=["gpkg", "geojson", "json", "parquet", "zip"], key="areas_file")
    if choice.level == "kommundelar":
        file_uploader(left, "Kommundelar: grupperingstabell (CSV, Excel) eller egna ytor "
                           "(GeoPackage, GeoJSON, GeoParquet, zippad Shapefile)",
                           type=["csv", "xlsx", *(s.lstrip(".") for s in POLYGON_SUFFIXES)],
                           key="grouping_file",
                           help="Tabell: första kolumnen RegSO-koden, andra kommundelens namn; "
                                "antal summeras. Ytor: antal fördelas efter yta eller "
                                "befolkning där gränserna inte följer RegSO.")
        upload = state.get("grouping_file")
        if upload is not None and is_polygon_file(upload.name):
            left.radio("Fördela antal efter", list(WEIGHTS), key="weights",
                       format_func=WEIGHTS.get)
            if state.get("weights") == "population":
                file_uploader(left, "Befolkningslager: små ytor med folkmängd (t.ex. DeSO eller "
                                   "SCB:s rutor)", type=["gpkg", "geojson", "json", "zip",
                                                         "parquet"], key="population_file")
                left.text_input("Kolumn med folkmängd", key="population_column")
        if choice.kommun == sources.HUDDINGE and state.get("grouping_file") is None:
            left.caption("Utan egen tabell används exempelindelningen av Huddinges RegSO i "
                         "sju kommundelar.")
    right.radio("Indikatorer", list(INDICATOR_SOURCES),
                key=_view("indicator_source", choice.indicator_source), on_change=_chose,
                args=("with_indicator_source", "indicator_source"),
                format_func=INDICATOR_SOURCES.get)
    for note in choice.notes():
        right.caption(md_text(note))
    if choice.indicator_source == "demo":
        right.caption("Påhittade värden för att prova verktyget; de beskriver inte områdena.")
    elif choice.indicator_source == "scb" and region:
        right.warning("SCB-hämtningen görs per kommun. För ett län eller hela Sverige: välj "
                      "demodata eller en egen indikatortabell för alla RegSO.")
    elif choice.indicator_source == "scb":
        with right:
            if st.button("Hämta från SCB", help="Befolkning efter ålder, ekonomisk standard, "
                         "utbildning och arbetsmarknad per område. Svaren sparas på datorn."):
                fetch_scb(choice)
            if "scb_error" in state:
                st.error(md_text(state["scb_error"]))
            fetched = state.get("scb_fetch")
            if fetched is not None and fetched[0] == choice.scb_key:
                for note in fetched[1].notes:
                    st.caption(md_text(note))
    elif choice.indicator_source == sources.REAL:
        right.caption("SCB:s öppna statistik per DeSO (referensår 2022), summerad till "
                      "områdena: socioekonomiska riskfaktorer och antalet barn och unga. "
                      "Psykisk ohälsa, missbruk, ungas brottslighet och skola finns inte i "
                      "SCB:s öppna statistik: de kräver kommunens egna register (se mallen "
                      "nedan) eller demodata för att prova.")
    else:
        file_uploader(right, "Indikatortabeller (CSV, Excel eller Parquet; en eller flera, "
                            "t.ex. SCB:s exporter som de laddades ned)",
                            type=["csv", "xlsx", "parquet"], key="table_file",
                            accept_multiple_files=True,
                            help="En kolumn med områdeskoder (area_id, DeSO, RegSO, Region "
                                 "eller SCB:s 'kod namn') och antal. Semikolon, decimalkomma, "
                                 "UTF-8 och Windows-1252 går bra; SCB:s '..' läses som saknat "
                                 "med sin betydelse.")
        columns_slot = right.container()   # filled once the files are read (main)
    with right.expander("Mall för kommunens egna data"):
        show_template(choice)
    with st.expander("Jämförelser (ingår inte i indexet)"):
        file_uploader(st, "Polisens utsatta områden (GeoPackage, GeoJSON)",
                         type=["gpkg", "geojson", "json", "zip"], key="utsatta_file")
        file_uploader(st, "SCB:s områdestyp per RegSO (CSV)", type=["csv"],
                         key="omradestyp_file")
        st.text_input("Kommun i områdestypsfilen", key="omradestyp_kommun",
                      placeholder="t.ex. Huddinge; tomt = efter områdenas namn")
        file_uploader(st, "Punkter, t.ex. skolor eller fritidsgårdar (CSV med koordinater i "
                         "WGS84 eller SWEREF 99 TM, GeoJSON)", type=["csv", "geojson", "json"],
                         key="points_files", accept_multiple_files=True,
                         help="Räknas per område; lagret får filens namn.")
        file_uploader(st, "Polisens anmälda brott per DeSO (CSV)", type=["csv", "xlsx"],
                         key="polisen_file",
                         help="Antal brott det senaste hela året per område, och per 1 000 "
                              "invånare när indikatortabellen har befolkning.")
        file_uploader(st, "Koppling DeSO–områden, t.ex. SCB:s DeSO–RegSO (CSV)",
                         type=["csv", "xlsx"], key="deso_link_file",
                         help="Behövs för polisens brott när områdena inte är DeSO.")
        st.caption("Visas som kartlager och som kolumner i tabellen, men ingår inte i indexet.")
    return choice, columns_slot


OWN = "own_indicators"
DIRECTIONS = {"1": "Högre värde = större behov", "-1": "Högre värde = mindre behov"}


def own_catalogue_rows() -> list[dict[str, str]]:
    """The indicators the user defined for columns the catalogue does not know."""
    return list(st.session_state.get(OWN, []))


def show_table_columns(inputs: Inputs) -> None:
    """What became of each column of the uploaded files, a form to make an indicator of a
    column the catalogue does not know, and the catalogue to save."""
    if not inputs.columns:
        return
    st.markdown("**Kolumnerna i filen**")
    st.dataframe(pd.DataFrame(inputs.columns, columns=["Kolumn", "Används som", "Varför"]),
                 hide_index=True)
    unknown = [c for c, use, why in inputs.columns if why.startswith("katalogen känner inte")]
    if unknown:
        with st.form("own_indicator", enter_to_submit=False):
            st.markdown("**Gör en indikator av en kolumn som katalogen inte känner**")
            st.text_input("Namn", placeholder="t.ex. Orosanmälningar 0–17 år", key="own_name")
            st.selectbox("Domän", list(DOMAINS), format_func=DOMAINS.get, key="own_domain")
            st.radio("Riktning", list(DIRECTIONS), format_func=DIRECTIONS.get,
                     horizontal=True, key="own_direction")
            st.selectbox("Täljare (antal)", unknown, key="own_numerator")
            st.selectbox("Nämnare (befolkning)", [c for c, *_ in inputs.columns],
                         key="own_denominator")
            st.radio("Enhet", ["100", "1000"], horizontal=True, key="own_per",
                     format_func={"100": "procent", "1000": "per 1 000"}.get)
            st.checkbox("Täljaren räknar personer (små antal döljs)", value=True,
                        key="own_personal",
                        help="Röjandekontrollen skyddar antal personer. Bocka ur för antal som "
                             "inte pekar ut någon, t.ex. lägenheter.")
            st.form_submit_button("Lägg till i katalogen", on_click=add_own_indicator,
                                  args=(inputs.catalogue,))
    own = own_catalogue_rows()
    if own:
        st.caption(md_text("Egna indikatorer: " + ", ".join(r["name"] for r in own)))
        catalogue = inputs.catalogue
        st.download_button("Spara katalogen (CSV)",
                           lambda: catalogue_table(catalogue).to_csv(index=False).encode("utf-8"),
                           file_name="indikatorkatalog.csv", mime="text/csv")
    if "own_error" in st.session_state:
        st.error(md_text(st.session_state["own_error"]))


def add_own_indicator(catalogue: Catalogue) -> None:
    """The form's indicator added to the session's own indicators if it is a valid entry
    beside ``catalogue`` (else the error is shown). A callback: the rerun it starts reads
    the table with it."""
    state = st.session_state
    state.pop("own_error", None)
    row = own_indicator(state.get("own_name") or "", state["own_domain"],
                        int(state["own_direction"]), state["own_numerator"],
                        state["own_denominator"], int(state["own_per"]),
                        bool(state.get("own_personal", True)))
    try:
        extended_catalogue(catalogue, [*own_catalogue_rows(), row])
    except PrevmapError as err:
        state["own_error"] = str(err)
        return
    state[OWN] = [*own_catalogue_rows(), row]


def show_template(choice: DataChoice) -> None:
    """The template for the municipality's own register data, for the chosen areas."""
    st.caption("Vad socialtjänst, skola och fritid ska leverera: en rad per område, antal med "
               "sina nämnare, för katalogens indikatorer. Fyll i och ladda upp under 'Egna filer'.")
    try:
        areas, _ = choose_areas(choice)
        frame = areas.frame[[AREA_ID, AREA_NAME]]
    except (PrevmapError, WaitingForInput):
        frame = None
    for fmt in TEMPLATE_FORMATS:   # made on a click, not on every rerun
        st.download_button(
            fmt.label, lambda kind=fmt.key: template_bytes(
                kind, read_catalogue(DEFAULT_CATALOGUE), frame),
            file_name=fmt.file_name, mime=fmt.mime, key=f"template_{fmt.key}")


# -- main views ----------------------------------------------------------------------------
FILES_KEY = "recommendation_files"
#: The two files of the section "Organisation och insatser", by kind.
FILE_LABELS = {ORGANISATION: "Organisation: vem leder och vem deltar per domän",
               INTERVENTIONS: "Insatskatalog: exempel på utvärderade insatser"}
FILE_DOING = {ORGANISATION: "Organisationsfilen lästes inte in",
              INTERVENTIONS: "Insatskatalogen lästes inte in"}


def chosen_files() -> RecommendationFiles:
    """The organisation and the catalogue chosen in this session, else the shipped ones."""
    return st.session_state.get(FILES_KEY) or default_recommendation_files()


def file_upload_key(kind: str) -> str:
    """The uploader's key of ``kind``: a new one after "Tillbaka till den inbyggda", so
    that the uploader no longer shows the file that is not in use any more."""
    return f"{kind}_file_{st.session_state.get(f'{kind}_round', 0)}"


def on_file_upload(kind: str) -> None:
    """An uploaded organisation file or catalogue, validated by the same reader as a file:
    in use when valid; else the error is shown and the previous choice stays."""
    st.session_state.pop(f"{kind}_error", None)
    upload = st.session_state.get(file_upload_key(kind))
    if upload is None:
        return
    try:
        files = chosen_files().with_upload(kind, upload.name, upload.getvalue())
    except Exception as err:  # a callback's failure would otherwise be a traceback
        st.session_state[f"{kind}_error"] = failure_text(err, FILE_DOING[kind])
        return
    st.session_state[FILES_KEY] = files


def on_file_default(kind: str) -> None:
    st.session_state.pop(f"{kind}_error", None)
    st.session_state[f"{kind}_round"] = st.session_state.get(f"{kind}_round", 0) + 1
    st.session_state[FILES_KEY] = chosen_files().with_default(kind)


def show_recommendation_files() -> None:
    """The section "Organisation och insatser": which files are in use, an upload for each,
    the way back to the shipped one and the shipped one as a template to start from."""
    st.subheader("Organisation och insatser")
    st.write("Vem som leder per fokusdomän och vilka insatser som ges som exempel kommer ur "
             "två filer som kommunen själv äger. En annan kommun laddar upp sin egen "
             "organisationsfil; utgå från mallen. Valet gäller kortet, tabellerna, "
             "åtgärdsplanens utkast och alla nedladdningar.")
    files = chosen_files()
    in_use = files.in_use()
    default = default_recommendation_files()
    for kind, label in FILE_LABELS.items():
        st.markdown(f"**{md_text(label)}**")
        st.markdown(f"Används: {md_text(in_use[kind])}")
        file_uploader(st, "Ladda upp en egen fil (TOML)", type=["toml"], key=file_upload_key(kind),
                      on_change=on_file_upload, args=(kind,))
        if f"{kind}_error" in st.session_state:
            show_failure(st, *st.session_state[f"{kind}_error"])
        left, right = st.columns(2)
        own = files.organisation_sha256 if kind == ORGANISATION else files.interventions_sha256
        shipped = (default.organisation_sha256 if kind == ORGANISATION
                   else default.interventions_sha256)
        left.button("Tillbaka till den inbyggda", key=f"{kind}_default",
                    on_click=on_file_default, args=(kind,), disabled=own == shipped)
        right.download_button(TEMPLATE_LABEL, file_template(kind),
                              file_name=TEMPLATE_NAMES[kind], mime="application/toml",
                              key=f"{kind}_template")


def show_data_page(analysis: Analysis, available: tuple[str, ...], choice: DataChoice) -> None:
    """Where the data come from, what they cover, and what did not match."""
    inputs, report = analysis.inputs, analysis.join_report
    st.subheader("Källor")
    show_table(source_table(analysis, available), hide_index=True)
    st.subheader("Täckning")
    c1, c2, c3 = st.columns(3)
    c1.metric("Områden i kartan", len(inputs.areas))
    c2.metric("Rader i indikatortabellen", len(inputs.table))
    c3.metric("Indikatorer som kan beräknas", f"{len(available)} av {len(inputs.catalogue)}")
    lacking = lacking_columns(analysis, available)
    if len(lacking):
        st.markdown("**Indikatorer i katalogen som tabellen saknar kolumner för**")
        show_table(lacking, hide_index=True)
    st.subheader("Koppling mellan områden och indikatorer")
    st.write(f"{len(report.matched)} områdeskoder matchade.")
    fetched = st.session_state.get("scb_fetch")
    missing = missing_values(analysis, fetched[1].missing if choice.indicator_source == "scb"
                             and fetched is not None else inputs.missing)
    summary = join_summary(analysis, missing)
    if summary is not None:
        (st.success if not len(missing) else st.warning)(summary)
    for message in report.messages():
        st.warning(md_text(message))
    if len(missing):
        st.markdown("**Saknade och dolda värden: var och varför**")
        show_table(missing, hide_index=True)
    show_recommendation_files()
    if (upload := _upload("polisen_file")) is not None:
        with suppress(PrevmapError):    # a file that cannot be read is named above the map
            police = read_upload("polisen", upload, read_police_offences,
                                 "Läser in polisens brott …")
            st.subheader("Polisens anmälda brott i filen, per brottskod och år")
            show_table(offences_table(police.offences), hide_index=True)
    show_police_events(choice.kommun)
    show_kolada(choice.kommun)


def show_police_events(kommun: str) -> None:
    """The police's events in the kommun by type, from an uploaded answer of their API."""
    st.subheader("Polisens händelser i kommunen")
    file_uploader(st, "Polisens händelser (JSON från polisen.se/api/events)", type=["json"],
                     key="polisen_events_file")
    upload = _upload("polisen_events_file")
    if upload is None or sources.is_region(kommun):
        st.caption("Händelserna kan bara räknas per kommun: välj en kommun och ladda upp "
                   "polisens svar." if upload is not None else "Ingen händelsefil uppladdad.")
        return
    try:
        events = read_upload("polisen_events", upload, read_police_events,
                             "Läser in polisens händelser …")
    except PrevmapError as err:
        st.error(md_text(err))
        return
    result = kommun_event_types(events, sources.place_name(kommun))
    st.caption(md_text(f"{result.kommun}, {result.period_text}. Källa: {result.source}."))
    show_table(result.table, hide_index=True)
    for note in result.notes:
        st.caption(md_text(note))


def show_kolada(kommun: str) -> None:
    """The kommun against its län and riket on Kolada's KPIs, fetched on request."""
    state = st.session_state
    st.subheader("Kommunen jämfört med län och riket (Kolada)")
    if sources.is_region(kommun):
        st.caption("Jämförelsetalen från Kolada gäller en kommun: välj en kommun under "
                   "Välj data.")
        return
    if st.button("Hämta jämförelsetal från Kolada",
                 help="Nyckeltal på kommunnivå från Kolada (RKA). Svaren sparas på datorn."):
        fetch_kolada(kommun)
    saved = state.get("kolada")
    if saved is None or saved[0] != kommun:
        st.caption("Inga nyckeltal hämtade för den här kommunen. Kräver nätverk första gången.")
        return
    _, table, error = saved
    if error is not None:
        st.error(md_text(error))
        return
    show_table(kolada_table(table), hide_index=True)
    st.caption(kolada_caption(table))
    for note in table.attrs.get("notes", ()):
        st.caption(md_text(note))


# Bars coloured by sign (``signed``): above the average (more need) and below it.
ABOVE_COLOUR, BELOW_COLOUR = "#b2182b", "#2166ac"
# The charts' axes and tooltips write numbers as indicators.swedish does (d3-format's
# locale, which Vega-Lite takes in its config): "0,5", not "0.5".
CHART_NUMBERS = {"decimal": ",", "thousands": "\u202f", "grouping": [3],
                 "currency": ["", "\u00a0kr"], "minus": "-"}


def bar_chart(where, values: pd.Series, *, horizontal: bool = False, height: int = 180,
              signed: bool = False) -> None:
    """A bar per value of ``values`` (its index the categories, its name the measure) as a
    Vega-Lite spec written out: ``st.bar_chart`` builds and validates an Altair chart, a
    tenth of a weight change's rerun for the profile's two charts. ``signed``: a positive
    value's bar in :data:`ABOVE_COLOUR`, a negative one's in :data:`BELOW_COLOUR`."""
    category, measure = values.index.name or "Kategori", values.name or "Värde"
    data = pd.DataFrame({category: values.index, measure: values.to_numpy()})
    ordinal = pd.api.types.is_numeric_dtype(data[category])
    cat_axis = {"field": category, "type": "ordinal" if ordinal else "nominal",
                "sort": None, "title": None if horizontal else category,
                **({"axis": {"labelLimit": 260}} if horizontal else {})}
    value_axis = {"field": measure, "type": "quantitative", "title": measure}
    # A horizontal chart is sized by its bars (a step per category): a fixed height left
    # a single domain's bar undrawn.
    spec = {"mark": {"type": "bar"}, "height": {"step": 30} if horizontal else height,
            "encoding": {"y": cat_axis, "x": value_axis} if horizontal
            else {"x": cat_axis, "y": value_axis}}
    spec["encoding"]["tooltip"] = [{"field": category}, {"field": measure, "format": ".2f"}]
    if signed:
        spec["encoding"]["color"] = {"condition": {"test": f"datum[{measure!r}] > 0",
                                                   "value": ABOVE_COLOUR},
                                     "value": BELOW_COLOUR}
    spec["config"] = {"locale": {"number": CHART_NUMBERS}}
    where.vega_lite_chart(data, spec, width="stretch")


def rank_trend_chart(where, intervals: pd.DataFrame, n_areas: int) -> None:
    """The area's rank per year (``intervals``: År, Rang, Rang 5 %, Rang 95 %) as a line
    in its Monte Carlo interval band, the rank axis inverted and whole: rank 1 at the
    top, rank ``n_areas`` at the bottom."""
    scale = {"reverse": True, "zero": False, "nice": False, "domain": [1, max(n_areas, 2)]}
    step = max(1, n_areas // 4)
    ticks = sorted({1, *range(step, n_areas + 1, step)})
    year = {"field": "År", "type": "ordinal", "title": "År", "axis": {"labelAngle": 0}}
    spec = {"height": 180, "layer": [
        {"mark": {"type": "area", "opacity": 0.25, "color": BELOW_COLOUR},
         "encoding": {"x": year,
                      "y": {"field": "Rang 5 %", "type": "quantitative", "scale": scale,
                            "title": "Rang", "axis": {"format": "d", "values": ticks}},
                      "y2": {"field": "Rang 95 %"}}},
        {"mark": {"type": "line", "point": True, "color": BELOW_COLOUR},
         "encoding": {"x": year, "y": {"field": "Rang", "type": "quantitative", "scale": scale},
                      "tooltip": [{"field": "År"}, {"field": "Rang"},
                                  {"field": "Rang 5 %"}, {"field": "Rang 95 %"}]}}]}
    where.vega_lite_chart(intervals, spec, width="stretch")


def show_profile(analysis: Analysis, area_id: str) -> None:
    view = profile_view(analysis, area_id)
    st.subheader(md_text(view.heading))
    # Two key figures a row: the profile stands in the narrow column beside the map.
    c1, c2 = st.columns(2)
    c1.metric("Rang", view.rank)
    c2.metric("Sammanvägt index", view.score)
    c3, _ = st.columns(2)
    c3.metric("Flaggade indikatorer", view.n_flags)
    show_recommendation_card(analysis, area_id)
    st.markdown("**Domänpoäng jämfört med genomsnittet** (rött: större behov än "
                "genomsnittet, blått: mindre)")
    bar_chart(st, view.domains["Skillnad mot genomsnittet"].rename_axis("Domän"),
              horizontal=True, signed=True)
    st.dataframe(domain_table(view), hide_index=True, column_config={   # whole in the
        "Domän": st.column_config.TextColumn(width=170),                 # narrow column
        "Medel": st.column_config.TextColumn(help="Genomsnitt för alla områden", width=60),
        **{c: st.column_config.TextColumn(width=65) for c in ("Området", "Skillnad")}})
    st.markdown("**Indikatorer som driver upp poängen mest**")
    if not view.contributors:
        st.write("Inga indikatorer ligger över genomsnittet.")
    for line in view.contributors:
        st.write("- " + md_text(line))
    st.markdown(f"**Flaggor** (percentilrang ≥ {view.threshold})")
    if not view.flags:
        st.write("Inga flaggor.")
    for line in view.flags:
        st.write("- ⚑ " + md_text(line))
    if view.missing:
        st.markdown("**Saknade värden**")
        for name in view.missing:
            st.write("- " + md_text(name))
    show_certainty(analysis, area_id)
    compared = comparison_lines(analysis, area_id)
    if compared:
        st.markdown("**Jämförelser** (ingår inte i rangordningen)")
        for line in compared:
            st.write("- " + md_text(line))
    show_against_kommun(analysis, area_id)
    show_area_trend(analysis, area_id)


def show_recommendation_card(analysis: Analysis, area_id: str) -> None:
    """The card "Rekommenderat angreppssätt" of one area (issue 19), with the catalogue's
    notice that its examples are never a prescription."""
    card = recommendation_card(analysis, area_id, analysis.organisation, analysis.interventions)
    if card is None:
        return
    with st.expander(md_text(card.heading), expanded=True):
        if card.intensity:
            st.markdown(f"**{md_text(card.intensity.capitalize())}:** {md_text(card.meaning)}.")
        st.write(md_text(card.reason))
        if card.straddles:
            st.info(md_text(card.straddles))
        for f in card.focus:
            st.markdown(f"**Fokus {md_text(f.label.lower())}** – leds av {md_text(f.lead)}")
            lines = []
            if f.participants:
                lines.append("Deltar: " + ", ".join(f.participants))
            if f.partners:
                lines.append("Partner: " + ", ".join(f.partners))
            if f.reason:
                lines.append(f.reason)
            for line in lines:
                st.write("- " + md_text(line))
            if f.examples:
                st.markdown("Exempel på utvärderade insatser:")
                for ex in f.examples:
                    st.markdown(f"- {md_text(ex.name)} ({md_text(ex.level_label.lower())}; "
                                f"källa: [{md_text(ex.source_organisation)}]({ex.url}))")
            else:
                st.write("Katalogen har inget exempel för domänen på denna nivå.")
        if card.strengths:
            st.markdown(f"**Förutsättningar att bygga på:** {md_text(card.strengths)}")
        st.markdown(f"**Resurser i området:** {md_text(card.resources)}")
        if card.allocation:
            st.markdown(f"**Budget:** {md_text(card.allocation)}")
            st.caption(md_text(card.allocation_rule))
        st.caption(md_text(card.notice))


WEIGHTING_WORDS = {w: rule_label(w, "") for w in WEIGHTINGS}


def _recommendation_written_back(key: str, field: str) -> None:
    """A budget widget's change into the settings' [rekommendation] (saved with exports)."""
    rules = current_settings().recommendation
    try:
        change_settings(recommendation=replace(rules, **{field: st.session_state[key]}))
    except SettingsError as err:
        st.session_state["settings_error"] = failure_text(err, "Ändringen gjordes inte")


APPROACH_WIDTHS = {AREA: 170, FOCUS_COL: 300, LEAD_COL: 90, STRENGTHS_COL: 170,
                   ALLOCATION_COL: 280, REASON_COL: 600}


def show_approach_page(analysis: Analysis) -> None:
    """The tab "Angreppssätt och budget" (issue 19), as the report's section: the
    recommended approach per area, who leads what per förvaltning, and the budget with its
    total and rule (the settings' [rekommendation]) and the rules side by side. Drawn only
    while the tab is open: for all of Sweden's RegSO these tables took 0.3 s and 700 kB of
    every weight change when they stood under the map (bench_browser.py)."""
    rec = recommendations(analysis)
    if rec is None:
        st.info("Analysen saknar osäkerhetsberäkning, så det finns inga prioritetsnivåer "
                "att rekommendera ett angreppssätt från.")
        return
    st.subheader(CARD_TITLE + " per område")
    st.caption(md_text(f"Tabellerna och budgeten omfattar alla {format_integer(len(rec.areas))}"
                       f" områden i analysen ({rec.reference.whole}). " + rec.rules_text()))
    for note in rec.empty:
        st.info(md_text(note))
    # Widths for what the columns hold: the focus is up to three domains in words, the
    # budget a sum with its interval (left to itself the widget fitted them to their
    # headers and cut the focus to "socioek…").
    show_table(recommendation_table(analysis, analysis.organisation), bare=True,
               key="recommendation_table", widths=APPROACH_WIDTHS)
    st.markdown("**Per förvaltning: områden där den leder ett fokus**")
    if analysis.organisation.description:
        st.caption(md_text(analysis.organisation.description))
    show_table(unit_summary(analysis, analysis.organisation), bare=True, key="unit_summary",
               widths={AREAS_COL: 700})
    show_budget(analysis)
    st.caption(md_text(analysis.interventions.notice))


def show_budget(analysis: Analysis) -> None:
    """The budget in proportion to need: the total and the rule (the settings'
    [rekommendation]) and the rules side by side per area."""
    rules = analysis.settings.recommendation
    st.subheader(BUDGET_TITLE)
    left, right = st.columns(2)
    left.number_input("Belopp att fördela (kr)", 0, 10**10, step=100_000,
                      key=_view("budget_total", rules.total_kr),
                      on_change=_recommendation_written_back, args=("budget_total", "total_kr"))
    right.radio("Fördelningsregel", list(WEIGHTINGS), format_func=WEIGHTING_WORDS.get,
                key=_view("budget_rule", rules.weighting),
                on_change=_recommendation_written_back, args=("budget_rule", "weighting"))
    st.caption(md_text(budget_caption(analysis)))
    show_table(budget_table(analysis), bare=True, key="budget_table")


def show_certainty(analysis: Analysis, area_id: str) -> None:
    """Tier, rank interval, P(top k), hotspot and the rank distribution of one area."""
    view = certainty_view(analysis, area_id)
    if view is None:
        return
    st.markdown("**Hur säker är placeringen?**")
    c1, c2 = st.columns(2)
    c3, c4 = st.columns(2)
    c1.metric("Prioritet", view.tier)
    c2.metric("Rang i 90 % av beräkningarna", view.rank_span)
    c3.metric(view.top_k_label, view.p_top_k)
    c4.metric("Kluster (Gi*)", view.cluster)
    if view.rank_shares is not None:
        bar_chart(st, view.rank_shares, height=180)
        st.caption(md_text(view.caption))
    if view.small is not None:
        st.warning(md_text(f"Litet underlag: {view.small}"))


def show_against_kommun(analysis: Analysis, area_id: str) -> None:
    """The area's indicator values beside the whole municipality's (pooled) values."""
    shown = against_kommun(analysis, area_id)
    if shown is None:
        return
    st.markdown(against_heading(analysis))
    # Narrow columns: the whole table in the profile's column beside the map (a long
    # name is cut, and shown whole on hover).
    show_table(shown, hide_index=True, widths=dict(zip(
        shown.columns, (130, 50, 58, 58, 58), strict=True)))


def analysed(inputs: Inputs, settings: AnalysisSettings) -> Analysis:
    """The analysis of ``inputs`` with ``settings``, kept by the inputs' content digest and
    the settings (their repr: every field, exactly): a click, a download or a tab change
    reruns the script but computes nothing again."""
    return kept("analysis", (inputs.digest, repr(settings)),
                lambda: run_analysis(inputs, settings))


def trends_for(analysis: Analysis) -> TrendReport | None:
    return kept("trends", (analysis.digest,), lambda: analysis_trends(analysis),
                "Räknar ut trender …")


def show_area_trend(analysis: Analysis, area_id: str) -> None:
    """The area's rank and indicators over the years, with verdicts that respect noise."""
    if not analysis.inputs.history:
        return
    years = [y for y, _ in analysis.inputs.history]
    if not st.toggle(f"Visa utvecklingen över tid ({years[0]}–)", key="show_trends",
                     help="Varje år rangordnas med samma inställningar och egen osäkerhet."):
        return
    report = trends_for(analysis)
    view = None if report is None else trend_view(report, analysis.inputs.catalogue, area_id)
    if view is None:
        return
    st.markdown(f"**{view.heading}**")
    if view.intervals is not None:
        rank_trend_chart(st, view.intervals, int(analysis.result.rank.notna().sum()))
        st.caption("Linjen är rangen varje år, bandet rangen i 90 % av beräkningarna "
                   "(5–95 %). Rang 1 = störst behov, överst.")
    else:
        st.line_chart(view.ranks, height=180)
    st.caption(md_text(view.rank_change))
    show_table(view.rates, hide_index=True, height=240)


def sensitivity_for(analysis: Analysis, method: str) -> Sensitivity:
    inputs = analysis.inputs
    table = analysis.assessment.prepared.table if analysis.assessment else inputs.table
    return kept("sensitivity", (analysis.digest, method), lambda: sensitivity(
        table, inputs.catalogue, analysis.settings, method=method,
        seed=analysis.settings.uncertainty.seed, include_domains=True),
        "Räknar ut känsligheten …")


def show_drivers(analysis: Analysis) -> None:
    """What drives the ranking: effective weights, correlations, sensitivity, clusters."""
    result = analysis.result
    st.subheader("Indikatorernas verkliga vikt")
    show_table(weight_table(result), hide_index=True)
    st.caption("Nominell vikt: den andel indikatorn har enligt inställningarna. Verklig "
               "påverkan: den andel av indexets variation mellan områdena som indikatorn "
               "förklarar (kvadrerad korrelation, normerad till 100 %, som i COINr). "
               "Indikatorer som samvarierar får tillsammans mer påverkan än vikterna säger.")
    st.subheader("Samvarierande indikatorer")
    corr = correlations(result)
    note = correlation_note(corr.flagged, analysis.inputs.catalogue)
    if note is None:
        st.write("Inga par av indikatorer har en korrelation över 0,9.")
    else:
        st.warning(md_text(note))
    with st.expander("Alla korrelationer (Pearson)"):
        show_table(correlation_table(corr.pearson, analysis.inputs.catalogue))
    st.subheader("Vilka val flyttar rangordningen mest?")
    method = st.radio("Metod", ["oat", "sobol"], horizontal=True, key="sensitivity_method",
                      format_func={"oat": "En i taget (snabb)",
                                   "sobol": "Variansbaserad (Sobol, SALib)"}.get)
    if st.button("Räkna ut känsligheten"):
        st.session_state["sensitivity_key"] = analysis.digest
    if st.session_state.get("sensitivity_key") == analysis.digest:
        result_s = sensitivity_for(analysis, method)
        show_table(sensitivity_table(result_s.factors), hide_index=True)
        st.caption(md_text(result_s.method_text()))
    else:
        st.caption("Räknas på begäran: varje vikt ändras och rangordningen jämförs.")
    show_quality(analysis)
    show_hotspots(analysis)
    show_agreement(analysis)


def show_quality(analysis: Analysis) -> None:
    """Indexets kvalitet: outliers, coherence per domain, robustness (on request)."""
    view = kept("quality", (analysis.digest,), lambda: quality_view(
        analysis, with_robustness=False))
    st.subheader(view.heading)
    st.markdown("**Extremvärden**")
    if len(view.outliers):
        show_table(view.outliers, hide_index=True)
    for text in view.outlier_text:
        st.caption(md_text(text))
    st.markdown("**Samstämmighet inom domänerna**")
    show_table(view.domains, hide_index=True)
    with st.expander("Per indikator"):
        show_table(view.indicators, hide_index=True)
    for text in view.coherence_text:
        st.caption(md_text(text))
    st.markdown("**Robusthet**")
    if st.button("Räkna ut robustheten", key="quality_button"):
        st.session_state["quality_key"] = analysis.digest
    if st.session_state.get("quality_key") != analysis.digest:
        st.caption("Räknas på begäran: varje osäkert val varieras för sig.")
        return
    frame, texts = kept("quality_robustness", (analysis.digest,),
                        lambda: robustness_view(analysis), "Räknar ut robustheten …")
    show_table(frame, hide_index=True)
    for text in texts:
        st.caption(md_text(text))


def show_hotspots(analysis: Analysis) -> None:
    st.subheader("Var behoven samlas (Gi* och lokal Moran)")
    if analysis.hotspots is None:
        st.info(md_text(analysis.hotspot_error or "Klusteranalysen gjordes inte."))
        return
    h = analysis.hotspots
    if st.toggle("Sök kluster även i varje domän", key="domain_hotspots",
                 help="Tar någon sekund: 999 permutationer per domän."):
        h = kept("domain_hotspots", (analysis.digest,), lambda: domain_hotspots(analysis),
                 "Söker kluster i varje domän …")
    clusters = hotspot_table(h)
    if len(clusters):
        show_table(clusters, hide_index=True)
    else:
        st.write(h.nothing_found())
    for note in h.notes():
        st.caption(md_text(note))


def show_agreement(analysis: Analysis) -> None:
    """Tiers beside SCB's områdestyp and the police's utsatta områden, where loaded (for
    real data only)."""
    withheld = agreement_withheld(analysis)
    if withheld is not None:
        st.subheader("Prioritet jämförd med polisens och SCB:s indelningar")
        st.info(withheld)
    for view in agreement_views(analysis):
        st.subheader(md_text(view.heading))
        show_table(view.crosstab)
        st.write(view.summary)
        for note in view.notes:
            st.caption(md_text(note))


def show_method(analysis: Analysis) -> None:
    for section in analysis.method_page():
        st.subheader(md_text(section.heading))
        for paragraph in section.paragraphs:   # plain text, with the data's names in it
            st.markdown(md_text(paragraph))


TABS = ("Karta och rangordning", "Vad styr rangordningen", "Angreppssätt och budget",
        "Åtgärdsplan", "Data och källor", "Metod")


def profiles_for(catalogue: Catalogue) -> dict[str, AnalysisSettings]:
    """The profiles whose indicators the catalogue has (SCB's catalogue has its own)."""
    return {name: p for name, p in load_profiles().items()
            if all(i in catalogue for i in p.indicators)}


def last_catalogue() -> Catalogue:
    """The catalogue of the last data read (the bundled one before any): the sidebar's
    while the data wait for a step or fail."""
    held = st.session_state.get("catalogue")
    return held if held is not None else kept(
        "catalogue", (str(DEFAULT_CATALOGUE),), lambda: read_catalogue(DEFAULT_CATALOGUE))


def main() -> None:
    # The page's config, title, banner, login and placeholder are drawn above (first_paint).
    messages = st.container()
    # The map, the drivers, the approach, the plan and the method are computed only while
    # their tab is open (a weight change on the map tab stays quick); the data page always
    # runs.
    map_tab, drivers_tab, approach_tab, plan_tab, data_tab, method_tab = st.tabs(
        list(TABS), key="tab", on_change="rerun")
    with data_tab:   # drawn first, so that the choices stay usable when the data fail
        choice, columns_slot = data_choices()
    try:
        inputs, level_notes = choose_inputs(choice)
    except Exception as err:   # the data wait or fail: say so, with the sidebar drawn
        settings_for(last_catalogue())
        sidebar(last_catalogue(), tuple(last_catalogue()))
        if isinstance(err, WaitingForInput):
            messages.info(md_text(err))
        elif isinstance(err, OfflineError):
            messages.error(md_text(f"{err} Det inbyggda Huddinge-underlaget och tidigare "
                                   "hämtade data fungerar utan nätverk."))
        else:   # any failure: a Swedish message, never a traceback
            show_error(messages, err, "Data kunde inte läsas in")
        stop()
    if columns_slot is not None:
        with columns_slot:
            show_table_columns(inputs)
    catalogue = st.session_state["catalogue"] = inputs.catalogue
    available = available_indicators(inputs.table, catalogue)
    settings_for(catalogue, available)
    if not available:    # nothing to rank: say where to look, not "inga indikatorer är valda"
        sidebar(catalogue, available)
        messages.info("Ingen av tabellens kolumner är en indikator i katalogen. Under fliken "
                      "Data och källor visar 'Kolumnerna i filen' varför, och där kan du göra "
                      "en indikator av en kolumn (namn, domän, riktning, täljare och nämnare).")
        stop()

    if inputs.synthetic:
        messages.warning("**SYNTETISKA DEMODATA.** Indikatorvärdena är påhittade av en "
                         "slumpgenerator och beskriver inte de verkliga områdena. "
                         + md_text(f"Områdesgränserna: {inputs.areas.source.title}."),
                         icon="⚠️")
    try:
        settings = settings_for_table(current_settings(), available, load_profiles())
        analysis = analysed(inputs, settings)
    except Exception as err:  # any failure: a Swedish message, never a traceback
        sidebar(catalogue, available)   # the settings stay at hand to mend what failed
        show_error(messages, err, "Analysen kunde inte göras")
        stop()
    loaded()
    comparisons = None
    try:     # a bad comparison file leaves the ranking and the map usable
        comparisons = choose_comparisons(choice)
        if comparisons is not None:
            plain = analysis
            analysis = kept("comparisons", (plain.digest, comparisons.digest),
                            lambda: add_comparisons(plain, comparisons))
    except Exception as err:  # any failure: a Swedish message, never a traceback
        show_error(messages, err, "Jämförelserna visas inte")
    files = st.session_state.get(FILES_KEY)
    if files is not None:   # the organisation and catalogue chosen under Data och källor
        plain = analysis
        analysis = kept("recommendation_files", (plain.digest, files.digest),
                        lambda: add_recommendation_files(plain, files))
    left_out = [catalogue[i].name for i in current_settings().indicators
                if i in catalogue and i not in available]
    if left_out:
        messages.warning(md_text("Valda i inställningarna men saknas i indikatortabellen, så "
                                 "de räknas inte: " + "; ".join(left_out) + "."))
    notes = level_notes + analysis.notes()
    if notes:   # folded when many, so that the map stays in view
        with messages.expander(f"Anmärkningar om data och metod ({len(notes)})",
                               expanded=len(notes) <= 3):
            for note in notes:
                st.info(md_text(note))

    tiles = None
    if st.session_state.get("tiles"):
        tiles, refused = chosen_tiles(st.session_state.get("tile_url") or "")
        if refused:
            messages.warning(refused)
    if map_tab.open:   # no hidden map: one drawn at zero size while another tab shows
        with map_tab, failures_shown("Kartan kunde inte visas"):  # could keep sending its
            show_map_page(analysis, tiles, choice)                  # view back: reruns
    # The settings' widgets after the map: their values are the session's settings, which
    # the widgets' callbacks have written before this run began, so the analysis does not
    # wait for them. Drawn first, their ~50 elements reached the browser before the map's
    # new values, and the browser re-rendered them first (bench_browser.py: a weight change
    # on Huddinge was shown some 50 ms later).
    sidebar(catalogue, available)
    if drivers_tab.open:
        with drivers_tab, failures_shown("Fliken kunde inte visas"):
            show_drivers(analysis)
    if approach_tab.open:
        with approach_tab, failures_shown("Fliken kunde inte visas"):
            show_approach_page(analysis)
    if plan_tab.open:
        with plan_tab, failures_shown("Åtgärdsplanen kunde inte visas"):
            show_plan_page(analysis, analysis.digest,
                           comparisons.points if comparisons is not None else ())
    with data_tab, failures_shown("Datasidan kunde inte visas"):
        show_data_page(analysis, available, choice)
    if method_tab.open:
        with method_tab, failures_shown("Metodsidan kunde inte visas"):
            show_method(analysis)


def show_map_page(analysis: Analysis, tiles: str | None, choice: DataChoice) -> None:
    """The data-quality panel, the map with the chosen area's profile beside it (under
    the overview of a län or Sweden until a kommun is chosen), the ranked table."""
    show_data_quality(analysis)
    kommun = None
    if choice.is_region:
        kommun = show_overview(analysis, tiles, choice.kommun)
    table = ranking_table(analysis)
    if kommun is not None:
        table = table[table["Områdeskod"].str.startswith(kommun)]
    if kommun is not None or not choice.is_region:
        map_column, profile_column = st.columns([3, 2], gap="medium")
        with map_column:
            show_area_map(analysis, tiles, kommun, ranked_areas(analysis, table))
            area = choose_area(analysis, table)
        with profile_column:
            show_profile(analysis, area)
        show_ranking(analysis, kommun, choice.kommun, table)
    else:    # the overview: the profile of an area chosen from the list, under the table
        show_ranking(analysis, kommun, choice.kommun, table)
        show_profile(analysis, choose_area(analysis, table))
    show_downloads(analysis, tiles)


def show_data_quality(analysis: Analysis) -> None:
    """Indicators missing or hidden in more than a quarter of the areas, and what that
    does to the ranking: on the first page, open."""
    notes = data_quality_notes(analysis)
    if notes:
        st.warning("**Datakvalitet: indikatorer som saknas i många områden**\n\n"
                   + "\n".join(f"- {md_text(note)}" for note in notes), icon="⚠️")


def ranked_areas(analysis: Analysis, table: pd.DataFrame) -> list[str]:
    """The areas of ``table`` that have a profile, in its order."""
    return [a for a in table["Områdeskod"] if a in analysis.result.score.index]


def choose_area(analysis: Analysis, table: pd.DataFrame) -> str:
    """The area whose profile is shown: clicked on the map or chosen in the list (the
    keyboard's way to a profile)."""
    ranked = ranked_areas(analysis, table)
    names = dict(zip(table["Områdeskod"], table["Område"], strict=True))
    if st.session_state.get("area") not in ranked:
        st.session_state["area"] = ranked[0]
    return st.selectbox("Välj område (eller klicka på kartan)", ranked, key="area",
                        format_func=lambda a: f"{names[a]} ({a})")


def show_overview(analysis: Analysis, tiles: str | None, scope: str) -> str | None:
    """A län or Sweden (``scope``): the overview per kommun until one is clicked or chosen,
    then the chosen kommun (whose areas the caller maps). Returns its code or None."""
    state = st.session_state
    if state.get("drill_scope") != scope:     # a new scope starts at its overview
        state["drill_scope"], state["drill"] = scope, None
    everyone = sources.kommuner()
    names = {code: everyone.get(code, code)
             for code in sorted(set(kommun_codes(analysis.joined[AREA_ID])))}
    if state.get("drill") is None:
        overview = kept("overview", (analysis.digest,), lambda: kommun_overview(analysis),
                        "Summerar per kommun …")
        view = kept("overview_view", (analysis.digest,),
                    lambda: overview_view(analysis, overview, settings=False))
        clicked = show_map(view, key=f"oversikt_{state.get('overview_round', 0)}",
                           layer="Kommuner", tiles=tiles, boundary=None)
        st.caption(f"{len(overview)} kommuner. Klicka på en kommun för att se dess områden; "
                   "rangordningen gäller alla RegSO i " + sources.scope_phrase(scope) + ".")
        row = clicked_row(clicked, "overview_click")
        code = overview[KOMMUN_CODE].iloc[row] if row is not None and row < len(overview) \
            else None
        if code in names:
            state["drill"] = code
            st.rerun()
        return None
    left, right = st.columns([1, 3])
    if left.button(f"← Översikt: {sources.place_name(scope)}"):
        state["drill"] = None
        # A fresh overview map: the old one still reports the click that drilled down.
        state["overview_round"] = state.get("overview_round", 0) + 1
        st.rerun()
    codes = list(names)
    right.selectbox("Kommun", codes, index=codes.index(state["drill"]), key="drill_choice",
                    format_func=lambda c: f"{names[c]} ({c})",
                    on_change=lambda: state.update(drill=state["drill_choice"]),
                    label_visibility="collapsed")
    return state["drill"]


def show_area_map(analysis: Analysis, tiles: str | None, kommun: str | None,
                  ranked: list[str]) -> None:
    """The areas' map (of one kommun of a larger scope when ``kommun`` is given); a click on
    an area opens its profile, and the chosen area (else the first of ``ranked``) is
    outlined. The click is read from the session before the map is drawn (the component
    keeps its value under its key), so that the map outlines the area just clicked."""
    # The borders stay in the browser; a weight change sends only the new values
    # (map_component.py). Leaflet comes from the app itself: nothing from the net.
    choices = map_choices(analysis)
    show = st.selectbox("Kartan visar", list(choices), format_func=choices.get, key="map_show")
    # A plan's overrides of the recommended approach are marked on that layer.
    overridden = chosen_plan_overrides() if show == SHOW_APPROACH else frozenset()
    view = kept("map_view", (analysis.digest, kommun, show, tuple(sorted(overridden))),
                lambda: analysis_view(analysis, kommun=kommun, settings=False, show=show,
                                      overridden=overridden),
                "Ritar kartan …")
    ids = [a for a in analysis.joined[AREA_ID] if kommun is None or a.startswith(kommun)]
    key = f"karta_{kommun or ''}"
    row = clicked_row(st.session_state.get(key), f"clicked_{kommun or ''}")
    if row is not None and 0 <= row < len(ids):
        st.session_state["area"] = ids[row]
    if st.session_state.get("area") not in ranked:
        st.session_state["area"] = ranked[0]
    chosen = st.session_state["area"]
    show_map(view, key=key, layer=choices[show], tiles=tiles,
             selected=ids.index(chosen) if chosen in ids else None)
    st.caption("Kartan hämtar ingenting från internet; en bakgrundskarta visas bara om du "
               "slår på den.")


# The ranked table's scores with two decimals (as the map's tooltip); the rest as rounded.
RANKING_DECIMALS = {"Sammanvägt index": 2, **{name: 2 for name in DOMAINS.values()}}


def show_ranking(analysis: Analysis, kommun: str | None, scope: str,
                 table: pd.DataFrame) -> None:
    """The ranked table (``table``: one kommun's rows when drilled down), and beside it
    why a tier and a rank disagree."""
    st.subheader("Rangordning" + (f" – {sources.place_name(kommun)}, rang inom "
                                  f"{sources.scope_phrase(scope)}"
                                  if kommun else ""))
    st.caption(md_text(analysis.result.method_summary()))
    shown = set(table["Områdeskod"])
    disagree = [note for area, note in tier_rank_notes(analysis) if area in shown]
    where = st
    if disagree:
        where, notes_column = st.columns([3, 1], gap="medium")
        with notes_column:
            st.markdown("**Varför prioritet och rang skiljer sig**")
            for note in disagree:
                st.markdown("- " + md_text(note))
    show_table(table.drop(columns=["Datakälla"]), RANKING_DECIMALS, where=where, bare=True)


def show_downloads(analysis: Analysis, tiles: str | None) -> None:
    st.subheader("Ladda ned")
    # One button per format of geo.export.formats, in two rows of four. The files are made
    # when a button is clicked, not on every rerun, by the same writers as `prevmap export`.
    # The map is built anew by its writer (folium adds to a map each time it is
    # rendered). A download does not rerun the app (on_click="ignore"): nothing on the
    # page changes, unless the file could not be made (download_writer). A machine
    # without chromium gets those buttons disabled and the reason shown instead.
    failures = st.session_state.setdefault("download_failures", {})
    for message, details in failures.values():
        show_failure(st, message, details)
    failures.clear()
    no_renderer = renderer_missing()
    # The maps show what "Kartan visar" shows on screen (the overview of a län has no
    # such choice: its downloads show the index)
    choices = map_choices(analysis)
    show = st.session_state.get("map_show")
    show = show if show in choices else "index"
    options = ExportOptions(tiles=tiles, show=show)
    columns = [c for _ in range(0, len(FORMATS), 4) for c in st.columns(4)]
    for column, fmt in zip(columns, FORMATS, strict=False):
        label = fmt.shown_label(choices[show])
        column.download_button(label, download_writer(fmt, label, analysis, options, failures),
                               on_click="ignore", file_name=fmt.shown_name(show, choices[show]),
                               mime=fmt.mime,
                               disabled=fmt.needs_chromium and no_renderer is not None,
                               help=fmt.help)
    st.caption(md_text(f"Kartorna (HTML, PNG, SVG och PDF) visar det du valt under ”Kartan "
                       f"visar”: {choices[show]}. Rapporten och Excel-filen gäller hela "
                       "analysen; rapporten som PDF har en karta för index, prioritet och "
                       "varje domän."))
    if no_renderer:
        st.caption(md_text(f"Rapporten som PDF kan inte skapas på den här datorn: {no_renderer}"))
    # The digest of the inputs and settings, which every downloaded file records in full.
    st.caption(md_text(f"Indata (SHA-256): {analysis.digest[:12]}…, som i varje nedladdad "
                       "fil. Källor: " + "; ".join(s.label() for s in analysis.sources)))


def download_writer(fmt: ExportFormat, label: str, analysis: Analysis, options: ExportOptions,
                    failures: dict[str, tuple[str, str]]) -> Callable[[], bytes]:
    """The callable a download button runs when clicked, in a thread of its own after the
    page was drawn: Streamlit shows only "Failed to generate file for download" beside the
    button when it raises. A failure is kept in ``failures`` (the session's), in Swedish with
    what to do and its technical details apart, and the session is run again, so that the
    page shows it (:func:`show_downloads`)."""
    ctx = get_script_run_ctx()

    def write() -> bytes:
        try:
            return fmt.write(analysis, options)
        except Exception as err:  # every failure reaches the user, then Streamlit's note
            message, details = failure_text(err, f"Filen ”{label}” kunde inte skapas")
            if isinstance(err, PrevmapError) and err.__cause__ is not None:
                details = "\n".join(d for d in (details, technical_details(err)) if d)
            if not isinstance(err, PrevmapError):
                message += (" Du kan ladda ned kartan eller rapporten i ett annat format "
                            "under tiden (t.ex. rapporten som HTML, som kan skrivas ut "
                            "som PDF från webbläsaren).")
            failures[fmt.key] = (message, details)
            rerun_session(ctx)
            raise
    return write


def rerun_session(ctx: Any) -> None:
    """Runs the session of ``ctx`` (a ScriptRunContext) again from a thread that is not its
    script's (a download's): ``st.rerun`` works only inside a run. Streamlit (1.67) has no
    public call for it; without the session (a test without a server) nothing happens and
    the failure shows on the user's next action."""
    from streamlit.runtime import Runtime

    if ctx is None or not Runtime.exists():
        return
    sessions = getattr(Runtime.instance(), "_session_mgr", None)
    info = sessions.get_active_session_info(ctx.session_id) if sessions is not None else None
    if info is not None:
        info.session.request_rerun(None)


# Streamlit runs this file as __main__. A reading child of the fork server
# (geo/io/safe_files.py) imports it again as __mp_main__: it must not run the page, which
# reads data and so starts children of its own.
if __name__ == "__main__":
    with failures_shown("Sidan kunde inte visas"):
        main()
    loaded()   # also after a failure shown instead of the page (main's stops call stop())
