"""Pages for phones on slow links: what the consultation page and the aspiration form cost on
the wire (cold cache, compressed), and how soon a consultation is readable on Slow 3G."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import BrowserContext, CDPSession, Page, expect

from tests.e2e.conftest import Server, Visit

BUDGET_BYTES = 60 * 1024
CITIZEN = "siti.rahma@contoh.id"
# Chrome DevTools' "Slow 3G" preset rounded as the issue states it: ~400 kbit/s, 400 ms RTT.
SLOW_3G = {
    "offline": False,
    "latency": 400,
    "downloadThroughput": 400 * 1000 / 8,
    "uploadThroughput": 400 * 1000 / 8,
}
READABLE_MS = 3000
# The first paint with text, from the browser's clock (it may be recorded just after "load").
FCP = """() => new Promise(resolve => new PerformanceObserver((list, observer) => {
  const entry = list.getEntriesByName('first-contentful-paint')[0];
  if (entry) { observer.disconnect(); resolve(entry.startTime); }
}).observe({type: 'paint', buffered: true}))"""


class Wire:
    """Counts the bytes each response took on the wire (headers + compressed body), as the
    browser's own network events report them."""

    def __init__(self, context: BrowserContext, page: Page) -> None:
        self.cdp: CDPSession = context.new_cdp_session(page)
        self.cdp.send("Network.enable")
        self.cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        self.urls: dict[str, str] = {}
        self.encodings: dict[str, str] = {}
        self.sizes: dict[str, float] = {}
        self.cdp.on("Network.responseReceived", self._response)
        self.cdp.on("Network.loadingFinished", self._finished)

    def _response(self, event: dict[str, Any]) -> None:
        response = event["response"]
        self.urls[event["requestId"]] = response["url"]
        headers = {k.lower(): v for k, v in response["headers"].items()}
        self.encodings[response["url"]] = headers.get("content-encoding", "")

    def _finished(self, event: dict[str, Any]) -> None:
        url = self.urls.get(event["requestId"])
        if url:
            self.sizes[url] = event["encodedDataLength"]

    def reset(self) -> None:
        self.urls.clear()
        self.sizes.clear()
        self.encodings.clear()

    @property
    def total(self) -> float:
        return sum(self.sizes.values())


def _weigh(visit: Visit, path: str) -> Wire:
    wire = Wire(visit.context, visit.page)
    visit.goto(path)
    visit.page.wait_for_load_state("networkidle")
    return wire


def test_the_consultation_page_and_the_aspiration_form_fit_the_budget(  # type: ignore[no-untyped-def]
    visit_factory, server: Server
) -> None:
    citizen = visit_factory("citizen-weight")
    citizen.login(CITIZEN, server.passwords[CITIZEN])
    for path in ["/konsultasi/1", "/konsultasi/1/bagian/6", "/aspirasi/baru"]:
        wire = _weigh(citizen, path)
        assert wire.sizes, f"{path}: no response seen"
        # Everything the page needs comes compressed, images aside (there are none).
        assert all(enc == "gzip" for enc in wire.encodings.values()), wire.encodings
        assert wire.total <= BUDGET_BYTES, f"{path}: {wire.total:.0f} bytes: {wire.sizes}"


def test_static_files_are_cacheable_for_a_year_under_a_versioned_url(  # type: ignore[no-untyped-def]
    visit_factory, server: Server
) -> None:
    visitor = visit_factory("visitor-cache")
    page = visitor.goto("/konsultasi/1")
    stylesheet = page.locator("link[rel=stylesheet]").get_attribute("href") or ""
    assert stylesheet.startswith("/static/rembug.css?v="), stylesheet
    response = page.request.get(server.url(stylesheet), headers={"Accept-Encoding": "gzip"})
    assert response.ok
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    # The next page takes the stylesheet from the cache, without asking the server again.
    cdp = visitor.context.new_cdp_session(page)
    cdp.send("Network.enable")
    requested: dict[str, str] = {}
    from_cache: set[str] = set()
    cdp.on(
        "Network.requestWillBeSent",
        lambda event: requested.__setitem__(event["requestId"], event["request"]["url"]),
    )
    cdp.on("Network.requestServedFromCache", lambda event: from_cache.add(event["requestId"]))
    visitor.goto("/konsultasi/1/bagian/1")
    static = {rid: url for rid, url in requested.items() if "/static/" in url}
    assert static, "the section page links no stylesheet"
    assert set(static) <= from_cache, static


def test_a_consultation_is_readable_within_three_seconds_on_slow_3g(  # type: ignore[no-untyped-def]
    visit_factory,
) -> None:
    visitor = visit_factory("visitor-slow-3g")
    page = visitor.page
    cdp = visitor.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    cdp.send("Network.emulateNetworkConditions", SLOW_3G)
    for path, readable in [
        ("/konsultasi/1", "h1"),
        ("/konsultasi/1/bagian/1", ".section-text .document p"),
    ]:
        visitor.goto(path, f"slow 3g {path}")
        expect(page.locator(readable).first).to_be_visible()
        # The browser's own clock: the first paint with text, with the stylesheet applied
        # (it blocks rendering), measured from the start of the navigation.
        painted = page.evaluate(FCP)
        assert painted is not None, path
        assert painted <= READABLE_MS, f"{path}: first text painted after {painted:.0f} ms"
