"""The shared JSON fetcher: cache, rate limit, retries, timeouts, offline fallback."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from api_server import Answer, FakeApi, FakeClock

from geo.io.http import JsonCache, JsonFetcher, RateLimiter, build_url
from indicators.errors import FetchError, OfflineError, PrevmapError

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture
def api():
    server = FakeApi()
    yield server
    server.stop()


class Now:
    def __init__(self, moment: datetime = T0):
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


def make_fetcher(tmp_path, **options) -> tuple[JsonFetcher, FakeClock]:
    clock = FakeClock()
    options.setdefault("now", Now())
    options.setdefault("timeout", 2.0)
    fetcher = JsonFetcher(tmp_path / "cache", clock=clock, sleep=clock.sleep, **options)
    return fetcher, clock


def test_build_url_joins_lists_and_keeps_brackets():
    url = build_url("http://x/data", {"lang": "sv", "valueCodes[Region]": ["0126", "0127"]})
    assert url == "http://x/data?lang=sv&valueCodes[Region]=0126,0127"
    assert build_url("http://x/d?a=1", {"b": 2}) == "http://x/d?a=1&b=2"
    assert build_url("http://x/d", None) == "http://x/d"


def test_errors_are_project_errors():
    assert issubclass(OfflineError, PrevmapError)
    assert issubclass(FetchError, PrevmapError)


def test_second_call_comes_from_cache_without_a_request(api, tmp_path):
    api.add("/a", Answer(body={"x": 1}))
    fetcher, _ = make_fetcher(tmp_path)
    first = fetcher.get_json(api.url + "a", {"q": "1"})
    second = fetcher.get_json(api.url + "a", {"q": "1"})
    assert first.data == second.data == {"x": 1}
    assert (first.from_cache, second.from_cache) == (False, True)
    assert second.fetched == T0 and second.note is None
    assert api.count("/a") == 1 and fetcher.network_calls == 1
    entry = json.loads(next((tmp_path / "cache").glob("*.json")).read_text(encoding="utf-8"))
    assert entry == {"url": api.url + "a?q=1", "method": "GET", "body": None,
                     "fetched": "2026-11-23T12:00:00+00:00", "data": {"x": 1}}


def test_cache_key_depends_on_query_and_body(api, tmp_path):
    api.add("/a", Answer(body={"x": 1}))
    fetcher, _ = make_fetcher(tmp_path)
    fetcher.get_json(api.url + "a", {"q": "1"})
    fetcher.get_json(api.url + "a", {"q": "2"})
    fetcher.post_json(api.url + "a", {"sel": [1]})
    fetcher.post_json(api.url + "a", {"sel": [2]})
    fetcher.post_json(api.url + "a", {"sel": [1]})
    assert api.count("/a") == 4
    assert [b for m, _, b in api.requests if m == "POST"] == [{"sel": [1]}, {"sel": [2]}]


def test_old_cache_entry_is_fetched_again(api, tmp_path):
    api.add("/a", Answer(body={"v": 1}), Answer(body={"v": 2}))
    now = Now()
    fetcher, _ = make_fetcher(tmp_path, now=now, max_age=timedelta(days=7))
    assert fetcher.get_json(api.url + "a").data == {"v": 1}
    now.moment = T0 + timedelta(days=8)
    again = fetcher.get_json(api.url + "a")
    assert again.data == {"v": 2} and not again.from_cache and again.fetched == now.moment
    assert api.count("/a") == 2


def test_refresh_asks_the_server_even_with_a_fresh_cache(api, tmp_path):
    api.add("/a", Answer(body={"v": 1}), Answer(body={"v": 2}))
    fetcher, _ = make_fetcher(tmp_path)
    fetcher.get_json(api.url + "a")
    assert fetcher.get_json(api.url + "a", refresh=True).data == {"v": 2}


def test_429_waits_as_long_as_retry_after_says(api, tmp_path):
    api.add("/a", Answer(429, {"title": "Too Many Requests"}, {"Retry-After": "7"}),
            Answer(body={"ok": True}))
    fetcher, clock = make_fetcher(tmp_path, backoff=1.0)
    assert fetcher.get_json(api.url + "a").data == {"ok": True}
    assert clock.sleeps == [7.0]
    assert api.count("/a") == 2


def test_retry_after_as_http_date(api, tmp_path):
    api.add("/a", Answer(429, None, {"Retry-After": "Mon, 23 Nov 2026 12:00:30 GMT"}),
            Answer(body=[1]))
    fetcher, clock = make_fetcher(tmp_path)
    assert fetcher.get_json(api.url + "a").data == [1]
    assert clock.sleeps == [30.0]


def test_backoff_is_capped_by_max_wait(api, tmp_path):
    # A Retry-After beyond max_retry_after now fails at once (tests/test_http_hostile.py):
    # max_wait caps only the exponential backoff.
    api.add("/a", Answer(500, None), Answer(500, None), Answer(body=[1]))
    fetcher, clock = make_fetcher(tmp_path, backoff=15, max_wait=20)
    assert fetcher.get_json(api.url + "a").data == [1]
    assert clock.sleeps == [15.0, 20.0]


def test_500_is_retried_with_exponential_backoff(api, tmp_path):
    api.add("/a", Answer(500, {"title": "boom"}), Answer(503, None), Answer(body={"ok": 1}))
    fetcher, clock = make_fetcher(tmp_path, backoff=0.5)
    assert fetcher.get_json(api.url + "a").data == {"ok": 1}
    assert clock.sleeps == [0.5, 1.0]


def test_500_gives_up_with_a_fetch_error(api, tmp_path):
    api.add("/a", Answer(500, {"title": "Internal Server Error", "detail": "databasen nere"}))
    fetcher, clock = make_fetcher(tmp_path, retries=2)
    with pytest.raises(FetchError, match=(
            r"^Fel vid hämtning från datakällan: adress 'http://127\.0\.0\.1:\d+/a': Servern "
            r"127\.0\.0\.1:\d+ svarade HTTP 500 \(Internal Server Error\): Internal Server "
            r"Error – databasen nere\. \(gav upp efter 3 försök\) Det finns inget sparat svar "
            r"att falla tillbaka på\. Åtgärd: kontrollera nätverksanslutningen")):
        fetcher.get_json(api.url + "a")
    assert api.count("/a") == 3 and clock.sleeps == [1.0, 2.0]


def test_429_that_never_ends_says_so(api, tmp_path):
    api.add("/a", Answer(429, None, {"Retry-After": "1"}))
    fetcher, _ = make_fetcher(tmp_path, retries=1)
    with pytest.raises(FetchError, match=r"begränsar antalet anrop \(HTTP 429, för många anrop\)"
                                         r"\. \(gav upp efter 2 försök\)"):
        fetcher.get_json(api.url + "a")


def test_404_is_not_retried(api, tmp_path):
    fetcher, clock = make_fetcher(tmp_path)
    with pytest.raises(FetchError, match=r"svarade HTTP 404 \(Not Found\): Not Found\. "
                                         r"Åtgärd: kontrollera tabell-id, nyckeltal"):
        fetcher.get_json(api.url + "nothing")
    assert api.count("/nothing") == 1 and clock.sleeps == []


def test_timeout_gives_a_fetch_error(api, tmp_path):
    api.add("/slow", Answer(body={"late": True}, delay=1.0))
    fetcher, _ = make_fetcher(tmp_path, timeout=0.2, retries=1)
    with pytest.raises(FetchError, match=r"Servern 127\.0\.0\.1:\d+ svarade inte inom 0\.2 "
                                         r"sekunder\. \(gav upp efter 2 försök\)"):
        fetcher.get_json(api.url + "slow")
    assert api.count("/slow") == 2


def test_answer_that_is_not_json(api, tmp_path):
    api.add("/html", Answer(raw=b"<html>Underhall</html>"))
    fetcher, _ = make_fetcher(tmp_path)
    with pytest.raises(FetchError, match=r"Svaret från 127\.0\.0\.1:\d+ är inte giltig JSON\. "
                                         r"Värden: '<html>Underhall</html>'"):
        fetcher.get_json(api.url + "html")


def test_server_gone_falls_back_to_the_cache_and_says_so(api, tmp_path):
    api.add("/a", Answer(body={"v": 1}))
    now = Now()
    fetcher, _ = make_fetcher(tmp_path, now=now)
    fetcher.get_json(api.url + "a")
    api.stop()
    now.moment = T0 + timedelta(days=30)
    result = fetcher.get_json(api.url + "a")
    assert result.data == {"v": 1}
    assert result.from_cache is True and result.fetched == T0
    assert result.fetched_text == "2026-11-23 12:00 UTC"
    assert result.note.startswith("Kunde inte ansluta till 127.0.0.1:")
    assert "datorn verkar vara offline" in result.note
    assert result.note.endswith("Använder sparat svar hämtat 2026-11-23 12:00 UTC.")


def test_server_gone_without_cache_is_an_offline_error(api, tmp_path):
    fetcher, _ = make_fetcher(tmp_path)
    url = api.url + "a"
    api.stop()
    with pytest.raises(OfflineError, match=(
            r"^Ingen anslutning till datakällan: adress 'http://127\.0\.0\.1:\d+/a': Kunde inte "
            r"ansluta till 127\.0\.0\.1:\d+ – datorn verkar vara offline eller servern nås inte"
            r".*Det finns inget sparat svar att falla tillbaka på\. Åtgärd: kontrollera "
            r"nätverksanslutningen och försök igen om en stund så att svaret sparas i cachen")):
        fetcher.get_json(url)


def test_no_cache_dir_means_no_fallback(api, tmp_path):
    api.add("/a", Answer(body=[1]))
    clock = FakeClock()
    fetcher = JsonFetcher(None, clock=clock, sleep=clock.sleep, timeout=2)
    fetcher.get_json(api.url + "a")
    fetcher.get_json(api.url + "a")
    assert api.count("/a") == 2
    api.stop()
    with pytest.raises(OfflineError, match="försök igen om en stund\\.$"):
        fetcher.get_json(api.url + "a")


def test_offline_mode_uses_only_the_cache(api, tmp_path):
    api.add("/a", Answer(body={"v": 1}))
    online, _ = make_fetcher(tmp_path)
    online.get_json(api.url + "a")
    offline, _ = make_fetcher(tmp_path, offline=True)
    result = offline.get_json(api.url + "a")
    assert result.from_cache and result.data == {"v": 1}
    assert result.note == "Offlineläge: använder sparat svar hämtat 2026-11-23 12:00 UTC."
    with pytest.raises(OfflineError, match=r"Offlineläge är påslaget och det finns inget sparat "
                                           r"svar för den här frågan\."):
        offline.get_json(api.url + "b")
    assert api.count("/a") == 1 and api.count("/b") == 0


def test_damaged_cache_file_is_reported_and_fetched_again(api, tmp_path):
    api.add("/a", Answer(body={"v": 1}))
    fetcher, _ = make_fetcher(tmp_path)
    fetcher.get_json(api.url + "a")
    path = (tmp_path / "cache" / f"{JsonCache.key(api.url + 'a')}.json")
    path.write_text("{trasig", encoding="utf-8")
    with pytest.warns(UserWarning, match="är skadad och hämtas på nytt"):
        assert fetcher.get_json(api.url + "a").data == {"v": 1}
    assert api.count("/a") == 2


def test_rate_limiter_with_a_fake_clock():
    clock = FakeClock()
    limiter = RateLimiter(3, 10.0, clock=clock, sleep=clock.sleep)
    assert [limiter.acquire() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.acquire() == 10.0
    assert clock.sleeps == [10.0]
    clock.now += 4.0
    assert limiter.acquire() == 0.0  # calls at 1000, 1000 left the window at 1010
    clock.now += 6.0
    assert limiter.acquire() == 0.0
    assert clock.sleeps == [10.0]


def test_rate_limiter_refuses_nonsense():
    with pytest.raises(ValueError, match="max_calls >= 1 och window > 0, fick 0, 1"):
        RateLimiter(0, 1)


def test_fetcher_keeps_to_the_rate_limit(api, tmp_path):
    api.add("/a", Answer(body=[1]))
    fetcher, clock = make_fetcher(tmp_path, max_calls=2, window=5.0)
    for q in range(5):
        fetcher.get_json(api.url + "a", {"q": q})
    assert clock.sleeps == [5.0, 5.0]
    assert api.count("/a") == 5
