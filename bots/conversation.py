"""The dialogue every chat channel shares: ``handle(db, inbound)`` reads the person's state from
the database, calls the forum actions, stores the next state and returns the answers.

Callback data is short (``c:12``, ``s:12:3``…) to stay within Telegram's 64 bytes; every text
is a translatable msgid rendered in the identity's language.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from bots import actions
from bots.channels import DEFAULT_CAPABILITIES, Capabilities
from bots.messages import Button, Inbound, Outbound, split_text
from bots.models import ChatIdentity
from forum import actions as forum_actions
from forum import queries
from forum.errors import N_, ActionError, Invalid
from forum.i18n import Formatter, gettext
from forum.models import (
    PUBLIC_ASPIRATION_STATUSES,
    Agency,
    Aspiration,
    Category,
    Channel,
    Comment,
    Consultation,
    ConsultationStatus,
    ContentStatus,
    Region,
    Visibility,
)
from forum.validation import (
    ASPIRATION_BODY_MAX,
    ASPIRATION_BODY_MIN,
    TITLE_MAX,
    TITLE_MIN,
    clean_text,
    text_length_error,
)

PAGE = 8  # choices per menu page at most (channels with fewer choices get fewer: page_size)
COMMENTS_SHOWN = 5
TICKET_RE = re.compile(r"^ASP-\d{4}-\d{6}$", re.I)

# Commands, Indonesian first, English aliases.
COMMANDS: dict[str, str] = {
    "start": "start",
    "menu": "menu",
    "bantuan": "help",
    "help": "help",
    "konsultasi": "consultations",
    "consultations": "consultations",
    "aspirasi": "aspiration",
    "aspiration": "aspiration",
    "status": "status",
    "tiket": "status",
    "saya": "mine",
    "mine": "mine",
    "cari": "search",
    "search": "search",
    "tautkan": "link",
    "link": "link",
    "berhenti": "stop",
    "stop": "stop",
    "lanjut": "resume",
    "resume": "resume",
    "batal": "cancel",
    "cancel": "cancel",
    "bahasa": "language",
    "language": "language",
}

STATUS_LABELS = {
    "pending": N_("Awaiting review"),
    "published": N_("Published"),
    "rejected": N_("Not published"),
    "routed": N_("Routed to the agency"),
    "in_progress": N_("In progress"),
    "responded": N_("Responded"),
    "closed": N_("Closed"),
    "withdrawn": N_("Withdrawn"),
}
VISIBILITY_LABELS = {
    Visibility.public: N_("Public"),
    Visibility.anonymous: N_("Public, my name hidden"),
    Visibility.confidential: N_("Confidential (agency only)"),
}

# forum.extensions.SEARCH_ITEMS: (db, viewer, query, limit) -> list of (kind, id, title), kind
# "consultation" or "aspiration".
SearchHook = Callable[[Session, Any, str, int], list[tuple[str, int, str]]]


@dataclass
class Turn:
    """What one inbound message produces: the identity (whose state changes) and the answers."""

    db: Session
    identity: ChatIdentity
    search: SearchHook | None = None
    timezone: str = "Asia/Jakarta"
    capabilities: Capabilities = DEFAULT_CAPABILITIES
    out: list[Outbound] = field(default_factory=list)

    @property
    def locale(self) -> str:
        return self.identity.locale

    def t(self, msgid: str, **params: Any) -> str:
        return gettext(self.locale, msgid, **params)

    def button(self, msgid: str, data: str, **params: Any) -> Button:
        return Button(self.t(msgid, **params), data)

    def page_size(self, reserved: int) -> int:
        """Items per menu page when ``reserved`` other buttons (more, back, menu…) share the
        message: the channel's limit on choices (WhatsApp lists: 10) decides."""
        limit = self.capabilities.max_choices
        return PAGE if limit is None else max(1, min(PAGE, limit - reserved))

    def say(self, text: str, buttons: Sequence[Sequence[Button]] = ()) -> None:
        """Queue ``text`` (already translated), split at the channel's text limit; the buttons
        go with the last part, which also fits the limit for text with buttons."""
        caps = self.capabilities
        parts = split_text(text, caps.max_text) or ["…"]
        if any(row for row in buttons) and len(parts[-1]) > caps.max_menu_text:
            parts[-1:] = split_text(parts[-1], caps.max_menu_text)
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            rows = tuple(tuple(row) for row in buttons if row) if last else ()
            self.out.append(Outbound(self.identity.chat_id, part, rows))

    def error(self, exc: ActionError) -> None:
        lines = [self.t(exc.message, **exc.params)]
        if isinstance(exc, Invalid) and exc.field_errors:
            lines = [self.t(m.text, **m.params) for m in exc.field_errors.values()]
        self.say("\n".join(lines), [[self.button(N_("Menu"), "m")]])

    def nav(self, *extra: Button) -> list[list[Button]]:
        rows = [[b] for b in extra]
        rows.append([self.button(N_("Menu"), "m")])
        return rows

    def step_nav(self) -> list[Button]:
        return [self.button(N_("Back"), "ab"), self.button(N_("Cancel"), "ax")]


