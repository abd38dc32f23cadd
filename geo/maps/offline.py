"""Make a rendered map page self-contained: opening it sends no request anywhere.

folium writes the libraries it needs into the page head as links to a CDN, e.g.
``<script src="https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js">`` and
``<link rel="stylesheet" href="…/leaflet.css"/>``. An exported map must still open years
later without internet, so :func:`inline_assets` replaces every such link with the file's
text in an inline ``<script>`` or ``<style>`` element.

The text comes from the ``folium-offline`` package (import name ``offlinefolium``), a
dependency that ships folium's third-party files as Python strings keyed by the very URLs
folium uses (``offlinefolium.elements._res``); nothing third-party is copied into this
repository. folium-offline 0.20.0.x embeds the files of folium 0.20.0, so the versions are
the ones folium's own JavaScript was written for (Leaflet 1.9.3). Its ``leaflet.css``
already carries its images (layer-switcher icon, default marker) as ``data:`` URIs.

Matching, in this order:

1. the exact URL (scheme ignored: ``http://``, ``https://`` and ``//`` are the same file);
2. the same package, version and file name on another CDN (jsDelivr ``/npm/``, unpkg,
   cdnjs, code.jquery.com), if every such copy has the same text.

A version is never substituted: an asset with no embedded copy of exactly that version
raises :class:`OfflineAssetError` naming the URL, and so does anything else the page would
fetch or could not find offline (a relative ``src``, an ``<img>`` from the net, a
stylesheet whose ``url(…)`` or ``@import`` points at another file). A network request is
never kept silently. Exceptions, by design: ``<a href>`` (only followed on a click) and
URLs inside inline scripts, which is where an explicitly requested background tile layer
lives (``tiles=`` in :func:`geo.maps.choropleth.build_map`; off by default).

The result depends only on the input and the installed folium-offline, so the same
analysis still gives a byte-identical file.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Mapping

__all__ = ["OfflineAssetError", "embedded_asset", "inline_assets"]


class OfflineAssetError(ValueError):
    """A page resource that would be fetched from elsewhere and has no embedded copy."""


# A whole <script>…</script> or <style>…</style> element (so that nothing inside an inline
# script is mistaken for markup), a comment, or any other start tag.
_MARKUP = re.compile(
    r"<script\b(?P<script_attrs>[^>]*)>(?P<script_body>.*?)</script\s*>"
    r"|<style\b[^>]*>(?P<style_body>.*?)</style\s*>"
    r"|<!--.*?-->"
    r"|<(?P<tag>[a-zA-Z][\w-]*)\b(?P<attrs>[^>]*)>",
    re.S | re.I,
)
_ATTR = re.compile(r"""([^\s"'>/=]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")
_REMOTE = re.compile(r"^\s*(?:https?:)?//", re.I)  # also strips the scheme in _bare
_FETCHING_ATTRS = ("src", "href", "data", "poster", "srcset")
_CSS_URL = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)\s]*))\s*\)""", re.I)
_CSS_IMPORT = re.compile(r"@import\b", re.I)

# Where a CDN puts package, version and path in its URLs.
_CDN_PATTERNS = (
    re.compile(r"^cdn\.jsdelivr\.net/npm/(?P<pkg>(?:@[^/@]+/)?[^/@]+)@(?P<ver>[^/]+)/(?P<path>.+)$"),
    re.compile(r"^unpkg\.com/(?P<pkg>(?:@[^/@]+/)?[^/@]+)@(?P<ver>[^/]+)/(?P<path>.+)$"),
    re.compile(r"^cdnjs\.cloudflare\.com/ajax/libs/(?P<pkg>[^/]+)/(?P<ver>[^/]+)/(?P<path>.+)$"),
    # jquery-3.7.1.min.js is jquery.min.js of jquery 3.7.1
    re.compile(r"^code\.jquery\.com/(?P<pkg>jquery)-(?P<ver>\d[\w.]*?)(?P<path>(?:\.min)?\.js)$"),
)


@functools.cache
def _embedded() -> Mapping[str, str]:
    """folium-offline's embedded files, by URL (imported once: the module is large)."""
    try:
        from offlinefolium import elements
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise OfflineAssetError(
            "paketet folium-offline (import offlinefolium) saknas; det behövs för att "
            "bädda in Leaflet i den exporterade kartan (pip install folium-offline)"
        ) from exc
    resources = getattr(elements, "_res", None)
    if not isinstance(resources, dict) or not resources:  # pragma: no cover
        raise OfflineAssetError(
            "folium-offline har inte längre sina inbäddade filer i "
            "offlinefolium.elements._res; anpassa geo/maps/offline.py till den nya versionen"
        )
    return {str(url): str(text) for url, text in resources.items()}


def _bare(url: str) -> str:
    return _REMOTE.sub("", url.strip())


def _asset_key(url: str) -> tuple[str, str, str] | None:
    """(package, version, file name) of a CDN URL, or None for another kind of URL."""
    bare = _bare(url).split("?", 1)[0].split("#", 1)[0]
    for pattern in _CDN_PATTERNS:
        match = pattern.match(bare)
        if match:
            name = match["path"].rsplit("/", 1)[-1]
            if name.startswith("."):  # code.jquery.com: the name is the package's
                name = match["pkg"] + name
            return match["pkg"].lower(), match["ver"], name
    return None


