"""Search as users meet it: the /cari page, the JSON API and its OpenAPI document, similar
aspirations on the preview step and on an aspiration's page, visibility, and reindex."""

from __future__ import annotations

import asyncio
import io
import re
from pathlib import Path

from sqlmodel import select

from forum import actions
from forum.models import Aspiration, Category, OutboxJob, Region, Visibility
from forum.services import Services
from search.analysis import analyzer_version, parse_query, stem_cache_header
from search.index import SearchQuery
from search.openapi import openapi_fragment
from search.rebuild import reindex
from search.service import PARAMS, get_index
from tests.conftest import World


def drain(services: Services) -> None:
    assert services.worker is not None
    asyncio.run(services.worker.drain())


def aspiration(
    world: World,
    title: str,
    body: str,
    *,
    visibility: Visibility = Visibility.public,
    agency_id: int | None = None,
    publish: bool = True,
) -> Aspiration:
    with world.services.db.write() as db:
        category = db.exec(select(Category).order_by(Category.id)).first()  # type: ignore[arg-type]
        region = db.exec(select(Region).order_by(Region.id)).first()  # type: ignore[arg-type]
        assert category is not None and region is not None
        item = actions.submit_aspiration(
            db,
            world.citizen,
            title=title,
            body=body,
            category_id=category.id,
            region_id=region.id,
            agency_id=agency_id or world.agency.id,
            visibility=visibility,
        )
        if publish:
            actions.publish_aspiration(db, world.moderator, item)
        return item


def results(browser, query: str) -> str:  # type: ignore[no-untyped-def]
    response = browser.get("/cari", params={"q": query})
    assert response.status_code == 200
    return response.text


def test_word_forms_abbreviations_highlights_and_phrases(world: World, browser) -> None:  # type: ignore[no-untyped-def]
    aspiration(world, "Pelayanan KTP lambat", "Pelayanan di kelurahan tidak ramah dan lambat.")
    aspiration(world, "Petugas melayani warga", "Petugas kurang melayani warga dengan baik.")
    aspiration(world, "Jalan rusak", "Jalan di desa kami rusak parah <script>x</script>.")
    drain(world.services)

    page = results(browser, "layanan")
    assert "Pelayanan KTP lambat" in page and "Petugas melayani warga" in page
    assert "<mark>Pelayanan</mark>" in page and "<mark>melayani</mark>" in page
    assert "2 hasil" in page

    page = results(browser, "jln yg rusak")  # informal spelling and abbreviations
    assert "Jalan rusak" in page and "Pelayanan KTP" not in page
    assert "&lt;script&gt;" in page and "<script>x" not in page  # snippets are escaped

    page = results(browser, "pelayanan tdk ramah")
    assert "Pelayanan KTP lambat" in page and "Petugas melayani" not in page

    assert "Jalan rusak" in results(browser, '"jalan di desa"')
    assert "Jalan rusak" not in results(browser, '"desa jalan"')
    assert "Tidak ada yang ditemukan" in results(browser, "banjir bandang")


def test_did_you_mean_filters_facets_sort_and_pages(world: World, browser) -> None:  # type: ignore[no-untyped-def]
    for number in range(23):
        aspiration(world, f"Lampu jalan mati nomor {number}", "Lampu penerangan jalan mati.")
    other = aspiration(
        world, "Lampu taman", "Lampu taman kota mati.", agency_id=world.other_agency.id
    )
    with world.services.db.write() as db:
        actions.add_support(db, world.other_citizen, aspiration=db.get(Aspiration, other.id))
    drain(world.services)

    page = results(browser, "lampu")
    assert "24 hasil" in page
    assert world.agency.name in page and world.other_agency.name in page  # facet labels
    assert re.search(r"Dinas Komunikasi Kota A</a> \(23\)", page)
    assert 'rel="next"' in page and "halaman=2" in page
    second = browser.get("/cari", params={"q": "lampu", "halaman": "2"}).text
    assert page.count('class="card result') == 20 and second.count('class="card result') == 4

    filtered = browser.get("/cari", params={"q": "lampu", "agency": str(world.other_agency.id)})
    assert "1 hasil" in filtered.text and "Lampu taman" in filtered.text

    supported = browser.get("/cari", params={"q": "lampu", "sort": "supported"}).text
    assert supported.index("Lampu taman") < supported.index("Lampu jalan mati")

    misspelt = results(browser, "lampuu")
    assert "Mungkin maksud Anda" in misspelt and ">lampu</a>" in misspelt

    bad = browser.get("/cari", params={"q": "lampu", "agency": "99999999999"})
    assert bad.status_code == 400