def handle(
    db: Session,
    inbound: Inbound,
    *,
    search: SearchHook | None = None,
    timezone: str = "Asia/Jakarta",
    capabilities: Capabilities = DEFAULT_CAPABILITIES,
    identity: ChatIdentity | None = None,
) -> list[Outbound]:
    """The one entry point for every channel: take an inbound message, act, answer
    (``identity``: the sender's, when the caller already took it)."""
    identity = identity or actions.take_identity(db, inbound)
    if inbound.event == "blocked":
        actions.set_blocked(identity, True)
        return []
    if inbound.event == "unblocked":
        actions.set_blocked(identity, False)
        return []
    if inbound.event != "message":
        return []
    actions.set_blocked(identity, False)  # writing to us means they can be written to
    turn = Turn(db, identity, search=search, timezone=timezone, capabilities=capabilities)
    try:
        _dispatch(turn, inbound)
    except ActionError as exc:
        turn.error(exc)
    db.add(identity)
    return turn.out


def _dispatch(turn: Turn, inbound: Inbound) -> None:
    text = inbound.text.strip()
    if inbound.payload:
        _on_button(turn, inbound.payload)
    elif text.startswith("/"):
        command, _, argument = text[1:].partition(" ")
        command = command.split("@", 1)[0].lower()  # "/start@RembugBot" in groups
        _on_command(turn, COMMANDS.get(command, ""), argument.strip())
    elif turn.identity.state != "idle" and text:
        _on_text(turn, text)
    else:
        _menu(turn, N_("I did not understand that. Choose from the menu:"))


# --- commands -------------------------------------------------------------------------------


def _on_command(turn: Turn, command: str, argument: str) -> None:
    if command != "link":
        actions.set_state(turn.identity, "idle")
    if command == "start":
        if argument.startswith("k") and argument[1:].isdigit():
            _show_consultation(turn, int(argument[1:]))
        elif argument.startswith("t") and TICKET_RE.match(argument[1:]):
            _show_ticket(turn, argument[1:])
        else:
            _greet(turn)
    elif command in ("menu", "cancel"):
        _menu(turn, N_("What would you like to do?"))
    elif command == "help":
        _greet(turn)
    elif command == "consultations":
        _list_consultations(turn, 0)
    elif command == "aspiration":
        _start_aspiration(turn)
    elif command == "status":
        if argument:
            _show_ticket(turn, argument)
        else:
            actions.set_state(turn.identity, "ticket")
            turn.say(turn.t(N_("Send the ticket number, e.g. ASP-2026-000123.")), [turn.step_nav()])
    elif command == "mine":
        _my_items(turn)
    elif command == "search":
        if argument:
            _search(turn, argument)
        else:
            actions.set_state(turn.identity, "search")
            turn.say(turn.t(N_("What are you looking for? Send a few words.")), [turn.step_nav()])
    elif command == "link":
        _link(turn, argument)
    elif command == "stop":
        actions.set_notify(turn.identity, False)
        turn.say(
            turn.t(N_("Notifications are off. Send /lanjut to turn them on again.")),
            turn.nav(),
        )
    elif command == "resume":
        actions.set_notify(turn.identity, True)
        turn.say(turn.t(N_("Notifications are on.")), turn.nav())
    elif command == "language":
        wanted = argument.lower()[:2]
        if wanted not in ("id", "en"):
            wanted = "en" if turn.locale == "id" else "id"
        actions.set_locale(turn.identity, wanted)
        _menu(turn, N_("The language is now English."))
    else:
        _menu(turn, N_("I do not know this command. Choose from the menu:"))


