"""The administrators' area: agencies, categories, regions, accounts and roles."""

from __future__ import annotations

from datetime import date

from starlette.responses import Response
from starlette.routing import Route

from forum import actions, queries
from forum.errors import N_, Invalid, Msg, NotFound
from forum.models import Account, Agency, Category, Region, Role
from forum.web.kit import Ctx, checkbox, form_errors, parse_int, path_int, view

ADMIN = (Role.admin,)


@view(roles=ADMIN)
def index(ctx: Ctx) -> Response:
    calendar = ctx.services.db.deadlines.calendar
    return ctx.render("admin/index.html", no_holidays_ahead=bool(calendar.warnings(date.today())))


def _agencies_page(
    ctx: Ctx,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    editing: Agency | None = None,
) -> Response:
    return ctx.render(
        "admin/agencies.html",
        status_code=status_code,
        agencies=queries.list_agencies(ctx.db, active_only=False),
        editing=editing,
        errors=errors or {},
        values={n: ctx.field(n) for n in ("slug", "name", "short_name", "description")},
    )


@view(roles=ADMIN)
def agencies(ctx: Ctx) -> Response:
    editing = None
    if ctx.query("ubah"):
        editing = ctx.db.get(Agency, ctx.query_int("ubah", 0) or 0)
    return _agencies_page(ctx, editing=editing)


@view(roles=ADMIN)
def save_agency(ctx: Ctx) -> Response:
    assert ctx.user is not None
    agency_id = parse_int(ctx.field("id"), 0)
    agency = ctx.db.get(Agency, agency_id) if agency_id else None
    if agency_id and agency is None:
        raise NotFound(N_("This page does not exist."))
    try:
        actions.save_agency(
            ctx.db,
            ctx.user,
            agency=agency,
            slug=ctx.field("slug"),
            name=ctx.field("name"),
            short_name=ctx.field("short_name"),
            description=ctx.field("description"),
            is_active=checkbox(ctx, "is_active") or agency is None,
        )
    except Invalid as exc:
        ctx.db.rollback()
        return _agencies_page(
            ctx,
            400,
            form_errors(ctx, exc),
            editing=ctx.db.get(Agency, agency_id) if agency_id else None,
        )
    return ctx.redirect("/admin/instansi", "saved")


def _categories_page(
    ctx: Ctx,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    editing: Category | None = None,
) -> Response:
    return ctx.render(
        "admin/categories.html",
        status_code=status_code,
        categories=queries.list_categories(ctx.db, active_only=False),
        editing=editing,
        errors=errors or {},
        values={n: ctx.field(n) for n in ("slug", "name_id", "name_en")},
    )


@view(roles=ADMIN)
def categories(ctx: Ctx) -> Response:
    editing = ctx.db.get(Category, ctx.query_int("ubah", 0)) if ctx.query("ubah") else None
    return _categories_page(ctx, editing=editing)


@view(roles=ADMIN)
def save_category(ctx: Ctx) -> Response:
    assert ctx.user is not None
    category_id = parse_int(ctx.field("id"), 0)
    category = ctx.db.get(Category, category_id) if category_id else None
    if category_id and category is None:
        raise NotFound(N_("This page does not exist."))
    try:
        actions.save_category(
            ctx.db,
            ctx.user,
            category=category,
            slug=ctx.field("slug"),
            name_id=ctx.field("name_id"),
            name_en=ctx.field("name_en"),
            is_active=checkbox(ctx, "is_active") or category is None,
        )
    except Invalid as exc:
        ctx.db.rollback()
        return _categories_page(
            ctx,
            400,
            form_errors(ctx, exc),
            editing=ctx.db.get(Category, category_id) if category_id else None,
        )
    return ctx.redirect("/admin/kategori", "saved")


def _regions_page(
    ctx: Ctx,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    editing: Region | None = None,
) -> Response:
    return ctx.render(
        "admin/regions.html",
        status_code=status_code,
        grouped=queries.regions_grouped(ctx.db),
        editing=editing,
        errors=errors or {},
        values={n: ctx.field(n) for n in ("code", "name", "kind", "parent_code")},
    )


