"""The chat channels' settings (declared here, read through forum.plugins.setting_value)."""

from __future__ import annotations

from dataclasses import dataclass

from forum.plugins import setting_value
from forum.settings import Setting, Settings, SettingsError

TELEGRAM_TOKEN = Setting(
    "REMBUG_TELEGRAM_TOKEN", "", "Telegram bot token from BotFather; empty disables Telegram."
)
TELEGRAM_WEBHOOK_SECRET = Setting(
    "REMBUG_TELEGRAM_WEBHOOK_SECRET",
    "",
    "Secret Telegram sends in X-Telegram-Bot-Api-Secret-Token (1-256 of A-Z a-z 0-9 _ -); "
    "the webhook refuses every update while it is empty.",
)
TELEGRAM_API_URL = Setting(
    "REMBUG_TELEGRAM_API_URL",
    "https://api.telegram.org",
    "Bot API server (a self-hosted Bot API server or a test fake can be used instead).",
)
TELEGRAM_CHANNEL_ID = Setting(
    "REMBUG_TELEGRAM_CHANNEL_ID",
    "",
    "Telegram channel (@name or numeric id) where new consultations are announced; "
    "empty announces nothing.",
)
CHAT_CHANNEL_MODE = Setting(
    "REMBUG_CHAT_CHANNEL_MODE",
    "auto",
    "auto: send through Telegram when a token is set, else log to the console; "
    "console: always log (development, demo); live: always send.",
)
CHAT_RATE_PER_CHAT = Setting(
    "REMBUG_CHAT_RATE_PER_CHAT", "1", "Messages per second to one chat, on average."
)
CHAT_BURST_PER_CHAT = Setting(
    "REMBUG_CHAT_BURST_PER_CHAT",
    "3",
    "Messages one chat may receive at once above the average before pacing starts.",
)
TELEGRAM_RATE_OVERALL = Setting(
    "REMBUG_TELEGRAM_RATE_OVERALL", "30", "Telegram messages per second over all chats."
)

WHATSAPP_TOKEN = Setting(
    "REMBUG_WHATSAPP_TOKEN",
    "",
    "WhatsApp Cloud API access token (a system user's permanent token); empty disables "
    "WhatsApp sending.",
)
WHATSAPP_APP_SECRET = Setting(
    "REMBUG_WHATSAPP_APP_SECRET",
    "",
    "The Meta app's secret: webhook deliveries must carry its HMAC-SHA256 signature in "
    "X-Hub-Signature-256; the webhook refuses everything while it is empty.",
)
WHATSAPP_VERIFY_TOKEN = Setting(
    "REMBUG_WHATSAPP_VERIFY_TOKEN",
    "",
    "Token you type when registering the webhook in the Meta app; the verification handshake "
    "fails while it is empty.",
)
WHATSAPP_PHONE_NUMBER_ID = Setting(
    "REMBUG_WHATSAPP_PHONE_NUMBER_ID",
    "",
    "Phone number ID (not the number itself) of the business number messages are sent from.",
)
WHATSAPP_API_URL = Setting(
    "REMBUG_WHATSAPP_API_URL",
    "https://graph.facebook.com",
    "Graph API base URL (a test fake can be used instead).",
)
WHATSAPP_API_VERSION = Setting(
    "REMBUG_WHATSAPP_API_VERSION", "v25.0", "Graph API version used in request paths."
)
WHATSAPP_TEMPLATE_NOTIFY = Setting(
    "REMBUG_WHATSAPP_TEMPLATE_NOTIFY",
    "rembug_notifikasi",
    "Name of the approved message template (one body parameter) that carries notifications "
    "outside the 24-hour window.",
)
WHATSAPP_TEMPLATE_LANG = Setting(
    "REMBUG_WHATSAPP_TEMPLATE_LANG",
    "id",
    "Language code of that template for people using Bahasa Indonesia.",
)
WHATSAPP_TEMPLATE_LANG_EN = Setting(
    "REMBUG_WHATSAPP_TEMPLATE_LANG_EN",
    "en",
    "Language code of that template for people using English; empty sends them the Indonesian one.",
)
WHATSAPP_TEMPLATE_AUTH = Setting(
    "REMBUG_WHATSAPP_TEMPLATE_AUTH",
    "rembug_kode_masuk",
    "Name of the approved authentication template (category Authentication: the code as its "
    "one parameter, with a copy-code button) that carries sign-in codes; same languages as "
    "REMBUG_WHATSAPP_TEMPLATE_LANG.",
)
WHATSAPP_RATE_OVERALL = Setting(
    "REMBUG_WHATSAPP_RATE_OVERALL",
    "80",
    "WhatsApp messages per second from the business number over all recipients.",
)
WHATSAPP_CHAT_INTERVAL = Setting(
    "REMBUG_WHATSAPP_CHAT_INTERVAL",
    "6",
    "Seconds between messages to one WhatsApp recipient, on average (Meta's pair rate limit).",
)
WHATSAPP_CHAT_BURST = Setting(
    "REMBUG_WHATSAPP_CHAT_BURST",
    "10",
    "Messages one WhatsApp recipient may receive at once before pacing starts.",
)
WEBHOOK_FAILURE_LIMIT = Setting(
    "REMBUG_WEBHOOK_FAILURE_LIMIT",
    "20",
    "Webhook requests failing verification (wrong or missing Telegram secret, bad WhatsApp "
    "signature or verify token) one address may make per window before it gets 429 with "
    "Retry-After; correctly signed requests are never counted or throttled.",
)
WEBHOOK_FAILURE_WINDOW = Setting(
    "REMBUG_WEBHOOK_FAILURE_WINDOW",
    "60",
    "Length in seconds of that window, counted from an address's first failure.",
)

