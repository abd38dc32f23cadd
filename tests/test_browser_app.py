"""The Streamlit app in a real browser (Debian chromium), every request to another host
refused: the map draws its polygons, a click opens the area's profile, a weight moved with
the keyboard changes the ranked table to the pipeline's ranking for the new weights, and
every download button gives a file that opens and holds that same analysis."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import openpyxl
import pytest
from browser import (
    AREA_LAYERS_JS,
    MAP_FRAME,
    MAP_PAGE,
    choose_option,
    launched_browser,
    open_offline,
    open_tab,
    requires_browser,
    screenshot,
    served_app,
)

from geo.analysis import plan_followup, run_analysis
from geo.export.tables import ranking_csv, ranking_table
from geo.export.workbook import SHEET_RANKING
from geo.inputs import list_profiles, load_inputs
from geo.maps.analysis_map import analysis_view
from geo.maps.mapview import decoded
from geo.sources import real_inputs
from indicators.settings import AnalysisSettings

ROOT = Path(__file__).resolve().parents[1]
DEMO = "/?data=demo"
pytestmark = requires_browser


@pytest.fixture
def app_url(tmp_path_factory) -> Iterator[str]:
    with served_app(tmp_path_factory.mktemp("cache")) as url:
        yield url


def test_app_in_a_real_browser_offline(app_url, tmp_path):
    """What a user gets from `make run`: the real SCB data for Huddinge, offline."""
    blocked: list[str] = []
    with launched_browser() as chromium:
        page = _guarded_page(chromium, app_url, blocked, path="")
        page.get_by_text("Områdesprofil: Vårby gård").wait_for()
        assert page.get_by_text("SYNTETISKA DEMODATA").count() == 0
        frame = page.frame_locator(MAP_FRAME)
        paths = frame.locator("path.leaflet-interactive")
        paths.first.wait_for()
        assert paths.count() >= 22
        screenshot(page, "app.png")

        # A click on an area opens its profile: the largest area, whose middle is clear of
        # the title and legend panels.
        boxes = [paths.nth(i).bounding_box() for i in range(paths.count())]
        i = max(range(len(boxes)), key=lambda j: boxes[j]["width"] * boxes[j]["height"]
                if boxes[j] else 0)
        # The title sits above the map now: bring the whole map into the window first (a
        # shape cut by the window's edge is scrolled into view on mousedown, and the click
        # is lost).
        page.locator(MAP_FRAME).evaluate("e => e.scrollIntoView({block: 'end'})")
        box = paths.nth(i).bounding_box()
        before = page.get_by_text("Områdesprofil:").first.inner_text()
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] * 0.6)
        page.wait_for_function(
            "before => [...document.querySelectorAll('h3')].some(h => "
            "h.innerText.startsWith('Områdesprofil:') && h.innerText !== before)",
            arg=before, timeout=60_000)
        clicked = page.get_by_text("Områdesprofil:").first.inner_text()

        # Another area chosen in the list, another tab shown and the map's tab again (its
        # frame is made anew): a click on the same area opens its profile again, it is not
        # taken for the click already handled.
        choose_option(page, "Välj område (eller klicka på kartan)", "Vårby gård",
                      page.get_by_text("Områdesprofil: Vårby gård").first)
        assert clicked != "Områdesprofil: Vårby gård", clicked
        page.get_by_role("tab", name="Metod", exact=True).click()
        page.get_by_role("tab", name="Karta och rangordning", exact=True).click()
        paths = page.frame_locator(MAP_FRAME).locator("path.leaflet-interactive")
        paths.first.wait_for()
        page.wait_for_timeout(500)
        page.locator(MAP_FRAME).evaluate("e => e.scrollIntoView({block: 'end'})")
        box = paths.nth(i).bounding_box()
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] * 0.6)
        page.get_by_role("heading", name=clicked).wait_for(timeout=60_000)

        # The CSV download is the pipeline's CSV for the chosen settings.
        with page.expect_download() as download:
            page.get_by_role("button", name="Rangordning (CSV)").click()
        saved = tmp_path / "rangordning.csv"
        download.value.save_as(saved)
        expected = ranking_csv(run_analysis(
            real_inputs(load_inputs().areas), list_profiles()["SCB: socioekonomiska riskfaktorer"]))
        assert saved.read_bytes() == expected
        # The profile's charts (Vega-Lite specs written by the app) are drawn.
        charts = page.locator(".vega-embed")
        charts.first.wait_for(timeout=60_000)
        assert charts.count() == 2
        page.get_by_text("Domänpoäng jämfört med genomsnittet").scroll_into_view_if_needed()
        page.wait_for_timeout(500)
        screenshot(page, "app_profile.png")
        assert blocked == []


def _references(frames: list[bytes]) -> int:
    """How many of the server's ``frames`` refer to an element the browser holds."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    found = 0
    for frame in frames:
        msg = ForwardMsg()
        msg.ParseFromString(frame)
        found += msg.WhichOneof("type") == "ref_hash"
    return found


