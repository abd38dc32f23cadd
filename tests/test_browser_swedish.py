"""The app in a real browser whose own language is English (issue 18, "Swedish and
accessible"): the page sets its locale to Swedish, so the table widget writes numbers with a
decimal comma and a space between thousands, and a click on a number column's header sorts
the rows by number, not as text ("−0,50" before "−0,19"); and Streamlit's own English words
(the upload button, the table's toolbar, the skip link) are shown and labelled in Swedish.

The widget draws its cells on a canvas. What the test reads is the page's locale and the
widget's own formatting of it (the call the widget makes: ``Intl.NumberFormat`` with
``navigator.languages``), and the order of the rows in the widget's accessible table (raw
values); the screenshot shows the cells as drawn."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from browser import launched_browser, open_tab, requires_browser, screenshot
from test_browser_app import (
    _choose,
    app_url,  # noqa: F401 - the fixture: the app on a local port
)

from indicators.swedish import parse_number

pytestmark = requires_browser
TABLE = "[data-testid='stDataFrame']:has(th:has-text('Sammanvägt index'))"
# The widget's formatting of "localized" numbers (streamlit's formatNumber), as it runs.
LOCALIZED_JS = """() => [
    navigator.languages,
    new Intl.NumberFormat(navigator.languages,
                          {minimumFractionDigits: 2, maximumFractionDigits: 2}).format(-2.8234),
    new Intl.NumberFormat(navigator.languages,
                          {minimumFractionDigits: 0, maximumFractionDigits: 0}).format(12345)]"""
ROWS_JS = """table => [...table.querySelectorAll('table tr')].map(
    row => [...row.children].map(cell => cell.innerText))"""


@contextmanager
def english_browser(url: str) -> Iterator[Any]:
    """The app at ``url`` in chromium whose own language is English (en-US), at 1440×900,
    once its ranked table is drawn."""
    with launched_browser() as chromium:
        context = chromium.new_context(viewport={"width": 1440, "height": 900},
                                       locale="en-US")
        page = context.new_page()
        page.goto(url)
        page.locator(TABLE).wait_for(timeout=120_000)
        yield page
        context.close()


def _rows(page):
    return page.locator(TABLE).evaluate(ROWS_JS)


def test_numbers_are_swedish_and_sort_as_numbers_in_an_english_browser(app_url):  # noqa: F811
    with english_browser(app_url) as page:
        languages, decimals, thousands = page.evaluate(LOCALIZED_JS)
        assert languages[0] == "sv-SE"
        assert decimals == "\u22122,82"
        assert thousands.replace("\u00a0", " ").replace("\u202f", " ") == "12 345"
        assert page.evaluate("document.documentElement.lang") == "sv"

        page.locator(TABLE).scroll_into_view_if_needed()
        header = _rows(page)[0]
        column = header.index("Sammanvägt index")
        box = page.locator(TABLE).bounding_box()
        # The header is drawn on the canvas: click along its row until the index column
        # is the one sorted (its header then starts with an arrow).
        for x in range(int(box["x"]) + 20, int(box["x"] + box["width"]), 30):
            page.mouse.click(x, box["y"] + 18)
            page.wait_for_timeout(300)
            if _rows(page)[0][column].startswith(("↑", "↓")):
                break
        rows = _rows(page)
        assert rows[0][column].startswith(("↑", "↓")), rows[0]
        cells = [row[column] for row in rows[1:] if row[column]]
        # The cells a screen reader reads are Swedish too ("−0,19", not "-0.19").
        assert all(re.fullmatch(r"\u2212?\d+,\d+", c) for c in cells), cells
        values = [parse_number(c) for c in cells]
        assert len(values) >= 5, rows
        assert any(v < 0 for v in values), values  # text would sort the negatives wrongly
        assert values in (sorted(values), sorted(values, reverse=True)), values
        screenshot(page, "app_table_sorted_en_browser.png")


# Every text on the page, and every label a screen reader reads (aria-label, title,
# placeholder), including what shows only on hover or focus.
WORDS_JS = """() => {
    const texts = [document.body.innerText];
    for (const el of document.querySelectorAll('[aria-label],[title],[placeholder]')) {
        for (const a of ['aria-label', 'title', 'placeholder']) {
            if (el.getAttribute(a)) { texts.push(el.getAttribute(a)); }
        }
    }
    const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walk.nextNode(); n; n = walk.nextNode()) { texts.push(n.nodeValue.trim()); }
    return texts;
}"""


def _english(texts: list[str]) -> list[str]:
    from app import STREAMLIT_WORDS  # imported here: a test module reads no file on import

    lines = {line.strip() for text in texts for line in text.splitlines()}
    return sorted(line for line in lines
                  if line in STREAMLIT_WORDS or line.endswith(" per file"))


def test_streamlits_own_words_are_swedish_in_an_english_browser(app_url):  # noqa: F811
    with english_browser(app_url) as page:
        # The table's toolbar shows on hover.
        page.locator(TABLE).hover()
        page.wait_for_timeout(500)
        assert _english(page.evaluate(WORDS_JS)) == []
        assert page.get_by_role("button", name="Ladda ned som CSV").count() >= 1
        # The skip link is the page's first stop for the keyboard.
        assert page.get_by_text("Hoppa till huvudinnehållet").count() == 1

        open_tab(page, "Data och källor")
        _choose(page, "Indikatorer", "Egna filer")
        page.get_by_role("button", name="Ladda upp").first.wait_for(timeout=60_000)
        texts = page.evaluate(WORDS_JS)
        assert _english(texts) == []
        assert any("per fil" in t for t in texts)
        screenshot(page, "app_upload_swedish_en_browser.png")
