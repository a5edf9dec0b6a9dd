"""One contract for every search engine: the in-memory, Whoosh and (when the tests run on
PostgreSQL) PostgreSQL backends must answer the same questions the same way."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from forum.services import Services
from search.analysis import analyze, analyzer_version, parse_query
from search.index import IndexDocument, SearchIndex, SearchQuery
from search.memory_index import MemoryIndex
from search.postgres_index import PostgresIndex
from search.whoosh_index import WhooshIndex

# PostgreSQL is a backend only where the suite runs on PostgreSQL (scripts/test does both).
BACKENDS = ["memory", "whoosh"]
if os.environ.get("REMBUG_TEST_DATABASE_URL", "").startswith("postgres"):
    BACKENDS.append("postgres")

NOW = datetime(2026, 5, 20, 3, 0, tzinfo=UTC)


def doc(number: int, title: str, body: str, **fields) -> IndexDocument:  # type: ignore[no-untyped-def]
    fields.setdefault("kind", "aspiration")
    fields.setdefault("published_at", NOW - timedelta(days=number))
    return IndexDocument(
        key=f"{fields['kind']}:{number}",
        title_terms=tuple(analyze(title)),
        body_terms=tuple(analyze(body)),
        **fields,
    )


DOCS = [
    doc(
        1,
        "Pelayanan KTP lambat",
        "Pelayanan di kelurahan lambat sekali",
        agency=1,
        category=1,
        region=1,
        status="routed",
        support_count=5,
        routed_at=NOW - timedelta(days=10),
    ),
    doc(
        2,
        "Jalan rusak di desa",
        "Jalan rusak parah dan belum diperbaiki",
        agency=1,
        category=2,
        region=2,
        status="responded",
        support_count=9,
        answered=True,
        routed_at=NOW - timedelta(days=20),
    ),
    doc(
        3,
        "Petugas harus melayani",
        "Petugas wajib melayani warga dengan ramah",
        agency=2,
        category=1,
        region=1,
        status="routed",
        support_count=1,
        routed_at=NOW - timedelta(days=30),
    ),
    doc(
        4,
        "Data pribadi saya",
        "Pelayanan data kependudukan bocor",
        agency=2,
        category=1,
        region=1,
        status="routed",
        confidential=True,
    ),
    doc(
        5,
        "Rancangan peraturan: Ketentuan umum",
        "Pengembangan layanan digital daerah",
        kind="section",
        agency=1,
        consultation=7,
        status="open",
    ),
    doc(
        6,
        "Rancangan peraturan",
        "Saya usul mengembangkan layanan rusak jalan",
        kind="comment",
        agency=1,
        consultation=7,
        status="open",
        support_count=3,
    ),
]


@pytest.fixture(params=BACKENDS)
def index(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SearchIndex]:
    if request.param == "memory":
        engine: SearchIndex = MemoryIndex()
    elif request.param == "whoosh":
        engine = WhooshIndex(tmp_path / "search")
    else:
        services: Services = request.getfixturevalue("services")
        engine = PostgresIndex(services.db.engine)
    engine.rebuild(DOCS)
    yield engine
    if isinstance(engine, WhooshIndex):
        engine.close()


def keys(index: SearchIndex, text: str = "", **options) -> list[str]:  # type: ignore[no-untyped-def]
    options.setdefault("facets", False)
    result = index.search(SearchQuery(parsed=parse_query(text), **options))
    return [hit.key for hit in result.hits]


def test_word_forms_find_each_other(index: SearchIndex) -> None:
    assert set(keys(index, "layanan")) == {"aspiration:1", "aspiration:3", "section:5", "comment:6"}
    assert set(keys(index, "pengembangan")) == {"section:5", "comment:6"}


def test_all_words_must_match_and_phrases_must_be_adjacent(index: SearchIndex) -> None:
    assert keys(index, "jalan rusak desa") == ["aspiration:2"]
    assert set(keys(index, "rusak jalan")) == {"aspiration:2", "comment:6"}
    assert keys(index, '"jalan rusak"') == ["aspiration:2"]
    assert keys(index, "tidak ditemukan apapun xyzzy") == []


def test_confidential_documents_only_for_their_agency_or_everyone_allowed(
    index: SearchIndex,
) -> None:
    assert "aspiration:4" not in keys(index, "pelayanan")
    assert "aspiration:4" in keys(index, "pelayanan", confidential=2)
    assert "aspiration:4" not in keys(index, "pelayanan", confidential=1)
    assert "aspiration:4" in keys(index, "pelayanan", confidential="all")


def test_filters_and_facet_counts(index: SearchIndex) -> None:
    assert keys(index, "layanan", kind="aspiration") == ["aspiration:1", "aspiration:3"] or set(
        keys(index, "layanan", kind="aspiration")
    ) == {"aspiration:1", "aspiration:3"}
    assert set(keys(index, "layanan", agency=1)) == {"aspiration:1", "section:5", "comment:6"}
    assert keys(index, "", consultation=7, kind="comment") == ["comment:6"]
    assert keys(index, "", category=2) == ["aspiration:2"]
    assert keys(index, "", region=2) == ["aspiration:2"]
    assert keys(index, "", status="responded") == ["aspiration:2"]
    day = (NOW - timedelta(days=3)).date()
    assert keys(index, "", date_from=day, date_to=day) == ["aspiration:3"]
    assert keys(index, "", date_from=date(2030, 1, 1)) == []
    result = index.search(SearchQuery(parsed=parse_query("layanan")))
    assert result.total == 4
    assert result.facets["kind"] == {"aspiration": 2, "section": 1, "comment": 1}
    assert result.facets["agency"] == {"1": 3, "2": 1}
    assert result.facets["consultation"] == {"7": 2}


def test_sorts_and_pages(index: SearchIndex) -> None:
    everything = ["aspiration:1", "aspiration:2", "aspiration:3", "section:5", "comment:6"]
    assert keys(index, "", sort="newest", limit=10) == everything
    assert keys(index, "", sort="newest", offset=1, limit=2) == everything[1:3]
    assert keys(index, "", sort="supported", limit=3) == [
        "aspiration:2",
        "aspiration:1",
        "comment:6",
    ]
    assert keys(index, "", kind="aspiration", sort="unanswered")[-1] == "aspiration:2"
    assert keys(index, "", kind="aspiration", sort="overdue") == [
        "aspiration:3",
        "aspiration:1",
        "aspiration:2",
    ]
    # Relevance: words in the title and the body beat one word in the body.
    assert keys(index, "rusak") == ["aspiration:2", "comment:6"]


def test_upsert_replaces_delete_removes_and_similar_ranks_overlap(index: SearchIndex) -> None:
    index.upsert([doc(1, "Antrean panjang", "Antrean di kantor", agency=1, status="routed")])
    index.delete(["aspiration:3", "unknown:99"])
    assert keys(index, "layanan") and "aspiration:1" not in keys(index, "layanan")
    assert "aspiration:3" not in keys(index, "melayani")
    assert keys(index, "antrean") == ["aspiration:1"]
    assert index.count() == 5
    frequencies = index.doc_frequencies(["jalan", "zzzz"])
    assert frequencies == {"jalan": 2, "zzzz": 0}
    similar = index.similar(
        analyze("jalan desa rusak parah"), SearchQuery(kind="aspiration", facets=False)
    )
    assert similar.hits[0].key == "aspiration:2"
    excluded = index.similar(
        analyze("jalan desa rusak parah"),
        SearchQuery(kind="aspiration", facets=False, exclude_key="aspiration:2"),
    )
    assert "aspiration:2" not in [hit.key for hit in excluded.hits]


def test_rebuild_replaces_everything(index: SearchIndex) -> None:
    assert index.rebuild([doc(9, "Banjir", "Banjir setiap hujan")]) == 1
    assert keys(index, "banjir") == ["aspiration:9"]
    assert keys(index, "layanan") == []


def test_counts_follow_updates_and_deletions(index: SearchIndex) -> None:
    moved = doc(
        1,
        "Pelayanan KTP lambat",
        "Pelayanan di kelurahan lambat sekali",
        agency=2,
        category=1,
        region=1,
        status="routed",
    )
    index.upsert([moved])
    index.delete(["section:5"])
    result = index.search(SearchQuery(parsed=parse_query("layanan")))
    assert result.total == 3
    assert result.facets["agency"] == {"2": 2, "1": 1}
    assert result.facets["kind"] == {"aspiration": 2, "comment": 1}
    assert keys(index, "layanan", agency=2) == ["aspiration:1", "aspiration:3"] or set(
        keys(index, "layanan", agency=2)
    ) == {"aspiration:1", "aspiration:3"}


def test_a_phrase_does_not_run_from_the_title_into_the_body(index: SearchIndex) -> None:
    # "Pelayanan KTP lambat" / "Pelayanan di kelurahan lambat sekali"
    assert keys(index, '"ktp lambat"') == ["aspiration:1"]
    assert keys(index, '"lambat pelayanan"') == []


def test_every_engine_finds_the_same_word_forms_of_public_service_words(
    index: SearchIndex,
) -> None:
    """The analyzer's stems feed every engine, so a root finds its affixed forms alike."""
    index.rebuild(
        [
            doc(21, "Kapan pembangunan dimulai", "Warga menunggu sejak lama"),
            doc(22, "Tersangka ditahan", "Petugas menahan dua orang"),
            doc(23, "Siswa mempelajari kinerja", "Pelajaran tentang pelayanan"),
            doc(24, "Warga puas", "Hasilnya memuaskan, pengupas kelapa senang"),
        ]
    )
    assert keys(index, "mulai") == ["aspiration:21"]
    assert keys(index, "tahan") == ["aspiration:22"]
    assert keys(index, "ajar kerja") == ["aspiration:23"]
    assert keys(index, "memuaskan") == ["aspiration:24"]
    assert keys(index, "kupas") == ["aspiration:24"]
    assert keys(index, "bangun") == ["aspiration:21"]
    assert keys(index, "layani") == ["aspiration:23"]


