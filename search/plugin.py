"""Search plugs into the forum here (full-text search lands with its own issue)."""

from __future__ import annotations

from pathlib import Path

from forum.plugins import Plugin

HERE = Path(__file__).resolve().parent

PLUGIN = Plugin(name="search", template_dir=HERE / "templates", locale_dir=HERE / "locale")
