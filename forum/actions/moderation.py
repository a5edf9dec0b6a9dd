"""The moderation decisions the forum owns (called by the moderation package): hiding and
restoring, redaction, merging duplicates, post-moderation."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session

from forum import events as ev
from forum.actions.aspirations import follow_aspiration
from forum.actions.comments import comment_counts
from forum.actions.rules import require_agency, require_role
from forum.actions.support import add_support
from forum.errors import N_, Conflict, Invalid, Msg
from forum.models import (
    PUBLIC_ASPIRATION_STATUSES,
    Account,
    Aspiration,
    AspirationStatus,
    Comment,
    Consultation,
    ContentStatus,
    Role,
    utcnow,
)

REDACTED = "[disamarkan]"


def _require_moderator(actor: Account | None) -> Account:
    return require_role(actor, Role.moderator, Role.admin)


def hide_content(
    db: Session,
    actor: Account | None,
    *,
    comment: Comment | None = None,
    aspiration: Aspiration | None = None,
    now: datetime | None = None,
) -> bool:
    """Hide published content pending review (``actor`` None: the flag threshold did it).
    Returns False when it was already hidden."""
    if actor is not None:
        _require_moderator(actor)
    item = comment or aspiration
    if item is None or item.hidden_at is not None:
        return False
    item.hidden_at = now or utcnow()
    db.add(item)
    if comment is not None and comment.status == ContentStatus.published:
        comment_counts(db, comment, -1)
    kind = "comment" if comment is not None else "aspiration"
    ev.emit(db, ev.ContentHidden(kind, item.id, actor.id if actor else None))  # type: ignore[arg-type]
    return True


def restore_content(
    db: Session,
    moderator: Account,
    *,
    comment: Comment | None = None,
    aspiration: Aspiration | None = None,
) -> bool:
    """A moderator found hidden content fine: show it again."""
    _require_moderator(moderator)
    item = comment or aspiration
    if item is None or item.hidden_at is None:
        return False
    item.hidden_at = None
    db.add(item)
    if comment is not None and comment.status == ContentStatus.published:
        comment_counts(db, comment, +1)
    kind = "comment" if comment is not None else "aspiration"
    ev.emit(db, ev.ContentRestored(kind, item.id, moderator.id))  # type: ignore[arg-type]
    return True


def redact_text(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """Replace each [start, end) span with [disamarkan]; overlapping spans are merged."""
    merged: list[list[int]] = []
    for start, end in sorted((max(0, s), min(len(text), e)) for s, e in spans):
        if start >= end:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out, cursor = [], 0
    for start, end in merged:
        out.append(text[cursor:start])
        out.append(REDACTED)
        cursor = end
    out.append(text[cursor:])
    return "".join(out)


def redact_comment(db: Session, moderator: Account, comment: Comment, *, body: str) -> Comment:
    """Replace the comment's text with its redacted version (the caller keeps the original in
    the moderation record; the forum keeps only the redacted text)."""
    _require_moderator(moderator)
    comment.body = body
    comment.redacted_at = utcnow()
    db.add(comment)
    ev.emit(db, ev.ContentRedacted("comment", comment.id, moderator.id))  # type: ignore[arg-type]
    return comment


def redact_aspiration(
    db: Session, moderator: Account, aspiration: Aspiration, *, title: str, body: str
) -> Aspiration:
    _require_moderator(moderator)
    aspiration.title, aspiration.body = title, body
    aspiration.redacted_at = aspiration.updated_at = utcnow()
    db.add(aspiration)
    ev.emit(db, ev.ContentRedacted("aspiration", aspiration.id, moderator.id))  # type: ignore[arg-type]
    return aspiration


def merge_duplicate_aspiration(
    db: Session, moderator: Account, duplicate: Aspiration, original: Aspiration
) -> Aspiration:
    """The duplicate becomes a "me too" support of the original, and its author follows the
    original; the duplicate itself is not published."""
    _require_moderator(moderator)
    if duplicate.id == original.id:
        raise Invalid(field_errors={"original": Msg(N_("Choose another aspiration."))})
    if original.status not in PUBLIC_ASPIRATION_STATUSES or original.hidden_at is not None:
        raise Invalid(
            field_errors={"original": Msg(N_("The original must be a published aspiration."))}
        )
    if duplicate.status != AspirationStatus.pending:
        raise Conflict(N_("This contribution has already been decided."))
    duplicate.status = AspirationStatus.merged
    duplicate.duplicate_of_id = original.id
    duplicate.updated_at = utcnow()
    db.add(duplicate)
    author = db.get(Account, duplicate.author_id)
    assert author is not None
    if author.id != original.author_id:
        add_support(db, author, aspiration=original)
    follow_aspiration(db, author, original)
    ev.emit(db, ev.AspirationMerged(duplicate.id, original.id, moderator.id))  # type: ignore[arg-type]
    return duplicate


def set_post_moderation(
    db: Session, actor: Account, consultation: Consultation, *, enabled: bool
) -> Consultation:
    """Let established citizens' comments appear at once on this consultation (they are
    still screened and reviewed afterwards)."""
    if actor.role != Role.moderator:
        require_agency(actor, consultation.agency_id)
    consultation.post_moderation = enabled
    db.add(consultation)
    return consultation
