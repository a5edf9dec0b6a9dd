"""Tickets, the person's own items, search, support and linking to a web account."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from bots import actions
from bots.conversation.turn import (
    STATUS_LABELS,
    TICKET_RE,
    Turn,
    _account_or_none,
    _escape_like,
    _menu,
    _short,
)
from bots.messages import Button
from forum import actions as forum_actions
from forum import queries
from forum.errors import N_
from forum.models import (
    PUBLIC_ASPIRATION_STATUSES,
    Agency,
    Aspiration,
    Consultation,
    ConsultationStatus,
    Visibility,
)
from forum.validation import (
    clean_text,
)


def _show_ticket(turn: Turn, ticket: str) -> None:
    ticket = ticket.strip().upper()
    if not TICKET_RE.match(ticket):
        turn.say(turn.t(N_("A ticket number looks like ASP-2026-000123.")), turn.nav())
        return
    viewer = _account_or_none(turn)
    aspiration = queries.access_aspiration_by_ticket(turn.db, viewer, ticket)
    lines = [
        f"{aspiration.ticket} · {aspiration.title}",
        turn.t(
            N_("Status: %(status)s"),
            status=turn.t(STATUS_LABELS.get(aspiration.status, aspiration.status)),
        ),
    ]
    if aspiration.status == "rejected" and aspiration.reject_reason:
        lines.append(turn.t(N_("Reason: %(reason)s"), reason=aspiration.reject_reason))
    if aspiration.agency_id:
        agency = turn.db.get(Agency, aspiration.agency_id)
        if agency:
            lines.append(turn.t(N_("Agency: %(agency)s"), agency=agency.name))
    for response, agency in queries.list_aspiration_responses(turn.db, aspiration.id):  # type: ignore[arg-type]
        lines += [
            "",
            turn.t(N_("Official response from %(agency)s:"), agency=agency.name),
            response.body,
        ]
    extra = []
    if (
        aspiration.status in PUBLIC_ASPIRATION_STATUSES
        and aspiration.visibility != Visibility.confidential
        and (viewer is None or viewer.id != aspiration.author_id)
    ):
        extra.append(
            turn.button(N_("Support (%(n)s)"), f"sp:a:{aspiration.id}", n=aspiration.support_count)
        )
    turn.say("\n".join(lines), turn.nav(*extra))


def _my_items(turn: Turn) -> None:
    account = _account_or_none(turn)
    if account is None:
        _menu(turn, N_("You have not sent anything yet."))
        return
    aspirations = queries.list_my_aspirations(turn.db, account.id, limit=turn.page_size(1))
    comments = queries.list_my_comments(turn.db, account.id, limit=5)
    if not aspirations and not comments:
        _menu(turn, N_("You have not sent anything yet."))
        return
    lines = [turn.t(N_("Your items:"))]
    for item in comments:
        status = turn.t(STATUS_LABELS.get(item.comment.status, item.comment.status))
        lines.append(f"#{item.comment.id} · {_short(item.consultation.title, 50)} · {status}")
        if item.comment.status == "rejected" and item.comment.reject_reason:
            lines.append("  " + turn.t(N_("Reason: %(reason)s"), reason=item.comment.reject_reason))
    rows = [
        [
            Button(
                _short(f"{a.ticket} · {turn.t(STATUS_LABELS.get(a.status, a.status))}", 60),
                f"t:{a.ticket}",
            )
        ]
        for a in aspirations
    ]
    if aspirations:
        lines.append(turn.t(N_("Your aspirations are below; choose one to see it.")))
    rows.append([turn.button(N_("Menu"), "m")])
    turn.say("\n".join(lines), rows)


def _search(turn: Turn, text: str) -> None:
    words = clean_text(text)[:100]
    if len(words) < 3:
        turn.say(turn.t(N_("Type at least 3 letters.")), turn.nav())
        return
    viewer = _account_or_none(turn)
    results = (
        turn.search(turn.db, viewer, words, turn.page_size(1))
        if turn.search
        else _title_search(turn.db, words, turn.page_size(1))
    )
    if not results:
        turn.say(
            turn.t(N_("Nothing found for “%(text)s”."), text=words),
            turn.nav(turn.button(N_("Search"), "q")),
        )
        return
    rows = []
    for kind, item_id, title in results:
        if kind == "consultation":
            rows.append([Button(_short(title, 60), f"c:{item_id}")])
        else:
            aspiration = turn.db.get(Aspiration, item_id)
            if aspiration is not None:
                rows.append(
                    [Button(_short(f"{aspiration.ticket} · {title}", 60), f"t:{aspiration.ticket}")]
                )
    rows.append([turn.button(N_("Menu"), "m")])
    turn.say(turn.t(N_("Results for “%(text)s”:"), text=words), rows)


def _title_search(db: Session, words: str, limit: int) -> list[tuple[str, int, str]]:
    """Without the search plugin (no SEARCH_ITEMS hook): every word in the title,
    case-insensitive."""
    terms = [w for w in words.lower().split() if len(w) >= 2][:5]
    if not terms:
        return []

    def matches(column: Any) -> list[Any]:
        return [func.lower(column).like(f"%{_escape_like(t)}%", escape="\\") for t in terms]

    consultations = db.exec(
        select(Consultation)
        .where(
            col(Consultation.status).in_(
                [ConsultationStatus.open, ConsultationStatus.closed, ConsultationStatus.concluded]
            ),
            *matches(Consultation.title),
        )
        .order_by(col(Consultation.id).desc())
        .limit(limit)
    ).all()
    aspirations = db.exec(
        select(Aspiration)
        .where(
            col(Aspiration.status).in_(PUBLIC_ASPIRATION_STATUSES),
            col(Aspiration.visibility) != Visibility.confidential,
            *matches(Aspiration.title),
        )
        .order_by(col(Aspiration.id).desc())
        .limit(limit)
    ).all()
    found: list[tuple[str, int, str]] = [("consultation", c.id, c.title) for c in consultations]  # type: ignore[misc]
    found += [("aspiration", a.id, a.title) for a in aspirations]  # type: ignore[misc]
    return found[:limit]


def _support(turn: Turn, kind: str, item_id: int) -> None:
    account = actions.ensure_account(turn.db, turn.identity)
    with turn.db.begin_nested():
        if kind == "a":
            aspiration = turn.db.get(Aspiration, item_id)
            if aspiration is None:
                _menu(turn, N_("This contribution is not public."))
                return
            added = forum_actions.add_support(turn.db, account, aspiration=aspiration)
        else:
            comment = queries.access_comment(turn.db, account, item_id)
            added = forum_actions.add_support(turn.db, account, comment=comment)
    msgid = N_("Thank you for your support.") if added else N_("You already support this.")
    turn.say(turn.t(msgid), turn.nav())


def _link(turn: Turn, code: str) -> None:
    if not code:
        turn.say(
            turn.t(
                N_(
                    "Open “Link a chat” on your profile on the web, then send /tautkan followed "
                    "by the code shown there."
                )
            ),
            turn.nav(),
        )
        return
    account, moved = actions.link_identity(turn.db, turn.identity, code)
    actions.set_state(turn.identity, "idle")
    text = turn.t(
        N_(
            "This chat is now linked to the web account of %(name)s. Your contributions from "
            "here count as theirs."
        ),
        name=account.name,
    )
    if moved:
        text += "\n" + turn.t(
            N_("Earlier contributions from this chat moved to that account: %(n)s."),
            n=moved,
        )
    turn.say(text, turn.nav())