def _guarded_page(chromium, app_url: str, blocked: list[str], allowed: tuple[str, ...] = (),
                  path: str = DEMO, received: list[bytes] | None = None,
                  requested: list[str] | None = None):
    """A page on the app (at ``path``: by default the link to the synthetic demo, whose six
    domains most journeys use; "" is what a user gets) where every request to another host
    (other than ``allowed`` addresses) is refused and recorded. ``received`` and
    ``requested`` (unless None) collect the websocket frames the server sends and the URLs
    the page requests, from the start."""
    context = chromium.new_context(viewport={"width": 1400, "height": 1000},
                                   accept_downloads=True)

    def guard(route):
        url = route.request.url
        if url.startswith((app_url, *allowed, "data:", "blob:", "about:")):
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    page.set_default_timeout(120_000)
    if requested is not None:
        page.on("request", lambda request: requested.append(request.url))
    if received is not None:
        page.on("websocket", lambda ws: ws.on("framereceived", lambda frame: received.append(
            frame.encode() if isinstance(frame, str) else frame)))
    page.goto(app_url + path)
    page.get_by_text("Områdesprofil:").first.wait_for()
    return page


def _shown_ranking(page) -> list[tuple[str, float]]:
    """(Områdeskod, Sammanvägt index) of the ranked table's rows the browser has drawn, read
    from the table the data grid keeps for screen readers."""
    grid = page.locator("[data-testid='stDataFrame']").filter(
        has=page.locator("th", has_text="Sammanvägt index")).first.locator("table")
    grid.locator("tbody tr").first.wait_for(state="attached")
    headers = grid.locator("thead th").all_text_contents()
    code, index = headers.index("Områdeskod"), headers.index("Sammanvägt index")
    rows = []
    for row in grid.locator("tbody tr").all():
        cells = row.locator("td").all_text_contents()
        if len(cells) > index:
            rows.append((cells[code], float(cells[index].replace(",", ".").replace("−", "-"))))
    return rows


def _matches(shown: list[tuple[str, float]], table) -> bool:
    expected = list(zip(table["Områdeskod"], table["Sammanvägt index"], strict=True))
    return len(shown) >= 5 and all(
        c == ec and abs(v - ev) < 0.006 for (c, v), (ec, ev) in zip(shown, expected, strict=False))


def _download(page, label: str, tmp_path: Path) -> Path:
    with page.expect_download() as download:
        page.get_by_role("button", name=label).click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    return path


