"""prevmap: Streamlit app. Only wires widgets to the core (indicators/) and the maps (geo/).

Run with ``make run`` (or ``streamlit run app.py``).
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from geo import pipeline
from geo.comparisons import Omradestyp, read_omradestyp_file
from geo.levels import DEFAULT_GROUPING, load_grouping_title, read_grouping, to_level
from geo.maps import FEATURE_INDEX, format_number
from geo.overlays import Overlay, read_utsatta_omraden
from indicators.catalogue import Catalogue
from indicators.columns import AGGREGATIONS, AREA_ID, AREA_NAME, DOMAINS, NORMALISATIONS
from indicators.errors import PrevmapError
from indicators.settings import AnalysisSettings, validate_settings
from indicators.table import available_indicators

WEIGHT_MAX = 5.0
TILES = "OpenStreetMap"
LEVELS = {"regso": "RegSO (SCB)", "kommundelar": "Kommundelar (exempelindelning)"}


@st.cache_resource(show_spinner="Läser in områden och indikatorer …")
def load_default_inputs() -> pipeline.Inputs:
    return pipeline.load_inputs()


def _upload_path(name: str, data: bytes) -> Path:
    """An uploaded file written to a folder of its own, under its own (base) name."""
    path = Path(tempfile.mkdtemp(prefix="prevmap-upload-")) / Path(name).name
    path.write_bytes(data)
    return path


def _digest(upload) -> str:
    return hashlib.sha256(upload.getvalue()).hexdigest()


@st.cache_resource(show_spinner="Läser in uppladdade filer …", max_entries=4)
def load_uploaded_inputs(key: tuple[str, ...], _areas, _table) -> pipeline.Inputs:
    """The uploaded areas and indicator table, cached by ``key`` (names and hashes)."""
    del key
    return pipeline.load_inputs(_upload_path(_areas.name, _areas.getvalue()),
                                _upload_path(_table.name, _table.getvalue()))


@st.cache_resource(show_spinner="Läser in utsatta områden …", max_entries=4)
def load_uploaded_utsatta(name: str, digest: str, _data: bytes) -> Overlay:
    """The parsed overlay, cached by the file's name and the hash of its bytes."""
    del digest
    return read_utsatta_omraden(_upload_path(name, _data))


@st.cache_resource(show_spinner="Läser in områdestyp …", max_entries=4)
def load_uploaded_omradestyp(name: str, digest: str, _data: bytes) -> Omradestyp:
    del digest
    return read_omradestyp_file(_upload_path(name, _data))


@st.cache_data(show_spinner=False)
def load_profiles() -> dict[str, AnalysisSettings]:
    return pipeline.list_profiles()


# -- settings <-> widgets ------------------------------------------------------------------
def apply_settings(settings: AnalysisSettings, catalogue: Catalogue) -> None:
    """Put an analysis' settings into the widgets' state."""
    state = st.session_state
    state["normalisation"] = settings.normalisation
    state["aggregation"] = settings.aggregation
    state["flag_threshold"] = int(round(settings.flag_threshold * 100))
    state["missing"] = settings.missing
    for dom in DOMAINS:
        state[f"dw_{dom}"] = min(settings.domain_weight(dom), WEIGHT_MAX)
    for ind in catalogue.values():
        state[f"use_{ind.id}"] = ind.id in settings.indicators
        weight = settings.indicator_weight(ind.id) if ind.id in settings.indicators else 1.0
        state[f"w_{ind.id}"] = min(weight, WEIGHT_MAX)
    state["profile_name"] = settings.name


def on_profile_change(catalogue: Catalogue) -> None:
    apply_settings(load_profiles()[st.session_state["profile"]], catalogue)


def on_settings_upload(catalogue: Catalogue) -> None:
    upload = st.session_state.get("settings_file")
    if upload is None:
        return
    try:
        settings = AnalysisSettings.from_toml(upload.getvalue().decode("utf-8"), upload.name)
        # Refuse ids the catalogue does not know: the widgets would silently leave them out.
        validate_settings(settings, catalogue, upload.name)
    except UnicodeDecodeError:
        st.session_state["settings_error"] = (f"Filen '{upload.name}' är inte UTF-8-text. "
                                              "Spara den som UTF-8 och försök igen.")
        return
    except PrevmapError as err:
        st.session_state["settings_error"] = str(err)
        return
    st.session_state.pop("settings_error", None)
    apply_settings(settings, catalogue)


