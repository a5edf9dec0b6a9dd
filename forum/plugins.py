"""How packages plug into the forum (moderation, search, bots): each exposes one ``Plugin``
in ``<package>/plugin.py``; the composition root (forum.app) installs them. The forum core
itself never imports a plugin."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.routing import BaseRoute

from forum.services import Services
from forum.settings import Setting, Settings


def _no_setup(services: Services) -> None:
    return None


def _no_routes(services: Services) -> list[BaseRoute]:
    return []


@dataclass(frozen=True)
class Plugin:
    name: str
    # Subscribe to events, register outbox job handlers and services.extensions entries.
    setup: Callable[[Services], None] = _no_setup
    routes: Callable[[Services], list[BaseRoute]] = _no_routes
    # Jinja2 templates and a Babel catalog folder (<locale>/LC_MESSAGES/messages.po).
    template_dir: Path | None = None
    locale_dir: Path | None = None
    # Started and stopped with the web process (e.g. a chat client's connection pool).
    lifespan: Callable[[Services], AbstractAsyncContextManager[None]] | None = None
    # The package's own REMBUG_ settings, documented like the core's.
    settings: tuple[Setting, ...] = field(default_factory=tuple)
    # Adds the package's subcommands to ``rembug`` (argparse subparsers).
    cli: Callable[[Any], None] | None = None
    # ``rembug check``: what is misconfigured in the package's settings (offline; no
    # network call), as readable lines.
    check: Callable[[Settings], list[str]] | None = None


def setting_value(settings: Settings, setting: Setting) -> str:
    """A plugin's setting, from the environment the settings module read (or its default)."""
    return settings.extra.get(setting.name, "").strip() or setting.default
