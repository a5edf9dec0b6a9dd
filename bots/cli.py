"""``rembug telegram set-webhook|poll`` and ``rembug sms gammu``: the chat commands, added to
``rembug`` by the bots plugin; the forum CLI hands each command the services it builds
(``args.services()``)."""

from __future__ import annotations

import argparse
import asyncio


def add_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg,unused-ignore]
    """Add ``telegram set-webhook`` and ``telegram poll`` to a parser's subcommands."""
    telegram = sub.add_parser("telegram", help="Telegram bot: register the webhook or poll")
    actions = telegram.add_subparsers(dest="telegram_command", required=True)
    hook = actions.add_parser("set-webhook", help="register <REMBUG_BASE_URL>/webhooks/telegram")
    hook.add_argument("--url", help="another public URL of the webhook")
    hook.set_defaults(func=cmd_set_webhook)
    actions.add_parser("poll", help="development: long-poll instead of the webhook").set_defaults(
        func=cmd_poll
    )
    sms = sub.add_parser("sms", help="SMS channel: the Gammu SMSD worker")
    sms_actions = sms.add_subparsers(dest="sms_command", required=True)
    sms_actions.add_parser(
        "gammu",
        help="take received SMS and delivery reports from Gammu SMSD's database "
        "(REMBUG_GAMMU_DATABASE_URL) until stopped",
    ).set_defaults(func=cmd_sms_gammu)


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


def cmd_sms_gammu(args: argparse.Namespace) -> int:
    from bots.config import BotSettings
    from bots.sms.gammu import run
    from forum import logs
    from forum.runtime import run_until_signalled

    services = args.services()
    logs.configure(services.settings)  # its progress lines (bots.sms.gammu) on stderr
    try:
        if not BotSettings.read(services.settings).gammu_database_url:
            print("REMBUG_GAMMU_DATABASE_URL kosong / is empty: no Gammu database to read.")
            return 2
        run_until_signalled(
            lambda stop: run(services, stop),
            "Membaca Gammu SMSD / reading Gammu SMSD (Ctrl+C stops).",
        )
    finally:
        services.close()
    return 0
