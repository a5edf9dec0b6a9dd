"""Photos and documents sent in a chat (issue 20): taken while the citizen writes an
aspiration, downloaded after the turn by the FETCH_JOB (bots/media.py), kept in the dialogue
state as ``StoredFile`` descriptions and attached when the aspiration is sent.

The state's data carry ``files`` (the accepted files, in the store already) and
``receiving`` (the ones being downloaded: a token, the name, when it came)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from bots import actions
from bots.actions import FETCH_JOB
from bots.conversation.turn import Turn
from bots.messages import Inbound
from forum.attachments import AttachmentRefused, StoredFile, TooLarge, TooManyFiles, clean_name
from forum.errors import N_
from forum.models import utcnow
from forum.outbox import enqueue

# A download not finished after this is given up for the sending (its job failed for good or
# the worker was down): the aspiration can still be sent without it.
RECEIVING_FOR = timedelta(minutes=10)


def refusal_text(turn: Turn, name: str, error: AttachmentRefused) -> str:
    """Why ``name`` is not attached, naming it (the messages of the count and the quota do
    not name a file themselves)."""
    reason = turn.t(error.message, **error.params)
    if "name" in error.params:
        return reason
    return turn.t(N_("%(name)s was not attached. %(reason)s"), name=name, reason=reason)


def stored_files(data: dict[str, Any]) -> list[StoredFile]:
    found = []
    for item in data.get("files", ()):
        try:
            found.append(StoredFile.from_json(item))
        except (KeyError, TypeError, ValueError):
            continue  # never a row from a bad description
    return found


def receiving(data: dict[str, Any], now: datetime | None = None) -> list[dict[str, Any]]:
    """The downloads still awaited (the ones older than RECEIVING_FOR left out)."""
    since = (now or utcnow()) - RECEIVING_FOR
    found = []
    for item in data.get("receiving", ()):
        try:
            if isinstance(item, dict) and datetime.fromisoformat(str(item["at"])) >= since:
                found.append(item)
        except (KeyError, ValueError):
            continue
    return found


def on_media(
    turn: Turn,
    inbound: Inbound,
    on_text: dict[str, Callable[[Turn, dict[str, Any], str], None]],
) -> None:
    """A photo or document: taken for the aspiration being written (checked for the number and
    the size the platform says, downloaded after this turn), else how to attach one. A
    caption counts as the text the title and description steps expect (``on_text``, the
    aspiration dialogue's text handlers)."""
    state = turn.identity.state
    limits = turn.files
    if limits is None:
        turn.say(turn.t(N_("Files cannot be received here.")), turn.nav())
        return
    if not state.startswith("asp_"):
        turn.say(
            turn.t(
                N_(
                    "To attach a photo or a PDF document, first start an aspiration "
                    "(/aspirasi), then send the file during its steps: it is attached to that "
                    "aspiration."
                )
            ),
            turn.nav(turn.button(N_("Send an aspiration"), "a")),
        )
        return
    data = actions.state_data(turn.identity)
    now = utcnow()
    waiting = receiving(data, now)
    count = len(stored_files(data)) + len(waiting)
    for media in inbound.media:
        name = clean_name(media.name) or "lampiran"
        if count >= limits.max_files:
            turn.say(refusal_text(turn, name, TooManyFiles(limits.max_files)))
            continue
        if media.size is not None and media.size > limits.max_bytes:
            turn.say(refusal_text(turn, name, TooLarge(name, limits.max_mb)))
            continue
        token = secrets.token_hex(8)
        waiting.append({"token": token, "name": name, "at": now.isoformat()})
        count += 1
        enqueue(
            turn.db,
            FETCH_JOB,
            {
                "identity_id": turn.identity.id,
                "channel": turn.identity.channel,
                "token": token,
                "ref": media.ref,
                "kind": media.kind,
                "name": name,
            },
            max_attempts=3,
        )
    actions.set_state(turn.identity, state, {**data, "receiving": waiting})
    caption = inbound.text.strip()
    if caption and state in ("asp_title", "asp_body") and state in on_text:
        on_text[state](turn, actions.state_data(turn.identity), caption)


def received_text(turn: Turn, stored: StoredFile, number: int, limit: int) -> str:
    name = stored.name or "lampiran"
    if stored.kind == "image":
        return turn.t(
            N_("Photo %(n)s of %(limit)s received: %(name)s."), n=number, limit=limit, name=name
        )
    return turn.t(
        N_("Document %(n)s of %(limit)s received: %(name)s."), n=number, limit=limit, name=name
    )


def again_text(turn: Turn, name: str) -> str:
    return turn.t(
        N_("%(name)s could not be received. Please send it again; your text is kept."), name=name
    )
