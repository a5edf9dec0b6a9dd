"""Reads of the forum core. ``list_``/``get_`` read; ``access_`` reads check what the viewer
may see (drafts, pending and confidential items) and raise NotFound otherwise."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from math import ceil
from typing import Any, Generic, NamedTuple, TypeVar

from sqlalchemy import func, or_
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased, defer
from sqlmodel import Session, col, select

from forum.attachments import extension_of
from forum.errors import N_, NotFound
from forum.models import (
    PUBLIC_ASPIRATION_STATUSES,
    Account,
    Agency,
    Aspiration,
    AspirationStatus,
    Attachment,
    AttachmentKind,
    AttachmentStatus,
    Category,
    Comment,
    Consultation,
    ConsultationStatus,
    ContentStatus,
    OfficialResponse,
    Region,
    ResponseRevision,
    Role,
    RoutingEvent,
    Section,
    Support,
    Visibility,
)
from forum.validation import MAX_ID

PUBLIC_CONSULTATION_STATUSES = (
    ConsultationStatus.scheduled,
    ConsultationStatus.open,
    ConsultationStatus.closed,
    ConsultationStatus.concluded,
)


T = TypeVar("T")


@dataclass
class Page(Generic[T]):
    items: list[T]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_prev(self) -> bool:
        return self.page > 1


def clamp_page(page: int, per_page: int, total: int) -> int:
    return min(max(page, 1), max(1, ceil(total / per_page)))


# --- home -----------------------------------------------------------------------------------


def list_open_consultations(db: Session, limit: int = 20) -> list[Consultation]:
    """Open consultations, closing soonest first."""
    return list(
        db.exec(
            select(Consultation)
            .where(Consultation.status == ConsultationStatus.open)
            .order_by(col(Consultation.closes_at), col(Consultation.id))
            .limit(limit)
        )
    )


def list_upcoming_consultations(db: Session, limit: int = 10) -> list[Consultation]:
    return list(
        db.exec(
            select(Consultation)
            .where(Consultation.status == ConsultationStatus.scheduled)
            .order_by(col(Consultation.opens_at))
            .limit(limit)
        )
    )


def list_past_consultations(db: Session, limit: int = 10) -> list[Consultation]:
    """Closed and concluded consultations, most recently closed first."""
    return list(
        db.exec(
            select(Consultation)
            .where(
                col(Consultation.status).in_(
                    [ConsultationStatus.closed, ConsultationStatus.concluded]
                )
            )
            .order_by(col(Consultation.closed_at).desc(), col(Consultation.id).desc())
            .limit(limit)
        )
    )


@dataclass
class ResponseView:
    response: OfficialResponse
    agency: Agency
    aspiration: Aspiration | None
    comment: Comment | None
    consultation: Consultation | None


def list_latest_responses(db: Session, limit: int = 5) -> list[ResponseView]:
    """The newest official responses to public items (never confidential ones)."""
    public_aspiration = (
        col(Aspiration.status).in_(PUBLIC_ASPIRATION_STATUSES)
        & (col(Aspiration.visibility) != Visibility.confidential)
        & col(Aspiration.hidden_at).is_(None)
    )
    rows = db.execute(
        sa_select(OfficialResponse, Agency, Aspiration, Comment, Consultation)
        .join(Agency, col(Agency.id) == OfficialResponse.agency_id)
        .outerjoin(Aspiration, col(Aspiration.id) == OfficialResponse.aspiration_id)
        .outerjoin(Comment, col(Comment.id) == OfficialResponse.comment_id)
        .outerjoin(Consultation, col(Consultation.id) == Comment.consultation_id)
        .where(
            or_(
                col(OfficialResponse.aspiration_id).is_not(None) & public_aspiration,
                col(OfficialResponse.comment_id).is_not(None)
                & (col(Comment.status) == ContentStatus.published)
                & col(Comment.hidden_at).is_(None),
            )
        )
        .order_by(col(OfficialResponse.created_at).desc(), col(OfficialResponse.id).desc())
        .limit(limit)
    ).all()
    return [ResponseView(*row) for row in rows]


# --- consultations --------------------------------------------------------------------------


def can_manage_agency(viewer: Account | None, agency_id: int) -> bool:
    if viewer is None or not viewer.is_active:
        return False
    return viewer.role == Role.admin or (
        viewer.role == Role.official and viewer.agency_id == agency_id
    )


def access_consultation(db: Session, viewer: Account | None, consultation_id: int) -> Consultation:
    """A consultation the viewer may see: public ones, and drafts of their own agency."""
    consultation = db.get(Consultation, consultation_id) if 0 < consultation_id <= MAX_ID else None
    if consultation is None or (
        consultation.status == ConsultationStatus.draft
        and not can_manage_agency(viewer, consultation.agency_id)
    ):
        raise NotFound(N_("This consultation does not exist."))
    return consultation


def list_sections(db: Session, consultation_id: int) -> list[Section]:
    """The table of contents; a section's text loads only when it is read (deferred)."""
    return list(
        db.exec(
            select(Section)
            .options(defer(Section.body))  # type: ignore[arg-type]
            .where(Section.consultation_id == consultation_id)
            .order_by(col(Section.position))
        )
    )