@view(roles=ADMIN)
def regions(ctx: Ctx) -> Response:
    editing = ctx.db.get(Region, ctx.query_int("ubah", 0)) if ctx.query("ubah") else None
    return _regions_page(ctx, editing=editing)


@view(roles=ADMIN)
def save_region(ctx: Ctx) -> Response:
    assert ctx.user is not None
    region_id = parse_int(ctx.field("id"), 0)
    region = ctx.db.get(Region, region_id) if region_id else None
    if region_id and region is None:
        raise NotFound(N_("This page does not exist."))
    try:
        actions.save_region(
            ctx.db,
            ctx.user,
            region=region,
            code=ctx.field("code"),
            name=ctx.field("name"),
            kind=ctx.field("kind"),
            parent_code=ctx.field("parent_code") or None,
        )
    except Invalid as exc:
        ctx.db.rollback()
        return _regions_page(
            ctx,
            400,
            form_errors(ctx, exc),
            editing=ctx.db.get(Region, region_id) if region_id else None,
        )
    return ctx.redirect("/admin/wilayah", "saved")


def _accounts_page(
    ctx: Ctx, status_code: int = 200, errors: dict[str, str] | None = None
) -> Response:
    page = queries.list_accounts(ctx.db, page=ctx.query_int("halaman", 1), query=ctx.query("q"))
    return ctx.render(
        "admin/accounts.html",
        status_code=status_code,
        page=page,
        two_factor=queries.two_factor_enrolled_ids(ctx.db, [a.id for a in page.items]),
        q=ctx.query("q"),
        agencies=queries.list_agencies(ctx.db, active_only=False),
        roles=list(Role),
        errors=errors or {},
        values={n: ctx.field(n) for n in ("name", "email", "phone", "role", "agency")},
    )


@view(roles=ADMIN)
def accounts(ctx: Ctx) -> Response:
    return _accounts_page(ctx)


def _role(value: str) -> Role:
    if value not in {r.value for r in Role}:
        raise Invalid(field_errors={"role": Msg(N_("Choose a role."))})
    return Role(value)


@view(roles=ADMIN)
def create_account(ctx: Ctx) -> Response:
    assert ctx.user is not None
    try:
        actions.create_account(
            ctx.db,
            actor=ctx.user,
            name=ctx.field("name"),
            email=ctx.field("email") or None,
            phone=ctx.field("phone") or None,
            password=ctx.field("password"),
            role=_role(ctx.field("role")),
            agency_id=parse_int(ctx.field("agency"), 0) or None,
        )
    except Invalid as exc:
        return _accounts_page(ctx, 400, form_errors(ctx, exc))
    return ctx.redirect("/admin/akun", "saved")


@view(roles=ADMIN)
def update_account(ctx: Ctx) -> Response:
    assert ctx.user is not None
    account = ctx.db.get(Account, path_int(ctx, "account_id"))
    if account is None:
        raise NotFound(N_("This page does not exist."))
    if ctx.field("action") in ("disable", "enable"):
        actions.set_account_active(
            ctx.db, ctx.user, account, active=ctx.field("action") == "enable"
        )
    elif ctx.field("action") == "reset-2fa":
        # A lost phone: the account logs in with its password and enrols again.
        actions.reset_two_factor(ctx.db, ctx.user, account)
        return ctx.redirect(f"/admin/akun?q={account.email or account.phone or ''}", "2fa-reset")
    else:
        actions.change_role(
            ctx.db,
            ctx.user,
            account,
            role=_role(ctx.field("role")),
            agency_id=parse_int(ctx.field("agency"), 0) or None,
        )
    return ctx.redirect(f"/admin/akun?q={account.email or account.phone or ''}", "saved")


routes = [
    Route("/admin", index),
    Route("/admin/instansi", agencies, methods=["GET"]),
    Route("/admin/instansi", save_agency, methods=["POST"]),
    Route("/admin/kategori", categories, methods=["GET"]),
    Route("/admin/kategori", save_category, methods=["POST"]),
    Route("/admin/wilayah", regions, methods=["GET"]),
    Route("/admin/wilayah", save_region, methods=["POST"]),
    Route("/admin/akun", accounts, methods=["GET"]),
    Route("/admin/akun", create_account, methods=["POST"]),
    Route("/admin/akun/{account_id}", update_account, methods=["POST"]),
]
