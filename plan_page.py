"""The app's "Åtgärdsplan" tab: from the lägesbild to goals, actions and follow-up per area.

Streamlit code only; the plan itself is :mod:`plans` (model, database, follow-up) and its
exports are :mod:`geo.export.workbook` and :mod:`geo.export.report`. Every write names who
makes it and the version of the item as this page showed it, so that two people editing the
same plan never overwrite each other: the second gets a message and his change is not saved.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from functools import partial

import streamlit as st

from geo.analysis import Analysis
from geo.export.formats import PLAN_FORMATS, ExportOptions
from geo.export.render import renderer_missing
from geo.export.tables import ranking_table
from geo.export.text import md_text
from geo.export.views import area_tiers, plan_area_table, resource_table
from geo.maps.resources import analysis_resource_counts, resource_gaps, resource_view
from geo.plan_draft import draft_from_recommendation, draft_origin
from geo.recommend import recommendations
from geo.spatial.comparisons import PointLayer
from indicators.catalogue import Catalogue
from indicators.columns import DOMAINS
from indicators.errors import PrevmapError
from indicators.recommendation import (
    FOCUS,
    INTENSITIES,
    INTENSITY,
    REASON,
    SEPARATOR,
    focus_labels,
)
from indicators.swedish import format_number
from login_page import current_account
from map_component import show_map
from plans.access import READER, Account
from plans.followup import (
    NOT_MEASURABLE,
    FollowUp,
    Measured,
    baseline_for,
    follow_up,
    measure,
    tables_by_year,
)
from plans.model import (
    ACTORS,
    Action,
    Goal,
    Override,
    Plan,
    PlanArea,
    PlanConflictError,
    PlanContents,
    override_text,
)
from plans.store import PlanStore, database_url
from plans.views import (
    action_table,
    draft_table,
    file_stem,
    goal_label,
    goal_table,
    history_table,
    indicator_names,
    plan_summary,
)
from table_widget import show_table

OTHER_ACTOR = "Annan (skriv nedan)"


#: The plan chosen in the plan tab, kept while other tabs are shown (not a widget's key).
CHOSEN_PLAN = "chosen_plan"


def chosen_plan_overrides() -> frozenset[str]:
    """The areas whose recommended approach the plan chosen in the plan tab overrides (the
    map layer "Rekommenderat angreppssätt" marks them); none without a chosen plan or a
    store that cannot be opened (the plan tab says why)."""
    plan_id = st.session_state.get(CHOSEN_PLAN)
    if plan_id is None:
        return frozenset()
    try:
        return plan_store(database_url()).overridden_areas(plan_id)
    except PrevmapError:
        return frozenset()


@st.cache_resource(show_spinner="Öppnar databasen för åtgärdsplaner …")
def plan_store(url: str) -> PlanStore:
    """One open database per address for the whole server (a store is thread-safe)."""
    return PlanStore.open(url)


@st.cache_data(show_spinner=False, max_entries=4)
def measured(key: str, year: int | None, _analysis: Analysis) -> Measured:
    """Every year's indicator values after disclosure control (the indicator table counted
    as ``year``), once per data and settings (``key``) and year."""
    inputs = _analysis.inputs
    return measure(tables_by_year(inputs.history, year, inputs.table),
                   inputs.catalogue, rule=_analysis.settings.small_numbers)


def data_year(analysis: Analysis) -> int | None:
    """The year the indicator table describes: from the data where they say it (the
    embedded data), otherwise as the user states it here (an uploaded or fetched table)."""
    if analysis.inputs.year is not None:
        return int(analysis.inputs.year)
    year = st.number_input(
        "Vilket år gäller indikatortabellen?", min_value=1990, max_value=2100, value=None,
        step=1, key="plan_data_year",
        help="Målens utgångsvärden och uppföljningen hämtas ur tabellen för det året.")
    if year is None:
        st.info("Indikatortabellen saknar årtal. Ange året ovan för att kunna sätta mål och "
                "följa upp dem; en tabell för ett senare år följer sedan upp målen.")
    return None if year is None else int(year)


def who() -> str:
    """Who makes a change: the logged-in identity in team mode, the typed name locally."""
    return current_account().who


def plan_account() -> Account:
    """:func:`current_account`, made a reader while the plan database is read-only (a file
    or role that may only read): then no form that writes is shown either."""
    account = current_account()
    if st.session_state.get("plan_store_read_only"):
        return replace(account, role=READER)
    return account


def editable() -> bool:
    """Whether this user may change plans (a reader sees no form that writes)."""
    return plan_account().can_edit


def _saved(message: str) -> None:
    st.session_state["plan_message"] = message
    # New forms (their keys carry the round): a saved item's form starts empty, while a
    # refused one keeps what was typed, to be corrected.
    st.session_state["plan_round"] = st.session_state.get("plan_round", 0) + 1
    st.rerun()


def _form_key(name: str) -> str:
    return f"{name}_{st.session_state.get('plan_round', 0)}"


def _try(action, success: str, *, forget: str | None = None) -> None:
    """Run a database write; show its Swedish error (bad input, conflict) or the success.
    ``forget``: the edit form whose item as shown (:func:`_as_shown`) is spent after a
    save or a conflict."""
    account = plan_account()   # decided here, on the write's own path, not by the form
    if st.session_state.get("plan_store_read_only"):
        st.error("Databasen är skrivskyddad: ingenting sparades.")
        return
    if not account.can_edit:
        st.error("Du får läsa planerna men inte ändra dem; ingenting sparades. Be den som "
                 "sköter prevmap att lägga till dig bland redigerarna.")
        return
    if not account.who:
        st.error("Skriv ditt namn överst på sidan: varje ändring sparas med vem som gjorde den.")
        return
    try:
        action()
    except PlanConflictError as err:
        st.error(md_text(err))
        if forget:
            st.session_state.pop(f"plan_shown_{forget}", None)
        return
    except PrevmapError as err:
        st.error(md_text(err))
        return
    if forget:
        st.session_state.pop(f"plan_shown_{forget}", None)
    _saved(success)


def show_plan_page(analysis: Analysis, key: str,
                   points: tuple[PointLayer, ...] = ()) -> None:
    st.header("Åtgärdsplan")
    st.caption("Välj områden ur lägesbilden, sätt mål per område och följ upp dem när nya "
               "data kommer. Allt sparas med vem som ändrade och när; ingenting skrivs över.")
    try:
        store = plan_store(database_url())
    except PrevmapError as err:
        st.error(md_text(err))
        return
    if store.notice:
        st.info(md_text(store.notice))
    kind = ("delad PostgreSQL-databas" if store.backend == "postgresql"
            else "SQLite-fil på den här datorn")
    st.caption(f"Planerna sparas i en {kind}.")
    with st.expander("Tekniska detaljer"):
        st.code(f"Databas: {store.url}", language=None, wrap_lines=True)
    st.session_state["plan_store_read_only"] = store.read_only
    if store.read_only:
        st.warning("Databasen är skrivskyddad: planerna och uppföljningen visas, men "
                   "ändringar kan inte sparas.")
    if "plan_message" in st.session_state:
        st.success(md_text(st.session_state.pop("plan_message")))
    account = plan_account()
    if store.read_only:
        pass                             # said above; no name is asked for, nothing is saved
    elif not account.verified:
        st.text_input("Ditt namn (sparas i historiken)", key="plan_who", max_chars=100)
        st.caption("Lokalt läge: namnet skrivs in av dig och kontrolleras inte. I teamläge "
                   "kommer det från inloggningen.")
    elif account.can_edit:
        st.caption(md_text(f"Dina ändringar sparas i historiken som {account.who} "
                         "(från inloggningen)."))
    else:
        st.info("Du kan läsa planerna men inte ändra dem. Be den som sköter prevmap att "
                "lägga till dig bland redigerarna.")

    plans = store.plans()
    names = {p.id: p.name for p in plans}
    if "plan_pick" in st.session_state:
        st.session_state["plan_id"] = st.session_state.pop("plan_pick")
    elif "plan_id" not in st.session_state and st.session_state.get(CHOSEN_PLAN) in names:
        # Streamlit forgets a widget's value while its tab is not drawn: the plan chosen
        # before is chosen again on the way back (and the map marks its overrides).
        st.session_state["plan_id"] = st.session_state[CHOSEN_PLAN]
    left, right = st.columns([2, 1])
    plan_id = left.selectbox("Plan", list(names), format_func=names.get, key="plan_id",
                             index=None, placeholder="Välj en plan eller skapa en ny")
    st.session_state[CHOSEN_PLAN] = plan_id
    if account.can_edit:
        new_plan_form(store, right)
    if plan_id is None:
        return
    try:
        contents = store.contents(plan_id, history=True)   # one read, one moment
    except PrevmapError as err:
        st.error(md_text(err))
        return
    values = measured(key, data_year(analysis), analysis)
    followup = follow_up(contents, analysis.inputs.catalogue, values,
                         rule=analysis.settings.small_numbers)
    show_areas(store, contents, analysis, followup)
    show_recommended(store, contents, analysis, values)
    show_area_detail(store, contents, analysis, followup, values)
    show_resources(analysis, points)
    show_history(contents, analysis.inputs.catalogue)
    show_audit_check(store)
    show_plan_downloads(analysis, contents, followup)


def new_plan_form(store: PlanStore, where) -> None:
    # An expander, not a popover: a popover's messages ("Skriv ditt namn …") lay over the
    # name field at the top of the page that they ask the user to fill in.
    with where.expander("Ny plan", key="new_plan_open"), \
            st.form(_form_key("new_plan"), enter_to_submit=False):
        name = st.text_input("Namn", placeholder="t.ex. Trygg uppväxt 2027–2030")
        description = st.text_area("Beskrivning", height=80)
        if st.form_submit_button("Skapa planen"):
            kommun = str(st.session_state.get("kommun") or "")
            kommun = kommun if len(kommun) == 4 and kommun.isdigit() else ""

            def create() -> None:
                plan = store.create_plan(Plan(name, kommun=kommun, description=description),
                                         who=who())
                st.session_state["plan_pick"] = plan.id   # chosen on the next run
            _try(create, f"Planen '{name}' är skapad.")


def show_areas(store: PlanStore, contents: PlanContents, analysis: Analysis,
               followup: FollowUp) -> None:
    st.subheader("Områden i planen")
    table = ranking_table(analysis)
    tier = area_tiers(analysis)
    in_plan = {a.area_id for a in contents.areas}
    if contents.areas:
        show_table(plan_area_table(analysis, contents, followup),
                     hide_index=True)
        st.caption(md_text(plan_summary(followup)))
        if followup.goals:
            with st.expander(f"Uppföljning av alla {len(followup.goals)} mål i planen"):
                show_table(followup.table(), hide_index=True)
    else:
        st.info("Planen har inga områden än. Lägg till de områden som lägesbilden pekar ut.")
    if not editable():   # a reader: no form that writes
        return
    choices = [a for a in table["Områdeskod"] if a not in in_plan]
    labels = dict(zip(table["Områdeskod"], table["Område"], strict=True))
    with st.form(_form_key("add_areas"), enter_to_submit=False):
        chosen = st.multiselect(
            "Lägg till områden (i rangordning, störst behov först)", choices,
            format_func=lambda a: f"{labels.get(a, a)} ({a}) – {tier.get(a, '–')}",
            # No "Select all": one click added every area to a plan (issue 18).
            placeholder="Välj områden …", select_all=False)
        reason = st.text_input("Motivering", placeholder="t.ex. Hög prioritet i lägesbilden 2024")
        if st.form_submit_button("Lägg till") and chosen:
            areas = [PlanArea(a, labels.get(a, ""), reason=reason or
                              f"{tier.get(a, '–')} när området valdes") for a in chosen]
            _try(lambda: store.save_many(contents.plan.id, areas=areas, who=who()),
                 f"{len(areas)} område(n) lades till i planen.")


def _take_in(store: PlanStore, contents: PlanContents, analysis: Analysis, row,
             values: Measured, override: Override | None) -> None:
    """The recommendation (or the samordnare's change of it) into the plan, one
    transaction: the area if new, the draft goals and actions, the override, each with its
    origin in the history."""
    draft = draft_from_recommendation(analysis, row, analysis.organisation, contents,
                                      override=override, measured=values)
    store.save_many(contents.plan.id, areas=[draft.area] if draft.area.id is None else [],
                    goals=draft.goals, actions=draft.actions,
                    overrides=[override] if override is not None else [],
                    catalogue=analysis.inputs.catalogue, origin=draft_origin(analysis),
                    who=who())
    if draft.notes:
        st.session_state["plan_draft_notes"] = " ".join(draft.notes)


def show_recommended(store: PlanStore, contents: PlanContents, analysis: Analysis,
                     values: Measured) -> None:
    """"Föreslaget angreppssätt" for a chosen area, and the two ways into the plan."""
    rec = recommendations(analysis)
    if rec is None:
        return
    st.subheader("Föreslaget angreppssätt")
    if "plan_draft_notes" in st.session_state:
        st.info(md_text(st.session_state.pop("plan_draft_notes")))
    table = rec.areas[rec.areas[INTENSITY] != ""]
    labels = analysis.names
    area_id = st.selectbox("Område för förslaget", list(table.index),
                           key="plan_rec_area", format_func=lambda a: f"{labels.get(a, a)} ({a}) – "
                                                 f"{table.loc[a, INTENSITY]}")
    if area_id is None:
        return
    row = table.loc[area_id]
    st.markdown(md_text(f"**{str(row[INTENSITY]).capitalize()}**, fokus: "
                        f"{focus_labels(str(row[FOCUS])) or 'inget särskilt fokus'}. "
                        f"{row[REASON]}"))
    existing = contents.override_for(area_id)
    if existing is not None:
        st.info(md_text(override_text(existing, DOMAINS)))
    if not editable():   # a reader: no form that writes
        return
    if st.button("Ta in i planen", key=f"rec_accept_{area_id}"):
        _try(lambda: _take_in(store, contents, analysis, row, values, None),
             f"Rekommendationen för {labels.get(area_id, area_id)} togs in i planen som "
             "utkast: ändra målen och insatserna nedan.")
    with st.expander("Ändra och ta in"), \
            st.form(_form_key(f"rec_override_{area_id}"), enter_to_submit=False):
        now = existing or Override(area_id, str(row[INTENSITY]), str(row[FOCUS]), "")
        intensity = st.selectbox("Intensitet", INTENSITIES,
                                 index=INTENSITIES.index(now.intensity))
        focus = st.multiselect("Fokus (högst tre domäner)", list(DOMAINS),
                               default=list(now.focus_domains),
                               format_func=lambda d: DOMAINS[d], max_selections=3,
                               select_all=False)
        reason = st.text_input("Skäl till ändringen (krävs)", value=now.reason)
        if st.form_submit_button("Ändra och ta in"):
            changed = replace(now, intensity=intensity, focus=SEPARATOR.join(focus),
                              reason=reason.strip(),
                              recommended_intensity=str(row[INTENSITY]),
                              recommended_focus=str(row[FOCUS]), settings=analysis.digest)
            _try(lambda: _take_in(store, contents, analysis, row, values, changed),
                 f"Den ändrade rekommendationen för {labels.get(area_id, area_id)} togs in "
                 "i planen som utkast.")


def show_area_detail(store: PlanStore, contents: PlanContents, analysis: Analysis,
                     followup: FollowUp, values: Measured) -> None:
    if not contents.areas:
        return
    names = {a.area_id: a.area_name for a in contents.areas}
    area_id = st.selectbox("Område att arbeta med", list(names), key="plan_area",
                           format_func=lambda a: f"{names[a]} ({a})")
    area = next(a for a in contents.areas if a.area_id == area_id)
    st.subheader(md_text(f"{area.area_name or area_id}: mål och uppföljning"))
    show_goals(store, contents, analysis, followup, area, values)
    st.subheader(md_text(f"{area.area_name or area_id}: insatser"))
    show_actions(store, contents, area)
    drafted = draft_table(contents, area_id, indicator_names(analysis.inputs.catalogue))
    if len(drafted):
        st.subheader(md_text(f"{area.area_name or area_id}: utkast från rekommendationen"))
        st.caption("Målen och insatserna kom från rekommendationen och kan ändras som "
                   "andra; historiken visar ursprung och inställningar.")
        show_table(drafted, hide_index=True)
    if not editable():   # a reader: no form that writes
        return
    with st.expander("Ta bort området ur planen"):
        st.caption("Området tas bort med sina mål och insatser; allt finns kvar i historiken.")
        if st.button("Ta bort området", key=f"remove_area_{area.id}_{area.version}"):
            _try(lambda: store.remove_area(area, who=who(), with_contents=True),
                 f"{area.area_name or area_id} togs bort ur planen.")


def show_goals(store: PlanStore, contents: PlanContents, analysis: Analysis,
               followup: FollowUp, area: PlanArea, values: Measured) -> None:
    catalogue = analysis.inputs.catalogue
    goals = contents.goals_in(area.area_id)
    if goals:
        show_table(goal_table(followup, area.area_id), hide_index=True)
        unmeasured = [g for g in followup.in_area(area.area_id) if g.status == NOT_MEASURABLE]
        if unmeasured:
            st.caption(f"{len(unmeasured)} mål kan inte mätas än; förklaringen står i "
                       "tabellen.")
    else:
        st.info("Inga mål för området än.")
    if not editable():   # a reader: no form that writes
        return
    available = [i for i in catalogue if i in values.indicators]
    if not values.years:
        st.info("Nya mål kan inte sättas: indikatortabellen saknar årtal (ange det överst "
                "på fliken).")
        if goals:
            edit_goal(store, goals, catalogue)
        return
    with st.expander("Nytt mål", expanded=not goals):
        ind = st.selectbox("Indikator", available, key="goal_indicator",
                           format_func=lambda i: f"{catalogue[i].name} ({catalogue[i].unit})")
        years = list(values.years)
        # The latest year with a measurable value first chosen, not merely the latest year:
        # a goal from a year without a value cannot be saved or followed up.
        found = baseline_for(area.area_id, ind, catalogue, values)
        newest_first = years[::-1]
        year = st.selectbox("Utgångsår", newest_first, key="goal_year",
                            index=newest_first.index(found[0]) if found else 0)
        value, _why = values.value(year, area.area_id, ind)
        if value is not None and year == years[-1]:
            st.caption(md_text(f"{year} är det senaste året i data: målet visas som "
                               "”kan inte mätas” tills data för ett senare år finns."))
        if value is None:
            st.warning(md_text(f"Värdet för {year} kan inte användas ({_why})."
                             + (f" Senaste mätbara: {format_number(found[1])} ({found[0]})."
                                if found else "")))
        else:
            st.caption(md_text(f"Utgångsvärde ur data: {format_number(value)} "
                             f"{catalogue[ind].unit} ({year})."))
        with st.form(_form_key(f"new_goal_{area.id}"), enter_to_submit=False):
            c1, c2 = st.columns(2)
            target = c1.number_input(md_text(f"Målvärde ({catalogue[ind].unit})"), value=None,
                                     step=0.1, format="%.2f")
            target_year = c2.number_input("Målår", min_value=1990, max_value=2100,
                                          value=max(years[-1], dt.date.today().year) + 4)
            note = st.text_input("Kommentar")
            if st.form_submit_button("Spara målet"):
                if value is None:
                    st.error(md_text(f"Målet kan inte sparas: utgångsvärdet för {year} saknas "
                                   f"({_why}). Välj ett annat utgångsår."))
                elif target is None:
                    st.error("Skriv ett målvärde.")
                else:
                    goal = Goal(area.area_id, ind, catalogue[ind].unit, int(year), float(value),
                                float(target), int(target_year), note=note)
                    _try(lambda: store.add_goal(contents.plan.id, goal, catalogue, who=who()),
                         f"Målet för {catalogue[ind].name} är sparat.")
    if goals:
        edit_goal(store, goals, catalogue)


def _as_shown(kind: str, item):
    """The item as this page first showed it in its edit form (with that version), until
    the change is saved or refused: a change saved in between by someone else is then a
    conflict, not overwritten. Another item chosen starts afresh."""
    slot = f"plan_shown_{kind}"
    shown = st.session_state.get(slot)
    if shown is None or shown.id != item.id:
        st.session_state[slot] = shown = item
    if shown.version != item.version:
        st.warning("Någon annan har ändrat det här sedan du öppnade formuläret. Sparar du "
                   "nu, avvisas ändringen; läs in på nytt för att se den senaste versionen.")
        if st.button("Läs in på nytt", key=f"reread_{kind}"):
            st.session_state[slot] = shown = item
    return shown


def edit_goal(store: PlanStore, goals: tuple[Goal, ...], catalogue) -> None:
    with st.expander("Ändra eller ta bort ett mål"):
        by_id = {g.id: g for g in goals}
        names = indicator_names(catalogue)
        goal_id = st.selectbox("Mål", list(by_id), key="edit_goal_id",
                               format_func=lambda i: goal_label(by_id[i], names))
        shown = _as_shown("goal", by_id[goal_id])
        with st.form(f"edit_goal_{shown.id}_{shown.version}", enter_to_submit=False):
            c1, c2 = st.columns(2)
            tag = f"{shown.id}_{shown.version}"
            target = c1.number_input(md_text(f"Målvärde ({shown.unit})"),
                                     value=float(shown.target_value),
                                     step=0.1, format="%.2f", key=f"eg_target_{tag}")
            target_year = c2.number_input("Målår", min_value=1990, max_value=2100,
                                          value=int(shown.target_year),
                                          key=f"eg_year_{tag}")
            note = st.text_input("Kommentar", value=shown.note,
                                 key=f"eg_note_{tag}")
            save, remove = st.columns(2)
            if save.form_submit_button("Spara ändringen"):
                changed = replace(shown, target_value=float(target),
                                  target_year=int(target_year), note=note)
                _try(lambda: store.update_goal(changed, catalogue, who=who()),
                     "Ändringen av målet är sparad.", forget="goal")
            if remove.form_submit_button("Ta bort målet"):
                _try(lambda: store.remove_goal(shown, who=who()), "Målet togs bort.",
                     forget="goal")


def show_actions(store: PlanStore, contents: PlanContents, area: PlanArea) -> None:
    actions = contents.actions_in(area.area_id)
    if actions:
        show_table(action_table(actions), hide_index=True)
    else:
        st.info("Inga insatser registrerade för området.")
    if not editable():   # a reader: no form that writes
        return
    with st.expander("Ny insats", expanded=not actions), \
            st.form(_form_key(f"new_action_{area.id}"), enter_to_submit=False):
        title = st.text_input("Vad (insatsen)")
        c1, c2 = st.columns(2)
        actor = c1.selectbox("Ansvarig nämnd eller partner", (*ACTORS, OTHER_ACTOR))
        other = c2.text_input("Annan ansvarig")
        c3, c4, c5 = st.columns(3)
        start = c3.date_input("Start", value=dt.date.today(), format="YYYY-MM-DD")
        end = c4.date_input("Slut (tomt = pågår)", value=None, format="YYYY-MM-DD")
        cost = c5.number_input("Kostnad (kr, om känd)", value=None, min_value=0.0, step=1000.0)
        note = st.text_input("Kommentar", key=_form_key(f"action_note_{area.id}"))
        if st.form_submit_button("Spara insatsen"):
            action = Action(area.area_id, title, other if actor == OTHER_ACTOR else actor,
                            start, end, cost, note=note)
            _try(lambda: store.add_action(contents.plan.id, action, who=who()),
                 f"Insatsen '{title}' är sparad.")
    if actions:
        with st.expander("Ändra eller ta bort en insats"):
            by_id = {a.id: a for a in actions}
            action_id = st.selectbox("Insats", list(by_id), key="edit_action_id",
                                     format_func=lambda i: f"{by_id[i].title} ({by_id[i].actor})")
            shown = _as_shown("action", by_id[action_id])
            tag = f"{shown.id}_{shown.version}"
            with st.form(f"edit_action_{tag}", enter_to_submit=False):
                title = st.text_input("Vad (insatsen)", value=shown.title, key=f"ea_title_{tag}")
                actor = st.text_input("Ansvarig", value=shown.actor, key=f"ea_actor_{tag}")
                c3, c4, c5 = st.columns(3)
                start = c3.date_input("Start", value=shown.start, format="YYYY-MM-DD",
                                      key=f"ea_start_{tag}")
                end = c4.date_input("Slut (tomt = pågår)", value=shown.end, format="YYYY-MM-DD",
                                    key=f"ea_end_{tag}")
                cost = c5.number_input("Kostnad (kr)", value=shown.cost_sek, min_value=0.0,
                                       step=1000.0, key=f"ea_cost_{tag}")
                save, remove = st.columns(2)
                if save.form_submit_button("Spara ändringen"):
                    changed = replace(shown, title=title, actor=actor, start=start, end=end,
                                      cost_sek=cost)
                    _try(lambda: store.update_action(changed, who=who()),
                         "Ändringen av insatsen är sparad.", forget="action")
                if remove.form_submit_button("Ta bort insatsen"):
                    _try(lambda: store.remove_action(shown, who=who()), "Insatsen togs bort.",
                         forget="action")


def show_resources(analysis: Analysis, points: tuple[PointLayer, ...]) -> None:
    st.subheader("Resurser i områdena")
    if not points:
        st.info("Ladda upp skolor, fritidsgårdar, föreningar eller fältverksamhet som "
                "punktfiler under **Data och källor → Jämförelser**, så visas antal per "
                "område och var behovet är högt men resurserna få.")
        return
    counts = analysis_resource_counts(analysis, points)
    gaps = resource_gaps(analysis, counts)
    if len(gaps):
        st.markdown("**Högt behov, få resurser**")
        show_table(gaps, hide_index=True)
    else:
        st.caption("Inget område med hög prioritet har färre resurser än medianen.")
    for note in gaps.attrs.get("notes", []) + counts.attrs.get("notes", []):
        st.caption(md_text(note))
    st.markdown("**Resurser per område**")
    show_table(resource_table(analysis, counts), hide_index=True)
    # The app's map component, as on the map tab: nothing is fetched from the net.
    show_map(resource_view(analysis, points, counts, gaps=gaps, settings=False),
             key="resource_map", layer="Sammanvägt behov", height=520)


def show_history(contents: PlanContents, catalogue: Catalogue) -> None:
    with st.expander("Historik: alla ändringar i planen"):
        entries = contents.history
        if not entries:
            st.caption("Inga ändringar än.")
            return
        show_table(history_table(entries, indicator_names(catalogue)),
                     hide_index=True)


def show_audit_check(store: PlanStore) -> None:
    """The "Verifiera historiken" button: is every plan's hash chain intact?"""
    if st.button("Verifiera historiken", key="plan_verify_audit",
                 help="Kontrollerar att ingen rad i historiken har ändrats, tagits bort eller "
                      "flyttats i databasen (kedjan av kontrollsummor)."):
        try:
            check = store.verify_audit()
        except PrevmapError as err:
            st.error(md_text(err))
            return
        if check.ok:
            st.success(check.message())
        else:
            st.error(md_text(check.message()))


def show_plan_downloads(analysis: Analysis, contents: PlanContents,
                        followup: FollowUp) -> None:
    st.subheader("Ladda ned planen")
    stem = file_stem(contents.plan.name)
    missing = renderer_missing()
    options = ExportOptions(plan=contents, followup=followup)
    for column, fmt in zip(st.columns(len(PLAN_FORMATS)), PLAN_FORMATS, strict=True):
        unavailable = fmt.needs_chromium and missing is not None
        column.download_button(fmt.label, partial(fmt.write, analysis, options),
                               file_name=fmt.name(stem), mime=fmt.mime, on_click="ignore",
                               disabled=unavailable, help=missing if unavailable else fmt.help)
