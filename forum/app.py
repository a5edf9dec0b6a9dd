"""The composition root: ``create_app(settings)`` builds the services, wires every package's
subscribers, job handlers and routes, and runs the outbox worker in the lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from forum import (  # readiness, log format, /metrics
    account_mail,
    api,
    discovery,
    email,
    feeds,
    health,
    i18n,
    intake,
    logs,
    metrics,
    notifications,
    passwords,
    submissions,
)
from forum.db import Database, check_migrated, make_engine
from forum.events import EventBus
from forum.extensions import PERIODIC
from forum.outbox import Worker
from forum.plugins import Plugin, installed_plugins
from forum.runtime import run_background
from forum.services import Services
from forum.settings import Settings
from forum.web import access, account, admin, agency, manage, pages, unsubscribe
from forum.web import attachments as attachment_pages
from forum.web.http_cache import HttpCacheMiddleware
from forum.web.kit import BaseMiddleware, PageCache, allowed_methods, http_exception_page
from forum.workdays import Calendar, Deadlines

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
PLUGINS: tuple[Plugin, ...] = installed_plugins()


def build_templates(plugins: tuple[Plugin, ...] = PLUGINS) -> Environment:
    folders = [HERE / "templates", *(p.template_dir for p in plugins if p.template_dir)]
    loader = FileSystemLoader([str(folder) for folder in folders])
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
    env.globals["static_url"] = static_url
    return env


@functools.cache
def _static_version(name: str) -> str:
    return hashlib.sha256((HERE / "static" / name).read_bytes()).hexdigest()[:12]


def static_url(name: str) -> str:
    """The URL of a static file with its content hash, so browsers may keep it for a year
    and still get a new version the moment it changes (phones on slow links)."""
    return f"/static/{name}?v={_static_version(name)}"


class VersionedStaticFiles(StaticFiles):
    """Static files: cacheable for a year when asked for by a versioned URL, revalidated
    (ETag) otherwise."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            versioned = b"v=" in scope.get("query_string", b"")
            response.headers["Cache-Control"] = (
                "public, max-age=31536000, immutable" if versioned else "no-cache"
            )
        return response


async def http_error(request: Request, exc: Exception) -> Response:
    """Every error the router or the server raises (no such path, a method the path does not
    answer, a crash): under /api/v1 in the API's JSON format, elsewhere the HTML page; a 405
    always names the path's methods in ``Allow``."""
    path = request.url.path
    if path == api.PREFIX or path.startswith(api.PREFIX + "/"):
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        return api.http_error(request, status, allowed_methods(request) if status == 405 else "")
    return await http_exception_page(request, exc)


def build_services(
    settings: Settings, *, check_schema: bool = True, plugins: tuple[Plugin, ...] = PLUGINS
) -> Services:
    """Everything one process needs, with every plugin's subscribers and job handlers."""
    passwords.configure(
        time_cost=settings.password_hash_time_cost, memory_kib=settings.password_hash_memory_kib
    )
    bus = EventBus()
    engine = make_engine(settings.database_url)
    if check_schema:
        check_migrated(engine)
    deadlines = Deadlines(
        Calendar.from_file(settings.holidays_file, settings.timezone),
        response_days=settings.response_days,
        escalation_days=settings.escalation_days,
        auto_close_days=settings.auto_close_days,
    )
    services = Services(
        settings=settings,
        db=Database(engine, bus, deadlines),
        bus=bus,
        templates=build_templates(plugins),
    )
    services.plugins = plugins
    notifications.subscribe(bus)
    services.job_handlers.update(
        notifications.make_handlers(services.db.write, email_enabled=bool(settings.smtp_url))
    )
    if settings.smtp_url:
        services.job_handlers[notifications.EMAIL_JOB] = email.make_handler(
            services.db.write,
            settings.smtp_url,
            settings.email_from,
            settings.base_url,
            settings.secret_key,
        )
    # Confirmation, reset and sign-in code mails (without REMBUG_SMTP_URL their jobs fail
    # with that reason, visible in the outbox).
    services.job_handlers[account_mail.JOB] = account_mail.make_handler(
        services.db.write,
        settings.smtp_url,
        settings.email_from,
        settings.base_url,
        settings.sealing_keys,
        settings.unconfirmed_account_days,
    )
    # The durable intake (forum.intake): chat updates and web submissions, acknowledged once
    # on disk and processed by its one drain job.
    services.job_handlers[intake.DRAIN_JOB] = intake.drain_job
    services.extensions.setdefault(PERIODIC, []).append(intake.nudge_if_waiting)
    submissions.register(services)
    for plugin in plugins:
        if plugin.locale_dir:
            i18n.add_catalog_dir(plugin.locale_dir)
        plugin.setup(services)
    services.worker = Worker(
        services.db,
        services.job_handlers,
        services=services,
        lease=timedelta(seconds=settings.outbox_lease_seconds),
    )
    bus.on_commit(services.worker.wake)
    services.page_cache = PageCache(settings.page_cache_seconds)
    bus.on_commit(services.page_cache.clear)
    return services


def create_app(settings: Settings | None = None, *, services: Services | None = None) -> Starlette:
    settings = settings or Settings.from_env()
    logs.configure(settings)
    services = services or build_services(settings)
    metrics.setup(services)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        stop = asyncio.Event()
        task = None
        async with contextlib.AsyncExitStack() as stack:
            for plugin in services.plugins:
                if plugin.lifespan is not None:
                    await stack.enter_async_context(plugin.lifespan(services))
            if settings.run_worker:
                task = asyncio.create_task(run_background(services, stop))
            try:
                yield
            finally:
                stop.set()
                if task is not None:
                    await task
        services.close()

    routes = [
        *pages.routes,
        *manage.routes,
        *admin.routes,
        *agency.routes,
        *account.routes,
        *access.routes,
        *unsubscribe.routes,
        *attachment_pages.routes,
        *api.routes,
        *feeds.routes,
        *discovery.routes,
        *health.routes,
        *metrics.routes,
        *(route for plugin in services.plugins for route in plugin.routes(services)),
        Mount("/static", VersionedStaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[
            Middleware(metrics.TimingMiddleware, services=services),
            Middleware(GZipMiddleware, minimum_size=500),
            Middleware(HttpCacheMiddleware, services=services),
            Middleware(BaseMiddleware, services=services),
        ],
        exception_handlers={HTTPException: http_error, Exception: http_error},
    )
    app.state.services = services
    return app
