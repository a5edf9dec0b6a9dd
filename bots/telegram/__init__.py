"""Telegram: the webhook, the translation of updates into neutral inbound messages, and the
channel that sends replies. python-telegram-bot is imported only inside this package."""