def test_weight_change_and_every_download_in_a_real_browser(app_url, tmp_path):
    profile = list_profiles()["Bred prevention"]
    inputs = load_inputs()
    before = ranking_table(run_analysis(inputs, profile))
    changed = profile.with_changes(domain_weights=tuple(
        {**dict(profile.domain_weights), "kriminalitet": 0.0}.items()))
    analysis = run_analysis(inputs, changed)
    after = ranking_table(analysis)
    # The test means something only if the weight moves the table's visible top.
    top = list(zip(after["Områdeskod"], after["Sammanvägt index"], strict=True))
    assert not _matches(top, before)

    blocked: list[str] = []
    requested: list[str] = []
    received: list[bytes] = []
    with launched_browser() as chromium:
        page = _guarded_page(chromium, app_url, blocked, received=received, requested=requested)
        shown = _shown_ranking(page)
        assert _matches(shown, before), shown
        fills = decoded(analysis_view(analysis, settings=False).values["fill"])
        assert _map_fills(page) != fills       # the weight changes some area's colour

        # Kriminalitet's domain weight to 0 with the keyboard, as a user without a mouse would.
        page.locator("[data-testid='stSidebar'] [data-testid='stExpander']").filter(
            has_text="Kriminalitet").first.locator("summary").click()
        slider = page.get_by_role("slider", name="Domänvikt: Kriminalitet")
        slider.focus()
        received.clear()
        page.keyboard.press("Home")
        deadline = time.monotonic() + 60
        while not _matches(shown := _shown_ranking(page), after):
            assert time.monotonic() < deadline, f"the table did not change: {shown}"
            page.wait_for_timeout(250)
        # The map is restyled in place with the new analysis' colours; its borders came
        # once, before the change (map_component.py).
        while _map_fills(page) != fills:
            assert time.monotonic() < deadline, "the map's colours did not change"
            page.wait_for_timeout(250)
        shapes = [url for url in requested if "/shape-" in url]
        assert len(shapes) == 1, shapes
        screenshot(page, "app_weight_changed.png")
        # What the change did not touch (the other sliders, the data tab's choices, the
        # captions) went as references to what the browser holds, not again in full
        # (.streamlit/config.toml's minCachedMessageSize).
        page.locator("[data-testid='stStatusWidget']").wait_for(state="hidden")
        assert _references(received) >= 20, _references(received)

        # Every download holds the changed analysis.
        csv = _download(page, "Rangordning (CSV)", tmp_path)
        assert csv.read_bytes() == ranking_csv(analysis)

        toml = _download(page, "Inställningar (TOML)", tmp_path)
        assert AnalysisSettings.from_toml(toml.read_text("utf-8"), toml.name).equivalent(changed)

        xlsx = _download(page, "Resultat (Excel)", tmp_path)
        sheet = openpyxl.load_workbook(xlsx, read_only=True)[SHEET_RANKING]
        codes = [r[1] for r in sheet.iter_rows(min_row=2, values_only=True) if r[1]]
        assert codes == list(after["Områdeskod"])

        gpkg = _download(page, "Områden med resultat (GeoPackage)", tmp_path)
        areas = gpd.read_file(gpkg, layer="prevmap_resultat")
        assert len(areas) == len(after)
        assert list(areas.sort_values("Rang")["Områdeskod"]) == list(after["Områdeskod"])

        # The exported map and the report's map show every area, and nothing leaves the page.
        for label in ("Karta (HTML)", "Rapport (HTML)"):
            view = open_offline(chromium, _download(page, label, tmp_path))
            view.page.locator("iframe.map, .leaflet-container").first.wait_for()
            frame = view.page.frames[-1]  # the map page: the report's iframe, or the page
            frame.locator("path.leaflet-interactive").first.wait_for()
            drawn = frame.evaluate(AREA_LAYERS_JS)
            assert sorted(t["name"] for t in drawn["targets"]) == sorted(after["Område"]), label
            assert drawn["drawn"] == len(after), label
            assert view.blocked == [] and view.page_errors == [], (label, view.blocked)
            view.page.context.close()

        pdf = _download(page, "Rapport (PDF)", tmp_path)
        assert pdf.read_bytes().startswith(b"%PDF-") and b"/Type /Page" in pdf.read_bytes()
        png = _download(page, "Karta (PNG)", tmp_path)
        assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") and png.stat().st_size > 20_000
        assert blocked == []


def test_borders_that_cannot_be_fetched_are_said_on_the_map(app_url):
    """A map whose borders do not arrive is not left grey without a word."""
    blocked: list[str] = []
    with launched_browser() as chromium:
        context = chromium.new_context(viewport={"width": 1400, "height": 1000})
        context.route("**/shape-*.json", lambda route: route.fulfill(status=404, body=""))
        page = context.new_page()
        page.set_default_timeout(120_000)
        page.goto(app_url)
        frame = page.frame_locator(MAP_FRAME)
        frame.get_by_text("Kartans gränser kunde inte hämtas från appen (svaret var 404)")\
            .wait_for()
        assert frame.locator("path.leaflet-interactive").count() == 0
        page.locator(MAP_FRAME).scroll_into_view_if_needed()
        screenshot(page, "app_map_borders_missing.png")
        assert blocked == []


