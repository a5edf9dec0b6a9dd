"""Deployment settings: the only module that reads the environment (prefix ``REMBUG_``)."""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@dataclass(frozen=True)
class Setting:
    """One documented environment variable; docs/configuration.md must list every one."""

    name: str
    default: str
    doc: str


SETTINGS: tuple[Setting, ...] = (
    Setting("REMBUG_DATA_DIR", "./var", "Folder for the SQLite database, search index and key."),
    Setting(
        "REMBUG_DATABASE_URL",
        "sqlite:///<REMBUG_DATA_DIR>/rembug.sqlite3",
        "SQLAlchemy URL; use postgresql+psycopg://user:pass@host/db for PostgreSQL.",
    ),
    Setting(
        "REMBUG_SECRET_KEY",
        "(generated into <REMBUG_DATA_DIR>/secret_key on first run)",
        "Signs CSRF tokens and cookies. Keep it secret; changing it logs nobody out (and, "
        "with REMBUG_SEALING_KEYS set, leaves two-factor secrets readable).",
    ),
    Setting(
        "REMBUG_SEALING_KEYS",
        "(derived from REMBUG_SECRET_KEY: development only)",
        "Keys (comma-separated, each at least 32 characters) encrypting two-factor secrets "
        "with AES-GCM: the first seals, all open. Rotate by putting a new key first, run "
        "rembug reseal, then drop the old one. Required when REMBUG_BASE_URL is a public "
        "https address.",
    ),
    Setting("REMBUG_BASE_URL", "http://127.0.0.1:8000", "Public URL; https makes cookies Secure."),
    Setting("REMBUG_TIMEZONE", "Asia/Jakarta", "Time zone used to show dates."),
    Setting("REMBUG_DEFAULT_LOCALE", "id", "UI language for new visitors: id or en."),
    Setting("REMBUG_RUN_WORKER", "true", "Run the outbox worker inside the web process."),
    Setting("REMBUG_WORKER_POLL_SECONDS", "1.0", "How often an idle outbox worker looks for jobs."),
    Setting(
        "REMBUG_OUTBOX_LEASE_SECONDS",
        "120",
        "How long a worker holds a job it took; a crashed worker's jobs run again after this.",
    ),
    Setting("REMBUG_SESSION_DAYS", "14", "How long a login session lasts at most."),
    Setting(
        "REMBUG_SESSION_IDLE_HOURS",
        "72",
        "A session unused for this many hours ends (the person logs in again).",
    ),
    Setting(
        "REMBUG_LOGIN_MAX_FAILURES",
        "5",
        "Failed logins per account within the window before logins are refused.",
    ),
    Setting(
        "REMBUG_LOGIN_MAX_FAILURES_PER_IP",
        "20",
        "Failed logins per IP address within the window before logins are refused.",
    ),
    Setting("REMBUG_LOGIN_WINDOW_MINUTES", "15", "Window for the login throttles."),
    Setting(
        "REMBUG_TOTP_MAX_FAILURES",
        "5",
        "Wrong two-factor codes per account within the login window before codes are refused.",
    ),
    Setting(
        "REMBUG_TOTP_MAX_FAILURES_PER_IP",
        "20",
        "Wrong two-factor codes per IP address within the login window before codes are refused.",
    ),
    Setting("REMBUG_RATE_REGISTER_PER_HOUR", "10", "New accounts per IP address per hour."),
    Setting(
        "REMBUG_RATE_POSTS_PER_HOUR",
        "30",
        "Comments and aspirations one account may send per hour (web).",
    ),
    Setting(
        "REMBUG_RATE_NEW_ACCOUNT_POST_SECONDS",
        "30",
        "An account younger than a day may post once per this many seconds.",
    ),
    Setting("REMBUG_RATE_FLAGS_PER_HOUR", "20", "Reports (flags) one account may send per hour."),
    Setting(
        "REMBUG_RATE_SEARCH_PER_MINUTE",
        "60",
        "Searches (pages and API) per IP address per minute; the first third of them per web "
        "process are counted in memory only.",
    ),
    Setting(
        "REMBUG_RATE_LINK_CODES_PER_HOUR",
        "5",
        "Chat link codes one account may ask for per hour (four times as many per IP address).",
    ),
    Setting(
        "REMBUG_UNCONFIRMED_ACCOUNT_DAYS",
        "7",
        "A self-registered account whose email address is still unconfirmed after this many "
        "days is removed (its contributions kept without a name); 0 keeps them. Only when "
        "REMBUG_SMTP_URL is set (without mail nobody could confirm).",
    ),
    Setting(
        "REMBUG_RESET_LINK_MINUTES",
        "30",
        "How long a password reset link works (once).",
    ),
    Setting(
        "REMBUG_LOGIN_CODE_MINUTES",
        "10",
        "How long a sign-in code works; a sign-in code works once.",
    ),
    Setting(
        "REMBUG_LOGIN_CODE_MAX_TRIES",
        "5",
        "Wrong tries of one sign-in or confirmation code before it stops working (ask a new one).",
    ),
    Setting(
        "REMBUG_RATE_ACCESS_MAILS_PER_HOUR",
        "5",
        "Password reset links, sign-in codes and confirmation mails per address (and per "
        "account) per hour; ten times as many per IP address.",
    ),
    Setting("REMBUG_COMMENTS_PER_PAGE", "20", "Comment threads per page."),
    Setting(
        "REMBUG_PAGE_CACHE_SECONDS",
        "5",
        "How long a page rendered for anonymous visitors may be reused (0: never). Any change "
        "empties the cache of its process at once.",
    ),
    Setting(
        "REMBUG_PASSWORD_HASH_TIME_COST",
        "3",
        "argon2id iterations for password hashes (OWASP: at least 2).",
    ),
    Setting(
        "REMBUG_PASSWORD_HASH_MEMORY_KIB",
        "65536",
        "argon2id memory per hash in KiB (OWASP: at least 19456). Lower only in tests.",
    ),
    Setting("REMBUG_LOG_LEVEL", "INFO", "Python log level."),
    Setting(
        "REMBUG_LOG_FORMAT",
        "text",
        "text (one readable line per record) or json (one JSON object per line, for a log "
        "collector).",
    ),
    Setting(
        "REMBUG_METRICS_TOKEN",
        "",
        "Bearer token a Prometheus scrape of /metrics must send (at least 16 characters). "
        "Empty, and no REMBUG_METRICS_ALLOW: /metrics is closed (404).",
    ),
    Setting(
        "REMBUG_METRICS_ALLOW",
        "",
        "Networks (comma-separated, e.g. 127.0.0.1/32,10.0.0.0/8) allowed to read /metrics "
        "without the token.",
    ),
    Setting(
        "REMBUG_HOLIDAYS_FILE",
        "(bundled forum/seeds/holidays-id.csv)",
        "Corrections to the holidays package's Indonesian calendar (public holidays and cuti "
        "bersama) for working-day deadlines: CSV date,name,change (add or remove).",
    ),
    Setting(
        "REMBUG_RESPONSE_DAYS",
        "5",
        "Working days an agency has to answer an aspiration after it is routed to it.",
    ),
    Setting(
        "REMBUG_ESCALATION_DAYS",
        "5",
        "Working days after a missed response deadline before administrators are alerted.",
    ),
    Setting(
        "REMBUG_AUTO_CLOSE_DAYS",
        "10",
        "Working days after an answer before an aspiration closes by itself.",
    ),
    Setting(
        "REMBUG_SMTP_URL",
        "",
        "Email: smtp://user:pass@host:587 (STARTTLS), smtps://…:465, or console (print). "
        "Empty: no email.",
    ),
    Setting("REMBUG_EMAIL_FROM", "rembug@localhost", "Sender address of notification emails."),
    Setting(
        "REMBUG_ATTACHMENT_MAX_FILES",
        "4",
        "Photos and PDF documents one aspiration or comment may carry.",
    ),
    Setting(
        "REMBUG_ATTACHMENT_MAX_MB",
        "10",
        "Largest photo or PDF a citizen may attach, in megabytes (as sent, before re-encoding).",
    ),
    Setting(
        "REMBUG_ATTACHMENT_QUOTA_MB",
        "200",
        "Megabytes of attachments one account may keep in all (removed ones not counted).",
    ),
    Setting(
        "REMBUG_ATTACHMENT_STORE",
        "local",
        "Where attachment files are kept: local (<REMBUG_DATA_DIR>/attachments/) or s3 (an "
        "S3-compatible bucket, for several web hosts; needs REMBUG_S3_BUCKET and the keys).",
    ),
    Setting(
        "REMBUG_S3_ENDPOINT_URL",
        "",
        "Address of the S3-compatible server (e.g. https://s3.kota-a.go.id:9000); empty: "
        "Amazon S3 of REMBUG_S3_REGION.",
    ),
    Setting("REMBUG_S3_BUCKET", "", "The bucket of the attachment files; it must be private."),
    Setting("REMBUG_S3_REGION", "us-east-1", "Region of the bucket (the server's own name)."),
    Setting(
        "REMBUG_S3_PREFIX",
        "attachments",
        "Key prefix of every file in the bucket (folders separated by /).",
    ),
    Setting(
        "REMBUG_S3_ADDRESSING_STYLE",
        "path",
        "path (https://server/bucket/key, what S3-compatible servers expect) or virtual "
        "(https://bucket.server/key).",
    ),
    Setting("REMBUG_S3_ACCESS_KEY_ID", "", "Access key of the account that uses the bucket."),
    Setting(
        "REMBUG_S3_SECRET_ACCESS_KEY",
        "",
        "Secret of that access key. Keep it secret: it is never logged or shown.",
    ),
)


