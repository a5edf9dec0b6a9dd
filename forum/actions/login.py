"""Signing in: password check with throttling, the two-factor challenge and its completion."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, update
from sqlmodel import Session, col, select

from forum import events as ev
from forum import totp
from forum.actions.sessions import hash_token, open_session
from forum.actions.two_factor import (
    WRONG_CODE,
    CodeLimits,
    check_totp,
    enrolled_credential,
    throttle_codes,
    two_factor_enrolled,
    wrong_code,
)
from forum.errors import N_, Conflict, Invalid, NotAllowed, Throttled
from forum.models import (
    Account,
    LoginChallenge,
    RateEvent,
    RecoveryCode,
    utcnow,
)
from forum.passwords import hash_password, needs_rehash, verify_password
from forum.validation import (
    normalise_email,
    normalise_phone,
)


def find_login(db: Session, login: str) -> Account | None:
    login = login.strip()
    email = normalise_email(login)
    if email:
        return db.exec(select(Account).where(Account.email == email)).first()
    phone = normalise_phone(login)
    if phone:
        return db.exec(select(Account).where(Account.phone == phone)).first()
    return None


def _recent_failures(db: Session, key: str, since: datetime) -> int:
    query = (
        select(func.count())
        .select_from(RateEvent)
        .where(RateEvent.key == key, col(RateEvent.at) >= since)
    )
    return int(db.exec(query).one())


@dataclass(frozen=True)
class LoginResult:
    """The password step's outcome: a session token, or (``second_step``) the token of a
    pending login that only the two-factor step accepts."""

    account: Account
    token: str
    second_step: bool


def log_in(
    db: Session,
    *,
    login: str,
    password: str,
    ip: str,
    user_agent: str,
    max_failures: int,
    max_failures_per_ip: int,
    window: timedelta,
    session_days: int,
    next_url: str = "/",
    now: datetime | None = None,
) -> LoginResult:
    """Check the password; open a session, or for an account with two-factor authentication
    a pending login that waits for the code (``complete_login``).

    Throttled per account and per IP: failed attempts are rows, so every process sees them.
    A refused attempt is recorded even though the caller rolls back the login itself.
    """
    now = now or utcnow()
    since = now - window
    account = find_login(db, login)
    ip_key = f"login-ip:{ip}"
    account_key = f"login-account:{account.id}" if account else None
    minutes = max(int(window.total_seconds() // 60), 1)
    if _recent_failures(db, ip_key, since) >= max_failures_per_ip or (
        account_key and _recent_failures(db, account_key, since) >= max_failures
    ):
        raise Throttled(
            N_("Too many failed logins. Try again in %(minutes)s minutes."),
            retry_after=minutes * 60,
            minutes=minutes,
        )
    if account is None or not verify_password(account.password_hash, password):
        db.add(RateEvent(key=ip_key, at=now))
        if account_key:
            db.add(RateEvent(key=account_key, at=now))
        raise Invalid(N_("The email/phone number or the password is wrong."))
    if not account.is_active:
        raise NotAllowed(N_("This account is disabled."))
    if account.password_hash and needs_rehash(account.password_hash):
        account.password_hash = hash_password(password)
    if account_key:
        db.execute(delete(RateEvent).where(col(RateEvent.key) == account_key))
    return sign_in(
        db,
        account,
        ip=ip,
        user_agent=user_agent,
        session_days=session_days,
        next_url=next_url,
        now=now,
    )


def sign_in(
    db: Session,
    account: Account,
    *,
    ip: str,
    user_agent: str,
    session_days: int,
    next_url: str = "/",
    now: datetime | None = None,
) -> LoginResult:
    """The first factor was accepted (a password, or a one-time code): a session, or for an
    account with two-factor authentication the pending login its code completes. Nothing
    that gets a person in skips the second factor."""
    now = now or utcnow()
    assert account.id is not None
    if two_factor_enrolled(db, account.id):
        return LoginResult(account, _begin_challenge(db, account, next_url, now), True)
    token = open_session(
        db, account, ip=ip, user_agent=user_agent, session_days=session_days, now=now
    )
    return LoginResult(account, token, False)


LOGIN_CHALLENGE_LIFETIME = timedelta(minutes=5)


LOGIN_EXPIRED = N_("The login has expired. Log in again with your password.")


def _begin_challenge(db: Session, account: Account, next_url: str, now: datetime) -> str:
    token = secrets.token_urlsafe(32)
    db.add(
        LoginChallenge(
            token_hash=hash_token(token),
            account_id=account.id,  # type: ignore[arg-type]
            created_at=now,
            expires_at=now + LOGIN_CHALLENGE_LIFETIME,
            next_url=next_url[:300],
        )
    )
    return token


def login_challenge(
    db: Session, token: str, now: datetime | None = None
) -> tuple[LoginChallenge, Account] | None:
    """The pending login behind the second step's cookie, if unused, unexpired and of an
    active account."""
    if not 20 <= len(token) <= 100:
        return None
    now = now or utcnow()
    row = db.exec(
        select(LoginChallenge, Account)
        .join(Account, col(Account.id) == LoginChallenge.account_id)
        .where(LoginChallenge.token_hash == hash_token(token))
    ).first()
    if row is None:
        return None
    challenge, account = row
    if challenge.used_at is not None or challenge.expires_at <= now or not account.is_active:
        return None
    return challenge, account


def complete_login(
    db: Session,
    *,
    challenge_token: str,
    code: str,
    secret_key: str,
    ip: str,
    user_agent: str,
    limits: CodeLimits,
    session_days: int,
    now: datetime | None = None,
) -> tuple[Account, str, str, bool]:
    """The second login step: a current code or an unused recovery code. Returns the account,
    the new session's token, where to go next, and whether a recovery code was used."""
    now = now or utcnow()
    found = login_challenge(db, challenge_token, now)
    if found is None:
        raise Conflict(LOGIN_EXPIRED)
    challenge, account = found
    assert account.id is not None and challenge.id is not None
    throttle_codes(db, account.id, ip, limits, now)
    credential = enrolled_credential(db, account)
    used_recovery = False
    if totp.looks_like_totp(code):
        check_totp(db, credential, code, secret_key=secret_key, ip=ip, now=now)
    else:
        used = db.execute(
            update(RecoveryCode)
            .where(
                col(RecoveryCode.account_id) == account.id,
                col(RecoveryCode.code_hash) == totp.recovery_hash(code),
                col(RecoveryCode.used_at).is_(None),
            )
            .values(used_at=now)
        )
        if used.rowcount != 1:  # type: ignore[attr-defined]
            raise wrong_code(db, account.id, ip, now, WRONG_CODE)
        used_recovery = True
        ev.emit(db, ev.TwoFactorChanged(account.id, account.id, "recovery-code-used"))
    claimed = db.execute(
        update(LoginChallenge)
        .where(col(LoginChallenge.id) == challenge.id, col(LoginChallenge.used_at).is_(None))
        .values(used_at=now)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(LOGIN_EXPIRED)
    db.execute(delete(RateEvent).where(col(RateEvent.key) == f"2fa-account:{account.id}"))
    token = open_session(
        db, account, ip=ip, user_agent=user_agent, session_days=session_days, now=now
    )
    return account, token, challenge.next_url, used_recovery


def forget_login_challenges(db: Session, now: datetime | None = None) -> None:
    """The scheduler drops pending logins that can no longer be completed."""
    now = now or utcnow()
    db.execute(delete(LoginChallenge).where(col(LoginChallenge.expires_at) < now))