def _map_fills(page) -> list[str] | None:
    """The fill of every area on the app's map, by row, or None before it is drawn."""
    for frame in page.frames:
        if MAP_PAGE in frame.url:
            try:
                found = frame.evaluate(AREA_LAYERS_JS)
            except Exception:   # the map page is being replaced
                return None
            return [fill for _, fill in sorted(found["fills"])] or None
    return None


def _largest_path_centre(page, paths) -> tuple[float, float]:
    """The middle of the largest drawn polygon, with the map scrolled fully into view (a
    click that scrolls the page between press and release is no click)."""
    try:
        page.locator(MAP_FRAME).scroll_into_view_if_needed(
            timeout=30_000)
    except Exception:
        screenshot(page, "failed_map_scroll.png")
        raise
    page.mouse.wheel(0, 300)
    page.wait_for_timeout(500)
    boxes = [paths.nth(i).bounding_box() for i in range(paths.count())]
    box = max((b for b in boxes if b), key=lambda b: b["width"] * b["height"])
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def _drawn_areas(page) -> int | None:
    """How many areas (features with a tooltip) the app's map has drawn, or None."""
    for frame in page.frames:
        if MAP_PAGE in frame.url:
            try:
                return frame.evaluate(AREA_LAYERS_JS)["drawn"]
            except Exception:   # the map page is being replaced
                return None
    return None


def test_a_lan_overview_drills_down_to_a_kommun_in_a_real_browser(app_url):
    from geo import sources

    if sources.find_duva_wheel() is None:
        pytest.skip("the duva wheel (RegSO for all of Sweden) is absent; 'make setup' gets it")
    lan = sources.region_areas("01").frame
    blocked: list[str] = []
    with launched_browser() as chromium:
        page = _guarded_page(chromium, app_url, blocked)
        open_tab(page, "Data och källor")
        page.get_by_role("combobox", name="Kommun, län eller hela Sverige").click()
        page.keyboard.type("Stockholms län")
        page.keyboard.press("Enter")
        page.get_by_text("Data: Stockholms län").first.wait_for()
        open_tab(page, "Karta och rangordning")   # the map is drawn only while shown
        try:
            page.get_by_text("26 kommuner. Klicka på en kommun").wait_for(timeout=60_000)
        finally:
            screenshot(page, "app_lan_opened.png")
        frame = page.frame_locator(MAP_FRAME)
        kommuner = frame.locator("path.leaflet-interactive")
        kommuner.first.wait_for()
        assert kommuner.count() == 26
        screenshot(page, "app_lan_overview.png")

        page.mouse.click(*_largest_path_centre(page, kommuner))
        back = page.get_by_role("button", name="← Översikt: Stockholms län")
        back.wait_for()
        heading = page.get_by_text("Rangordning – ").first.inner_text()
        name = heading.removeprefix("Rangordning – ").removesuffix(", rang inom Stockholms län")
        code = next(c for c, n in sources.kommuner().items() if n == name and c[:2] == "01")
        expected = int(lan["area_id"].str.startswith(code).sum())
        deadline = time.monotonic() + 60
        while _drawn_areas(page) != expected:   # the kommun's RegSO, each with its tooltip
            assert time.monotonic() < deadline, (_drawn_areas(page), expected)
            page.wait_for_timeout(250)
        screenshot(page, "app_lan_kommun.png")

        back.click()
        page.get_by_text("26 kommuner. Klicka på en kommun").wait_for()
        assert blocked == []


def _grid_rows(page, header: str) -> list[dict[str, str]]:
    """The rows the browser has drawn of the data grid with a column ``header``, read from
    the table the grid keeps for screen readers."""
    grid = page.locator("[data-testid='stDataFrame']").filter(
        has=page.locator("th", has_text=header)).first.locator("table")
    grid.locator("tbody tr").first.wait_for(state="attached", timeout=30_000)
    headers = grid.locator("thead th").all_text_contents()
    return [dict(zip(headers, row.locator("td").all_text_contents(), strict=False))
            for row in grid.locator("tbody tr").all()]


