"""Consultations: creating (from Markdown or section by section), editing drafts, publishing,
closing on time, dispositions and the concluding report."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from forum import events as ev
from forum.actions.rules import invalid, require_agency
from forum.documents import SectionDraft, parse_markdown
from forum.errors import N_, Conflict, Invalid, Msg, NotFound
from forum.models import (
    Account,
    Comment,
    Consultation,
    ConsultationStatus,
    ContentStatus,
    Disposition,
    Section,
    utcnow,
)
from forum.validation import (
    TITLE_MIN,
    clean_text,
    text_length_error,
)


def _check_dates(opens_at: datetime | None, closes_at: datetime | None) -> dict[str, Msg | None]:
    errors: dict[str, Msg | None] = {}
    if opens_at is None:
        errors["opens_at"] = Msg(N_("Give the opening date and time."))
    if closes_at is None:
        errors["closes_at"] = Msg(N_("Give the closing date and time."))
    if opens_at and closes_at and closes_at <= opens_at:
        errors["closes_at"] = Msg(N_("The closing date must be after the opening date."))
    return errors


def create_consultation(
    db: Session,
    actor: Account,
    *,
    agency_id: int,
    title: str,
    summary: str,
    opens_at: datetime | None,
    closes_at: datetime | None,
    sections: Sequence[SectionDraft] = (),
) -> Consultation:
    require_agency(actor, agency_id)
    title, summary = clean_text(title), clean_text(summary)
    invalid(
        title=text_length_error(title, TITLE_MIN, 200),
        summary=text_length_error(summary, 0, 5000),
        **_check_dates(opens_at, closes_at),
    )
    assert opens_at is not None and closes_at is not None and actor.id is not None
    consultation = Consultation(
        agency_id=agency_id,
        title=title,
        summary=summary,
        opens_at=opens_at,
        closes_at=closes_at,
        created_by_id=actor.id,
    )
    db.add(consultation)
    db.flush()
    for position, draft in enumerate(sections, start=1):
        db.add(
            Section(
                consultation_id=consultation.id,  # type: ignore[arg-type]
                position=position,
                heading=clean_text(draft.heading)[:300] or f"Bagian {position}",
                level=min(max(draft.level, 1), 6),
                body=clean_text(draft.body),
            )
        )
    return consultation


def create_consultation_from_markdown(
    db: Session,
    actor: Account,
    *,
    agency_id: int,
    markdown: str,
    opens_at: datetime | None,
    closes_at: datetime | None,
    title: str = "",
    summary: str = "",
) -> Consultation:
    """Headings become sections; the front matter's title is used when none is given."""
    parsed = parse_markdown(markdown)
    if not parsed.sections:
        raise Invalid(
            field_errors={"markdown": Msg(N_("The text is empty: paste the draft policy."))}
        )
    return create_consultation(
        db,
        actor,
        agency_id=agency_id,
        title=title.strip() or parsed.title or parsed.sections[0].heading,
        summary=summary,
        opens_at=opens_at,
        closes_at=closes_at,
        sections=parsed.sections,
    )


def _require_draft(consultation: Consultation) -> None:
    if consultation.status != ConsultationStatus.draft:
        raise Conflict(N_("Only a draft can be edited; this consultation is already published."))


def update_consultation(
    db: Session,
    actor: Account,
    consultation: Consultation,
    *,
    title: str,
    summary: str,
    opens_at: datetime | None,
    closes_at: datetime | None,
) -> Consultation:
    require_agency(actor, consultation.agency_id)
    _require_draft(consultation)
    title, summary = clean_text(title), clean_text(summary)
    invalid(
        title=text_length_error(title, TITLE_MIN, 200),
        summary=text_length_error(summary, 0, 5000),
        **_check_dates(opens_at, closes_at),
    )
    assert opens_at is not None and closes_at is not None
    consultation.title, consultation.summary = title, summary
    consultation.opens_at, consultation.closes_at = opens_at, closes_at
    consultation.updated_at = utcnow()
    db.add(consultation)
    return consultation


def save_section(
    db: Session,
    actor: Account,
    consultation: Consultation,
    *,
    section: Section | None,
    heading: str,
    body: str,
    level: int = 2,
) -> Section:
    """Add a section at the end, or edit one, while the consultation is a draft."""
    require_agency(actor, consultation.agency_id)
    _require_draft(consultation)
    heading, body = clean_text(heading), clean_text(body)
    invalid(heading=text_length_error(heading, 1, 300), body=text_length_error(body, 0, 100000))
    if section is None:
        last = db.exec(
            select(func.max(Section.position)).where(Section.consultation_id == consultation.id)
        ).one()
        section = Section(
            consultation_id=consultation.id,  # type: ignore[arg-type]
            position=(last or 0) + 1,
            heading=heading,
        )
    elif section.consultation_id != consultation.id:
        raise NotFound(N_("This section does not exist."))
    section.heading, section.body, section.level = heading, body, min(max(level, 1), 6)
    consultation.updated_at = utcnow()
    db.add(section)
    db.flush()
    return section


