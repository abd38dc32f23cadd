"""Tables the app shows, built from an :class:`~geo.analysis.Analysis`: where the data
come from and what each source covers, which indicators the table cannot compute, which
values are missing and why (the data page), and where the hot spots are (the drivers tab).

Plain frames with Swedish headers; the app shows them as they are (no widget logic here,
so they are tested without Streamlit).
"""

from __future__ import annotations

import pandas as pd

from geo.analysis import Analysis
from geo.spatial.comparisons import OMRADESTYP_COLUMN, POLICE_SHARE, count_column
from geo.spatial.hotspots import Hotspots
from geo.spatial.offences import OFFENCES_COLUMN, OFFENCES_ROLE
from indicators.columns import AREA_NAME, DOMAINS

NO_REASON = "tom cell eller saknad kolumn i indikatortabellen"


def source_coverage(analysis: Analysis, available: tuple[str, ...]) -> dict[str, str]:
    """How much of the map each source covers, by role ("Områden", "Indikatorer", then
    the comparisons)."""
    inputs, report = analysis.inputs, analysis.join_report
    n_areas = len(inputs.areas.frame)
    areas = "område" if n_areas == 1 else "områden"
    out = {"Områden": f"{n_areas} {areas}",
           "Indikatorer": f"{len(report.matched)} av {n_areas} {areas}, {len(available)} av "
                          f"{len(inputs.catalogue)} indikatorer"}
    if analysis.comparison is not None:
        columns = analysis.comparison.columns
        for role, _ in analysis.comparison.sources:
            if role == "Utsatta områden":
                touched = int((columns[POLICE_SHARE] > 0).sum())
                out[role] = f"{touched} av {n_areas} {areas} berörs"
            elif role == "Områdestyp":
                out[role] = f"{columns[OMRADESTYP_COLUMN].notna().sum()} av {n_areas} {areas}"
            elif role == OFFENCES_ROLE:
                known = int(columns[OFFENCES_COLUMN].notna().sum())
                out[role] = (f"{int(columns[OFFENCES_COLUMN].sum())} brott i {known} av "
                             f"{n_areas} {areas}")
            elif count_column(role) in columns:
                out[role] = f"{int(columns[count_column(role)].sum())} punkter i {n_areas} {areas}"
    return out


def source_table(analysis: Analysis, available: tuple[str, ...]) -> pd.DataFrame:
    """One row per source: its role, title, origin, date, licence, coverage and notes."""
    coverage = source_coverage(analysis, available)
    return pd.DataFrame([{
        "Data": role, "Titel": s.title, "Källa": s.source, "Datum": s.date,
        "Licens": s.licence or "–", "Täckning": coverage.get(role, "–"),
        "Syntetiska": "ja" if s.synthetic else "nej", "Anmärkning": s.note or "–"}
        for role, s in analysis.source_roles()])


def lacking_columns(analysis: Analysis, available: tuple[str, ...]) -> pd.DataFrame:
    """The catalogue's indicators the table cannot compute, with the columns it lacks
    (no rows when it can compute all)."""
    inputs = analysis.inputs
    return pd.DataFrame([{"Indikator": ind.name, "Saknade kolumner": ", ".join(
        c for c in ind.columns if c not in inputs.table.columns)}
        for ind in inputs.catalogue.values() if ind.id not in available],
        columns=["Indikator", "Saknade kolumner"])


def missing_reasons(analysis: Analysis,
                    fetch_missing: pd.DataFrame | None = None) -> dict[tuple[str, str], str]:
    """Why a value is missing, by (area, column): SCB's symbols in a fetch
    (``fetch_missing``: columns area_id, column, reason) and disclosure control."""
    reasons: dict[tuple[str, str], str] = {}
    if fetch_missing is not None:
        reasons.update({(r.area_id, r.column): r.reason for r in fetch_missing.itertuples()})
    disclosure = analysis.assessment.prepared.disclosure if analysis.assessment else None
    if disclosure is not None:
        reasons.update({(r.area_id, r.column): r.reason
                        for r in disclosure.suppressed.itertuples()})
    return reasons


def missing_values(analysis: Analysis,
                   fetch_missing: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per missing indicator value: the indicator, the area and why (every reason
    of its columns once, in order; :data:`NO_REASON` when none is known)."""
    catalogue, missing = analysis.inputs.catalogue, analysis.result.values.isna()
    reasons = missing_reasons(analysis, fetch_missing)
    rows = []
    for ind_id in missing.columns[missing.any()]:
        columns = catalogue[ind_id].columns
        for area in missing.index[missing[ind_id]]:
            why = [reasons[(area, c)] for c in columns if (area, c) in reasons]
            rows.append({"Indikator": catalogue[ind_id].name, "Område": area,
                         "Orsak": "; ".join(dict.fromkeys(why)) or NO_REASON})
    return pd.DataFrame(rows, columns=["Indikator", "Område", "Orsak"])


CLUSTERS = ("Het punkt", "Kall punkt")


def hotspot_table(hotspots: Hotspots) -> pd.DataFrame:
    """One row per variable (the score, then each domain computed) and kind of cluster
    (Gi* hot or cold spot, after FDR) that has areas: the variable, the kind and the
    areas as "name (code)"; no rows when nothing is significant."""
    names = {"score": "Sammanvägt index", **DOMAINS}
    rows = []
    for variable in hotspots.variables:
        frame = hotspots.for_variable(variable)
        for label in CLUSTERS:
            ids = frame.index[frame["gi_label"] == label]
            if len(ids):
                rows.append({"Variabel": names.get(variable, variable), "Kluster": label,
                             "Områden": ", ".join(f"{frame.at[a, AREA_NAME]} ({a})"
                                                  for a in ids)})
    return pd.DataFrame(rows, columns=["Variabel", "Kluster", "Områden"])
