"""Aspirations: submission with a ticket, publication, routing (disposisi), progress,
confirmation and reopening, deadlines, rejection, withdrawal, following."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from forum import events as ev
from forum.actions.rules import (
    check_reason,
    invalid,
    require_agency,
    require_citizen_content_author,
    require_role,
)
from forum.errors import N_, Conflict, Msg, NotAllowed
from forum.models import (
    PUBLIC_ASPIRATION_STATUSES,
    Account,
    Agency,
    Aspiration,
    AspirationStatus,
    Category,
    Channel,
    Follow,
    Region,
    Role,
    RoutingEvent,
    TicketCounter,
    Visibility,
    utcnow,
)
from forum.validation import (
    ASPIRATION_BODY_MAX,
    ASPIRATION_BODY_MIN,
    TITLE_MAX,
    TITLE_MIN,
    clean_text,
    text_length_error,
)
from forum.workdays import deadlines_of


def reserve_tickets(db: Session, year: int, count: int = 1) -> list[str]:
    """The next ``count`` ticket numbers of ``year``: one upsert of the per-year serial, safe
    under concurrent submissions on both engines. The web intake reserves a block at a time
    and hands them out from memory (a block unused at a crash leaves a gap, never a repeat)."""
    insert = sqlite_insert if db.get_bind().dialect.name == "sqlite" else pg_insert
    statement = (
        insert(TicketCounter)
        .values(year=year, last=count)
        .on_conflict_do_update(
            index_elements=["year"], set_={"last": col(TicketCounter.last) + count}
        )
        .returning(col(TicketCounter.last))
    )
    last = int(db.execute(statement).scalar_one())
    return [f"ASP-{year}-{serial:06d}" for serial in range(last - count + 1, last + 1)]


def _next_ticket(db: Session, year: int) -> str:
    return reserve_tickets(db, year)[0]


def check_aspiration(
    db: Session,
    *,
    title: str,
    body: str,
    category_id: int | None,
    region_id: int | None,
    agency_id: int | None,
    visibility: Visibility | None,
) -> None:
    """Raise Invalid with every problem of an aspiration's fields; writes nothing."""
    title, body = clean_text(title), clean_text(body)
    errors: dict[str, Msg | None] = {
        "title": text_length_error(title, TITLE_MIN, TITLE_MAX),
        "body": text_length_error(body, ASPIRATION_BODY_MIN, ASPIRATION_BODY_MAX),
    }
    category = db.get(Category, category_id) if category_id else None
    if category is None or not category.is_active:
        errors["category"] = Msg(N_("Choose a category."))
    if region_id is None or db.get(Region, region_id) is None:
        errors["region"] = Msg(N_("Choose a region."))
    if agency_id is not None:
        agency = db.get(Agency, agency_id)
        if agency is None or not agency.is_active:
            errors["agency"] = Msg(N_("Unknown agency."))
    if visibility is None:
        errors["visibility"] = Msg(N_("Choose who may see it."))
    invalid(**errors)


def submit_aspiration(
    db: Session,
    author: Account | None,
    *,
    title: str,
    body: str,
    category_id: int | None,
    region_id: int | None,
    agency_id: int | None,
    visibility: Visibility | None,
    channel: Channel = Channel.web,
    now: datetime | None = None,
    ticket: str | None = None,
) -> Aspiration:
    """Store an aspiration as pending review with a fresh ticket number (or ``ticket``, one
    the web intake reserved and already gave the citizen)."""
    author = require_citizen_content_author(author)
    now = now or utcnow()
    title, body = clean_text(title), clean_text(body)
    check_aspiration(
        db,
        title=title,
        body=body,
        category_id=category_id,
        region_id=region_id,
        agency_id=agency_id,
        visibility=visibility,
    )
    assert visibility is not None
    aspiration = Aspiration(
        ticket=ticket or _next_ticket(db, now.year),
        title=title,
        body=body,
        category_id=category_id,  # type: ignore[arg-type]
        region_id=region_id,  # type: ignore[arg-type]
        agency_id=agency_id,
        visibility=visibility,
        author_id=author.id,  # type: ignore[arg-type]
        channel=channel,
        created_at=now,
        updated_at=now,
    )
    db.add(aspiration)
    db.flush()
    db.add(Follow(account_id=author.id, aspiration_id=aspiration.id))  # type: ignore[arg-type]
    ev.emit(db, ev.AspirationSubmitted(aspiration.id, channel))  # type: ignore[arg-type]
    return aspiration


