"""The map tab speaks Swedish numbers (issue 18): every number the ranked table and the
profile show has a decimal comma, a missing value is "–", and "None" or "nan" is never
shown. Through AppTest, on the default data and on the demo.

A table's number columns are sent as numbers (so that a click on a header sorts them as
numbers) and written by the browser in the page's Swedish locale: here each must carry that
format; tests/test_browser_tables.py sees the result in chromium."""

from __future__ import annotations

import json
import re

import pytest
from app_start import APP, demo_app, ranked_table
from streamlit.testing.v1 import AppTest

from geo.export.text import md_source

# A decimal point between digits ("2.82"), or a missing value written by Python or pandas.
DECIMAL_POINT = re.compile(r"(?<![\w.])[-−]?\d+\.\d+(?![\w.])")
NOT_A_NUMBER = re.compile(r"\b(None|nan|NaN|<NA>|NaT)\b")


def visible_texts(at: AppTest) -> list[str]:
    """The text of the page's tables (every cell, headers, index), metrics, markdown and
    captions."""
    texts = []
    for frame in at.dataframe:
        value = frame.value
        texts += [str(c) for c in value.columns] + [str(i) for i in value.index]
        numbers = written_swedish(frame)
        texts += [str(v) for c in value.columns if c not in numbers for v in value[c]]
    texts += [f"{m.label} {m.value}" for m in at.metric]
    for kind in (at.markdown, at.caption, at.subheader):
        texts += [md_source(e.value) for e in kind]
    return texts


def written_swedish(frame) -> set[str]:
    """The number columns of a table element, each checked to be written in the page's
    locale with a fixed number of decimals ("localized" and a step), or as a whole year or
    code ("%d"); a number column without such a format fails (the widget would write
    "2.82"). Its empty cells show "–" (the table's placeholder)."""
    value = frame.value
    numbers = {str(c) for c in value.columns if value[c].dtype.kind in "fiu"}
    config = json.loads(frame.proto.columns or "{}")
    for name in numbers:
        kind = config.get(name, {}).get("type_config", {})
        assert kind.get("type") == "number", (name, config.get(name))
        assert (kind.get("format") == "localized" and kind.get("step", 0) > 0
                or kind.get("format") == "%d"), (name, kind)
    if numbers:
        assert frame.proto.placeholder == "–", frame.proto.placeholder
    return numbers


def assert_swedish_numbers(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    texts = visible_texts(at)
    assert texts
    points = sorted({m for t in texts for m in DECIMAL_POINT.findall(t)})
    assert not points, points
    missing = [t for t in texts if NOT_A_NUMBER.search(t)]
    assert not missing, missing[:5]


def test_the_demo_map_tab_has_decimal_commas_and_no_none():
    at = demo_app()
    assert_swedish_numbers(at)
    table = next(d for d in at.dataframe if "Sammanvägt index" in d.value.columns)
    # The index is sent as numbers, written with two decimals in the page's locale.
    assert table.value["Sammanvägt index"].dtype.kind == "f"
    index_format = json.loads(table.proto.columns)["Sammanvägt index"]["type_config"]
    assert (index_format["format"], index_format["step"]) == ("localized", 0.01)
    # One demo area has too few values to be ranked: its rank is empty, shown as "–".
    at.slider(key="min_coverage").set_value(1.0).run()
    assert ranked_table(at)["Rang"].isna().any()
    assert_swedish_numbers(at)


def test_the_default_map_tab_has_decimal_commas_and_no_none():
    at = AppTest.from_file(APP, default_timeout=180).run()
    if at.exception:
        pytest.fail(str([e.value for e in at.exception]))
    assert_swedish_numbers(at)
