"""Result snippets: the passage of a text around the query's words, HTML-escaped, with the
words that match (in any form: "pelayanan" for "layanan") wrapped in <mark>."""

from __future__ import annotations

import re
from collections.abc import Collection

from markupsafe import Markup, escape

from search.analysis import INFORMAL, TOKEN_RE, terms_of_word

WINDOW = 32  # words shown
LEAD = 6  # words before the first match


def _matches(word: str, terms: Collection[str]) -> bool:
    normalised = INFORMAL.get(word, word).split()
    return any(term in terms for w in normalised for term in terms_of_word(w))


def snippet(text: str, terms: Collection[str], window: int = WINDOW) -> Markup:
    """Escaped passage of ``text`` with matching words marked (the start when none match)."""
    text = re.sub(r"\s+", " ", text).strip()
    tokens = list(TOKEN_RE.finditer(text.lower()))
    if not tokens:
        return escape(text[:240])
    marked = [_matches(t.group(), terms) for t in tokens]
    first = next((i for i, hit in enumerate(marked) if hit), 0)
    start = max(0, first - LEAD) if first else 0
    end = min(len(tokens), start + window)
    begin_char = tokens[start].start() if start else 0
    end_char = tokens[end - 1].end() if end < len(tokens) else len(text)
    parts: list[str] = ["… "] if start else []
    position = begin_char
    for token, hit in zip(tokens[start:end], marked[start:end], strict=True):
        if not hit:
            continue
        parts.append(str(escape(text[position : token.start()])))
        parts.append(f"<mark>{escape(text[token.start() : token.end()])}</mark>")
        position = token.end()
    parts.append(str(escape(text[position:end_char])))
    if end < len(tokens):
        parts.append(" …")
    return Markup("".join(parts))  # noqa: S704 - every piece was escaped above
