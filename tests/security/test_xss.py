"""Attack suite, cross-site scripting: well-known filter-evasion payloads (after the OWASP
XSS Filter Evasion Cheat Sheet and similar public lists) go in through every text field a
citizen, an official or an administrator can fill, and every page, feed and API answer that
shows them is parsed: no script-capable element, no event-handler attribute, no javascript:
or data: URL may appear. Escaped text that merely *reads* like an attack is fine."""

from __future__ import annotations

import asyncio
import json
from html.parser import HTMLParser
from xml.etree import ElementTree

from sqlmodel import select

from forum import actions
from forum.models import Account, Aspiration, Category, Comment, Consultation, Region, Visibility
from tests.conftest import Browser, World

PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//xss.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<IMG SRC=JaVaScRiPt:alert('XSS')>",
    "<img src=`javascript:alert(1)`>",
    "<svg/onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<iframe src=javascript:alert(1)></iframe>",
    "<body onload=alert(1)>",
    '<a href="javascript:alert(1)">klik</a>',
    "[klik](javascript:alert(1))",
    "[klik](JAVASCRIPT:alert(1))",
    "[klik](&#106;avascript:alert(1))",
    "[klik](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](javascript:alert(1))",
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<style>@import 'javascript:alert(1)';</style>",
    "<object data=javascript:alert(1)></object>",
    "<embed src=javascript:alert(1)>",
    "<base href=//xss.example/>",
    "<form action=javascript:alert(1)><button>x</button></form>",
    "<input onfocus=alert(1) autofocus>",
    "<details open ontoggle=alert(1)>",
    "<video><source onerror=alert(1)></video>",
    "<textarea></textarea><script>alert(1)</script>",
    "<title></title><img src=x onerror=alert(1)>",
    '"><script>alert(1)</script>',
    "'><img src=x onerror=alert(1)>",
    "</textarea><script>alert(1)</script>",
    "<<SCRIPT>alert(1);//<</SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    '<a href="\\x01javascript:alert(1)">x</a>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "<link rel=stylesheet href=javascript:alert(1)>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    '<a href="http://x" onmouseover="alert(1)">x</a>',
    "<table background=javascript:alert(1)>",
    "<isindex action=javascript:alert(1) type=image>",
    "{{7*7}} {% raw %}{{ config }}{% endraw %}",
    "`<img src=x onerror=alert(1)>`",
    "```\n<script>alert(1)</script>\n```",
    "> <img src=x onerror=alert(1)>",
    "<a href='vbscript:msgbox(1)'>x</a>",
]
PAYLOAD_TEXT = "\n\n".join(PAYLOADS)
DANGEROUS_TAGS = {
    "script",
    "iframe",
    "object",
    "embed",
    "svg",
    "math",
    "style",
    "base",
    "meta",
    "link",
    "frame",
    "frameset",
    "applet",
    "video",
    "audio",
    "source",
    "isindex",
    "noscript",
}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "background", "data", "poster"}


