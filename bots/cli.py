"""``python -m bots.cli telegram set-webhook|poll``: the chat commands, ready to be hooked
into ``rembug`` as ``rembug telegram …`` (see docs/integrations/telegram.md)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence


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


def _services():  # type: ignore[no-untyped-def,unused-ignore]
    from forum.app import build_services
    from forum.db import DatabaseNotMigrated
    from forum.settings import Settings

    try:
        return build_services(Settings.from_env())
    except DatabaseNotMigrated as exc:
        sys.exit(str(exc))


def cmd_set_webhook(args: argparse.Namespace) -> int:
    from bots.telegram.commands import set_webhook

    url = asyncio.run(set_webhook(_services(), args.url))
    print(f"Webhook Telegram terdaftar / Telegram webhook registered: {url}")
    return 0


def cmd_poll(args: argparse.Namespace) -> int:
    from bots.telegram.commands import poll
    from forum.runtime import run_until_signalled

    services = _services()
    run_until_signalled(lambda stop: poll(services, stop), "Polling Telegram (Ctrl+C stops).")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bots.cli")
    add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
