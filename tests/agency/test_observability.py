"""What an operator watches: /metrics (closed unless a token or an allowed network), its
gauges and latency histograms, /readyz beside /healthz, and JSON logs."""

from __future__ import annotations

import dataclasses
import json
import logging
import re
from datetime import timedelta

from starlette.testclient import TestClient

from forum import actions, outbox
from forum.app import create_app
from forum.logs import JsonFormatter
from forum.models import Aspiration, utcnow
from forum.runtime import beat
from forum.services import Services
from forum.spool import Incoming, spool
from tests.conftest import World
from tests.moderation.conftest import Make

TOKEN = "metrics-token-0123456789"


def configured(services: Services, **changes: object) -> Services:
    services.settings = dataclasses.replace(services.settings, **changes)  # type: ignore[arg-type]
    return services


def test_metrics_are_closed_by_default(world: World) -> None:
    with TestClient(create_app(world.services.settings, services=world.services)) as client:
        assert client.get("/metrics").status_code == 404
        assert client.get("/metrics", headers={"Authorization": "Bearer x"}).status_code == 404


def test_metrics_open_to_the_token_or_an_allowed_network(world: World) -> None:
    from ipaddress import ip_network

    services = configured(
        world.services, metrics_token=TOKEN, metrics_networks=(ip_network("10.0.0.0/8"),)
    )
    app = create_app(services.settings, services=services)
    with TestClient(app) as client:
        assert client.get("/metrics").status_code == 404
        assert (
            client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}x"}).status_code == 404
        )
        assert (
            client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
        )
    with TestClient(app, client=("10.1.2.3", 5000)) as inside:
        assert inside.get("/metrics").status_code == 200
    with TestClient(app, client=("192.0.2.7", 5000)) as outside:
        assert outside.get("/metrics").status_code == 404


def test_metrics_report_backlogs_overdue_aspirations_and_latency(world: World, make: Make) -> None:
    services = configured(world.services, metrics_token=TOKEN)
    pending = make.aspiration(world.citizen)  # waits in the moderation queue
    routed = make.aspiration(world.citizen, title="Lampu jalan mati di Cibiru")
    with services.db.write() as db:
        published = actions.publish_aspiration(db, world.moderator, db.get(Aspiration, routed.id))
        published.due_at = utcnow() - timedelta(days=1)
        db.add(published)
        failed = outbox.enqueue(db, "test.kind", {})
        assert failed is not None
        failed.status = "failed"
    spool(services).put([Incoming("telegram", "metrics-1", "chat-9", "{}")])
    assert pending.id is not None
    with TestClient(create_app(services.settings, services=services)) as client:
        assert client.get("/").status_code == 200
        client.post("/webhooks/telegram", content=b"{}")
        text = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).text
    assert 'rembug_outbox_jobs{status="failed"} 1.0' in text
    assert 'rembug_aspirations_overdue{agency="dinas-a"} 1.0' in text
    queue = re.search(r"^rembug_moderation_queue_cases (\S+)$", text, flags=re.M)
    assert queue is not None and float(queue[1]) >= 1  # the pending aspiration's case
    assert "rembug_moderation_oldest_case_seconds" in text
    assert "rembug_chat_spool_pending 1.0" in text
    assert "rembug_worker_heartbeat_age_seconds -1.0" in text
    assert 'rembug_page_seconds_count{method="GET"}' in text
    assert 'rembug_webhook_seconds_count{channel="telegram"} 1.0' in text


def test_readiness_needs_the_database_a_recent_worker_beat_and_the_search_index(
    world: World,
) -> None:
    services = world.services
    with TestClient(create_app(services.settings, services=services)) as client:
        waiting = client.get("/readyz")
        assert waiting.status_code == 503
        assert waiting.json()["worker"] == "no heartbeat yet"
        beat(services)
        ready = client.get("/readyz")
        assert ready.status_code == 200, ready.json()
        assert ready.json() == {"status": "ok", "database": "ok", "worker": "ok", "search": "ok"}
        with services.db.write() as db:
            outbox.heartbeat(db, "old", now=utcnow() - timedelta(minutes=5))
        stale = client.get("/readyz").json()
        assert stale["status"] == "error" and stale["worker"].startswith("last beat 300")
        assert client.get("/healthz").status_code == 200  # liveness does not depend on it


def test_json_logs_are_one_object_per_line() -> None:
    record = logging.LogRecord(
        "forum.x", logging.WARNING, __file__, 1, "no %s", ("holidays",), None
    )
    line = JsonFormatter().format(record)
    assert json.loads(line) | {"time": "-"} == {
        "time": "-",
        "level": "WARNING",
        "logger": "forum.x",
        "message": "no holidays",
    }
