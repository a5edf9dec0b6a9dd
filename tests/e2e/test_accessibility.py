"""Keyboard, focus, labels, error messages and language attributes, checked in Chromium on the
pages citizens use (axe-core runs on every page these tests and the journeys reach)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Server, Visit

CITIZEN = "siti.rahma@contoh.id"

# Everything a keyboard user should be able to reach, as rendered (closed <details> content
# and hidden inputs are not rendered, so they are not expected).
# How the two scripts below name an element, so their lists compare; a radio group is one
# stop (Tab reaches its checked radio, the arrow keys the others).
NAME_OF = """el => el.type === 'radio' ? 'radio:' + el.name
  : el.tagName.toLowerCase() + '#' + (el.id || '') + '|'
    + (el.name || el.getAttribute('href') || el.textContent.trim().slice(0, 40))"""

# Everything a keyboard user should be able to reach, as rendered (closed <details> content
# and hidden inputs are not rendered, so they are not expected).
INTERACTIVE = (
    """() => {
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary, '
    + '[tabindex]:not([tabindex="-1"])';
  // checkVisibility also knows that the content of a closed <details> is not rendered.
  const shown = el => el.checkVisibility({visibilityProperty: true});
  const nameOf = """
    + NAME_OF
    + """;
  return [...document.querySelectorAll(selector)].filter(el => shown(el) && !el.disabled)
    .map(nameOf);
}"""
)

# The focused element and whether its focus indicator (outline or box shadow) shows.
FOCUSED = (
    """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
  const shadow = style.boxShadow && style.boxShadow !== 'none';
  const nameOf = """
    + NAME_OF
    + """;
  return {name: nameOf(el), visible: outline || shadow};
}"""
)

KEYBOARD_PAGES = [
    "/",
    "/konsultasi/1",
    "/konsultasi/1/bagian/5",
    "/aspirasi/baru",
    "/aspirasi",
    "/saya",
    "/cari?q=layanan",
]


def _tab_through(visit: Visit) -> tuple[list[str], list[dict[str, Any]]]:
    page = visit.page
    expected: list[str] = page.evaluate(INTERACTIVE)
    reached: list[dict[str, Any]] = []
    # Start from the top of the document, as after a page load.
    page.evaluate(
        "() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }"
    )
    # A date input takes a Tab per part (day, month, year), hence the margin.
    for _ in range(len(expected) + 30):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused is None:
            break
        if reached and focused["name"] == reached[0]["name"]:
            break  # wrapped around
        reached.append(focused)
    return expected, reached


def test_every_control_is_reachable_by_tab_with_a_visible_focus(
    visit_factory, server: Server
) -> None:  # type: ignore[no-untyped-def]
    citizen = visit_factory("citizen-keyboard")
    citizen.login(CITIZEN, server.passwords[CITIZEN])
    for path in KEYBOARD_PAGES:
        citizen.goto(path)
        expected, reached = _tab_through(citizen)
        names = {r["name"] for r in reached}
        missing = [name for name in expected if name not in names]
        assert not missing, f"{path}: not reachable with Tab: {missing}"
        invisible = [r["name"] for r in reached if not r["visible"]]
        assert not invisible, f"{path}: focus not visible on {invisible}"


def test_the_skip_link_comes_first_and_moves_to_the_content(visit_factory) -> None:  # type: ignore[no-untyped-def]
    visitor = visit_factory("visitor-skip")
    page = visitor.goto("/konsultasi/1")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Langsung ke konten")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_form_errors_are_tied_to_their_fields(visit_factory, server: Server, js: bool) -> None:  # type: ignore[no-untyped-def]
    citizen = visit_factory("citizen-errors", js=js)
    citizen.goto("/daftar", "register")
    citizen.submit("Buat akun", "register errors")
    page = citizen.page
    expect(page.get_by_role("alert")).to_be_visible()
    _assert_errors_described(citizen, ["name", "password", "consent"])

    citizen.login(CITIZEN, server.passwords[CITIZEN])
    citizen.goto("/aspirasi/baru", "aspiration form")
    citizen.submit("Lanjut", "aspiration errors")
    _assert_errors_described(citizen, ["title", "body", "category", "region"])


def _assert_errors_described(visit: Visit, fields: list[str]) -> None:
    page = visit.page
    for name in fields:
        control = page.locator(f"[name={name}]").first
        expect(control).to_have_attribute("aria-invalid", "true")
        described = control.get_attribute("aria-describedby") or ""
        assert described, f"{name} has no aria-describedby"
        texts = [page.locator(f"#{ident}").inner_text() for ident in described.split()]
        assert any(t.strip() for t in texts), f"{name}: its description is empty"
        # The accessible description a screen reader reads out starts with the error (a
        # field's standing hint, e.g. "no NIK here", may follow it).
        expect(control).to_have_accessible_description(
            re.compile("^" + re.escape(texts[0].strip()))
        )


def test_every_control_has_a_label(visit_factory, server: Server) -> None:  # type: ignore[no-untyped-def]
    citizen = visit_factory("citizen-labels")
    citizen.login(CITIZEN, server.passwords[CITIZEN])
    for path in [
        "/daftar",
        "/masuk",
        "/aspirasi/baru",
        "/konsultasi/1/bagian/5",
        "/cari",
        "/tiket",
    ]:
        citizen.goto(path)
        unnamed = citizen.page.evaluate(
            """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
                 .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                              && !el.getAttribute('aria-labelledby'))
                 .map(el => el.outerHTML.slice(0, 120))"""
        )
        assert unnamed == [], f"{path}: controls without a label: {unnamed}"


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_the_language_attribute_follows_the_switch(visit_factory, js: bool) -> None:  # type: ignore[no-untyped-def]
    visitor = visit_factory("visitor-language", js=js)
    page = visitor.goto("/konsultasi/1")  # Visit.check asserts lang="id"
    switch = page.get_by_role("link", name="English")
    expect(switch).to_have_attribute("lang", "en")
    visitor.lang = "en"
    with page.expect_navigation():
        switch.click()
    visitor.check("english")
    expect(page.get_by_role("link", name="Skip to content")).to_be_attached()
    visitor.goto("/aspirasi", "aspirations in english")
    visitor.goto("/masuk", "login in english")
    back = page.get_by_role("link", name="Bahasa Indonesia")
    expect(back).to_have_attribute("lang", "id")
    visitor.lang = "id"
    with page.expect_navigation():
        back.click()
    visitor.check("back to indonesian")
