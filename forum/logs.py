"""Logging set-up of a process: readable lines, or one JSON object per line
(REMBUG_LOG_FORMAT=json) for a log collector."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from forum.settings import Settings

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure(settings: Settings) -> None:
    """Like logging.basicConfig (nothing changes when the root logger has handlers already,
    e.g. under pytest), with the configured format."""
    root = logging.getLogger()
    if root.handlers:
        root.setLevel(settings.log_level)
        return
    handler = logging.StreamHandler()
    handler.setFormatter(
        JsonFormatter() if settings.log_format == "json" else logging.Formatter(TEXT_FORMAT)
    )
    root.addHandler(handler)
    root.setLevel(settings.log_level)
