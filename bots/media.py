"""The FETCH_JOB: download a photo or document a citizen sent in a chat during an aspiration
(bots/conversation/files.py), check and store it through ``forum.attachments.accept_files``
(the path of the web and email too), and tell the citizen: received ("Foto 1 dari 4"), refused
(naming the file and why) or not received (send it again).

Outside any database transaction for the download (up to a minute) and the checks (Pillow
decodes the photo); the dialogue state is then updated in a short write transaction that
locks the identity's row (the turn that takes the next message locks it too)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from bots import actions
from bots.channels import MediaChannel, MediaTooLarge, MediaUnavailable
from bots.conversation.files import again_text, received_text, refusal_text, stored_files
from bots.conversation.turn import Turn
from bots.delivery import channels
from bots.messages import Outbound
from bots.models import ChatIdentity
from forum import attachments
from forum.attachments import AttachmentRefused, StoredFile, TooLarge
from forum.outbox import JobContext
from forum.services import Services

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Outcome:
    stored: StoredFile | None = None
    refused: AttachmentRefused | None = None  # None with nothing stored: not received


async def fetch_job(payload: dict[str, Any], context: JobContext) -> None:
    services: Services = context.services
    settings = services.settings
    name = str(payload.get("name") or "lampiran")
    channel = channels(services).get(str(payload.get("channel", "")))
    outcome = _Outcome()
    try:
        if not isinstance(channel, MediaChannel):
            raise MediaUnavailable(f"channel {payload.get('channel')!r} cannot download files")
        data = await channel.fetch_media(str(payload["ref"]), settings.attachment_max_bytes)
    except MediaTooLarge as exc:
        log.info("chat file %s not downloaded: %s bytes", name, exc.size)
        outcome = _Outcome(refused=TooLarge(name, settings.attachment_max_mb))
    except MediaUnavailable as exc:
        log.warning("chat file %s could not be downloaded: %s", name, exc)
    else:
        outcome = await asyncio.to_thread(_accept, services, payload, name, data)
    await asyncio.to_thread(_record, services, payload, name, outcome)


def _accept(services: Services, payload: dict[str, Any], name: str, data: bytes) -> _Outcome:
    settings = services.settings
    with services.db.read() as db:
        identity = db.get(ChatIdentity, int(payload["identity_id"]))
        if identity is None or not identity.state.startswith("asp_"):
            return _Outcome()  # left the aspiration meanwhile: nothing to keep it for
        carried = stored_files(actions.state_data(identity))
        accepted = attachments.accept_files(
            db,
            identity.account_id or 0,
            [(name, data)],
            settings,
            store=attachments.store_for(settings),
            already_bytes=sum(f.byte_size for f in carried),
            whole=False,
        )
    if accepted.files:
        return _Outcome(stored=accepted.files[0])
    return _Outcome(refused=accepted.first_refusal)


def _record(services: Services, payload: dict[str, Any], name: str, outcome: _Outcome) -> None:
    with services.db.write() as db:
        identity = db.get(ChatIdentity, int(payload["identity_id"]), with_for_update=True)
        if identity is None:
            return
        data = actions.state_data(identity)
        token = payload.get("token")
        waiting = [i for i in data.get("receiving", ()) if isinstance(i, dict)]
        if not identity.state.startswith("asp_") or token not in [i.get("token") for i in waiting]:
            # Cancelled, sent or given up meanwhile: a stored file stays unreferenced.
            log.info("chat file %s no longer awaited by identity %s", name, identity.id)
            return
        data["receiving"] = [i for i in waiting if i.get("token") != token]
        turn = Turn(db, identity)
        files = stored_files(data)
        if outcome.stored is not None:
            files.append(outcome.stored)
            data["files"] = [f.to_json() for f in files]
            limit = services.settings.attachment_max_files
            text = received_text(turn, outcome.stored, len(files), limit)
        elif outcome.refused is not None:
            text = refusal_text(turn, name, outcome.refused)
        else:
            text = again_text(turn, name)
        actions.set_state(identity, identity.state, data)
        db.add(identity)
        _tell(db, identity, text)


def _tell(db: Session, identity: ChatIdentity, text: str) -> None:
    message = Outbound(identity.chat_id, text, locale=identity.locale)
    actions.queue_delivery(db, identity.channel, message, identity_id=identity.id)
