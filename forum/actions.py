"""Every state change of the forum core: one function per change.

Actions take a session, the acting account and typed values; they enforce the business rules
and permissions, write, and emit events. The web, the bots and the CLI only parse input, call
an action and render.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

from sqlalchemy import delete, func, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from forum import events as ev
from forum import ratelimit, totp
from forum.documents import SectionDraft, parse_markdown
from forum.errors import N_, Conflict, Invalid, Msg, NotAllowed, NotFound, Throttled
from forum.models import (
    PUBLIC_ASPIRATION_STATUSES,
    Account,
    Agency,
    Aspiration,
    AspirationStatus,
    Category,
    Channel,
    Comment,
    Consultation,
    ConsultationStatus,
    ContentStatus,
    Disposition,
    Follow,
    LoginChallenge,
    Notification,
    OfficialResponse,
    RateEvent,
    RecoveryCode,
    Region,
    ResponseRevision,
    Role,
    RoutingEvent,
    Section,
    Support,
    TicketCounter,
    TotpCredential,
    Visibility,
    WebSession,
    utcnow,
)
from forum.passwords import hash_password, needs_rehash, verify_password
from forum.validation import (
    ASPIRATION_BODY_MAX,
    ASPIRATION_BODY_MIN,
    COMMENT_MAX,
    COMMENT_MIN,
    PASSWORD_MAX,
    PASSWORD_MIN,
    TITLE_MAX,
    TITLE_MIN,
    clean_text,
    normalise_email,
    normalise_phone,
    text_length_error,
)
from forum.workdays import deadlines_of

CONSENT_VERSION = "2026-11"
REJECT_REASONS = ("off-topic", "abusive", "spam", "personal-data", "duplicate", "other")


# --- permission helpers -------------------------------------------------------------------


def _require_role(actor: Account | None, *roles: Role) -> Account:
    if actor is None or not actor.is_active:
        raise NotAllowed(N_("Please log in first."))
    if actor.role not in roles:
        raise NotAllowed(N_("Your account is not allowed to do this."))
    return actor


def _require_agency(actor: Account | None, agency_id: int) -> Account:
    """Officials act only for their own agency; administrators for any."""
    actor = _require_role(actor, Role.official, Role.admin)
    if actor.role == Role.official and actor.agency_id != agency_id:
        raise NotAllowed(N_("This belongs to another agency."))
    return actor


def _require_citizen_content_author(actor: Account | None) -> Account:
    if actor is None or not actor.is_active:
        raise NotAllowed(N_("Please log in first."))
    return actor


def _invalid(**field_errors: Msg | None) -> None:
    errors = {name: msg for name, msg in field_errors.items() if msg is not None}
    if errors:
        raise Invalid(field_errors=errors)


# --- accounts and sessions ------------------------------------------------------------------


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    path = Path(__file__).resolve().parent / "seeds" / "common-passwords.txt"
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and line[0] != "#")


def _check_password(password: str) -> Msg | None:
    if len(password) < PASSWORD_MIN:
        return Msg(N_("The password needs at least %(n)s characters."), {"n": PASSWORD_MIN})
    if len(password) > PASSWORD_MAX:
        return Msg(N_("The password may have at most %(n)s characters."), {"n": PASSWORD_MAX})
    if password.strip().lower() in _common_passwords():
        return Msg(N_("This password is too common and easy to guess. Choose another one."))
    return None


def _check_identity(
    db: Session,
    *,
    name: str,
    email: str | None,
    phone: str | None,
    contact_required: bool,
    account_id: int | None = None,
) -> tuple[str | None, str | None, dict[str, Msg | None]]:
    """Name, email and phone rules shared by registration and profile corrections: valid
    formats, one of the two contacts, and no other account with the same one."""
    errors: dict[str, Msg | None] = {"name": text_length_error(name, 2, 120)}
    norm_email = normalise_email(email) if email else None
    norm_phone = normalise_phone(phone) if phone else None
    if email and norm_email is None:
        errors["email"] = Msg(N_("This is not a valid email address."))
    if phone and norm_phone is None:
        errors["phone"] = Msg(N_("Use an Indonesian mobile number, e.g. 0812 3456 7890."))
    if contact_required and not email and not phone:
        errors["email"] = Msg(N_("Give an email address or a phone number."))
    others = col(Account.id) != account_id if account_id is not None else True
    if (
        norm_email
        and db.exec(select(Account.id).where(Account.email == norm_email, others)).first()
    ):
        errors["email"] = Msg(N_("An account with this email address already exists."))
    if (
        norm_phone
        and db.exec(select(Account.id).where(Account.phone == norm_phone, others)).first()
    ):
        errors["phone"] = Msg(N_("An account with this phone number already exists."))
    return norm_email, norm_phone, errors


def create_account(
    db: Session,
    *,
    name: str,
    password: str | None,
    email: str | None = None,
    phone: str | None = None,
    role: Role = Role.citizen,
    agency_id: int | None = None,
    locale: str = "id",
    consent: bool = False,
    require_consent: bool = False,
    actor: Account | None = None,
) -> Account:
    """Create an account. Citizens register themselves; other roles need an administrator
    (``actor``) or the operator's CLI (``actor`` None with a non-citizen role)."""
    if role != Role.citizen and actor is not None:
        _require_role(actor, Role.admin)
    name = clean_text(name)
    norm_email, norm_phone, errors = _check_identity(
        db, name=name, email=email, phone=phone, contact_required=True
    )
    if password is not None:
        errors["password"] = _check_password(password)
    if require_consent and not consent:
        errors["consent"] = Msg(N_("Please agree to the terms and privacy notice."))
    if role == Role.official and agency_id is None:
        errors["agency"] = Msg(N_("An official must belong to an agency."))
    if agency_id is not None and db.get(Agency, agency_id) is None:
        errors["agency"] = Msg(N_("Unknown agency."))
    _invalid(**errors)
    account = Account(
        name=name,
        email=norm_email,
        phone=norm_phone,
        password_hash=hash_password(password) if password is not None else None,
        role=role,
        agency_id=agency_id if role == Role.official else None,
        locale=locale if locale in {"id", "en"} else "id",
        consent_version=CONSENT_VERSION if consent else None,
        consent_at=utcnow() if consent else None,
    )
    db.add(account)
    db.flush()
    assert account.id is not None
    ev.emit(db, ev.AccountRegistered(account.id))
    return account


def create_chat_account(db: Session, *, name: str, locale: str = "id") -> Account:
    """A citizen who takes part from a chat only: no email, phone or password (the channel
    identity is kept by the bots package and can later be linked to a web account)."""
    name = clean_text(name)[:120] or "Warga"
    account = Account(
        name=name, role=Role.citizen, locale=locale if locale in {"id", "en"} else "id"
    )
    db.add(account)
    db.flush()
    assert account.id is not None
    ev.emit(db, ev.AccountRegistered(account.id))
    return account


def register_citizen(
    db: Session,
    *,
    name: str,
    email: str | None,
    phone: str | None,
    password: str,
    consent: bool,
    locale: str = "id",
) -> Account:
    return create_account(
        db,
        name=name,
        email=email,
        phone=phone,
        password=password,
        locale=locale,
        consent=consent,
        require_consent=True,
    )


def _find_login(db: Session, login: str) -> Account | None:
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


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


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
    account = _find_login(db, login)
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
    assert account.id is not None
    if two_factor_enrolled(db, account.id):
        return LoginResult(account, _begin_challenge(db, account, next_url, now), True)
    token = open_session(
        db, account, ip=ip, user_agent=user_agent, session_days=session_days, now=now
    )
    return LoginResult(account, token, False)


