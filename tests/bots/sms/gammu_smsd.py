"""A real Gammu SMSD for the tests: Debian's ``gammu-smsd`` with Gammu's ``dummy`` phone driver
(``model = dummy``, ``connection = none``, ``device = <folder>``, no modem) and its SQL backend
on SQLite through DBI (``libdbd-sqlite3``), in a database of Gammu's own created from the
schema Debian ships. An incoming SMS is a file in Gammu's SMS backup format dropped into the
dummy device's inbox folder (``sms/1/<n>``); gammu-smsd reads it on its next look, writes it
to ``inbox`` and deletes the file. What Gammu "sends" ends in ``sentitems``; a status report
file dropped the same way becomes the sent message's ``DeliveryOK`` / ``DeliveryFailed``.

Use: ``from tests.bots.sms.gammu_smsd import gammu_smsd`` (the fixture) in a test module, or
``GammuSmsd.start(folder)`` directly; point Rembug at it with
``bot_settings(..., REMBUG_GAMMU_DATABASE_URL=gammu_smsd.database_url)`` (tests/bots/conftest.py),
then ``gammu_smsd.receive(...)``, ``wait_for(...)``, ``bots.sms.gammu.poll_once(services)``
(received SMS and reports into the spool), the worker's drain, and ``gammu_smsd.sent(id)`` /
``gammu_smsd.report(id)`` for what Gammu sent. The daemon is shared by a test module: each test
uses numbers of its own.
"""

from __future__ import annotations

import itertools
import os
import shutil
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

SCHEMA = Path("/usr/share/doc/gammu-smsd/examples/sqlite.sql")
PHONE_ID = "rembug-test"
WAIT_SECONDS = 60.0  # gammu-smsd looks at the dummy device about every second

SMSDRC = """\
[gammu]
model = dummy
connection = none
device = {device}/

[smsd]
service = sql
driver = sqlite3
dbdir = {folder}/
database = {database}
logfile = {folder}/smsd.log
debuglevel = 1
phoneid = {phone_id}
commtimeout = 1
receivefrequency = 1
loopsleep = 1
statusfrequency = 0
checksecurity = 0
checkbattery = 0
checksignal = 0
checknetwork = 0
multiparttimeout = 20
deliveryreport = sms
"""


def gammu_available() -> bool:
    return shutil.which("gammu-smsd") is not None and SCHEMA.exists()


def create_database(path: Path) -> None:
    """A Gammu database made from Gammu's own schema."""
    conn = sqlite3.connect(path)
    try:
        conn.executescript(SCHEMA.read_text())
        conn.commit()
    finally:
        conn.close()


def _ucs2_hex(text: str) -> str:
    return text.encode("utf-16-be").hex().upper()


def _backup_time(when: datetime) -> str:
    return when.strftime("%Y%m%dT%H%M%S")


