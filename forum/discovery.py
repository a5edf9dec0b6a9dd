"""What search engines and browsers ask every site for: /robots.txt (crawlers stay out of
staff, account and search pages), /sitemap.xml (the public consultations, their sections and
the public aspirations; at scale a sitemap index of paged child sitemaps) and /favicon.ico.

All three are the same for everyone and set no cookie, so forum.web.http_cache makes them
public and revalidated like any other anonymous page."""

from __future__ import annotations

import functools
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from math import ceil
from pathlib import Path
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from forum.api import public_aspirations
from forum.extensions import ROBOTS_DISALLOW
from forum.models import Aspiration, Consultation, Section
from forum.queries import PUBLIC_CONSULTATION_STATUSES
from forum.services import Services

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
XML_MEDIA_TYPE = "application/xml; charset=utf-8"
ICON_MEDIA_TYPE = "image/x-icon"
STATIC = Path(__file__).resolve().parent / "static"

# At most this many URLs in one sitemap file (the sitemaps.org limit); past it /sitemap.xml
# is an index of /sitemap-1.xml, /sitemap-2.xml, ...
URLS_PER_SITEMAP = 50_000

# Pages crawlers have no business in: the staff's (desk, management, administration),
# the account's, forms that only post, and machine endpoints. Plugins add theirs
# (forum.extensions.ROBOTS_DISALLOW: the search pages, the moderation queue).
DISALLOW = (
    "/admin",
    "/kelola",
    "/instansi",
    "/saya",
    "/notifikasi",
    "/masuk",
    "/daftar",
    "/keluar",
    "/tiket",
    "/aspirasi/baru",
    "/bahasa/",
    "/dukung",
    "/komentar/",
    "/metrics",
    "/healthz",
    "/readyz",
    "/webhooks/",
)

# Public pages that are not rows: the home page and the lists.
PAGES = ("/", "/konsultasi", "/aspirasi", "/akuntabilitas")


def robots_txt(services: Services) -> str:
    disallow = [*DISALLOW, *services.extensions.get(ROBOTS_DISALLOW, [])]
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in disallow)]
    lines += ["", f"Sitemap: {services.settings.base_url}/sitemap.xml", ""]
    return "\n".join(lines)


@dataclass(frozen=True)
class _Part:
    """One run of sitemap URLs, in a stable order: how many, and a window of them."""

    count: Callable[[Session], int]
    fetch: Callable[[Session, int, int], list[tuple[str, datetime | None]]]


def _rows(query: Any, to_url: Callable[[Any], str]) -> _Part:
    def count(db: Session) -> int:
        return int(db.exec(select(func.count()).select_from(query.subquery())).one())

    def fetch(db: Session, offset: int, limit: int) -> list[tuple[str, datetime | None]]:
        return [(to_url(row), row[-1]) for row in db.exec(query.offset(offset).limit(limit))]

    return _Part(count, fetch)


def _parts() -> Sequence[_Part]:
    public = col(Consultation.status).in_(PUBLIC_CONSULTATION_STATUSES)
    return (
        _Part(
            lambda _db: len(PAGES),
            lambda _db, offset, limit: [(p, None) for p in PAGES[offset : offset + limit]],
        ),
        _rows(
            select(Consultation.id, Consultation.updated_at)
            .where(public)
            .order_by(col(Consultation.id)),
            lambda row: f"/konsultasi/{row[0]}",
        ),
        _rows(
            select(Section.consultation_id, Section.position, Consultation.updated_at)
            .join(Consultation, col(Consultation.id) == col(Section.consultation_id))
            .where(public)
            .order_by(col(Section.consultation_id), col(Section.position)),
            lambda row: f"/konsultasi/{row[0]}/bagian/{row[1]}",
        ),
        _rows(
            # The API's rule of what is public (a fresh select: sqlmodel would hand back
            # only the first column of a select made from the model).
            select(Aspiration.ticket, Aspiration.updated_at)
            .where(public_aspirations().whereclause)
            .order_by(col(Aspiration.id)),
            lambda row: f"/aspirasi/{row[0]}",
        ),
    )


def _window(db: Session, offset: int, limit: int) -> list[tuple[str, datetime | None]]:
    """URLs number ``offset`` to ``offset + limit`` of the whole sitemap."""
    urls: list[tuple[str, datetime | None]] = []
    for part in _parts():
        if len(urls) >= limit:
            break
        count = part.count(db)
        if offset >= count:
            offset -= count
            continue
        urls += part.fetch(db, offset, limit - len(urls))
        offset = 0
    return urls


def _total(db: Session) -> int:
    return sum(part.count(db) for part in _parts())


def _xml(root: ET.Element) -> bytes:
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def _lastmod(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:  # SQLite hands back naive UTC
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _urlset(base: str, urls: list[tuple[str, datetime | None]]) -> bytes:
    root = ET.Element("urlset", xmlns=SITEMAP_NS)
    for path, modified in urls:
        url = ET.SubElement(root, "url")
        ET.SubElement(url, "loc").text = base + path
        lastmod = _lastmod(modified)
        if lastmod is not None:
            ET.SubElement(url, "lastmod").text = lastmod
    return _xml(root)


def sitemap(services: Services, page: int | None) -> bytes | None:
    """/sitemap.xml (``page`` None): every URL, or past URLS_PER_SITEMAP an index of the
    child sitemaps; a child sitemap (``page`` from 1), or None when there is no such page."""
    base = services.settings.base_url
    with services.db.read() as db:
        total = _total(db)
        pages = max(1, ceil(total / URLS_PER_SITEMAP))
        if page is None and pages == 1:
            return _urlset(base, _window(db, 0, URLS_PER_SITEMAP))
        if page is None:
            root = ET.Element("sitemapindex", xmlns=SITEMAP_NS)
            for number in range(1, pages + 1):
                ET.SubElement(
                    ET.SubElement(root, "sitemap"), "loc"
                ).text = f"{base}/sitemap-{number}.xml"
            return _xml(root)
        if not 1 <= page <= pages or pages == 1:
            return None  # a small site has only /sitemap.xml
        return _urlset(base, _window(db, (page - 1) * URLS_PER_SITEMAP, URLS_PER_SITEMAP))


async def robots(request: Request) -> Response:
    services: Services = request.app.state.services
    return PlainTextResponse(robots_txt(services))


async def sitemap_index(request: Request) -> Response:
    services: Services = request.app.state.services
    body = await run_in_threadpool(sitemap, services, None)
    return Response(body, media_type=XML_MEDIA_TYPE)


async def sitemap_page(request: Request) -> Response:
    services: Services = request.app.state.services
    page = request.path_params["page"]
    body = await run_in_threadpool(sitemap, services, page if page < 10**9 else 0)
    if body is None:
        raise HTTPException(404)
    return Response(body, media_type=XML_MEDIA_TYPE)


@functools.cache
def _icon() -> bytes:
    return (STATIC / "favicon.ico").read_bytes()


async def favicon(request: Request) -> Response:
    return Response(_icon(), media_type=ICON_MEDIA_TYPE)


routes: list[BaseRoute] = [
    Route("/robots.txt", robots),
    Route("/sitemap.xml", sitemap_index),
    Route("/sitemap-{page:int}.xml", sitemap_page),
    Route("/favicon.ico", favicon),
]
