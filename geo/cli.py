"""Command line: ``prevmap export`` writes the same files as the app's download buttons;
``prevmap serve`` starts the app in team mode (login, roles; see :mod:`plans.team`)."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING

# Only what the parser needs is imported here, so that `prevmap --help` answers at once
# (issue 17); each command imports the rest when it runs.
from geo.export.formats import FORMATS, MAP, OUT, OUT_FORMATS, ExportFormat, ExportOptions
from geo.export.text import failure_text, is_file_error, terminal_text
from indicators.errors import PrevmapError
from plans.config import ENV_CONFIG
from plans.team import ENV_TEAM

if TYPE_CHECKING:
    from geo.analysis import Analysis
    from geo.inputs import Inputs


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="prevmap", description="Områdesbaserad kartläggning av barns och ungas behov.")
    sub = parser.add_subparsers(dest="command", required=True)
    exp = sub.add_parser("export", help="skriv karta (HTML), rangordning (CSV) och inställningar")
    exp.add_argument("--areas", type=Path,
                     help="områdesfil: GeoPackage, GeoJSON, GeoParquet eller zippad Shapefile "
                          "(standard: kommunens RegSO 2025; utan --kommun Huddinges)")
    place = exp.add_mutually_exclusive_group()
    place.add_argument("--kommun", metavar="KOD",
                       help="kommunkod, t.ex. 0127 för Botkyrka: kommunens RegSO 2025 ur det "
                            "inbyggda underlaget, eller kommunens områden i --areas; väljer "
                            "också kommunen i --omradestyp")
    place.add_argument("--lan", metavar="KOD",
                       help="länskod, t.ex. 01 för Stockholms län: länets RegSO 2025")
    data = exp.add_mutually_exclusive_group()
    data.add_argument("--indicators", type=Path, nargs="+", metavar="FIL",
                      help="en eller flera indikatortabeller: CSV, Excel, Parquet eller SCB:s "
                           "exporter från Statistikdatabasen som de laddades ned (standard: "
                           "SCB:s öppna statistik per DeSO, inbyggd)")
    data.add_argument("--demo", action="store_true",
                      help="syntetiska demodata med alla sex domäner i stället för verkliga "
                           "data (märks som syntetiska överallt)")
    exp.add_argument("--settings", type=Path,
                     help="analysinställningar, TOML (standard: den första profilen i "
                          "data/profiles som passar katalogen)")
    exp.add_argument("--organisation", type=Path, metavar="FIL",
                     help="organisationsfilen (TOML): vem leder och vem deltar per domän "
                          "(standard: Huddinges; mall: prevmap mall --organisation)")
    exp.add_argument("--insatser", type=Path, metavar="FIL",
                     help="insatskatalogen (TOML): exempel på utvärderade insatser med källor "
                          "(standard: den inbyggda; mall: prevmap mall --insatser)")
    exp.add_argument("--catalogue", type=Path,
                     help="indikatorkatalog, CSV (standard: den inbyggda katalog som gör flest "
                          "indikatorer av tabellens kolumner)")
    for fmt in FORMATS:    # the files, as the app's download buttons (geo.export.formats)
        if fmt.option is not None:
            exp.add_argument(fmt.option, type=Path, required=fmt.option == OUT,
                             help=fmt.option_help)
    exp.add_argument("--papper", type=_paper, default="A4", metavar="FORMAT",
                     help="pappersformatet för kartan för utskrift: A4 (standard) eller A3")
    exp.add_argument("--id-column", help="kolumnen med områdeskod i områdesfilen")
    exp.add_argument("--name-column", help="kolumnen med områdesnamn i områdesfilen")
    exp.add_argument("--tiles", help="bakgrundskarta (t.ex. OpenStreetMap); standard: ingen")
    exp.add_argument("--visa", default="index", metavar="VAD",
                     help="vad kartan visar: index (standard), prioritet, en domän (t.ex. "
                          "socioekonomi) eller en indikators id, i HTML-kartan som i kartan för "
                          "utskrift (--out .png/.svg/.pdf, --png, --svg, --karta-pdf)")
    cmp = exp.add_argument_group("jämförelser (ingår inte i indexet)")
    cmp.add_argument("--utsatta", type=Path,
                     help="polisens utsatta områden (GeoPackage, GeoJSON eller zippad "
                          "Shapefile): visas som lager och som kolumn")
    cmp.add_argument("--omradestyp", type=Path,
                     help="SCB:s områdestyp per RegSO (CSV från Statistikdatabasen)")
    cmp.add_argument("--punkter", type=Path, action="append", default=[], metavar="FIL",
                     help="punktfil (CSV med koordinater i WGS84 eller SWEREF 99 TM, eller "
                          "GeoJSON), t.ex. skolor: räknas per område och visas som lager; "
                          "kan anges flera gånger")
    cmp.add_argument("--polisen", type=Path, metavar="FIL",
                     help="polisens anmälda brott per DeSO (CSV eller Excel): antal brott det "
                          "senaste hela året per område, och per 1 000 invånare när "
                          "indikatortabellen har befolkning")
    cmp.add_argument("--deso-regso", type=Path, metavar="FIL",
                     help="kopplingstabell från DeSO till områdena (t.ex. SCB:s DeSO–RegSO), "
                          "behövs för --polisen när områdena inte är DeSO")
    tpl = sub.add_parser("mall", help="skriv mallen för kommunens egna data (Excel eller CSV) "
                                      "med katalogens indikatorer och kommunens områden")
    tpl.add_argument("--out", type=Path, required=True,
                     help="filen: .xlsx (mall och instruktioner) eller .csv (bara mallen); "
                          ".toml med --organisation eller --insatser")
    files = tpl.add_mutually_exclusive_group()
    files.add_argument("--organisation", action="store_true",
                       help="skriv i stället Huddinges organisationsfil (TOML, med "
                            "kommentarer) som utgångspunkt för kommunens egen")
    files.add_argument("--insatser", action="store_true",
                       help="skriv i stället den inbyggda insatskatalogen (TOML, med "
                            "kommentarer) som utgångspunkt för kommunens egen")
    tpl.add_argument("--kommun", metavar="KOD", help="kommunens RegSO som rader (standard: "
                                                     "Huddinges)")
    tpl.add_argument("--catalogue", type=Path, help="indikatorkatalog (standard: den inbyggda "
                                                    "med alla sex domäner)")
    srv = sub.add_parser("serve", help="starta appen i teamläge: inloggning och roller ur "
                                       "[team] i inställningsfilen (se README, 'Team mode')")
    srv.add_argument("--config", type=Path,
                     help=f"inställningsfilen (standard: ${ENV_CONFIG} eller "
                          "~/.config/prevmap/prevmap.toml)")
    plan = sub.add_parser("plan", help="åtgärdsplanernas databas")
    plan_sub = plan.add_subparsers(dest="plan_command", required=True)
    verify = plan_sub.add_parser("verify", help="kontrollera att historiken är obruten "
                                                "(kedjan av kontrollsummor)")
    verify.add_argument("--database", metavar="URL",
                        help="databasens adress (standard: $PREVMAP_DATABASE_URL, url under "
                             "[database] i inställningsfilen eller SQLite-filen i datamappen)")
    return parser


def _paper(value: str) -> str:
    """``--papper``: A4 or A3 (a3 is read as A3)."""
    if value.upper() not in ("A4", "A3"):
        raise argparse.ArgumentTypeError(f"okänt pappersformat {value!r}; välj A4 eller A3")
    return value.upper()


APP = Path(__file__).resolve().parents[1] / "app.py"


STOP_SECONDS = 5


class _Stopped(Exception):
    """SIGTERM: the launcher is asked to stop."""


def _stopped(*_: object) -> None:
    raise _Stopped


def serve(config: Path | None) -> int:
    """Run the app in team mode until it stops: the team's address and port, the login's
    secrets in a private file that is removed afterwards. Stopping the launcher (SIGTERM,
    as a service manager does, or Ctrl-C) stops the server first: none is left running
    with its secrets on disk."""
    from plans.config import settings_path
    from plans.team import read_team_config, readable_by_others, streamlit_command, write_secrets

    path = (config or settings_path()).resolve()
    try:
        team = read_team_config(path, required=True)
    except PrevmapError as err:
        say(f"prevmap: {err}", err=True)
        return 2
    assert team is not None
    if readable_by_others(path):
        say(f"Obs: {path} innehåller client_secret och kan läsas av andra användare på "
            f"datorn. Åtgärd: chmod 600 {path}", err=True)
    env = {**os.environ, ENV_CONFIG: str(path), ENV_TEAM: str(path)}
    with tempfile.TemporaryDirectory(prefix="prevmap-team-") as folder:
        secrets = write_secrets(team, Path(folder))
        say(f"Teamläge på {team.address}:{team.port}; inloggning krävs "
            f"({team.auth['redirect_uri']}).", err=True)
        previous = signal.signal(signal.SIGTERM, _stopped)
        server = None
        try:
            server = subprocess.Popen(streamlit_command(sys.executable, APP, team, secrets),
                                      cwd=APP.parent, env=env)
            return server.wait()
        except KeyboardInterrupt:   # the terminal sent SIGINT to the server too
            return 130
        except _Stopped:
            return 128 + signal.SIGTERM
        finally:
            signal.signal(signal.SIGTERM, previous)
            if server is not None and server.poll() is None:
                server.terminate()
                try:
                    server.wait(timeout=STOP_SECONDS)
                except subprocess.TimeoutExpired:   # Streamlit can hang on open sessions
                    server.kill()
                    server.wait()


def verify_plans(database: str | None) -> int:
    """``prevmap plan verify``: 0 if the audit trail is intact, 2 naming its first broken
    link (or why the database cannot be opened)."""
    from plans.store import PlanStore

    try:
        with PlanStore.open(database) as store:
            check = store.verify_audit()
    except PrevmapError as err:
        say(f"prevmap: {err}", err=True)
        return 2
    if not check.ok:
        say(f"prevmap: {check.message()} Åtgärd: jämför med en säkerhetskopia av databasen "
            "och ta reda på vem som har ändrat i den utanför prevmap.", err=True)
        return 2
    say(check.message())
    return 0


def say(text: object, *, err: bool = False) -> None:
    """Print ``text``, which may hold names and values from data files, with its control
    characters escaped: a column named ``"\x1b[2J"`` is shown, it does not clear the screen."""
    print(terminal_text(text), file=sys.stderr if err else sys.stdout)


def _failed(err: Exception, doing: str) -> int:
    """Exit 2 with a Swedish message for what the user can fix (a file that cannot be read
    or written); exit 1, briefly, for a fault in prevmap itself."""
    message, details = failure_text(err, doing)
    say(f"prevmap: {message}", err=True)
    say(f"Tekniska detaljer: {details}", err=True)
    return 2 if is_file_error(err) else 1


def export_paths(args: argparse.Namespace) -> list[tuple[ExportFormat, Path]]:
    """The files ``prevmap export`` was asked for, in the registry's order: each format
    with an option given, and those always written beside ``--out`` (CSV, settings).
    ``--out`` is the HTML map, or a print map when it ends in .png, .svg or .pdf."""
    out: Path = args.out
    chosen = []
    for fmt in FORMATS:
        dest = fmt.option.lstrip("-").replace("-", "_") if fmt.option else None
        path = getattr(args, dest) if dest else None
        if path is None and fmt.suffix is not None:
            path = out.with_suffix(fmt.suffix)
        if path is not None:
            chosen.append((OUT_FORMATS.get(out.suffix.lower(), MAP) if fmt is MAP else fmt,
                           path))
    return chosen


def write_exports(analysis: Analysis, args: argparse.Namespace,
                  options: ExportOptions) -> list[Path]:
    """Write every file asked for, each by its format's writer (the same bytes as the
    app's button); PDF and PNG share one chromium."""
    from geo.export.render import shared_browser

    chosen = export_paths(args)
    rendering = any(fmt.needs_chromium for fmt, _ in chosen)
    with shared_browser() if rendering else nullcontext():
        for fmt, path in chosen:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(fmt.write(analysis, options))
    return [path for _, path in chosen]


