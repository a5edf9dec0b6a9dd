"""Moderation plugs into the forum here: its queue pages (subscribers come with the full queue)."""

from __future__ import annotations

from pathlib import Path

from starlette.routing import BaseRoute

from forum.plugins import Plugin
from forum.services import Services

HERE = Path(__file__).resolve().parent


def routes(services: Services) -> list[BaseRoute]:
    from moderation import web

    return list(web.routes)


PLUGIN = Plugin(
    name="moderation",
    routes=routes,
    template_dir=HERE / "templates",
    locale_dir=HERE / "locale",
)
