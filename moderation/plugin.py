"""Moderation plugs into the forum here: every new contribution opens a case (in the same
transaction), the queue and case pages, flags, appeals, the audit trail and word lists."""

from __future__ import annotations

from pathlib import Path

from starlette.routing import BaseRoute

import moderation.models  # noqa: F401 - registers the moderation tables
from forum.errors import N_
from forum.extensions import PROFILE_LINKS, REPORT_PATH
from forum.plugins import Plugin
from forum.services import Services
from moderation.config import SETTINGS, ModerationConfig

HERE = Path(__file__).resolve().parent


def setup(services: Services) -> None:
    from moderation.subscribers import subscribe

    config = ModerationConfig.from_settings(services.settings)
    services.extensions["moderation.config"] = config
    services.extensions[REPORT_PATH] = "/moderation/laporkan"
    services.extensions.setdefault(PROFILE_LINKS, []).append(
        (N_("Appeal a moderation decision"), "/moderation/banding")
    )
    subscribe(services.bus, config)


def routes(services: Services) -> list[BaseRoute]:
    from moderation import web

    return list(web.routes)


PLUGIN = Plugin(
    name="moderation",
    setup=setup,
    routes=routes,
    template_dir=HERE / "templates",
    locale_dir=HERE / "locale",
    settings=SETTINGS,
)
