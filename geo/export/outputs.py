"""The map HTML and the files ``prevmap export`` writes beside it (CSV, settings). The app's
buttons and the command line call these functions, so they produce the same files."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from geo.analysis import Analysis
from geo.export.tables import ranking_csv
from geo.maps.analysis_map import build_analysis_map
from geo.maps.choropleth import export_map_html, render_map_html

#: The settings file's first line: the digest of what the analysis was made from. A TOML
#: comment, so that reading the file back (geo.io.files.read_settings) is unchanged.
DIGEST_COMMENT = "# Indata (SHA-256 av områden, indikatorer, katalog, jämförelser och " \
                 "inställningar): {digest}\n"

#: A comment line per file chosen instead of the shipped organisation or catalogue.
FILE_COMMENT = "# {role}: {title} ({source}), {note}\n"


def map_html(analysis: Analysis, *, tiles: str | None = None,
             created: dt.date | None = None, show: str = "index") -> bytes:
    """The map page of ``analysis`` showing ``show`` (a key of
    :func:`geo.maps.analysis_map.map_choices`)."""
    return render_map_html(build_analysis_map(analysis, tiles=tiles, created=created,
                                              show=show)).encode()


def settings_toml(analysis: Analysis) -> bytes:
    """The analysis' settings as TOML (UTF-8), headed by a comment with the digest of its
    inputs (:attr:`Analysis.digest`): the file says which data it was made from and still
    reads back as the same settings. An organisation file or interventions catalogue other
    than the shipped one is named in a comment below it (:data:`FILE_COMMENT`): which file
    made "Leds av"."""
    files = "".join(FILE_COMMENT.format(role=role, title=_one_line(source.title),
                                        source=_one_line(source.source),
                                        note=_one_line(source.note))
                    for role, source in analysis.files.source_roles())
    return (DIGEST_COMMENT.format(digest=analysis.digest) + files
            + analysis.settings.to_toml()).encode("utf-8")


def _one_line(text: str) -> str:
    """``text`` on one line, so that a file name from an upload stays inside its comment."""
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


@dataclass(frozen=True)
class ExportPaths:
    html: Path
    csv: Path
    settings: Path


def export_analysis(analysis: Analysis, out_html: str | Path, out_csv: str | Path | None = None,
                    *, tiles: str | None = None, created: dt.date | None = None) -> ExportPaths:
    """Write the map HTML, the ranking CSV and the settings TOML beside it."""
    out_html = Path(out_html)
    out_csv = Path(out_csv) if out_csv else out_html.with_suffix(".csv")
    out_settings = out_html.with_suffix(".settings.toml")
    export_map_html(build_analysis_map(analysis, tiles=tiles, created=created), out_html)
    out_csv.write_bytes(ranking_csv(analysis))
    out_settings.write_bytes(settings_toml(analysis))
    return ExportPaths(out_html, out_csv, out_settings)