def settings_from_widgets(catalogue: Catalogue, available: tuple[str, ...]) -> AnalysisSettings:
    """The settings the widgets describe; named after the profile, marked if changed."""
    state = st.session_state
    base_name = state.get("profile_name", "")
    settings = AnalysisSettings.create(
        {i: state[f"w_{i}"] for i in available if state.get(f"use_{i}")},
        {d: state[f"dw_{d}"] for d in DOMAINS},
        normalisation=state["normalisation"], aggregation=state["aggregation"],
        missing=state["missing"], flag_threshold=state["flag_threshold"] / 100, name=base_name)
    profile = load_profiles().get(base_name)
    if profile is not None and settings.equivalent(profile):
        return settings.with_changes(description=profile.description)
    return settings.with_changes(name=f"{base_name} (ändrad)" if base_name else "Egen analys")


def sidebar(catalogue: Catalogue, available: tuple[str, ...]) -> None:
    profiles = load_profiles()
    with st.sidebar:
        st.header("Analys")
        st.radio("Nivå", list(LEVELS), key="level", format_func=LEVELS.get,
                 help="Kommundelarna är RegSO grupperade efter namn, en illustration av hur "
                      "kommunens egen indelning används; antal summeras och andelar räknas om.")
        st.selectbox("Profil", list(profiles), key="profile",
                     on_change=on_profile_change, args=(catalogue,),
                     help="Färdiga urval av indikatorer och vikter. Du kan ändra allt nedan.")
        st.file_uploader("Läs in sparade inställningar (TOML)", type=["toml"],
                         key="settings_file", on_change=on_settings_upload, args=(catalogue,))
        if "settings_error" in st.session_state:
            st.error(st.session_state["settings_error"])
        st.radio("Normalisering", list(NORMALISATIONS), key="normalisation",
                 format_func=NORMALISATIONS.get)
        st.radio("Sammanvägning", list(AGGREGATIONS), key="aggregation",
                 format_func=AGGREGATIONS.get)
        st.slider("Flagga indikatorer från percentil", 50, 100, step=5, key="flag_threshold",
                  help="Som i CDC:s SVI: en indikator flaggas för ett område när området ligger "
                       "på eller över denna percentil.")
        st.radio("Saknade värden", ["reweight", "error"], key="missing",
                 format_func={"reweight": "Vikta om bland övriga indikatorer",
                              "error": "Stoppa med fel"}.get)
        st.subheader("Domäner och indikatorer")
        for dom, label in DOMAINS.items():
            members = [ind for ind in catalogue.in_domain(dom) if ind.id in available]
            if not members:
                continue
            with st.expander(label):
                st.slider(f"Domänvikt: {label}", 0.0, WEIGHT_MAX, step=0.5, key=f"dw_{dom}")
                for ind in members:
                    arrow = "↑ högre = större behov" if ind.direction > 0 else \
                        "↓ högre = mindre behov"
                    st.checkbox(f"{ind.name} ({ind.unit})", key=f"use_{ind.id}",
                                help=f"{arrow}. Källa: {ind.source}")
                    st.slider(f"Vikt: {ind.name}", 0.0, WEIGHT_MAX, step=0.5,
                              key=f"w_{ind.id}", disabled=not st.session_state[f"use_{ind.id}"],
                              label_visibility="collapsed")
        st.subheader("Karta")
        st.checkbox("Bakgrundskarta (OpenStreetMap)", key="tiles", value=False,
                    help="Av som standard: då skickas inga förfrågningar till någon kartserver.")
        with st.expander("Egna filer"):
            st.file_uploader("Områden (GeoPackage, GeoJSON, GeoParquet, zippad Shapefile)",
                             type=["gpkg", "geojson", "json", "parquet", "zip"], key="areas_file")
            st.file_uploader("Indikatortabell (CSV, Excel eller Parquet)",
                             type=["csv", "xlsx", "parquet"], key="table_file")
            st.caption("Båda filerna behövs. Indikatortabellen ska ha kolumnen 'area_id' och "
                       "kolumnerna som indikatorkatalogen anger.")
        with st.expander("Jämförelser"):
            st.file_uploader("Polisens utsatta områden (GeoPackage, GeoJSON)",
                             type=["gpkg", "geojson", "json", "zip"], key="utsatta_file")
            st.file_uploader("SCB:s områdestyp per RegSO (CSV)", type=["csv"],
                             key="omradestyp_file")
            st.text_input("Kommun i områdestypsfilen", key="omradestyp_kommun",
                          placeholder="t.ex. Huddinge; tomt = efter områdenas namn")
            st.caption("Visas som kartlager och som kolumner i tabellen, men ingår inte i "
                       "indexet.")


