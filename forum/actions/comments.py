"""Comments on a consultation or a section: submitting, publishing, rejecting, withdrawing, and
the published-comment counts readers see."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from forum import events as ev
from forum.actions.rules import check_reason, invalid, require_citizen_content_author, require_role
from forum.errors import N_, Conflict, NotAllowed, NotFound
from forum.models import (
    Account,
    Channel,
    Comment,
    Consultation,
    ConsultationStatus,
    ContentStatus,
    Role,
    Section,
    utcnow,
)
from forum.validation import (
    COMMENT_MAX,
    COMMENT_MIN,
    clean_text,
    text_length_error,
)


def check_comment(
    db: Session,
    consultation: Consultation,
    *,
    body: str,
    section_id: int | None = None,
    parent_id: int | None = None,
    now: datetime | None = None,
) -> tuple[str, int | None, int | None]:
    """Raise what ``submit_comment`` would refuse (closed, too short or long, an unknown
    section or parent); writes nothing. Returns the cleaned body, the section and the root."""
    now = now or utcnow()
    if consultation.status != ConsultationStatus.open or consultation.closes_at <= now:
        raise Conflict(N_("This consultation is not open for comments."))
    body = clean_text(body)
    invalid(body=text_length_error(body, COMMENT_MIN, COMMENT_MAX))
    root_id = None
    if parent_id is not None:
        parent = db.get(Comment, parent_id)
        if (
            parent is None
            or parent.consultation_id != consultation.id
            or parent.status != ContentStatus.published
        ):
            raise NotFound(N_("The comment you reply to does not exist."))
        section_id = parent.section_id
        root_id = parent.root_id or parent.id
    elif section_id is not None:
        section = db.get(Section, section_id)
        if section is None or section.consultation_id != consultation.id:
            raise NotFound(N_("This section does not exist."))
    return body, section_id, root_id


def submit_comment(
    db: Session,
    author: Account | None,
    consultation: Consultation,
    *,
    body: str,
    section_id: int | None = None,
    parent_id: int | None = None,
    channel: Channel = Channel.web,
    now: datetime | None = None,
) -> Comment:
    """Store a comment or reply as pending review (it is public only once published).
    ``now`` is when it was received: a comment taken in before the deadline counts even
    when the intake processes it after the close."""
    author = require_citizen_content_author(author)
    now = now or utcnow()
    body, section_id, root_id = check_comment(
        db, consultation, body=body, section_id=section_id, parent_id=parent_id, now=now
    )
    comment = Comment(
        consultation_id=consultation.id,  # type: ignore[arg-type]
        section_id=section_id,
        parent_id=parent_id,
        root_id=root_id,
        author_id=author.id,  # type: ignore[arg-type]
        body=body,
        channel=channel,
        created_at=now,
    )
    db.add(comment)
    db.flush()
    ev.emit(db, ev.CommentSubmitted(comment.id, channel))  # type: ignore[arg-type]
    return comment


def comment_counts(db: Session, comment: Comment, delta: int) -> None:
    """``comment`` became visible (+1) or stopped being visible (-1). The published counts
    follow what readers see: a thread shows only under a visible root, so a root takes its
    visible replies with it, and a reply under a hidden or removed root changes only its
    root's reply count."""
    if comment.root_id is not None:
        db.execute(
            update(Comment)
            .where(col(Comment.id) == comment.root_id)
            .values(reply_count=Comment.reply_count + delta)
        )
        root = db.get(Comment, comment.root_id)
        if root is None or root.status != ContentStatus.published or root.hidden_at is not None:
            return
    else:
        visible_replies = db.exec(
            select(func.count())
            .select_from(Comment)
            .where(
                Comment.root_id == comment.id,
                Comment.status == ContentStatus.published,
                col(Comment.hidden_at).is_(None),
            )
        ).one()
        delta *= 1 + int(visible_replies)
    db.execute(
        update(Consultation)
        .where(col(Consultation.id) == comment.consultation_id)
        .values(comment_count=Consultation.comment_count + delta)
    )
    if comment.section_id is not None:
        db.execute(
            update(Section)
            .where(col(Section.id) == comment.section_id)
            .values(comment_count=Section.comment_count + delta)
        )


def publish_comment(
    db: Session,
    moderator: Account | None,
    comment: Comment,
    now: datetime | None = None,
    *,
    on_appeal: bool = False,
) -> Comment:
    """Approve a pending comment (or, ``on_appeal``, a rejected one). ``moderator`` None is
    the system (post-moderated trust)."""
    if moderator is not None:
        require_role(moderator, Role.moderator, Role.admin)
    allowed = (
        (ContentStatus.pending, ContentStatus.rejected) if on_appeal else (ContentStatus.pending,)
    )
    if comment.status not in allowed:
        raise Conflict(N_("This contribution has already been decided."))
    comment.status = ContentStatus.published
    comment.reject_reason = None
    comment.published_at = now or utcnow()
    db.add(comment)
    if comment.hidden_at is None:
        comment_counts(db, comment, +1)
    ev.emit(db, ev.CommentPublished(comment.id, moderator.id if moderator else None))  # type: ignore[arg-type]
    return comment


def reject_comment(db: Session, moderator: Account, comment: Comment, *, reason: str) -> Comment:
    """Reject a pending comment, or take down a published one (post-moderated or flagged)."""
    require_role(moderator, Role.moderator, Role.admin)
    reason = check_reason(reason)
    if comment.status not in (ContentStatus.pending, ContentStatus.published):
        raise Conflict(N_("This contribution has already been decided."))
    if comment.status == ContentStatus.published and comment.hidden_at is None:
        comment_counts(db, comment, -1)
    comment.status = ContentStatus.rejected
    comment.reject_reason = reason
    db.add(comment)
    ev.emit(db, ev.CommentRejected(comment.id, moderator.id, reason))  # type: ignore[arg-type]
    return comment


def withdraw_comment(db: Session, author: Account, comment: Comment) -> Comment:
    """The author takes their comment back (published or pending)."""
    if comment.author_id != author.id:
        raise NotAllowed(N_("Only the author can withdraw this."))
    if comment.status not in (ContentStatus.pending, ContentStatus.published):
        raise Conflict(N_("This contribution cannot be withdrawn any more."))
    if comment.status == ContentStatus.published:
        comment_counts(db, comment, -1)
    comment.status = ContentStatus.withdrawn
    db.add(comment)
    ev.emit(db, ev.CommentWithdrawn(comment.id))  # type: ignore[arg-type]
    return comment
