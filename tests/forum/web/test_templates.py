"""Every template a page names exists: a template moved or renamed without its render call,
``{% extends %}``, ``{% include %}`` or ``{% import %}`` fails here rather than as a 500 on
the one page that uses it."""

from __future__ import annotations

import re
from pathlib import Path

from jinja2 import meta

from forum.app import build_templates

ROOT = Path(__file__).resolve().parents[3]
TEMPLATE_NAME = re.compile(r"""["']([A-Za-z0-9_/]+\.html)["']""")


def test_every_template_named_by_a_page_or_a_template_exists() -> None:
    env = build_templates()
    names = set(env.list_templates())
    assert env.loader is not None
    missing = []
    for name in sorted(names):
        source = env.loader.get_source(env, name)[0]
        for ref in meta.find_referenced_templates(env.parse(source)):
            if ref is None or ref not in names:
                missing.append(f"{name} -> {ref}")
    for package in ("forum", "bots", "search", "moderation"):
        for module in sorted((ROOT / package).rglob("*.py")):
            for ref in TEMPLATE_NAME.findall(module.read_text(encoding="utf-8")):
                if ref not in names:
                    missing.append(f"{module.relative_to(ROOT)} -> {ref}")
    assert not missing, missing