def publish_aspiration(
    db: Session,
    moderator: Account | None,
    aspiration: Aspiration,
    now: datetime | None = None,
    *,
    on_appeal: bool = False,
) -> Aspiration:
    """Approve: the aspiration becomes public (as its visibility allows) and, when its agency
    is known, routed to it. ``on_appeal`` also reinstates a rejected one."""
    if moderator is not None:
        require_role(moderator, Role.moderator, Role.admin)
    allowed = (
        (AspirationStatus.pending, AspirationStatus.rejected)
        if on_appeal
        else (AspirationStatus.pending,)
    )
    if aspiration.status not in allowed:
        raise Conflict(N_("This contribution has already been decided."))
    now = now or utcnow()
    aspiration.reject_reason = None
    aspiration.published_at = now
    aspiration.updated_at = now
    aspiration.status = AspirationStatus.published
    db.add(aspiration)
    ev.emit(db, ev.AspirationPublished(aspiration.id, moderator.id if moderator else None))  # type: ignore[arg-type]
    if aspiration.agency_id is not None:
        _route(db, aspiration, aspiration.agency_id, moderator, "", now, initial=True)
    return aspiration


ROUTABLE = (AspirationStatus.published, AspirationStatus.routed, AspirationStatus.in_progress)


def _route(
    db: Session,
    aspiration: Aspiration,
    agency_id: int,
    actor: Account | None,
    reason: str,
    now: datetime,
    *,
    initial: bool = False,
) -> None:
    """Send to an agency: the response deadline (re)starts now."""
    deadlines = deadlines_of(db.info)
    previous = None if initial else aspiration.agency_id
    db.add(
        RoutingEvent(
            aspiration_id=aspiration.id,  # type: ignore[arg-type]
            from_agency_id=previous,
            to_agency_id=agency_id,
            actor_id=actor.id if actor else None,
            reason=reason,
            created_at=now,
        )
    )
    aspiration.agency_id = agency_id
    aspiration.status = AspirationStatus.routed
    aspiration.routed_at = aspiration.updated_at = now
    aspiration.due_at = deadlines.calendar.add(now, deadlines.response_days)
    aspiration.overdue_at = aspiration.escalated_at = None
    db.add(aspiration)
    ev.emit(
        db,
        ev.AspirationRouted(
            aspiration.id,  # type: ignore[arg-type]
            agency_id,
            previous,
            actor.id if actor else None,
        ),
    )


def route_aspiration(
    db: Session,
    actor: Account,
    aspiration: Aspiration,
    *,
    agency_id: int,
    reason: str,
    now: datetime | None = None,
) -> Aspiration:
    """Disposisi: a moderator routes a published aspiration to an agency; an official whose
    agency is not the right one re-routes it ("not our authority") with a reason. Both
    agencies see the history; the deadline restarts."""
    if actor.role == Role.official:
        if aspiration.agency_id != actor.agency_id:
            raise NotAllowed(N_("This belongs to another agency."))
    else:
        require_role(actor, Role.moderator, Role.admin)
    if aspiration.status not in ROUTABLE or aspiration.hidden_at is not None:
        raise Conflict(N_("This aspiration cannot be routed now."))
    reason = clean_text(reason)
    target = db.get(Agency, agency_id)
    errors: dict[str, Msg | None] = {}
    if target is None or not target.is_active:
        errors["agency"] = Msg(N_("Unknown agency."))
    elif target.id == aspiration.agency_id:
        errors["agency"] = Msg(N_("Choose another agency."))
    if aspiration.agency_id is not None and not reason:
        errors["reason"] = Msg(N_("Say why it belongs to the other agency."))
    invalid(**errors)
    _route(db, aspiration, agency_id, actor, reason[:500], now or utcnow())
    return aspiration


def mark_in_progress(
    db: Session, official: Account, aspiration: Aspiration, now: datetime | None = None
) -> Aspiration:
    """The agency is working on it (the deadline still runs until the first response)."""
    if aspiration.agency_id is None:
        raise Conflict(N_("Route this aspiration to an agency first."))
    require_agency(official, aspiration.agency_id)
    if aspiration.status != AspirationStatus.routed:
        raise Conflict(N_("Only a routed aspiration can be marked in progress."))
    aspiration.status = AspirationStatus.in_progress
    aspiration.updated_at = now or utcnow()
    db.add(aspiration)
    ev.emit(db, ev.AspirationStatusChanged(aspiration.id, aspiration.status, official.id))  # type: ignore[arg-type]
    return aspiration


def confirm_resolution(
    db: Session, author: Account, aspiration: Aspiration, now: datetime | None = None
) -> Aspiration:
    """The citizen says the answer resolved it: the aspiration is closed."""
    if author.id != aspiration.author_id:
        raise NotAllowed(N_("Only the author can do this."))
    if aspiration.status != AspirationStatus.responded:
        raise Conflict(N_("Only an answered aspiration can be confirmed."))
    _close_aspiration(db, aspiration, "confirmed", now or utcnow())
    return aspiration


def _close_aspiration(db: Session, aspiration: Aspiration, reason: str, now: datetime) -> None:
    aspiration.status = AspirationStatus.closed
    aspiration.closed_at = aspiration.updated_at = now
    aspiration.close_reason = reason
    aspiration.auto_close_at = None
    db.add(aspiration)
    ev.emit(db, ev.AspirationClosed(aspiration.id, reason))  # type: ignore[arg-type]


