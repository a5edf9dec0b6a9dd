"""The email channel's settings (declared here, read through forum.plugins.setting_value)."""

from __future__ import annotations

from dataclasses import dataclass

from forum.plugins import setting_value
from forum.settings import Setting, Settings, SettingsError

IMAP_HOST = Setting(
    "REMBUG_IMAP_HOST", "", "IMAP server of the aspiration mailbox; empty: no mail is read."
)
IMAP_PORT = Setting(
    "REMBUG_IMAP_PORT", "", "IMAP port; empty: 993 with REMBUG_IMAP_TLS=tls, else 143."
)
IMAP_TLS = Setting(
    "REMBUG_IMAP_TLS",
    "tls",
    "tls: IMAPS (TLS from the start); starttls: plain connection upgraded with STARTTLS "
    "(refused if the server does not offer it); off: no encryption (loopback only).",
)
IMAP_USER = Setting("REMBUG_IMAP_USER", "", "Login name of the mailbox.")
IMAP_PASSWORD = Setting("REMBUG_IMAP_PASSWORD", "", "Password of the mailbox.")
IMAP_FOLDER = Setting(
    "REMBUG_IMAP_FOLDER", "INBOX", "Folder whose new (unseen) messages are taken in."
)
IMAP_DONE_FOLDER = Setting(
    "REMBUG_IMAP_DONE_FOLDER",
    "",
    "Folder messages are moved to once stored (created if missing); empty: they stay and "
    "are flagged \\Seen.",
)
IMAP_POLL_SECONDS = Setting(
    "REMBUG_IMAP_POLL_SECONDS",
    "60",
    "Seconds between looks at the folder when the server does not offer IDLE (with IDLE, "
    "the longest wait before the connection is renewed).",
)
EMAIL_TRUSTED_AUTHSERV = Setting(
    "REMBUG_EMAIL_TRUSTED_AUTHSERV",
    "",
    "authserv-id of the receiving mail server whose Authentication-Results header is "
    "believed (e.g. mx.kota-a.go.id); empty: no mail counts as authenticated, so every "
    "submission is confirmed by link or code.",
)
EMAIL_MAX_BYTES = Setting(
    "REMBUG_EMAIL_MAX_BYTES",
    "5000000",
    "Largest message taken in whole, in bytes; a larger one gets a short answer instead.",
)
EMAIL_RATE_PER_HOUR = Setting(
    "REMBUG_EMAIL_RATE_PER_HOUR",
    "10",
    "Messages one sender address may send per hour; more are ignored (not answered).",
)
EMAIL_DEFAULT_CATEGORY = Setting(
    "REMBUG_EMAIL_DEFAULT_CATEGORY",
    "lainnya",
    "Category (slug) of an aspiration by mail that names none in a 'Kategori:' line.",
)
EMAIL_DEFAULT_REGION = Setting(
    "REMBUG_EMAIL_DEFAULT_REGION",
    "",
    "Region code (e.g. 32.73) of an aspiration by mail that names none in a 'Wilayah:' line; "
    "empty: such mail is answered with a request to name the region.",
)

SETTINGS = (
    IMAP_HOST,
    IMAP_PORT,
    IMAP_TLS,
    IMAP_USER,
    IMAP_PASSWORD,
    IMAP_FOLDER,
    IMAP_DONE_FOLDER,
    IMAP_POLL_SECONDS,
    EMAIL_TRUSTED_AUTHSERV,
    EMAIL_MAX_BYTES,
    EMAIL_RATE_PER_HOUR,
    EMAIL_DEFAULT_CATEGORY,
    EMAIL_DEFAULT_REGION,
)


def _number(setting: Setting, value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise SettingsError(f"{setting.name} must be a number, not {value!r}") from None
    if number <= 0:
        raise SettingsError(f"{setting.name} must be above 0")
    return number


@dataclass(frozen=True)
class EmailSettings:
    imap_host: str = ""
    imap_port: int = 993
    imap_tls: str = "tls"
    imap_user: str = ""
    imap_password: str = ""
    imap_folder: str = "INBOX"
    imap_done_folder: str = ""
    poll_seconds: float = 60.0
    trusted_authserv: str = ""
    max_bytes: int = 5_000_000
    rate_per_hour: int = 10
    default_category: str = "lainnya"
    default_region: str = ""

    @classmethod
    def read(cls, settings: Settings) -> EmailSettings:
        tls = setting_value(settings, IMAP_TLS).lower()
        if tls not in {"off", "starttls", "tls"}:
            raise SettingsError("REMBUG_IMAP_TLS must be off, starttls or tls")
        port = setting_value(settings, IMAP_PORT)
        if port and (not port.isdigit() or not 0 < int(port) < 65536):
            raise SettingsError(f"REMBUG_IMAP_PORT must be a port number, not {port!r}")
        return cls(
            imap_host=setting_value(settings, IMAP_HOST),
            imap_port=int(port) if port else (993 if tls == "tls" else 143),
            imap_tls=tls,
            imap_user=setting_value(settings, IMAP_USER),
            imap_password=settings.extra.get(IMAP_PASSWORD.name, ""),
            imap_folder=setting_value(settings, IMAP_FOLDER),
            imap_done_folder=setting_value(settings, IMAP_DONE_FOLDER),
            poll_seconds=_number(IMAP_POLL_SECONDS, setting_value(settings, IMAP_POLL_SECONDS)),
            trusted_authserv=setting_value(settings, EMAIL_TRUSTED_AUTHSERV).lower(),
            max_bytes=int(_number(EMAIL_MAX_BYTES, setting_value(settings, EMAIL_MAX_BYTES))),
            rate_per_hour=int(
                _number(EMAIL_RATE_PER_HOUR, setting_value(settings, EMAIL_RATE_PER_HOUR))
            ),
            default_category=setting_value(settings, EMAIL_DEFAULT_CATEGORY),
            default_region=setting_value(settings, EMAIL_DEFAULT_REGION),
        )
