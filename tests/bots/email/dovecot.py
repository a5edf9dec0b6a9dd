"""A real Dovecot IMAP server on loopback for the tests (Debian's dovecot-imapd), with its own
configuration in a temporary folder and one test mailbox. Tests put real RFC 5322 messages in
with IMAP APPEND, as a mail server's delivery would. Starting it takes root (as CI runs
scripts/test): Dovecot's own processes run as its users ``dovecot`` and ``dovenull``, and the
mailbox belongs to ``dovecot``."""

from __future__ import annotations

import imaplib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

USER = "aspirasi"
PASSWORD = "rahasia-imap-123"
DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Dovecot:
    host: str
    port: int
    user: str
    password: str
    base: Path

    def connect(self) -> imaplib.IMAP4:
        imap = imaplib.IMAP4(self.host, self.port, timeout=10)
        imap.login(self.user, self.password)
        return imap

    def append(self, raw: bytes, folder: str = "INBOX") -> tuple[int, int]:
        """Deliver one message; returns (UIDVALIDITY, UID) from the server's APPENDUID."""
        imap = self.connect()
        try:
            status, data = imap.append(folder, "", imaplib.Time2Internaldate(time.time()), raw)
            assert status == "OK", data
            text = (data[0] or b"").decode()
            code = text[text.index("APPENDUID") :].split("]", 1)[0].split()
            return int(code[1]), int(code[2])
        finally:
            imap.logout()

    def flags(self, folder: str = "INBOX") -> dict[int, str]:
        """UID → flags of every message in ``folder``."""
        imap = self.connect()
        try:
            imap.select(folder)
            _status, data = imap.uid("FETCH", "1:*", "(FLAGS)")
            found: dict[int, str] = {}
            for line in data:
                if not isinstance(line, bytes) or b"UID" not in line:
                    continue
                text = line.decode()
                uid = int(text.split("UID ", 1)[1].split()[0].rstrip(")"))
                found[uid] = text.split("FLAGS (", 1)[1].split(")", 1)[0]
            return found
        finally:
            imap.logout()

    def empty(self, folder: str = "INBOX") -> None:
        imap = self.connect()
        try:
            imap.select(folder)
            imap.uid("STORE", "1:*", "+FLAGS.SILENT", r"(\Deleted)")
            imap.expunge()
        finally:
            imap.logout()


def _config(base: Path, port: int, uid: int, gid: int) -> str:
    return f"""
listen = 127.0.0.1
protocols = imap
base_dir = {base}/run
state_dir = {base}/state
log_path = {base}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = dovecot
default_login_user = dovenull
first_valid_uid = 1
mail_location = maildir:~/Maildir
mail_fsync = never
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {base}/passwd
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {base}/passwd
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Processed {{
    auto = create
  }}
}}
"""


@contextmanager
def running_dovecot() -> Iterator[Dovecot]:
    """Start Dovecot from its own configuration in a fresh folder; stop it and remove the
    folder on exit. The folder is world-traversable: Dovecot's processes run as ``dovecot``."""
    dovecot = pwd.getpwnam("dovecot")
    uid, gid = dovecot.pw_uid, dovecot.pw_gid
    base = Path(tempfile.mkdtemp(prefix="rembug-dovecot-"))
    os.chmod(base, 0o755)  # noqa: S103 - Dovecot's processes (user dovecot) read it
    home = base / "home"
    home.mkdir()
    os.chown(home, uid, gid)
    for sub in ("run", "state"):
        (base / sub).mkdir()
    (base / "passwd").write_text(
        f"{USER}:{{PLAIN}}{PASSWORD}:{uid}:{gid}::{home}::\n", encoding="utf-8"
    )
    port = _free_port()
    config = base / "dovecot.conf"
    config.write_text(_config(base, port, uid, gid), encoding="utf-8")
    subprocess.run(
        [DOVECOT, "-c", str(config)],
        check=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # the daemon keeps inherited pipes open: none are given
    server = Dovecot("127.0.0.1", port, USER, PASSWORD, base)
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                server.connect().logout()
                break
            except (OSError, imaplib.IMAP4.error):
                if time.monotonic() > deadline:
                    log = (base / "dovecot.log").read_text(errors="replace")
                    raise RuntimeError(f"Dovecot did not start:\n{log}") from None
                time.sleep(0.1)
        yield server
    finally:
        pid = int((base / "run" / "master.pid").read_text().strip())
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        shutil.rmtree(base, ignore_errors=True)
