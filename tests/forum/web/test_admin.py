"""The administrators' area: agencies, categories, regions, accounts and roles."""

from __future__ import annotations

from sqlmodel import select

from forum.models import Account, Agency, Category, Region
from tests.conftest import PASSWORD, Browser, World


def test_only_administrators_enter(browser: Browser, world: World) -> None:
    for account in (world.citizen, world.official, world.moderator):
        browser.login(account)
        for path in (
            "/admin",
            "/admin/instansi",
            "/admin/kategori",
            "/admin/wilayah",
            "/admin/akun",
        ):
            assert browser.get(path).status_code == 403, (account.email, path)
        refused = browser.submit("/saya", "/admin/instansi", {"slug": "x", "name": "Instansi X"})
        assert refused.status_code == 403
        browser.submit("/", "/keluar", {})
    with world.services.db.read() as db:
        assert db.exec(select(Agency).where(Agency.slug == "x")).first() is None


def test_admin_manages_agencies(browser: Browser, world: World) -> None:
    browser.login(world.admin)
    created = browser.submit(
        "/admin/instansi",
        "/admin/instansi",
        {"name": "Badan Pusat Statistik", "short_name": "BPS", "slug": "bps", "description": ""},
    )
    assert created.status_code == 303
    assert "Badan Pusat Statistik" in browser.get("/admin/instansi").text
    with world.services.db.read() as db:
        agency = db.exec(select(Agency).where(Agency.slug == "bps")).one()
    edit_page = f"/admin/instansi?ubah={agency.id}"
    assert (
        browser.submit(
            edit_page,
            "/admin/instansi",
            {
                "id": agency.id,
                "name": "BPS RI",
                "slug": "bps",
                "short_name": "BPS",
                "description": "",
                "is_active": "",
            },
        ).status_code
        == 303
    )
    with world.services.db.read() as db:
        agency = db.get(Agency, agency.id)
    assert agency.name == "BPS RI" and agency.is_active is False
    clash = browser.submit("/admin/instansi", "/admin/instansi", {"name": "Lain", "slug": "bps"})
    assert clash.status_code == 400 and 'id="slug-error"' in clash.text


def test_admin_manages_categories(browser: Browser, world: World) -> None:
    browser.login(world.admin)
    response = browser.submit(
        "/admin/kategori",
        "/admin/kategori",
        {"name_id": "Pariwisata", "name_en": "Tourism", "slug": "pariwisata"},
    )
    assert response.status_code == 303
    with world.services.db.read() as db:
        assert (
            db.exec(select(Category).where(Category.slug == "pariwisata")).one().name_en
            == "Tourism"
        )
    bad = browser.submit(
        "/admin/kategori", "/admin/kategori", {"name_id": "", "name_en": "", "slug": "Bukan Slug!"}
    )
    assert bad.status_code == 400
    for name in ("name_id", "name_en", "slug"):
        assert f'id="{name}-error"' in bad.text


def test_regions_are_seeded_and_editable(browser: Browser, world: World) -> None:
    with world.services.db.read() as db:
        regions = db.exec(select(Region)).all()
    provinces = [r for r in regions if r.kind == "province"]
    assert len(provinces) == 38
    assert 500 <= len(regions) - len(provinces) <= 520
    assert {r.code for r in provinces} >= {"11", "31", "32", "35", "94", "96"}
    browser.login(world.admin)
    page = browser.get("/admin/wilayah").text
    assert "Kota Bandung" in page
    added = browser.submit(
        "/admin/wilayah",
        "/admin/wilayah",
        {"code": "32.99", "name": "Kota Percobaan", "kind": "city", "parent_code": "32"},
    )
    assert added.status_code == 303
    orphan = browser.submit(
        "/admin/wilayah",
        "/admin/wilayah",
        {"code": "32.98", "name": "Kota Yatim", "kind": "city", "parent_code": "00"},
    )
    assert orphan.status_code == 400 and 'id="parent_code-error"' in orphan.text


def test_admin_creates_official_and_changes_roles(
    browser: Browser, new_browser, world: World
) -> None:  # type: ignore[no-untyped-def]
    browser.login(world.admin)
    response = browser.submit(
        "/admin/akun",
        "/admin/akun",
        {
            "name": "Petugas Baru",
            "email": "baru@contoh.id",
            "password": PASSWORD,
            "role": "official",
            "agency": world.agency.id,
        },
    )
    assert response.status_code == 303
    with world.services.db.read() as db:
        account = db.exec(select(Account).where(Account.email == "baru@contoh.id")).one()
    assert account.role == "official" and account.agency_id == world.agency.id
    newcomer = new_browser()
    newcomer.login(account)
    assert newcomer.get("/kelola/konsultasi").status_code == 200
    # An official needs an agency.
    missing = browser.submit(
        "/admin/akun",
        "/admin/akun",
        {
            "name": "Tanpa Instansi",
            "email": "tanpa@contoh.id",
            "password": PASSWORD,
            "role": "official",
        },
    )
    assert missing.status_code == 400 and 'id="agency-error"' in missing.text
    # Promote a citizen to moderator.
    promoted = browser.submit(
        "/admin/akun", f"/admin/akun/{world.citizen.id}", {"role": "moderator", "agency": ""}
    )
    assert promoted.status_code == 303
    with world.services.db.read() as db:
        assert db.get(Account, world.citizen.id).role == "moderator"
    # An administrator cannot demote themselves.
    assert (
        browser.submit(
            "/admin/akun", f"/admin/akun/{world.admin.id}", {"role": "citizen"}
        ).status_code
        == 409
    )
    assert (
        browser.submit(
            "/admin/akun", f"/admin/akun/{world.admin.id}", {"role": "wizard"}
        ).status_code
        == 400
    )


def test_account_search_and_pagination(browser: Browser, world: World) -> None:
    browser.login(world.admin)
    page = browser.get("/admin/akun?q=petugas").text
    assert "petugas.a@contoh.id" in page and "warga@contoh.id" not in page
