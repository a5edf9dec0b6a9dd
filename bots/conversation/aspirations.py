"""The guided aspiration dialogue: title, body, category, region, visibility."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select

from bots import actions
from bots.conversation.files import receiving, stored_files
from bots.conversation.turn import (
    VISIBILITY_LABELS,
    Turn,
    _escape_like,
    _int,
    _menu,
    _short,
)
from bots.messages import Button
from forum import actions as forum_actions
from forum import queries
from forum.errors import N_
from forum.models import (
    Category,
    Channel,
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
    waiting = receiving(data)
    if waiting:
        # A photo sent just before is still being downloaded: it goes with the aspiration.
        turn.say(
            turn.t(
                N_("Still receiving %(count)s file(s). Choose again in a moment."),
                count=len(waiting),
            )
        )
        _ask_visibility(turn)
        return
    files = stored_files(data)
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
        if files:  # with the aspiration: both, or neither
            forum_actions.attach_files(turn.db, account, files, aspiration=aspiration)
    actions.set_state(turn.identity, "idle")
    _received(turn, aspiration.ticket, len(files))


def _received(turn: Turn, ticket: str, files: int = 0) -> None:
    if not turn.capabilities.buttons:  # SMS: the keyword, and no menu to pay for
        turn.say(
            turn.t(
                N_(
                    "Thank you! Your aspiration is received with ticket %(ticket)s. It is "
                    "reviewed before it is public; you will be told by SMS. Check it: CEK "
                    "%(ticket)s"
                ),
                ticket=ticket,
            )
        )
        return
    text = turn.t(
        N_(
            "Thank you! Your aspiration is received with ticket number %(ticket)s. It is "
            "reviewed before it is public; you will be told here. Check it any time with "
            "/status %(ticket)s."
        ),
        ticket=ticket,
    )
    if files:
        text += "\n" + turn.t(N_("Files attached: %(count)s."), count=files)
    turn.say(text, turn.nav(turn.button(N_("See the ticket"), f"t:{ticket}")))


def _one_message_title(text: str) -> str:
    """The first sentence (or line) of a one-message aspiration, cut at a word to fit."""
    first = re.split(r"(?<=[.!?])\s|\n", text, maxsplit=1)[0].strip()
    if len(first) < TITLE_MIN:
        first = text
    if len(first) <= TITLE_MAX:
        return first
    cut = first[: TITLE_MAX - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > TITLE_MAX // 2 else cut).rstrip() + "…"


def _default_category(turn: Turn) -> Category | None:
    categories = queries.list_categories(turn.db)
    wanted = turn.defaults.get("category") or "lainnya"
    for category in categories:
        if category.slug == wanted:
            return category
    return categories[0] if categories else None


def _default_region(turn: Turn) -> Region | None:
    code = turn.defaults.get("region")
    if code:
        found = turn.db.exec(select(Region).where(Region.code == code)).first()
        if found is not None:
            return found
    return turn.db.exec(select(Region).order_by(col(Region.id)).limit(1)).first()


def _submit_in_one(turn: Turn, text: str) -> None:
    """An aspiration in one message (``ASPIRASI <text>`` by SMS, ``/aspirasi <text>``): the
    first sentence is its title, the category and region the channel's defaults (moderators
    can correct them), public with the name hidden."""
    body = clean_text(text)
    if len(body) < max(ASPIRATION_BODY_MIN, TITLE_MIN):
        turn.say(
            turn.t(
                N_(
                    "Write your aspiration after the word, at least %(min)s characters, e.g. "
                    "ASPIRASI Jalan di depan SDN 2 Sukamaju berlubang sejak Mei."
                ),
                min=max(ASPIRATION_BODY_MIN, TITLE_MIN),
            )
        )
        return
    category, region = _default_category(turn), _default_region(turn)
    account = actions.ensure_account(turn.db, turn.identity)
    with turn.db.begin_nested():
        aspiration = forum_actions.submit_aspiration(
            turn.db,
            account,
            title=_one_message_title(body),
            body=body,
            category_id=category.id if category else None,
            region_id=region.id if region else None,
            agency_id=None,
            visibility=Visibility.anonymous,
            channel=Channel(turn.identity.channel),
        )
    actions.set_state(turn.identity, "idle")
    _received(turn, aspiration.ticket)


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
