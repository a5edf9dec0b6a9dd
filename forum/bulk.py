"""One way to apply an action to a selection (every bulk action: moderation's selections and
clusters, an agency's one answer to many aspirations): each item that can take the action
takes it, each one that cannot is skipped with its reason, and the person sees
"N decided, M skipped" with the reason of every skipped item (``bulk_result.html``).

An item is checked first (``check``: the reason it cannot take the action, or None); an
action that still refuses (an ``ActionError``) is undone on its own in a savepoint, with the
events it emitted, so the rest of the selection goes on."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from sqlmodel import Session

from forum import events as ev
from forum.errors import ActionError, Msg

T = TypeVar("T")


@dataclass(frozen=True)
class Skipped:
    """One item of the selection the action left alone: what it is, and why."""

    label: str  # what the person recognises: "#12", a ticket number
    reason: Msg


@dataclass
class BulkResult:
    done: int = 0
    skipped: list[Skipped] = field(default_factory=list)

    def add(self, other: BulkResult) -> BulkResult:
        self.done += other.done
        self.skipped.extend(other.skipped)
        return self


def apply_each(
    db: Session,
    items: Iterable[T],
    act: Callable[[T], object],
    *,
    label: Callable[[T], str],
    check: Callable[[T], Msg | None] | None = None,
) -> BulkResult:
    """Apply ``act`` to every item that can take it; skip (with the reason) every other."""
    result = BulkResult()
    for item in items:
        reason = check(item) if check is not None else None
        if reason is None:
            reason = _attempt(db, act, item)
        if reason is None:
            result.done += 1
        else:
            result.skipped.append(Skipped(label(item), reason))
    return result


def _attempt(db: Session, act: Callable[[T], object], item: T) -> Msg | None:
    mark = ev.pending_mark(db)
    savepoint = db.begin_nested()
    try:
        act(item)
        db.flush()
    except ActionError as exc:
        savepoint.rollback()
        ev.drop_pending_since(db, mark)  # what was undone is not announced after commit
        return Msg(exc.message, exc.params)
    savepoint.commit()
    return None
