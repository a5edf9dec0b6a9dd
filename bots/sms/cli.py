"""``rembug sms console``: talk to the SMS channel from a terminal (development, the demo).
Each line is one SMS from the given number, taken in through the same spool and processor as
a gateway's; the answers are printed instead of sent. ``rembug sms gammu``: the Gammu SMSD
worker (``bots.sms.gammu``)."""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid
from typing import TextIO

from bots.channels import Outcome, SendResult
from bots.delivery import Pace, register_channel
from bots.sms.channel import SmsChannel
from bots.sms.conversation import config_of
from bots.sms.gateway import SmsEvent
from bots.sms.numbers import to_e164
from forum.intake import store_now
from forum.services import Services


class PrintingGateway:
    """Prints each SMS (the console gateway of ``rembug sms console``)."""

    name = "console"
    receipts = False

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self._counter = 0

    async def submit(self, to: str, text: str, reference: str) -> SendResult:
        self._counter += 1
        print(f"\n[SMS → {to}]\n{text}\n", file=self.out, flush=True)
        return SendResult(Outcome.sent, message_id=f"console-{self._counter}")

    async def aclose(self) -> None:
        return None


def converse(services: Services, number: str, text: str) -> None:
    """One SMS in, its answers out (printed by the channel)."""
    event = SmsEvent("console", "message", uuid.uuid4().hex, number, text=text)
    store_now(services, [event.to_incoming()])
    assert services.worker is not None
    asyncio.run(services.worker.drain())


def cmd_console(args: argparse.Namespace) -> int:
    number = to_e164(args.number)
    if number is None:
        print(f"Nomor tidak sah / not a phone number: {args.number}", file=sys.stderr)
        return 2
    services: Services = args.services()
    config = config_of(services)
    register_channel(
        services,
        SmsChannel(PrintingGateway(sys.stdout), config.max_segments, config.cost_per_segment),
        Pace(1000.0, 1000.0),
    )
    if args.messages:
        for text in args.messages:
            print(f"[SMS ← {number}] {text}", flush=True)
            converse(services, number, text)
        return 0
    print(
        f"SMS dari / from {number}. Ketik pesan, Enter mengirim; Ctrl+D selesai. "
        "Coba / try: BANTUAN",
        flush=True,
    )
    for line in sys.stdin:
        converse(services, number, line.rstrip("\n"))
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg,unused-ignore]
    sms = sub.add_parser("sms", help="SMS channel: the terminal console, the Gammu SMSD worker")
    actions = sms.add_subparsers(dest="sms_command", required=True)
    console = actions.add_parser(
        "console", help="each line (or MESSAGE) is an SMS from --from; the answers are printed"
    )
    console.add_argument("--from", dest="number", default="081200000001", help="the phone number")
    console.add_argument("messages", nargs="*", metavar="MESSAGE", help="send these and exit")
    console.set_defaults(func=cmd_console)
    actions.add_parser(
        "gammu",
        help="take received SMS and delivery reports from Gammu SMSD's database "
        "(REMBUG_GAMMU_DATABASE_URL) until stopped",
    ).set_defaults(func=cmd_gammu)


def cmd_gammu(args: argparse.Namespace) -> int:
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