GAMMU_DATABASE_URL = Setting(
    "REMBUG_GAMMU_DATABASE_URL",
    "",
    "Gammu SMSD's own database (its SQL backend's inbox/outbox/sentitems tables, never "
    "Rembug's): sqlite:////var/lib/gammu/smsd.db or postgresql+psycopg://gammu@/smsd; empty: "
    "no Gammu.",
)
GAMMU_POLL_SECONDS = Setting(
    "REMBUG_GAMMU_POLL_SECONDS",
    "2",
    "Seconds between two looks of rembug sms gammu at Gammu's inbox and sent items.",
)
GAMMU_PHONE_ID = Setting(
    "REMBUG_GAMMU_PHONE_ID",
    "",
    "PhoneID of the gammu-smsd that sends Rembug's SMS (several daemons sharing one database); "
    "empty: whichever daemon sees the message first.",
)

SETTINGS = (
    TELEGRAM_TOKEN,
    TELEGRAM_WEBHOOK_SECRET,
    TELEGRAM_API_URL,
    TELEGRAM_CHANNEL_ID,
    CHAT_CHANNEL_MODE,
    CHAT_RATE_PER_CHAT,
    CHAT_BURST_PER_CHAT,
    TELEGRAM_RATE_OVERALL,
    WHATSAPP_TOKEN,
    WHATSAPP_APP_SECRET,
    WHATSAPP_VERIFY_TOKEN,
    WHATSAPP_PHONE_NUMBER_ID,
    WHATSAPP_API_URL,
    WHATSAPP_API_VERSION,
    WHATSAPP_TEMPLATE_NOTIFY,
    WHATSAPP_TEMPLATE_LANG,
    WHATSAPP_TEMPLATE_LANG_EN,
    WHATSAPP_TEMPLATE_AUTH,
    WHATSAPP_RATE_OVERALL,
    WHATSAPP_CHAT_INTERVAL,
    WHATSAPP_CHAT_BURST,
    WEBHOOK_FAILURE_LIMIT,
    WEBHOOK_FAILURE_WINDOW,
    GAMMU_DATABASE_URL,
    GAMMU_POLL_SECONDS,
    GAMMU_PHONE_ID,
)


