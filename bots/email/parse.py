"""Real mail → what the channel needs: sender, subject, the new words of the text (quoted
history and signature removed), threading ids, attachments (listed, never published), whether
it is automatic mail that must never be answered, and whether a trusted receiving server
authenticated it. The standard library's ``email`` package (policy ``default``) does the
MIME work: any charset, quoted-printable and base64; HTML-only mail is sanitised with nh3,
then turned into text."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser

import nh3

MAX_TEXT_CHARS = 20_000  # longer text is cut here before any further work
_BLOCK_TAGS = {
    "p", "div", "br", "li", "ul", "ol", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6",
    "blockquote", "pre",
}  # fmt: skip
_REPLY_PREFIX = re.compile(r"^\s*((re|fw|fwd|aw|wg|sv|balas|bls|tr)\s*(\[\d+\])?\s*:\s*)+", re.I)
# "On Mon, 7 Dec 2026 at 10:00, Warga <w@contoh.id> wrote:" / "Pada ... menulis:"
_ATTRIBUTION = re.compile(
    r"^\s*(on|pada|am|le|el)\b.*\b(wrote|menulis|schrieb|a écrit|escribió)\s*:\s*$", re.I
)
_ORIGINAL = re.compile(
    r"^\s*(-{2,}\s*(original message|pesan asli|forwarded message|pesan terusan)\s*-{2,}|_{10,})",
    re.I,
)
_FIELD = re.compile(r"^\s*(kategori|category|wilayah|region|daerah)\s*:\s*(.{1,120})$", re.I)
_BOUNCE_SENDERS = {"mailer-daemon", "postmaster"}


@dataclass(frozen=True)
class Attachment:
    name: str
    content_type: str
    size: int


@dataclass
class ParsedMail:
    message_id: str = ""
    sender: str = ""  # the From address, lower-cased
    sender_name: str = ""
    subject: str = ""
    text: str = ""  # the new words only
    fields: dict[str, str] = field(default_factory=dict)  # "category" / "region" lines
    in_reply_to: str = ""
    references: list[str] = field(default_factory=list)
    recipients: list[str] = field(default_factory=list)  # To, Cc, Delivered-To
    attachments: list[Attachment] = field(default_factory=list)
    language: str = ""  # "id" / "en" when the mail says so
    automatic: str = ""  # why it must not be answered ("" for a person's mail)
    authentication: str = ""  # the trusted server's verdict: "dmarc", "dkim" or ""
    problem: str = ""  # "too-large", "no-sender", "unreadable"


def read(
    raw: bytes,
    *,
    own_addresses: set[str],
    trusted_authserv: str,
    max_bytes: int,
    too_large: bool = False,
) -> ParsedMail:
    """Everything the channel decides on, from the message as the server stored it
    (``too_large``: the poller fetched only the header of a message over the limit)."""
    too_large = too_large or len(raw) > max_bytes
    if too_large:  # only the header is looked at
        raw = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0] + b"\r\n\r\n"
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    mail = ParsedMail()
    try:
        _headers(mail, message, own_addresses, trusted_authserv)
    except (ValueError, TypeError, IndexError, LookupError):
        mail.problem = "unreadable"
        return mail
    if not mail.sender:
        mail.problem = "no-sender"
        return mail
    if too_large:
        mail.problem = "too-large"
        return mail
    try:
        text = _text_of(message)
        mail.attachments = _attachments(message)
    except (ValueError, TypeError, LookupError, AttributeError):
        mail.problem = "unreadable"
        return mail
    text, mail.fields = _fields(strip_quotes(text[:MAX_TEXT_CHARS]))
    mail.text = text
    return mail


def _header(message: Message, name: str) -> str:
    value = message.get(name)
    return str(value).strip() if value is not None else ""


def _headers(mail: ParsedMail, message: Message, own: set[str], trusted: str) -> None:
    mail.message_id = _header(message, "Message-ID")[:300]
    name, address = parseaddr(_header(message, "From"))
    mail.sender, mail.sender_name = address.strip().lower()[:254], name.strip()[:120]
    if mail.sender and "@" not in mail.sender:
        mail.sender = ""
    mail.subject = " ".join(_header(message, "Subject").split())[:300]
    mail.in_reply_to = _first_id(_header(message, "In-Reply-To"))
    mail.references = re.findall(r"<[^<>\s]+>", _header(message, "References"))[-20:]
    mail.recipients = [
        a.lower()
        for _, a in getaddresses(
            [
                str(v)
                for h in ("To", "Cc", "Delivered-To", "X-Original-To")
                for v in message.get_all(h, [])
            ]
        )
        if a
    ]
    language = (_header(message, "Content-Language") or _header(message, "Accept-Language"))[:2]
    mail.language = language.lower() if language.lower() in ("id", "en") else ""
    mail.automatic = automatic_reason(message, mail.sender, own)
    mail.authentication = authentication(message, trusted, mail.sender)


def _first_id(value: str) -> str:
    found = re.search(r"<[^<>\s]+>", value)
    return found.group(0) if found else ""


def automatic_reason(message: Message, sender: str, own: set[str]) -> str:
    """Why this mail is not a person writing to us ("" when it is). Answering any of these
    starts mail loops or bounce storms (RFC 3834, RFC 3464)."""
    auto = _header(message, "Auto-Submitted").lower()
    if auto and auto.split(";", 1)[0].strip() != "no":
        return "auto-submitted"
    # X-Auto-Response-Suppress is not one of these: Exchange also sets it on mail people
    # write, and ignoring it would drop their aspiration without a word.
    if _header(message, "X-Autoreply") or _header(message, "X-Autorespond"):
        return "auto-reply"
    if _header(message, "Return-Path") in ("<>", "") and message.get("Return-Path") is not None:
        return "bounce"
    if message.get_content_type() == "multipart/report":
        return "bounce"
    if sender.split("@", 1)[0] in _BOUNCE_SENDERS:
        return "bounce"
    if _header(message, "List-Id") or _header(message, "List-Post"):
        return "list"
    if _header(message, "Precedence").lower() in ("bulk", "list", "junk", "auto_reply"):
        return "bulk"
    if sender in own or any(
        sender.startswith(o.split("@")[0] + "+") and sender.endswith("@" + o.split("@")[-1])
        for o in own
    ):
        return "own-address"
    return ""


def authentication(message: Message, trusted: str, sender: str) -> str:
    """The verdict of the trusted receiving server's ``Authentication-Results`` (RFC 8601),
    the topmost such header only (the server adds its own on top and must remove forged
    ones): "dmarc" when DMARC passed, "dkim" when a DKIM signature of the From domain
    passed, else ""."""
    if not trusted:
        return ""
    domain = sender.rpartition("@")[2]
    for value in message.get_all("Authentication-Results", []):
        text = " ".join(str(value).split()).lower()
        authserv = text.split(";", 1)[0].strip().split()[0] if text else ""
        if authserv != trusted:
            continue
        results = text.split(";")[1:]
        for result in results:
            result = result.strip()
            if result.startswith("dmarc=pass"):
                return "dmarc"
        for result in results:
            result = result.strip()
            if result.startswith("dkim=pass") and re.search(
                rf"header\.(d|i)=@?{re.escape(domain)}\b", result
            ):
                return "dkim"
        return ""
    return ""


def _decoded(part: EmailMessage) -> str:
    try:
        content = part.get_content()
    except (LookupError, UnicodeError):  # an unknown or lying charset: read what we can
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    return content if isinstance(content, str) else ""


def _text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        return ""
    assert isinstance(body, EmailMessage)
    content = _decoded(body)
    if body.get_content_type() == "text/html":
        return html_to_text(content)
    return content


def _attachments(message: EmailMessage) -> list[Attachment]:
    found = []
    for part in message.walk():
        if part.is_multipart():
            continue
        disposition = part.get_content_disposition()
        name = part.get_filename()
        if disposition != "attachment" and not name:
            continue
        payload = part.get_payload(decode=True)
        size = len(payload) if isinstance(payload, bytes) else 0
        found.append(Attachment((name or "")[:200], part.get_content_type()[:100], size))
    return found[:50]


class _Text(HTMLParser):
    """Text of sanitised HTML: block elements become line breaks; quoted blocks (a reply's
    history in <blockquote>) are left out."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.quoted = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "blockquote":
            self.quoted += 1
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "blockquote" and self.quoted:
            self.quoted -= 1
        if tag in _BLOCK_TAGS and tag != "br":
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.quoted:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    """nh3 first (scripts, styles, comments and every attribute gone), then the text."""
    clean = nh3.clean(
        markup, tags=_BLOCK_TAGS | {"span", "b", "i", "strong", "em", "a"}, attributes={}
    )
    parser = _Text()
    parser.feed(clean)
    parser.close()
    text = "".join(parser.parts).replace("\xa0", " ")
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def strip_quotes(text: str) -> str:
    """The new words of a mail: stops at an attribution line ("On … wrote:", "Pada …
    menulis:", also folded over two lines), an "Original Message" separator or the
    signature separator ("-- "); drops ``>`` quoted lines."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    for i, line in enumerate(lines):
        joined = f"{line} {lines[i + 1]}" if i + 1 < len(lines) else line
        if line.rstrip() in ("--", "-- ") or _ORIGINAL.match(line):
            break
        if _ATTRIBUTION.match(line) or (
            re.match(r"^\s*(on|pada)\b", line, re.I) and _ATTRIBUTION.match(joined)
        ):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line.rstrip())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()


def _fields(text: str) -> tuple[str, dict[str, str]]:
    """``Kategori: …`` and ``Wilayah: …`` lines (Category / Region) taken out of the text."""
    fields: dict[str, str] = {}
    kept = []
    for line in text.split("\n"):
        match = _FIELD.match(line)
        if match:
            key = match.group(1).lower()
            name = "category" if key in ("kategori", "category") else "region"
            fields.setdefault(name, match.group(2).strip())
            continue
        kept.append(line)
    return "\n".join(kept).strip(), fields


def title_of(subject: str) -> str:
    """The subject without reply and forward prefixes."""
    return _REPLY_PREFIX.sub("", subject).strip()