class SettingsError(ValueError):
    """A setting has a value we cannot use; the message names it."""


@dataclass(frozen=True)
class S3Settings:
    """The S3-compatible attachment store's settings (REMBUG_S3_*), checked."""

    bucket: str
    access_key_id: str
    secret_access_key: str = field(repr=False)  # never logged or shown
    endpoint_url: str = ""  # empty: Amazon S3 of the region
    region: str = "us-east-1"
    prefix: str = "attachments"  # no slash at either end
    addressing_style: str = "path"


def _bool(name: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(f"{name} must be true or false, not {value!r}")


# Upper limits: a value above these is a typo (or a unit mix-up), not a policy.
_MAXIMA = {
    "REMBUG_SESSION_DAYS": 365,
    "REMBUG_PAGE_CACHE_SECONDS": 3600,
    "REMBUG_PASSWORD_HASH_TIME_COST": 20,
    "REMBUG_PASSWORD_HASH_MEMORY_KIB": 4 * 1024 * 1024,
    "REMBUG_RESPONSE_DAYS": 365,
    "REMBUG_ESCALATION_DAYS": 365,
    "REMBUG_AUTO_CLOSE_DAYS": 365,
    "REMBUG_COMMENTS_PER_PAGE": 500,
    "REMBUG_UNCONFIRMED_ACCOUNT_DAYS": 365,
    "REMBUG_RESET_LINK_MINUTES": 24 * 60,
    "REMBUG_LOGIN_CODE_MINUTES": 60,
    "REMBUG_LOGIN_CODE_MAX_TRIES": 20,
    "REMBUG_ATTACHMENT_MAX_FILES": 20,
    "REMBUG_ATTACHMENT_MAX_MB": 100,
    "REMBUG_ATTACHMENT_QUOTA_MB": 100_000,
}


def _int(name: str, value: str, minimum: int = 1) -> int:
    try:
        number = int(value)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {value!r}") from None
    if number < minimum:
        raise SettingsError(f"{name} must be at least {minimum}")
    maximum = _MAXIMA.get(name)
    if maximum is not None and number > maximum:
        raise SettingsError(f"{name} must be at most {maximum}")
    return number


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    secret_key: str
    base_url: str
    # REMBUG_SEALING_KEYS as forum.sealing reads it (comma-separated; first seals).
    sealing_keys: str = ""
    timezone: str = "Asia/Jakarta"
    default_locale: str = "id"
    run_worker: bool = True
    worker_poll_seconds: float = 1.0
    outbox_lease_seconds: int = 120
    session_days: int = 14
    session_idle_hours: int = 72
    login_max_failures: int = 5
    login_max_failures_per_ip: int = 20
    login_window_minutes: int = 15
    totp_max_failures: int = 5
    totp_max_failures_per_ip: int = 20
    rate_register_per_hour: int = 10
    rate_posts_per_hour: int = 30
    rate_new_account_post_seconds: int = 30
    rate_flags_per_hour: int = 20
    rate_search_per_minute: int = 60
    rate_link_codes_per_hour: int = 5
    comments_per_page: int = 20
    unconfirmed_account_days: int = 7
    reset_link_minutes: int = 30
    login_code_minutes: int = 10
    login_code_max_tries: int = 5
    rate_access_mails_per_hour: int = 5
    page_cache_seconds: float = 5.0
    password_hash_time_cost: int = 3
    password_hash_memory_kib: int = 65536
    log_level: str = "INFO"
    log_format: str = "text"
    metrics_token: str = ""
    metrics_networks: tuple[IPv4Network | IPv6Network, ...] = ()
    holidays_file: Path | None = None
    response_days: int = 5
    escalation_days: int = 5
    auto_close_days: int = 10
    smtp_url: str = ""
    email_from: str = "rembug@localhost"
    attachment_max_files: int = 4
    attachment_max_mb: int = 10
    attachment_quota_mb: int = 200
    attachment_store: str = "local"
    s3: S3Settings | None = None  # with attachment_store "s3" only
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")

    @property
    def is_production(self) -> bool:
        """A public deployment: an https base URL that is not this machine."""
        host = urlsplit(self.base_url).hostname or ""
        return self.base_url.startswith("https://") and host not in _LOCAL_HOSTS

    @property
    def attachment_max_bytes(self) -> int:
        return self.attachment_max_mb * 1024 * 1024

    @property
    def attachment_quota_bytes(self) -> int:
        return self.attachment_quota_mb * 1024 * 1024

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)

        def get(name: str) -> str:
            default = next(s.default for s in SETTINGS if s.name == name)
            return env.get(name, "").strip() or default

        data_dir = Path(get("REMBUG_DATA_DIR")).expanduser()
        database_url = env.get("REMBUG_DATABASE_URL", "").strip() or (
            f"sqlite:///{(data_dir / 'rembug.sqlite3').as_posix()}"
        )
        if database_url.startswith("postgres://") or database_url.startswith("postgresql://"):
            database_url = "postgresql+psycopg://" + database_url.split("://", 1)[1]
        if not database_url.startswith(("sqlite://", "postgresql+psycopg://")):
            raise SettingsError(
                "REMBUG_DATABASE_URL must start with sqlite:// or postgresql+psycopg:// "
                f"(postgres:// is accepted), not {database_url.split('://', 1)[0]}://"
            )
        locale = get("REMBUG_DEFAULT_LOCALE")
        if locale not in {"id", "en"}:
            raise SettingsError("REMBUG_DEFAULT_LOCALE must be id or en")
        try:
            poll = float(get("REMBUG_WORKER_POLL_SECONDS"))
        except ValueError:
            raise SettingsError("REMBUG_WORKER_POLL_SECONDS must be a number") from None
        if not 0 < poll <= 60:
            raise SettingsError("REMBUG_WORKER_POLL_SECONDS must be above 0 and at most 60")
        base_url = get("REMBUG_BASE_URL").rstrip("/")
        parts = urlsplit(base_url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise SettingsError(
                f"REMBUG_BASE_URL must be an http:// or https:// address, not {base_url!r}"
            )
        if parts.query or parts.fragment:
            raise SettingsError("REMBUG_BASE_URL must not have a query or fragment")
        secret_key = env.get("REMBUG_SECRET_KEY", "").strip() or _stored_secret(data_dir)
        store = _choice("REMBUG_ATTACHMENT_STORE", get("REMBUG_ATTACHMENT_STORE"), ("local", "s3"))
        if store == "local" and (stray := [n for n in _S3_NAMES if env.get(n, "").strip()]):
            raise SettingsError(
                f"{', '.join(stray)} set but REMBUG_ATTACHMENT_STORE is local: set "
                "REMBUG_ATTACHMENT_STORE=s3 to keep attachments in the bucket, or remove them"
            )
        return cls(
            data_dir=data_dir,
            database_url=database_url,
            secret_key=secret_key,
            base_url=base_url,
            sealing_keys=_sealing_keys(env.get("REMBUG_SEALING_KEYS", ""), secret_key, base_url),
            timezone=_timezone(get("REMBUG_TIMEZONE")),
            default_locale=locale,
            run_worker=_bool("REMBUG_RUN_WORKER", get("REMBUG_RUN_WORKER")),
            worker_poll_seconds=max(poll, 0.05),
            outbox_lease_seconds=_int(
                "REMBUG_OUTBOX_LEASE_SECONDS", get("REMBUG_OUTBOX_LEASE_SECONDS"), 2
            ),
            session_days=_int("REMBUG_SESSION_DAYS", get("REMBUG_SESSION_DAYS")),
            session_idle_hours=_int("REMBUG_SESSION_IDLE_HOURS", get("REMBUG_SESSION_IDLE_HOURS")),
            login_max_failures=_int("REMBUG_LOGIN_MAX_FAILURES", get("REMBUG_LOGIN_MAX_FAILURES")),
            login_max_failures_per_ip=_int(
                "REMBUG_LOGIN_MAX_FAILURES_PER_IP", get("REMBUG_LOGIN_MAX_FAILURES_PER_IP")
            ),
            login_window_minutes=_int(
                "REMBUG_LOGIN_WINDOW_MINUTES", get("REMBUG_LOGIN_WINDOW_MINUTES")
            ),
            totp_max_failures=_int("REMBUG_TOTP_MAX_FAILURES", get("REMBUG_TOTP_MAX_FAILURES")),
            totp_max_failures_per_ip=_int(
                "REMBUG_TOTP_MAX_FAILURES_PER_IP", get("REMBUG_TOTP_MAX_FAILURES_PER_IP")
            ),
            comments_per_page=_int("REMBUG_COMMENTS_PER_PAGE", get("REMBUG_COMMENTS_PER_PAGE")),
            rate_register_per_hour=_int(
                "REMBUG_RATE_REGISTER_PER_HOUR", get("REMBUG_RATE_REGISTER_PER_HOUR")
            ),
            rate_posts_per_hour=_int(
                "REMBUG_RATE_POSTS_PER_HOUR", get("REMBUG_RATE_POSTS_PER_HOUR")
            ),
            rate_new_account_post_seconds=_int(
                "REMBUG_RATE_NEW_ACCOUNT_POST_SECONDS", get("REMBUG_RATE_NEW_ACCOUNT_POST_SECONDS")
            ),
            rate_flags_per_hour=_int(
                "REMBUG_RATE_FLAGS_PER_HOUR", get("REMBUG_RATE_FLAGS_PER_HOUR")
            ),
            rate_search_per_minute=_int(
                "REMBUG_RATE_SEARCH_PER_MINUTE", get("REMBUG_RATE_SEARCH_PER_MINUTE")
            ),
            rate_link_codes_per_hour=_int(
                "REMBUG_RATE_LINK_CODES_PER_HOUR", get("REMBUG_RATE_LINK_CODES_PER_HOUR")
            ),
            unconfirmed_account_days=_int(
                "REMBUG_UNCONFIRMED_ACCOUNT_DAYS", get("REMBUG_UNCONFIRMED_ACCOUNT_DAYS"), 0
            ),
            reset_link_minutes=_int("REMBUG_RESET_LINK_MINUTES", get("REMBUG_RESET_LINK_MINUTES")),
            login_code_minutes=_int("REMBUG_LOGIN_CODE_MINUTES", get("REMBUG_LOGIN_CODE_MINUTES")),
            login_code_max_tries=_int(
                "REMBUG_LOGIN_CODE_MAX_TRIES", get("REMBUG_LOGIN_CODE_MAX_TRIES")
            ),
            rate_access_mails_per_hour=_int(
                "REMBUG_RATE_ACCESS_MAILS_PER_HOUR", get("REMBUG_RATE_ACCESS_MAILS_PER_HOUR")
            ),
            page_cache_seconds=float(
                _int("REMBUG_PAGE_CACHE_SECONDS", get("REMBUG_PAGE_CACHE_SECONDS"), 0)
            ),
            password_hash_time_cost=_int(
                "REMBUG_PASSWORD_HASH_TIME_COST", get("REMBUG_PASSWORD_HASH_TIME_COST")
            ),
            password_hash_memory_kib=_int(
                "REMBUG_PASSWORD_HASH_MEMORY_KIB", get("REMBUG_PASSWORD_HASH_MEMORY_KIB"), 1024
            ),
            log_level=_choice(
                "REMBUG_LOG_LEVEL", get("REMBUG_LOG_LEVEL").upper(), _LOG_LEVELS
            ).upper(),
            log_format=_choice("REMBUG_LOG_FORMAT", get("REMBUG_LOG_FORMAT"), ("text", "json")),
            metrics_token=_token("REMBUG_METRICS_TOKEN", get("REMBUG_METRICS_TOKEN")),
            metrics_networks=_networks("REMBUG_METRICS_ALLOW", get("REMBUG_METRICS_ALLOW")),
            holidays_file=_existing_file(env.get("REMBUG_HOLIDAYS_FILE", "").strip()),
            response_days=_int("REMBUG_RESPONSE_DAYS", get("REMBUG_RESPONSE_DAYS")),
            escalation_days=_int("REMBUG_ESCALATION_DAYS", get("REMBUG_ESCALATION_DAYS")),
            auto_close_days=_int("REMBUG_AUTO_CLOSE_DAYS", get("REMBUG_AUTO_CLOSE_DAYS")),
            smtp_url=_smtp_url(get("REMBUG_SMTP_URL")),
            email_from=_email("REMBUG_EMAIL_FROM", get("REMBUG_EMAIL_FROM")),
            attachment_max_files=_int(
                "REMBUG_ATTACHMENT_MAX_FILES", get("REMBUG_ATTACHMENT_MAX_FILES")
            ),
            attachment_max_mb=_int("REMBUG_ATTACHMENT_MAX_MB", get("REMBUG_ATTACHMENT_MAX_MB")),
            attachment_quota_mb=_int(
                "REMBUG_ATTACHMENT_QUOTA_MB", get("REMBUG_ATTACHMENT_QUOTA_MB")
            ),
            attachment_store=store,
            s3=_s3_settings(env, get) if store == "s3" else None,
            extra={k: v for k, v in env.items() if k.startswith("REMBUG_")},
        )


_LOG_LEVELS = ("debug", "info", "warning", "error", "critical")
_S3_NAMES = tuple(s.name for s in SETTINGS if s.name.startswith("REMBUG_S3_"))
# Amazon's rules for bucket names (S3-compatible servers follow them): 3-63 lower-case
# letters, digits, dots and hyphens, starting and ending with a letter or digit.
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_REGION = re.compile(r"[A-Za-z0-9_-]{1,64}")
_PREFIX = re.compile(r"[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*")


def _s3_settings(env: Mapping[str, str], get: Callable[[str], str]) -> S3Settings:
    """REMBUG_S3_* for REMBUG_ATTACHMENT_STORE=s3: a bucket and both keys are required."""
    missing = [
        name
        for name in ("REMBUG_S3_BUCKET", "REMBUG_S3_ACCESS_KEY_ID", "REMBUG_S3_SECRET_ACCESS_KEY")
        if not env.get(name, "").strip()
    ]
    if missing:
        raise SettingsError(f"REMBUG_ATTACHMENT_STORE is s3 but {', '.join(missing)} not set")
    bucket = get("REMBUG_S3_BUCKET")
    if not _BUCKET.fullmatch(bucket) or ".." in bucket:
        raise SettingsError(
            f"REMBUG_S3_BUCKET {bucket!r} is not a bucket name (3-63 lower-case letters, "
            "digits, dots and hyphens)"
        )
    endpoint = get("REMBUG_S3_ENDPOINT_URL").rstrip("/")
    if endpoint:
        parts = urlsplit(endpoint)
        try:
            parts.port  # noqa: B018 - raises for an invalid port
        except ValueError:
            raise SettingsError("REMBUG_S3_ENDPOINT_URL has an invalid port") from None
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise SettingsError(
                f"REMBUG_S3_ENDPOINT_URL must be an http:// or https:// address, not {endpoint!r}"
            )
        if parts.username or parts.password or parts.path or parts.query or parts.fragment:
            raise SettingsError(
                "REMBUG_S3_ENDPOINT_URL must be only scheme, host and port (the keys go in "
                "REMBUG_S3_ACCESS_KEY_ID and REMBUG_S3_SECRET_ACCESS_KEY, the bucket in "
                "REMBUG_S3_BUCKET)"
            )
    region = get("REMBUG_S3_REGION")
    if not _REGION.fullmatch(region):
        raise SettingsError(f"REMBUG_S3_REGION {region!r} is not a region name")
    prefix = get("REMBUG_S3_PREFIX").strip("/")
    if not _PREFIX.fullmatch(prefix) or {".", ".."} & set(prefix.split("/")):
        raise SettingsError(
            f"REMBUG_S3_PREFIX {prefix!r} may hold only letters, digits, _ . - and / between "
            "folder names"
        )
    return S3Settings(
        bucket=bucket,
        access_key_id=get("REMBUG_S3_ACCESS_KEY_ID"),
        secret_access_key=get("REMBUG_S3_SECRET_ACCESS_KEY"),
        endpoint_url=endpoint,
        region=region,
        prefix=prefix,
        addressing_style=_choice(
            "REMBUG_S3_ADDRESSING_STYLE", get("REMBUG_S3_ADDRESSING_STYLE"), ("path", "virtual")
        ),
    )


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(
            f"REMBUG_TIMEZONE must be an IANA time zone such as Asia/Jakarta, Asia/Makassar or "
            f"Asia/Jayapura, not {value!r}"
        ) from None
    return value


def _smtp_url(value: str) -> str:
    if not value or value == "console":
        return value
    parts = urlsplit(value)
    if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
        raise SettingsError(
            "REMBUG_SMTP_URL must be smtp://user:pass@host:587, smtps://user:pass@host:465, "
            "console or empty"
        )
    try:
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        raise SettingsError("REMBUG_SMTP_URL has an invalid port") from None
    return value


def _email(name: str, value: str) -> str:
    local, _, domain = value.rpartition("@")
    if not local or not domain or " " in value or "\n" in value:
        raise SettingsError(f"{name} must be an email address, not {value!r}")
    return value


def _choice(name: str, value: str, choices: tuple[str, ...]) -> str:
    lowered = value.strip().lower()
    if lowered not in choices:
        raise SettingsError(f"{name} must be one of {', '.join(choices)}, not {value!r}")
    return lowered


def _token(name: str, value: str) -> str:
    if value and len(value) < 16:
        raise SettingsError(f"{name} must be at least 16 characters")
    return value


def _networks(name: str, value: str) -> tuple[IPv4Network | IPv6Network, ...]:
    networks = []
    for part in (p.strip() for p in value.split(",")):
        if not part:
            continue
        try:
            networks.append(ip_network(part, strict=False))
        except ValueError:
            raise SettingsError(f"{name}: {part!r} is not an IP address or network") from None
    return tuple(networks)


_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "testserver"}


def _sealing_keys(value: str, secret_key: str, base_url: str) -> str:
    from forum.sealing import development_key, parse_keys

    if not value.strip():
        host = urlsplit(base_url).hostname or ""
        if base_url.startswith("https://") and host not in _LOCAL_HOSTS:
            raise SettingsError(
                "REMBUG_SEALING_KEYS must be set for a public https deployment (the "
                "development key derived from REMBUG_SECRET_KEY is refused); generate one "
                "with: python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"
            )
        return development_key(secret_key)
    try:
        return ",".join(parse_keys(value))
    except ValueError as exc:
        raise SettingsError(f"REMBUG_SEALING_KEYS {exc}") from None


def _existing_file(value: str) -> Path | None:
    if not value:
        return None
    path = Path(value).expanduser()
    if not path.is_file():
        raise SettingsError(f"REMBUG_HOLIDAYS_FILE: no such file: {value}")
    return path


def _stored_secret(data_dir: Path) -> str:
    """Read the generated secret key, creating it (mode 0600) on first run."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key + "\n")
    return key
