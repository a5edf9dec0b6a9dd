"""Single-use secrets sent to a person (table ``account_token``): the pieces that confirmation
mails, password resets and sign-in codes share, and sending a confirmation mail.

Only hashes are stored: a link token as SHA-256, a 6-digit code as an HMAC keyed with the
server secret and salted with its row's token hash (a million codes are too few for a bare
hash). A row's ``binding`` digests what it was issued for; when that changes (a new password,
another address) the row stops working."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from forum import account_mail, ratelimit
from forum import events as ev
from forum.actions.sessions import hash_token
from forum.errors import N_, Conflict, Invalid, Msg
from forum.models import Account, AccountToken, TokenPurpose, utcnow

LINK_INVALID = N_(
    "This link does not work (any more): it was used, it expired, or the account changed "
    "since. Ask for a new one."
)
CODE_WRONG = N_("The code is wrong or has expired.")
CODE_LOCKED = N_("Too many wrong tries: this code no longer works. Ask for a new one.")
CONFIRM_LINK_DAYS = 7  # a confirmation link and its code work this long (see the cleanup)


@dataclass(frozen=True)
class AccessRules:
    """What the access actions need from the settings: keys, limits and lifetimes."""

    secret_key: str  # keys the code HMACs (REMBUG_SECRET_KEY)
    sealing_keys: str  # seals secrets in mail jobs (REMBUG_SEALING_KEYS)
    per_hour: int = 5  # mails per address/account per hour; ten times that per IP
    code_minutes: int = 10
    max_tries: int = 5
    reset_minutes: int = 30
    unconfirmed_days: int = 7


def new_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def code_hash(secret_key: str, token_hash: str, code: str) -> str:
    message = f"code|{token_hash}|{code}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()


def binding(value: str | None) -> str:
    return hashlib.sha256(f"binding|{value or ''}".encode()).hexdigest()


def normal_code(code: str) -> str:
    return "".join(ch for ch in code if not ch.isspace() and ch != "-")


def recent_tokens(db: Session, account_id: int, purpose: TokenPurpose, since: datetime) -> int:
    query = (
        select(func.count())
        .select_from(AccountToken)
        .where(
            AccountToken.account_id == account_id,
            AccountToken.purpose == purpose,
            col(AccountToken.created_at) >= since,
        )
    )
    return int(db.exec(query).one())


def limit_requests(
    db: Session, *, ip: str, address: str, rules: AccessRules, now: datetime
) -> None:
    """Per-IP and per-address limits on asking for a mail or a code: refused alike whether
    or not the address has an account (the answer says nothing about it)."""
    message = N_("Too many requests. Please wait %(minutes)s minutes and try again.")
    hour = timedelta(hours=1)
    ratelimit.hit(
        db, f"access-ip:{ip}", limit=rules.per_hour * 10, window=hour, now=now, message=message
    )
    ratelimit.hit(
        db,
        f"access-to:{address}"[:200],
        limit=rules.per_hour,
        window=hour,
        now=now,
        message=message,
    )


def usable(row: AccountToken | None, purpose: TokenPurpose, now: datetime) -> bool:
    return (
        row is not None and row.purpose == purpose and row.used_at is None and row.expires_at > now
    )


def claim(db: Session, row: AccountToken, now: datetime) -> None:
    """Mark a row used, once: two requests with the same token cannot both succeed."""
    done = db.execute(
        update(AccountToken)
        .where(col(AccountToken.id) == row.id, col(AccountToken.used_at).is_(None))
        .values(used_at=now)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(LINK_INVALID)


def check_code(
    db: Session, row: AccountToken, code: str, *, rules: AccessRules, ip: str, now: datetime
) -> None:
    """Accept the row's code, or count a wrong try (the caller commits the count even though
    its answer is an error). After ``rules.max_tries`` wrong tries the code is dead; wrong
    codes from one IP address are limited over all rows too."""
    assert row.id is not None
    window = timedelta(minutes=max(rules.code_minutes, 15))
    ratelimit.check(
        db,
        f"code-wrong-ip:{ip}",
        limit=rules.max_tries * 4,
        window=window,
        now=now,
        message=N_("Too many wrong codes. Try again in %(minutes)s minutes."),
    )
    if row.tries >= rules.max_tries:
        raise Invalid(CODE_LOCKED, field_errors={"code": Msg(CODE_LOCKED)})
    expected = row.code_hash or ""
    given = code_hash(rules.secret_key, row.token_hash, normal_code(code))
    if row.account_id is not None and hmac.compare_digest(expected, given):
        return
    db.execute(
        update(AccountToken)
        .where(col(AccountToken.id) == row.id)
        .values(tries=col(AccountToken.tries) + 1)
    )
    ratelimit.record(db, f"code-wrong-ip:{ip}", now=now)
    if row.tries + 1 >= rules.max_tries:
        if row.account_id is not None:
            ev.emit(db, ev.AccountAccess(row.account_id, None, "code-locked", ip[:64], row.channel))
        raise Invalid(CODE_LOCKED, field_errors={"code": Msg(CODE_LOCKED)})
    raise Invalid(CODE_WRONG, field_errors={"code": Msg(CODE_WRONG)})


def send_confirmation(
    db: Session,
    account: Account,
    *,
    rules: AccessRules,
    ip: str,
    address: str | None = None,
    actor_id: int | None = None,
    now: datetime | None = None,
) -> bool:
    """Mail a confirmation (a link and a 6-digit code) to the account's address, or to
    ``address`` (a new one waiting in ``pending_email``). At most ``rules.per_hour`` an hour
    per account; False when none was sent."""
    now = now or utcnow()
    assert account.id is not None
    address = address or account.email
    if not address:
        return False
    if recent_tokens(db, account.id, TokenPurpose.confirm, now - timedelta(hours=1)) >= (
        rules.per_hour
    ):
        return False
    token, code = secrets.token_urlsafe(32), new_code()
    digest = hash_token(token)
    row = AccountToken(
        purpose=TokenPurpose.confirm,
        account_id=account.id,
        token_hash=digest,
        code_hash=code_hash(rules.secret_key, digest, code),
        binding=binding(address),
        expires_at=now + timedelta(days=CONFIRM_LINK_DAYS),
        created_ip=ip[:64],
        created_at=now,
    )
    db.add(row)
    db.flush()
    assert row.id is not None
    queued = account_mail.queue(
        db,
        account_mail.CONFIRM,
        account,
        to=address,
        sealing_keys=rules.sealing_keys,
        token_id=row.id,
        secret=f"{token}|{code}",
    )
    if queued:
        ev.emit(db, ev.AccountAccess(account.id, actor_id, "confirm-sent", ip[:64], "email"))
    return queued


def confirm_address(
    db: Session,
    account: Account,
    row: AccountToken,
    *,
    ip: str,
    actor_id: int | None,
    rules: AccessRules,
    now: datetime,
) -> str:
    """Apply a valid confirmation row: the address it was issued for becomes confirmed (a
    waiting new address replaces the old one, which is told). Returns the change."""
    assert account.id is not None and row.id is not None
    pending = account.pending_email
    if pending and row.binding == binding(pending):
        taken = db.exec(
            select(Account.id).where(Account.email == pending, col(Account.id) != account.id)
        ).first()
        if taken is not None:
            raise Conflict(N_("Another account uses this email address now."))
        claim(db, row, now)
        old, old_confirmed = account.email, account.email_confirmed_at is not None
        account.email, account.pending_email, account.email_confirmed_at = pending, None, now
        db.add(account)
        db.flush()
        if old and old_confirmed:
            account_mail.queue(
                db,
                account_mail.EMAIL_CHANGED,
                account,
                to=old,
                sealing_keys=rules.sealing_keys,
                token_id=row.id,
                params={"address": pending},
                former=True,
            )
        ev.emit(db, ev.AccountAccess(account.id, actor_id, "email-changed", ip[:64], "email"))
        return "email-changed"
    if account.email and row.binding == binding(account.email):
        claim(db, row, now)
        if account.email_confirmed_at is None:
            account.email_confirmed_at = now
            db.add(account)
        ev.emit(db, ev.AccountAccess(account.id, actor_id, "email-confirmed", ip[:64], "email"))
        return "email-confirmed"
    raise Conflict(LINK_INVALID)