def _greet(turn: Turn) -> None:
    turn.say(
        turn.t(
            N_(
                "Welcome to Rembug, the public dialogue forum of government agencies.\n\n"
                "Here you can read draft policies open for consultation and comment on them, "
                "send an aspiration (a suggestion, complaint or request) and follow its "
                "ticket, search, and support other citizens' contributions. Every "
                "contribution is reviewed before it is public.\n\n"
                "Commands: /konsultasi, /aspirasi, /status TICKET, /saya, /cari WORDS, "
                "/tautkan CODE, /berhenti, /bahasa."
            )
        ),
        _menu_buttons(turn),
    )


def _menu_buttons(turn: Turn) -> list[list[Button]]:
    notify = (
        turn.button(N_("Stop notifications"), "stop")
        if turn.identity.notify
        else turn.button(N_("Resume notifications"), "on")
    )
    return [
        [turn.button(N_("Open consultations"), "cl")],
        [turn.button(N_("Send an aspiration"), "a")],
        [turn.button(N_("Check a ticket"), "tk"), turn.button(N_("My items"), "my")],
        [turn.button(N_("Search"), "q"), turn.button(N_("Bahasa / Language"), "lang")],
        [notify],
    ]


def _menu(turn: Turn, msgid: str) -> None:
    turn.say(turn.t(msgid), _menu_buttons(turn))


# --- buttons --------------------------------------------------------------------------------


def _int(value: str) -> int:
    return int(value) if value.isdigit() and len(value) <= 10 else 0


def _on_button(turn: Turn, payload: str) -> None:
    head, *rest = payload.split(":")
    state = turn.identity.state
    if head.startswith("a") and state.startswith("asp_") and head in ASPIRATION_BUTTONS:
        ASPIRATION_BUTTONS[head](turn, rest)
        return
    if head not in ("ab", "ax"):
        actions.set_state(turn.identity, "idle")
    if head == "m":
        _menu(turn, N_("What would you like to do?"))
    elif head == "cl":
        _list_consultations(turn, _int(rest[0]) if rest else 0)
    elif head == "c" and rest:
        _show_consultation(turn, _int(rest[0]), page=_int(rest[1]) if len(rest) > 1 else 0)
    elif head == "s" and len(rest) == 2:
        _show_section(turn, _int(rest[0]), _int(rest[1]))
    elif head == "cm" and len(rest) == 2:
        _start_comment(turn, _int(rest[0]), _int(rest[1]) or None, None)
    elif head == "cc" and len(rest) == 2:
        _show_comments(turn, _int(rest[0]), _int(rest[1]) or None)
    elif head == "rc" and rest:
        _start_reply(turn, _int(rest[0]))
    elif head == "a":
        _start_aspiration(turn)
    elif head == "t" and rest:
        _show_ticket(turn, rest[0])
    elif head == "tk":
        actions.set_state(turn.identity, "ticket")
        turn.say(turn.t(N_("Send the ticket number, e.g. ASP-2026-000123.")), [turn.step_nav()])
    elif head == "my":
        _my_items(turn)
    elif head == "q":
        actions.set_state(turn.identity, "search")
        turn.say(turn.t(N_("What are you looking for? Send a few words.")), [turn.step_nav()])
    elif head == "sp" and len(rest) == 2:
        _support(turn, rest[0], _int(rest[1]))
    elif head == "lang":
        _on_command(turn, "language", "")
    elif head == "stop":
        _on_command(turn, "stop", "")
    elif head == "on":
        _on_command(turn, "resume", "")
    elif head in ("ab", "ax"):
        actions.set_state(turn.identity, "idle")
        _menu(turn, N_("Cancelled. What would you like to do?"))
    else:
        _menu(turn, N_("This button is no longer valid. Choose from the menu:"))


