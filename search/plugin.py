"""Search plugs into the forum here: the index, event subscribers, the index job handler,
the pages and API, the header link and the similar-aspiration extension points."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from forum.errors import N_
from forum.extensions import MORE_LIKE_THIS, NAV_LINKS, OPENAPI_PATHS, SIMILAR_ASPIRATIONS
from forum.plugins import Plugin
from forum.services import Services
from search import (
    models,  # noqa: F401 - registers the search tables
    subscribers,
    web,
)
from search.openapi import openapi_fragment
from search.service import BACKEND, INDEX_KEY, build_index, make_extensions

HERE = Path(__file__).resolve().parent


def setup(services: Services) -> None:
    services.extensions[INDEX_KEY] = build_index(services.settings, services.db.engine)
    subscribers.subscribe(services)
    extensions = make_extensions(services)
    services.extensions[SIMILAR_ASPIRATIONS] = extensions["similar_aspirations"]
    services.extensions[MORE_LIKE_THIS] = extensions["more_like_this"]
    services.extensions.setdefault(NAV_LINKS, []).append((N_("Search"), "/cari"))
    services.extensions.setdefault(OPENAPI_PATHS, []).append(openapi_fragment)


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
