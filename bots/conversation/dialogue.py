"""The entry point ``handle``: commands, buttons and free text routed to the parts."""

from __future__ import annotations

from sqlmodel import Session

from bots import actions
from bots.channels import DEFAULT_CAPABILITIES, Capabilities
from bots.conversation.aspirations import (
    ASPIRATION_BUTTONS,
    ASPIRATION_TEXT,
    _start_aspiration,
    _submit_in_one,
)
from bots.conversation.consultations import (
    _list_consultations,
    _show_comments,
    _show_consultation,
    _show_section,
    _start_comment,
    _start_reply,
    _submit_comment,
)
from bots.conversation.files import on_media
from bots.conversation.tickets import (
    _link,
    _my_items,
    _search,
    _show_ticket,
    _support,
)
from bots.conversation.turn import (
    COMMANDS,
    TICKET_RE,
    FileLimits,
    SearchHook,
    Turn,
    _int,
    _menu,
    _menu_buttons,
)
from bots.messages import Inbound, Outbound
from bots.models import ChatIdentity
from forum.errors import N_, ActionError


def handle(
    db: Session,
    inbound: Inbound,
    *,
    search: SearchHook | None = None,
    timezone: str = "Asia/Jakarta",
    capabilities: Capabilities = DEFAULT_CAPABILITIES,
    identity: ChatIdentity | None = None,
    defaults: dict[str, str] | None = None,
    files: FileLimits | None = None,
) -> list[Outbound]:
    """The one entry point for every channel: take an inbound message, act, answer
    (``identity``: the sender's, when the caller already took it; ``defaults``: see
    ``Turn.defaults``; ``files``: what the channel accepts of photos and documents, None
    when it takes none)."""
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
    turn = Turn(
        db,
        identity,
        search=search,
        timezone=timezone,
        capabilities=capabilities,
        defaults=defaults or {},
        files=files,
    )
    try:
        _dispatch(turn, inbound)
    except ActionError as exc:
        turn.error(exc)
    db.add(identity)
    return turn.out


def _dispatch(turn: Turn, inbound: Inbound) -> None:
    text = inbound.text.strip()
    if inbound.media:
        on_media(turn, inbound, ASPIRATION_TEXT)
    elif inbound.payload:
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
        if argument:
            _submit_in_one(turn, argument)
        else:
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
