"""Consultations over chat: the open list, a draft's sections, published comments, commenting."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select

from bots import actions
from bots.conversation.turn import (
    COMMENTS_SHOWN,
    Turn,
    _account_or_none,
    _menu,
    _short,
)
from bots.messages import Button
from forum import actions as forum_actions
from forum import queries
from forum.errors import N_
from forum.i18n import Formatter
from forum.models import (
    Agency,
    Channel,
    Comment,
    Consultation,
    ConsultationStatus,
    ContentStatus,
)


def _list_consultations(turn: Turn, page: int) -> None:
    items = queries.list_open_consultations(turn.db, limit=200)
    if not items:
        _menu(turn, N_("No consultation is open at the moment."))
        return
    size = turn.page_size(2)  # more, menu
    shown = items[page * size : (page + 1) * size]
    rows = [[Button(_short(c.title, 60), f"c:{c.id}")] for c in shown]
    if len(items) > (page + 1) * size:
        rows.append([turn.button(N_("More"), f"cl:{page + 1}")])
    rows.append([turn.button(N_("Menu"), "m")])
    turn.say(turn.t(N_("Consultations open for comments:")), rows)


def _open_consultation(turn: Turn, consultation_id: int) -> Consultation:
    return queries.access_consultation(turn.db, None, consultation_id)


def _show_consultation(turn: Turn, consultation_id: int, page: int = 0) -> None:
    consultation = _open_consultation(turn, consultation_id)
    agency = turn.db.get(Agency, consultation.agency_id)
    fmt = Formatter(turn.locale, turn.timezone)
    sections = queries.list_sections(turn.db, consultation.id)  # type: ignore[arg-type]
    lines = [consultation.title, agency.name if agency else ""]
    if consultation.status == ConsultationStatus.open:
        lines.append(
            turn.t(
                N_("Open for comments until %(date)s."), date=fmt.datetime(consultation.closes_at)
            )
        )
    else:
        lines.append(turn.t(N_("Not open for comments.")))
    if consultation.summary:
        lines += ["", consultation.summary]
    lines += ["", turn.t(N_("Choose a section to read it:"))]
    size = turn.page_size(3)  # more sections, comment on the whole draft, menu
    shown = sections[page * size : (page + 1) * size]
    rows = [
        [Button(_short(f"{s.position}. {s.heading}", 60), f"s:{consultation.id}:{s.position}")]
        for s in shown
    ]
    if len(sections) > (page + 1) * size:
        rows.append([turn.button(N_("More sections"), f"c:{consultation.id}:{page + 1}")])
    if consultation.status == ConsultationStatus.open:
        rows.append([turn.button(N_("Comment on the whole draft"), f"cm:{consultation.id}:0")])
    rows.append([turn.button(N_("Menu"), "m")])
    turn.say("\n".join(line for line in lines if line is not None), rows)


def _show_section(turn: Turn, consultation_id: int, position: int) -> None:
    consultation = _open_consultation(turn, consultation_id)
    section = queries.get_section(turn.db, consultation.id, position)  # type: ignore[arg-type]
    count = queries.list_sections(turn.db, consultation.id)  # type: ignore[arg-type]
    rows: list[list[Button]] = []
    if consultation.status == ConsultationStatus.open:
        rows.append(
            [turn.button(N_("Comment on this section"), f"cm:{consultation.id}:{section.id}")]
        )
    rows.append(
        [
            turn.button(
                N_("Read comments (%(n)s)"),
                f"cc:{consultation.id}:{section.id}",
                n=section.comment_count,
            )
        ]
    )
    if any(s.position == position + 1 for s in count):
        rows.append([turn.button(N_("Next section"), f"s:{consultation.id}:{position + 1}")])
    rows.append([turn.button(N_("Back to the consultation"), f"c:{consultation.id}")])
    turn.say(f"{section.heading}\n\n{section.body}", rows)


def _show_comments(turn: Turn, consultation_id: int, section_id: int | None) -> None:
    consultation = _open_consultation(turn, consultation_id)
    account = _account_or_none(turn)
    where: list[Any] = [
        Comment.consultation_id == consultation.id,
        Comment.status == ContentStatus.published,
        col(Comment.parent_id).is_(None),
    ]
    where.append(
        Comment.section_id == section_id if section_id else col(Comment.section_id).is_(None)
    )
    comments = list(
        turn.db.exec(
            select(Comment).where(*where).order_by(col(Comment.id).desc()).limit(COMMENTS_SHOWN)
        )
    )
    if not comments:
        turn.say(
            turn.t(N_("No published comment yet.")),
            turn.nav(turn.button(N_("Back to the consultation"), f"c:{consultation.id}")),
        )
        return
    for comment in reversed(comments):
        rows = []
        if consultation.status == ConsultationStatus.open:
            rows.append(turn.button(N_("Reply"), f"rc:{comment.id}"))
        if account is None or account.id != comment.author_id:
            rows.append(
                turn.button(N_("Support (%(n)s)"), f"sp:c:{comment.id}", n=comment.support_count)
            )
        turn.say(f"#{comment.id}\n{comment.body}", [rows])
    turn.say(
        turn.t(N_("The latest published comments are above.")),
        turn.nav(turn.button(N_("Back to the consultation"), f"c:{consultation.id}")),
    )


def _start_comment(
    turn: Turn, consultation_id: int, section_id: int | None, parent_id: int | None
) -> None:
    consultation = _open_consultation(turn, consultation_id)
    if consultation.status != ConsultationStatus.open:
        _menu(turn, N_("This consultation is not open for comments."))
        return
    actions.set_state(
        turn.identity,
        "comment",
        {"consultation_id": consultation.id, "section_id": section_id, "parent_id": parent_id},
    )
    turn.say(
        turn.t(N_("Write your comment in one message. It is reviewed before it is public.")),
        [[turn.button(N_("Cancel"), "ax")]],
    )


def _start_reply(turn: Turn, comment_id: int) -> None:
    comment = queries.access_comment(turn.db, None, comment_id)
    _start_comment(turn, comment.consultation_id, comment.section_id, comment.id)


def _submit_comment(turn: Turn, data: dict[str, Any], text: str) -> None:
    consultation = _open_consultation(turn, int(data.get("consultation_id") or 0))
    account = actions.ensure_account(turn.db, turn.identity)
    with turn.db.begin_nested():
        comment = forum_actions.submit_comment(
            turn.db,
            account,
            consultation,
            body=text,
            section_id=data.get("section_id"),
            parent_id=data.get("parent_id"),
            channel=Channel(turn.identity.channel),
        )
    actions.set_state(turn.identity, "idle")
    turn.say(
        turn.t(
            N_(
                "Thank you! Your comment #%(id)s awaits review. You will be told here when it is "
                "published."
            ),
            id=comment.id,
        ),
        turn.nav(turn.button(N_("Back to the consultation"), f"c:{consultation.id}")),
    )