def test_an_index_knows_the_analyzer_that_built_it(index: SearchIndex) -> None:
    assert index.analyzer() == analyzer_version()
    index.rebuild([doc(9, "Banjir", "Banjir setiap hujan")])
    assert index.analyzer() == analyzer_version()


def test_a_new_index_filled_by_changes_alone_counts_as_current(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """A new install that never ran a rebuild is not rebuilt for want of a version; an index
    from before versions were recorded (rows but no version) is."""
    engines: list[SearchIndex] = [MemoryIndex(), WhooshIndex(tmp_path / "fresh")]
    if "postgres" in BACKENDS:
        services: Services = request.getfixturevalue("services")
        with services.db.engine.begin() as conn:
            conn.execute(text("DELETE FROM search_document"))
            conn.execute(text("COMMENT ON TABLE search_document IS NULL"))
        engines.append(PostgresIndex(services.db.engine))
    for engine in engines:
        engine.upsert(DOCS[:2])
        assert engine.analyzer() == analyzer_version(), engine.name
    if "postgres" in BACKENDS:
        with services.db.engine.begin() as conn:
            conn.execute(text("COMMENT ON TABLE search_document IS NULL"))
        old = PostgresIndex(services.db.engine)
        old.upsert(DOCS[2:3])
        assert old.analyzer() is None
    engines[1].close()  # type: ignore[attr-defined]
