"""Moderation plugs into the forum here: every new contribution opens a case (in the same
transaction), the queue and case pages, flags, appeals, the audit trail and word lists."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func
from sqlmodel import col, select
from starlette.routing import BaseRoute

import moderation.models  # noqa: F401 - registers the moderation tables
from forum.errors import N_
from forum.extensions import METRIC_READINGS, PROFILE_LINKS, REPORT_PATH, ROBOTS_DISALLOW
from forum.metrics import Reading
from forum.models import utcnow
from forum.plugins import Plugin
from forum.services import Services
from moderation.config import SETTINGS, ModerationConfig
from moderation.models import CaseStatus, ModerationCase

HERE = Path(__file__).resolve().parent


def setup(services: Services) -> None:
    from moderation import bulk_jobs
    from moderation.subscribers import subscribe

    config = ModerationConfig.from_settings(services.settings)
    services.extensions["moderation.config"] = config
    services.extensions[REPORT_PATH] = "/moderation/laporkan"
    services.extensions.setdefault(ROBOTS_DISALLOW, []).append("/moderation")
    services.extensions.setdefault(METRIC_READINGS, []).append(queue_readings)
    services.extensions.setdefault(PROFILE_LINKS, []).append(
        (N_("Appeal a moderation decision"), "/moderation/banding")
    )
    subscribe(services.bus, config)
    services.job_handlers[bulk_jobs.JOB_KIND] = bulk_jobs.bulk_decide_job


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


def queue_readings(services: Services) -> list[Reading]:
    """/metrics: the moderation queue's size (pending and escalated) and its oldest case."""
    waiting = (CaseStatus.pending, CaseStatus.escalated)
    with services.db.read() as db:
        size, oldest = db.exec(
            select(func.count(), func.min(ModerationCase.opened_at)).where(
                col(ModerationCase.status).in_(waiting)
            )
        ).one()
    age = 0.0
    if oldest is not None:
        now = utcnow()
        oldest = oldest if oldest.tzinfo is not None else oldest.replace(tzinfo=now.tzinfo)
        age = max((now - oldest).total_seconds(), 0.0)
    return [
        Reading("rembug_moderation_queue_cases", "Cases waiting for a moderator.", float(size)),
        Reading(
            "rembug_moderation_oldest_case_seconds",
            "Age of the oldest waiting moderation case (0: queue empty).",
            age,
        ),
    ]
