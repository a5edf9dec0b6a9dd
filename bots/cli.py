"""``rembug telegram set-webhook|poll``, ``rembug sms console|gammu``: the chat commands, added to
``rembug`` by the bots plugin; the forum CLI hands each command the services it builds
(``args.services()``)."""

from __future__ import annotations

import argparse
import asyncio


def add_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg,unused-ignore]
    """Add ``telegram set-webhook``, ``telegram poll``, ``sms console`` and ``sms gammu`` to a
    parser's subcommands."""
    from bots.sms.cli import add_commands as add_sms_commands

    add_sms_commands(sub)
    telegram = sub.add_parser("telegram", help="Telegram bot: register the webhook or poll")
    actions = telegram.add_subparsers(dest="telegram_command", required=True)
    hook = actions.add_parser("set-webhook", help="register <REMBUG_BASE_URL>/webhooks/telegram")
    hook.add_argument("--url", help="another public URL of the webhook")
    hook.set_defaults(func=cmd_set_webhook)
    actions.add_parser("poll", help="development: long-poll instead of the webhook").set_defaults(
        func=cmd_poll
    )
    from bots.email.wiring import add_commands as add_email_commands

    add_email_commands(sub)


def cmd_set_webhook(args: argparse.Namespace) -> int:
    from bots.telegram.commands import set_webhook

    url = asyncio.run(set_webhook(args.services(), args.url))
    print(f"Webhook Telegram terdaftar / Telegram webhook registered: {url}")
    return 0


def cmd_poll(args: argparse.Namespace) -> int:
    from bots.telegram.commands import poll
    from forum.runtime import run_until_signalled

    services = args.services()
    run_until_signalled(lambda stop: poll(services, stop), "Polling Telegram (Ctrl+C stops).")
    return 0