def _positive(setting: Setting, value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise SettingsError(f"{setting.name} must be a number, not {value!r}") from None
    if number <= 0:
        raise SettingsError(f"{setting.name} must be above 0")
    return number


@dataclass(frozen=True)
class BotSettings:
    telegram_token: str
    telegram_secret: str
    telegram_api_url: str
    telegram_channel_id: str
    mode: str
    rate_per_chat: float
    burst_per_chat: float
    telegram_rate_overall: float
    whatsapp_token: str = ""
    whatsapp_app_secret: str = ""
    whatsapp_verify_token: str = ""
    whatsapp_phone_number_id: str = ""
    whatsapp_api_url: str = "https://graph.facebook.com"
    whatsapp_api_version: str = "v25.0"
    whatsapp_template: str = "rembug_notifikasi"
    whatsapp_template_lang: str = "id"
    whatsapp_template_lang_en: str = "en"
    whatsapp_template_auth: str = "rembug_kode_masuk"
    whatsapp_rate_overall: float = 80.0
    whatsapp_chat_interval: float = 6.0
    whatsapp_chat_burst: float = 10.0
    webhook_failure_limit: int = 20
    webhook_failure_window: float = 60.0
    gammu_database_url: str = ""
    gammu_poll_seconds: float = 2.0
    gammu_phone_id: str = ""

    @property
    def whatsapp_live(self) -> bool:
        """Send through the Cloud API (otherwise WhatsApp deliveries go to the console)."""
        if self.mode == "console":
            return False
        return self.mode == "live" or bool(self.whatsapp_token and self.whatsapp_phone_number_id)

    @property
    def telegram_live(self) -> bool:
        """Send through the Bot API (otherwise deliveries go to the console)."""
        if self.mode == "console":
            return False
        return self.mode == "live" or bool(self.telegram_token)

    @classmethod
    def read(cls, settings: Settings) -> BotSettings:
        mode = setting_value(settings, CHAT_CHANNEL_MODE).lower()
        if mode not in {"auto", "console", "live"}:
            raise SettingsError("REMBUG_CHAT_CHANNEL_MODE must be auto, console or live")
        gammu_url = setting_value(settings, GAMMU_DATABASE_URL)
        if gammu_url and not gammu_url.startswith(("sqlite:///", "postgresql")):
            raise SettingsError(
                "REMBUG_GAMMU_DATABASE_URL must be a sqlite:/// or postgresql+psycopg:// URL"
            )
        return cls(
            telegram_token=setting_value(settings, TELEGRAM_TOKEN),
            telegram_secret=setting_value(settings, TELEGRAM_WEBHOOK_SECRET),
            telegram_api_url=setting_value(settings, TELEGRAM_API_URL).rstrip("/"),
            telegram_channel_id=setting_value(settings, TELEGRAM_CHANNEL_ID),
            mode=mode,
            rate_per_chat=_positive(
                CHAT_RATE_PER_CHAT, setting_value(settings, CHAT_RATE_PER_CHAT)
            ),
            burst_per_chat=_positive(
                CHAT_BURST_PER_CHAT, setting_value(settings, CHAT_BURST_PER_CHAT)
            ),
            telegram_rate_overall=_positive(
                TELEGRAM_RATE_OVERALL, setting_value(settings, TELEGRAM_RATE_OVERALL)
            ),
            whatsapp_token=setting_value(settings, WHATSAPP_TOKEN),
            whatsapp_app_secret=setting_value(settings, WHATSAPP_APP_SECRET),
            whatsapp_verify_token=setting_value(settings, WHATSAPP_VERIFY_TOKEN),
            whatsapp_phone_number_id=setting_value(settings, WHATSAPP_PHONE_NUMBER_ID),
            whatsapp_api_url=setting_value(settings, WHATSAPP_API_URL).rstrip("/"),
            whatsapp_api_version=setting_value(settings, WHATSAPP_API_VERSION).strip("/"),
            whatsapp_template=setting_value(settings, WHATSAPP_TEMPLATE_NOTIFY),
            whatsapp_template_lang=setting_value(settings, WHATSAPP_TEMPLATE_LANG),
            # Empty is meaningful here (use the Indonesian template), so read it raw.
            whatsapp_template_lang_en=settings.extra.get(
                WHATSAPP_TEMPLATE_LANG_EN.name, WHATSAPP_TEMPLATE_LANG_EN.default
            ).strip(),
            whatsapp_template_auth=setting_value(settings, WHATSAPP_TEMPLATE_AUTH),
            whatsapp_rate_overall=_positive(
                WHATSAPP_RATE_OVERALL, setting_value(settings, WHATSAPP_RATE_OVERALL)
            ),
            whatsapp_chat_interval=_positive(
                WHATSAPP_CHAT_INTERVAL, setting_value(settings, WHATSAPP_CHAT_INTERVAL)
            ),
            whatsapp_chat_burst=_positive(
                WHATSAPP_CHAT_BURST, setting_value(settings, WHATSAPP_CHAT_BURST)
            ),
            webhook_failure_limit=int(
                _positive(WEBHOOK_FAILURE_LIMIT, setting_value(settings, WEBHOOK_FAILURE_LIMIT))
            ),
            webhook_failure_window=_positive(
                WEBHOOK_FAILURE_WINDOW, setting_value(settings, WEBHOOK_FAILURE_WINDOW)
            ),
            gammu_database_url=gammu_url,
            gammu_poll_seconds=_positive(
                GAMMU_POLL_SECONDS, setting_value(settings, GAMMU_POLL_SECONDS)
            ),
            gammu_phone_id=setting_value(settings, GAMMU_PHONE_ID),
        )
