"""The map tab speaks Swedish numbers (issue 18): every number the ranked table and the
profile show has a decimal comma, a missing value is "–", and "None" or "nan" is never
shown. Through AppTest, on the default data and on the demo."""

from __future__ import annotations

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
        texts += [str(v) for v in value.to_numpy().ravel()]
    texts += [f"{m.label} {m.value}" for m in at.metric]
    for kind in (at.markdown, at.caption, at.subheader):
        texts += [md_source(e.value) for e in kind]
    return texts


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
    table = ranked_table(at)
    # The index is written with a comma: the table is sent as Swedish text.
    assert table["Sammanvägt index"].str.fullmatch(r"−?-?\d+,\d\d").all()
    # One demo area has too few values to be ranked: its rank is a dash, not "None".
    at.slider(key="min_coverage").set_value(1.0).run()
    assert "–" in ranked_table(at)["Rang"].tolist()
    assert_swedish_numbers(at)


def test_the_default_map_tab_has_decimal_commas_and_no_none():
    at = AppTest.from_file(APP, default_timeout=180).run()
    if at.exception:
        pytest.fail(str([e.value for e in at.exception]))
    assert_swedish_numbers(at)