def write_template(args: argparse.Namespace) -> int:
    """``prevmap mall``: the template for the municipality's own data, the same bytes as
    the app's button."""
    from geo.export.template import template_bytes
    from geo.inputs import DEFAULT_CATALOGUE
    from geo.io.files import read_catalogue
    from geo.sources import areas_for, place_name
    from indicators.columns import AREA_ID, AREA_NAME

    if args.organisation or args.insatser:
        return write_file_template(args.out, "organisation" if args.organisation else "insatser")
    kind = {".xlsx": "xlsx", ".csv": "csv"}.get(args.out.suffix.lower())
    if kind is None:
        say(f"prevmap: filen '{args.out}' ska sluta på .xlsx eller .csv.", err=True)
        return 2
    try:
        areas = areas_for(kommun=args.kommun)
        catalogue = read_catalogue(args.catalogue or DEFAULT_CATALOGUE)
        data = template_bytes(kind, catalogue, areas.frame[[AREA_ID, AREA_NAME]],
                              kommun_name=place_name(args.kommun or "0126"))
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_bytes(data)
    except PrevmapError as err:
        say(f"prevmap: {err}", err=True)
        return 2
    except OSError as err:
        return _failed(err, f"Mallen '{args.out}' kunde inte skrivas")
    say(f"Skrev {args.out}")
    return 0


