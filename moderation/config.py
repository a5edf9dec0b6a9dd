"""Moderation settings (documented in docs/configuration.md) and their parsed form."""

from __future__ import annotations

from dataclasses import dataclass

from forum.plugins import setting_value
from forum.settings import Setting, Settings

DEADLINE_DAYS = Setting(
    "REMBUG_MODERATION_DEADLINE_DAYS",
    "3",
    "Working days within which a new contribution should be verified (overdue after).",
)
FLAG_THRESHOLD = Setting(
    "REMBUG_MODERATION_FLAG_THRESHOLD",
    "3",
    "Weighted flags from distinct users that hide published content pending review.",
)
TRUSTED_AFTER = Setting(
    "REMBUG_MODERATION_TRUSTED_AFTER",
    "5",
    "Published contributions after which a citizen is established (post-moderation, flag weight).",
)
MAX_LINKS = Setting(
    "REMBUG_MODERATION_MAX_LINKS", "2", "More links than this in one text raise its priority."
)
BLOCKED_DOMAINS = Setting(
    "REMBUG_MODERATION_BLOCKED_DOMAINS",
    "",
    "Comma-separated link domains always flagged (added to the list administrators keep).",
)
QUEUE_PAGE_SIZE = Setting("REMBUG_MODERATION_PAGE_SIZE", "50", "Cases per queue page.")

SETTINGS = (
    DEADLINE_DAYS,
    FLAG_THRESHOLD,
    TRUSTED_AFTER,
    MAX_LINKS,
    BLOCKED_DOMAINS,
    QUEUE_PAGE_SIZE,
)


@dataclass(frozen=True)
class ModerationConfig:
    deadline_days: int = 3
    flag_threshold: float = 3.0
    trusted_after: int = 5
    max_links: int = 2
    blocked_domains: frozenset[str] = frozenset()
    page_size: int = 50
    timezone: str = "Asia/Jakarta"

    @classmethod
    def from_settings(cls, settings: Settings) -> ModerationConfig:
        def number(setting: Setting) -> int:
            value = setting_value(settings, setting)
            if not value.isdigit() or int(value) < 1:
                raise ValueError(f"{setting.name} must be a whole number of at least 1")
            return int(value)

        domains = setting_value(settings, BLOCKED_DOMAINS)
        return cls(
            deadline_days=number(DEADLINE_DAYS),
            flag_threshold=float(number(FLAG_THRESHOLD)),
            trusted_after=number(TRUSTED_AFTER),
            max_links=number(MAX_LINKS),
            blocked_domains=frozenset(d.strip().lower() for d in domains.split(",") if d.strip()),
            page_size=number(QUEUE_PAGE_SIZE),
            timezone=settings.timezone,
        )