def test_a_plan_is_followed_up_and_edited_in_a_real_browser(app_url, tmp_path):
    import datetime as dt

    from plans.model import Action, Goal, Plan, PlanArea
    from plans.store import PlanStore

    inputs = load_inputs()
    catalogue = inputs.catalogue
    ind = catalogue["valdsbrott"]
    # The server's database: the default address, which it and this test share (the
    # suite's PREVMAP_DATA).
    with PlanStore.open() as store:
        plan = store.create_plan(Plan("Trygg uppväxt i webbläsaren", "0126"), who="Bertil")
        store.save_many(plan.id, areas=[PlanArea("0126R002", "Flemingsberg östra")],
                        who="Bertil")
        analysis = run_analysis(inputs, list_profiles()["Bred prevention"])
        from plans.followup import baseline_for, measure, tables_by_year

        values = measure(tables_by_year(inputs.history, inputs.year, inputs.table), catalogue)
        base, _ = values.value(2021, "0126R002", ind.id)
        store.add_goal(plan.id, Goal("0126R002", ind.id, ind.unit, 2021, base,
                                     round(base / 2, 2), 2030), catalogue, who="Bertil")
        store.add_action(plan.id, Action("0126R002", "Fältassistenter", "Socialnämnden",
                                         dt.date(2025, 1, 1)), who="Bertil")
        expected = plan_followup(analysis, store.contents(plan.id)).goals[0]
        assert baseline_for("0126R002", ind.id, catalogue, values) is not None
    blocked: list[str] = []
    with launched_browser() as chromium:
        page = _guarded_page(chromium, app_url, blocked)
        open_tab(page, "Åtgärdsplan")
        page.get_by_role("combobox", name="Plan").click()
        page.keyboard.type("Trygg uppväxt i webbläsaren")
        page.keyboard.press("Enter")
        heading = page.get_by_text("Flemingsberg östra: mål och uppföljning")
        heading.wait_for()
        heading.scroll_into_view_if_needed()   # the grids draw their rows when in view
        try:
            goals = _grid_rows(page, "Enligt linjen")
        finally:
            screenshot(page, "app_plan.png")
        assert [(g["Indikator"], g["Status"]) for g in goals] == [(ind.name, expected.status)]

        # Anna records an action through the form; the store has it, with her name.
        page.get_by_label("Ditt namn (sparas i historiken)").fill("Anna")
        page.get_by_label("Ditt namn (sparas i historiken)").press("Enter")
        what = page.get_by_label("Vad (insatsen)").first
        deadline = time.monotonic() + 60
        while not what.is_visible():   # a click during the name's rerun can be lost
            assert time.monotonic() < deadline, "the form 'Ny insats' did not open"
            page.get_by_text("Ny insats", exact=True).click()
            page.wait_for_timeout(1000)
        what.fill("Läxhjälp på fritidsgården")
        page.get_by_role("button", name="Spara insatsen").click()
        try:
            page.get_by_text("Insatsen 'Läxhjälp på fritidsgården' är sparad.").wait_for(
                timeout=60_000)
        finally:
            screenshot(page, "app_plan_saved.png")
        assert blocked == []
    with PlanStore.open() as store:
        actions = store.contents(plan.id).actions
        assert [a.title for a in actions] == ["Fältassistenter", "Läxhjälp på fritidsgården"]
        assert store.history(plan.id, "action")[-1].who == "Anna"


# -- issue 14: the settings survive every data choice, wait and failure -----------------------
def _settled(page) -> None:
    """Wait until the app has finished its rerun (Streamlit's 'Running' widget is gone)."""
    page.wait_for_timeout(700)
    page.locator("[data-testid='stStatusWidget']").wait_for(state="hidden", timeout=120_000)
    page.wait_for_timeout(300)


def _sidebar_view(page) -> dict[str, object]:
    """What the sidebar shows of the settings the test sets: profile, threshold, the
    kriminalitet domain's weight and its indicators' boxes."""
    sidebar = page.locator("[data-testid='stSidebar']")
    view: dict[str, object] = {
        "profile": sidebar.get_by_role("combobox", name="Profil").input_value(),
        "threshold": sidebar.get_by_role("slider", name="Flagga indikatorer från percentil")
        .input_value(),
        "kriminalitet": sidebar.get_by_role("slider", name="Domänvikt: Kriminalitet")
        .input_value()}
    for name in ("Anmälda våldsbrott", "Skadegörelse och bränder",
                 "Unga 15–20 år misstänkta för brott"):
        box = sidebar.get_by_role("checkbox", name=re.compile("^" + name))
        view[name] = box.is_checked()
    return view


