"""Text from files and users, made safe for where it is shown: Streamlit's markdown and a
terminal; and an unexpected error told in Swedish with its technical details apart.

Markdown (:func:`md_text`). Everything the app shows with ``st.markdown``, ``st.error``,
``st.caption``, a widget label and the like is markdown: CommonMark with GitHub's
extensions (tables, strike-through, autolinks of ``http://…``, ``www.…`` and e-mail
addresses), ``$…$`` LaTeX, Streamlit's directives (``:red[…]``, ``:material/home:``) and
emoji shortcodes (``:smile:``). An area name such as ``![x](http://host/a.png)`` would make
the browser fetch that address. CommonMark lets a backslash escape *any* ASCII punctuation
character, so :func:`md_text` escapes every one: no construct can start, whatever the
extension, and the text shows exactly as written. Line breaks stay line breaks.

Terminal (:func:`terminal_text`). A column named ``"\\x1b[2J"`` printed raw clears the
screen; the C0 and C1 control characters (ESC among them) and DEL are shown as ``\\xNN``
escapes instead, except a line feed and a tab where they are wanted.

Unexpected errors (:func:`failure_text`). The project's own errors (:class:`PrevmapError`)
already say in Swedish what is wrong and how to fix it. Any other exception gets a Swedish
sentence for the user, with the type, message and place kept apart as technical details
(shown folded away in the app), never a traceback with the server's paths.
"""

from __future__ import annotations

import csv
import functools
import re
import sqlite3
import string
import tomllib
import traceback
import zipfile
from pathlib import Path

from indicators.errors import PrevmapError

_MD_ESCAPED = {ord(c): "\\" + c for c in string.punctuation}
WORD_JOINER = "\u2060"
# Found in the text after parsing, where no escape reaches: GFM's autolinks of
# ``http(s)://``, ``www.`` and e-mail addresses (remark-gfm's find-and-replace over text)
# and emoji shortcodes (remark-emoji). An invisible word joiner breaks each pattern.
_TEXT_PATTERNS = re.compile(r"(?i:https?)(?=://)|(?i:www)(?=\.)|[-.\w+](?=@)|:(?=[\w+-])")


def md_text(text: object) -> str:
    """``text`` for Streamlit's markdown, shown literally: every ASCII punctuation character
    backslash-escaped (so no link, image, emphasis, heading, list, table, HTML, LaTeX,
    directive, emoji shortcode or autolink can form), an invisible word joiner (U+2060)
    inside ``http://``, ``www.``, ``x@y`` and ``:word`` (matched in the parsed text, where
    escapes no longer count), and every line break kept as one."""
    text = str(text).replace("\r\n", "\n").replace("\r", "\n")
    escaped = _TEXT_PATTERNS.sub(lambda m: m.group() + WORD_JOINER, text).translate(_MD_ESCAPED)
    # Two spaces before a line feed: a hard break (a lone one would join the lines).
    return "  \n".join(escaped.split("\n"))


def md_source(markdown: str) -> str:
    """The text :func:`md_text` was given, back from its markdown (what a reader sees)."""
    text = re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown.replace("  \n", "\n"))
    return text.replace(WORD_JOINER, "")


#: Characters that reorder or break what a terminal shows without being control codes: the
#: bidirectional marks, embeddings, overrides and isolates (``X\u202egpj.exe`` shows as
#: ``Xexe.jpg``) and the Unicode line and paragraph separators.
BIDI_AND_SEPARATORS = (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A),
                       0x2028, 0x2029)


def _control_escapes(keep: str) -> dict[int, str]:
    codes = [*range(0x20), 0x7F, *range(0x80, 0xA0)]
    escapes = {c: f"\\x{c:02x}" for c in codes if chr(c) not in keep}
    return escapes | {c: f"\\u{c:04x}" for c in BIDI_AND_SEPARATORS}


_TERMINAL_ESCAPED = _control_escapes("\n\t")
_TERMINAL_ONE_LINE = _control_escapes("")


def terminal_text(text: object, *, one_line: bool = False) -> str:
    """``text`` safe to print on a terminal: control characters (C0, DEL, C1; ESC among
    them) shown as ``\\xNN``, bidirectional overrides and Unicode line separators as
    ``\\uNNNN``; line feeds and tabs kept unless ``one_line``."""
    return str(text).translate(_TERMINAL_ONE_LINE if one_line else _TERMINAL_ESCAPED)


# Errors that are not prevmap's own but come from a file the user can fix (another file,
# path or permission): unreadable, missing, not the format its name says, a broken archive.
_FILE_ERRORS: tuple[type[BaseException], ...] = (
    OSError, zipfile.BadZipFile, UnicodeDecodeError, EOFError, csv.Error,
    tomllib.TOMLDecodeError, sqlite3.DatabaseError)


@functools.cache
def _file_error_types() -> tuple[type[BaseException], ...]:
    """The file errors, with those of the readers' libraries (imported here, when an error
    is told, not at start-up)."""
    import pandas.errors
    import pyarrow
    from pyogrio.errors import DataLayerError, DataSourceError

    return (*_FILE_ERRORS, pyarrow.ArrowException, pandas.errors.ParserError,
            pandas.errors.EmptyDataError, DataLayerError, DataSourceError)