def log_out(db: Session, token: str) -> None:
    db.execute(
        update(WebSession)
        .where(col(WebSession.token_hash) == _token_hash(token))
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
        .where(WebSession.token_hash == _token_hash(token))
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


def update_profile(
    db: Session,
    account: Account,
    *,
    name: str,
    email: str | None,
    phone: str | None,
    locale: str,
) -> Account:
    """The person corrects their own data (UU PDP: the right to correct)."""
    name = clean_text(name)
    norm_email, norm_phone, errors = _check_identity(
        db,
        name=name,
        email=email,
        phone=phone,
        contact_required=account.password_hash is not None,  # chat-only accounts have none
        account_id=account.id,
    )
    _invalid(**errors)
    account.name, account.email, account.phone = name, norm_email, norm_phone
    account.locale = locale if locale in {"id", "en"} else account.locale
    db.add(account)
    return account


def change_password(db: Session, account: Account, *, current: str, new: str) -> None:
    """A new password ends every session of the account (the caller opens a fresh one)."""
    if not verify_password(account.password_hash, current):
        raise Invalid(field_errors={"current": Msg(N_("The current password is wrong."))})
    _invalid(new=_check_password(new))
    account.password_hash = hash_password(new)
    db.add(account)
    assert account.id is not None
    _revoke_sessions(db, account.id)


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
            token_hash=_token_hash(token),
            account_id=account.id,  # type: ignore[arg-type]
            created_at=now,
            expires_at=now + timedelta(days=session_days),
            ip=ip[:64],
            user_agent=user_agent[:300],
        )
    )
    return token


# --- two-factor authentication (TOTP, forum/totp.py) ---------------------------------------

STAFF_ROLES = (Role.official, Role.moderator, Role.admin)
LOGIN_CHALLENGE_LIFETIME = timedelta(minutes=5)
WRONG_CODE = N_("The code is wrong or has expired. Enter the current code from your app.")
USED_CODE = N_("This code was already used. Wait for the next code in your app (every 30 seconds).")
LOGIN_EXPIRED = N_("The login has expired. Log in again with your password.")


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