def write_file_template(out: Path, kind: str) -> int:
    """``prevmap mall --organisation`` or ``--insatser``: the shipped organisation file or
    interventions catalogue as it is, with its comments, as another kommun's starting point
    (:func:`geo.io.recommendation_files.file_template`, the app's button)."""
    from geo.io.recommendation_files import file_template

    if out.suffix.lower() != ".toml":
        say(f"prevmap: filen '{out}' ska sluta på .toml (mallen är en TOML-fil).", err=True)
        return 2
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(file_template(kind))
    except OSError as err:
        return _failed(err, f"Mallen '{out}' kunde inte skrivas")
    say(f"Skrev {out}")
    return 0


def cli_inputs(args: argparse.Namespace) -> Inputs:
    """The areas (``--areas``, ``--kommun``, ``--lan``) and the indicators (``--indicators``,
    ``--demo``, else the embedded real data) of ``prevmap export``."""
    from geo.inputs import (
        DEFAULT_HISTORY,
        DEMO_INDICATORS,
        DEMO_YEAR,
        REAL_INDICATORS,
        inputs_for_areas,
    )
    from geo.sources import areas_for, demo_inputs

    areas = areas_for(args.areas, kommun=args.kommun, lan=args.lan,
                      id_column=args.id_column, name_column=args.name_column)
    if args.demo:
        if args.areas is None and args.kommun in (None, "0126") and args.lan is None:
            return inputs_for_areas(areas, DEMO_INDICATORS, args.catalogue,
                                    history=DEFAULT_HISTORY, year=DEMO_YEAR)
        return demo_inputs(areas, args.kommun or args.lan or "00", "file")
    return inputs_for_areas(areas, args.indicators or [REAL_INDICATORS], args.catalogue)


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "serve":
        return serve(args.config)
    if args.command == "plan":
        return verify_plans(args.database)
    if args.command == "mall":
        return write_template(args)
    if args.deso_regso is not None and args.polisen is None:
        parser.error("--deso-regso gäller polisens brottsfil: ange också --polisen")
    from geo.analysis import add_recommendation_files, run_analysis
    from geo.inputs import default_settings
    from geo.io.files import read_settings
    from geo.io.recommendation_files import read_recommendation_files
    from geo.maps.analysis_map import map_measure
    from geo.sources import place_name
    from geo.spatial.comparisons import load_comparisons, read_point_layer

    # What was being done, named by its file, for a failure that is not prevmap's own.
    doing = "Områdesfilen, indikatortabellen eller indikatorkatalogen kunde inte läsas"
    try:
        given = " eller ".join(f"'{p}'" for p in (args.organisation, args.insatser)
                               if p is not None)
        doing = f"Organisationsfilen eller insatskatalogen ({given}) kunde inte läsas"
        files = read_recommendation_files(args.organisation, args.insatser)
        doing = "Områdesfilen, indikatortabellen eller indikatorkatalogen kunde inte läsas"
        inputs = cli_inputs(args)
        points = []
        for path in args.punkter:
            doing = f"Punktfilen '{path}' kunde inte läsas"
            points.append(read_point_layer(path))
        given = [f"{option} '{Path(path).name}'" for option, path in (
            ("--utsatta", args.utsatta), ("--omradestyp", args.omradestyp),
            ("--polisen", args.polisen), ("--deso-regso", args.deso_regso)) if path is not None]
        doing = f"Jämförelsefilen ({' eller '.join(given)}) kunde inte läsas"
        kommun = place_name(args.kommun) if args.kommun else None
        comparisons = load_comparisons(args.utsatta, args.omradestyp, kommun=kommun,
                                       points=points, offences=args.polisen,
                                       deso_link=args.deso_regso)
        doing = f"Inställningsfilen '{args.settings}' kunde inte läsas"
        if args.settings is not None:
            settings, setting_notes = read_settings(args.settings), []
        else:
            settings, setting_notes = default_settings(inputs)
        doing = "Analysen kunde inte göras"
        analysis = add_recommendation_files(run_analysis(inputs, settings, comparisons or None),
                                            files)
        map_measure(analysis, args.visa)     # an unknown --visa names the valid ones
        doing = "Resultatet kunde inte skrivas"
        written = write_exports(analysis, args, ExportOptions(
            tiles=args.tiles, show=args.visa, paper=args.papper))
    except PrevmapError as err:
        say(f"prevmap: {err}", err=True)
        return 2
    except Exception as err:  # a file the user can fix exits 2, a fault in prevmap 1
        return _failed(err, doing)
    for note in setting_notes:
        say(f"Obs: {note}.", err=True)
    text = [c for c, use, why in inputs.columns if why.startswith("text")]
    if text:
        say(f"Obs: textkolumner som inte är indikatorer: {', '.join(text)}.", err=True)
    for column, use, why in inputs.columns:
        if use != "indikator" and column not in text:
            say(f"Obs: kolumnen '{column}' {use}: {why}.", err=True)
    for note in analysis.notes():
        say(f"Obs: {note}", err=True)
    if inputs.synthetic:
        say("Obs: indikatorerna är SYNTETISKA DEMODATA.", err=True)
    for path in written:
        say(f"Skrev {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
