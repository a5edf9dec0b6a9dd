"""Search plugs into the forum here: the index, event subscribers, the index job handler,
the pages and API, the header link and the similar-aspiration extension points."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from forum.errors import N_
from forum.extensions import (
    MORE_LIKE_THIS,
    NAV_LINKS,
    OPENAPI_PATHS,
    PERIODIC,
    READINESS_CHECKS,
    ROBOTS_DISALLOW,
    SEARCH_ITEMS,
    SIMILAR_ASPIRATIONS,
)
from forum.plugins import Plugin
from forum.services import Services
from search import (
    models,  # noqa: F401 - registers the search tables
    subscribers,
    web,
)
from search.analysis import parse_query
from search.documents import visible_sources
from search.index import SearchQuery
from search.openapi import openapi_fragment
from search.rebuild import REBUILD_JOB, rebuild_if_empty, run_rebuild_job
from search.service import (
    BACKEND,
    INDEX_KEY,
    build_index,
    confidential_scope,
    get_index,
    make_extensions,
)

HERE = Path(__file__).resolve().parent


def setup(services: Services) -> None:
    services.extensions[INDEX_KEY] = build_index(services.settings, services.db.engine)
    subscribers.subscribe(services)
    services.job_handlers[REBUILD_JOB] = run_rebuild_job
    services.extensions.setdefault(PERIODIC, []).append(rebuild_if_empty)
    services.extensions.setdefault(READINESS_CHECKS, []).append(
        ("search", lambda s: get_index(s).count())
    )
    extensions = make_extensions(services)
    services.extensions[SIMILAR_ASPIRATIONS] = extensions["similar_aspirations"]
    services.extensions[MORE_LIKE_THIS] = extensions["more_like_this"]
    services.extensions[SEARCH_ITEMS] = search_items(services)
    services.extensions.setdefault(NAV_LINKS, []).append((N_("Search"), "/cari"))
    services.extensions.setdefault(OPENAPI_PATHS, []).append(openapi_fragment)
    services.extensions.setdefault(ROBOTS_DISALLOW, []).extend(["/cari", "/search"])


def search_items(services: Services) -> Any:
    """The SEARCH_ITEMS hook (chat /cari): hits as the aspiration or consultation they belong
    to, each once, best first, without facet counts."""

    def find(db: Any, viewer: Any, text: str, limit: int) -> list[tuple[str, int, str]]:
        query = SearchQuery(
            parsed=parse_query(text),
            limit=limit * 3,
            facets=False,
            confidential=confidential_scope(viewer),
        )
        hits = get_index(services).search(query).hits
        sources = visible_sources(db, viewer, [hit.key for hit in hits])
        found: dict[tuple[str, int], str] = {}
        for hit in hits:
            source = sources.get(hit.key)
            if source is None:
                continue
            if source.aspiration is not None and source.aspiration.id is not None:
                key, title = ("aspiration", source.aspiration.id), source.aspiration.title
            elif source.consultation is not None and source.consultation.id is not None:
                key, title = ("consultation", source.consultation.id), source.consultation.title
            else:
                continue
            found.setdefault(key, title)
        return [(kind, id_, title) for (kind, id_), title in found.items()][:limit]

    return find


def add_cli_commands(subparsers: Any) -> None:
    """``rembug`` gets this package's subcommands."""
    from search.cli import add_commands

    add_commands(subparsers)


PLUGIN = Plugin(
    name="search",
    setup=setup,
    routes=web.routes,
    template_dir=HERE / "templates",
    locale_dir=HERE / "locale",
    settings=(BACKEND,),
    cli=add_cli_commands,
)
