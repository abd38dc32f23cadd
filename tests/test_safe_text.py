"""Text from files and users stays text: escaped for Streamlit's markdown, stripped of
terminal control codes in the CLI; an error that is not prevmap's own is told in Swedish
with its technical details apart, and the CLI exits 2 for a file the user can fix."""

from __future__ import annotations

import re
import string
import zipfile

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from geo.cli import main
from geo.export.text import WORD_JOINER, failure_text, md_source, md_text, terminal_text
from geo.inputs import DEMO_INDICATORS

#: What a table value, an area code, a settings key or a file name may hold: each would
#: form a link, an image (fetched by the browser), emphasis, a heading, a quote, a table,
#: HTML, a colour or icon directive, an emoji, LaTeX or an autolink if left as it is.
HOSTILE = [
    "![x](http://127.0.0.1:8765/img.png)",
    "[klick](http://evil.example)",
    '<img src="http://127.0.0.1:8765/a.png">',
    "<script>alert(1)</script>",
    "**fet**", "__fet__", "_kursiv_", "~~struken~~",
    ":red[röd]", ":material/home:", ":smile:", ":streamlit:",
    "$x^2$", "$$\\int x$$",
    "http://evil.example/a", "https://evil.example/b", "www.evil.example", "a@evil.example",
    "`kod`", "```\nblock\n```",
    "# rubrik", "> citat", "| tabell | a |\n|---|---|\n| 1 | 2 |", "- punkt", "1. lista",
    "\\[", "\\", "[x]: http://evil.example", "&lt;b&gt;", "&#60;b&#62;",
    "**[![x](http://127.0.0.1:8765/n.png)](www.evil.example)**",
    "Vårby gård (0126R020)",
]


def unescaped_punctuation(markdown: str) -> list[str]:
    """ASCII punctuation in ``markdown`` without a backslash before it: what markdown could
    read as syntax (CommonMark: a backslash before any ASCII punctuation makes it text)."""
    found, i = [], 0
    while i < len(markdown):
        if markdown[i] == "\\":
            assert i + 1 < len(markdown) and markdown[i + 1] in string.punctuation, markdown
            i += 2
            continue
        if markdown[i] in string.punctuation:
            found.append(markdown[i])
        i += 1
    return found


@pytest.mark.parametrize("text", HOSTILE)
def test_markdown_payloads_become_literal_text(text):
    shown = md_text(text)
    assert unescaped_punctuation(shown) == []
    for syntax in ("](", "![", "http:", "www.", "**", ":red[", ":material/"):
        assert syntax not in shown
    assert md_source(shown) == text


def test_old_escaping_let_emphasis_html_and_autolinks_through():
    """What the former ``plan_page.plain`` (backslash and brackets only) left as markdown,
    now escaped."""
    assert md_text("**fet** <b>x</b> www.evil.example :smile: $x$") == (
        "\\*\\*fet\\*\\* \\<b\\>x\\<\\/b\\> www\u2060\\.evil\\.example \\:\u2060smile\\: "
        "\\$x\\$")


def test_an_error_on_several_lines_keeps_its_lines():
    text = "Fel i indata: 2 problem.\n1. fil 'a.csv'\n2. fil 'b.csv'"
    assert md_text(text) == ("Fel i indata\\: 2 problem\\.  \n1\\. fil \\'a\\.csv\\'  \n"
                             "2\\. fil \\'b\\.csv\\'")


@given(st.text())
def test_any_text_is_escaped_and_comes_back(text):
    shown = md_text(text)
    assert unescaped_punctuation(shown) == []
    if "\r" not in text and "  \n" not in text and WORD_JOINER not in text:
        assert md_source(shown) == text


# What Streamlit's markdown (remark-gfm, remark-emoji) looks for in the text *after*
# parsing, where backslash escapes are gone: the patterns of its bundled JavaScript.
GFM_URL = re.compile(r"(https?://|www(?=\.))([-.\w]+)([^ \t\r\n]*)", re.IGNORECASE)
GFM_EMAIL = re.compile(r"([-.\w+]+)@([-\w]+(?:\.[-\w]+)+)")
EMOJI = re.compile(r":\+1:|:-1:|:[\w-]+:")


