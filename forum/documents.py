"""Splits a Markdown policy text into consultation sections: every heading starts a section.

Text before the first heading becomes an opening section; YAML-style front matter (between
``---`` lines) supplies a title when present.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_FRONT_MATTER_LINE = re.compile(r"^([A-Za-z_][\w-]*):\s*(.*)$")


@dataclass
class SectionDraft:
    heading: str
    body: str
    level: int = 2


@dataclass
class ParsedDocument:
    title: str | None
    metadata: dict[str, str] = field(default_factory=dict)
    sections: list[SectionDraft] = field(default_factory=list)


def parse_markdown(text: str, *, preamble_heading: str = "Pendahuluan") -> ParsedDocument:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    metadata: dict[str, str] = {}
    lines = text.split("\n")
    if lines and lines[0].strip() == "---":
        for index in range(1, len(lines)):
            if lines[index].strip() == "---":
                for line in lines[1:index]:
                    match = _FRONT_MATTER_LINE.match(line)
                    if match:
                        metadata[match.group(1).lower()] = match.group(2).strip()
                lines = lines[index + 1 :]
                break

    sections: list[SectionDraft] = []
    heading, level = preamble_heading, 2
    body: list[str] = []
    in_fence = False
    for line in lines:
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
        match = None if in_fence else _HEADING.match(line)
        if match:
            if "\n".join(body).strip() or sections or heading != preamble_heading:
                sections.append(SectionDraft(heading, "\n".join(body).strip(), level))
            heading, level, body = match.group(2).strip(), len(match.group(1)), []
        else:
            body.append(line)
    if "\n".join(body).strip() or heading != preamble_heading:
        sections.append(SectionDraft(heading, "\n".join(body).strip(), level))
    title = metadata.get("title")
    return ParsedDocument(title=title, metadata=metadata, sections=sections)
