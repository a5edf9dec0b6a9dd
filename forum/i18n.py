"""UI translations from Babel catalogs (Bahasa Indonesia first, English second) and
locale-aware formatting of dates and numbers."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

LOCALES = ("id", "en")
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LOCALE_NAMES = {"id": "Bahasa Indonesia", "en": "English"}
# The forum's catalog first; each plugin adds its own folder (forum.plugins.Plugin.locale_dir).
_catalog_dirs: list[Path] = [LOCALE_DIR]


def add_catalog_dir(path: Path) -> None:
    if path not in _catalog_dirs:
        _catalog_dirs.append(path)
        translations.cache_clear()


def _load(path: Path, locale: str) -> Translations | None:
    if not path.exists():
        return None
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer)


@lru_cache(maxsize=len(LOCALES))
def translations(locale: str) -> Translations:
    """Catalogs for ``locale`` (forum and plugins), compiled in memory from the .po files."""
    merged: Translations | None = None
    for folder in _catalog_dirs:
        loaded = _load(folder / locale / "LC_MESSAGES" / "messages.po", locale)
        if loaded is None:
            continue
        if merged is None:
            merged = loaded
        else:
            merged.merge(loaded)
    return merged or Translations()


def gettext(locale: str, message: str, **params: Any) -> str:
    text = translations(locale).gettext(message)
    return text % params if params else text


def ngettext(locale: str, singular: str, plural: str, n: int, **params: Any) -> str:
    text = translations(locale).ngettext(singular, plural, n)
    params.setdefault("num", n)
    return text % params


def jinja_callables(locale: str) -> dict[str, Any]:
    """gettext/ngettext for templates (Jinja "newstyle": escaping-aware %-formatting)."""
    catalog = translations(locale)

    @pass_context
    def _gettext(context: Context, message: str, **params: Any) -> str:
        text = catalog.gettext(message)
        if context.eval_ctx.autoescape:
            text = Markup(text)  # noqa: S704 - msgids are ours; params are escaped by %
        return text % params if params else text

    @pass_context
    def _ngettext(context: Context, singular: str, plural: str, num: int, **params: Any) -> str:
        text = catalog.ngettext(singular, plural, num)
        params.setdefault("num", num)
        if context.eval_ctx.autoescape:
            text = Markup(text)  # noqa: S704 - msgids are ours; params are escaped by %
        return text % params

    return {"gettext": _gettext, "_": _gettext, "ngettext": _ngettext}


# Indonesia's three zones by their UTC offset (no daylight saving): Waktu Indonesia Barat,
# Tengah and Timur.
INDONESIAN_ZONES = {7 * 3600: "WIB", 8 * 3600: "WITA", 9 * 3600: "WIT"}


def zone_label(local: dt.datetime, timezone: str) -> str:
    """WIB, WITA or WIT by the moment's offset; elsewhere UTC±HH:MM."""
    offset = local.utcoffset() or dt.timedelta(0)
    seconds = int(offset.total_seconds())
    if seconds in INDONESIAN_ZONES:
        return INDONESIAN_ZONES[seconds]
    sign = "+" if seconds >= 0 else "-"
    hours, minutes = divmod(abs(seconds) // 60, 60)
    return f"UTC{sign}{hours:02d}:{minutes:02d}"


class Formatter:
    """Dates and numbers for one locale and time zone."""

    def __init__(self, locale: str, timezone: str) -> None:
        self.locale = Locale.parse(locale)
        self.tz = ZoneInfo(timezone)
        self.timezone = timezone

    def local(self, value: dt.datetime) -> dt.datetime:
        if value.tzinfo is None:
            value = value.replace(tzinfo=ZoneInfo("UTC"))
        return value.astimezone(self.tz)

    def input_value(self, value: dt.datetime | None) -> str:
        """The value of an <input type=datetime-local> in local wall time."""
        return self.local(value).strftime("%Y-%m-%dT%H:%M") if value else ""

    def datetime(self, value: dt.datetime | None) -> str:
        if value is None:
            return ""
        local = self.local(value)
        text = format_datetime(local, "d MMM y, HH.mm", locale=self.locale)
        return f"{text} {zone_label(local, self.timezone)}"

    @staticmethod
    def machine(value: dt.datetime) -> str:
        """The moment as HTML's valid global date and time string: UTC, whole seconds
        ("2026-12-07T01:02:03Z"; HTML allows at most three fractional digits)."""
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def time(self, value: dt.datetime | None) -> Markup:
        """``<time datetime="…">`` with the local, readable moment: the one helper behind every
        <time> element of the pages."""
        if value is None:
            return Markup("")
        return Markup('<time datetime="{}">{}</time>').format(
            self.machine(value), self.datetime(value)
        )

    def date(self, value: dt.datetime | None) -> str:
        if value is None:
            return ""
        return format_date(self.local(value).date(), "d MMMM y", locale=self.locale)

    def number(self, value: int) -> str:
        return format_decimal(value, locale=self.locale)
