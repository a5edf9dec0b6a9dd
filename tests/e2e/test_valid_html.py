"""The Nu HTML Checker that every page of the journeys goes through (``Visit.check``): it
runs, and it reports what the issue found (six fractional digits in <time datetime>), so a
page it passes is valid HTML."""

from __future__ import annotations

from tests.e2e.conftest import HtmlChecker

PAGE = '<!doctype html><html lang="id"><title>Uji</title><p><time datetime="{}">kemarin</time></p>'


def test_the_checker_reports_an_invalid_time_and_passes_a_valid_one(
    html_checker: HtmlChecker,
) -> None:
    errors = html_checker.errors(PAGE.format("2026-12-06T08:15:42.123456+00:00"))
    assert len(errors) == 1 and "fraction of a second" in errors[0], errors
    assert html_checker.errors(PAGE.format("2026-12-06T08:15:42Z")) == []
