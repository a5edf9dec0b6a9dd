"""The JSON API under /api/v1: every endpoint, pagination, filters, errors, and the OpenAPI
document matching both the app's routes and the bodies it actually sends."""

from __future__ import annotations

import csv
import io
from typing import Any

import jsonschema
from starlette.routing import Route

from forum.api import ENDPOINTS
from tests.api.seed import seed
from tests.conftest import World
from tests.spreadsheets import XLSX_TYPE, read_csv, read_xlsx


def _validate(document: dict[str, Any], name: str, body: Any) -> None:
    schema = {"$ref": f"#/components/schemas/{name}", "components": document["components"]}
    jsonschema.validate(body, schema, cls=jsonschema.Draft202012Validator)


def test_every_api_route_is_documented_and_every_documented_path_is_served(app, browser) -> None:  # type: ignore[no-untyped-def]
    document = browser.get("/api/v1/openapi.json").json()
    served = {
        route.path
        for route in app.routes
        if isinstance(route, Route) and route.path.startswith("/api/v1/")
    }
    assert served == set(document["paths"])
    assert "/api/v1/search" in document["paths"]  # the search plugin's part, merged in
    for path, item in document["paths"].items():
        assert set(item) == {"get"}, path
        parameters = {p["name"] for p in item["get"].get("parameters", [])}
        for part in path.split("/"):
            if part.startswith("{"):
                assert part.strip("{}") in parameters, path
    # The document is generated from the same specs the handlers validate with.
    for endpoint in ENDPOINTS:
        documented = document["paths"][endpoint.path]["get"]["parameters"]
        assert [p["name"] for p in documented] == [p.name for p in endpoint.params]


def test_bodies_validate_against_the_document(world: World, browser) -> None:  # type: ignore[no-untyped-def]
    data = seed(world)
    document = browser.get("/api/v1/openapi.json").json()
    cid = data.consultation.id
    checks = {
        "/api/v1/consultations": "ConsultationPage",
        f"/api/v1/consultations/{cid}": "ConsultationDetail",
        f"/api/v1/consultations/{cid}/comments": "CommentPage",
        "/api/v1/aspirations": "AspirationPage",
        f"/api/v1/aspirations/{data.public.ticket}": "AspirationDetail",
        f"/api/v1/aspirations/{data.anonymous.ticket}": "AspirationDetail",
        "/api/v1/responses": "ResponsePage",
        "/api/v1/agencies": "AgencyPage",
        "/api/v1/accountability": "Accountability",
        "/api/v1/consultations/999999": "ApiError",
        "/api/v1/aspirations?page=0": "ApiError",
    }
    for path, name in checks.items():
        response = browser.get(path)
        assert response.headers["content-type"] == "application/json", path
        assert response.headers["access-control-allow-origin"] == "*"
        body = response.json()
        _validate(document, name, body)
        if name.endswith("Page"):
            assert body["items"], path  # validated on real rows, not only an empty list


def test_consultations_and_their_sections_and_comments(world: World, browser) -> None:  # type: ignore[no-untyped-def]
    data = seed(world)
    listing = browser.get("/api/v1/consultations").json()
    assert [c["id"] for c in listing["items"]] == [data.consultation.id]  # never the draft
    assert listing["items"][0]["agency"] == {"slug": "dinas-a", "name": world.agency.name}
    assert listing["items"][0]["url"] == f"http://127.0.0.1:8000/konsultasi/{data.consultation.id}"
    assert browser.get("/api/v1/consultations?status=open").json()["total"] == 1
    assert browser.get("/api/v1/consultations?status=closed").json()["total"] == 0

    detail = browser.get(f"/api/v1/consultations/{data.consultation.id}").json()
    assert [(s["position"], s["heading"], s["level"]) for s in detail["sections"]] == [
        (1, "Judul", 1),
        (2, "Bagian satu", 2),
        (3, "Bagian dua", 2),
    ]
    assert detail["sections"][1]["text"].strip() == "Isi pertama."

    comments = browser.get(f"/api/v1/consultations/{data.consultation.id}/comments").json()
    root, reply = data.comments
    assert [(c["id"], c["parent_id"]) for c in comments["items"]] == [
        (root.id, None),
        (reply.id, root.id),
    ]
    assert comments["items"][0]["author"] == "Budi Terbuka"
    assert comments["items"][0]["section"] is None

    assert browser.get(f"/api/v1/consultations/{data.draft.id}").status_code == 404
    missing = browser.get(f"/api/v1/consultations/{data.draft.id}/comments")
    assert missing.status_code == 404
    assert missing.json() == {
        "error": "not_found",
        "detail": "Konsultasi ini tidak ditemukan.",
        "parameter": None,
    }