@pytest.mark.parametrize("text", [
    "http://evil.example/a", "HTTPS://evil.example", "www.evil.example", "WWW.evil.example",
    "a@evil.example", "se x.y+z@evil.example", ":smile:", ":+1:", "(www.evil.example)",
    "**http://127.0.0.1:8765/a.png**"])
def test_autolinks_and_emoji_found_in_the_parsed_text_cannot_form(text):
    parsed = re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", md_text(text))   # escapes resolved
    assert parsed.replace(WORD_JOINER, "") == text                  # reads as written
    assert not GFM_URL.search(parsed) and not GFM_EMAIL.search(parsed)
    assert not EMOJI.search(parsed)


def test_terminal_text_shows_escape_codes_instead_of_running_them():
    text = "Vårby\x1b[2J\x1b]0;titel\x07\x9b31m\x7f\x00\n\tslut"
    assert terminal_text(text) == "Vårby\\x1b[2J\\x1b]0;titel\\x07\\x9b31m\\x7f\\x00\n\tslut"
    assert terminal_text("a\nb\tc\r", one_line=True) == "a\\x0ab\\x09c\\x0d"


def test_terminal_text_shows_bidi_overrides_and_line_separators_instead_of_obeying_them():
    # 'X\u202egpj.exe' would show as 'Xexe.jpg'; U+2028 would break the line
    for mark in ("\u202e", "\u202a", "\u2066", "\u2069", "\u200f", "\u061c", "\u2028",
                 "\u2029"):
        shown = terminal_text(f"X{mark}gpj.exe")
        assert mark not in shown and shown == f"X\\u{ord(mark):04x}gpj.exe"
    assert terminal_text("Vårby – Flemingsberg\u00a0(å ä ö)") == "Vårby – Flemingsberg\u00a0(å ä ö)"


def test_a_file_error_is_told_in_swedish_with_details_apart(tmp_path):
    try:
        (tmp_path / "saknas.csv").read_text()
    except OSError as err:
        message, details = failure_text(err, "Data kunde inte läsas in")
    assert message == ("Data kunde inte läsas in: 'saknas.csv' finns inte. Kontrollera "
                       "sökvägen och försök igen.")
    assert str(tmp_path) not in message
    assert details.startswith("builtins.FileNotFoundError: [Errno 2]") and str(tmp_path) in details
    assert "Traceback" not in details


def test_a_broken_parquet_and_a_bug_are_told_apart():
    message, details = failure_text(pa.ArrowInvalid("Parquet magic bytes not found"), "X")
    assert message.startswith("X: filen är skadad eller inte i det format som filnamnet anger "
                              "(ArrowInvalid)")
    assert "ArrowInvalid: Parquet magic bytes not found" in details
    message, details = failure_text(TypeError("'NoneType' object is not iterable"), "X")
    assert message.startswith("X: ett oväntat fel i prevmap (TypeError).")
    assert "NoneType" not in message and "TypeError: 'NoneType'" in details


# -- the command line ----------------------------------------------------------------------
def test_cli_prints_escape_codes_from_a_data_file_harmlessly(tmp_path, capsys):
    lines = DEMO_INDICATORS.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    row = lines[1].split(",")
    row[header.index("area_id")] = "X\x1b[2J\x1b]0;kapad\x07"
    table = tmp_path / "tabell.csv"
    table.write_text("\n".join([*lines, ",".join(row)]) + "\n", encoding="utf-8")
    code = main(["export", "--indicators", str(table), "--out", str(tmp_path / "k.html")])
    out = capsys.readouterr()
    assert code == 0
    assert "\x1b" not in out.out + out.err and "\x07" not in out.err
    assert "X\\x1b[2J\\x1b]0;kapad\\x07" in out.err