def get_section(db: Session, consultation_id: int, position: int) -> Section:
    section = db.exec(
        select(Section).where(
            Section.consultation_id == consultation_id, Section.position == position
        )
    ).first()
    if section is None:
        raise NotFound(N_("This section does not exist."))
    return section


def list_agency_consultations(db: Session, agency_id: int | None) -> list[Consultation]:
    query = select(Consultation).order_by(col(Consultation.created_at).desc())
    if agency_id is not None:
        query = query.where(Consultation.agency_id == agency_id)
    return list(db.exec(query.limit(500)))


@dataclass
class Thread:
    root: Comment
    replies: list[Comment]


@dataclass
class ThreadPage:
    threads: list[Thread]
    page: int
    per_page: int
    total: int
    authors: dict[int, Account]
    supported: set[int]
    responses: dict[int, list[tuple[OfficialResponse, Agency]]] = field(default_factory=dict)
    # By comment: the files the viewer may see, and (the author's own) the removed ones.
    attachments: dict[int, list[Attachment]] = field(default_factory=dict)
    removed_attachments: dict[int, list[Attachment]] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.per_page))


MAX_REPLIES_SHOWN = 50


def comment_threads(
    db: Session,
    consultation_id: int,
    *,
    section_id: int | None,
    whole_consultation: bool,
    page: int,
    per_page: int,
    viewer: Account | None,
) -> ThreadPage:
    """Published threads, oldest first, one page of roots plus their replies: a fixed number
    of queries whatever the number of comments (indexes make each one a range scan)."""
    where: list[Any] = [
        Comment.consultation_id == consultation_id,
        Comment.status == ContentStatus.published,
        col(Comment.hidden_at).is_(None),
        col(Comment.parent_id).is_(None),
    ]
    if whole_consultation:
        where.append(col(Comment.section_id).is_(None))
    elif section_id is not None:
        where.append(Comment.section_id == section_id)
    total = int(db.exec(select(func.count()).select_from(Comment).where(*where)).one())
    page = clamp_page(page, per_page, total)
    roots = list(
        db.exec(
            select(Comment)
            .where(*where)
            .order_by(col(Comment.id))
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
    )
    root_ids = [c.id for c in roots]
    replies: dict[int, list[Comment]] = {rid: [] for rid in root_ids if rid is not None}
    if root_ids:
        for reply in db.exec(
            select(Comment)
            .where(
                col(Comment.root_id).in_(root_ids),
                Comment.status == ContentStatus.published,
                col(Comment.hidden_at).is_(None),
            )
            .order_by(col(Comment.id))
        ):
            bucket = replies[reply.root_id]  # type: ignore[index]
            if len(bucket) < MAX_REPLIES_SHOWN:
                bucket.append(reply)
    every = roots + [r for bucket in replies.values() for r in bucket]
    author_ids = {c.author_id for c in every}
    authors = (
        {a.id: a for a in db.exec(select(Account).where(col(Account.id).in_(author_ids)))}
        if author_ids
        else {}
    )
    comment_ids = [c.id for c in every]
    supported: set[int] = set()
    if viewer is not None and comment_ids:
        supported = {
            cid
            for cid in db.exec(
                select(Support.comment_id).where(
                    Support.account_id == viewer.id, col(Support.comment_id).in_(comment_ids)
                )
            )
            if cid is not None
        }
    responses: dict[int, list[tuple[OfficialResponse, Agency]]] = {}
    if comment_ids:
        for response, agency in db.exec(
            select(OfficialResponse, Agency)
            .join(Agency, col(Agency.id) == OfficialResponse.agency_id)
            .where(col(OfficialResponse.comment_id).in_(comment_ids))
            .order_by(col(OfficialResponse.id))
        ):
            responses.setdefault(response.comment_id, []).append((response, agency))  # type: ignore[arg-type]
    files: dict[int, list[Attachment]] = {}
    removed: dict[int, list[Attachment]] = {}
    by_id = {c.id: c for c in every}
    for attachment in list_attachments(db, comment_ids=[i for i in comment_ids if i]):
        comment = by_id[attachment.comment_id]
        if can_see_attachment(viewer, attachment, comment):
            files.setdefault(comment.id, []).append(attachment)  # type: ignore[arg-type]
        elif attachment.status == AttachmentStatus.removed and (
            viewer is not None and viewer.id == attachment.account_id
        ):
            removed.setdefault(comment.id, []).append(attachment)  # type: ignore[arg-type]
    return ThreadPage(
        threads=[Thread(root, replies.get(root.id, [])) for root in roots],  # type: ignore[arg-type]
        page=page,
        per_page=per_page,
        total=total,
        authors=authors,  # type: ignore[arg-type]
        supported=supported,
        responses=responses,
        attachments=files,
        removed_attachments=removed,
    )


def access_comment(db: Session, viewer: Account | None, comment_id: int) -> Comment:
    """A comment the viewer may act on: published ones, or their own."""
    comment = db.get(Comment, comment_id) if 0 < comment_id <= MAX_ID else None
    if comment is None or (
        (comment.status != ContentStatus.published or comment.hidden_at is not None)
        and (viewer is None or viewer.id != comment.author_id)
        and not is_moderator(viewer)
    ):
        raise NotFound(N_("This comment does not exist."))
    return comment


# --- attachments ----------------------------------------------------------------------------


def attachment_public(attachment: Attachment) -> bool:
    """Whether the file itself may be shown to whoever may see its contribution: not removed,
    not held by a screen (a held one only once a moderator published it explicitly), and for
    a photo, once OCR has read it and the screens found nothing (forum.submissions)."""
    if attachment.status == AttachmentStatus.approved:
        return True
    return attachment.status == AttachmentStatus.pending and (
        attachment.kind != AttachmentKind.image or attachment.ocr_done_at is not None
    )


def attachment_item(db: Session, attachment: Attachment) -> Aspiration | Comment | None:
    if attachment.aspiration_id is not None:
        return db.get(Aspiration, attachment.aspiration_id)
    if attachment.comment_id is not None:
        return db.get(Comment, attachment.comment_id)
    return None


def can_see_attachment(
    viewer: Account | None, attachment: Attachment, item: Aspiration | Comment | None
) -> bool:
    """The file's own rule, checked on every request for it and its thumbnails:

    - a removed one: nobody (its file is gone or going; the row stays for the record);
    - its author and the moderators: always;
    - the staff of the agency an aspiration is routed to: when they may see the aspiration
      (a confidential one too), also a file held by a screen;
    - anyone else: when they may see the contribution (published, not hidden; a confidential
      aspiration never) and the file is not held."""
    if attachment.status == AttachmentStatus.removed or item is None:
        return False
    if viewer is not None and viewer.is_active and viewer.id == attachment.account_id:
        return True
    if is_moderator(viewer):
        return True
    if isinstance(item, Aspiration):
        if not can_see_aspiration(viewer, item):
            return False
        if item.agency_id is not None and can_manage_agency(viewer, item.agency_id):
            return True
        return attachment_public(attachment)
    if item.status != ContentStatus.published or item.hidden_at is not None:
        return False
    return attachment_public(attachment)


def access_attachment(
    db: Session, viewer: Account | None, public_key: str
) -> tuple[Attachment, Aspiration | Comment]:
    """The attachment named by ``public_key`` and its contribution, if the viewer may see the
    file; otherwise "not found", never "forbidden" (nobody learns that it exists)."""
    attachment = (
        db.exec(select(Attachment).where(Attachment.public_key == public_key)).first()
        if 16 <= len(public_key) <= 32
        else None
    )
    item = attachment_item(db, attachment) if attachment is not None else None
    if attachment is None or item is None or not can_see_attachment(viewer, attachment, item):
        raise NotFound(N_("This file does not exist or is not visible to you."))
    return attachment, item


def list_attachments(
    db: Session, *, aspiration_id: int | None = None, comment_ids: Sequence[int] = ()
) -> list[Attachment]:
    """The attachments of one aspiration or of some comments (one query), oldest first;
    removed ones too (their author sees why): filter with ``can_see_attachment``."""
    if aspiration_id is not None:
        where: Any = Attachment.aspiration_id == aspiration_id
    elif comment_ids:
        where = col(Attachment.comment_id).in_(list(comment_ids))
    else:
        return []
    return list(db.exec(select(Attachment).where(where).order_by(col(Attachment.id))))


# --- aspirations ----------------------------------------------------------------------------


def is_moderator(viewer: Account | None) -> bool:
    return viewer is not None and viewer.is_active and viewer.role in (Role.moderator, Role.admin)


def can_see_aspiration(viewer: Account | None, aspiration: Aspiration) -> bool:
    if viewer is not None and viewer.is_active and viewer.id == aspiration.author_id:
        return True
    if is_moderator(viewer):
        return True
    if aspiration.status not in PUBLIC_ASPIRATION_STATUSES or aspiration.hidden_at is not None:
        return False
    if aspiration.visibility != Visibility.confidential:
        return True
    return aspiration.agency_id is not None and can_manage_agency(viewer, aspiration.agency_id)


def access_aspiration_by_ticket(db: Session, viewer: Account | None, ticket: str) -> Aspiration:
    aspiration = db.exec(select(Aspiration).where(Aspiration.ticket == ticket.upper())).first()
    if aspiration is None or not can_see_aspiration(viewer, aspiration):
        raise NotFound(N_("No aspiration with this ticket number is visible to you."))
    return aspiration


def author_shown(viewer: Account | None, aspiration: Aspiration) -> bool:
    """Anonymous-to-public hides the name from everyone but the author and moderators."""
    if aspiration.visibility == Visibility.public:
        return True
    return (viewer is not None and viewer.id == aspiration.author_id) or is_moderator(viewer)


def list_public_aspirations(db: Session, *, page: int, per_page: int = 20) -> Page[Aspiration]:
    where: list[Any] = [
        col(Aspiration.status).in_(PUBLIC_ASPIRATION_STATUSES),
        col(Aspiration.visibility) != Visibility.confidential,
        col(Aspiration.hidden_at).is_(None),
    ]
    total = int(db.exec(select(func.count()).select_from(Aspiration).where(*where)).one())
    page = clamp_page(page, per_page, total)
    items = list(
        db.exec(
            select(Aspiration)
            .where(*where)
            .order_by(col(Aspiration.id).desc())
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
    )
    return Page(items, page, per_page, total)


def list_aspiration_responses(
    db: Session, aspiration_id: int
) -> list[tuple[OfficialResponse, Agency]]:
    return list(
        db.exec(
            select(OfficialResponse, Agency)
            .join(Agency, col(Agency.id) == OfficialResponse.agency_id)
            .where(OfficialResponse.aspiration_id == aspiration_id)
            .order_by(col(OfficialResponse.id))
        ).all()
    )


def has_supported(db: Session, viewer: Account | None, *, aspiration_id: int) -> bool:
    if viewer is None:
        return False
    return (
        db.exec(
            select(Support.id).where(
                Support.account_id == viewer.id, Support.aspiration_id == aspiration_id
            )
        ).first()
        is not None
    )


# --- my contributions and the interim moderation queue -------------------------------------


@dataclass
class MyComment:
    comment: Comment
    consultation: Consultation


def list_my_comments(db: Session, account_id: int, limit: int = 200) -> list[MyComment]:
    rows = db.exec(
        select(Comment, Consultation)
        .join(Consultation, col(Consultation.id) == Comment.consultation_id)
        .where(Comment.author_id == account_id)
        .order_by(col(Comment.id).desc())
        .limit(limit)
    ).all()
    return [MyComment(*row) for row in rows]


def list_my_aspirations(db: Session, account_id: int, limit: int = 200) -> list[Aspiration]:
    return list(
        db.exec(
            select(Aspiration)
            .where(Aspiration.author_id == account_id)
            .order_by(col(Aspiration.id).desc())
            .limit(limit)
        )
    )


def list_pending_comments(db: Session, limit: int = 50) -> list[MyComment]:
    rows = db.exec(
        select(Comment, Consultation)
        .join(Consultation, col(Consultation.id) == Comment.consultation_id)
        .where(Comment.status == ContentStatus.pending)
        .order_by(col(Comment.id))
        .limit(limit)
    ).all()
    return [MyComment(*row) for row in rows]


def list_pending_aspirations(db: Session, limit: int = 50) -> list[Aspiration]:
    return list(
        db.exec(
            select(Aspiration)
            .where(Aspiration.status == AspirationStatus.pending)
            .order_by(col(Aspiration.id))
            .limit(limit)
        )
    )


def count_pending(db: Session) -> int:
    comments = db.exec(
        select(func.count()).select_from(Comment).where(Comment.status == ContentStatus.pending)
    ).one()
    aspirations = db.exec(
        select(func.count())
        .select_from(Aspiration)
        .where(Aspiration.status == AspirationStatus.pending)
    ).one()
    return int(comments) + int(aspirations)


# --- reference data -------------------------------------------------------------------------


def list_agencies(db: Session, *, active_only: bool = True) -> list[Agency]:
    query = select(Agency).order_by(col(Agency.name))
    if active_only:
        query = query.where(Agency.is_active == True)  # noqa: E712 - SQL expression
    return list(db.exec(query))


def list_categories(db: Session, *, active_only: bool = True) -> list[Category]:
    query = select(Category).order_by(col(Category.name_id))
    if active_only:
        query = query.where(Category.is_active == True)  # noqa: E712 - SQL expression
    return list(db.exec(query))


class RegionRef(NamedTuple):
    """A region as pick lists show it: plain values, no ORM object (the form that files an
    aspiration lists all 552 regions on every render; tuples cost a tenth of instances)."""

    id: int
    code: str
    name: str
    kind: str
    parent_code: str | None


def list_regions(db: Session) -> list[RegionRef]:
    columns = [col(c) for c in (Region.id, Region.code, Region.name, Region.kind)]
    rows = db.execute(sa_select(*columns, col(Region.parent_code)).order_by(col(Region.code)))
    return [RegionRef(*row) for row in rows]


def regions_grouped(db: Session) -> list[tuple[RegionRef, list[RegionRef]]]:
    """Provinces with their regencies and cities, for a grouped select."""
    regions = list_regions(db)
    children: dict[str, list[RegionRef]] = {}
    for region in regions:
        if region.parent_code:
            children.setdefault(region.parent_code, []).append(region)
    return [(r, children.get(r.code, [])) for r in regions if r.kind == "province"]


def lookup_names(db: Session, ids: Sequence[int], model: Any) -> dict[int, Any]:
    """Rows of ``model`` by id, in one query (names of categories, regions, authors…)."""
    if not ids:
        return {}
    rows: list[Any] = list(db.exec(select(model).where(col(model.id).in_(set(ids)))))
    return {row.id: row for row in rows}


def list_accounts(db: Session, *, page: int, per_page: int = 50, query: str = "") -> Page[Account]:
    where: list[Any] = []
    if query:
        like = f"%{query.lower()}%"
        where.append(
            or_(
                func.lower(Account.name).like(like),
                func.lower(func.coalesce(Account.email, "")).like(like),
                func.coalesce(Account.phone, "").like(like),
            )
        )
    total = int(db.exec(select(func.count()).select_from(Account).where(*where)).one())
    page = clamp_page(page, per_page, total)
    items = list(
        db.exec(
            select(Account)
            .where(*where)
            .order_by(col(Account.id))
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
    )
    return Page(items, page, per_page, total)


def list_routing(
    db: Session, aspiration_id: int
) -> list[tuple[RoutingEvent, Agency | None, Agency]]:
    """Where an aspiration was sent, and why, oldest first."""
    origin = aliased(Agency)
    target = aliased(Agency)
    rows = db.execute(
        sa_select(RoutingEvent, origin, target)
        .outerjoin(origin, col(origin.id) == col(RoutingEvent.from_agency_id))
        .join(target, col(target.id) == col(RoutingEvent.to_agency_id))
        .where(col(RoutingEvent.aspiration_id) == aspiration_id)
        .order_by(col(RoutingEvent.id))
    ).all()
    return [(event, came_from, went_to) for event, came_from, went_to in rows]


def list_revisions(db: Session, *, aspiration_id: int) -> dict[int, list[ResponseRevision]]:
    """Earlier wordings of each official response to an aspiration, by response id."""
    revisions: dict[int, list[ResponseRevision]] = {}
    for revision in db.exec(
        select(ResponseRevision)
        .join(OfficialResponse, col(OfficialResponse.id) == ResponseRevision.response_id)
        .where(OfficialResponse.aspiration_id == aspiration_id)
        .order_by(col(ResponseRevision.id))
    ):
        revisions.setdefault(revision.response_id, []).append(revision)
    return revisions


def two_factor_enrolled_ids(db: Session, account_ids: Sequence[int | None]) -> set[int]:
    """Which of these accounts have two-factor authentication on (the accounts page)."""
    from forum.models import TotpCredential

    ids = [i for i in account_ids if i is not None]
    if not ids:
        return set()
    rows = db.exec(
        select(TotpCredential.account_id).where(
            col(TotpCredential.account_id).in_(ids),
            col(TotpCredential.confirmed_at).is_not(None),
        )
    )
    return set(rows)


EXPORT_FILES = "lampiran"  # the folder of the attachments in the data export's ZIP


def export_file(attachment: Attachment) -> str | None:
    """Where the file of ``attachment`` is in the data export's ZIP (``/saya/data.zip``); None
    for a removed one: its row is listed, its file is gone."""
    if attachment.status == AttachmentStatus.removed:
        return None
    return f"{EXPORT_FILES}/{attachment.public_key}.{extension_of(attachment.media_type)}"


def export_attachment(attachment: Attachment, tickets: dict[int, str]) -> dict[str, Any]:
    """One of the person's files in their data export: what it is, its state, where it was
    attached, and where the ZIP holds it."""
    a = attachment

    def when(value: Any) -> str | None:
        return value.isoformat() if value is not None else None

    return {
        "name": a.original_name,
        "kind": a.kind,
        "media_type": a.media_type,
        "byte_size": a.byte_size,
        "width": a.width,
        "height": a.height,
        "state": a.status,
        "removed_reason": a.removed_reason,
        "removed_at": when(a.removed_at),
        "aspiration_ticket": tickets.get(a.aspiration_id) if a.aspiration_id else None,
        "comment_id": a.comment_id,
        "created_at": when(a.created_at),
        "ocr_text": a.ocr_text,
        "file": export_file(a),
    }


def export_account_data(db: Session, account: Account) -> dict[str, Any]:
    """Everything Rembug keeps about one person (UU PDP: access and portability; also the
    administrators' data-breach report of what an account's data comprised)."""
    from forum.models import (
        AccountToken,
        Notification,
        RecoveryCode,
        TotpCredential,
        WebSession,
    )

    def when(value: Any) -> str | None:
        return value.isoformat() if value is not None else None

    aid = account.id
    two_factor = db.get(TotpCredential, aid)
    account_attachments = list(
        db.exec(select(Attachment).where(Attachment.account_id == aid).order_by(col(Attachment.id)))
    )
    tickets = {
        a.id: a.ticket
        for a in lookup_names(
            db, [a.aspiration_id for a in account_attachments if a.aspiration_id], Aspiration
        ).values()
    }
    return {
        "account": {
            "id": aid,
            "name": account.name,
            "email": account.email,
            "phone": account.phone,
            "role": account.role,
            "agency_id": account.agency_id,
            "locale": account.locale,
            "created_at": when(account.created_at),
            "consent_version": account.consent_version,
            "consent_at": when(account.consent_at),
            "notify_email": account.notify_email,
            "email_unsubscribed_at": when(account.email_unsubscribed_at),
            "email_confirmed_at": when(account.email_confirmed_at),
            "pending_email": account.pending_email,
            "deleted_at": when(account.deleted_at),
        },
        # Confirmation mails, reset links and sign-in codes sent for the account (never the
        # secrets: only their hashes are kept, and they are not exported either).
        "access_tokens": [
            {
                "purpose": t.purpose,
                "channel": t.channel,
                "created_at": when(t.created_at),
                "created_ip": t.created_ip,
                "expires_at": when(t.expires_at),
                "used_at": when(t.used_at),
                "tries": t.tries,
            }
            for t in db.exec(
                select(AccountToken)
                .where(AccountToken.account_id == aid)
                .order_by(col(AccountToken.id))
            )
        ],
        "comments": [
            {
                "id": c.id,
                "consultation_id": c.consultation_id,
                "section_id": c.section_id,
                "parent_id": c.parent_id,
                "body": c.body,
                "status": c.status,
                "reject_reason": c.reject_reason,
                "channel": c.channel,
                "created_at": when(c.created_at),
            }
            for c in db.exec(
                select(Comment).where(Comment.author_id == aid).order_by(col(Comment.id))
            )
        ],
        "aspirations": [
            {
                "ticket": a.ticket,
                "title": a.title,
                "body": a.body,
                "visibility": a.visibility,
                "status": a.status,
                "reject_reason": a.reject_reason,
                "channel": a.channel,
                "created_at": when(a.created_at),
            }
            for a in db.exec(
                select(Aspiration).where(Aspiration.author_id == aid).order_by(col(Aspiration.id))
            )
        ],
        "attachments": [export_attachment(a, tickets) for a in account_attachments],
        "supports": [
            {
                "comment_id": s.comment_id,
                "aspiration_id": s.aspiration_id,
                "created_at": when(s.created_at),
            }
            for s in db.exec(select(Support).where(Support.account_id == aid))
        ],
        "notifications": [
            {
                "message": n.message,
                "params": n.params,
                "link": n.link,
                "created_at": when(n.created_at),
            }
            for n in db.exec(select(Notification).where(Notification.account_id == aid))
        ],
        "sessions": [
            {
                "created_at": when(s.created_at),
                "expires_at": when(s.expires_at),
                "revoked_at": when(s.revoked_at),
                "ip": s.ip,
                "user_agent": s.user_agent,
            }
            for s in db.exec(select(WebSession).where(WebSession.account_id == aid))
        ],
        # Whether and since when; never the secret or the recovery codes (not readable data
        # about the person, and the export must not become a way around the second factor).
        "two_factor": {
            "enrolled_at": when(two_factor.confirmed_at if two_factor else None),
            "recovery_codes_left": len(
                db.exec(
                    select(RecoveryCode.id).where(
                        RecoveryCode.account_id == aid, col(RecoveryCode.used_at).is_(None)
                    )
                ).all()
            ),
        },
    }