def delete_section(
    db: Session, actor: Account, consultation: Consultation, section: Section
) -> None:
    require_agency(actor, consultation.agency_id)
    _require_draft(consultation)
    if section.consultation_id != consultation.id:
        raise NotFound(N_("This section does not exist."))
    position = section.position
    db.delete(section)
    db.flush()
    later = db.exec(
        select(Section)
        .where(Section.consultation_id == consultation.id, col(Section.position) > position)
        .order_by(col(Section.position))
    ).all()
    for item in later:
        item.position -= 1
        db.add(item)
        db.flush()


def publish_consultation(
    db: Session, actor: Account, consultation: Consultation, now: datetime | None = None
) -> Consultation:
    """Make a draft public: open now if its opening time has come, otherwise scheduled."""
    require_agency(actor, consultation.agency_id)
    _require_draft(consultation)
    now = now or utcnow()
    if consultation.closes_at <= now:
        raise Invalid(
            field_errors={"closes_at": Msg(N_("The closing date has passed; change it first."))}
        )
    has_sections = db.exec(
        select(Section.id).where(Section.consultation_id == consultation.id)
    ).first()
    if not has_sections:
        raise Conflict(N_("Add at least one section before publishing."))
    consultation.published_at = now
    consultation.status = (
        ConsultationStatus.open if consultation.opens_at <= now else ConsultationStatus.scheduled
    )
    db.add(consultation)
    assert consultation.id is not None
    ev.emit(db, ev.ConsultationPublished(consultation.id))
    if consultation.status == ConsultationStatus.open:
        ev.emit(db, ev.ConsultationOpened(consultation.id))
    return consultation


def close_consultation(
    db: Session, actor: Account, consultation: Consultation, now: datetime | None = None
) -> Consultation:
    """Close early (or on time); comments are no longer accepted."""
    require_agency(actor, consultation.agency_id)
    if consultation.status not in (ConsultationStatus.open, ConsultationStatus.scheduled):
        raise Conflict(N_("Only an open or scheduled consultation can be closed."))
    _close(db, consultation, now or utcnow())
    return consultation


def _close(db: Session, consultation: Consultation, now: datetime) -> None:
    consultation.status = ConsultationStatus.closed
    consultation.closed_at = now
    db.add(consultation)
    assert consultation.id is not None
    ev.emit(db, ev.ConsultationClosed(consultation.id))


def advance_consultations(db: Session, now: datetime | None = None) -> int:
    """Open scheduled consultations whose time has come and close those past their end.

    Run periodically by the outbox worker; returns how many changed."""
    now = now or utcnow()
    changed = 0
    due_open = db.exec(
        select(Consultation).where(
            Consultation.status == ConsultationStatus.scheduled, col(Consultation.opens_at) <= now
        )
    ).all()
    for consultation in due_open:
        consultation.status = ConsultationStatus.open
        db.add(consultation)
        ev.emit(db, ev.ConsultationOpened(consultation.id))  # type: ignore[arg-type]
        changed += 1
    due_close = db.exec(
        select(Consultation).where(
            col(Consultation.status).in_([ConsultationStatus.open, ConsultationStatus.scheduled]),
            col(Consultation.closes_at) <= now,
        )
    ).all()
    for consultation in due_close:
        _close(db, consultation, consultation.closes_at)
        changed += 1
    return changed


DISPOSITIONS = {
    "accepted": N_("Accepted"),
    "partly": N_("Partly accepted"),
    "rejected": N_("Not accepted"),
}


def set_disposition(
    db: Session, official: Account, comment: Comment, *, value: str, reason: str
) -> Disposition:
    """The agency's "you said, we did" answer to one comment of its consultation."""
    consultation = db.get(Consultation, comment.consultation_id)
    assert consultation is not None
    require_agency(official, consultation.agency_id)
    if comment.status != ContentStatus.published:
        raise Conflict(N_("Only a published comment can be answered."))
    reason = clean_text(reason)
    errors: dict[str, Msg | None] = {}
    if value not in DISPOSITIONS:
        errors["value"] = Msg(N_("Choose accepted, partly accepted or not accepted."))
    if value != "accepted" and not reason:
        errors["reason"] = Msg(N_("Give the reason."))
    invalid(**errors)
    row = db.exec(select(Disposition).where(Disposition.comment_id == comment.id)).first()
    row = row or Disposition(
        comment_id=comment.id,  # type: ignore[arg-type]
        consultation_id=consultation.id,  # type: ignore[arg-type]
        agency_id=consultation.agency_id,
        value=value,
        author_id=official.id,  # type: ignore[arg-type]
    )
    row.value, row.author_id = value, official.id  # type: ignore[assignment]
    row.reason = reason[:1000]
    row.updated_at = utcnow()
    db.add(row)
    return row


def conclude_consultation(
    db: Session, official: Account, consultation: Consultation, *, summary: str
) -> Consultation:
    """Publish the consultation's report: closed → concluded."""
    require_agency(official, consultation.agency_id)
    if consultation.status != ConsultationStatus.closed:
        raise Conflict(N_("Close the consultation before publishing its report."))
    summary = clean_text(summary)
    invalid(summary=text_length_error(summary, 10, 20000))
    consultation.status = ConsultationStatus.concluded
    consultation.concluded_at = utcnow()
    consultation.report_summary = summary
    db.add(consultation)
    ev.emit(db, ev.ConsultationConcluded(consultation.id))  # type: ignore[arg-type]
    return consultation