def _throttle_codes(
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


def _wrong_code(db: Session, account_id: int, ip: str, now: datetime, message: str) -> Invalid:
    """Count a wrong code (the caller commits it even though its response is an error)."""
    ratelimit.record(db, f"2fa-account:{account_id}", now=now)
    ratelimit.record(db, f"2fa-ip:{ip}", now=now)
    return Invalid(message, field_errors={"code": Msg(message)})


def _check_totp(
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
        raise _wrong_code(db, credential.account_id, ip, now, USED_CODE if replay else WRONG_CODE)
    claimed = db.execute(
        update(TotpCredential)
        .where(
            col(TotpCredential.account_id) == credential.account_id,
            col(TotpCredential.last_step).is_(None) | (col(TotpCredential.last_step) < step),
        )
        .values(last_step=step)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise _wrong_code(db, credential.account_id, ip, now, USED_CODE)
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
    _throttle_codes(db, account.id, ip, limits, now)
    _check_totp(db, credential, code, secret_key=secret_key, ip=ip, now=now)
    credential.confirmed_at = now
    db.add(credential)
    codes = _new_recovery_codes(db, account.id, now)
    _revoke_sessions(db, account.id)
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


def _enrolled_credential(db: Session, account: Account) -> TotpCredential:
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
    credential = _enrolled_credential(db, account)
    assert account.id is not None
    _throttle_codes(db, account.id, ip, limits, now)
    _check_totp(db, credential, code, secret_key=secret_key, ip=ip, now=now)
    codes = _new_recovery_codes(db, account.id, now)
    _revoke_sessions(db, account.id)
    ev.emit(db, ev.TwoFactorChanged(account.id, account.id, "recovery-codes-renewed"))
    return codes


def _drop_two_factor(db: Session, account_id: int) -> None:
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
    credential = _enrolled_credential(db, account)
    assert account.id is not None
    _throttle_codes(db, account.id, ip, limits, now)
    _check_totp(db, credential, code, secret_key=secret_key, ip=ip, now=now)
    _drop_two_factor(db, account.id)
    _revoke_sessions(db, account.id)
    ev.emit(db, ev.TwoFactorChanged(account.id, account.id, "disabled"))


def reset_two_factor(db: Session, actor: Account | None, account: Account) -> None:
    """An administrator (or ``rembug reset-2fa``, ``actor`` None) removes an account's
    two-factor authentication, e.g. after a lost phone: its sessions end, and a staff
    account must enrol again at its next login."""
    if actor is not None:
        _require_role(actor, Role.admin)
        if actor.id == account.id:
            raise Conflict(N_("Use your own two-factor page to change your authenticator."))
    assert account.id is not None
    _drop_two_factor(db, account.id)
    _revoke_sessions(db, account.id)
    ev.emit(db, ev.TwoFactorChanged(account.id, actor.id if actor else None, "reset"))


def _begin_challenge(db: Session, account: Account, next_url: str, now: datetime) -> str:
    token = secrets.token_urlsafe(32)
    db.add(
        LoginChallenge(
            token_hash=_token_hash(token),
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
        .where(LoginChallenge.token_hash == _token_hash(token))
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
    _throttle_codes(db, account.id, ip, limits, now)
    credential = _enrolled_credential(db, account)
    used_recovery = False
    if totp.looks_like_totp(code):
        _check_totp(db, credential, code, secret_key=secret_key, ip=ip, now=now)
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
            raise _wrong_code(db, account.id, ip, now, WRONG_CODE)
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


def delete_account(
    db: Session, account: Account, *, password: str | None, contributions: str
) -> None:
    """The person deletes their account (UU PDP: the right to erasure). Their personal data
    is removed; their contributions are either kept without a name or withdrawn."""
    if account.password_hash is not None and not verify_password(
        account.password_hash, password or ""
    ):
        raise Invalid(field_errors={"password": Msg(N_("The current password is wrong."))})
    if contributions not in ("anonymise", "delete"):
        raise Invalid(
            field_errors={"contributions": Msg(N_("Choose what happens to your contributions."))}
        )
    if account.role == Role.admin:
        raise Conflict(
            N_("An administrator account cannot delete itself; ask another administrator.")
        )
    assert account.id is not None
    if contributions == "delete":
        for comment in db.exec(select(Comment).where(Comment.author_id == account.id)):
            if comment.status in (ContentStatus.pending, ContentStatus.published):
                withdraw_comment(db, account, comment)
        for aspiration in db.exec(select(Aspiration).where(Aspiration.author_id == account.id)):
            if aspiration.status not in (
                AspirationStatus.withdrawn,
                AspirationStatus.rejected,
                AspirationStatus.merged,
            ):
                withdraw_aspiration(db, account, aspiration)
        for support in db.exec(select(Support).where(Support.account_id == account.id)):
            target_comment = db.get(Comment, support.comment_id) if support.comment_id else None
            target_aspiration = (
                db.get(Aspiration, support.aspiration_id) if support.aspiration_id else None
            )
            withdraw_support(db, account, comment=target_comment, aspiration=target_aspiration)
    account.name = "Akun dihapus"
    account.email = account.phone = account.password_hash = None
    account.is_active = False
    account.notify_email = False
    account.deleted_at = utcnow()
    db.add(account)
    _revoke_sessions(db, account.id)
    _drop_two_factor(db, account.id)
    db.execute(delete(RateEvent).where(col(RateEvent.key).endswith(f":{account.id}")))
    ev.emit(db, ev.AccountDeleted(account.id))


def _revoke_sessions(db: Session, account_id: int) -> None:
    db.execute(
        update(WebSession)
        .where(col(WebSession.account_id) == account_id, col(WebSession.revoked_at).is_(None))
        .values(revoked_at=utcnow())
    )


def change_role(
    db: Session, actor: Account, account: Account, *, role: Role, agency_id: int | None
) -> Account:
    _require_role(actor, Role.admin)
    if role == Role.official and (agency_id is None or db.get(Agency, agency_id) is None):
        raise Invalid(field_errors={"agency": Msg(N_("An official must belong to an agency."))})
    if account.id == actor.id and role != Role.admin:
        raise Conflict(N_("You cannot remove your own administrator role."))
    old_role = account.role
    account.role = role
    account.agency_id = agency_id if role == Role.official else None
    db.add(account)
    assert account.id is not None and actor.id is not None
    ev.emit(db, ev.RoleChanged(account.id, actor.id, old_role, role, account.agency_id))
    return account


def set_account_active(db: Session, actor: Account, account: Account, *, active: bool) -> None:
    _require_role(actor, Role.admin)
    if account.id == actor.id and not active:
        raise Conflict(N_("You cannot disable your own account."))
    account.is_active = active
    db.add(account)
    if not active:
        assert account.id is not None
        _revoke_sessions(db, account.id)


# --- reference data (administrators) ------------------------------------------------------


def save_agency(
    db: Session,
    actor: Account,
    *,
    agency: Agency | None,
    slug: str,
    name: str,
    short_name: str,
    description: str,
    is_active: bool = True,
) -> Agency:
    _require_role(actor, Role.admin)
    slug, name = slug.strip().lower(), clean_text(name)
    errors: dict[str, Msg | None] = {
        "name": text_length_error(name, 2, 200),
        "slug": None if _valid_slug(slug) else Msg(N_("Use lowercase letters, digits and -.")),
    }
    clash = db.exec(select(Agency).where(Agency.slug == slug)).first()
    if clash is not None and clash is not agency:
        errors["slug"] = Msg(N_("This short address is already used."))
    _invalid(**errors)
    agency = agency or Agency(slug=slug, name=name)
    agency.slug, agency.name = slug, name
    agency.short_name = clean_text(short_name)[:60]
    agency.description = clean_text(description)
    agency.is_active = is_active
    db.add(agency)
    db.flush()
    return agency


def save_category(
    db: Session,
    actor: Account,
    *,
    category: Category | None,
    slug: str,
    name_id: str,
    name_en: str,
    is_active: bool = True,
) -> Category:
    _require_role(actor, Role.admin)
    slug = slug.strip().lower()
    errors: dict[str, Msg | None] = {
        "name_id": text_length_error(name_id, 2, 120),
        "name_en": text_length_error(name_en, 2, 120),
        "slug": None if _valid_slug(slug) else Msg(N_("Use lowercase letters, digits and -.")),
    }
    clash = db.exec(select(Category).where(Category.slug == slug)).first()
    if clash is not None and clash is not category:
        errors["slug"] = Msg(N_("This short address is already used."))
    _invalid(**errors)
    category = category or Category(slug=slug, name_id=name_id, name_en=name_en)
    category.slug, category.name_id, category.name_en = (
        slug,
        clean_text(name_id),
        clean_text(name_en),
    )
    category.is_active = is_active
    db.add(category)
    db.flush()
    return category


def save_region(
    db: Session,
    actor: Account,
    *,
    region: Region | None,
    code: str,
    name: str,
    kind: str,
    parent_code: str | None,
) -> Region:
    _require_role(actor, Role.admin)
    code, name = code.strip(), clean_text(name)
    errors: dict[str, Msg | None] = {"name": text_length_error(name, 2, 120)}
    if kind not in {"province", "regency", "city"}:
        errors["kind"] = Msg(N_("Choose province, regency or city."))
    if not code or len(code) > 13 or not all(part.isdigit() for part in code.split(".")):
        errors["code"] = Msg(N_("Use the Kemendagri code, e.g. 32 or 32.73."))
    clash = db.exec(select(Region).where(Region.code == code)).first()
    if clash is not None and clash is not region:
        errors["code"] = Msg(N_("This code is already used."))
    if kind != "province":
        parent = db.exec(select(Region).where(Region.code == (parent_code or ""))).first()
        if parent is None or parent.kind != "province":
            errors["parent_code"] = Msg(N_("Choose the province this belongs to."))
    _invalid(**errors)
    region = region or Region(code=code, name=name, kind=kind)
    region.code, region.name, region.kind = code, name, kind
    region.parent_code = parent_code if kind != "province" else None
    db.add(region)
    db.flush()
    return region


def _valid_slug(slug: str) -> bool:
    return 1 <= len(slug) <= 80 and all(c.isascii() and (c.isalnum() or c == "-") for c in slug)


# --- consultations --------------------------------------------------------------------------


def _check_dates(opens_at: datetime | None, closes_at: datetime | None) -> dict[str, Msg | None]:
    errors: dict[str, Msg | None] = {}
    if opens_at is None:
        errors["opens_at"] = Msg(N_("Give the opening date and time."))
    if closes_at is None:
        errors["closes_at"] = Msg(N_("Give the closing date and time."))
    if opens_at and closes_at and closes_at <= opens_at:
        errors["closes_at"] = Msg(N_("The closing date must be after the opening date."))
    return errors


def create_consultation(
    db: Session,
    actor: Account,
    *,
    agency_id: int,
    title: str,
    summary: str,
    opens_at: datetime | None,
    closes_at: datetime | None,
    sections: Sequence[SectionDraft] = (),
) -> Consultation:
    _require_agency(actor, agency_id)
    title, summary = clean_text(title), clean_text(summary)
    _invalid(
        title=text_length_error(title, TITLE_MIN, 200),
        summary=text_length_error(summary, 0, 5000),
        **_check_dates(opens_at, closes_at),
    )
    assert opens_at is not None and closes_at is not None and actor.id is not None
    consultation = Consultation(
        agency_id=agency_id,
        title=title,
        summary=summary,
        opens_at=opens_at,
        closes_at=closes_at,
        created_by_id=actor.id,
    )
    db.add(consultation)
    db.flush()
    for position, draft in enumerate(sections, start=1):
        db.add(
            Section(
                consultation_id=consultation.id,  # type: ignore[arg-type]
                position=position,
                heading=clean_text(draft.heading)[:300] or f"Bagian {position}",
                level=min(max(draft.level, 1), 6),
                body=clean_text(draft.body),
            )
        )
    return consultation


def create_consultation_from_markdown(
    db: Session,
    actor: Account,
    *,
    agency_id: int,
    markdown: str,
    opens_at: datetime | None,
    closes_at: datetime | None,
    title: str = "",
    summary: str = "",
) -> Consultation:
    """Headings become sections; the front matter's title is used when none is given."""
    parsed = parse_markdown(markdown)
    if not parsed.sections:
        raise Invalid(
            field_errors={"markdown": Msg(N_("The text is empty: paste the draft policy."))}
        )
    return create_consultation(
        db,
        actor,
        agency_id=agency_id,
        title=title.strip() or parsed.title or parsed.sections[0].heading,
        summary=summary,
        opens_at=opens_at,
        closes_at=closes_at,
        sections=parsed.sections,
    )


def _require_draft(consultation: Consultation) -> None:
    if consultation.status != ConsultationStatus.draft:
        raise Conflict(N_("Only a draft can be edited; this consultation is already published."))


def update_consultation(
    db: Session,
    actor: Account,
    consultation: Consultation,
    *,
    title: str,
    summary: str,
    opens_at: datetime | None,
    closes_at: datetime | None,
) -> Consultation:
    _require_agency(actor, consultation.agency_id)
    _require_draft(consultation)
    title, summary = clean_text(title), clean_text(summary)
    _invalid(
        title=text_length_error(title, TITLE_MIN, 200),
        summary=text_length_error(summary, 0, 5000),
        **_check_dates(opens_at, closes_at),
    )
    assert opens_at is not None and closes_at is not None
    consultation.title, consultation.summary = title, summary
    consultation.opens_at, consultation.closes_at = opens_at, closes_at
    consultation.updated_at = utcnow()
    db.add(consultation)
    return consultation


def save_section(
    db: Session,
    actor: Account,
    consultation: Consultation,
    *,
    section: Section | None,
    heading: str,
    body: str,
    level: int = 2,
) -> Section:
    """Add a section at the end, or edit one, while the consultation is a draft."""
    _require_agency(actor, consultation.agency_id)
    _require_draft(consultation)
    heading, body = clean_text(heading), clean_text(body)
    _invalid(heading=text_length_error(heading, 1, 300), body=text_length_error(body, 0, 100000))
    if section is None:
        last = db.exec(
            select(func.max(Section.position)).where(Section.consultation_id == consultation.id)
        ).one()
        section = Section(
            consultation_id=consultation.id,  # type: ignore[arg-type]
            position=(last or 0) + 1,
            heading=heading,
        )
    elif section.consultation_id != consultation.id:
        raise NotFound(N_("This section does not exist."))
    section.heading, section.body, section.level = heading, body, min(max(level, 1), 6)
    consultation.updated_at = utcnow()
    db.add(section)
    db.flush()
    return section


def delete_section(
    db: Session, actor: Account, consultation: Consultation, section: Section
) -> None:
    _require_agency(actor, consultation.agency_id)
    _require_draft(consultation)
    if section.consultation_id != consultation.id:
        raise NotFound(N_("This section does not exist."))
    position = section.position
    db.delete(section)
    db.flush()
    later = db.exec(
        select(Section)
        .where(Section.consultation_id == consultation.id, col(Section.position) > position)
        .order_by(col(Section.position))
    ).all()
    for item in later:
        item.position -= 1
        db.add(item)
        db.flush()


def publish_consultation(
    db: Session, actor: Account, consultation: Consultation, now: datetime | None = None
) -> Consultation:
    """Make a draft public: open now if its opening time has come, otherwise scheduled."""
    _require_agency(actor, consultation.agency_id)
    _require_draft(consultation)
    now = now or utcnow()
    if consultation.closes_at <= now:
        raise Invalid(
            field_errors={"closes_at": Msg(N_("The closing date has passed; change it first."))}
        )
    has_sections = db.exec(
        select(Section.id).where(Section.consultation_id == consultation.id)
    ).first()
    if not has_sections:
        raise Conflict(N_("Add at least one section before publishing."))
    consultation.published_at = now
    consultation.status = (
        ConsultationStatus.open if consultation.opens_at <= now else ConsultationStatus.scheduled
    )
    db.add(consultation)
    assert consultation.id is not None
    ev.emit(db, ev.ConsultationPublished(consultation.id))
    if consultation.status == ConsultationStatus.open:
        ev.emit(db, ev.ConsultationOpened(consultation.id))
    return consultation


def close_consultation(
    db: Session, actor: Account, consultation: Consultation, now: datetime | None = None
) -> Consultation:
    """Close early (or on time); comments are no longer accepted."""
    _require_agency(actor, consultation.agency_id)
    if consultation.status not in (ConsultationStatus.open, ConsultationStatus.scheduled):
        raise Conflict(N_("Only an open or scheduled consultation can be closed."))
    _close(db, consultation, now or utcnow())
    return consultation


def _close(db: Session, consultation: Consultation, now: datetime) -> None:
    consultation.status = ConsultationStatus.closed
    consultation.closed_at = now
    db.add(consultation)
    assert consultation.id is not None
    ev.emit(db, ev.ConsultationClosed(consultation.id))


def advance_consultations(db: Session, now: datetime | None = None) -> int:
    """Open scheduled consultations whose time has come and close those past their end.

    Run periodically by the outbox worker; returns how many changed."""
    now = now or utcnow()
    changed = 0
    due_open = db.exec(
        select(Consultation).where(
            Consultation.status == ConsultationStatus.scheduled, col(Consultation.opens_at) <= now
        )
    ).all()
    for consultation in due_open:
        consultation.status = ConsultationStatus.open
        db.add(consultation)
        ev.emit(db, ev.ConsultationOpened(consultation.id))  # type: ignore[arg-type]
        changed += 1
    due_close = db.exec(
        select(Consultation).where(
            col(Consultation.status).in_([ConsultationStatus.open, ConsultationStatus.scheduled]),
            col(Consultation.closes_at) <= now,
        )
    ).all()
    for consultation in due_close:
        _close(db, consultation, consultation.closes_at)
        changed += 1
    return changed


# --- comments -------------------------------------------------------------------------------


def submit_comment(
    db: Session,
    author: Account | None,
    consultation: Consultation,
    *,
    body: str,
    section_id: int | None = None,
    parent_id: int | None = None,
    channel: Channel = Channel.web,
    now: datetime | None = None,
) -> Comment:
    """Store a comment or reply as pending review (it is public only once published)."""
    author = _require_citizen_content_author(author)
    now = now or utcnow()
    if consultation.status != ConsultationStatus.open or consultation.closes_at <= now:
        raise Conflict(N_("This consultation is not open for comments."))
    body = clean_text(body)
    _invalid(body=text_length_error(body, COMMENT_MIN, COMMENT_MAX))
    root_id = None
    if parent_id is not None:
        parent = db.get(Comment, parent_id)
        if (
            parent is None
            or parent.consultation_id != consultation.id
            or parent.status != ContentStatus.published
        ):
            raise NotFound(N_("The comment you reply to does not exist."))
        section_id = parent.section_id
        root_id = parent.root_id or parent.id
    elif section_id is not None:
        section = db.get(Section, section_id)
        if section is None or section.consultation_id != consultation.id:
            raise NotFound(N_("This section does not exist."))
    comment = Comment(
        consultation_id=consultation.id,  # type: ignore[arg-type]
        section_id=section_id,
        parent_id=parent_id,
        root_id=root_id,
        author_id=author.id,  # type: ignore[arg-type]
        body=body,
        channel=channel,
        created_at=now,
    )
    db.add(comment)
    db.flush()
    ev.emit(db, ev.CommentSubmitted(comment.id, channel))  # type: ignore[arg-type]
    return comment


def _comment_counts(db: Session, comment: Comment, delta: int) -> None:
    """``comment`` became visible (+1) or stopped being visible (-1). The published counts
    follow what readers see: a thread shows only under a visible root, so a root takes its
    visible replies with it, and a reply under a hidden or removed root changes only its
    root's reply count."""
    if comment.root_id is not None:
        db.execute(
            update(Comment)
            .where(col(Comment.id) == comment.root_id)
            .values(reply_count=Comment.reply_count + delta)
        )
        root = db.get(Comment, comment.root_id)
        if root is None or root.status != ContentStatus.published or root.hidden_at is not None:
            return
    else:
        visible_replies = db.exec(
            select(func.count())
            .select_from(Comment)
            .where(
                Comment.root_id == comment.id,
                Comment.status == ContentStatus.published,
                col(Comment.hidden_at).is_(None),
            )
        ).one()
        delta *= 1 + int(visible_replies)
    db.execute(
        update(Consultation)
        .where(col(Consultation.id) == comment.consultation_id)
        .values(comment_count=Consultation.comment_count + delta)
    )
    if comment.section_id is not None:
        db.execute(
            update(Section)
            .where(col(Section.id) == comment.section_id)
            .values(comment_count=Section.comment_count + delta)
        )


def publish_comment(
    db: Session,
    moderator: Account | None,
    comment: Comment,
    now: datetime | None = None,
    *,
    on_appeal: bool = False,
) -> Comment:
    """Approve a pending comment (or, ``on_appeal``, a rejected one). ``moderator`` None is
    the system (post-moderated trust)."""
    if moderator is not None:
        _require_role(moderator, Role.moderator, Role.admin)
    allowed = (
        (ContentStatus.pending, ContentStatus.rejected) if on_appeal else (ContentStatus.pending,)
    )
    if comment.status not in allowed:
        raise Conflict(N_("This contribution has already been decided."))
    comment.status = ContentStatus.published
    comment.reject_reason = None
    comment.published_at = now or utcnow()
    db.add(comment)
    if comment.hidden_at is None:
        _comment_counts(db, comment, +1)
    ev.emit(db, ev.CommentPublished(comment.id, moderator.id if moderator else None))  # type: ignore[arg-type]
    return comment


def _check_reason(reason: str) -> str:
    reason = clean_text(reason)
    if not reason:
        raise Invalid(field_errors={"reason": Msg(N_("Give the reason the author will see."))})
    return reason[:500]


def reject_comment(db: Session, moderator: Account, comment: Comment, *, reason: str) -> Comment:
    """Reject a pending comment, or take down a published one (post-moderated or flagged)."""
    _require_role(moderator, Role.moderator, Role.admin)
    reason = _check_reason(reason)
    if comment.status not in (ContentStatus.pending, ContentStatus.published):
        raise Conflict(N_("This contribution has already been decided."))
    if comment.status == ContentStatus.published and comment.hidden_at is None:
        _comment_counts(db, comment, -1)
    comment.status = ContentStatus.rejected
    comment.reject_reason = reason
    db.add(comment)
    ev.emit(db, ev.CommentRejected(comment.id, moderator.id, reason))  # type: ignore[arg-type]
    return comment


def withdraw_comment(db: Session, author: Account, comment: Comment) -> Comment:
    """The author takes their comment back (published or pending)."""
    if comment.author_id != author.id:
        raise NotAllowed(N_("Only the author can withdraw this."))
    if comment.status not in (ContentStatus.pending, ContentStatus.published):
        raise Conflict(N_("This contribution cannot be withdrawn any more."))
    if comment.status == ContentStatus.published:
        _comment_counts(db, comment, -1)
    comment.status = ContentStatus.withdrawn
    db.add(comment)
    ev.emit(db, ev.CommentWithdrawn(comment.id))  # type: ignore[arg-type]
    return comment


# --- aspirations ----------------------------------------------------------------------------


def _next_ticket(db: Session, year: int) -> str:
    """Atomic per-year serial: one upsert, safe under concurrent submissions on both engines."""
    insert = sqlite_insert if db.get_bind().dialect.name == "sqlite" else pg_insert
    statement = (
        insert(TicketCounter)
        .values(year=year, last=1)
        .on_conflict_do_update(index_elements=["year"], set_={"last": col(TicketCounter.last) + 1})
        .returning(col(TicketCounter.last))
    )
    serial = db.execute(statement).scalar_one()
    return f"ASP-{year}-{serial:06d}"


def check_aspiration(
    db: Session,
    *,
    title: str,
    body: str,
    category_id: int | None,
    region_id: int | None,
    agency_id: int | None,
    visibility: Visibility | None,
) -> None:
    """Raise Invalid with every problem of an aspiration's fields; writes nothing."""
    title, body = clean_text(title), clean_text(body)
    errors: dict[str, Msg | None] = {
        "title": text_length_error(title, TITLE_MIN, TITLE_MAX),
        "body": text_length_error(body, ASPIRATION_BODY_MIN, ASPIRATION_BODY_MAX),
    }
    category = db.get(Category, category_id) if category_id else None
    if category is None or not category.is_active:
        errors["category"] = Msg(N_("Choose a category."))
    if region_id is None or db.get(Region, region_id) is None:
        errors["region"] = Msg(N_("Choose a region."))
    if agency_id is not None:
        agency = db.get(Agency, agency_id)
        if agency is None or not agency.is_active:
            errors["agency"] = Msg(N_("Unknown agency."))
    if visibility is None:
        errors["visibility"] = Msg(N_("Choose who may see it."))
    _invalid(**errors)


def submit_aspiration(
    db: Session,
    author: Account | None,
    *,
    title: str,
    body: str,
    category_id: int | None,
    region_id: int | None,
    agency_id: int | None,
    visibility: Visibility | None,
    channel: Channel = Channel.web,
    now: datetime | None = None,
) -> Aspiration:
    """Store an aspiration as pending review with a fresh ticket number."""
    author = _require_citizen_content_author(author)
    now = now or utcnow()
    title, body = clean_text(title), clean_text(body)
    check_aspiration(
        db,
        title=title,
        body=body,
        category_id=category_id,
        region_id=region_id,
        agency_id=agency_id,
        visibility=visibility,
    )
    assert visibility is not None
    aspiration = Aspiration(
        ticket=_next_ticket(db, now.year),
        title=title,
        body=body,
        category_id=category_id,  # type: ignore[arg-type]
        region_id=region_id,  # type: ignore[arg-type]
        agency_id=agency_id,
        visibility=visibility,
        author_id=author.id,  # type: ignore[arg-type]
        channel=channel,
        created_at=now,
        updated_at=now,
    )
    db.add(aspiration)
    db.flush()
    db.add(Follow(account_id=author.id, aspiration_id=aspiration.id))  # type: ignore[arg-type]
    ev.emit(db, ev.AspirationSubmitted(aspiration.id, channel))  # type: ignore[arg-type]
    return aspiration


def publish_aspiration(
    db: Session,
    moderator: Account | None,
    aspiration: Aspiration,
    now: datetime | None = None,
    *,
    on_appeal: bool = False,
) -> Aspiration:
    """Approve: the aspiration becomes public (as its visibility allows) and, when its agency
    is known, routed to it. ``on_appeal`` also reinstates a rejected one."""
    if moderator is not None:
        _require_role(moderator, Role.moderator, Role.admin)
    allowed = (
        (AspirationStatus.pending, AspirationStatus.rejected)
        if on_appeal
        else (AspirationStatus.pending,)
    )
    if aspiration.status not in allowed:
        raise Conflict(N_("This contribution has already been decided."))
    now = now or utcnow()
    aspiration.reject_reason = None
    aspiration.published_at = now
    aspiration.updated_at = now
    aspiration.status = AspirationStatus.published
    db.add(aspiration)
    ev.emit(db, ev.AspirationPublished(aspiration.id, moderator.id if moderator else None))  # type: ignore[arg-type]
    if aspiration.agency_id is not None:
        _route(db, aspiration, aspiration.agency_id, moderator, "", now, initial=True)
    return aspiration


ROUTABLE = (AspirationStatus.published, AspirationStatus.routed, AspirationStatus.in_progress)


def _route(
    db: Session,
    aspiration: Aspiration,
    agency_id: int,
    actor: Account | None,
    reason: str,
    now: datetime,
    *,
    initial: bool = False,
) -> None:
    """Send to an agency: the response deadline (re)starts now."""
    deadlines = deadlines_of(db.info)
    previous = None if initial else aspiration.agency_id
    db.add(
        RoutingEvent(
            aspiration_id=aspiration.id,  # type: ignore[arg-type]
            from_agency_id=previous,
            to_agency_id=agency_id,
            actor_id=actor.id if actor else None,
            reason=reason,
            created_at=now,
        )
    )
    aspiration.agency_id = agency_id
    aspiration.status = AspirationStatus.routed
    aspiration.routed_at = aspiration.updated_at = now
    aspiration.due_at = deadlines.calendar.add(now, deadlines.response_days)
    aspiration.overdue_at = aspiration.escalated_at = None
    db.add(aspiration)
    ev.emit(
        db,
        ev.AspirationRouted(
            aspiration.id,  # type: ignore[arg-type]
            agency_id,
            previous,
            actor.id if actor else None,
        ),
    )


def route_aspiration(
    db: Session,
    actor: Account,
    aspiration: Aspiration,
    *,
    agency_id: int,
    reason: str,
    now: datetime | None = None,
) -> Aspiration:
    """Disposisi: a moderator routes a published aspiration to an agency; an official whose
    agency is not the right one re-routes it ("not our authority") with a reason. Both
    agencies see the history; the deadline restarts."""
    if actor.role == Role.official:
        if aspiration.agency_id != actor.agency_id:
            raise NotAllowed(N_("This belongs to another agency."))
    else:
        _require_role(actor, Role.moderator, Role.admin)
    if aspiration.status not in ROUTABLE or aspiration.hidden_at is not None:
        raise Conflict(N_("This aspiration cannot be routed now."))
    reason = clean_text(reason)
    target = db.get(Agency, agency_id)
    errors: dict[str, Msg | None] = {}
    if target is None or not target.is_active:
        errors["agency"] = Msg(N_("Unknown agency."))
    elif target.id == aspiration.agency_id:
        errors["agency"] = Msg(N_("Choose another agency."))
    if aspiration.agency_id is not None and not reason:
        errors["reason"] = Msg(N_("Say why it belongs to the other agency."))
    _invalid(**errors)
    _route(db, aspiration, agency_id, actor, reason[:500], now or utcnow())
    return aspiration


def mark_in_progress(
    db: Session, official: Account, aspiration: Aspiration, now: datetime | None = None
) -> Aspiration:
    """The agency is working on it (the deadline still runs until the first response)."""
    if aspiration.agency_id is None:
        raise Conflict(N_("Route this aspiration to an agency first."))
    _require_agency(official, aspiration.agency_id)
    if aspiration.status != AspirationStatus.routed:
        raise Conflict(N_("Only a routed aspiration can be marked in progress."))
    aspiration.status = AspirationStatus.in_progress
    aspiration.updated_at = now or utcnow()
    db.add(aspiration)
    ev.emit(db, ev.AspirationStatusChanged(aspiration.id, aspiration.status, official.id))  # type: ignore[arg-type]
    return aspiration


def confirm_resolution(
    db: Session, author: Account, aspiration: Aspiration, now: datetime | None = None
) -> Aspiration:
    """The citizen says the answer resolved it: the aspiration is closed."""
    if author.id != aspiration.author_id:
        raise NotAllowed(N_("Only the author can do this."))
    if aspiration.status != AspirationStatus.responded:
        raise Conflict(N_("Only an answered aspiration can be confirmed."))
    _close_aspiration(db, aspiration, "confirmed", now or utcnow())
    return aspiration


def _close_aspiration(db: Session, aspiration: Aspiration, reason: str, now: datetime) -> None:
    aspiration.status = AspirationStatus.closed
    aspiration.closed_at = aspiration.updated_at = now
    aspiration.close_reason = reason
    aspiration.auto_close_at = None
    db.add(aspiration)
    ev.emit(db, ev.AspirationClosed(aspiration.id, reason))  # type: ignore[arg-type]


def reopen_aspiration(
    db: Session,
    author: Account,
    aspiration: Aspiration,
    *,
    reason: str,
    now: datetime | None = None,
) -> Aspiration:
    """The citizen is not satisfied: back to the agency, once, with a reason."""
    if author.id != aspiration.author_id:
        raise NotAllowed(N_("Only the author can do this."))
    if aspiration.status not in (AspirationStatus.responded, AspirationStatus.closed):
        raise Conflict(N_("Only an answered aspiration can be reopened."))
    if aspiration.reopen_count >= 1:
        raise Conflict(N_("An aspiration can be reopened only once."))
    reason = clean_text(reason)
    _invalid(reason=text_length_error(reason, 10, 1000))
    now = now or utcnow()
    deadlines = deadlines_of(db.info)
    aspiration.reopen_count += 1
    aspiration.status = AspirationStatus.routed
    aspiration.closed_at = aspiration.close_reason = aspiration.auto_close_at = None
    aspiration.due_at = deadlines.calendar.add(now, deadlines.response_days)
    aspiration.overdue_at = aspiration.escalated_at = None
    aspiration.updated_at = now
    db.add(aspiration)
    ev.emit(db, ev.AspirationReopened(aspiration.id, reason))  # type: ignore[arg-type]
    return aspiration


def run_deadlines(db: Session, now: datetime | None = None) -> dict[str, int]:
    """The scheduler's pass: flag overdue aspirations, escalate long-overdue ones to
    administrators, close answered ones whose auto-close time has come."""
    now = now or utcnow()
    deadlines = deadlines_of(db.info)
    open_statuses = [AspirationStatus.routed, AspirationStatus.in_progress]
    counts = {"overdue": 0, "escalated": 0, "closed": 0}
    for aspiration in db.exec(
        select(Aspiration).where(
            col(Aspiration.status).in_(open_statuses),
            col(Aspiration.due_at) < now,
            col(Aspiration.overdue_at).is_(None),
        )
    ):
        aspiration.overdue_at = now
        db.add(aspiration)
        ev.emit(db, ev.AspirationOverdue(aspiration.id, aspiration.agency_id))  # type: ignore[arg-type]
        counts["overdue"] += 1
    for aspiration in db.exec(
        select(Aspiration).where(
            col(Aspiration.status).in_(open_statuses),
            col(Aspiration.overdue_at).is_not(None),
            col(Aspiration.escalated_at).is_(None),
        )
    ):
        assert aspiration.due_at is not None
        if deadlines.calendar.add(aspiration.due_at, deadlines.escalation_days) <= now:
            aspiration.escalated_at = now
            db.add(aspiration)
            ev.emit(db, ev.AspirationEscalated(aspiration.id, aspiration.agency_id))  # type: ignore[arg-type]
            counts["escalated"] += 1
    for aspiration in db.exec(
        select(Aspiration).where(
            Aspiration.status == AspirationStatus.responded,
            col(Aspiration.auto_close_at) <= now,
        )
    ):
        _close_aspiration(db, aspiration, "auto", now)
        counts["closed"] += 1
    return counts


def reject_aspiration(
    db: Session, moderator: Account, aspiration: Aspiration, *, reason: str
) -> Aspiration:
    _require_role(moderator, Role.moderator, Role.admin)
    reason = _check_reason(reason)
    if aspiration.status not in (AspirationStatus.pending, *PUBLIC_ASPIRATION_STATUSES):
        raise Conflict(N_("This contribution has already been decided."))
    aspiration.status = AspirationStatus.rejected
    aspiration.reject_reason = reason
    aspiration.updated_at = utcnow()
    db.add(aspiration)
    ev.emit(db, ev.AspirationRejected(aspiration.id, moderator.id, reason))  # type: ignore[arg-type]
    return aspiration


def withdraw_aspiration(db: Session, author: Account, aspiration: Aspiration) -> Aspiration:
    if aspiration.author_id != author.id:
        raise NotAllowed(N_("Only the author can withdraw this."))
    if aspiration.status in (
        AspirationStatus.rejected,
        AspirationStatus.closed,
        AspirationStatus.withdrawn,
    ):
        raise Conflict(N_("This contribution cannot be withdrawn any more."))
    aspiration.status = AspirationStatus.withdrawn
    aspiration.updated_at = utcnow()
    db.add(aspiration)
    ev.emit(db, ev.AspirationWithdrawn(aspiration.id))  # type: ignore[arg-type]
    return aspiration


def follow_aspiration(db: Session, account: Account, aspiration: Aspiration) -> bool:
    """Follow an aspiration (be notified of its responses); returns False if already."""
    exists = db.exec(
        select(Follow.id).where(
            Follow.account_id == account.id, Follow.aspiration_id == aspiration.id
        )
    ).first()
    if exists:
        return False
    db.add(Follow(account_id=account.id, aspiration_id=aspiration.id))  # type: ignore[arg-type]
    return True


def edit_official_response(
    db: Session, official: Account, response: OfficialResponse, *, body: str
) -> OfficialResponse:
    """Change an official response; the earlier wording stays visible as history."""
    _require_agency(official, response.agency_id)
    body = clean_text(body)
    _invalid(body=text_length_error(body, COMMENT_MIN, ASPIRATION_BODY_MAX))
    if body == response.body:
        return response
    db.add(
        ResponseRevision(
            response_id=response.id,  # type: ignore[arg-type]
            body=response.body,
            edited_by_id=official.id,  # type: ignore[arg-type]
        )
    )
    response.body = body
    response.updated_at = utcnow()
    db.add(response)
    ev.emit(db, ev.OfficialResponseEdited(response.id))  # type: ignore[arg-type]
    return response


def respond_to_many(
    db: Session, official: Account, aspirations: Sequence[Aspiration], *, body: str
) -> list[OfficialResponse]:
    """One answer to a set of similar aspirations of the official's agency; every author is
    notified (each response emits its own event)."""
    if not aspirations:
        raise Invalid(N_("Select at least one aspiration."))
    for aspiration in aspirations:
        if aspiration.agency_id is None:
            raise Conflict(N_("Route this aspiration to an agency first."))
        _require_agency(official, aspiration.agency_id)
    return [
        publish_official_response(db, official, body=body, aspiration=aspiration)
        for aspiration in aspirations
    ]


DISPOSITIONS = {
    "accepted": N_("Accepted"),
    "partly": N_("Partly accepted"),
    "rejected": N_("Not accepted"),
}


def set_disposition(
    db: Session, official: Account, comment: Comment, *, value: str, reason: str
) -> Disposition:
    """The agency's "you said, we did" answer to one comment of its consultation."""
    consultation = db.get(Consultation, comment.consultation_id)
    assert consultation is not None
    _require_agency(official, consultation.agency_id)
    if comment.status != ContentStatus.published:
        raise Conflict(N_("Only a published comment can be answered."))
    reason = clean_text(reason)
    errors: dict[str, Msg | None] = {}
    if value not in DISPOSITIONS:
        errors["value"] = Msg(N_("Choose accepted, partly accepted or not accepted."))
    if value != "accepted" and not reason:
        errors["reason"] = Msg(N_("Give the reason."))
    _invalid(**errors)
    row = db.exec(select(Disposition).where(Disposition.comment_id == comment.id)).first()
    row = row or Disposition(
        comment_id=comment.id,  # type: ignore[arg-type]
        consultation_id=consultation.id,  # type: ignore[arg-type]
        agency_id=consultation.agency_id,
        value=value,
        author_id=official.id,  # type: ignore[arg-type]
    )
    row.value, row.author_id = value, official.id  # type: ignore[assignment]
    row.reason = reason[:1000]
    row.updated_at = utcnow()
    db.add(row)
    return row


def conclude_consultation(
    db: Session, official: Account, consultation: Consultation, *, summary: str
) -> Consultation:
    """Publish the consultation's report: closed → concluded."""
    _require_agency(official, consultation.agency_id)
    if consultation.status != ConsultationStatus.closed:
        raise Conflict(N_("Close the consultation before publishing its report."))
    summary = clean_text(summary)
    _invalid(summary=text_length_error(summary, 10, 20000))
    consultation.status = ConsultationStatus.concluded
    consultation.concluded_at = utcnow()
    consultation.report_summary = summary
    db.add(consultation)
    ev.emit(db, ev.ConsultationConcluded(consultation.id))  # type: ignore[arg-type]
    return consultation


def set_notification_preferences(db: Session, account: Account, *, email: bool) -> Account:
    account.notify_email = email
    db.add(account)
    return account


# --- moderation decisions the forum owns (called by the moderation package) ---------------

REDACTED = "[disamarkan]"


def _require_moderator(actor: Account | None) -> Account:
    return _require_role(actor, Role.moderator, Role.admin)


def hide_content(
    db: Session,
    actor: Account | None,
    *,
    comment: Comment | None = None,
    aspiration: Aspiration | None = None,
    now: datetime | None = None,
) -> bool:
    """Hide published content pending review (``actor`` None: the flag threshold did it).
    Returns False when it was already hidden."""
    if actor is not None:
        _require_moderator(actor)
    item = comment or aspiration
    if item is None or item.hidden_at is not None:
        return False
    item.hidden_at = now or utcnow()
    db.add(item)
    if comment is not None and comment.status == ContentStatus.published:
        _comment_counts(db, comment, -1)
    kind = "comment" if comment is not None else "aspiration"
    ev.emit(db, ev.ContentHidden(kind, item.id, actor.id if actor else None))  # type: ignore[arg-type]
    return True


def restore_content(
    db: Session,
    moderator: Account,
    *,
    comment: Comment | None = None,
    aspiration: Aspiration | None = None,
) -> bool:
    """A moderator found hidden content fine: show it again."""
    _require_moderator(moderator)
    item = comment or aspiration
    if item is None or item.hidden_at is None:
        return False
    item.hidden_at = None
    db.add(item)
    if comment is not None and comment.status == ContentStatus.published:
        _comment_counts(db, comment, +1)
    kind = "comment" if comment is not None else "aspiration"
    ev.emit(db, ev.ContentRestored(kind, item.id, moderator.id))  # type: ignore[arg-type]
    return True


def redact_text(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """Replace each [start, end) span with [disamarkan]; overlapping spans are merged."""
    merged: list[list[int]] = []
    for start, end in sorted((max(0, s), min(len(text), e)) for s, e in spans):
        if start >= end:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out, cursor = [], 0
    for start, end in merged:
        out.append(text[cursor:start])
        out.append(REDACTED)
        cursor = end
    out.append(text[cursor:])
    return "".join(out)


def redact_comment(db: Session, moderator: Account, comment: Comment, *, body: str) -> Comment:
    """Replace the comment's text with its redacted version (the caller keeps the original in
    the moderation record; the forum keeps only the redacted text)."""
    _require_moderator(moderator)
    comment.body = body
    comment.redacted_at = utcnow()
    db.add(comment)
    ev.emit(db, ev.ContentRedacted("comment", comment.id, moderator.id))  # type: ignore[arg-type]
    return comment


def redact_aspiration(
    db: Session, moderator: Account, aspiration: Aspiration, *, title: str, body: str
) -> Aspiration:
    _require_moderator(moderator)
    aspiration.title, aspiration.body = title, body
    aspiration.redacted_at = aspiration.updated_at = utcnow()
    db.add(aspiration)
    ev.emit(db, ev.ContentRedacted("aspiration", aspiration.id, moderator.id))  # type: ignore[arg-type]
    return aspiration


def merge_duplicate_aspiration(
    db: Session, moderator: Account, duplicate: Aspiration, original: Aspiration
) -> Aspiration:
    """The duplicate becomes a "me too" support of the original, and its author follows the
    original; the duplicate itself is not published."""
    _require_moderator(moderator)
    if duplicate.id == original.id:
        raise Invalid(field_errors={"original": Msg(N_("Choose another aspiration."))})
    if original.status not in PUBLIC_ASPIRATION_STATUSES or original.hidden_at is not None:
        raise Invalid(
            field_errors={"original": Msg(N_("The original must be a published aspiration."))}
        )
    if duplicate.status != AspirationStatus.pending:
        raise Conflict(N_("This contribution has already been decided."))
    duplicate.status = AspirationStatus.merged
    duplicate.duplicate_of_id = original.id
    duplicate.updated_at = utcnow()
    db.add(duplicate)
    author = db.get(Account, duplicate.author_id)
    assert author is not None
    if author.id != original.author_id:
        add_support(db, author, aspiration=original)
    follow_aspiration(db, author, original)
    ev.emit(db, ev.AspirationMerged(duplicate.id, original.id, moderator.id))  # type: ignore[arg-type]
    return duplicate


def set_post_moderation(
    db: Session, actor: Account, consultation: Consultation, *, enabled: bool
) -> Consultation:
    """Let established citizens' comments appear at once on this consultation (they are
    still screened and reviewed afterwards)."""
    if actor.role != Role.moderator:
        _require_agency(actor, consultation.agency_id)
    consultation.post_moderation = enabled
    db.add(consultation)
    return consultation


# --- support --------------------------------------------------------------------------------


def _support_target(
    comment: Comment | None, aspiration: Aspiration | None
) -> tuple[type[Comment] | type[Aspiration], int, int]:
    if (comment is None) == (aspiration is None):
        raise Invalid(N_("Support one comment or one aspiration."))
    if comment is not None:
        if comment.status != ContentStatus.published or comment.hidden_at is not None:
            raise NotFound(N_("This contribution is not public."))
        return Comment, comment.id, comment.author_id  # type: ignore[return-value]
    assert aspiration is not None
    if aspiration.status not in PUBLIC_ASPIRATION_STATUSES:
        raise NotFound(N_("This contribution is not public."))
    if aspiration.visibility == Visibility.confidential or aspiration.hidden_at is not None:
        raise NotFound(N_("This contribution is not public."))
    return Aspiration, aspiration.id, aspiration.author_id  # type: ignore[return-value]


def add_support(
    db: Session,
    account: Account | None,
    *,
    comment: Comment | None = None,
    aspiration: Aspiration | None = None,
) -> bool:
    """Support a published comment or aspiration; returns False if already supported."""
    account = _require_citizen_content_author(account)
    model, target_id, author_id = _support_target(comment, aspiration)
    if author_id == account.id:
        raise Conflict(N_("You cannot support your own contribution."))
    field = Support.comment_id if model is Comment else Support.aspiration_id
    exists = db.exec(
        select(Support.id).where(Support.account_id == account.id, field == target_id)
    ).first()
    if exists:
        return False
    db.add(
        Support(
            account_id=account.id,  # type: ignore[arg-type]
            comment_id=target_id if model is Comment else None,
            aspiration_id=target_id if model is Aspiration else None,
        )
    )
    db.execute(
        update(model)
        .where(col(model.id) == target_id)
        .values(support_count=model.support_count + 1)
    )
    ev.emit(
        db,
        ev.SupportAdded(
            account.id,  # type: ignore[arg-type]
            target_id if model is Comment else None,
            target_id if model is Aspiration else None,
        ),
    )
    return True


def withdraw_support(
    db: Session,
    account: Account | None,
    *,
    comment: Comment | None = None,
    aspiration: Aspiration | None = None,
) -> bool:
    account = _require_citizen_content_author(account)
    if (comment is None) == (aspiration is None):
        raise Invalid(N_("Support one comment or one aspiration."))
    model: type[Comment] | type[Aspiration] = Comment if comment is not None else Aspiration
    target_id = (comment or aspiration).id  # type: ignore[union-attr]
    field = Support.comment_id if model is Comment else Support.aspiration_id
    result = db.execute(
        delete(Support).where(col(Support.account_id) == account.id, col(field) == target_id)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return False
    db.execute(
        update(model)
        .where(col(model.id) == target_id)
        .values(support_count=model.support_count - 1)
    )
    ev.emit(
        db,
        ev.SupportWithdrawn(
            account.id,  # type: ignore[arg-type]
            target_id if model is Comment else None,
            target_id if model is Aspiration else None,
        ),
    )
    return True


# --- official responses ---------------------------------------------------------------------


def publish_official_response(
    db: Session,
    official: Account,
    *,
    body: str,
    aspiration: Aspiration | None = None,
    comment: Comment | None = None,
    now: datetime | None = None,
) -> OfficialResponse:
    """An official answers an aspiration routed to their agency, or a comment on one of their
    agency's consultations. Not moderated; shown with the agency's name."""
    if (aspiration is None) == (comment is None):
        raise Invalid(N_("Answer one comment or one aspiration."))
    now = now or utcnow()
    if aspiration is not None:
        if aspiration.agency_id is None:
            raise Conflict(N_("Route this aspiration to an agency first."))
        agency_id = aspiration.agency_id
        if aspiration.status not in PUBLIC_ASPIRATION_STATUSES:
            raise Conflict(N_("Only a published aspiration can be answered."))
    else:
        assert comment is not None
        consultation = db.get(Consultation, comment.consultation_id)
        assert consultation is not None
        agency_id = consultation.agency_id
        if comment.status != ContentStatus.published:
            raise Conflict(N_("Only a published comment can be answered."))
    _require_agency(official, agency_id)
    body = clean_text(body)
    _invalid(body=text_length_error(body, COMMENT_MIN, ASPIRATION_BODY_MAX))
    response = OfficialResponse(
        agency_id=agency_id,
        author_id=official.id,  # type: ignore[arg-type]
        aspiration_id=aspiration.id if aspiration else None,
        comment_id=comment.id if comment else None,
        body=body,
        created_at=now,
    )
    db.add(response)
    if aspiration is not None and aspiration.status != AspirationStatus.closed:
        deadlines = deadlines_of(db.info)
        aspiration.status = AspirationStatus.responded
        aspiration.first_response_at = aspiration.first_response_at or now
        aspiration.responded_at = aspiration.updated_at = now
        aspiration.auto_close_at = deadlines.calendar.add(now, deadlines.auto_close_days)
        db.add(aspiration)
    db.flush()
    ev.emit(
        db,
        ev.OfficialResponsePublished(
            response.id,  # type: ignore[arg-type]
            response.aspiration_id,
            response.comment_id,
        ),
    )
    return response


# --- merging a chat-only account into a web account -------------------------------------


def is_chat_only(account: Account) -> bool:
    """A citizen account made for a chat: no email, phone or password, never logged in."""
    return (
        account.role == Role.citizen
        and account.email is None
        and account.phone is None
        and account.password_hash is None
        and account.deleted_at is None
    )


def merge_chat_account(db: Session, source: Account, target: Account) -> dict[str, int]:
    """Move everything a chat-only account did to ``target`` (the person linked their chat to
    their web account), in the caller's transaction, then retire it. Supports and follows
    that would repeat one of ``target``'s, or support ``target``'s own contribution, are
    dropped (one support per person). Returns what was moved, by kind (for the audit)."""
    if source.id is None or target.id is None or source.id == target.id:
        raise Conflict(N_("These accounts cannot be merged."))
    if not is_chat_only(source):
        raise NotAllowed(
            N_("Only an account made in a chat can be merged; this one has a login or a role.")
        )
    if not source.is_active or not target.is_active or target.deleted_at is not None:
        raise NotAllowed(N_("This account is not active."))
    moved: dict[str, int] = {}
    for name, model in (("comment", Comment), ("aspiration", Aspiration)):
        result = db.execute(
            update(model).where(col(model.author_id) == source.id).values(author_id=target.id)
        )
        moved[name] = int(result.rowcount)  # type: ignore[attr-defined]
    moved["support"] = _merge_supports(db, source.id, target.id)
    kept = select(Follow.aspiration_id).where(Follow.account_id == target.id)
    db.execute(
        delete(Follow).where(
            col(Follow.account_id) == source.id, col(Follow.aspiration_id).in_(kept)
        )
    )
    result = db.execute(
        update(Follow).where(col(Follow.account_id) == source.id).values(account_id=target.id)
    )
    moved["follow"] = int(result.rowcount)  # type: ignore[attr-defined]
    result = db.execute(
        update(Notification)
        .where(col(Notification.account_id) == source.id)
        .values(account_id=target.id)
    )
    moved["notification"] = int(result.rowcount)  # type: ignore[attr-defined]
    db.execute(
        update(RoutingEvent)
        .where(col(RoutingEvent.actor_id) == source.id)
        .values(actor_id=target.id)
    )
    source.is_active = False
    source.name = "Akun digabung"
    source.deleted_at = utcnow()
    db.add(source)
    ev.emit(db, ev.AccountsMerged(source.id, target.id))
    return moved


def _merge_supports(db: Session, source_id: int, target_id: int) -> int:
    """The source's supports go to the target unless the target already supports the item
    or wrote it; a dropped support lowers the item's count."""
    moved = 0
    for support in list(db.exec(select(Support).where(Support.account_id == source_id))):
        model: type[Comment] | type[Aspiration] = (
            Comment if support.comment_id is not None else Aspiration
        )
        item_id = support.comment_id if support.comment_id is not None else support.aspiration_id
        field = Support.comment_id if model is Comment else Support.aspiration_id
        item = db.get(Comment, item_id) if model is Comment else db.get(Aspiration, item_id)
        duplicate = db.exec(
            select(Support.id).where(Support.account_id == target_id, field == item_id)
        ).first()
        if duplicate is not None or item is None or item.author_id == target_id:
            db.delete(support)
            db.execute(
                update(model)
                .where(col(model.id) == item_id)
                .values(support_count=model.support_count - 1)
            )
            continue
        support.account_id = target_id
        db.add(support)
        moved += 1
    # Items the source wrote and the target supported: the person would support their own.
    for model, field in ((Comment, Support.comment_id), (Aspiration, Support.aspiration_id)):
        own = select(model.id).where(col(model.author_id) == target_id)
        for support in list(
            db.exec(select(Support).where(Support.account_id == target_id, col(field).in_(own)))
        ):
            db.delete(support)
            db.execute(
                update(model)
                .where(col(model.id) == (support.comment_id or support.aspiration_id))
                .values(support_count=model.support_count - 1)
            )
    db.flush()
    return moved


@dataclass(frozen=True)
class Resealed:
    resealed: int  # now sealed with the first key of REMBUG_SEALING_KEYS
    current: int  # already were
    unreadable: int  # open with none of the keys (an administrator resets these accounts)


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