def test_hidden_rejected_withdrawn_and_confidential_never_shown(
    world: World, browser, new_browser
) -> None:  # type: ignore[no-untyped-def]
    hidden = aspiration(world, "Sampah menumpuk satu", "Sampah menumpuk di pasar.")
    withdrawn = aspiration(world, "Sampah menumpuk dua", "Sampah menumpuk di terminal.")
    aspiration(world, "Sampah menumpuk tiga", "Sampah menumpuk di sekolah.", publish=False)
    aspiration(
        world,
        "Sampah menumpuk rahasia",
        "Sampah menumpuk di rumah saya.",
        visibility=Visibility.confidential,
    )
    drain(world.services)
    assert "Sampah menumpuk satu" in results(browser, "sampah")

    # Stale index: hide and withdraw without letting the worker update the index yet.
    with world.services.db.write() as db:
        actions.hide_content(db, world.moderator, aspiration=db.get(Aspiration, hidden.id))
        actions.withdraw_aspiration(db, world.citizen, db.get(Aspiration, withdrawn.id))
    page = results(browser, "sampah")
    api = browser.get("/api/v1/search", params={"q": "sampah"}).json()
    for text in (page, str(api)):
        assert "Sampah menumpuk satu" not in text and "Sampah menumpuk dua" not in text
        assert "Sampah menumpuk tiga" not in text and "rahasia" not in text

    official = new_browser()
    official.login(world.official)
    assert "Sampah menumpuk rahasia" in official.get("/cari", params={"q": "sampah"}).text
    other_official = new_browser()
    other_official.login(world.other_official)
    assert "rahasia" not in other_official.get("/cari", params={"q": "sampah"}).text

    drain(world.services)  # the index catches up: the hidden one is gone from it
    found = get_index(world.services).search(
        SearchQuery(parsed=parse_query("sampah"), confidential="all")
    )
    assert found.total == 1  # only the confidential one is left in the index


def test_api_matches_its_openapi_document(world: World, browser) -> None:  # type: ignore[no-untyped-def]
    aspiration(world, "Air PDAM keruh", "Air PDAM keruh sejak minggu lalu.")
    drain(world.services)
    document = browser.get("/api/v1/openapi.json").json()
    # The forum serves one document for /api/v1; search's part is merged into it unchanged.
    own = openapi_fragment()
    assert document["paths"]["/api/v1/search"] == own["paths"]["/api/v1/search"]
    for name, schema_of_name in own["components"]["schemas"].items():
        assert document["components"]["schemas"][name] == schema_of_name
    operation = document["paths"]["/api/v1/search"]["get"]
    declared = {p["name"]: p["schema"] for p in operation["parameters"]}
    assert set(declared) == {p.name for p in PARAMS}

    body = browser.get("/api/v1/search", params={"q": "air keruh", "per_page": "5"}).json()
    schema = document["components"]["schemas"]
    assert set(body) == set(schema["SearchResponse"]["properties"])
    assert body["total"] == 1 and body["results"][0]["title"] == "Air PDAM keruh"
    assert set(body["results"][0]) == set(schema["SearchResult"]["properties"])
    assert "<mark>keruh</mark>" in body["results"][0]["snippet"]
    assert set(body["facets"]) == set(
        schema["SearchResponse"]["properties"]["facets"]["properties"]
    )

    # Every bound and enum in the document is enforced with a 400 JSON error.
    for name, schema_of in declared.items():
        if schema_of["type"] == "integer":
            too_big = browser.get("/api/v1/search", params={name: str(schema_of["maximum"] + 1)})
            assert too_big.status_code == 400 and too_big.json()["parameter"] == name
            ok = browser.get("/api/v1/search", params={name: str(schema_of["maximum"])})
            assert ok.status_code == 200
        if "enum" in schema_of:
            wrong = browser.get("/api/v1/search", params={name: "nonsense"})
            assert wrong.status_code == 400 and wrong.json()["parameter"] == name
        if schema_of.get("format") == "date":
            wrong = browser.get("/api/v1/search", params={name: "2026-13-45"})
            assert wrong.status_code == 400


def test_similar_aspirations_on_preview_and_more_like_this(
    world: World, browser, new_browser
) -> None:  # type: ignore[no-untyped-def]
    original = aspiration(
        world,
        "Banjir di perumahan Griya Asri",
        "Setiap hujan perumahan Griya Asri banjir karena saluran air tersumbat sampah.",
    )
    aspiration(world, "Jalan berlubang", "Jalan berlubang di depan sekolah dasar.")
    drain(world.services)

    browser.login(world.other_citizen)
    with world.services.db.read() as db:
        category = db.exec(select(Category)).first()
        region = db.exec(select(Region)).first()
    response = browser.submit(
        "/aspirasi/baru",
        "/aspirasi/baru",
        {
            "title": "Perumahan Griya Asri kebanjiran",
            "body": "Saluran air di perumahan Griya Asri tersumbat, jadi banjir tiap hujan.",
            "category": str(category.id),  # type: ignore[union-attr]
            "region": str(region.id),  # type: ignore[union-attr]
            "agency": str(world.agency.id),
            "visibility": "public",
        },
    )
    assert response.status_code == 200
    assert original.ticket in response.text and "Jalan berlubang" not in response.text

    duplicate = aspiration(
        world, "Griya Asri banjir lagi", "Saluran air tersumbat sampah, perumahan banjir."
    )
    drain(world.services)
    official = new_browser()
    official.login(world.official)
    page = official.get(f"/aspirasi/{duplicate.ticket}").text
    assert original.ticket in page and "Jalan berlubang" not in page
    citizen_view = browser.get(f"/aspirasi/{duplicate.ticket}").text
    assert original.ticket not in citizen_view  # only officials and moderators see it