def test_aspirations_filters_and_detail(world: World, browser) -> None:  # type: ignore[no-untyped-def]
    data = seed(world)
    everything = browser.get("/api/v1/aspirations").json()
    tickets = [a["ticket"] for a in everything["items"]]
    assert tickets == [data.anonymous.ticket, data.public.ticket]  # newest first
    by_ticket = {a["ticket"]: a for a in everything["items"]}
    assert by_ticket[data.public.ticket]["author"] == "Budi Terbuka"
    assert by_ticket[data.public.ticket]["status"] == "responded"
    assert by_ticket[data.anonymous.ticket]["author"] is None
    assert by_ticket[data.anonymous.ticket]["anonymous"] is True

    def tickets_for(**params: str) -> list[str]:
        response = browser.get("/api/v1/aspirations", params=params)
        assert response.status_code == 200, response.text
        return [a["ticket"] for a in response.json()["items"]]

    assert tickets_for(status="responded") == [data.public.ticket]
    assert tickets_for(status="routed") == [data.anonymous.ticket]
    assert tickets_for(agency="dinas-a") == tickets
    assert tickets_for(agency="dinas-b") == []
    assert tickets_for(agency="tidak-ada") == []
    assert tickets_for(category=data.category.slug) == tickets
    assert tickets_for(region=data.region.code) == tickets
    assert tickets_for(region=data.region.parent_code or "") == tickets  # province includes it
    assert tickets_for(region="99.99") == []

    detail = browser.get(f"/api/v1/aspirations/{data.public.ticket}").json()
    assert [(r["agency"]["slug"], r["target"]) for r in detail["responses"]] == [
        ("dinas-a", "aspiration")
    ]
    assert detail["category"]["slug"] == data.category.slug
    lower = browser.get(f"/api/v1/aspirations/{data.public.ticket.lower()}")
    assert lower.status_code == 404  # tickets are written as issued
    assert browser.get("/api/v1/aspirations/ASP-2020-000001").status_code == 404
    assert browser.get("/api/v1/aspirations/bukan-tiket").status_code == 404


def test_responses_agencies_and_accountability(world: World, browser) -> None:  # type: ignore[no-untyped-def]
    data = seed(world)
    responses = browser.get("/api/v1/responses").json()
    assert responses["total"] == 2  # the public aspiration and the visible comment
    targets = {(r["target"], r["ticket"], r["comment_id"]) for r in responses["items"]}
    assert targets == {
        ("aspiration", data.public.ticket, None),
        ("comment", None, data.comments[0].id),
    }
    assert browser.get("/api/v1/responses?agency=dinas-b").json()["total"] == 0

    agencies = browser.get("/api/v1/agencies").json()
    assert [a["slug"] for a in agencies["items"]] == ["dinas-b", "dinas-a"]  # by name

    figures = browser.get("/api/v1/accountability").json()
    rows = {row["agency"]["slug"]: row for row in figures["agencies"]}
    # Confidential and hidden aspirations count too: the figures hold no content.
    assert rows["dinas-a"]["received"] == 4
    assert rows["dinas-a"]["answered"] == rows["dinas-a"]["on_time"] == 2
    assert rows["dinas-b"]["received"] == 0
    old = browser.get("/api/v1/accountability?since=2001-01-01&until=2001-12-31").json()
    assert old["since"] == "2001-01-01" and old["until"] == "2001-12-31"
    assert all(row["received"] == 0 for row in old["agencies"])


