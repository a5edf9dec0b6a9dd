"""Atom 1.0 feeds: parsed back as XML, required elements present, absolute links on
REMBUG_BASE_URL, text escaped, and advertised in the pages' <head>."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from forum import actions
from tests.api.seed import Seeded, seed
from tests.conftest import World

NS = {"a": "http://www.w3.org/2005/Atom"}
BASE = "http://127.0.0.1:8000"
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def _feed(browser, path: str) -> ET.Element:  # type: ignore[no-untyped-def]
    response = browser.get(path)
    assert response.status_code == 200, path
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    root = ET.fromstring(response.content)  # noqa: S314 - our own output, under test
    assert root.tag == "{http://www.w3.org/2005/Atom}feed"
    # RFC 4287: a feed has id, title and updated; so does every entry, plus a link and an
    # author (here on every entry), and a self link on the feed.
    for element in (root, *root.findall("a:entry", NS)):
        for required in ("a:id", "a:title", "a:updated"):
            assert element.find(required, NS) is not None, required
        assert RFC3339.match(element.findtext("a:updated", namespaces=NS) or "")
    self_link = root.find("a:link[@rel='self']", NS)
    assert self_link is not None and self_link.get("href") == BASE + path
    for entry in root.findall("a:entry", NS):
        assert entry.find("a:author/a:name", NS) is not None
        link = entry.find("a:link[@rel='alternate']", NS)
        assert link is not None and (link.get("href") or "").startswith(BASE + "/")
    ids = [e.findtext("a:id", namespaces=NS) for e in root.findall("a:entry", NS)]
    assert len(ids) == len(set(ids))
    return root


def _titles(root: ET.Element) -> list[str]:
    return [e.findtext("a:title", default="", namespaces=NS) for e in root.findall("a:entry", NS)]


def test_consultations_feed(world: World, browser) -> None:  # type: ignore[no-untyped-def]
    data = seed(world)
    root = _feed(browser, "/feeds/konsultasi.atom")
    assert root.findtext("a:title", namespaces=NS) == "Rembug: konsultasi baru"
    assert _titles(root) == [data.consultation.title]  # not the draft
    entry = root.find("a:entry", NS)
    assert entry is not None
    assert entry.findtext("a:author/a:name", namespaces=NS) == world.agency.name
    link = entry.find("a:link", NS)
    assert link is not None and link.get("href") == f"{BASE}/konsultasi/{data.consultation.id}"


def test_responses_feed(world: World, browser) -> None:  # type: ignore[no-untyped-def]
    data = seed(world)
    root = _feed(browser, "/feeds/tanggapan.atom")
    titles = _titles(root)
    assert len(titles) == 2
    assert f"Tanggapan resmi dari {world.agency.name} · {data.public.ticket}" in titles
    contents = [e.findtext("a:content", namespaces=NS) for e in root.findall("a:entry", NS)]
    assert "Petugas kami akan memperbaiki lampu jalan minggu ini." in contents


def test_comments_feed_escapes_text_and_drops_invalid_characters(world: World, browser) -> None:  # type: ignore[no-untyped-def]
    data: Seeded = seed(world)
    tricky = "Pakai <script>alert('x')</script> & ]]> juga \x0b di sini"
    with world.services.db.write() as db:
        comment = actions.submit_comment(
            db, db.merge(world.citizen), db.merge(data.consultation), body=tricky
        )
        actions.publish_comment(db, db.merge(world.moderator), comment)
    path = f"/konsultasi/{data.consultation.id}/komentar.atom"
    raw = browser.get(path).text
    assert "<script>" not in raw
    root = _feed(browser, path)
    assert root.findtext("a:title", namespaces=NS) == f"Komentar atas “{data.consultation.title}”"
    entries = root.findall("a:entry", NS)
    assert len(entries) == 3  # visible comment, its reply, the new one; newest first
    content = entries[0].find("a:content", NS)
    assert content is not None and content.get("type") == "text"
    assert "<script>alert('x')</script> & ]]>" in (content.text or "")
    assert entries[0].findtext("a:title", namespaces=NS).startswith("Komentar dari ")  # type: ignore[union-attr]
    link = entries[0].find("a:link", NS)
    assert link is not None
    assert link.get("href") == f"{BASE}/konsultasi/{data.consultation.id}#komentar-{comment.id}"


def test_comments_feed_of_a_draft_or_missing_consultation_is_404(world: World, browser) -> None:  # type: ignore[no-untyped-def]
    data = seed(world)
    for path in (
        f"/konsultasi/{data.draft.id}/komentar.atom",
        "/konsultasi/999999/komentar.atom",
        "/konsultasi/99999999999999999/komentar.atom",
    ):
        assert browser.get(path).status_code == 404, path


def test_pages_advertise_their_feeds(world: World, browser) -> None:  # type: ignore[no-untyped-def]
    data = seed(world)
    head = re.compile(r"<head>(.*?)</head>", re.S)

    def feeds_of(path: str) -> list[str]:
        match = head.search(browser.get(path).text)
        assert match, path
        return re.findall(
            r'<link rel="alternate" type="application/atom\+xml" href="([^"]+)"', match.group(1)
        )

    both = ["/feeds/konsultasi.atom", "/feeds/tanggapan.atom"]
    assert feeds_of("/") == both
    assert feeds_of("/konsultasi") == both
    assert feeds_of("/aspirasi") == ["/feeds/tanggapan.atom"]
    comments = [f"/konsultasi/{data.consultation.id}/komentar.atom"]
    assert feeds_of(f"/konsultasi/{data.consultation.id}") == comments
    assert feeds_of(f"/konsultasi/{data.consultation.id}/bagian/2") == comments
