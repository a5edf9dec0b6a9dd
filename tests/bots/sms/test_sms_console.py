"""``rembug sms console``: the demo's SMS conversation in a terminal, through the same intake
and conversation as a gateway's messages."""

from __future__ import annotations

import argparse
import re

import pytest
from sqlmodel import select

from bots.sms.cli import cmd_console
from forum.cli import build_parser
from forum.models import Aspiration, Channel
from forum.services import Services


def test_a_conversation_in_the_console(
    services: Services, capsys: pytest.CaptureFixture[str]
) -> None:
    args = build_parser().parse_args(
        [
            "sms",
            "console",
            "--from",
            "0812-3456-7001",
            "BANTUAN",
            "ASPIRASI Trotoar di Jalan Kenanga rusak dan membahayakan pejalan kaki.",
        ]
    )
    assert args.func is cmd_console
    args = argparse.Namespace(**{**vars(args), "services": lambda: services})
    assert cmd_console(args) == 0
    out = capsys.readouterr().out
    assert "[SMS → +6281234567001]" in out and "ASPIRASI <aspirasi Anda>" in out
    ticket = re.search(r"tiket (ASP-\d{4}-\d{6})", out)
    assert ticket is not None, out
    with services.db.read() as db:
        aspiration = db.exec(select(Aspiration)).one()
    assert aspiration.ticket == ticket.group(1) and aspiration.channel == Channel.sms


def test_a_wrong_number_is_refused(services: Services, capsys: pytest.CaptureFixture[str]) -> None:
    args = argparse.Namespace(number="12", messages=["HELP"], services=lambda: services)
    assert cmd_console(args) == 2
    assert "not a phone number" in capsys.readouterr().err