def _choose(page, group: str, option: str) -> None:
    """Pick ``option`` in the data page's radio group ``group``."""
    page.get_by_role("radiogroup", name=group).get_by_text(option, exact=True).click()
    _settled(page)


def test_the_settings_survive_every_data_choice_in_a_real_browser(app_url):
    """Issue 14's bug as a user met it: settings of one's own, then 'Egen fil', 'Hämta från
    SCB' (offline), DeSO (offline) and back to Demodata/RegSO. The sidebar shows the same
    settings all the way, and at the end the map draws and ranks with them."""
    profile = list_profiles()["Kriminalitet"]
    mine = profile.with_changes(
        indicator_weights={i: w for i, w in profile.indicator_weights if i != "skadegorelse"},
        domain_weights={**dict(profile.domain_weights), "kriminalitet": 5.0},
        flag_threshold=0.8)
    inputs = load_inputs()
    expected = ranking_table(run_analysis(inputs, mine))
    top = list(zip(expected["Områdeskod"], expected["Sammanvägt index"], strict=True))
    assert not _matches(top, ranking_table(run_analysis(inputs, profile)))   # it matters

    blocked: list[str] = []
    with launched_browser() as chromium:
        page = _guarded_page(chromium, app_url, blocked)
        sidebar = page.locator("[data-testid='stSidebar']")
        sidebar.get_by_role("combobox", name="Profil").click()
        page.keyboard.type("Kriminalitet")
        page.keyboard.press("Enter")
        _settled(page)
        sidebar.locator("[data-testid='stExpander']").filter(
            has_text="Kriminalitet").first.locator("summary").click()
        page.get_by_role("slider", name="Domänvikt: Kriminalitet").focus()
        page.keyboard.press("End")
        _settled(page)
        sidebar.get_by_text(re.compile("^Skadegörelse och bränder")).click()
        _settled(page)
        page.get_by_role("slider", name="Flagga indikatorer från percentil").focus()
        page.keyboard.press("ArrowLeft")
        page.keyboard.press("ArrowLeft")
        _settled(page)
        wanted = {"profile": "Kriminalitet", "threshold": "80", "kriminalitet": "5",
                  "Anmälda våldsbrott": True, "Skadegörelse och bränder": False,
                  "Unga 15–20 år misstänkta för brott": True}
        assert _sidebar_view(page) == wanted
        screenshot(page, "app_state_0_own_settings.png")

        open_tab(page, "Data och källor")
        steps = [("upload", "Indikatorer", "Egna filer",
                  "Ladda upp en eller flera indikatortabeller"),
                 ("scb", "Indikatorer", "Hämta från SCB (PxWebApi)",
                  "Tryck på 'Hämta från SCB'"),
                 ("scb_offline", None, "Hämta från SCB", "Hämtningen från SCB misslyckades"),
                 ("deso_offline", "Nivå", "DeSO (SCB, hämtas från WFS)",
                  "Offlineläge är påslaget")]
        for n, (step, group, option, said) in enumerate(steps, 1):
            if group is None:
                page.get_by_role("button", name=option, exact=True).click()
                _settled(page)
            else:
                _choose(page, group, option)
            try:
                page.get_by_text(said).first.wait_for(timeout=60_000)
            finally:
                screenshot(page, f"app_state_{n}_{step}.png")
            assert _sidebar_view(page) == wanted, option

        _choose(page, "Indikatorer", "Demodata med alla sex domäner (syntetiska)")
        _choose(page, "Nivå", "RegSO (SCB)")
        area_sources = page.get_by_role("radiogroup", name="Områden")   # not DeSO's WFS
        assert area_sources.locator("label").filter(has=page.locator("input:checked")
                                                    ).inner_text().startswith("Inbyggda RegSO")
        assert _sidebar_view(page) == wanted
        open_tab(page, "Karta och rangordning")
        frame = page.frame_locator(MAP_FRAME)
        frame.locator("path.leaflet-interactive").first.wait_for(timeout=120_000)
        deadline = time.monotonic() + 60
        while not _matches(shown := _shown_ranking(page), expected):
            assert time.monotonic() < deadline, f"the table is not my settings': {shown}"
            page.wait_for_timeout(250)
        assert frame.locator("path.leaflet-interactive").count() >= 22
        assert _sidebar_view(page) == wanted
        screenshot(page, "app_state_5_back_to_demo.png")
        assert blocked == []
