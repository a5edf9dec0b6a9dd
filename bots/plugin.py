"""The chat channels plug into the forum here (Telegram and WhatsApp land with their issues)."""

from __future__ import annotations

from pathlib import Path

from forum.plugins import Plugin

HERE = Path(__file__).resolve().parent

PLUGIN = Plugin(name="bots", template_dir=HERE / "templates", locale_dir=HERE / "locale")
