"""Atom 1.0 feeds: new consultations, new official responses, and one consultation's comments.
They reuse forum.api's public listings, so a feed never shows what the API would not."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from forum import api
from forum.errors import N_
from forum.i18n import gettext
from forum.services import Services
from forum.validation import MAX_ID

ATOM = "http://www.w3.org/2005/Atom"
MEDIA_TYPE = "application/atom+xml; charset=utf-8"
ENTRIES = 50
# Characters XML 1.0 cannot carry at all; user text could hold them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

CONSULTATIONS_TITLE = N_("Rembug: new consultations")
RESPONSES_TITLE = N_("Rembug: official responses")
COMMENTS_TITLE = N_("Comments on “%(title)s”")
RESPONSE_ENTRY = N_("Official response from %(agency)s")
COMMENT_ENTRY = N_("Comment by %(author)s")


def _text(value: str) -> str:
    return _NOT_XML.sub("", value)


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = _text(text)
    return element


def _tag_uri(services: Services, kind: str, number: Any) -> str:
    """A permanent entry id (RFC 4151 tag URI) that does not change if pages move."""
    host = urlsplit(services.settings.base_url).hostname or "localhost"
    return f"tag:{host},2026:rembug/{kind}/{number}"


def render_feed(
    services: Services,
    *,
    title: str,
    self_path: str,
    page_path: str,
    feed_id: str,
    entries: list[dict[str, Any]],
) -> bytes:
    """entries: dicts with id, title, updated (ISO), url, author, content."""
    base = services.settings.base_url
    # Unprefixed names under a literal default namespace: ElementTree cannot combine its
    # default_namespace option with unqualified attributes (rel, href).
    feed = ET.Element("feed", {"xmlns": ATOM})
    _sub(feed, "id", _tag_uri(services, "feed", feed_id))
    _sub(feed, "title", title)
    updated = max((e["updated"] for e in entries), default=None) or _now()
    _sub(feed, "updated", updated)
    _sub(feed, "link", rel="self", type="application/atom+xml", href=base + self_path)
    _sub(feed, "link", rel="alternate", type="text/html", href=base + page_path)
    _sub(_sub(feed, "author"), "name", "Rembug")
    _sub(feed, "generator", "Rembug")
    for entry in entries:
        item = _sub(feed, "entry")
        _sub(item, "id", entry["id"])
        _sub(item, "title", entry["title"])
        _sub(item, "updated", entry["updated"])
        _sub(item, "link", rel="alternate", type="text/html", href=entry["url"])
        _sub(_sub(item, "author"), "name", entry["author"])
        _sub(item, "content", entry["content"], type="text")
    body: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return body


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def _args(services: Services, **values: Any) -> api.Args:
    return api.Args({"status": None, "agency": None, **values}, services)


def _consultations(request: Request, services: Services) -> bytes:
    locale = services.settings.default_locale
    with services.db.read() as db:
        items = api.list_consultations(db, _args(services)).fetch(0, ENTRIES)
    entries = [
        {
            "id": _tag_uri(services, "consultation", c["id"]),
            "title": c["title"],
            "updated": c["published_at"] or c["opens_at"],
            "url": c["url"],
            "author": c["agency"]["name"],
            "content": c["summary"] or c["title"],
        }
        for c in items
    ]
    return render_feed(
        services,
        title=gettext(locale, CONSULTATIONS_TITLE),
        self_path="/feeds/konsultasi.atom",
        page_path="/konsultasi",
        feed_id="consultations",
        entries=entries,
    )


def _responses(request: Request, services: Services) -> bytes:
    locale = services.settings.default_locale
    with services.db.read() as db:
        items = api.list_responses(db, _args(services)).fetch(0, ENTRIES)
    entries = [
        {
            "id": _tag_uri(services, "response", r["id"]),
            "title": gettext(locale, RESPONSE_ENTRY, agency=r["agency"]["name"])
            + (f" · {r['ticket']}" if r["ticket"] else ""),
            "updated": r["updated_at"] or r["created_at"],
            "url": r["url"],
            "author": r["agency"]["name"],
            "content": r["text"],
        }
        for r in items
    ]
    return render_feed(
        services,
        title=gettext(locale, RESPONSES_TITLE),
        self_path="/feeds/tanggapan.atom",
        page_path="/",
        feed_id="responses",
        entries=entries,
    )


def _comments(request: Request, services: Services) -> bytes:
    locale = services.settings.default_locale
    raw = str(request.path_params.get("cid", ""))
    if not (raw.isdigit() and len(raw) <= 10 and 0 < int(raw) <= MAX_ID):
        raise HTTPException(404)
    cid = int(raw)
    with services.db.read() as db:
        try:
            consultation = api.get_consultation(db, _args(services, id=cid))
            listing = api.list_comments(db, _args(services, id=cid))
        except api.ApiError:
            raise HTTPException(404) from None
        newest = listing.fetch(max(0, listing.count() - ENTRIES), ENTRIES)[::-1]
    entries = [
        {
            "id": _tag_uri(services, "comment", c["id"]),
            "title": gettext(locale, COMMENT_ENTRY, author=c["author"]),
            "updated": c["published_at"] or consultation["opens_at"],
            "url": c["url"],
            "author": c["author"],
            "content": c["text"],
        }
        for c in newest
    ]
    return render_feed(
        services,
        title=gettext(locale, COMMENTS_TITLE, title=consultation["title"]),
        self_path=f"/konsultasi/{cid}/komentar.atom",
        page_path=f"/konsultasi/{cid}",
        feed_id=f"consultation-{cid}-comments",
        entries=entries,
    )


def _feed(build: Any) -> Any:
    async def endpoint(request: Request) -> Response:
        services: Services = request.app.state.services
        body = await run_in_threadpool(build, request, services)
        return Response(body, media_type=MEDIA_TYPE)

    endpoint.__name__ = build.__name__.strip("_") + "_feed"
    return endpoint


routes: list[BaseRoute] = [
    Route("/feeds/konsultasi.atom", _feed(_consultations)),
    Route("/feeds/tanggapan.atom", _feed(_responses)),
    Route("/konsultasi/{cid}/komentar.atom", _feed(_comments)),
]