@dataclass
class GammuSmsd:
    folder: Path
    process: subprocess.Popen[bytes]
    _locations: Any = field(default_factory=lambda: itertools.count(1))

    @property
    def database(self) -> Path:
        return self.folder / "smsd.db"

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.database}"

    @property
    def device(self) -> Path:
        return self.folder / "device"

    @property
    def config(self) -> Path:
        return self.folder / "smsdrc"

    @classmethod
    def start(cls, folder: Path) -> GammuSmsd:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "incoming").mkdir(exist_ok=True)
        for n in range(1, 6):
            (folder / "device" / "sms" / str(n)).mkdir(parents=True, exist_ok=True)
        smsd = cls(folder, None)  # type: ignore[arg-type]
        create_database(smsd.database)
        smsd.config.write_text(
            SMSDRC.format(
                device=smsd.device, folder=folder, database=smsd.database.name, phone_id=PHONE_ID
            )
        )
        smsd.process = subprocess.Popen(
            ["gammu-smsd", "--config", str(smsd.config)],
            cwd=folder,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        smsd.wait_for(lambda: smsd.query("SELECT count(*) FROM phones")[0][0] > 0, "to start")
        return smsd

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)

    def log(self) -> str:
        path = self.folder / "smsd.log"
        return path.read_text(errors="replace") if path.exists() else ""

    # --- Gammu's database, read as a test would look at it -------------------------------

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        conn = sqlite3.connect(self.database, timeout=30)
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        conn = sqlite3.connect(self.database, timeout=30)
        try:
            conn.execute(sql, params)
            conn.commit()
        finally:
            conn.close()

    def wait_for(self, check: Any, what: str, timeout: float = WAIT_SECONDS) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                code = self.process.returncode
                raise AssertionError(f"gammu-smsd exited ({code}):\n{self.log()}")
            try:
                if check():
                    return
            except sqlite3.OperationalError:  # gammu-smsd holds the write lock
                pass
            time.sleep(0.2)
        raise AssertionError(f"gammu-smsd did not get {what} in {timeout} s:\n{self.log()[-3000:]}")

    def inbox_count(self) -> int:
        return int(self.query("SELECT count(*) FROM inbox")[0][0])

    def sent(self, message_id: int | str) -> list[tuple[Any, ...]]:
        """(SequencePosition, Status, TextDecoded, UDH, DestinationNumber, Coding, CreatorID)
        of each part of a sent message."""
        return self.query(
            "SELECT SequencePosition, Status, TextDecoded, UDH, DestinationNumber, Coding, "
            "CreatorID FROM sentitems WHERE ID = ? ORDER BY SequencePosition",
            (int(message_id),),
        )

    def sent_to(self, number: str) -> list[tuple[int, str, str]]:
        """(ID, Status, text) of each message Gammu sent to ``number``, oldest first; the parts
        of a concatenated SMS (rows of one ID) joined, the status of its first part."""
        messages: dict[int, tuple[int, str, str]] = {}
        for message_id, status, text in self.query(
            "SELECT ID, Status, TextDecoded FROM sentitems WHERE DestinationNumber = ? "
            "ORDER BY ID, SequencePosition",
            (number,),
        ):
            first = messages.get(int(message_id))
            messages[int(message_id)] = (
                (int(message_id), str(status), str(text))
                if first is None
                else (first[0], first[1], first[2] + str(text))
            )
        return list(messages.values())

    def waiting_for(self, number: str) -> int:
        """Messages to ``number`` still in Gammu's outbox (not sent yet)."""
        return int(
            self.query("SELECT count(*) FROM outbox WHERE DestinationNumber = ?", (number,))[0][0]
        )

    # --- the dummy phone ------------------------------------------------------------------

    def _drop(self, body: str) -> None:
        """Into the dummy's inbox folder in one rename, so Gammu never reads half a file."""
        location = next(self._locations)
        staged = self.folder / "incoming" / str(location)
        staged.write_text(body, encoding="ascii")
        os.replace(staged, self.device / "sms" / "1" / str(location))

    def receive(
        self,
        number: str,
        text: str,
        *,
        udh: str = "",
        coding: str = "Default",
        sms_class: int | None = None,
        binary: bytes | None = None,
        when: datetime | None = None,
    ) -> None:
        """The modem receives one SMS (one part of a concatenated one when ``udh`` is set)."""
        lines = [
            "[SMSBackup000]",
            f'Number = "{number}"',
            "State = UnRead",
            f"Coding = {'8bit' if binary is not None else coding}",
            f"Sent = {_backup_time(when or datetime.now())}",
        ]
        if udh:
            lines.append(f"UDH = {udh}")
        if sms_class is not None:
            lines.append(f"Class = {sms_class}")
        payload = binary.hex().upper() if binary is not None else _ucs2_hex(text)
        if payload:
            lines.append(f"Text00 = {payload}")
        self._drop("\n".join(lines) + "\n")

    def receive_concatenated(self, number: str, parts: list[str], reference: int = 0x5A) -> None:
        """A concatenated SMS, each part with its UDH (8-bit reference), last part first."""
        total = len(parts)
        for sequence in range(total, 0, -1):
            udh = f"050003{reference:02X}{total:02X}{sequence:02X}"
            self.receive(number, parts[sequence - 1], udh=udh)

    def report(self, message_id: int | str, status: str = "Delivered") -> None:
        """The network's status report for a sent message ("Delivered", "Failed")."""
        rows = self.query(
            "SELECT DestinationNumber, TPMR, SMSCNumber, SendingDateTime FROM sentitems "
            "WHERE ID = ? ORDER BY SequencePosition",
            (int(message_id),),
        )
        assert rows, f"message {message_id} is not in sentitems"
        for number, tpmr, smsc, sending in rows:
            when = datetime.fromisoformat(str(sending))
            self._drop(
                "\n".join(
                    [
                        "[SMSBackup000]",
                        "PDU = Status_Report",
                        f'SMSC = "{smsc}"',
                        f'Number = "{number}"',
                        f"MessageReference = {tpmr}",
                        "State = UnRead",
                        "Coding = Default",
                        f"DateTime = {_backup_time(when)}",
                        f"Text00 = {_ucs2_hex(status)}",
                    ]
                )
                + "\n"
            )


@pytest.fixture(scope="module")
def gammu_smsd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GammuSmsd]:
    """A running gammu-smsd for a test module (tests use numbers of their own)."""
    if not gammu_available():
        pytest.fail("gammu-smsd is not installed (scripts/test installs it from Debian)")
    smsd = GammuSmsd.start(tmp_path_factory.mktemp("gammu"))
    try:
        yield smsd
    finally:
        smsd.stop()
