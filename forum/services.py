"""The services one application instance is built from (see forum.app.create_app)."""

from __future__ import annotations

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
