"""What search engines and browsers ask for: /robots.txt, /sitemap.xml (and its paged child
sitemaps at scale) and /favicon.ico, each with its content type and cacheable like any other
anonymous page."""

from __future__ import annotations

import struct
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

import pytest

from forum import discovery
from tests.api.seed import SECRETS, seed
from tests.conftest import World

NS = {"s": discovery.SITEMAP_NS}


def _cacheable(response) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 200
    assert response.headers["cache-control"].startswith("public")
    assert "set-cookie" not in response.headers
    assert response.headers["etag"].startswith('W/"')


def _robots_rules(text: str) -> list[str]:
    return [
        line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("Disallow:")
    ]


def _blocked(rules: list[str], path: str) -> bool:
    return any(path.startswith(rule) for rule in rules)


def _locs(response) -> list[str]:  # type: ignore[no-untyped-def]
    root = ET.fromstring(response.content)  # noqa: S314 - our own output, under test
    return [loc.text or "" for loc in root.iterfind(".//s:loc", NS)]


def test_robots_keeps_crawlers_out_of_staff_account_and_search_pages(world: World, browser) -> None:  # type: ignore[no-untyped-def]
    response = browser.get("/robots.txt")
    _cacheable(response)
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    text = response.text
    assert text.startswith("User-agent: *\n")
    rules = _robots_rules(text)
    base = world.services.settings.base_url
    assert f"Sitemap: {base}/sitemap.xml" in text.splitlines()
    staff_account_search = [
        "/admin/akun",
        "/kelola/konsultasi",
        "/instansi",
        "/instansi.csv",
        "/moderation",
        "/moderation/audit",
        "/saya",
        "/saya/data",
        "/notifikasi",
        "/masuk",
        "/daftar",
        "/cari?q=jalan",
        "/search?q=jalan",
        "/aspirasi/baru",
        "/metrics",
    ]
    for path in staff_account_search:
        assert _blocked(rules, path), path
    for path in ("/", "/konsultasi", "/konsultasi/1", "/aspirasi", "/aspirasi/ASP-2026-000001"):
        assert not _blocked(rules, path), path


def test_the_sitemap_lists_the_public_pages_and_nothing_else(world: World, browser) -> None:  # type: ignore[no-untyped-def]
    data = seed(world)
    response = browser.get("/sitemap.xml")
    _cacheable(response)
    assert response.headers["content-type"] == "application/xml; charset=utf-8"
    root = ET.fromstring(response.content)  # noqa: S314 - our own output, under test
    assert root.tag == f"{{{discovery.SITEMAP_NS}}}urlset"
    base = world.services.settings.base_url
    locs = _locs(response)
    assert len(locs) == len(set(locs))
    cid = data.consultation.id
    expected = {
        f"{base}/",
        f"{base}/konsultasi",
        f"{base}/aspirasi",
        f"{base}/konsultasi/{cid}",
        f"{base}/aspirasi/{data.public.ticket}",
        f"{base}/aspirasi/{data.anonymous.ticket}",
    }
    assert expected <= set(locs)
    sections = [loc for loc in locs if "/bagian/" in loc]
    assert sections and all(loc.startswith(f"{base}/konsultasi/{cid}/bagian/") for loc in sections)
    # Confidential, pending, rejected and hidden aspirations and the draft are not there.
    aspirations = {loc for loc in locs if "/aspirasi/ASP-" in loc}
    assert aspirations == {
        f"{base}/aspirasi/{data.public.ticket}",
        f"{base}/aspirasi/{data.anonymous.ticket}",
    }
    assert not any(f"/konsultasi/{data.draft.id}" in loc for loc in locs)
    for secret in SECRETS:
        assert secret not in response.text
    # Every URL is a public page that answers.
    for loc in locs:
        assert loc.startswith(base)
        assert browser.get(urlsplit(loc).path).status_code == 200, loc
    # Each row carries when it last changed.
    for url in root.iterfind("s:url", NS):
        if "/aspirasi/ASP-" in (url.findtext("s:loc", namespaces=NS) or ""):
            assert (url.findtext("s:lastmod", namespaces=NS) or "").endswith("Z")
    # A small site has no child sitemaps.
    assert browser.get("/sitemap-1.xml").status_code == 404


def test_at_scale_the_sitemap_is_an_index_of_paged_child_sitemaps(
    world: World, browser, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    seed(world)
    whole = _locs(browser.get("/sitemap.xml"))
    assert len(whole) > 7
    # The same rows as a large site would have them past 50,000 URLs: 3 per file.
    monkeypatch.setattr(discovery, "URLS_PER_SITEMAP", 3)
    index = browser.get("/sitemap.xml")
    _cacheable(index)
    root = ET.fromstring(index.content)  # noqa: S314 - our own output, under test
    assert root.tag == f"{{{discovery.SITEMAP_NS}}}sitemapindex"
    base = world.services.settings.base_url
    children = _locs(index)
    assert children == [f"{base}/sitemap-{n}.xml" for n in range(1, len(children) + 1)]
    assert len(children) == -(-len(whole) // 3)
    paged: list[str] = []
    for child in children:
        response = browser.get(urlsplit(child).path)
        _cacheable(response)
        assert response.headers["content-type"] == "application/xml; charset=utf-8"
        locs = _locs(response)
        assert 1 <= len(locs) <= 3
        paged += locs
    assert paged == whole  # every URL once, in the same order
    assert browser.get(f"/sitemap-{len(children) + 1}.xml").status_code == 404
    assert browser.get("/sitemap-0.xml").status_code == 404
    assert browser.get("/sitemap-99999999999999999999.xml").status_code == 404


def test_the_favicon_is_an_icon(browser) -> None:  # type: ignore[no-untyped-def]
    response = browser.get("/favicon.ico")
    _cacheable(response)
    assert response.headers["content-type"] == "image/x-icon"
    icon = response.content
    reserved, kind, count = struct.unpack_from("<HHH", icon, 0)
    assert (reserved, kind) == (0, 1) and count >= 1  # an ICO file (type 1: icon)
    sizes = set()
    for number in range(count):
        width, height, _, _, _, bits, length, offset = struct.unpack_from(
            "<BBBBHHII", icon, 6 + 16 * number
        )
        assert offset + length <= len(icon)
        sizes.add((width or 256, height or 256, bits))
    assert {(16, 16, 32), (32, 32, 32)} <= sizes
    assert (
        browser.get("/favicon.ico", headers={"If-None-Match": response.headers["etag"]}).status_code
        == 304
    )