def test_pagination(world: World, browser) -> None:  # type: ignore[no-untyped-def]
    seed(world)
    first = browser.get("/api/v1/aspirations?per_page=1").json()
    second = browser.get("/api/v1/aspirations?per_page=1&page=2").json()
    beyond = browser.get("/api/v1/aspirations?per_page=1&page=3").json()
    assert (first["total"], first["pages"], first["page"], first["per_page"]) == (2, 2, 1, 1)
    assert first["items"][0]["ticket"] != second["items"][0]["ticket"]
    assert beyond["items"] == [] and beyond["total"] == 2
    assert browser.get("/api/v1/aspirations?per_page=100").status_code == 200


def test_bad_parameters_are_400_json_with_an_indonesian_message(world: World, browser) -> None:  # type: ignore[no-untyped-def]
    seed(world)
    cases = {
        "/api/v1/aspirations?page=0": "page",
        "/api/v1/aspirations?page=100001": "page",
        "/api/v1/aspirations?page=-1": "page",
        "/api/v1/aspirations?page=99999999999999999999": "page",
        "/api/v1/aspirations?page=satu": "page",
        "/api/v1/aspirations?per_page=101": "per_page",
        "/api/v1/aspirations?page=1&page=2": "page",
        "/api/v1/aspirations?status=pending": "status",
        "/api/v1/aspirations?status=rejected": "status",
        "/api/v1/aspirations?format=xml": "format",
        "/api/v1/aspirations?agency=" + "a" * 81: "agency",
        "/api/v1/aspirations?region=" + "3" * 14: "region",
        "/api/v1/aspirations?agency=%00": "agency",  # PostgreSQL refuses NUL in text
        "/api/v1/responses?agency=dinas%0A": "agency",
        "/api/v1/consultations?status=draft": "status",
        "/api/v1/accountability?since=2026-13-45": "since",
        "/api/v1/accountability?since=1999-01-01": "since",
        "/api/v1/accountability?until=20260101": "until",
        # An empty value is not a number, a date or one of a list (the document says so).
        "/api/v1/aspirations?status=": "status",
        "/api/v1/aspirations?per_page=": "per_page",
        "/api/v1/consultations?page=": "page",
        "/api/v1/agencies?format=": "format",
        "/api/v1/accountability?since=": "since",
    }
    for path, parameter in cases.items():
        response = browser.get(path)
        assert response.status_code == 400, path
        body = response.json()
        assert body["error"] == "invalid_parameter" and body["parameter"] == parameter, path
        assert body["detail"].startswith("Parameter"), body  # Indonesian
    huge_id = browser.get("/api/v1/consultations/99999999999999999999")
    assert huge_id.status_code == 404 and huge_id.json()["error"] == "not_found"


def _csv(browser, path: str) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    response = browser.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    return read_csv(response)


def test_csv_exports_of_every_list(world: World, browser) -> None:  # type: ignore[no-untyped-def]
    data = seed(world)
    cid = data.consultation.id
    aspirations = _csv(browser, "/api/v1/aspirations?format=csv&per_page=1")
    assert len(aspirations) == 2  # every matching row, not one page
    assert {row["ticket"] for row in aspirations} == {data.public.ticket, data.anonymous.ticket}
    anonymous = next(row for row in aspirations if row["ticket"] == data.anonymous.ticket)
    assert anonymous["author"] == "" and anonymous["anonymous"] == "True"
    assert anonymous["agency_slug"] == "dinas-a" and anonymous["region_code"] == data.region.code
    assert _csv(browser, "/api/v1/aspirations?format=csv&status=responded")[0]["ticket"] == (
        data.public.ticket
    )
    assert [
        row["id"] for row in _csv(browser, f"/api/v1/consultations/{cid}/comments?format=csv")
    ] == [str(c.id) for c in data.comments]
    assert _csv(browser, "/api/v1/consultations?format=csv")[0]["agency_slug"] == "dinas-a"
    assert len(_csv(browser, "/api/v1/responses?format=csv")) == 2
    assert [row["slug"] for row in _csv(browser, "/api/v1/agencies?format=csv")] == [
        "dinas-b",
        "dinas-a",
    ]
    figures = _csv(browser, "/api/v1/accountability?format=csv")
    assert {row["agency_slug"]: row["received"] for row in figures} == {
        "dinas-a": "4",
        "dinas-b": "0",
    }


