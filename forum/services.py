"""The services one application instance is built from (see forum.app.create_app)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from jinja2 import Environment

from forum.db import Database
from forum.events import EventBus
from forum.outbox import Handler, Worker
from forum.settings import Settings


@dataclass
class Services:
    settings: Settings
    db: Database
    bus: EventBus
    templates: Environment
    job_handlers: dict[str, Handler] = field(default_factory=dict)
    worker: Worker | None = None
    # Filled by packages that plug in (search index, chat channels, ...), keyed by name.
    extensions: dict[str, Any] = field(default_factory=dict)
    plugins: tuple[Any, ...] = ()
    page_cache: Any = None  # forum.web.kit.PageCache, set by forum.app.build_services
    # What a package opened outside the engine (the chat spool's SQLite file), closed by
    # close() when the process or the application stops.
    closers: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        """Close every connection this instance opened (Python 3.13 warns about unclosed
        SQLite connections); using the services again reopens them."""
        for closer in self.closers:
            closer()
        self.db.engine.dispose()