def is_file_error(err: BaseException) -> bool:
    """Whether ``err`` is a file that could not be read or written (the user can fix it),
    not a fault in prevmap."""
    return isinstance(err, _file_error_types())


_OS_REASONS = ((FileNotFoundError, "finns inte"), (IsADirectoryError, "är en mapp, inte en fil"),
               (NotADirectoryError, "ligger under något som inte är en mapp"),
               (FileExistsError, "finns redan och är inte en mapp"),
               (PermissionError, "får inte läsas eller skrivas (behörighet)"))


def _kind(err: BaseException) -> str:
    name = type(err).__name__
    return f"{type(err).__module__.lstrip('_')}.{name}" if name == "Error" else name


def _file_problem(err: BaseException) -> str:
    name = getattr(err, "filename", None)
    reason = next((text for kind, text in _OS_REASONS if isinstance(err, kind)), None)
    if name is not None and reason is not None:
        return f"'{Path(str(name)).name}' {reason}. Kontrollera sökvägen och försök igen."
    return (f"filen är skadad eller inte i det format som filnamnet anger "
            f"({_kind(err)}). Spara eller exportera den på nytt i rätt format och "
            "försök igen.")


def technical_details(err: BaseException) -> str:
    """The exception's type, message and the place it was raised (file, line, function):
    for whoever maintains the tool, not a traceback."""
    lines = [f"{type(err).__module__}.{type(err).__qualname__}: {err}"]
    frames = traceback.extract_tb(err.__traceback__)
    if frames:
        last = frames[-1]
        lines.append(f"Uppstod i {Path(last.filename).name}, rad {last.lineno}, "
                     f"i {last.name}()")
    cause = err.__cause__ or (None if err.__suppress_context__ else err.__context__)
    if cause is not None:
        lines.append(f"Orsakat av {type(cause).__qualname__}: {cause}")
    return "\n".join(lines)


# What a user reads instead of an internal key of the settings or the tables.
INTERNAL_NAMES = {
    "indicator_weights": "vikterna per indikator", "domain_weights": "vikterna per domän",
    "area_id": "områdeskoden", "area_name": "områdets namn", "flag_threshold": "flaggnivån",
    "top_n": "antalet indikatorer som bidrar mest", "normalisation": "normaliseringen",
    "aggregation": "sammanvägningen", "missing": "hanteringen av saknade värden",
    "outliers": "hanteringen av extremvärden",
}
_ADDRESS = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s'\"<>)]*[^\s'\"<>).,;:]", re.IGNORECASE)
_PATH = re.compile(r"(?<![\w:/.])(?:/[\w.@+-]+){2,}/?|\b[A-Z]:\\[^\s'\"]+")
_ERRNO = re.compile(r":?\s*\[Errno -?\d+\][^.;\n)]*")
_KEY = re.compile(r"(?:nyckeln? )?'(" + "|".join(INTERNAL_NAMES) + r")'")


def _address_name(match: re.Match) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(match.group())
    return parts.hostname or f"'{Path(parts.path).name}'"


def technical_apart(text: str) -> tuple[str, str]:
    """``text`` with its technical parts named in words, and those parts as they were:
    an address becomes its host ("api.scb.se"; a file's address its file name), a path
    its file name, an internal key its Swedish name ('indicator_weights' -> vikterna per
    indikator), and an error number ("[Errno -2] Name or service not known") goes. The
    second string lists what was replaced, one a line (empty when nothing was)."""
    details: list[str] = []

    def keep(replacement):
        def sub(match: re.Match) -> str:
            part = match.group().lstrip(": ").strip()
            if part not in details:
                details.append(part)
            return replacement(match)
        return sub

    text = _ADDRESS.sub(keep(_address_name), text)
    text = _PATH.sub(keep(lambda m: f"'{Path(m.group().rstrip('/')).name}'"), text)
    text = _ERRNO.sub(keep(lambda m: ""), text)
    text = _KEY.sub(lambda m: INTERNAL_NAMES[m.group(1)], text)
    return text, "\n".join(details)


def failure_text(err: BaseException, doing: str) -> tuple[str, str]:
    """What the user reads when ``doing`` (e.g. "Data kunde inte läsas in") failed with
    ``err``, and the technical details apart (:func:`technical_apart`; for an error not
    prevmap's own also its type and place)."""
    if isinstance(err, PrevmapError):
        return technical_apart(f"{doing}. {err}" if doing else str(err))
    lead = f"{doing}: " if doing else ""
    if is_file_error(err):
        text, _ = technical_apart(lead + _file_problem(err))
        return text, technical_details(err)
    return (lead + f"ett oväntat fel i prevmap ({_kind(err)}). Försök igen; händer "
            "det igen, skicka de tekniska detaljerna till den som sköter verktyget.",
            technical_details(err))