def test_cli_prints_escape_codes_in_an_error_harmlessly(tmp_path, capsys):
    bad = tmp_path / "fel.toml"
    bad.write_text('[indicator_weights]\n"\\u001b[2Jfinns_inte" = 1.0\n', encoding="utf-8")
    assert main(["export", "--settings", str(bad), "--out", str(tmp_path / "k.html")]) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\\x1b[2Jfinns_inte" in err


def _random_bytes(path):
    path.write_bytes(bytes(range(128, 256)) * 20 + b'\n"a;b\n')
    return path


@pytest.mark.parametrize(("option", "make", "said"), [
    ("--indicators", lambda p: p.joinpath("q.csv").write_text('a;b\n"x') and p / "q.csv",
     "(ParserError)"),
    ("--settings", lambda p: _random_bytes(p / "s.toml"), "(UnicodeDecodeError)"),
    ("--punkter", lambda p: _random_bytes(p / "skolor.csv"), "Punktfilen"),
    ("--omradestyp", lambda p: p.joinpath("t.csv").write_bytes(b"a,b\rc,d\n") and p / "t.csv",
     "Jämförelsefilen (--omradestyp 't.csv') kunde inte läsas: filen är skadad eller inte i "
     "det format som filnamnet anger (csv.Error)"),
    ("--excel", lambda p: p.joinpath("mapp.xlsx").mkdir() or p / "mapp.xlsx",
     "'mapp.xlsx' är en mapp, inte en fil"),
    ("--out", lambda p: p.joinpath("fil").write_text("x") and p / "fil" / "k.html",
     "Resultatet kunde inte skrivas: 'fil'"),
])
def test_cli_exits_2_in_swedish_for_a_file_the_user_can_fix(tmp_path, capsys, option, make,
                                                             said):
    args = ["export", option, str(make(tmp_path))]
    if option != "--out":
        args += ["--out", str(tmp_path / "k.html")]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("prevmap: ") and said in err
    assert "Traceback" not in err and "Tekniska detaljer:" in err


def test_cli_bad_zip_of_points_exits_2(tmp_path, capsys):
    broken = tmp_path / "omraden.zip"
    broken.write_bytes(b"PK\x03\x04" + b"\x00" * 40)
    assert not zipfile.is_zipfile(broken)
    assert main(["export", "--areas", str(broken), "--out", str(tmp_path / "k.html")]) == 2
    assert "prevmap: " in capsys.readouterr().err


def test_cli_fault_in_prevmap_exits_1_with_a_short_message(tmp_path, capsys, monkeypatch):
    import geo.analysis

    def broken(*args, **kwargs):
        raise TypeError("'NoneType' object is not subscriptable")

    # The command imports the analysis when it runs (issue 17: a quick --help).
    monkeypatch.setattr(geo.analysis, "run_analysis", broken)
    assert main(["export", "--out", str(tmp_path / "k.html")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("prevmap: Analysen kunde inte göras: ett oväntat fel i prevmap "
                          "(TypeError).")
    assert "Traceback" not in err and len(err.splitlines()) <= 3


def test_prevmaps_own_errors_name_things_and_keep_the_technical_parts_apart():
    from indicators.errors import PrevmapError

    err = PrevmapError("SCB kunde inte nås på https://api.scb.se/OV0104/v2/tables/TAB1/data?"
                       "lang=sv: [Errno -2] Name or service not known. Cachen "
                       "/root/.cache/prevmap/scb/tab1.parquet användes inte; planerna i "
                       "sqlite:////srv/prevmap/planer.db. Fel i nyckel 'indicator_weights' "
                       "och i 'area_id'; 1/2 och 2024/2025 är inga sökvägar.")
    message, details = failure_text(err, "Data kunde inte hämtas")
    assert message == ("Data kunde inte hämtas. Fel i indata: SCB kunde inte nås på "
                       "api.scb.se. Cachen "
                       "'tab1.parquet' användes inte; planerna i 'planer.db'. Fel i vikterna "
                       "per indikator och i områdeskoden; 1/2 och 2024/2025 är inga "
                       "sökvägar.")
    assert details.splitlines() == [
        "https://api.scb.se/OV0104/v2/tables/TAB1/data?lang=sv",
        "sqlite:////srv/prevmap/planer.db",
        "/root/.cache/prevmap/scb/tab1.parquet",
        "[Errno -2] Name or service not known"]
    # Nothing technical: the message as it was is no longer shown, only its words.
    message, details = failure_text(PrevmapError("Kolumnen 'x' saknas."), "")
    assert message.endswith("Kolumnen 'x' saknas.") and details == ""
