"""Mails about getting into an account: the confirmation of an address (a link and a 6-digit
code), a password reset link, a sign-in code, and the notices that a password was reset or an
address replaced. They go through the durable outbox like notification mail (a job per mail,
retried; the same Message-ID when retried) and are written by ``forum.email.build``.

A job's payload holds the link token or code sealed (AES-GCM, REMBUG_SEALING_KEYS, bound to
the token row), never in the clear; the token table keeps only hashes. Every mail is in
Bahasa Indonesia first, then English (the address may be a stranger's: they read both)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlmodel import Session

from forum import sealing
from forum.email import build, mail_domain, may_mail, message_id_for, send
from forum.errors import N_
from forum.i18n import gettext
from forum.models import Account
from forum.outbox import JobContext, PermanentError, enqueue

JOB = "account-mail"

CONFIRM, RESET, CODE, RESET_DONE, EMAIL_CHANGED = (
    "confirm",
    "reset",
    "code",
    "reset-done",
    "email-changed",
)

SUBJECTS = {
    CONFIRM: N_("Confirm your email address for Rembug"),
    RESET: N_("Reset your Rembug password"),
    CODE: N_("Your Rembug sign-in code: %(code)s"),
    RESET_DONE: N_("Your Rembug password was reset"),
    EMAIL_CHANGED: N_("The email address of your Rembug account was changed"),
}

BODIES = {
    CONFIRM: N_(
        "Someone (hopefully you) created a Rembug account with this email address. Confirm "
        "it by opening this link:\n\n%(link)s\n\nor by typing this code on the page "
        "%(page)s: %(code)s\n\nIf it was not you, ignore this mail: the account is removed "
        "after %(days)s days and no other mail comes to this address."
    ),
    RESET: N_(
        "Someone (hopefully you) asked to reset the password of the Rembug account with this "
        "email address. Choose a new password here (the link works once, for %(minutes)s "
        "minutes):\n\n%(link)s\n\nIf it was not you, ignore this mail: your password stays "
        "as it is."
    ),
    CODE: N_(
        "Your code to sign in to Rembug is %(code)s. It works once, for %(minutes)s minutes. "
        "Nobody from Rembug or the agency ever asks you for it: do not give it to anyone."
    ),
    RESET_DONE: N_(
        "The password of your Rembug account was reset and every device was logged out. If "
        "it was not you, reset it again at %(link)s and tell the administrators."
    ),
    EMAIL_CHANGED: N_(
        "The email address of your Rembug account was changed to %(address)s; this address "
        "gets no more mail from Rembug. If it was not you, tell the administrators at once."
    ),
}

SECRET_KINDS = (CONFIRM, RESET, CODE)
MAIL_LOCALES = ("id", "en")  # every account mail: Bahasa Indonesia first, then English


def _context(token_id: int) -> bytes:
    return f"account-mail|{token_id}".encode()


def queue(
    db: Session,
    kind: str,
    account: Account,
    *,
    to: str,
    sealing_keys: str,
    token_id: int,
    secret: str = "",
    params: dict[str, Any] | None = None,
    former: bool = False,
) -> bool:
    """Queue one account mail in the caller's transaction, if ``forum.email.may_mail``
    allows it (``former``: the notice to an address the account just left, allowed when it
    was confirmed). False when nothing was queued."""
    assert account.id is not None
    purpose = kind if kind in SECRET_KINDS else "notice"
    if not former and not may_mail(account, to=to, purpose=purpose):
        return False
    payload: dict[str, Any] = {
        "kind": kind,
        "account_id": account.id,
        "to": to,
        "token_id": token_id,
        "params": params or {},
        "former": former,
    }
    if secret:
        payload["sealed"] = sealing.ring(sealing_keys).seal(
            secret.encode(), context=_context(token_id)
        )
    enqueue(db, JOB, payload, dedupe_key=f"account-mail:{kind}:{token_id}")
    return True


def compose(kind: str, *, sender: str, to: str, token_id: int, params: dict[str, Any]) -> Any:
    """The mail itself: Indonesian first, then English."""
    first, second = MAIL_LOCALES
    subject = gettext(first, SUBJECTS[kind], **params)
    parts = [gettext(locale, BODIES[kind], **params) for locale in (first, second)]
    footer = gettext(first, N_("This mail was sent automatically by Rembug; do not reply."))
    text = f"{parts[0]}\n\n* * *\n\n{parts[1]}\n\n-- \n{footer}\n"
    return build(
        sender=sender,
        to=to,
        subject=subject,
        text=text,
        message_id=message_id_for(f"account.{kind}", token_id, mail_domain(sender)),
        locale=first,
    )


def make_handler(
    db_factory: Callable[[], Any],
    smtp_url: str,
    sender: str,
    base_url: str,
    sealing_keys: str,
    days: int,
) -> Callable[[dict[str, Any], JobContext], None]:
    """The outbox handler for account mails (checks ``may_mail`` again when sending: the
    address may have changed since)."""

    def handle(payload: dict[str, Any], ctx: JobContext) -> None:
        kind, to, token_id = payload["kind"], payload["to"], int(payload["token_id"])
        with db_factory() as db:
            account = db.get(Account, payload["account_id"])
            if account is None:
                return
            purpose = kind if kind in SECRET_KINDS else "notice"
            if not payload.get("former") and not may_mail(account, to=to, purpose=purpose):
                return
        params: dict[str, Any] = dict(payload.get("params") or {})
        if "sealed" in payload:
            try:
                secret = (
                    sealing.ring(sealing_keys)
                    .open(payload["sealed"], context=_context(token_id))
                    .decode()
                )
            except sealing.SealingError as exc:
                raise PermanentError(f"account mail secret unreadable: {exc}") from None
            token, _, code = secret.partition("|")
            if kind == CONFIRM:
                params.update(
                    link=f"{base_url}/konfirmasi/{token}",
                    page=f"{base_url}/saya/konfirmasi",
                    code=code,
                    days=days,
                )
            elif kind == RESET:
                params.update(link=f"{base_url}/atur-ulang-sandi/{token}")
            else:
                params.update(code=code)
        if kind == RESET_DONE:
            params.update(link=f"{base_url}/lupa-sandi")
        message = compose(kind, sender=sender, to=to, token_id=token_id, params=params)
        if not smtp_url:
            raise PermanentError("REMBUG_SMTP_URL is not set: account mail cannot be sent")
        send(smtp_url, message)

    return handle