@functools.cache
def _by_url() -> Mapping[str, str]:
    return {_bare(url): text for url, text in _embedded().items()}


@functools.cache
def _by_key() -> Mapping[tuple[str, str, str], tuple[str, ...]]:
    out: dict[tuple[str, str, str], list[str]] = {}
    for url in sorted(_embedded()):
        key = _asset_key(url)
        if key is not None:
            out.setdefault(key, []).append(url)
    return {key: tuple(urls) for key, urls in out.items()}


def embedded_asset(url: str) -> str:
    """The embedded text of the file at ``url`` (see the module doc for the matching);
    :class:`OfflineAssetError` naming the URL if there is none."""
    text = _by_url().get(_bare(url))
    if text is not None:
        return text
    key = _asset_key(url)
    candidates = _by_key().get(key, ()) if key else ()
    texts = {_embedded()[c] for c in candidates}
    if len(texts) == 1:
        return texts.pop()
    why = (f"flera olika inbäddade kopior passar ({', '.join(candidates)})" if texts else
           "folium-offline har ingen inbäddad kopia av den (samma paket, version och fil)")
    raise OfflineAssetError(
        f"kartan skulle hämta {url} från nätet, men {why}. Den exporterade kartan ska "
        "fungera utan internet: använd bara resurser som folium-offline bäddar in, eller "
        "ta bort resursen från kartan om den inte behövs"
    )


def _attrs(text: str) -> dict[str, str]:
    return {m[1].lower(): html.unescape(m[2] or m[3] or m[4] or "") for m in _ATTR.finditer(text)}


def _check_css(css: str, where: str) -> None:
    """Refuse a stylesheet that would load another file (from the net or beside the page)."""
    if _CSS_IMPORT.search(css):
        raise OfflineAssetError(f"stilmallen {where} använder @import, som hämtar en fil till")
    for match in _CSS_URL.finditer(css):
        ref = (match[1] or match[2] or match[3] or "").strip()
        if ref and not ref.lower().startswith(("data:", "#", "%23")):
            raise OfflineAssetError(
                f"stilmallen {where} hänvisar till {ref}, som inte finns inbäddad; "
                "kartan skulle hämta den (eller sakna den) när den öppnas")


def _script(text: str, url: str) -> str:
    # '<!--' followed by '<script' would change how the browser finds the end of the
    # element, and escaping it could change what the code means: refuse instead.
    if "<!--" in text and re.search(r"<script", text, re.I):
        raise OfflineAssetError(f"{url} innehåller '<!--' och '<script' och kan inte bäddas "
                                "in säkert i ett <script>-element")
    return "<script>" + re.sub(r"</(script)", r"<\\/\1", text, flags=re.I) + "</script>"


def _style(text: str, url: str) -> str:
    _check_css(text, url)
    return "<style>" + re.sub(r"</(style)", r"<\\/\1", text, flags=re.I) + "</style>"


def _replace(match: re.Match[str]) -> str:
    whole = match[0]
    if match["script_attrs"] is not None:
        attrs = _attrs(match["script_attrs"])
        if "src" not in attrs:
            return whole
        url = attrs["src"]
        if url.lower().startswith("data:"):
            return whole
        if not _REMOTE.match(url):
            raise OfflineAssetError(f"skriptet {url} är en relativ länk och finns inte "
                                    "inbäddat; det saknas när kartan öppnas på annat håll")
        return f"<!-- {_comment(url)} -->" + _script(embedded_asset(url), url)
    if match["style_body"] is not None:
        _check_css(match["style_body"], "i sidan")
        return whole
    if match["tag"] is None:  # a comment
        return whole
    tag, attrs = match["tag"].lower(), _attrs(match["attrs"])
    if tag == "link" and "stylesheet" in attrs.get("rel", "").lower().split():
        url = attrs.get("href", "")
        if not _REMOTE.match(url):
            raise OfflineAssetError(f"stilmallen {url} är en relativ länk och finns inte "
                                    "inbäddad; den saknas när kartan öppnas på annat håll")
        return f"<!-- {_comment(url)} -->" + _style(embedded_asset(url), url)
    if tag not in ("a", "area"):  # a link is only followed on a click
        for name in _FETCHING_ATTRS:
            value = attrs.get(name, "")
            if any(_REMOTE.match(part) for part in value.split(",")):  # srcset: a list
                raise OfflineAssetError(f"<{tag} {name}=\"{value}\"> skulle hämtas från "
                                        "nätet när kartan öppnas; inget inbäddat alternativ")
    return whole


def _comment(url: str) -> str:
    """Where an inlined file came from (kept for its licence and for later updates)."""
    return "inbäddad från folium-offline: " + url.replace("--", "%2D%2D")


def inline_assets(page: str) -> str:
    """``page`` with every external script and stylesheet inlined (see the module doc).

    Raises :class:`OfflineAssetError` naming the URL of anything the page would still
    fetch when opened. Pure and deterministic."""
    return _MARKUP.sub(_replace, page)
