"""Domain events and the bus: in-transaction subscribers run inside the action's transaction,
after-commit subscribers run once it has committed (never for a rolled-back transaction)."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

_PENDING = "rembug_after_commit_events"
_BUS = "rembug_bus"


@dataclass(frozen=True)
class Event:
    """Base class; every event is a past-tense fact carrying ids, not ORM objects.

    ``public`` says whether the fact can change what an anonymous visitor sees (it empties
    the page cache); a contribution waiting for moderation, say, changes no public page."""

    public: ClassVar[bool] = True


@dataclass(frozen=True)
class AccountRegistered(Event):
    public: ClassVar[bool] = False
    account_id: int


@dataclass(frozen=True)
class AccountsMerged(Event):
    """A chat-only account was merged into a web account (linking a chat): its contributions
    now belong to ``into_account_id``; packages move what they keep about it."""

    from_account_id: int
    into_account_id: int


@dataclass(frozen=True)
class AccountDeleted(Event):
    """The person deleted their account: packages drop what they keep about it (chat links)."""

    account_id: int


@dataclass(frozen=True)
class RoleChanged(Event):
    account_id: int
    actor_id: int
    old_role: str
    new_role: str
    agency_id: int | None


@dataclass(frozen=True)
class TwoFactorChanged(Event):
    """Two-factor authentication of an account changed: ``change`` is enrolled, disabled,
    reset (by an administrator, ``actor_id``; None from the command line),
    recovery-codes-renewed or recovery-code-used."""

    public: ClassVar[bool] = False
    account_id: int
    actor_id: int | None
    change: str


@dataclass(frozen=True)
class AccountAccess(Event):
    """Getting into an account or proving its address (forum/actions/access.py): ``change``
    is one of confirm-sent, email-confirmed, email-change-asked, email-changed, reset-asked,
    password-reset, code-sent, code-used, code-locked, unconfirmed-removed; ``actor_id`` who
    did it (None: a visitor not signed in, or the scheduler), ``ip`` from where, ``channel``
    the channel a code or mail went to."""

    public: ClassVar[bool] = False
    account_id: int
    actor_id: int | None
    change: str
    ip: str = ""
    channel: str = ""


@dataclass(frozen=True)
class ConsultationPublished(Event):
    consultation_id: int


@dataclass(frozen=True)
class ConsultationOpened(Event):
    consultation_id: int


@dataclass(frozen=True)
class ConsultationClosed(Event):
    consultation_id: int


@dataclass(frozen=True)
class CommentSubmitted(Event):
    public: ClassVar[bool] = False
    comment_id: int
    channel: str


@dataclass(frozen=True)
class CommentPublished(Event):
    comment_id: int
    moderator_id: int | None


@dataclass(frozen=True)
class CommentRejected(Event):
    comment_id: int
    moderator_id: int
    reason: str


@dataclass(frozen=True)
class CommentWithdrawn(Event):
    comment_id: int


@dataclass(frozen=True)
class AspirationSubmitted(Event):
    public: ClassVar[bool] = False
    aspiration_id: int
    channel: str


@dataclass(frozen=True)
class AspirationPublished(Event):
    aspiration_id: int
    moderator_id: int | None


@dataclass(frozen=True)
class AspirationRejected(Event):
    aspiration_id: int
    moderator_id: int
    reason: str


@dataclass(frozen=True)
class AspirationWithdrawn(Event):
    aspiration_id: int


@dataclass(frozen=True)
class ContentHidden(Event):
    """A published comment or aspiration is hidden pending review (e.g. after flags)."""

    kind: str  # "comment" | "aspiration"
    item_id: int
    actor_id: int | None


@dataclass(frozen=True)
class ContentRestored(Event):
    kind: str
    item_id: int
    actor_id: int


@dataclass(frozen=True)
class ContentRedacted(Event):
    """Personal data was replaced by [disamarkan]; the original is only in the moderation
    record."""

    kind: str
    item_id: int
    actor_id: int


@dataclass(frozen=True)
class AspirationMerged(Event):
    duplicate_id: int
    original_id: int
    moderator_id: int


@dataclass(frozen=True)
class AspirationRouted(Event):
    """Sent to an agency (at publication, by a moderator, or re-routed by an official)."""

    aspiration_id: int
    agency_id: int
    from_agency_id: int | None
    actor_id: int | None


@dataclass(frozen=True)
class AspirationStatusChanged(Event):
    aspiration_id: int
    status: str
    actor_id: int | None


@dataclass(frozen=True)
class AspirationOverdue(Event):
    aspiration_id: int
    agency_id: int


@dataclass(frozen=True)
class AspirationEscalated(Event):
    aspiration_id: int
    agency_id: int


@dataclass(frozen=True)
class AspirationClosed(Event):
    aspiration_id: int
    reason: str  # confirmed | auto


@dataclass(frozen=True)
class AspirationReopened(Event):
    aspiration_id: int
    reason: str


@dataclass(frozen=True)
class OfficialResponseEdited(Event):
    response_id: int


@dataclass(frozen=True)
class ConsultationConcluded(Event):
    consultation_id: int


@dataclass(frozen=True)
class SupportAdded(Event):
    account_id: int
    comment_id: int | None
    aspiration_id: int | None


@dataclass(frozen=True)
class SupportWithdrawn(Event):
    account_id: int
    comment_id: int | None
    aspiration_id: int | None


@dataclass(frozen=True)
class OfficialResponsePublished(Event):
    response_id: int
    aspiration_id: int | None
    comment_id: int | None


@dataclass(frozen=True)
class AttachmentRemoved(Event):
    """A moderator took one file of a contribution down; its author reads ``reason``."""

    attachment_id: int
    moderator_id: int
    reason: str


@dataclass(frozen=True)
class AttachmentTextRead(Event):
    """OCR read a photo (``ocr_text``, possibly empty): the personal-data screens look at the
    text now; a photo waiting for this is shown to nobody but its author and the staff."""

    attachment_id: int


@dataclass(frozen=True)
class AttachmentHeld(Event):
    """A screen found personal data in a file: it is shown to nobody but its author and the
    staff, whatever its contribution, until a moderator publishes it."""

    attachment_id: int


@dataclass(frozen=True)
class AttachmentPublished(Event):
    """A moderator published a held file explicitly (approving its contribution does not)."""

    attachment_id: int
    moderator_id: int


S = TypeVar("S", bound=Session)
InTransactionHandler = Callable[[Any, Any], None]  # (session, event)
AfterCommitHandler = Callable[[Any], None]


class EventBus:
    """Routes events to subscribers; one per application, found through ``session.info``."""

    def __init__(self) -> None:
        self._in_transaction: dict[type[Event], list[InTransactionHandler]] = defaultdict(list)
        self._after_commit: dict[type[Event], list[AfterCommitHandler]] = defaultdict(list)
        self._after_any_commit: list[Callable[[], None]] = []

    def subscribe(self, event_type: type[Event], handler: InTransactionHandler) -> None:
        """``handler(session, event)`` runs inside the emitting transaction; it may write."""
        self._in_transaction[event_type].append(handler)

    def subscribe_after_commit(self, event_type: type[Event], handler: AfterCommitHandler) -> None:
        """``handler(event)`` runs after the transaction commits; failures are logged only."""
        self._after_commit[event_type].append(handler)

    def on_commit(self, hook: Callable[[], None]) -> None:
        """``hook()`` runs after every commit that emitted at least one public event."""
        self._after_any_commit.append(hook)

    def attach(self, session: S) -> S:
        session.info[_BUS] = self
        return session

    def emit(self, session: Session, event: Event) -> None:
        for handler in self._matching(self._in_transaction, event):
            handler(session, event)
        session.info.setdefault(_PENDING, []).append(event)

    def _matching(self, table: dict[type[Event], list[Any]], event: Event) -> list[Any]:
        handlers: list[Any] = []
        for cls in type(event).__mro__:
            handlers.extend(table.get(cls, ()))
        return handlers

    def _run_after_commit(self, events: list[Event]) -> None:
        for event in events:
            for handler in self._matching(self._after_commit, event):
                try:
                    handler(event)
                except Exception:
                    log.exception("after-commit subscriber %r failed on %r", handler, event)
        if not any(event.public for event in events):
            return
        for hook in self._after_any_commit:
            try:
                hook()
            except Exception:
                log.exception("after-commit hook %r failed", hook)


def pending_mark(session: Session) -> int:
    """How many events wait for this session's commit (see ``drop_pending_since``)."""
    return len(session.info.get(_PENDING, ()))


def drop_pending_since(session: Session, mark: int) -> None:
    """Forget the events emitted since ``mark``: their savepoint was rolled back."""
    del session.info.get(_PENDING, [])[mark:]


def emit(session: Session, event: Event) -> None:
    """Emit ``event`` through the bus attached to ``session`` (every action does this)."""
    bus = session.info.get(_BUS)
    if bus is None:
        raise RuntimeError("session has no event bus; open it with Database.write()")
    bus.emit(session, event)


@sa_event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    events = session.info.pop(_PENDING, None)
    bus = session.info.get(_BUS)
    if events and bus is not None:
        bus._run_after_commit(events)


@sa_event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)