@st.cache_resource(show_spinner="Summerar till kommundelar …", max_entries=4)
def inputs_at_level(key: tuple[str, ...], _inputs: pipeline.Inputs
                    ) -> tuple[pipeline.Inputs, list[str]]:
    """The inputs summed to kommundelar; ``key`` names the inputs (the object is not hashed)."""
    del key
    grouping = read_grouping(DEFAULT_GROUPING)
    return to_level(_inputs, grouping, title=load_grouping_title(DEFAULT_GROUPING))


def choose_comparisons() -> pipeline.Comparisons | None:
    """The uploaded comparison files, parsed (cached by their bytes), or None."""
    state = st.session_state
    uploads = {key: state.get(key) for key in ("utsatta_file", "omradestyp_file")}
    parsed = {key: loader(f.name, _digest(f), f.getvalue())
              for (key, f), loader in zip(uploads.items(), (load_uploaded_utsatta,
                                                            load_uploaded_omradestyp),
                                          strict=True) if f is not None}
    if "omradestyp_file" in parsed and state.get("level", "regso") != "regso":
        # SCB's områdestyp is per RegSO by name: kommundelar would all be unmatched.
        del parsed["omradestyp_file"]
        st.info("SCB:s områdestyp gäller RegSO och visas bara på nivån RegSO.")
    if not parsed:
        return None
    kommun = (state.get("omradestyp_kommun") or "").strip() or None
    return pipeline.Comparisons(utsatta=parsed.get("utsatta_file"),
                                omradestyp=parsed.get("omradestyp_file"), kommun=kommun)


def choose_inputs() -> tuple[pipeline.Inputs, list[str]]:
    """The inputs the user chose (bundled demo or uploads) at the chosen level, with notes."""
    areas_file, table_file = st.session_state.get("areas_file"), st.session_state.get("table_file")
    if areas_file is not None and table_file is not None:
        key = (areas_file.name, _digest(areas_file), table_file.name, _digest(table_file))
        inputs = load_uploaded_inputs(key, areas_file, table_file)
    else:
        key, inputs = ("demo",), load_default_inputs()
    if st.session_state.get("level", "regso") == "kommundelar":
        return inputs_at_level(key, inputs)
    return inputs, []


