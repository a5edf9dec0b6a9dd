"""The composition root: ``create_app(settings)`` builds the services, wires every package's
subscribers, job handlers and routes, and runs the outbox worker in the lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from forum import passwords, web, web_admin, web_manage
from forum.db import Database, check_migrated, make_engine
from forum.events import EventBus
from forum.runtime import run_background
from forum.services import Services
from forum.settings import Settings
from forum.webkit import BaseMiddleware, http_exception_page
from moderation import web as moderation_web

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent


def build_templates() -> Environment:
    loader = FileSystemLoader(
        [str(HERE / "templates"), str(HERE.parent / "moderation" / "templates")]
    )
    env = Environment(
        loader=loader,
        autoescape=select_autoescape(["html", "xml"]),
        extensions=["jinja2.ext.i18n"],
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    # Per-request gettext callables come with each render (forum.i18n.jinja_callables).
    env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
    return env


def build_services(settings: Settings, *, check_schema: bool = True) -> Services:
    passwords.configure(
        time_cost=settings.password_hash_time_cost, memory_kib=settings.password_hash_memory_kib
    )
    bus = EventBus()
    engine = make_engine(settings.database_url)
    if check_schema:
        check_migrated(engine)
    services = Services(
        settings=settings, db=Database(engine, bus), bus=bus, templates=build_templates()
    )
    # Packages plug in here (moderation, search and bots subscribe to forum events).
    from forum.outbox import Worker

    services.worker = Worker(services.db, services.job_handlers, services=services)
    bus.on_commit(services.worker.wake)
    return services


def create_app(settings: Settings | None = None, *, services: Services | None = None) -> Starlette:
    settings = settings or Settings.from_env()
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    services = services or build_services(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        stop = asyncio.Event()
        task = None
        if settings.run_worker:
            task = asyncio.create_task(run_background(services, stop))
        try:
            yield
        finally:
            stop.set()
            if task is not None:
                await task
            services.db.engine.dispose()

    routes = [
        *web.routes,
        *web_manage.routes,
        *web_admin.routes,
        *moderation_web.routes,
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[
            Middleware(GZipMiddleware, minimum_size=500),
            Middleware(BaseMiddleware, services=services),
        ],
        exception_handlers={HTTPException: http_exception_page, Exception: http_exception_page},
    )
    app.state.services = services
    return app