class Inspector(HTMLParser):
    """Collects every element and attribute of a page as the browser would parse it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.in_chart = 0
        self.in_body = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "body":
            self.in_body = True
        if not self.in_body:  # our own <head>: charset, viewport, stylesheet, feed links
            return
        if tag == "svg" and names.get("class") == "chart":  # our own server-rendered charts
            self.in_chart += 1
            return
        if tag in DANGEROUS_TAGS and not (self.in_chart and tag not in {"script", "foreignobject"}):
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…>")
            if name in URL_ATTRIBUTES and value:
                compact = "".join(value.split()).lower()
                if compact.startswith(("javascript:", "vbscript:", "data:")):
                    self.problems.append(f"<{tag} {name}={value!r}>")
            if name == "style":
                self.problems.append(f"<{tag} style=…>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg" and self.in_chart:
            self.in_chart -= 1


def assert_safe_html(html: str, where: str, fragment: bool = False) -> None:
    inspector = Inspector()
    inspector.in_body = fragment
    inspector.feed(html)
    assert inspector.problems == [], f"{where}: {inspector.problems[:5]}"


def test_payloads_through_every_field_and_every_output(new_browser, world: World) -> None:  # type: ignore[no-untyped-def]
    services = world.services
    with services.db.write() as db:
        citizen = db.get(Account, world.citizen.id)
        citizen.name = PAYLOADS[2][:120]  # a name is user text too
        db.add(citizen)
        agency = db.get(type(world.agency), world.agency.id)
        agency.name = "Dinas <script>alert(1)</script>"
        db.add(agency)
    consultation = world.consultation(
        markdown=f"# Judul\n\n## Bagian <img src=x onerror=alert(1)>\n\n{PAYLOAD_TEXT}\n"
    )
    with services.db.write() as db:
        c = db.get(Consultation, consultation.id)
        c.title = "<svg/onload=alert(1)> Rancangan"
        c.summary = PAYLOAD_TEXT
        db.add(c)
        root = actions.submit_comment(db, world.citizen, c, body=PAYLOAD_TEXT)
        actions.publish_comment(db, world.moderator, root)
        reply = actions.submit_comment(
            db, world.other_citizen, c, body=PAYLOAD_TEXT, parent_id=root.id
        )
        actions.publish_comment(db, world.moderator, reply)
        actions.publish_official_response(
            db, world.official, body=PAYLOAD_TEXT, comment=db.get(Comment, root.id)
        )
        category = db.exec(select(Category.id)).first()
        region = db.exec(select(Region.id)).first()
        aspiration = actions.submit_aspiration(
            db,
            world.citizen,
            title=PAYLOADS[0],
            body=PAYLOAD_TEXT,
            category_id=category,
            region_id=region,
            agency_id=world.agency.id,
            visibility=Visibility.public,
        )
        actions.publish_aspiration(db, world.moderator, aspiration)
        actions.publish_official_response(
            db, world.official, body=PAYLOAD_TEXT, aspiration=db.get(Aspiration, aspiration.id)
        )
        pending = actions.submit_comment(db, world.citizen, c, body=PAYLOAD_TEXT)
    asyncio.run(services.worker.drain())
    with services.db.read() as db:
        from forum.models import OutboxJob

        failed = [
            (j.kind, j.last_error) for j in db.exec(select(OutboxJob)) if j.status == "failed"
        ]
        assert failed == []  # indexing, notifications and emails all coped with the payloads
    visitor, citizen_b, moderator, official, admin = (new_browser() for _ in range(5))
    citizen_b.login(world.citizen)
    moderator.login(world.moderator)
    official.login(world.official)
    admin.login(world.admin)
    pages: list[tuple[Browser, str]] = [
        (visitor, "/"),
        (visitor, "/konsultasi"),
        (visitor, f"/konsultasi/{consultation.id}"),
        (visitor, f"/konsultasi/{consultation.id}/bagian/1"),
        (visitor, "/aspirasi"),
        (visitor, f"/aspirasi/{aspiration.ticket}"),
        (visitor, "/cari?q=alert"),
        (visitor, "/akuntabilitas"),
        (citizen_b, "/saya"),
        (citizen_b, "/saya/data"),
        (citizen_b, "/notifikasi"),
        (moderator, "/moderation"),
        (official, "/instansi"),
        (official, f"/aspirasi/{aspiration.ticket}"),
        (admin, "/admin/akun"),
        (admin, "/admin/instansi"),
        (admin, "/moderation/audit"),
    ]
    with services.db.read() as db:
        from moderation.models import ModerationCase

        case_id = db.exec(
            select(ModerationCase.id).where(ModerationCase.comment_id == pending.id)
        ).one()
    pages.append((moderator, f"/moderation/kasus/{case_id}"))
    for browser, path in pages:
        response = browser.get(path)
        assert response.status_code == 200, path
        assert_safe_html(response.text, path)
    # Feeds: valid XML whose text may hold the payloads, but never as markup.
    for path in (
        "/feeds/konsultasi.atom",
        "/feeds/tanggapan.atom",
        f"/konsultasi/{consultation.id}/komentar.atom",
    ):
        response = visitor.get(path)
        assert response.status_code == 200, path
        root_element = ElementTree.fromstring(response.content)  # noqa: S314 - our own feed
        for element in root_element.iter():
            if element.get("type") == "html" and element.text:
                assert_safe_html(element.text, path, fragment=True)
            for value in element.attrib.values():
                assert not value.lower().replace(" ", "").startswith("javascript:"), path
    # The API returns JSON (served as application/json, never as a page).
    for path in (
        "/api/v1/aspirations",
        f"/api/v1/consultations/{consultation.id}/comments",
        "/api/v1/search?q=alert",
    ):
        response = visitor.get(path)
        assert response.status_code == 200 and response.headers["content-type"].startswith(
            "application/json"
        ), path
        json.loads(response.text)
        assert response.headers["x-content-type-options"] == "nosniff"


def test_sql_injection_attempts_are_plain_input(new_browser, world: World) -> None:  # type: ignore[no-untyped-def]
    attempts = [
        "' OR '1'='1",
        "1; DROP TABLE account; --",
        '" OR 1=1 --',
        "%' UNION SELECT password_hash FROM account --",
    ]
    visitor = new_browser()
    for attempt in attempts:
        assert visitor.get("/tiket", params={"nomor": attempt}).status_code == 400
        assert visitor.get("/cari", params={"q": attempt}).status_code == 200
        login = visitor.submit("/masuk", "/masuk", {"login": attempt, "password": attempt})
        assert login.status_code == 400
        assert visitor.get("/api/v1/aspirations", params={"agency": attempt}).status_code in (
            200,
            400,
        )
    with world.services.db.read() as db:
        assert db.exec(select(Account)).first() is not None  # the table is still there