def _on_text(turn: Turn, text: str) -> None:
    state = turn.identity.state
    data = actions.state_data(turn.identity)
    if state == "comment":
        _submit_comment(turn, data, text)
    elif state == "ticket":
        actions.set_state(turn.identity, "idle")
        _show_ticket(turn, text)
    elif state == "search":
        actions.set_state(turn.identity, "idle")
        _search(turn, text)
    elif state in ASPIRATION_TEXT:
        ASPIRATION_TEXT[state](turn, data, text)
    else:
        actions.set_state(turn.identity, "idle")
        _menu(turn, N_("What would you like to do?"))


# --- consultations --------------------------------------------------------------------------


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


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


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


# --- aspirations ----------------------------------------------------------------------------


def _start_aspiration(turn: Turn) -> None:
    actions.set_state(turn.identity, "asp_title", {})
    _ask_title(turn)


def _ask_title(turn: Turn) -> None:
    turn.say(
        turn.t(
            N_("Step 1 of 5. Send a short title for your aspiration (%(min)s-%(max)s characters)."),
            min=TITLE_MIN,
            max=TITLE_MAX,
        ),
        [[turn.button(N_("Cancel"), "ax")]],
    )


def _ask_body(turn: Turn) -> None:
    turn.say(
        turn.t(
            N_(
                "Step 2 of 5. Describe your aspiration: what, where, since when. Do not write "
                "your NIK or phone number."
            )
        ),
        [turn.step_nav()],
    )


def _ask_category(turn: Turn, page: int = 0) -> None:
    categories = queries.list_categories(turn.db)
    size = turn.page_size(3)  # more, back, cancel
    shown = categories[page * size : (page + 1) * size]
    rows = [
        [Button(_short(c.name_en if turn.locale == "en" else c.name_id, 60), f"ac:{c.id}")]
        for c in shown
    ]
    if len(categories) > (page + 1) * size:
        rows.append([turn.button(N_("More"), f"acp:{page + 1}")])
    rows.append(turn.step_nav())
    turn.say(turn.t(N_("Step 3 of 5. Choose a category:")), rows)


def _provinces(turn: Turn) -> list[Region]:
    return list(
        turn.db.exec(select(Region).where(Region.kind == "province").order_by(col(Region.name)))
    )


def _ask_province(turn: Turn, page: int = 0) -> None:
    provinces = _provinces(turn)
    size = turn.page_size(3)  # more, back, cancel
    shown = provinces[page * size : (page + 1) * size]
    rows = [[Button(_short(p.name, 60), f"ap:{p.code}")] for p in shown]
    if len(provinces) > (page + 1) * size:
        rows.append([turn.button(N_("More"), f"app:{page + 1}")])
    rows.append(turn.step_nav())
    turn.say(
        turn.t(
            N_(
                "Step 4 of 5. Which region is it about? Choose a province, or type the name of a "
                "regency or city:"
            )
        ),
        rows,
    )


