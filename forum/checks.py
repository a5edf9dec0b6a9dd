"""``rembug check``: what an operator has left misconfigured, found from the settings (and
the packages' own checks) without any network call; ``rembug check --online`` also asks the
outside services (the packages' ``check_online``). Each check returns readable problems;
none of them change anything."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from forum.sealing import development_key
from forum.settings import Settings
from forum.workdays import Calendar, HolidaysFileError

Check = Callable[[Settings, date], list[str]]
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


def holidays_ahead(settings: Settings, today: date) -> list[str]:
    try:
        calendar = Calendar.from_file(settings.holidays_file, settings.timezone, today=today)
    except (HolidaysFileError, OSError) as exc:
        return [f"REMBUG_HOLIDAYS_FILE: {exc}"]
    return calendar.warnings(today)


def public(settings: Settings) -> bool:
    return (urlsplit(settings.base_url).hostname or "") not in LOCAL_HOSTS


def secrets_and_addresses(settings: Settings, today: date) -> list[str]:
    found: list[str] = []
    if not public(settings):
        return found
    if not settings.base_url.startswith("https://"):
        found.append(
            f"REMBUG_BASE_URL {settings.base_url} is not https: passwords and cookies travel "
            "in clear text; put TLS in front (deploy/nginx) and use the https address"
        )
    if settings.sealing_keys == development_key(settings.secret_key):
        found.append(
            "REMBUG_SEALING_KEYS is not set: two-factor secrets use the development key "
            "derived from REMBUG_SECRET_KEY"
        )
    if "REMBUG_SECRET_KEY" not in settings.extra:
        found.append(
            "REMBUG_SECRET_KEY is not set: a key generated into the data folder is used; set "
            "it explicitly (the same on every server) and keep it with the backups"
        )
    return found


def email(settings: Settings, today: date) -> list[str]:
    if not settings.smtp_url:
        return ["REMBUG_SMTP_URL is empty: no email is sent (notifications, password reset)"]
    if settings.smtp_url == "console" and public(settings):
        return ["REMBUG_SMTP_URL is console: emails are only printed to the log"]
    if settings.email_from.endswith("@localhost") and public(settings):
        return [f"REMBUG_EMAIL_FROM is {settings.email_from}: recipients' servers reject it"]
    return []


def data_dir(settings: Settings, today: date) -> list[str]:
    path = settings.data_dir
    if path.exists() and not os.access(path, os.W_OK):
        return [f"REMBUG_DATA_DIR {path} is not writable by this user"]
    return []


CHECKS: list[Check] = [secrets_and_addresses, email, holidays_ahead, data_dir]


def problems(
    settings: Settings, today: date | None = None, *, plugins: Sequence[Any] = ()
) -> list[str]:
    """Every problem every check finds (the core's, then each plugin's ``check``)."""
    day = today or date.today()
    found = [problem for check in CHECKS for problem in check(settings, day)]
    for plugin in plugins:
        if plugin.check is not None:
            found.extend(plugin.check(settings))
    return found


async def online_problems(settings: Settings, plugins: Sequence[Any]) -> list[str]:
    """What each plugin's ``check_online`` learns from the services it talks to."""
    found: list[str] = []
    for plugin in plugins:
        if plugin.check_online is not None:
            found.extend(await plugin.check_online(settings))
    return found
