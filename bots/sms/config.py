"""The SMS channel's settings (declared here, read through forum.plugins.setting_value; the
bots plugin lists them with its own)."""

from __future__ import annotations

from dataclasses import dataclass

from forum.plugins import setting_value
from forum.settings import Setting, Settings, SettingsError

GATEWAY = Setting(
    "REMBUG_SMS_GATEWAY",
    "console",
    "How SMS travel: console (log each SMS; development and the demo), gammu (a GSM modem run "
    "by Gammu SMSD, REMBUG_GAMMU_DATABASE_URL) or twilio (a Twilio-compatible HTTP provider).",
)
MAX_SEGMENTS = Setting(
    "REMBUG_SMS_MAX_SEGMENTS",
    "3",
    "Longest SMS reply in segments (GSM-7: 153 characters each, UCS-2: 67); longer content "
    'is paged ("Balas LAGI").',
)
COST_PER_SEGMENT = Setting(
    "REMBUG_SMS_COST_PER_SEGMENT",
    "1",
    "What one SMS segment costs, in a unit of your choice (e.g. rupiah); 1 counts segments.",
)
DAILY_BUDGET = Setting(
    "REMBUG_SMS_DAILY_BUDGET",
    "0",
    "Most the service spends on SMS notifications per day (in the unit above; counted from "
    "every SMS sent that day); past it notifications are held back. 0: no limit.",
)
DAILY_CAP_PER_NUMBER = Setting(
    "REMBUG_SMS_DAILY_CAP_PER_NUMBER",
    "10",
    "SMS one number may receive per day (replies included); past it notifications to that "
    "number are held back. 0: no limit.",
)
NOTIFY = Setting(
    "REMBUG_SMS_NOTIFY",
    "aspiration_published,aspiration_rejected,response,status,comment_published,comment_rejected",
    "Which notifications go by SMS (comma-separated: aspiration_published, "
    "aspiration_rejected, response, status, comment_published, comment_rejected); the others "
    "are held back. none: no notification by SMS.",
)
FLOOD_LIMIT = Setting(
    "REMBUG_SMS_FLOOD_LIMIT",
    "10",
    "Messages one number may send per window; past it one short warning, then its messages "
    "are taken in and not answered until the window ends.",
)
FLOOD_WINDOW = Setting("REMBUG_SMS_FLOOD_WINDOW", "600", "Length of that window in seconds.")
CATEGORY = Setting(
    "REMBUG_SMS_CATEGORY",
    "",
    "Slug of the category an aspiration sent in one SMS (ASPIRASI …) gets; empty: the "
    "category with slug lainnya, else the first one. Moderators can change it.",
)
REGION = Setting(
    "REMBUG_SMS_REGION",
    "",
    "Code of the region an aspiration sent in one SMS gets (your agency's area); empty: the "
    "first region.",
)
RATE_OVERALL = Setting(
    "REMBUG_SMS_RATE_OVERALL",
    "10",
    "SMS per second handed to the gateway over all numbers (a GSM modem sends about one; ask "
    "your provider for its limit).",
)
TWILIO_ACCOUNT_SID = Setting(
    "REMBUG_SMS_TWILIO_ACCOUNT_SID", "", "Account SID of the Twilio-compatible provider."
)
TWILIO_AUTH_TOKEN = Setting(
    "REMBUG_SMS_TWILIO_AUTH_TOKEN",
    "",
    "Auth token: the password of REST calls and the key of X-Twilio-Signature; the webhook "
    "refuses everything while it is empty.",
)
TWILIO_FROM = Setting(
    "REMBUG_SMS_TWILIO_FROM",
    "",
    "The number or short code SMS are sent from (E.164), or a Messaging Service SID (MG…).",
)
TWILIO_API_URL = Setting(
    "REMBUG_SMS_TWILIO_API_URL",
    "https://api.twilio.com",
    "Base URL of the provider's REST API (another compatible provider, or a test fake).",
)

SETTINGS = (
    GATEWAY,
    MAX_SEGMENTS,
    COST_PER_SEGMENT,
    DAILY_BUDGET,
    DAILY_CAP_PER_NUMBER,
    NOTIFY,
    FLOOD_LIMIT,
    FLOOD_WINDOW,
    CATEGORY,
    REGION,
    RATE_OVERALL,
    TWILIO_ACCOUNT_SID,
    TWILIO_AUTH_TOKEN,
    TWILIO_FROM,
    TWILIO_API_URL,
)

# The notification topics (bots.subscribers), the values REMBUG_SMS_NOTIFY may name.
TOPICS = (
    "aspiration_published",
    "aspiration_rejected",
    "response",
    "status",
    "comment_published",
    "comment_rejected",
    "attachment_removed",
)


def _int(setting: Setting, value: str, minimum: int) -> int:
    try:
        number = int(value)
    except ValueError:
        raise SettingsError(f"{setting.name} must be a whole number, not {value!r}") from None
    if number < minimum:
        raise SettingsError(f"{setting.name} must be at least {minimum}")
    return number


def _rate(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = 0.0
    if number <= 0:
        raise SettingsError(f"REMBUG_SMS_RATE_OVERALL must be a number above 0, not {value!r}")
    return number


@dataclass(frozen=True)
class SmsSettings:
    gateway: str = "console"
    max_segments: int = 3
    cost_per_segment: int = 1
    daily_budget: int = 0
    daily_cap_per_number: int = 10
    notify: frozenset[str] = frozenset(TOPICS)
    flood_limit: int = 10
    flood_window: int = 600
    category: str = ""
    region: str = ""
    rate_overall: float = 10.0
    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    twilio_from: str = ""
    twilio_api_url: str = "https://api.twilio.com"

    @classmethod
    def read(cls, settings: Settings) -> SmsSettings:
        def get(setting: Setting) -> str:
            return setting_value(settings, setting)

        gateway = get(GATEWAY).lower()
        notify_raw = get(NOTIFY).lower()
        notify = frozenset(
            t.strip() for t in notify_raw.split(",") if t.strip() and t.strip() != "none"
        )
        unknown = sorted(notify - set(TOPICS))
        if unknown:
            raise SettingsError(
                f"REMBUG_SMS_NOTIFY names unknown notifications: {', '.join(unknown)} "
                f"(known: {', '.join(TOPICS)})"
            )
        return cls(
            gateway=gateway,
            max_segments=_int(MAX_SEGMENTS, get(MAX_SEGMENTS), 1),
            cost_per_segment=_int(COST_PER_SEGMENT, get(COST_PER_SEGMENT), 0),
            daily_budget=_int(DAILY_BUDGET, get(DAILY_BUDGET), 0),
            daily_cap_per_number=_int(DAILY_CAP_PER_NUMBER, get(DAILY_CAP_PER_NUMBER), 0),
            notify=notify,
            flood_limit=_int(FLOOD_LIMIT, get(FLOOD_LIMIT), 1),
            flood_window=_int(FLOOD_WINDOW, get(FLOOD_WINDOW), 1),
            category=get(CATEGORY),
            region=get(REGION),
            rate_overall=_rate(get(RATE_OVERALL)),
            twilio_account_sid=get(TWILIO_ACCOUNT_SID),
            twilio_auth_token=get(TWILIO_AUTH_TOKEN),
            twilio_from=get(TWILIO_FROM),
            twilio_api_url=get(TWILIO_API_URL).rstrip("/"),
        )