def _ask_regency(turn: Turn, province_code: str, page: int = 0) -> None:
    province = turn.db.exec(select(Region).where(Region.code == province_code)).first()
    if province is None:
        _ask_province(turn)
        return
    children = list(
        turn.db.exec(
            select(Region).where(Region.parent_code == province.code).order_by(col(Region.name))
        )
    )
    size = turn.page_size(4)  # the whole province, more, back, cancel
    shown = children[page * size : (page + 1) * size]
    rows = []
    if page == 0:
        rows.append([turn.button(N_("The whole province"), f"ar:{province.id}")])
    rows += [[Button(_short(r.name, 60), f"ar:{r.id}")] for r in shown]
    if len(children) > (page + 1) * size:
        rows.append([turn.button(N_("More"), f"arp:{province.code}:{page + 1}")])
    rows.append(turn.step_nav())
    turn.say(turn.t(N_("%(province)s: choose the regency or city:"), province=province.name), rows)


def _ask_visibility(turn: Turn) -> None:
    rows = [[turn.button(label, f"av:{value.value}")] for value, label in VISIBILITY_LABELS.items()]
    rows.append(turn.step_nav())
    turn.say(turn.t(N_("Step 5 of 5. Who may see your aspiration?")), rows)


def _asp_title(turn: Turn, data: dict[str, Any], text: str) -> None:
    title = clean_text(text)
    problem = text_length_error(title, TITLE_MIN, TITLE_MAX)
    if problem:
        turn.say(turn.t(problem.text, **problem.params), [[turn.button(N_("Cancel"), "ax")]])
        return
    actions.set_state(turn.identity, "asp_body", {**data, "title": title})
    _ask_body(turn)


def _asp_body(turn: Turn, data: dict[str, Any], text: str) -> None:
    body = clean_text(text)
    problem = text_length_error(body, ASPIRATION_BODY_MIN, ASPIRATION_BODY_MAX)
    if problem:
        turn.say(turn.t(problem.text, **problem.params), [turn.step_nav()])
        return
    actions.set_state(turn.identity, "asp_category", {**data, "body": body})
    _ask_category(turn)


def _asp_category_text(turn: Turn, data: dict[str, Any], text: str) -> None:
    wanted = text.strip().lower()
    for category in queries.list_categories(turn.db):
        if wanted in (category.name_id.lower(), category.name_en.lower(), category.slug):
            _choose_category(turn, [str(category.id)])
            return
    turn.say(turn.t(N_("Please choose one of the buttons.")), [turn.step_nav()])
    _ask_category(turn)


def _asp_region_text(turn: Turn, data: dict[str, Any], text: str) -> None:
    """Typed region names: one match is taken, several are offered as buttons."""
    wanted = clean_text(text).lower()
    if len(wanted) < 3:
        turn.say(turn.t(N_("Type at least 3 letters of the name.")), [turn.step_nav()])
        return
    matches = list(
        turn.db.exec(
            select(Region)
            .where(func.lower(Region.name).like(f"%{_escape_like(wanted)}%", escape="\\"))
            .order_by(func.length(Region.name), col(Region.name))
            .limit(turn.page_size(2))  # back, cancel
        )
    )
    exact = [
        r for r in matches if r.name.lower() in (wanted, f"kota {wanted}", f"kabupaten {wanted}")
    ]
    if len(matches) == 1 or len(exact) == 1:
        _choose_region(turn, [str((exact or matches)[0].id)])
        return
    if not matches:
        turn.say(
            turn.t(
                N_("No region matches “%(text)s”. Try another name or choose a province."),
                text=text[:60],
            ),
            [turn.step_nav()],
        )
        _ask_province(turn)
        return
    rows = [[Button(_short(r.name, 60), f"ar:{r.id}")] for r in matches]
    rows.append(turn.step_nav())
    turn.say(turn.t(N_("Which one do you mean?")), rows)


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _choose_category(turn: Turn, rest: list[str]) -> None:
    data = actions.state_data(turn.identity)
    category = turn.db.get(Category, _int(rest[0])) if rest else None
    if category is None or not category.is_active:
        _ask_category(turn)
        return
    actions.set_state(turn.identity, "asp_region", {**data, "category_id": category.id})
    _ask_province(turn)


