"""Write ``notebooks/walkthrough.ipynb`` from the cells below, without outputs.

Edit the cells here and run, from the repository root::

    .venv/bin/python notebooks/write_walkthrough.py

The notebook is committed without outputs; ``tests/test_notebook.py`` runs it.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

OUT = Path(__file__).resolve().parent / "walkthrough.ipynb"

CELLS = [
    ("md", """\
# Genomgång: vilka områden i Huddinge har störst behov av förebyggande arbete?

Den här anteckningsboken visar hela arbetsgången i prevmap, steg för steg, för en analytiker:

1. läsa in områden och indikatorer,
2. välja en analysprofil,
3. rangordna områdena,
4. granska ett enskilt område,
5. ändra en vikt och se hur rangordningen flyttar sig,
6. exportera karta, tabell och inställningar.

> **Obs! Indikatorvärdena är syntetiska demodata.** De är påhittade av en slumpgenerator
> (`data/build_demo_indicators.py`) och säger *ingenting* om de verkliga områdena.
> Områdesgränserna är däremot verkliga: SCB:s regionala statistikområden (RegSO) 2025
> för Huddinge kommun. Byt ut indikatortabellen mot riktiga data innan resultaten används."""),
    ("code", """\
import tempfile
from pathlib import Path

import pandas as pd

from geo.analysis import run_analysis
from geo.export.outputs import export_analysis
from geo.export.tables import ranking_table
from geo.inputs import list_profiles, load_inputs
from indicators.columns import DOMAINS
from geo.io.files import read_settings
from indicators.settings import AnalysisSettings

pd.set_option("display.width", 160)
pd.set_option("display.max_columns", 20)"""),
    ("md", """\
## 1. Läs in data

`load_inputs()` läser utan argument de filer som följer med projektet: Huddinges 22 RegSO-områden
(GeoParquet), demotabellen med indikatorer och indikatorkatalogen. Varje fil kontrolleras när den
läses; fel i indata stoppar med ett meddelande som säger vilken fil, vilken kolumn och vilka värden
som är fel. Källa och datum följer med till kartan och exporten."""),
    ("code", """\
inputs = load_inputs()

print(f"{len(inputs.areas)} områden, {len(inputs.table)} rader i indikatortabellen, "
      f"{len(inputs.catalogue)} indikatorer i katalogen")
print("Områden:    ", inputs.areas.source.label())
print("Indikatorer:", inputs.table_source.label())
print("Syntetiska demodata:", inputs.synthetic)"""),
    ("md", """\
## 2. Välj en analysprofil

En profil är en sparad uppsättning analysinställningar: vilka indikatorer som ingår, deras vikter,
domänvikterna, normalisering, sammanvägning och hur saknade värden hanteras. Profilerna ligger i
`data/profiles/`. Vi börjar med den breda profilen där alla sex domäner väger lika."""),
    ("code", """\
profiles = list_profiles()
for name, profile_settings in profiles.items():
    print(f"{name}: {profile_settings.description}")

settings = profiles["Bred prevention"]"""),
    ("md", """\
## 3. Rangordna områdena

`run_analysis` normaliserar indikatorerna (så att högre alltid betyder större behov), väger samman
dem inom och mellan domäner, rangordnar områdena och kopplar resultatet till kartans områden.
Anteckningarna nedan är sådant som analytikern måste känna till, till exempel saknade värden."""),
    ("code", """\
analysis = run_analysis(inputs, settings)

print(analysis.result.method_summary())
print()
for note in analysis.notes():
    print("Obs:", note)"""),
    ("md", """\
Rangordningen som tabell, samma som appen visar och som exporten skriver till CSV.
Rang 1 = störst behov. Kolumnen *Datakälla* (som upprepar demodatamärkningen på varje rad)
visas inte här."""),
    ("code", """\
table = ranking_table(analysis)
table.drop(columns=["Datakälla"]).head(10)"""),
    ("md", """\
## 4. Granska ett område

`analysis.result.profile(område)` samlar allt om ett område: rang, sammanvägt index, domänpoäng
jämfört med medelvärdet för alla områden, de indikatorer som bidrar mest till indexet och de
indikatorer som är flaggade (området ligger i den översta tiondelen)."""),
    ("code", """\
area_id = table["Områdeskod"].iloc[0]
area_name = table["Område"].iloc[0]
profile = analysis.result.profile(area_id)

print(f"{area_name} ({area_id}): rang {profile.rank:.0f} av {profile.n_areas}, "
      f"sammanvägt index {profile.score:.2f}")
# Adding 0.0 shows a rounded -0.00 as 0.00.
pd.DataFrame({"Området": profile.domain_scores,
              "Medel alla områden": profile.domain_means}).rename(index=DOMAINS).round(2) + 0.0"""),
    ("code", """\
print("Bidrar mest till indexet:")
for c in profile.top_contributors:
    print(f"  {c.indicator.name}: {c.value:.1f} {c.indicator.unit} (bidrag {c.contribution:+.2f})")

print(f"Flaggade indikatorer ({len(profile.flags)}):")
for c in profile.flags:
    print(f"  {c.indicator.name}: {c.value:.1f} {c.indicator.unit}")
if profile.missing:
    print("Saknade värden:", ", ".join(i.name for i in profile.missing))"""),
    ("md", """\
## 5. Ändra en vikt

Inställningarna är ett fryst objekt: en ändring ger ett nytt objekt och det gamla finns kvar.
Här låter vi domänen *Kriminalitet* väga tre gånger så mycket som de andra domänerna."""),
    ("code", """\
