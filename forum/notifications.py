"""In-app (and email) notifications: forum events enqueue one outbox job each (deduplicated),
the job writes one Notification row per recipient (a unique key: never twice for the same
event), and each row with email enabled enqueues an email job."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from forum import events as ev
from forum.email import may_mail
from forum.errors import N_
from forum.events import EventBus
from forum.models import (
    Account,
    Agency,
    Aspiration,
    Attachment,
    Comment,
    Follow,
    Notification,
    OfficialResponse,
    Role,
    utcnow,
)
from forum.outbox import JobContext, enqueue

JOB = "notify"
EMAIL_JOB = "email"


@dataclass(frozen=True)
class Note:
    account_id: int
    message: str
    params: dict[str, Any]
    link: str


def _followers(db: Session, aspiration: Aspiration) -> list[int]:
    ids = set(db.exec(select(Follow.account_id).where(Follow.aspiration_id == aspiration.id)))
    ids.add(aspiration.author_id)
    return sorted(ids)


def _account_ids(db: Session, *where: Any) -> list[int]:
    query = select(Account).where(Account.is_active == True, *where)  # noqa: E712 - SQL
    return sorted(a.id for a in db.exec(query) if a.id is not None)


def _officials(db: Session, agency_id: int | None) -> list[int]:
    if agency_id is None:
        return []
    return _account_ids(db, Account.agency_id == agency_id, Account.role == Role.official)


def _admins(db: Session) -> list[int]:
    return _account_ids(db, Account.role == Role.admin)


def _agency_name(db: Session, agency_id: int | None) -> str:
    agency = db.get(Agency, agency_id) if agency_id else None
    return agency.name if agency else ""


def notes_for(db: Session, kind: str, data: dict[str, Any]) -> list[Note]:
    """Who hears about an event, and what they read (a msgid translated when shown)."""
    if kind in ("CommentPublished", "CommentRejected"):
        comment = db.get(Comment, data["comment_id"])
        if comment is None:
            return []
        if kind == "CommentPublished":
            return [
                Note(
                    comment.author_id,
                    N_("Your comment was published."),
                    {},
                    f"/konsultasi/{comment.consultation_id}",
                )
            ]
        return [
            Note(
                comment.author_id,
                N_("Your comment was not published: %(reason)s"),
                {"reason": data["reason"]},
                "/saya",
            )
        ]
    if kind == "AttachmentRemoved":
        return _attachment_removed(db, data)
    aspiration = db.get(Aspiration, data["aspiration_id"]) if data.get("aspiration_id") else None
    if kind == "OfficialResponsePublished":
        response = db.get(OfficialResponse, data["response_id"])
        if response is None:
            return []
        agency = _agency_name(db, response.agency_id)
        if response.comment_id is not None:
            comment = db.get(Comment, response.comment_id)
            if comment is None:
                return []
            link = f"/konsultasi/{comment.consultation_id}#komentar-{comment.id}"
            return [
                Note(
                    comment.author_id,
                    N_("%(agency)s answered your comment."),
                    {"agency": agency},
                    link,
                )
            ]
        aspiration = db.get(Aspiration, response.aspiration_id)
    if aspiration is None:
        return []
    ticket, link = aspiration.ticket, f"/aspirasi/{aspiration.ticket}"
    params = {"ticket": ticket, "agency": _agency_name(db, aspiration.agency_id)}
    if kind == "AspirationSubmitted":
        return [
            Note(
                aspiration.author_id,
                RECEIVED,
                params,
                link,
            )
        ]
    if kind == "AspirationPublished":
        return [
            Note(
                aspiration.author_id, N_("Your aspiration %(ticket)s was published."), params, link
            )
        ]
    if kind == "AspirationRejected":
        return [
            Note(
                aspiration.author_id,
                N_("Your aspiration %(ticket)s was not published: %(reason)s"),
                {**params, "reason": data["reason"]},
                link,
            )
        ]
    if kind == "AspirationRouted":
        notes = [
            Note(a, N_("New aspiration %(ticket)s for your agency."), params, link)
            for a in _officials(db, data["agency_id"])
        ]
        notes.append(
            Note(
                aspiration.author_id,
                N_("Your aspiration %(ticket)s was sent to %(agency)s."),
                params,
                link,
            )
        )
        return notes
    if kind == "OfficialResponsePublished":
        return [
            Note(a, N_("%(agency)s answered your aspiration %(ticket)s."), params, link)
            for a in _followers(db, aspiration)
        ]
    if kind == "AspirationStatusChanged":
        return [
            Note(a, N_("Your aspiration %(ticket)s is being worked on."), params, link)
            for a in _followers(db, aspiration)
        ]
    if kind == "AspirationOverdue":
        return [
            Note(
                a,
                N_("Reminder: aspiration %(ticket)s is past its response deadline."),
                params,
                link,
            )
            for a in _officials(db, aspiration.agency_id)
        ]
    if kind == "AspirationEscalated":
        return [
            Note(a, N_("Aspiration %(ticket)s at %(agency)s is long overdue."), params, link)
            for a in _admins(db)
        ]
    if kind == "AspirationClosed" and data.get("reason") == "auto":
        return [
            Note(
                aspiration.author_id,
                N_(
                    "Your aspiration %(ticket)s was closed after the answer; "
                    "you can reopen it once."
                ),
                params,
                link,
            )
        ]
    if kind == "AspirationReopened":
        return [
            Note(a, N_("Aspiration %(ticket)s was reopened by its author."), params, link)
            for a in _officials(db, aspiration.agency_id)
        ]
    return []


def _attachment_removed(db: Session, data: dict[str, Any]) -> list[Note]:
    """The author of the contribution reads which file was taken down and why."""
    attachment = db.get(Attachment, data["attachment_id"])
    if attachment is None:
        return []
    params = {"name": attachment.original_name or "-", "reason": data["reason"]}
    if attachment.aspiration_id is not None:
        aspiration = db.get(Aspiration, attachment.aspiration_id)
        if aspiration is None:
            return []
        return [
            Note(
                attachment.account_id,
                N_("A moderator removed %(name)s from your aspiration %(ticket)s: %(reason)s"),
                {**params, "ticket": aspiration.ticket},
                f"/aspirasi/{aspiration.ticket}",
            )
        ]
    comment = db.get(Comment, attachment.comment_id) if attachment.comment_id else None
    if comment is None:
        return []
    return [
        Note(
            attachment.account_id,
            N_("A moderator removed %(name)s from your comment: %(reason)s"),
            params,
            f"/konsultasi/{comment.consultation_id}#komentar-{comment.id}",
        )
    ]


RECEIVED = N_("We received your aspiration %(ticket)s. It is public once a moderator checks it.")

NOTIFYING = (
    ev.AspirationSubmitted,
    ev.CommentPublished,
    ev.CommentRejected,
    ev.AspirationPublished,
    ev.AspirationRejected,
    ev.AspirationRouted,
    ev.OfficialResponsePublished,
    ev.AspirationStatusChanged,
    ev.AspirationOverdue,
    ev.AspirationEscalated,
    ev.AspirationClosed,
    ev.AspirationReopened,
    ev.AttachmentRemoved,
)


def _event_key(db: Session, event: ev.Event) -> str:
    """One key per event occurrence, so a retried or repeated enqueue is a no-op."""
    data = event.__dict__
    key = ":".join(f"{k}={v}" for k, v in sorted(data.items()) if k != "actor_id")
    if isinstance(event, ev.AspirationRouted | ev.AspirationOverdue | ev.AspirationReopened):
        aspiration = db.get(Aspiration, event.aspiration_id)
        key += f":due={aspiration.due_at.isoformat() if aspiration and aspiration.due_at else ''}"
    return f"{type(event).__name__}:{key}"


def subscribe(bus: EventBus) -> None:
    def on_event(db: Session, event: ev.Event) -> None:
        key = _event_key(db, event)
        enqueue(
            db,
            JOB,
            {"kind": type(event).__name__, "data": event.__dict__, "key": key},
            dedupe_key=f"notify:{key}"[:200],
        )

    for event_type in NOTIFYING:
        bus.subscribe(event_type, on_event)


def make_handlers(
    db_factory: Callable[[], Any], email_enabled: bool
) -> dict[str, Callable[[dict[str, Any], JobContext], None]]:
    """Outbox job handlers: write the notifications; send emails."""

    def notify(payload: dict[str, Any], ctx: JobContext) -> None:
        with db_factory() as db:
            for note in notes_for(db, payload["kind"], payload["data"]):
                key = f"{payload['key']}:to={note.account_id}"[:200]
                if db.exec(select(Notification.id).where(Notification.key == key)).first():
                    continue
                db.add(
                    Notification(
                        key=key,
                        account_id=note.account_id,
                        message=note.message,
                        params=json.dumps(note.params, ensure_ascii=False),
                        link=note.link,
                    )
                )
                account = db.get(Account, note.account_id)
                if (
                    email_enabled
                    and account is not None
                    and account.notify_email
                    and may_mail(account)
                ):
                    enqueue(
                        db, EMAIL_JOB, {"notification_key": key}, dedupe_key=f"email:{key}"[:200]
                    )

    return {JOB: notify}


def unread_count(db: Session, account_id: int) -> int:
    from sqlalchemy import func

    return int(
        db.exec(
            select(func.count())
            .select_from(Notification)
            .where(Notification.account_id == account_id, col(Notification.read_at).is_(None))
        ).one()
    )


def list_notifications(db: Session, account_id: int, limit: int = 100) -> list[Notification]:
    return list(
        db.exec(
            select(Notification)
            .where(Notification.account_id == account_id)
            .order_by(col(Notification.id).desc())
            .limit(limit)
        )
    )


def mark_all_read(db: Session, account_id: int) -> None:
    from sqlalchemy import update

    db.execute(
        update(Notification)
        .where(col(Notification.account_id) == account_id, col(Notification.read_at).is_(None))
        .values(read_at=utcnow())
    )