# -- main views ----------------------------------------------------------------------------
def show_data_page(analysis: pipeline.Analysis, available: tuple[str, ...]) -> None:
    """Where the data come from, what they cover, and what did not match."""
    inputs, report = analysis.inputs, analysis.join_report
    st.subheader("Källor")
    st.dataframe(pd.DataFrame([{
        "Data": role, "Titel": s.title, "Källa": s.source, "Datum": s.date,
        "Licens": s.licence or "–", "Syntetiska": "ja" if s.synthetic else "nej",
        "Anmärkning": s.note or "–"}
        for role, s in analysis.source_roles()]),
        hide_index=True)
    st.subheader("Täckning")
    catalogue = inputs.catalogue
    c1, c2, c3 = st.columns(3)
    c1.metric("Områden i kartan", len(inputs.areas))
    c2.metric("Rader i indikatortabellen", len(inputs.table))
    c3.metric("Indikatorer som kan beräknas", f"{len(available)} av {len(catalogue)}")
    lacking = [{"Indikator": ind.name, "Saknade kolumner": ", ".join(
        c for c in ind.columns if c not in inputs.table.columns)}
        for ind in catalogue.values() if ind.id not in available]
    if lacking:
        st.markdown("**Indikatorer i katalogen som tabellen saknar kolumner för**")
        st.dataframe(pd.DataFrame(lacking), hide_index=True)
    st.subheader("Koppling mellan områden och indikatorer")
    st.write(f"{len(report.matched)} områdeskoder matchade.")
    if report.complete:
        st.success("Alla områden har indikatordata och alla rader i tabellen har ett område.")
    for message in report.messages():
        st.warning(message)
    missing = analysis.result.values.isna()
    if missing.any().any():
        st.markdown("**Saknade värden per indikator**")
        st.dataframe(pd.DataFrame([{
            "Indikator": catalogue[i].name, "Antal områden": int(missing[i].sum()),
            "Områden": ", ".join(missing.index[missing[i]])}
            for i in missing.columns if missing[i].any()]), hide_index=True)


def show_profile(analysis: pipeline.Analysis, area_id: str) -> None:
    result, names = analysis.result, dict(zip(analysis.joined[AREA_ID],
                                              analysis.joined[AREA_NAME], strict=True))
    profile = result.profile(area_id)
    st.subheader(f"Områdesprofil: {names.get(area_id, area_id)} ({area_id})")
    c1, c2, c3 = st.columns(3)
    c1.metric("Rang", f"{int(profile.rank)} av {profile.n_areas}" if profile.rank == profile.rank
              else "–")
    c2.metric("Sammanvägt index", format_number(profile.score))
    c3.metric("Flaggade indikatorer", len(profile.flags))
    domains = pd.DataFrame({"Området": profile.domain_scores,
                            "Genomsnitt för alla områden": profile.domain_means})
    domains["Skillnad mot genomsnittet"] = domains["Området"] - domains[
        "Genomsnitt för alla områden"]
    domains.index = [DOMAINS[d] for d in domains.index]
    st.markdown("**Domänpoäng jämfört med genomsnittet** (positivt = större behov än "
                "genomsnittet)")
    chart_col, numbers_col = st.columns([3, 2])
    chart_col.bar_chart(domains["Skillnad mot genomsnittet"], horizontal=True)
    numbers_col.dataframe(domains.round(2))
    left, right = st.columns(2)
    with left:
        st.markdown("**Indikatorer som driver upp poängen mest**")
        if not profile.top_contributors:
            st.write("Inga indikatorer ligger över genomsnittet.")
        for c in profile.top_contributors:
            st.write(f"- {c.indicator.name}: {format_number(c.value, 1)} {c.indicator.unit} "
                     f"(bidrag {format_number(c.contribution, 3)})")
    with right:
        threshold = f"{result.settings.flag_threshold:.0%}"
        st.markdown(f"**Flaggor** (percentilrang ≥ {threshold})")
        if not profile.flags:
            st.write("Inga flaggor.")
        for c in profile.flags:
            st.write(f"- 🚩 {c.indicator.name}: {format_number(c.value, 1)} {c.indicator.unit}")
        if profile.missing:
            st.markdown("**Saknade värden**")
            for ind in profile.missing:
                st.write(f"- {ind.name}")