def reopen_aspiration(
    db: Session,
    author: Account,
    aspiration: Aspiration,
    *,
    reason: str,
    now: datetime | None = None,
) -> Aspiration:
    """The citizen is not satisfied: back to the agency, once, with a reason."""
    if author.id != aspiration.author_id:
        raise NotAllowed(N_("Only the author can do this."))
    if aspiration.status not in (AspirationStatus.responded, AspirationStatus.closed):
        raise Conflict(N_("Only an answered aspiration can be reopened."))
    if aspiration.reopen_count >= 1:
        raise Conflict(N_("An aspiration can be reopened only once."))
    reason = clean_text(reason)
    invalid(reason=text_length_error(reason, 10, 1000))
    now = now or utcnow()
    deadlines = deadlines_of(db.info)
    aspiration.reopen_count += 1
    aspiration.status = AspirationStatus.routed
    aspiration.closed_at = aspiration.close_reason = aspiration.auto_close_at = None
    aspiration.due_at = deadlines.calendar.add(now, deadlines.response_days)
    aspiration.overdue_at = aspiration.escalated_at = None
    aspiration.updated_at = now
    db.add(aspiration)
    ev.emit(db, ev.AspirationReopened(aspiration.id, reason))  # type: ignore[arg-type]
    return aspiration


def run_deadlines(db: Session, now: datetime | None = None) -> dict[str, int]:
    """The scheduler's pass: flag overdue aspirations, escalate long-overdue ones to
    administrators, close answered ones whose auto-close time has come."""
    now = now or utcnow()
    deadlines = deadlines_of(db.info)
    open_statuses = [AspirationStatus.routed, AspirationStatus.in_progress]
    counts = {"overdue": 0, "escalated": 0, "closed": 0}
    for aspiration in db.exec(
        select(Aspiration).where(
            col(Aspiration.status).in_(open_statuses),
            col(Aspiration.due_at) < now,
            col(Aspiration.overdue_at).is_(None),
        )
    ):
        aspiration.overdue_at = now
        db.add(aspiration)
        ev.emit(db, ev.AspirationOverdue(aspiration.id, aspiration.agency_id))  # type: ignore[arg-type]
        counts["overdue"] += 1
    for aspiration in db.exec(
        select(Aspiration).where(
            col(Aspiration.status).in_(open_statuses),
            col(Aspiration.overdue_at).is_not(None),
            col(Aspiration.escalated_at).is_(None),
        )
    ):
        assert aspiration.due_at is not None
        if deadlines.calendar.add(aspiration.due_at, deadlines.escalation_days) <= now:
            aspiration.escalated_at = now
            db.add(aspiration)
            ev.emit(db, ev.AspirationEscalated(aspiration.id, aspiration.agency_id))  # type: ignore[arg-type]
            counts["escalated"] += 1
    for aspiration in db.exec(
        select(Aspiration).where(
            Aspiration.status == AspirationStatus.responded,
            col(Aspiration.auto_close_at) <= now,
        )
    ):
        _close_aspiration(db, aspiration, "auto", now)
        counts["closed"] += 1
    return counts


def reject_aspiration(
    db: Session, moderator: Account, aspiration: Aspiration, *, reason: str
) -> Aspiration:
    require_role(moderator, Role.moderator, Role.admin)
    reason = check_reason(reason)
    if aspiration.status not in (AspirationStatus.pending, *PUBLIC_ASPIRATION_STATUSES):
        raise Conflict(N_("This contribution has already been decided."))
    aspiration.status = AspirationStatus.rejected
    aspiration.reject_reason = reason
    aspiration.updated_at = utcnow()
    db.add(aspiration)
    ev.emit(db, ev.AspirationRejected(aspiration.id, moderator.id, reason))  # type: ignore[arg-type]
    return aspiration


def withdraw_aspiration(db: Session, author: Account, aspiration: Aspiration) -> Aspiration:
    if aspiration.author_id != author.id:
        raise NotAllowed(N_("Only the author can withdraw this."))
    if aspiration.status in (
        AspirationStatus.rejected,
        AspirationStatus.closed,
        AspirationStatus.withdrawn,
    ):
        raise Conflict(N_("This contribution cannot be withdrawn any more."))
    aspiration.status = AspirationStatus.withdrawn
    aspiration.updated_at = utcnow()
    db.add(aspiration)
    ev.emit(db, ev.AspirationWithdrawn(aspiration.id))  # type: ignore[arg-type]
    return aspiration


def follow_aspiration(db: Session, account: Account, aspiration: Aspiration) -> bool:
    """Follow an aspiration (be notified of its responses); returns False if already."""
    exists = db.exec(
        select(Follow.id).where(
            Follow.account_id == account.id, Follow.aspiration_id == aspiration.id
        )
    ).first()
    if exists:
        return False
    db.add(Follow(account_id=account.id, aspiration_id=aspiration.id))  # type: ignore[arg-type]
    return True
