"""Turns user and official Markdown into safe HTML: markdown-it renders (raw HTML off), nh3
sanitises with a small allowlist. The only module that imports either library."""

from __future__ import annotations

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_INLINE_AND_BLOCKS = {
    "p",
    "br",
    "strong",
    "em",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "hr",
}
_DOCUMENT_EXTRA = {"h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td"}
# A "*" entry stops nh3 from allowing lang/title on every tag (see shared/design/dependencies.md).
_ATTRIBUTES: dict[str, set[str]] = {"*": set(), "a": {"href"}, "ol": {"start"}}
_SCHEMES = {"http", "https", "mailto"}

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_md_document = MarkdownIt("commonmark", {"html": False}).enable("table")


def _clean(html: str, tags: set[str]) -> str:
    return nh3.clean(
        html,
        tags=tags,
        attributes=_ATTRIBUTES,
        url_schemes=_SCHEMES,
        link_rel="nofollow ugc noopener noreferrer",
        strip_comments=True,
    )


@lru_cache(maxsize=4096)
def render_comment(text: str) -> Markup:
    """Citizen text (comments, aspirations, responses): paragraphs, emphasis, lists, links."""
    return Markup(_clean(_md.render(text), _INLINE_AND_BLOCKS))  # noqa: S704 - sanitised by nh3


@lru_cache(maxsize=1024)
def render_document(text: str) -> Markup:
    """Consultation texts written by officials: also sub-headings and tables."""
    return Markup(  # noqa: S704 - sanitised by nh3
        _clean(_md_document.render(text), _INLINE_AND_BLOCKS | _DOCUMENT_EXTRA)
    )


def plain_text(text: str) -> str:
    """Markdown source with the markup removed (for titles, chat messages and summaries)."""
    return nh3.clean(_md.render(text), tags=set()).strip()


@lru_cache(maxsize=4096)
def render_inline(text: str) -> Markup:
    """One line of Markdown (a section heading): emphasis and code only."""
    return Markup(  # noqa: S704 - sanitised by nh3
        nh3.clean(_md.renderInline(text), tags={"strong", "em", "code"}, attributes={"*": set()})
    )