def _choose_province(turn: Turn, rest: list[str]) -> None:
    _ask_regency(turn, rest[0] if rest else "")


def _choose_region(turn: Turn, rest: list[str]) -> None:
    data = actions.state_data(turn.identity)
    region = turn.db.get(Region, _int(rest[0])) if rest else None
    if region is None:
        _ask_province(turn)
        return
    actions.set_state(turn.identity, "asp_visibility", {**data, "region_id": region.id})
    _ask_visibility(turn)


def _choose_visibility(turn: Turn, rest: list[str]) -> None:
    data = actions.state_data(turn.identity)
    try:
        visibility = Visibility(rest[0] if rest else "")
    except ValueError:
        _ask_visibility(turn)
        return
    account = actions.ensure_account(turn.db, turn.identity)
    with turn.db.begin_nested():
        aspiration = forum_actions.submit_aspiration(
            turn.db,
            account,
            title=str(data.get("title", "")),
            body=str(data.get("body", "")),
            category_id=data.get("category_id"),
            region_id=data.get("region_id"),
            agency_id=None,
            visibility=visibility,
            channel=Channel(turn.identity.channel),
        )
    actions.set_state(turn.identity, "idle")
    turn.say(
        turn.t(
            N_(
                "Thank you! Your aspiration is received with ticket number %(ticket)s. It is "
                "reviewed before it is public; you will be told here. Check it any time with "
                "/status %(ticket)s."
            ),
            ticket=aspiration.ticket,
        ),
        turn.nav(turn.button(N_("See the ticket"), f"t:{aspiration.ticket}")),
    )


def _aspiration_back(turn: Turn, rest: list[str]) -> None:
    data = actions.state_data(turn.identity)
    previous = {
        "asp_title": None,
        "asp_body": "asp_title",
        "asp_category": "asp_body",
        "asp_region": "asp_category",
        "asp_visibility": "asp_region",
    }.get(turn.identity.state)
    if previous is None:
        actions.set_state(turn.identity, "idle")
        _menu(turn, N_("Cancelled. What would you like to do?"))
        return
    actions.set_state(turn.identity, previous, data)
    {
        "asp_title": _ask_title,
        "asp_body": _ask_body,
        "asp_category": _ask_category,
        "asp_region": _ask_province,
    }[previous](turn)


def _aspiration_cancel(turn: Turn, rest: list[str]) -> None:
    actions.set_state(turn.identity, "idle")
    _menu(turn, N_("Your aspiration was not sent. What would you like to do?"))


ASPIRATION_BUTTONS: dict[str, Callable[[Turn, list[str]], None]] = {
    "ac": _choose_category,
    "acp": lambda turn, rest: _ask_category(turn, _int(rest[0]) if rest else 0),
    "ap": _choose_province,
    "app": lambda turn, rest: _ask_province(turn, _int(rest[0]) if rest else 0),
    "arp": lambda turn, rest: (
        _ask_regency(turn, rest[0], _int(rest[1])) if len(rest) == 2 else _ask_province(turn)
    ),
    "ar": _choose_region,
    "av": _choose_visibility,
    "ab": _aspiration_back,
    "ax": _aspiration_cancel,
}
ASPIRATION_TEXT: dict[str, Callable[[Turn, dict[str, Any], str], None]] = {
    "asp_title": _asp_title,
    "asp_body": _asp_body,
    "asp_category": _asp_category_text,
    "asp_region": _asp_region_text,
    "asp_visibility": lambda turn, data, text: _ask_visibility(turn),
}


# --- tickets, my items, search, support -----------------------------------------------------


def _account_or_none(turn: Turn) -> Any:
    if turn.identity.account_id is None:
        return None
    from forum.models import Account

    return turn.db.get(Account, turn.identity.account_id)


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
