"""Readiness, beside the liveness check /healthz: /readyz answers 200 only when this
deployment can serve and keep its promises: the database answers, a worker's scheduler beat
recently (notifications, deadlines and chat intake depend on it) and every package's own
check passes (the search index opens)."""

from __future__ import annotations

from datetime import timedelta

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from forum import outbox
from forum.extensions import READINESS_CHECKS
from forum.models import utcnow
from forum.runtime import SCHEDULER_SECONDS
from forum.services import Services

# Three scheduler rounds without a beat: the worker is gone or stuck.
HEARTBEAT_STALE = timedelta(seconds=3 * SCHEDULER_SECONDS)


def readiness(services: Services) -> dict[str, str]:
    """Each part's state, "ok" or what is wrong with it."""
    result: dict[str, str] = {}
    try:
        with services.db.read() as db:
            beat = outbox.last_heartbeat(db)
        result["database"] = "ok"
    except Exception as exc:
        return {"database": f"unreachable ({type(exc).__name__})"}
    if beat is None:
        result["worker"] = "no heartbeat yet"
    else:
        if beat.tzinfo is None:
            beat = beat.replace(tzinfo=utcnow().tzinfo)
        age = utcnow() - beat
        result["worker"] = (
            "ok" if age <= HEARTBEAT_STALE else f"last beat {int(age.total_seconds())} s ago"
        )
    for name, check in services.extensions.get(READINESS_CHECKS, []):
        try:
            check(services)
            result[name] = "ok"
        except Exception as exc:
            result[name] = f"failing ({type(exc).__name__})"
    return result


async def readyz(request: Request) -> Response:
    parts = await run_in_threadpool(readiness, request.app.state.services)
    ready = all(state == "ok" for state in parts.values())
    return JSONResponse(
        {"status": "ok" if ready else "error", **parts}, status_code=200 if ready else 503
    )


routes = [Route("/readyz", readyz)]
