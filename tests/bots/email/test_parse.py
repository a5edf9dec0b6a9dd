"""How mail programs quote, sign and mark their mail, as the parser must read it, and the
settings an operator can get wrong."""

from __future__ import annotations

import pytest

from bots.email.config import EmailSettings
from bots.email.parse import html_to_text, read, strip_quotes, title_of
from bots.email.wiring import check
from forum.settings import Settings, SettingsError


def test_quoted_history_and_signatures_are_cut() -> None:
    gmail = "Setuju.\n\nOn Mon, Dec 7, 2026 at 10:00 AM Rembug <a@b.go.id>\nwrote:\n> lama\n"
    assert strip_quotes(gmail) == "Setuju."
    indonesian = "Sudah saya cek.\n\nPada tanggal Sen, 7 Des 2026 pukul 10.00 Rembug menulis:\n> x"
    assert strip_quotes(indonesian) == "Sudah saya cek."
    outlook = "Terima kasih.\n\n________________________________\nDari: Rembug\nDikirim: Senin"
    assert strip_quotes(outlook) == "Terima kasih."
    separator = "Baik.\n\n-----Original Message-----\nFrom: Rembug"
    assert strip_quotes(separator) == "Baik."
    signed = "Mohon dibantu.\n\n-- \nBudi\nKetua RT 05\n"
    assert strip_quotes(signed) == "Mohon dibantu."
    inline = "> pertanyaan Anda\nJawaban saya di sini.\n> lagi\nDan ini juga."
    assert strip_quotes(inline) == "Jawaban saya di sini.\nDan ini juga."
    # A line that merely starts with "On" is kept.
    assert (
        strip_quotes("On the other hand the road is fine.") == "On the other hand the road is fine."
    )


def test_html_is_sanitised_to_text_and_quoted_blocks_dropped() -> None:
    page = (
        '<div dir="ltr">Halo,<br>jalan <a href="javascript:alert(1)">rusak</a>.<div><br></div>'
        '<blockquote class="gmail_quote">kutipan lama</blockquote><img src=x onerror=alert(1)>'
        "<script>document.cookie</script><style>.x{}</style></div>"
    )
    assert html_to_text(page) == "Halo,\njalan rusak."


def test_subjects_lose_reply_and_forward_prefixes() -> None:
    assert title_of("Re: RE: Fwd: Balas: Jalan rusak") == "Jalan rusak"
    assert title_of("AW: Re[2]: Lampu") == "Lampu"


def test_category_and_region_lines_are_read_and_taken_out() -> None:
    raw = (
        b"From: a@warga.example\r\nSubject: Puskesmas tutup\r\nMessage-ID: <1@w>\r\n\r\n"
        b"Kategori: Kesehatan\r\nWilayah: Kota Bandung\r\nPuskesmas tutup setiap Sabtu.\r\n"
    )
    mail = read(raw, own_addresses=set(), trusted_authserv="", max_bytes=10_000)
    assert mail.fields == {"category": "Kesehatan", "region": "Kota Bandung"}
    assert mail.text == "Puskesmas tutup setiap Sabtu."


def test_a_lying_charset_does_not_stop_the_mail() -> None:
    raw = (
        b"From: a@warga.example\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=x-no-such-charset\r\n\r\nJalan rusak \xe9\r\n"
    )
    mail = read(raw, own_addresses=set(), trusted_authserv="", max_bytes=10_000)
    assert mail.problem == "" and mail.text.startswith("Jalan rusak")


def _settings(**env: str) -> Settings:
    return Settings.from_env(
        {"REMBUG_SECRET_KEY": "test-secret-key-with-enough-entropy-0123456789", **env}
    )


def test_settings_an_operator_can_get_wrong() -> None:
    with pytest.raises(SettingsError, match="REMBUG_IMAP_TLS"):
        EmailSettings.read(_settings(REMBUG_IMAP_TLS="ssl"))
    with pytest.raises(SettingsError, match="REMBUG_IMAP_PORT"):
        EmailSettings.read(_settings(REMBUG_IMAP_PORT="imap"))
    assert EmailSettings.read(_settings(REMBUG_IMAP_TLS="starttls")).imap_port == 143
    assert EmailSettings.read(_settings()).imap_port == 993
    assert check(_settings()) == []  # no mailbox configured: nothing to say
    problems = " ".join(
        check(_settings(REMBUG_IMAP_HOST="imap.kota-a.go.id", REMBUG_IMAP_TLS="off"))
    )
    assert "REMBUG_IMAP_PASSWORD" in problems
    assert "unencrypted" in problems
    assert "REMBUG_SMTP_URL" in problems