def test_comments_sections_and_reindex(world: World, browser) -> None:  # type: ignore[no-untyped-def]
    consultation = world.consultation(
        "# Judul\n\n## Ketentuan umum\n\nPengembangan layanan digital daerah.\n"
    )
    with world.services.db.write() as db:
        comment = actions.submit_comment(
            db, world.citizen, consultation, body="Saya mendukung mengembangkan aplikasi ini."
        )
        actions.publish_comment(db, world.moderator, comment)
    drain(world.services)
    page = results(browser, "berkembang")
    assert "Ketentuan umum" in page and "mendukung" in page
    assert f"/konsultasi/{consultation.id}/bagian/" in page

    index = get_index(world.services)
    index.rebuild([])  # an empty (or lost) index ...
    assert "Ketentuan umum" not in results(browser, "berkembang")
    progress = io.StringIO()
    assert reindex(world.services, progress) == 2 + 1  # ... is rebuilt from the database
    assert "100%" in progress.getvalue()
    assert "Ketentuan umum" in results(browser, "berkembang")
    # The stems are kept next to the index for the next rebuild.
    saved = (Path(world.services.settings.data_dir) / "search" / "stems.tsv").read_text()
    assert "mengembangkan\tkembang\n" in saved
    assert '<a href="/cari"' in browser.get("/").text  # the header link


def test_an_empty_index_over_a_database_with_content_rebuilds_itself(
    world: World,
    browser,  # type: ignore[no-untyped-def]
) -> None:
    """A new host, a lost index folder or an index replaced on upgrade: the worker's scheduler
    notices and rebuilds it, without an operator running reindex."""
    from forum.runtime import run_scheduled

    aspiration(world, "Pelayanan puskesmas lambat", "Antrean di puskesmas kecamatan lama sekali.")
    drain(world.services)
    assert "Pelayanan puskesmas lambat" in results(browser, "layanan")
    run_scheduled(world.services)
    drain(world.services)  # a full index: nothing to do
    with world.services.db.read() as db:
        assert not db.exec(select(OutboxJob).where(OutboxJob.kind == "search.rebuild")).all()
    get_index(world.services).rebuild([])  # the index is lost
    assert "Pelayanan puskesmas lambat" not in results(browser, "layanan")
    run_scheduled(world.services)
    run_scheduled(world.services)  # queued once, however often the scheduler looks
    with world.services.db.read() as db:
        assert len(db.exec(select(OutboxJob).where(OutboxJob.kind == "search.rebuild")).all()) == 1
    drain(world.services)
    assert "Pelayanan puskesmas lambat" in results(browser, "layanan")


def test_an_index_built_by_another_analyzer_is_rebuilt_while_search_keeps_working(
    world: World,
    browser,  # type: ignore[no-untyped-def]
) -> None:
    """An upgrade that changes the stems (new roots or rules): the worker notices the index's
    analyzer version differs and rebuilds it; searches use the old index until the swap."""
    from forum.runtime import run_scheduled
    from search.whoosh_index import ANALYZER_FILE, WhooshIndex

    aspiration(world, "Pelayanan puskesmas lambat", "Antrean di puskesmas kecamatan lama sekali.")
    drain(world.services)
    index = get_index(world.services)
    assert isinstance(index, WhooshIndex) and index.analyzer() == analyzer_version()
    (index.live_folder() / ANALYZER_FILE).write_text("0123456789abcdef\n")  # an older build
    assert index.analyzer() == "0123456789abcdef"
    run_scheduled(world.services)
    run_scheduled(world.services)
    with world.services.db.read() as db:
        assert len(db.exec(select(OutboxJob).where(OutboxJob.kind == "search.rebuild")).all()) == 1
    assert "Pelayanan puskesmas lambat" in results(browser, "layanan")  # still answering
    drain(world.services)
    assert index.analyzer() == analyzer_version()
    assert "Pelayanan puskesmas lambat" in results(browser, "layanan")
    saved = (Path(world.services.settings.data_dir) / "search" / "stems.tsv").read_text()
    assert saved.startswith(stem_cache_header() + "\n")
