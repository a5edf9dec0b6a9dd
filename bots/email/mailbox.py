"""The IMAP worker (``rembug email poll``): takes each new message of the folder into the
spool, durably, and only then flags it ``\\Seen`` (or moves it to the done folder).

Nothing lost, nothing twice: a message is in the spool (fully synced) before the server
hears anything; a crash between the two leaves it unseen, so the next pass takes it again
and the spool's unique key makes that a no-op (then it is flagged). The key is the
Message-ID (the same mail delivered twice, or found again after the server renumbered the
folder, takes effect once); a mail without one is keyed by UIDVALIDITY and UID.

IMAP IDLE (RFC 2177) where the server offers it: the worker waits for the server to say
something arrived, at most ``REMBUG_IMAP_POLL_SECONDS``; otherwise it looks every that many
seconds."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import imaplib
import json
import logging
import re
import ssl
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.utils import parseaddr

from bots.email.channel import CHANNEL
from bots.email.config import EmailSettings
from forum.intake import store_now
from forum.services import Services
from forum.spool import Incoming

log = logging.getLogger(__name__)

FETCH_BATCH = 50  # messages fetched per command
_IDLE_TAG = b"RBIDLE"


class MailboxError(Exception):
    """The server refused a command (login, folder…): said once, in words an operator reads."""


@dataclass(frozen=True)
class Pass:
    """One look at the folder."""

    seen: int = 0  # new messages found
    stored: int = 0  # of which new to the spool (the rest were repeats)


def connect(config: EmailSettings) -> imaplib.IMAP4:
    """A logged-in session; the connection is closed again when TLS or the login fails."""
    if not config.imap_host:
        raise MailboxError("REMBUG_IMAP_HOST is not set")
    context = ssl.create_default_context()
    if config.imap_tls == "tls":
        imap: imaplib.IMAP4 = imaplib.IMAP4_SSL(
            config.imap_host, config.imap_port, ssl_context=context, timeout=60
        )
    else:
        imap = imaplib.IMAP4(config.imap_host, config.imap_port, timeout=60)
    try:
        if config.imap_tls == "starttls":
            if "STARTTLS" not in imap.capabilities:
                raise MailboxError(
                    f"{config.imap_host} does not offer STARTTLS (REMBUG_IMAP_TLS=starttls)"
                )
            imap.starttls(ssl_context=context)
        imap.login(config.imap_user, config.imap_password)
    except imaplib.IMAP4.error as exc:
        imap.shutdown()
        raise MailboxError(f"IMAP login to {config.imap_host} failed: {exc}") from exc
    except BaseException:
        imap.shutdown()
        raise
    return imap


def _select(imap: imaplib.IMAP4, folder: str) -> int:
    status, data = imap.select(_quoted(folder))
    if status != "OK":
        raise MailboxError(f"IMAP folder {folder!r} cannot be opened: {data!r}")
    validity = imap.response("UIDVALIDITY")[1]
    value = validity[0] if validity and validity[0] else b"0"
    return int(value.decode() if isinstance(value, bytes) else value)


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def platform_id(raw: bytes, uidvalidity: int, uid: int) -> tuple[str, str]:
    """The spool key of a message (its Message-ID, hashed; else UIDVALIDITY/UID) and its chat
    key (the sender, so one sender's mails are processed in order)."""
    headers = BytesHeaderParser().parsebytes(raw[:65536])
    message_id = " ".join(str(headers.get("Message-ID", "")).split())
    sender = parseaddr(str(headers.get("From", "")))[1].lower()
    if message_id:
        key = "mid:" + hashlib.sha256(message_id.encode()).hexdigest()[:60]
    else:
        key = f"uid:{uidvalidity}:{uid}"
    chat = hashlib.sha256(sender.encode()).hexdigest()[:32] if sender else ""
    return key, chat


def _fetch(imap: imaplib.IMAP4, uids: list[bytes], max_bytes: int) -> dict[int, tuple[bytes, bool]]:
    """UID → (the message, whether it is too large): over ``max_bytes`` only its header is
    fetched (the processor answers that it was too large)."""
    found: dict[int, tuple[bytes, bool]] = {}
    status, data = imap.uid("FETCH", b",".join(uids).decode(), "(RFC822.SIZE)")
    sizes = {}
    for line in data:
        text = line.decode() if isinstance(line, bytes) else ""
        match = re.search(r"UID (\d+)", text)
        size = re.search(r"RFC822\.SIZE (\d+)", text)
        if match and size:
            sizes[int(match.group(1))] = int(size.group(1))
    for uid in uids:
        number = int(uid)
        part = "BODY.PEEK[]" if sizes.get(number, 0) <= max_bytes else "BODY.PEEK[HEADER]"
        status, data = imap.uid("FETCH", uid.decode(), f"(UID {part})")
        if status != "OK":
            continue
        for item in data:
            if isinstance(item, tuple) and len(item) == 2:
                found[number] = (bytes(item[1]), part.endswith("[HEADER]"))
    return found


def take_new(
    services: Services, imap: imaplib.IMAP4, config: EmailSettings, *, mark: bool = True
) -> Pass:
    """One pass: every unseen message of the folder into the spool, then marked on the
    server. ``mark=False`` stops between the two (what a crash there leaves; tests)."""
    uidvalidity = _select(imap, config.imap_folder)
    status, data = imap.uid("SEARCH", "UNSEEN")
    uids = (data[0] or b"").split() if status == "OK" and data else []
    seen = stored = 0
    for start in range(0, len(uids), FETCH_BATCH):
        batch = uids[start : start + FETCH_BATCH]
        messages = _fetch(imap, batch, config.max_bytes)
        incoming = []
        for uid, (raw, too_large) in messages.items():
            key, chat = platform_id(raw, uidvalidity, uid)
            body = {
                "uidvalidity": uidvalidity,
                "uid": uid,
                "folder": config.imap_folder,
                "too_large": too_large,
                "raw": base64.b64encode(raw).decode("ascii"),
            }
            incoming.append(Incoming(CHANNEL, key, chat, json.dumps(body)))
        results = store_now(services, incoming) if incoming else []
        seen += len(incoming)
        stored += sum(results)
        if not mark:
            continue
        done = ",".join(str(uid) for uid in messages)
        if not done:
            continue
        if config.imap_done_folder:
            _move(imap, done, config.imap_done_folder)
        else:
            imap.uid("STORE", done, "+FLAGS.SILENT", r"(\Seen)")
    if seen:
        log.info(
            "mailbox %s: %s new messages, %s new to the spool", config.imap_folder, seen, stored
        )
    return Pass(seen, stored)


def _move(imap: imaplib.IMAP4, uids: str, folder: str) -> None:
    imap.create(_quoted(folder))  # answers NO when it exists: fine
    if "MOVE" in imap.capabilities:
        status, _data = imap.uid("MOVE", uids, _quoted(folder))
        if status == "OK":
            return
    imap.uid("COPY", uids, _quoted(folder))
    imap.uid("STORE", uids, "+FLAGS.SILENT", r"(\Seen \Deleted)")
    if "UIDPLUS" in imap.capabilities:
        imap.uid("EXPUNGE", uids)
    else:
        imap.expunge()


def wait_for_news(imap: imaplib.IMAP4, seconds: float) -> bool:
    """IDLE until the server reports a change or ``seconds`` pass; True when it did so (the
    caller looks again at once), False when the server has no IDLE (the caller sleeps)."""
    if "IDLE" not in imap.capabilities:
        return False
    sock = imap.socket()
    imap.send(_IDLE_TAG + b" IDLE\r\n")
    line = imap.readline()
    if not line.startswith(b"+"):
        raise MailboxError(f"IDLE refused: {line!r}")
    sock.settimeout(seconds)
    try:
        imap.readline()  # "* 5 EXISTS": something arrived
    except TimeoutError:
        pass
    finally:
        sock.settimeout(60)
    imap.send(b"DONE\r\n")
    while True:
        line = imap.readline()
        if not line or line.startswith(_IDLE_TAG):
            break
    return True


async def poll(services: Services, stop: asyncio.Event, config: EmailSettings) -> None:
    """``rembug email poll``: connect, take in, wait (IDLE or the interval), again; after a
    network error or a server refusal, reconnect with a growing pause (up to 5 minutes)."""
    pause = 5.0
    while not stop.is_set():
        try:
            imap = await asyncio.to_thread(connect, config)
        except (MailboxError, OSError) as exc:
            log.error("mailbox: %s; trying again in %.0f s", exc, pause)
            await _sleep(stop, pause)
            pause = min(pause * 2, 300.0)
            continue
        pause = 5.0
        try:
            while not stop.is_set():
                await asyncio.to_thread(take_new, services, imap, config)
                idled = await asyncio.to_thread(wait_for_news, imap, config.poll_seconds)
                if not idled:
                    await _sleep(stop, config.poll_seconds)
        except (MailboxError, OSError, imaplib.IMAP4.error) as exc:
            log.error("mailbox: %s; reconnecting in %.0f s", exc, pause)
            await _sleep(stop, pause)
        finally:
            with contextlib.suppress(OSError, imaplib.IMAP4.error):
                await asyncio.to_thread(imap.logout)


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
