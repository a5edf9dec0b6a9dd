"""The Prometheus endpoint /metrics (prometheus-client, the only module that imports it):
gauges read from the database at each scrape (outbox backlog and failures, the worker's
heartbeat, overdue aspirations per agency, and what packages add through METRIC_READINGS:
chat spool backlog, moderation queue) and latency histograms of pages and webhooks.

Closed by default: a scrape needs ``Authorization: Bearer <REMBUG_METRICS_TOKEN>`` or must
come from a network of REMBUG_METRICS_ALLOW; anything else gets 404."""

from __future__ import annotations

import hmac
import ipaddress
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func
from sqlmodel import col, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from forum import outbox
from forum.extensions import METRIC_READINGS
from forum.models import Agency, Aspiration, AspirationStatus, JobStatus, OutboxJob, utcnow
from forum.services import Services
from forum.settings import Settings

METRICS_KEY = "forum.metrics"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
OPEN_STATUSES = (AspirationStatus.routed, AspirationStatus.in_progress)


@dataclass(frozen=True)
class Reading:
    """One gauge value a package reports (``labels`` for one series of a labelled gauge)."""

    name: str
    help: str
    value: float
    labels: dict[str, str] = field(default_factory=dict)


class _DatabaseCollector(Collector):
    def __init__(self, services: Services) -> None:
        self.services = services

    def collect(self) -> Iterator[GaugeMetricFamily]:
        readings = list(database_readings(self.services))
        for hook in self.services.extensions.get(METRIC_READINGS, []):
            readings.extend(hook(self.services))
        families: dict[str, GaugeMetricFamily] = {}
        for reading in readings:
            family = families.get(reading.name)
            if family is None:
                family = GaugeMetricFamily(
                    reading.name, reading.help, labels=sorted(reading.labels)
                )
                families[reading.name] = family
            family.add_metric([reading.labels[k] for k in sorted(reading.labels)], reading.value)
        yield from families.values()


def database_readings(services: Services) -> Iterable[Reading]:
    now = utcnow()
    with services.db.read() as db:
        counts = dict(
            db.exec(
                select(OutboxJob.status, func.count())
                .where(OutboxJob.kind != outbox.HEARTBEAT_KIND)
                .group_by(col(OutboxJob.status))
            ).all()
        )
        oldest = db.exec(
            select(func.min(OutboxJob.run_after)).where(
                OutboxJob.status == JobStatus.pending, col(OutboxJob.run_after) <= now
            )
        ).one()
        beat = outbox.last_heartbeat(db)
        overdue = db.exec(
            select(Agency.slug, func.count(col(Aspiration.id)))
            .join(Agency, col(Agency.id) == col(Aspiration.agency_id))
            .where(col(Aspiration.status).in_(OPEN_STATUSES), col(Aspiration.due_at) < now)
            .group_by(col(Agency.slug))
        ).all()
    for status in (JobStatus.pending, JobStatus.running, JobStatus.failed):
        yield Reading(
            "rembug_outbox_jobs",
            "Outbox jobs by status (pending: the backlog; failed: gave up, see docs).",
            float(counts.get(status, 0)),
            {"status": str(status)},
        )
    yield Reading(
        "rembug_outbox_oldest_due_seconds",
        "How long the oldest due outbox job has waited (0: none waiting).",
        _age(oldest, now),
    )
    yield Reading(
        "rembug_worker_heartbeat_age_seconds",
        "Seconds since a worker's scheduler last ran (-1: never).",
        _age(beat, now) if beat is not None else -1.0,
    )
    for slug, number in overdue:
        yield Reading(
            "rembug_aspirations_overdue",
            "Open aspirations past their response deadline, per agency.",
            float(number),
            {"agency": slug},
        )


def _age(moment: Any, now: Any) -> float:
    if moment is None:
        return 0.0
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=now.tzinfo)
    return max((now - moment).total_seconds(), 0.0)


@dataclass
class Metrics:
    """One application's registry (each app gets its own: tests build many)."""

    registry: CollectorRegistry
    pages: Histogram
    webhooks: Histogram


def setup(services: Services) -> Metrics:
    registry = CollectorRegistry()  # no auto_describe: scrapes only read the database
    registry.register(_DatabaseCollector(services))
    metrics = Metrics(
        registry,
        Histogram(
            "rembug_page_seconds",
            "Time to answer a page or API request (webhooks and static files excluded).",
            ["method"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        ),
        Histogram(
            "rembug_webhook_seconds",
            "Time to answer a chat platform's webhook call.",
            ["channel"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        ),
    )
    services.extensions[METRICS_KEY] = metrics
    return metrics


class TimingMiddleware:
    """Observes each HTTP request's latency into the page or webhook histogram."""

    def __init__(self, app: ASGIApp, services: Services) -> None:
        self.app = app
        self.services = services

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        metrics: Metrics | None = self.services.extensions.get(METRICS_KEY)
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if metrics is None or not path or path.startswith(("/static/", "/metrics")):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()

        async def timed_send(message: Message) -> None:
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                elapsed = time.perf_counter() - started
                if path.startswith("/webhooks/"):
                    channel = path.removeprefix("/webhooks/").split("/", 1)[0][:20]
                    metrics.webhooks.labels(channel).observe(elapsed)
                else:
                    metrics.pages.labels(scope.get("method", "GET")).observe(elapsed)

        await self.app(scope, receive, timed_send)


def scrape_allowed(request: Request, settings: Settings) -> bool:
    if settings.metrics_token:
        given = request.headers.get("authorization", "")
        expected = f"Bearer {settings.metrics_token}"
        if hmac.compare_digest(given.encode(), expected.encode()):
            return True
    host = request.client.host if request.client else ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(address in network for network in settings.metrics_networks)


async def metrics_endpoint(request: Request) -> Response:
    services: Services = request.app.state.services
    if not scrape_allowed(request, services.settings):
        return PlainTextResponse("Not Found", status_code=404)
    metrics: Metrics = services.extensions[METRICS_KEY]
    body = await run_in_threadpool(generate_latest, metrics.registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)


routes = [Route("/metrics", metrics_endpoint)]
