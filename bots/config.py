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

SETTINGS = (
    TELEGRAM_TOKEN,
    TELEGRAM_WEBHOOK_SECRET,
    TELEGRAM_API_URL,
    TELEGRAM_CHANNEL_ID,
    CHAT_CHANNEL_MODE,
    CHAT_RATE_PER_CHAT,
    CHAT_BURST_PER_CHAT,
    TELEGRAM_RATE_OVERALL,
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
        )
