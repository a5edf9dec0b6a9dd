"""How packages plug into the forum (moderation, search, bots): each exposes one ``Plugin``
in ``<package>/plugin.py``, announced as an entry point of the group ``rembug.plugins`` in
pyproject.toml; the composition root (forum.app) loads them by that name. No module of the
forum core imports a plugin's package, so no import runs back from a package to the core's
root."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from importlib.metadata import entry_points
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
    # ``rembug check --online``: what the outside services say of this deployment (e.g. a
    # chat webhook that is not registered, or registered for another address).
    check_online: Callable[[Settings], Awaitable[list[str]]] | None = None


def setting_value(settings: Settings, setting: Setting) -> str:
    """A plugin's setting, from the environment the settings module read (or its default)."""
    return settings.extra.get(setting.name, "").strip() or setting.default


# The group of the entry points that announce plugins, and the order plugins are installed
# in: moderation opens a case before search or bots react to the same event; a plugin of
# another distribution comes after these, by name.
ENTRY_POINT_GROUP = "rembug.plugins"
ORDER = ("moderation", "search", "bots")


def installed_plugins() -> tuple[Plugin, ...]:
    """Every plugin announced by an installed distribution, in ``ORDER``."""
    found = {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}
    missing = [name for name in ORDER if name not in found]
    if missing:
        raise RuntimeError(
            f"Rembug's own plugins are not installed ({', '.join(missing)}): "
            "run `pip install -e .` (or install the package) again."
        )
    names = [*ORDER, *sorted(set(found) - set(ORDER))]
    plugins = []
    for name in names:
        plugin = found[name].load()
        if not isinstance(plugin, Plugin):
            raise TypeError(f"entry point {name!r} of {ENTRY_POINT_GROUP} is not a Plugin")
        plugins.append(plugin)
    return tuple(plugins)
