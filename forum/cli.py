"""The ``rembug`` command: serve, migrate, demo, worker, check, reseal, create-user,
reset-2fa, totp-code."""

from __future__ import annotations

import argparse
import getpass
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from forum.settings import Settings, SettingsError

if TYPE_CHECKING:
    from forum.services import Services


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as exc:
        sys.exit(f"Pengaturan tidak valid / invalid setting: {exc}")


def cmd_migrate(args: argparse.Namespace) -> int:
    from forum.db import Database, make_engine, migrate
    from forum.events import EventBus
    from forum.seeds import upsert_reference_data

    settings = _settings()
    print(f"Migrasi basis data / migrating: {_redact(settings.database_url)}")
    migrate(settings.database_url, settings=settings)
    db = Database(make_engine(settings.database_url, pool_size=1), EventBus())
    with db.write() as session:
        regions, categories = upsert_reference_data(session)
    db.engine.dispose()
    print(f"Selesai / done. Data acuan baru: {regions} wilayah, {categories} kategori.")
    return 0


def _redact(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


def _services() -> Services:
    from forum.app import build_services
    from forum.db import DatabaseNotMigrated

    try:
        return build_services(_settings())
    except DatabaseNotMigrated as exc:
        sys.exit(str(exc))


def cmd_demo(args: argparse.Namespace) -> int:
    from forum.demo import load_demo
    from forum.demo_data import SHIPPED, DemoDataError

    services = _services()
    try:
        passwords = load_demo(
            services.db,
            secret_key=services.settings.sealing_keys,
            folder=Path(args.data) if args.data else SHIPPED,
        )
    except DemoDataError as exc:
        sys.exit(str(exc))
    if passwords is None:
        print("Data demo sudah ada / demo data already present; nothing to do.")
        return 0
    path = services.settings.data_dir / "demo-passwords.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    # email, password, and for staff their two-factor key and otpauth URI (add either to an
    # authenticator app to get the login codes).
    lines = ["\t".join(row) for row in passwords]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    path.chmod(0o600)
    print(f"\nAkun demo (email / kata sandi) — demo accounts (also saved in {path}):")
    for email, password, *two_factor in passwords:
        print(f"  {email}   {password}")
        if two_factor:
            print(f"      kunci 2FA / two-factor key: {two_factor[0]}")
    print(
        "Staf memakai verifikasi dua langkah: tambahkan kuncinya ke aplikasi autentikator. "
        "Staff use two-factor authentication: add their key to an authenticator app."
    )
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = _settings()
    from forum.db import DatabaseNotMigrated, check_migrated, make_engine

    engine = make_engine(settings.database_url, pool_size=1)
    try:
        check_migrated(engine)
    except DatabaseNotMigrated as exc:
        sys.exit(str(exc))
    finally:
        engine.dispose()
    print(f"Rembug: {settings.base_url} (http://{args.host}:{args.port})", flush=True)
    uvicorn.run(
        "forum.asgi:app",
        host=args.host,
        port=args.port,
        workers=args.workers,
        proxy_headers=True,
        forwarded_allow_ips=args.forwarded_allow_ips,
        log_level=settings.log_level.lower(),
        access_log=args.access_log,
    )
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    from forum.runtime import run_background, run_until_signalled

    services = _services()
    try:
        run_until_signalled(
            lambda stop: run_background(services, stop),
            "Pekerja outbox berjalan / outbox worker running (Ctrl+C stops).",
        )
    finally:
        services.close()
    return 0


def cmd_create_user(args: argparse.Namespace) -> int:
    from sqlmodel import select

    from forum import actions
    from forum.errors import Invalid
    from forum.i18n import gettext
    from forum.models import Agency, Role

    services = _services()
    password = args.password or getpass.getpass("Kata sandi / password: ")
    with services.db.write() as session:
        agency_id = None
        if args.agency:
            agency = session.exec(select(Agency).where(Agency.slug == args.agency)).first()
            if agency is None:
                sys.exit(f"Instansi tidak dikenal / unknown agency: {args.agency}")
            agency_id = agency.id
        try:
            account = actions.create_account(
                session,
                name=args.name,
                email=args.email,
                phone=args.phone,
                password=password,
                role=Role(args.role),
                agency_id=agency_id,
                consent=True,
            )
        except Invalid as exc:
            locale = services.settings.default_locale
            for field, msg in exc.field_errors.items():
                print(f"{field}: {gettext(locale, msg.text, **msg.params)}", file=sys.stderr)
            return 2
        print(f"Akun dibuat / account created: #{account.id} {account.name} ({account.role})")
    return 0


def cmd_reset_2fa(args: argparse.Namespace) -> int:
    """A locked-out account (lost phone and recovery codes, e.g. the only administrator):
    remove its two-factor authentication; it sets it up again at its next login."""
    from sqlmodel import select

    from forum import actions
    from forum.models import Account
    from forum.validation import normalise_email

    services = _services()
    email = normalise_email(args.email)
    try:
        with services.db.write() as session:
            account = session.exec(select(Account).where(Account.email == email)).first()
            if account is None:
                print(f"Akun tidak ditemukan / no account with email {args.email}", file=sys.stderr)
                return 2
            actions.reset_two_factor(session, None, account)
            print(
                f"Verifikasi dua langkah diatur ulang / two-factor authentication reset: "
                f"#{account.id} {account.name}. Sesi diakhiri / sessions ended; "
                "it sets up two-factor authentication again at its next login."
            )
        return 0
    finally:
        services.close()


def cmd_totp_code(args: argparse.Namespace) -> int:
    """The current code of a setup key, as an authenticator app would show it (the demo's
    staff keys without a phone; checking an app's clock)."""
    from forum import totp

    try:
        secret = totp.from_b32(args.key)
    except ValueError:
        print("Kunci tidak valid / not a valid base32 setup key", file=sys.stderr)
        return 2
    step = totp.current_step()
    left = totp.STEP_SECONDS - int(time.time()) % totp.STEP_SECONDS
    print(totp.code_at(secret, step))
    print(f"berlaku {left} detik lagi / valid for {left} more seconds", file=sys.stderr)
    return 0


def cmd_copy_db(args: argparse.Namespace) -> int:
    from forum.copydb import CopyError, copy_database

    settings = _settings()
    print(f"Menyalin / copying {_redact(settings.database_url)} → {_redact(args.to)}")
    try:
        counts = copy_database(
            settings.database_url, args.to, say=lambda line: print(line, flush=True)
        )
    except CopyError as exc:
        sys.exit(f"Gagal / failed: {exc}")
    rows, tables = sum(counts.values()), len(counts)
    print(f"Selesai / done: {rows} baris/rows, {tables} tabel/tables; jumlah cocok / counts match.")
    print(
        "Now set REMBUG_DATABASE_URL to the new database and restart Rembug (then rembug reindex)."
    )
    return 0


def cmd_reseal(args: argparse.Namespace) -> int:
    """After a new key was put first in REMBUG_SEALING_KEYS: seal every two-factor secret
    with it, so the old key can be removed."""
    from forum import actions

    services = _services()
    try:
        with services.db.write() as session:
            result = actions.reseal_two_factor_secrets(
                session, secret_key=services.settings.sealing_keys
            )
    finally:
        services.close()
    print(
        f"Disegel ulang / re-sealed: {result.resealed}; sudah / already current: "
        f"{result.current}; tidak terbaca / unreadable: {result.unreadable}"
    )
    if result.unreadable:
        print(
            "Unreadable secrets open with none of REMBUG_SEALING_KEYS: put the old key back, "
            "or reset those accounts' two-factor authentication (rembug reset-2fa EMAIL).",
            file=sys.stderr,
        )
    return 1 if result.unreadable else 0


def cmd_check(args: argparse.Namespace) -> int:
    from forum.app import PLUGINS
    from forum.checks import problems

    settings = _settings()
    found = problems(settings, plugins=PLUGINS)
    if args.online:
        import asyncio

        from forum.checks import online_problems

        found += asyncio.run(online_problems(settings, PLUGINS))
    for problem in found:
        print(f"- {problem}")
    if not found:
        print("Tidak ada masalah / no problems found.")
    return 1 if found else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rembug", description="Rembug: forum dialog publik / public dialogue forum."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the web server (and, by default, the worker)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1, help="web processes")
    serve.add_argument("--forwarded-allow-ips", default="127.0.0.1")
    serve.add_argument("--access-log", action="store_true")
    serve.set_defaults(func=cmd_serve)

    sub.add_parser("migrate", help="upgrade the database schema").set_defaults(func=cmd_migrate)
    demo = sub.add_parser("demo", help="load demo data (or an agency's own training data set)")
    demo.add_argument(
        "--data", metavar="DIR", help="folder of a data set (docs/demo-data.md); default: shipped"
    )
    demo.set_defaults(func=cmd_demo)
    sub.add_parser("worker", help="run the outbox worker alone").set_defaults(func=cmd_worker)
    check = sub.add_parser(
        "check", help="print what is misconfigured (exit status 1 when anything is)"
    )
    check.add_argument(
        "--online",
        action="store_true",
        help="also ask the chat platforms (e.g. is the Telegram webhook registered here?)",
    )
    check.set_defaults(func=cmd_check)
    sub.add_parser(
        "reseal", help="seal two-factor secrets with the first of REMBUG_SEALING_KEYS"
    ).set_defaults(func=cmd_reseal)
    copy = sub.add_parser(
        "copy-db", help="copy all data to another (empty) database, e.g. SQLite → PostgreSQL"
    )
    copy.add_argument("--to", required=True, help="target URL, e.g. postgresql+psycopg://…")
    copy.set_defaults(func=cmd_copy_db)

    create = sub.add_parser("create-user", help="create an account of any role")
    create.add_argument(
        "--role", required=True, choices=["citizen", "official", "moderator", "admin"]
    )
    create.add_argument("--name", required=True)
    create.add_argument("--email")
    create.add_argument("--phone")
    create.add_argument("--agency", help="agency slug (officials)")
    create.add_argument("--password", help="omit to be asked")
    create.set_defaults(func=cmd_create_user)

    reset = sub.add_parser(
        "reset-2fa", help="remove an account's two-factor authentication (lost phone)"
    )
    reset.add_argument("email")
    reset.set_defaults(func=cmd_reset_2fa)

    code = sub.add_parser(
        "totp-code", help="print the current two-factor code of a setup key (demo, testing)"
    )
    code.add_argument("key", help="the base32 setup key")
    code.set_defaults(func=cmd_totp_code)

    from forum.app import PLUGINS  # the packages' own commands (reindex, telegram …)

    for plugin in PLUGINS:
        if plugin.cli is not None:
            plugin.cli(sub)
    # A package's command builds the services through the host (``args.services()``), so no
    # package imports the composition root back (Datasette passes the app to its plugins).
    parser.set_defaults(services=_services)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