def _as_csv(value: Any, cell: str) -> str:
    """A workbook cell as the CSV writes it: a number cell equal to the CSV's number (0 and
    0.0 are one number) reads as the CSV's text."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return cell if cell and float(cell) == value else str(value)
    return str(value)


def test_every_list_is_also_an_excel_workbook_with_the_csvs_rows(world: World, browser) -> None:  # type: ignore[no-untyped-def]
    data = seed(world)
    document = browser.get("/api/v1/openapi.json").json()
    paths = [
        path.replace("{id}", str(data.consultation.id))
        for path, item in document["paths"].items()
        if XLSX_TYPE in item["get"]["responses"]["200"]["content"]
    ]
    assert "/api/v1/aspirations" in paths and "/api/v1/accountability" in paths
    for path in paths:
        text = browser.get(f"{path}?format=csv").content.decode("utf-8-sig")
        header, *csv_rows = list(csv.reader(io.StringIO(text)))
        response = browser.get(f"{path}?format=xlsx")
        sheet = read_xlsx(response)
        assert response.headers["x-truncated"] == "false"
        assert response.headers["access-control-allow-origin"] == "*"
        assert sheet.formulas == 0
        # The same columns in the same order and the same rows, row for row.
        assert sheet.rows[0] == header, path
        cells = [
            [_as_csv(v, c) for v, c in zip(r.values(), row, strict=True)]
            for r, row in zip(sheet.records(), csv_rows, strict=False)
        ]
        assert cells == csv_rows and len(sheet.records()) == len(csv_rows), path
        assert csv_rows, f"{path}: the seed leaves this list empty"
    figures = read_xlsx(browser.get("/api/v1/accountability?format=xlsx")).records()
    assert {row["agency_slug"]: row["received"] for row in figures} == {"dinas-a": 4, "dinas-b": 0}
    # The same data answers the same bytes (a cache or a person comparing downloads).
    again = browser.get("/api/v1/aspirations?format=xlsx").content
    assert again == browser.get("/api/v1/aspirations?format=xlsx").content


def test_csv_cells_cannot_become_spreadsheet_formulas(world: World, browser) -> None:  # type: ignore[no-untyped-def]
    data = seed(world)
    with world.services.db.write() as db:
        from forum import actions

        author = db.merge(world.citizen)
        comment = actions.submit_comment(
            db, author, db.merge(data.consultation), body='=HYPERLINK("http://jahat.example")'
        )
        actions.publish_comment(db, db.merge(world.moderator), comment)
    rows = _csv(browser, f"/api/v1/consultations/{data.consultation.id}/comments?format=csv")
    assert rows[-1]["text"] == '\'=HYPERLINK("http://jahat.example")'
    # JSON keeps the text as written.
    body = browser.get(f"/api/v1/consultations/{data.consultation.id}/comments").json()
    assert body["items"][-1]["text"] == '=HYPERLINK("http://jahat.example")'


def test_documented_csv_columns_match_the_export(world: World, browser) -> None:  # type: ignore[no-untyped-def]
    seed(world)
    document = browser.get("/api/v1/openapi.json").json()
    for endpoint in ENDPOINTS:
        ok = document["paths"][endpoint.path]["get"]["responses"]["200"]["content"]
        if "text/csv" not in ok or "{" in endpoint.path:
            continue
        header = browser.get(endpoint.path + "?format=csv").text.removeprefix("\ufeff")
        header = header.splitlines()[0]
        assert f"({header.replace(',', ', ')})" in ok["text/csv"]["schema"]["description"], (
            endpoint.path
        )
