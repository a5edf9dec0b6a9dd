"""What is indexed: published aspirations, comments, official responses and sections of public
consultations, read from the database (the source of truth) as IndexDocuments; and the
re-check of every search result against the database before it is shown."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from forum import queries
from forum.models import (
    PUBLIC_ASPIRATION_STATUSES,
    Account,
    Aspiration,
    AspirationStatus,
    Comment,
    Consultation,
    ContentStatus,
    OfficialResponse,
    Section,
    Visibility,
)
from forum.queries import PUBLIC_CONSULTATION_STATUSES
from search.analysis import analyze
from search.index import IndexDocument

BATCH = 1000


def doc_key(kind: str, item_id: int) -> str:
    return f"{kind}:{item_id}"


def split_key(key: str) -> tuple[str, int]:
    kind, _, number = key.partition(":")
    return kind, int(number)


@dataclass
class Source:
    """The live row behind a document, with what a results page shows of it."""

    key: str
    kind: str
    title: str
    body: str
    url: str
    published_at: datetime
    agency_id: int | None
    aspiration: Aspiration | None = None
    comment: Comment | None = None
    consultation: Consultation | None = None
    response: OfficialResponse | None = None
    support_count: int = 0


def _hidden(item: object) -> bool:
    return getattr(item, "hidden_at", None) is not None


def _aspiration_indexable(aspiration: Aspiration | None) -> bool:
    return (
        aspiration is not None
        and aspiration.status in PUBLIC_ASPIRATION_STATUSES
        and not _hidden(aspiration)
    )


def _consultation_public(consultation: Consultation | None) -> bool:
    return consultation is not None and consultation.status in PUBLIC_CONSULTATION_STATUSES


def _comment_indexable(db: Session, comment: Comment | None) -> Consultation | None:
    if comment is None or comment.status != ContentStatus.published or _hidden(comment):
        return None
    consultation = db.get(Consultation, comment.consultation_id)
    return consultation if _consultation_public(consultation) else None


def load_source(db: Session, key: str) -> Source | None:
    """The row behind ``key`` if it may be indexed now (published, not hidden), else None."""
    try:
        kind, item_id = split_key(key)
    except ValueError:
        return None
    if kind == "aspiration":
        aspiration = db.get(Aspiration, item_id)
        if aspiration is None or not _aspiration_indexable(aspiration):
            return None
        return Source(
            key,
            kind,
            aspiration.title,
            aspiration.body,
            f"/aspirasi/{aspiration.ticket}",
            aspiration.published_at or aspiration.created_at,
            aspiration.agency_id,
            aspiration=aspiration,
            support_count=aspiration.support_count,
        )
    if kind == "comment":
        comment = db.get(Comment, item_id)
        consultation = _comment_indexable(db, comment)
        if comment is None or consultation is None:
            return None
        return Source(
            key,
            kind,
            consultation.title,
            comment.body,
            f"/konsultasi/{consultation.id}#komentar-{comment.id}",
            comment.published_at or comment.created_at,
            consultation.agency_id,
            comment=comment,
            consultation=consultation,
            support_count=comment.support_count,
        )
    if kind == "response":
        response = db.get(OfficialResponse, item_id)
        if response is None:
            return None
        if response.aspiration_id is not None:
            aspiration = db.get(Aspiration, response.aspiration_id)
            if aspiration is None or not _aspiration_indexable(aspiration):
                return None
            return Source(
                key,
                kind,
                aspiration.title,
                response.body,
                f"/aspirasi/{aspiration.ticket}",
                response.created_at,
                response.agency_id,
                aspiration=aspiration,
                response=response,
            )
        comment = db.get(Comment, response.comment_id) if response.comment_id else None
        consultation = _comment_indexable(db, comment)
        if comment is None or consultation is None:
            return None
        return Source(
            key,
            kind,
            consultation.title,
            response.body,
            f"/konsultasi/{consultation.id}#komentar-{comment.id}",
            response.created_at,
            response.agency_id,
            comment=comment,
            consultation=consultation,
            response=response,
        )
    if kind == "section":
        section = db.get(Section, item_id)
        consultation = db.get(Consultation, section.consultation_id) if section else None
        if section is None or consultation is None or not _consultation_public(consultation):
            return None
        return Source(
            key,
            kind,
            f"{consultation.title}: {section.heading}",
            section.body,
            f"/konsultasi/{consultation.id}/bagian/{section.position}",
            consultation.published_at or consultation.created_at,
            consultation.agency_id,
            consultation=consultation,
        )
    return None


def _answered(db: Session, aspiration: Aspiration) -> bool:
    if aspiration.status in (AspirationStatus.responded, AspirationStatus.closed):
        return True
    found = db.exec(
        select(OfficialResponse.id).where(OfficialResponse.aspiration_id == aspiration.id).limit(1)
    ).first()
    return found is not None


def to_document(db: Session, source: Source) -> IndexDocument:
    """The IndexDocument of a source row (never the author: anonymous stays anonymous)."""
    aspiration, consultation = source.aspiration, source.consultation
    status = ""
    category = region = None
    routed_at = None
    answered = False
    confidential = False
    if aspiration is not None:
        status = aspiration.status
        confidential = aspiration.visibility == Visibility.confidential
        if source.kind == "aspiration":
            category, region = aspiration.category_id, aspiration.region_id
            routed_at = aspiration.routed_at
            answered = _answered(db, aspiration)
    elif consultation is not None:
        status = consultation.status
    return IndexDocument(
        key=source.key,
        kind=source.kind,
        title_terms=tuple(analyze(source.title)),
        body_terms=tuple(analyze(source.body)),
        published_at=source.published_at,
        agency=source.agency_id,
        category=category,
        region=region,
        status=status,
        consultation=consultation.id if consultation is not None else None,
        support_count=source.support_count,
        routed_at=routed_at,
        answered=answered,
        confidential=confidential,
    )


def expand_keys(db: Session, key: str) -> list[str]:
    """A "consultation:<id>" key stands for its sections and comments (their status and
    visibility follow the consultation's); other keys stand for themselves."""
    kind, item_id = split_key(key)
    if kind != "consultation":
        return [key]
    sections = db.exec(select(Section.id).where(Section.consultation_id == item_id))
    comments = db.exec(select(Comment.id).where(Comment.consultation_id == item_id))
    responses = db.exec(
        select(OfficialResponse.id)
        .join(Comment, col(Comment.id) == OfficialResponse.comment_id)
        .where(Comment.consultation_id == item_id)
    )
    return [
        *(doc_key("section", i) for i in sections if i is not None),
        *(doc_key("comment", i) for i in comments if i is not None),
        *(doc_key("response", i) for i in responses if i is not None),
    ]


def all_keys(db: Session) -> Iterator[str]:
    """Every candidate key, for a rebuild (load_source decides which are indexable)."""
    tables: list[tuple[str, type]] = [
        ("aspiration", Aspiration),
        ("comment", Comment),
        ("response", OfficialResponse),
        ("section", Section),
    ]
    for kind, model in tables:
        last = 0
        while True:
            ids = list(
                db.exec(
                    select(model.id)  # type: ignore[attr-defined]
                    .where(model.id > last)  # type: ignore[attr-defined]
                    .order_by(model.id)  # type: ignore[attr-defined]
                    .limit(BATCH)
                )
            )
            if not ids:
                break
            for item_id in ids:
                yield doc_key(kind, item_id)
            last = ids[-1]


def _may_see_confidential(viewer: Account | None, aspiration: Aspiration) -> bool:
    if aspiration.visibility != Visibility.confidential or queries.is_moderator(viewer):
        return True
    return aspiration.agency_id is not None and queries.can_manage_agency(
        viewer, aspiration.agency_id
    )


def visible_sources(db: Session, viewer: Account | None, keys: list[str]) -> dict[str, Source]:
    """Re-check search hits against the database: only what may be indexed now and what this
    viewer may see comes back (a stale index never shows hidden or confidential content)."""
    visible: dict[str, Source] = {}
    for key in keys:
        source = load_source(db, key)
        if source is None:
            continue
        aspiration = source.aspiration
        if aspiration is not None and not _may_see_confidential(viewer, aspiration):
            continue
        visible[key] = source
    return visible
