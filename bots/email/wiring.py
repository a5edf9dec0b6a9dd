"""How the email channel plugs into the bots plugin: its processor for spooled mail, the
channel that sends chat messages as mail, the answer job, the confirmation pages, the
``rembug email poll`` command and its checks."""

from __future__ import annotations

import argparse
from typing import Any

from starlette.routing import BaseRoute

from bots.delivery import Pace, register_channel
from bots.email.channel import ANSWER_JOB, CHANNEL, EmailChannel, make_answer_handler
from bots.email.config import EmailSettings
from bots.email.inbound import SETTINGS_KEY, case_notes, expire_waiting, handle_mail
from forum.extensions import CASE_NOTES, PERIODIC
from forum.intake import Processor, register_processor
from forum.services import Services
from forum.settings import Settings

SEND_RATE = Pace(5.0, 20.0)  # mails per second over all recipients


def setup(services: Services) -> None:
    settings = services.settings
    services.extensions[SETTINGS_KEY] = EmailSettings.read(settings)
    register_channel(
        services, EmailChannel(settings.smtp_url, settings.email_from), SEND_RATE, Pace(1.0, 5.0)
    )
    register_processor(services, CHANNEL, Processor(handle_mail))
    services.job_handlers[ANSWER_JOB] = make_answer_handler(settings.smtp_url, settings.email_from)
    services.extensions.setdefault(CASE_NOTES, []).append(case_notes)
    services.extensions.setdefault(PERIODIC, []).append(expire_waiting)


def routes() -> list[BaseRoute]:
    from bots.email import web

    return list(web.routes)


def check(settings: Settings) -> list[str]:
    """``rembug check``: a mailbox that cannot work, from the settings alone."""
    config = EmailSettings.read(settings)
    found = []
    if config.imap_host:
        if not config.imap_user or not config.imap_password:
            found.append(
                "REMBUG_IMAP_HOST is set but REMBUG_IMAP_USER or REMBUG_IMAP_PASSWORD is empty"
            )
        if config.imap_tls == "off" and config.imap_host not in ("127.0.0.1", "localhost", "::1"):
            found.append(
                f"REMBUG_IMAP_TLS=off sends the mailbox password to {config.imap_host} "
                "unencrypted; use tls or starttls"
            )
        if not settings.smtp_url:
            found.append(
                "REMBUG_IMAP_HOST is set but REMBUG_SMTP_URL is empty: confirmation mails and "
                "answers are only logged, so no mail submission can be confirmed"
            )
    return found


def add_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg,unused-ignore]
    """``rembug email poll [--once]``."""
    email = sub.add_parser("email", help="email channel: read the aspiration mailbox")
    actions = email.add_subparsers(dest="email_command", required=True)
    poll = actions.add_parser(
        "poll", help="take new mail of the IMAP folder in (IDLE where offered, else polling)"
    )
    poll.add_argument("--once", action="store_true", help="one pass, then exit (cron, tests)")
    poll.set_defaults(func=cmd_poll)


def cmd_poll(args: argparse.Namespace) -> int:
    from bots.email.mailbox import MailboxError, connect, poll, take_new
    from forum.runtime import run_until_signalled

    services = args.services()
    config = EmailSettings.read(services.settings)
    if args.once:
        try:
            imap = connect(config)
        except (MailboxError, OSError) as exc:
            print(f"Kotak surat tidak dapat dibaca / mailbox not readable: {exc}")
            return 1
        try:
            found = take_new(services, imap, config)
        finally:
            imap.logout()
        print(
            f"{found.seen} pesan baru, {found.stored} disimpan / "
            f"new: {found.seen}, stored: {found.stored}"
        )
        return 0

    def run(stop: Any) -> Any:
        return poll(services, stop, config)

    run_until_signalled(
        run, f"Membaca {config.imap_folder} / reading {config.imap_folder} (Ctrl+C stops)."
    )
    return 0