def main() -> None:
    st.set_page_config(page_title="prevmap – behov per område", page_icon="🗺️", layout="wide")
    st.title("prevmap – barns och ungas behov av förebyggande arbete per område")
    try:
        inputs, level_notes = choose_inputs()
    except PrevmapError as err:
        st.error(str(err))
        st.stop()
    catalogue = inputs.catalogue
    available = available_indicators(inputs.table, catalogue)
    if "normalisation" not in st.session_state:
        profiles = load_profiles()
        st.session_state["profile"] = next(iter(profiles))
        apply_settings(profiles[st.session_state["profile"]], catalogue)
    sidebar(catalogue, available)

    if inputs.synthetic:
        st.warning("**SYNTETISKA DEMODATA.** Indikatorvärdena är påhittade av en slumpgenerator "
                   "och beskriver inte de verkliga områdena. Områdesgränserna: "
                   f"{inputs.areas.source.title}.", icon="⚠️")
    try:
        settings = settings_from_widgets(catalogue, available)
        analysis = pipeline.run_analysis(inputs, settings)
    except PrevmapError as err:
        st.error(str(err))
        st.stop()
    try:     # a bad comparison file leaves the ranking and the map usable
        comparisons = choose_comparisons()
        if comparisons is not None:
            analysis = pipeline.add_comparisons(analysis, comparisons)
    except PrevmapError as err:
        st.error(f"Jämförelserna visas inte. {err}")
    left_out = [catalogue[i].name for i in catalogue
                if st.session_state.get(f"use_{i}") and i not in available]
    if left_out:
        st.warning("Valda i inställningarna men saknas i indikatortabellen, så de räknas inte: "
                    + "; ".join(left_out) + ".")
    for note in level_notes + analysis.notes():
        st.info(note)

    tiles = TILES if st.session_state["tiles"] else None
    map_tab, data_tab = st.tabs(["Karta och rangordning", "Data och källor"])
    with map_tab:
        show_map_page(analysis, tiles, settings)
    with data_tab:
        show_data_page(analysis, available)


def show_map_page(analysis: pipeline.Analysis, tiles: str | None,
                  settings: AnalysisSettings) -> None:
    fmap = pipeline.build_analysis_map(analysis, tiles=tiles)
    clicked = st_folium(fmap, key="karta", height=640, use_container_width=True,
                        returned_objects=["last_active_drawing"])
    st.caption("Kartbiblioteket Leaflet hämtas från internet (jsDelivr); utan nätverk visas "
               "kartan inte, men tabellen, profilen och nedladdningarna fungerar.")
    drawing = (clicked or {}).get("last_active_drawing") or {}
    idx = (drawing.get("properties") or {}).get(FEATURE_INDEX)
    ids = list(analysis.joined[AREA_ID])
    if idx is not None and 0 <= int(idx) < len(ids) and \
            st.session_state.get("clicked_idx") != idx:
        st.session_state["clicked_idx"] = idx
        st.session_state["area"] = ids[int(idx)]

    table = pipeline.ranking_table(analysis)
    st.subheader("Rangordning")
    st.caption(analysis.result.method_summary())
    st.dataframe(table.drop(columns=["Datakälla"]), hide_index=True,
                 column_config={"Sammanvägt index": st.column_config.NumberColumn(format="%.2f")})

    ranked = [a for a in table["Områdeskod"] if a in analysis.result.score.index]
    names = dict(zip(table["Områdeskod"], table["Område"], strict=True))
    if st.session_state.get("area") not in ranked:
        st.session_state["area"] = ranked[0]
    st.selectbox("Välj område (eller klicka på kartan)", ranked, key="area",
                 format_func=lambda a: f"{names[a]} ({a})")
    show_profile(analysis, st.session_state["area"])

    st.subheader("Ladda ned")
    d1, d2, d3 = st.columns(3)
    # The files are made when the button is clicked, not on every rerun, by the same
    # functions as `prevmap export`. The map is built anew: folium adds to a map each time
    # it is rendered, and st_folium has rendered `fmap` already.
    d1.download_button("Karta (HTML)", lambda: pipeline.map_html(analysis, tiles=tiles),
                       file_name="prevmap_karta.html", mime="text/html")
    d2.download_button("Rangordning (CSV)", lambda: pipeline.ranking_csv(analysis),
                       file_name="prevmap_rangordning.csv", mime="text/csv")
    d3.download_button("Inställningar (TOML)", settings.to_toml().encode("utf-8"),
                       file_name="prevmap_installningar.toml", mime="application/toml")
    digest = hashlib.sha256(settings.to_toml().encode()).hexdigest()[:12]
    st.caption(f"Inställningarnas fingeravtryck: {digest}. Källor: "
               + "; ".join(s.label() for s in analysis.sources))


main()
