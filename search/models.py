"""Tables of the search package: the PostgreSQL backend's documents (on SQLite the table
exists but stays empty, its ``tsv`` column is plain text there)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlmodel import Field, SQLModel


class SearchDocument(SQLModel, table=True):
    """One IndexDocument; ``title_terms``/``body_terms`` hold the analysed terms."""

    __tablename__ = "search_document"
    __table_args__ = (
        Index("ix_search_document_published", "published_at"),
        Index("ix_search_document_tsv", "tsv", postgresql_using="gin"),
    )
    key: str = Field(primary_key=True, max_length=40)
    kind: str = Field(max_length=12)
    title_terms: str = Field(sa_column=Column(Text, nullable=False))
    body_terms: str = Field(sa_column=Column(Text, nullable=False))
    published_at: datetime
    agency: int | None = None
    category: int | None = None
    region: int | None = None
    status: str = Field(default="", max_length=12)
    consultation: int | None = None
    support_count: int = 0
    routed_at: datetime | None = None
    answered: bool = False
    confidential: bool = False
    # Written by PostgresIndex from the terms (title weighted "A"): positions for phrases.
    tsv: str | None = Field(
        default=None, sa_column=Column(TSVECTOR().with_variant(Text(), "sqlite"), nullable=True)
    )
