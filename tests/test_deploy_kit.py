"""The deployment kit (deploy/) run as an operator's server runs it: the nightly backup script
writes a copy that restores, on SQLite and on PostgreSQL; the nginx site in front of a real
`rembug serve` micro-caches anonymous pages, never a signed-in visitor's, and passes the
webhooks (Telegram, WhatsApp, SMS) through uncached and unthrottled."""

from __future__ import annotations

import os
import pwd
import shutil
import ssl
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

from forum.services import Services
from tests.conftest import World, fresh_postgres_database
from tests.scale_kit import free_port, layout_env, processes, start_web

ROOT = Path(__file__).resolve().parent.parent
BACKUP = ROOT / "deploy" / "backup" / "rembug-backup"
SITE = ROOT / "deploy" / "nginx" / "rembug.conf"
KEPT_TABLES = ("account", "agency", "consultation", "totp_credential")


def counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {
                t: int(conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one())
                for t in KEPT_TABLES
            }
    finally:
        engine.dispose()


def run_backup(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(BACKUP)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_backup_writes_a_copy_that_restores(
    world: World, services: Services, tmp_path: Path
) -> None:
    url = services.settings.database_url
    backups = tmp_path / "backups"
    env = {
        "REMBUG_DATABASE_URL": url,
        "REMBUG_DATA_DIR": str(services.settings.data_dir),
        "REMBUG_BACKUP_DIR": str(backups),
    }
    # A photo in the store, as the web form leaves it: the backup carries it.
    from forum import attachments
    from tests.forum.test_attachments import encoded, two_halves

    prepared = attachments.inspect(encoded(two_halves(), "PNG"), "jalan.png", max_bytes=1 << 20)
    attachments.store_for(services.settings).put(prepared)
    before = counts(url)
    assert before["account"] >= 6 and before["totp_credential"] >= 4
    scratch_url = ""
    if url.startswith("postgresql"):
        scratch_url = fresh_postgres_database(url, f"rembug_restore_{os.getpid()}")
        env["REMBUG_BACKUP_RESTORE_URL"] = scratch_url

    done = run_backup(env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "written to" in done.stdout and "checked" in done.stdout
    written = sorted(p.name for p in backups.iterdir() if p.name != "attachments")
    copied = attachments.LocalStore(backups / "attachments")
    assert copied.read(prepared.sha256, "png") == prepared.data
    assert copied.read(prepared.sha256, "png", thumbnail=320)
    # A restore of the folder brings the file back where the store looks for it.
    restored_store = attachments.LocalStore(tmp_path / "r" / "attachments")
    shutil.copytree(backups / "attachments", restored_store.root)
    assert restored_store.read(prepared.sha256, "png") == prepared.data
    again = run_backup(env)  # the next night copies only what is new, and succeeds
    assert again.returncode == 0, again.stdout + again.stderr
    # Only the operator may read the copies (umask 077: they hold password hashes).
    assert all(oct((backups / name).stat().st_mode)[-3:] == "600" for name in written)

    if scratch_url:
        assert any(name.endswith(".dump") for name in written), written
        restored = scratch_url
    else:
        copies = [n for n in written if n.startswith("rembug-") and n.endswith(".sqlite3")]
        assert len(copies) == 1, written
        # A restore as docs/operations.md describes it: the copy becomes the database.
        target = tmp_path / "restored" / "rembug.sqlite3"
        target.parent.mkdir()
        shutil.copy(backups / copies[0], target)
        restored = f"sqlite:///{target}"
    assert counts(restored) == before
    # The restored database is at the same migration and the application starts on it.
    check = subprocess.run(
        [sys.executable, "-m", "forum.cli", "migrate"],
        env={**os.environ, "REMBUG_DATABASE_URL": restored, "REMBUG_DATA_DIR": str(tmp_path / "r")},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert check.returncode == 0, check.stderr
    assert counts(restored) == before


def test_backup_refuses_an_unknown_database_scheme(tmp_path: Path) -> None:
    done = run_backup({"REMBUG_DATABASE_URL": "mysql://x", "REMBUG_BACKUP_DIR": str(tmp_path)})
    assert done.returncode == 2
    assert "unknown REMBUG_DATABASE_URL scheme" in done.stderr


def nginx_site(tmp: Path, app_port: int, http_port: int, tls_port: int) -> Path:
    """deploy/nginx/rembug.conf with this machine's ports, a throwaway certificate and folders
    of its own, wrapped in a minimal nginx.conf; nothing else of the site is changed."""
    ssl = tmp / "ssl"
    ssl.mkdir(parents=True)
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=aspirasi.example.go.id", "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", str(ssl / "privkey.pem"), "-out", str(ssl / "fullchain.pem"),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    site = SITE.read_text()
    for old, new in (
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{app_port};"),
        ("listen 80;", f"listen 127.0.0.1:{http_port};"),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{tls_port} ssl http2;"),
        ("/etc/ssl/rembug/", f"{ssl}/"),
        ("/var/cache/nginx/rembug", f"{tmp}/cache"),
    ):
        assert old in site, old
        site = site.replace(old, new)
    site = "\n".join(line for line in site.splitlines() if "listen [::]" not in line)
    (tmp / "rembug.conf").write_text(site)
    # As root, nginx's workers would run as nobody, who cannot enter pytest's private folders.
    user = f"user {pwd.getpwuid(os.getuid()).pw_name};" if os.getuid() == 0 else ""
    conf = tmp / "nginx.conf"
    conf.write_text(
        f"""{user}
pid {tmp}/nginx.pid;
error_log {tmp}/error.log;
events {{}}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    include {tmp}/rembug.conf;
}}
"""
    )
    return conf


def test_nginx_micro_caches_anonymous_pages_only(
    world: World, services: Services, tmp_path: Path
) -> None:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    world.consultation()
    env = layout_env(services, tmp_path / "var", REMBUG_PAGE_CACHE_SECONDS="30")
    with processes() as started:
        web, app_url = start_web("web", env, tmp_path)
        started.append(web)
        http_port, tls_port = free_port(), free_port()
        conf = nginx_site(tmp_path / "nginx", int(app_url.rsplit(":", 1)[1]), http_port, tls_port)
        prefix = str(conf.parent)
        server = subprocess.Popen(
            [
                nginx,
                "-p",
                prefix,
                "-c",
                str(conf),
                "-e",
                f"{prefix}/error.log",
                "-g",
                "daemon off;",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            base = f"https://127.0.0.1:{tls_port}"
            with httpx.Client(
                verify=ssl.create_default_context(cafile=conf.parent / "ssl" / "fullchain.pem"),
                timeout=10,
                headers={"Host": "aspirasi.example.go.id"},
            ) as client:
                deadline = time.monotonic() + 20
                while True:
                    try:
                        first = client.get(f"{base}/")
                        break
                    except httpx.TransportError:
                        assert server.poll() is None, server.stderr.read() if server.stderr else ""
                        assert time.monotonic() < deadline, "nginx did not start"
                        time.sleep(0.2)
                assert first.status_code == 200
                assert first.headers["x-cache"] in ("MISS", "EXPIRED")
                assert "strict-transport-security" in first.headers
                # The application's marker is for nginx only, never passed on.
                assert "x-accel-expires" not in first.headers
                # A page without a form sets no cookie (nginx caches no answer that does).
                assert "set-cookie" not in first.headers
                again = client.get(f"{base}/")
                assert again.headers["x-cache"] == "HIT"
                assert again.text == first.text

                # A visitor with a session is never served from (or stored in) the cache.
                signed_in = client.get(f"{base}/", headers={"Cookie": "rembug_session=" + "x" * 40})
                assert signed_in.headers["x-cache"] == "BYPASS"

                # Webhooks pass straight through: the application refuses an unsigned update.
                hook = client.post(f"{base}/webhooks/telegram", json={"update_id": 1})
                assert hook.status_code in (401, 403)
                assert "x-cache" not in hook.headers
                assert client.get(f"{base}/webhooks/telegram").status_code == 403
                # The SMS provider's calls are not held to the pages' 20 r/s per address: a
                # burst reaches the application, which refuses the unsigned ones itself.
                answers = [
                    client.post(f"{base}/webhooks/sms/twilio", data={"Body": "x"}).status_code
                    for _ in range(100)
                ]
                assert set(answers) <= {403, 429}, answers
                pages = [client.get(f"{base}/healthz").status_code for _ in range(100)]
                assert 503 in pages  # the same burst to a page is limited
                assert client.get(f"{base}/webhooks/sms/twilio").status_code == 403

                # Plain http answers with the way to https.
                moved = httpx.get(
                    f"http://127.0.0.1:{http_port}/konsultasi",
                    headers={"Host": "aspirasi.example.go.id"},
                )
                assert moved.status_code == 301
                assert moved.headers["location"] == "https://aspirasi.example.go.id/konsultasi"
        finally:
            server.terminate()
            server.wait(timeout=20)
            if server.stderr is not None:
                server.stderr.close()
