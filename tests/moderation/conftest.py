"""Helpers for moderation tests: contributions made through the forum's actions."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from forum import actions
from forum.models import Account, Aspiration, Category, Comment, Consultation, Region, Visibility
from moderation.models import ModerationCase
from tests.conftest import World


class Make:
    def __init__(self, world: World) -> None:
        self.world = world
        self.consultation = world.consultation()

    def comment(
        self, author: Account, body: str = "Bagian ini perlu diperjelas.", **kw: object
    ) -> Comment:
        with self.world.services.db.write() as db:
            consultation = db.get(Consultation, kw.pop("consultation_id", self.consultation.id))
            return actions.submit_comment(db, author, consultation, body=body, **kw)  # type: ignore[arg-type]

    def aspiration(
        self,
        author: Account,
        title: str = "Jalan rusak di Antapani",
        body: str = "Jalan rusak parah sejak bulan lalu, mohon diperbaiki.",
        **kw: object,
    ) -> Aspiration:
        with self.world.services.db.write() as db:
            category = db.exec(select(Category.id).where(Category.slug == "infrastruktur")).one()
            region = db.exec(select(Region.id).where(Region.code == "32.73")).one()
            return actions.submit_aspiration(
                db,
                author,
                title=title,
                body=body,
                category_id=category,
                region_id=kw.pop("region_id", region),
                agency_id=kw.pop("agency_id", self.world.agency.id),
                visibility=kw.pop("visibility", Visibility.public),  # type: ignore[arg-type]
                **kw,  # type: ignore[arg-type]
            )

    def case_of(self, item: Comment | Aspiration) -> ModerationCase:
        with self.world.services.db.read() as db:
            column = (
                ModerationCase.comment_id
                if isinstance(item, Comment)
                else ModerationCase.aspiration_id
            )
            return db.exec(
                select(ModerationCase).where(column == item.id).order_by(ModerationCase.id.desc())
            ).first()  # type: ignore[union-attr]


@pytest.fixture
def make(world: World) -> Make:
    return Make(world)


def case_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'name="case" value="(\d+)"', html)]
