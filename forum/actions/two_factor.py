"""Two-factor authentication (TOTP, forum/totp.py): enrolment, recovery codes, disabling,
administrator reset, re-sealing secrets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, update
from sqlmodel import Session, col, select

from forum import events as ev
from forum import ratelimit, totp
from forum.actions.merge import Resealed
from forum.actions.rules import require_role
from forum.actions.sessions import revoke_sessions
from forum.errors import N_, Conflict, Invalid, Msg
from forum.models import (
    Account,
    LoginChallenge,
    RecoveryCode,
    Role,
    TotpCredential,
    utcnow,
)

STAFF_ROLES = (Role.official, Role.moderator, Role.admin)


WRONG_CODE = N_("The code is wrong or has expired. Enter the current code from your app.")


USED_CODE = N_("This code was already used. Wait for the next code in your app (every 30 seconds).")


@dataclass(frozen=True)
class CodeLimits:
    """Wrong two-factor codes allowed per account and per IP address within the window."""

    per_account: int
    per_ip: int
    window: timedelta


def two_factor_required(account: Account) -> bool:
    """Officials, moderators and administrators must use two-factor authentication."""
    return account.role in STAFF_ROLES


def two_factor_enrolled(db: Session, account_id: int) -> bool:
    found = db.exec(
        select(TotpCredential.account_id).where(
            TotpCredential.account_id == account_id,
            col(TotpCredential.confirmed_at).is_not(None),
        )
    ).first()
    return found is not None


def recovery_codes_left(db: Session, account_id: int) -> int:
    query = (
        select(func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.account_id == account_id, col(RecoveryCode.used_at).is_(None))
    )
    return int(db.exec(query).one())


def _secret_of(credential: TotpCredential, secret_key: str) -> bytes:
    try:
        return totp.unseal(
            credential.secret, account_id=credential.account_id, secret_key=secret_key
        )
    except totp.SecretUnreadable:
        raise Conflict(
            N_(
                "The two-factor secret of this account cannot be read (the server key "
                "changed). An administrator must reset two-factor authentication."
            )
        ) from None


def start_enrolment(db: Session, account: Account, *, secret_key: str) -> bytes:
    """The secret to show for enrolment: the pending one (a reload shows the same QR code)
    or a new one. Nothing is enforced until ``confirm_enrolment`` gets a code from it."""
    assert account.id is not None
    credential = db.get(TotpCredential, account.id)
    if credential is not None and credential.confirmed_at is not None:
        raise Conflict(N_("Two-factor authentication is already on."))
    if credential is not None:
        try:
            return totp.unseal(credential.secret, account_id=account.id, secret_key=secret_key)
        except totp.SecretUnreadable:
            db.delete(credential)
            db.flush()
    secret = totp.new_secret()
    db.add(
        TotpCredential(
            account_id=account.id,
            secret=totp.seal(secret, account_id=account.id, secret_key=secret_key),
        )
    )
    db.flush()
    return secret


def throttle_codes(
    db: Session, account_id: int, ip: str, limits: CodeLimits, now: datetime
) -> None:
    message = N_("Too many wrong codes. Try again in %(minutes)s minutes.")
    ratelimit.check(
        db,
        f"2fa-account:{account_id}",
        limit=limits.per_account,
        window=limits.window,
        now=now,
        message=message,
    )
    ratelimit.check(
        db, f"2fa-ip:{ip}", limit=limits.per_ip, window=limits.window, now=now, message=message
    )


def wrong_code(db: Session, account_id: int, ip: str, now: datetime, message: str) -> Invalid:
    """Count a wrong code (the caller commits it even though its response is an error)."""
    ratelimit.record(db, f"2fa-account:{account_id}", now=now)
    ratelimit.record(db, f"2fa-ip:{ip}", now=now)
    return Invalid(message, field_errors={"code": Msg(message)})


def check_totp(
    db: Session,
    credential: TotpCredential,
    code: str,
    *,
    secret_key: str,
    ip: str,
    now: datetime,
) -> None:
    """Accept a current code once: the step is claimed with a conditional update, so the same
    code cannot be used twice, not even by two requests at the same moment."""
    secret = _secret_of(credential, secret_key)
    now_step = totp.step_at(now.timestamp())
    step = totp.matching_step(secret, code, now_step=now_step, after=credential.last_step)
    if step is None:
        replay = totp.matching_step(secret, code, now_step=now_step, after=None) is not None
        raise wrong_code(db, credential.account_id, ip, now, USED_CODE if replay else WRONG_CODE)
    claimed = db.execute(
        update(TotpCredential)
        .where(
            col(TotpCredential.account_id) == credential.account_id,
            col(TotpCredential.last_step).is_(None) | (col(TotpCredential.last_step) < step),
        )
        .values(last_step=step)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise wrong_code(db, credential.account_id, ip, now, USED_CODE)
    db.expire(credential)


def _new_recovery_codes(db: Session, account_id: int, now: datetime) -> list[str]:
    db.execute(delete(RecoveryCode).where(col(RecoveryCode.account_id) == account_id))
    codes = totp.new_recovery_codes()
    for code in codes:
        db.add(
            RecoveryCode(account_id=account_id, code_hash=totp.recovery_hash(code), created_at=now)
        )
    return codes


def confirm_enrolment(
    db: Session,
    account: Account,
    *,
    code: str,
    secret_key: str,
    ip: str,
    limits: CodeLimits,
    now: datetime | None = None,
) -> list[str]:
    """Turn two-factor authentication on with a code from the new secret; returns the ten
    recovery codes (shown once). Every session of the account ends (the caller opens a
    fresh one for this browser)."""
    now = now or utcnow()
    assert account.id is not None
    credential = db.get(TotpCredential, account.id)
    if credential is None:
        raise Conflict(N_("Open the two-factor page again to get a new QR code."))
    if credential.confirmed_at is not None:
        raise Conflict(N_("Two-factor authentication is already on."))
    throttle_codes(db, account.id, ip, limits, now)
    check_totp(db, credential, code, secret_key=secret_key, ip=ip, now=now)
    credential.confirmed_at = now
    db.add(credential)
    codes = _new_recovery_codes(db, account.id, now)
    revoke_sessions(db, account.id)
    ev.emit(db, ev.TwoFactorChanged(account.id, account.id, "enrolled"))
    return codes


def enrol_with_secret(
    db: Session, account: Account, secret: bytes, *, secret_key: str
) -> list[str]:
    """Enrol a known secret without a code (the demo data's staff accounts only)."""
    assert account.id is not None
    now = utcnow()
    db.add(
        TotpCredential(
            account_id=account.id,
            secret=totp.seal(secret, account_id=account.id, secret_key=secret_key),
            confirmed_at=now,
        )
    )
    codes = _new_recovery_codes(db, account.id, now)
    ev.emit(db, ev.TwoFactorChanged(account.id, account.id, "enrolled"))
    return codes


def enrolled_credential(db: Session, account: Account) -> TotpCredential:
    assert account.id is not None
    credential = db.get(TotpCredential, account.id)
    if credential is None or credential.confirmed_at is None:
        raise Conflict(N_("Two-factor authentication is not on."))
    return credential


def regenerate_recovery_codes(
    db: Session,
    account: Account,
    *,
    code: str,
    secret_key: str,
    ip: str,
    limits: CodeLimits,
    now: datetime | None = None,
) -> list[str]:
    """Ten new recovery codes for a current code; the old ones stop working and every
    session of the account ends (the caller opens a fresh one)."""
    now = now or utcnow()
    credential = enrolled_credential(db, account)
    assert account.id is not None
    throttle_codes(db, account.id, ip, limits, now)
    check_totp(db, credential, code, secret_key=secret_key, ip=ip, now=now)
    codes = _new_recovery_codes(db, account.id, now)
    revoke_sessions(db, account.id)
    ev.emit(db, ev.TwoFactorChanged(account.id, account.id, "recovery-codes-renewed"))
    return codes


def drop_two_factor(db: Session, account_id: int) -> None:
    db.execute(delete(RecoveryCode).where(col(RecoveryCode.account_id) == account_id))
    db.execute(delete(LoginChallenge).where(col(LoginChallenge.account_id) == account_id))
    db.execute(delete(TotpCredential).where(col(TotpCredential.account_id) == account_id))


def disable_two_factor(
    db: Session,
    account: Account,
    *,
    code: str,
    secret_key: str,
    ip: str,
    limits: CodeLimits,
    now: datetime | None = None,
) -> None:
    """Turn two-factor authentication off with a current code (staff must enrol again at
    once: this is how they move to a new phone). Every session of the account ends."""
    now = now or utcnow()
    credential = enrolled_credential(db, account)
    assert account.id is not None
    throttle_codes(db, account.id, ip, limits, now)
    check_totp(db, credential, code, secret_key=secret_key, ip=ip, now=now)
    drop_two_factor(db, account.id)
    revoke_sessions(db, account.id)
    ev.emit(db, ev.TwoFactorChanged(account.id, account.id, "disabled"))


def reset_two_factor(db: Session, actor: Account | None, account: Account) -> None:
    """An administrator (or ``rembug reset-2fa``, ``actor`` None) removes an account's
    two-factor authentication, e.g. after a lost phone: its sessions end, and a staff
    account must enrol again at its next login."""
    if actor is not None:
        require_role(actor, Role.admin)
        if actor.id == account.id:
            raise Conflict(N_("Use your own two-factor page to change your authenticator."))
    assert account.id is not None
    drop_two_factor(db, account.id)
    revoke_sessions(db, account.id)
    ev.emit(db, ev.TwoFactorChanged(account.id, actor.id if actor else None, "reset"))


def reseal_two_factor_secrets(db: Session, *, secret_key: str) -> Resealed:
    """Seal every two-factor secret with the first sealing key (``secret_key``: the sealing
    keys), after a new key was put first; afterwards the old key can be dropped."""
    resealed = current = unreadable = 0
    for credential in db.exec(select(TotpCredential).order_by(col(TotpCredential.account_id))):
        if not totp.needs_reseal(credential.secret, secret_key=secret_key):
            current += 1
            continue
        account_id = credential.account_id
        try:
            secret = totp.unseal(credential.secret, account_id=account_id, secret_key=secret_key)
        except totp.SecretUnreadable:
            unreadable += 1
            continue
        credential.secret = totp.seal(secret, account_id=account_id, secret_key=secret_key)
        db.add(credential)
        resealed += 1
    db.flush()
    return Resealed(resealed, current, unreadable)
