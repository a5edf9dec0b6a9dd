"""Web sessions: opening, looking up, touching and ending them; revoking every session of an
account."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from forum.models import (
    Account,
    WebSession,
    utcnow,
)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def log_out(db: Session, token: str) -> None:
    db.execute(
        update(WebSession)
        .where(col(WebSession.token_hash) == hash_token(token))
        .values(revoked_at=utcnow())
    )


SESSION_TOUCH_EVERY = timedelta(minutes=5)


def session_lookup(
    db: Session, token: str, *, idle: timedelta | None = None, now: datetime | None = None
) -> tuple[Account, WebSession] | None:
    """The account and session behind a cookie, or None if unknown, revoked, past its absolute
    lifetime, idle for longer than ``idle``, or of a disabled account."""
    now = now or utcnow()
    row = db.exec(
        select(WebSession, Account)
        .join(Account, col(Account.id) == WebSession.account_id)
        .where(WebSession.token_hash == hash_token(token))
    ).first()
    if row is None:
        return None
    session, account = row
    if session.revoked_at is not None or session.expires_at <= now or not account.is_active:
        return None
    if idle is not None and (session.last_seen_at or session.created_at) <= now - idle:
        return None
    return account, session


def session_account(db: Session, token: str, now: datetime | None = None) -> Account | None:
    found = session_lookup(db, token, now=now)
    return found[0] if found else None


def touch_session(db: Session, session_id: int, now: datetime | None = None) -> None:
    """Record activity (for the idle timeout), at most every few minutes per session."""
    now = now or utcnow()
    db.execute(
        update(WebSession)
        .where(
            col(WebSession.id) == session_id,
            (col(WebSession.last_seen_at).is_(None))
            | (col(WebSession.last_seen_at) < now - SESSION_TOUCH_EVERY),
        )
        .values(last_seen_at=now)
    )


def open_session(
    db: Session,
    account: Account,
    *,
    ip: str,
    user_agent: str,
    session_days: int,
    now: datetime | None = None,
) -> str:
    """A fresh session (a new token: never a fixated one) for an authenticated person;
    returns the cookie token."""
    token = secrets.token_urlsafe(32)
    now = now or utcnow()
    db.add(
        WebSession(
            token_hash=hash_token(token),
            account_id=account.id,  # type: ignore[arg-type]
            created_at=now,
            expires_at=now + timedelta(days=session_days),
            ip=ip[:64],
            user_agent=user_agent[:300],
        )
    )
    return token


def revoke_sessions(db: Session, account_id: int) -> None:
    db.execute(
        update(WebSession)
        .where(col(WebSession.account_id) == account_id, col(WebSession.revoked_at).is_(None))
        .values(revoked_at=utcnow())
    )