crime_settings = settings.with_changes(
    name="Bred prevention, kriminalitet x 3",
    domain_weights={**dict(settings.domain_weights), "kriminalitet": 3.0},
)
crime_analysis = run_analysis(inputs, crime_settings)
print(dict(crime_settings.domain_weights))"""),
    ("md", """\
Samma inställningar kan också byggas direkt med `AnalysisSettings.create`; två inställningar med
samma innehåll är lika, oavsett hur de skapades."""),
    ("code", """\
same_settings = AnalysisSettings.create(
    dict(settings.indicator_weights),
    {**dict(settings.domain_weights), "kriminalitet": 3.0},
    name="Bred prevention, kriminalitet x 3",
    description=settings.description,
    normalisation=settings.normalisation,
    aggregation=settings.aggregation,
    missing=settings.missing,
    flag_threshold=settings.flag_threshold,
    top_n=settings.top_n,
)
print("Samma inställningar:", same_settings == crime_settings)"""),
    ("md", """\
Hur flyttar sig områdena? En positiv förändring betyder att området har klättrat i rangordningen
(större behov med den nya vikten)."""),
    ("code", """\
before = ranking_table(analysis).set_index("Områdeskod")
after = ranking_table(crime_analysis).set_index("Områdeskod")
moves = pd.DataFrame({
    "Område": before["Område"],
    "Rang före": before["Rang"],
    "Rang efter": after["Rang"].reindex(before.index),
})
moves["Förändring"] = moves["Rang före"] - moves["Rang efter"]
moves.sort_values("Rang efter")"""),
    ("md", """\
## 6. Exportera

`export_analysis` skriver samma tre filer som appens nedladdningsknappar och kommandot
`prevmap export`: kartan som en fristående HTML-fil (utan bakgrundskarta, så att den fungerar utan
nätverk), rangordningen som CSV för svenska Excel (semikolon och decimalkomma) och inställningarna
som TOML. Här skrivs de till en tillfällig mapp."""),
    ("code", """\
export_dir = Path(tempfile.mkdtemp(prefix="prevmap-genomgang-"))
paths = export_analysis(crime_analysis, export_dir / "huddinge_behov.html")

for path in (paths.html, paths.csv, paths.settings):
    print(f"Skrev {path} ({path.stat().st_size} byte)")"""),
    ("md", """\
Inställningsfilen gör analysen reproducerbar: läs in den igen och kör om, så blir rangordningen
densamma."""),
    ("code", """\
replayed = run_analysis(inputs, read_settings(paths.settings))
same_ranking = ranking_table(replayed).equals(ranking_table(crime_analysis))
print("Samma rangordning efter omkörning:", same_ranking)"""),
    ("md", """\
## 7. Samma analys på riktiga data från SCB

Med SCB:s statistik per DeSO (demografiska statistikområden) kan fyra socioekonomiska
riskfaktorer beräknas på riktigt: låg ekonomisk standard, förgymnasial utbildning, utanför
arbetskraften och hyresrätt. Antalen summeras från 60 DeSO till 22 RegSO och andelarna räknas
om från antalen. Som kontroll jämförs resultatet med SCB:s egen områdestyp (2023), där fem av
Huddinges RegSO har typ 2, "stora socioekonomiska utmaningar".

Cellerna kräver mappen `../shared/data` bredvid projektet; utan den hoppas avsnittet över."""),
    ("code", """\
from geo.spatial.join import join_areas
from geo.io.files import read_catalogue
from indicators.levels import aggregate_to_level, link_table
from indicators.ranking import rank_areas
from geo.io.scb_wide import scb_indicator_counts

SHARED = Path.cwd().resolve().parents[1] / "shared" / "data"
SCB_DESO = SHARED / "huddinge" / "scb_deso2018_2022_0126_wide.csv"
if SCB_DESO.exists():
    wide = pd.read_csv(SCB_DESO, dtype={"deso_2018": str})
    counts = scb_indicator_counts(wide)
    link = link_table(wide, "deso_2018", "RegSOkod_2020", "RegSO_2020")
    regso = aggregate_to_level(counts, link, counts=[c for c in counts if c != "area_id"])
    scb_catalogue = read_catalogue(Path.cwd().parent / "data" / "catalogue_scb.csv")
    real = rank_areas(regso.frame, scb_catalogue,
                      AnalysisSettings.create({i: 1.0 for i in scb_catalogue},
                                              name="SCB socioekonomi"))
    joined, report = join_areas(inputs.areas.frame, real)
    print(f"{len(wide)} DeSO -> {len(regso.frame)} RegSO; alla områden matchade: "
          f"{report.complete}")
    names = dict(zip(regso.frame["area_id"], regso.frame["area_name"], strict=True))
    top5 = [names[a] for a in real.summary()["area_id"].head(5)]
    print("Högst behov (riktiga SCB-data):", ", ".join(top5))
else:
    print(f"Avsnittet hoppas över: {SHARED} finns inte.")"""),
    ("md", """\
**Kom ihåg:** siffrorna ovan kommer från syntetiska demodata. Metoden och arbetsgången är
desamma med riktiga data: byt indikatortabell med `load_inputs(indicators=...)`."""),
]


def build_notebook() -> nbformat.NotebookNode:
    # Fixed cell ids, so that writing the notebook again gives the same file.
    cells = [new_markdown_cell(text, id=f"cell-{i:02d}") if kind == "md"
             else new_code_cell(text, id=f"cell-{i:02d}") for i, (kind, text) in enumerate(CELLS)]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                 "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def write_notebook(path: Path = OUT) -> Path:
    nb = build_notebook()
    nbformat.validate(nb)
    nbformat.write(nb, path)
    return path


if __name__ == "__main__":
    print(f"Skrev {write_notebook()}")
