"""The embedded search engine: a Whoosh index on local disk (the only module importing Whoosh).

The index lives in ``<REMBUG_DATA_DIR>/search/<folder>``; the file ``CURRENT`` names the live
folder, so a rebuild writes a new folder and swaps the name atomically (search stays online).

Whoosh stores and writes the index (segments, postings, per-document columns, deletions); the
query is evaluated here with numpy over arrays read from it, because Whoosh's collectors walk
every match in Python (hundreds of milliseconds for a common word at 100,000 documents):

- one ``terms`` field holds title and body terms without positions (title terms twice: the
  title boost), so a posting is a document number and a term frequency, nothing else;
- postings are decoded a block at a time into numpy arrays and kept in a bounded LRU cache per
  segment (a segment never changes; deletions are a separate, cached live mask);
- per-document values (facets, dates, support, lengths) are numpy columns cached per segment;
- AND/OR, filters, BM25 scores, facet counts (bincount) and the top of the sort
  (argpartition) are array operations; quoted phrases are checked on the candidates against
  the stored term sequence.

See docs/performance.md (search) for the measurements behind each choice.
"""

from __future__ import annotations

import math
import os
import shutil
import threading
import uuid
from collections import Counter, OrderedDict
from collections.abc import Generator, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from whoosh import columns
from whoosh import index as whoosh_index
from whoosh.analysis import SpaceSeparatedTokenizer
from whoosh.fields import COLUMN, ID, FieldType, Schema
from whoosh.formats import Existence
from whoosh.matching.wrappers import FilterMatcher

from search.analysis import analyzer_version
from search.index import FACETS, Hit, IndexDocument, SearchQuery, SearchResults

WRITE_LOCK_TIMEOUT = 60.0
ANALYZER_FILE = "ANALYZER"  # in each index folder: search.analysis.analyzer_version()
SCHEMA_VERSION = 3  # bump when the schema changes: an older live index is replaced (reindex)
TITLE_REPEAT = 2  # title terms count twice (the title boost), as in the other engines
K1, B = 1.2, 0.75  # BM25
NONE = 0  # "no value" in the integer facet columns (ids start at 1)
NEVER = 2**33 - 1  # "not routed": after every real routed time (seconds fit in 33 bits)
POSTINGS_CACHE_BYTES = 192 * 1024 * 1024
# kind and status are stored as small codes; append only (existing indexes keep their codes).
CODES: tuple[str, ...] = (
    "",
    "aspiration",
    "comment",
    "response",
    "section",
    "draft",
    "scheduled",
    "open",
    "closed",
    "concluded",
    "pending",
    "published",
    "rejected",
    "routed",
    "in_progress",
    "responded",
    "withdrawn",
    "merged",
)
CODE_OF = {value: number for number, value in enumerate(CODES)}
INT_FACETS = ("agency", "category", "region", "consultation")
CODE_FACETS = ("kind", "status")


class TermsField(FieldType):
    """Analysed terms (a sequence of str) indexed as document number + term frequency only.

    ``index`` skips Whoosh's analyser and format machinery: the terms arrive analysed
    (search.analysis), and the frequency is kept as the posting's weight."""

    def __init__(self) -> None:
        self.format = Existence()
        analyzer: Any = SpaceSeparatedTokenizer()  # for Whoosh's own tools; index() skips it
        self.analyzer = analyzer
        self.scorable = False
        self.stored = False
        self.unique = False
        self.vector = None
        self.column_type = None

    def index(
        self, value: Any, **kwargs: Any
    ) -> Generator[tuple[bytes, int, float | int, bytes], Any, None]:
        for term, frequency in Counter(value).items():
            yield term.encode(), frequency, float(frequency), b""


def _number_column(typecode: str, default: int = 0) -> Any:
    return COLUMN(columns.NumericColumn(typecode, default=default))


def _schema() -> Schema:
    return Schema(
        key=ID(stored=True, unique=True),
        terms=TermsField(),
        # "title terms\nbody terms": quoted phrases are checked against it. A column, not a
        # stored field, so reading a hit's key does not unpickle the text too.
        seq=COLUMN(columns.VarBytesColumn()),
        length=_number_column("I"),
        kind=_number_column("B"),
        status=_number_column("B"),
        agency=_number_column("i"),
        category=_number_column("i"),
        region=_number_column("i"),
        consultation=_number_column("i"),
        confidential=_number_column("B"),
        answered=_number_column("B"),
        published=_number_column("q"),
        routed=_number_column("q", default=NEVER),
        support=_number_column("i"),
        version=_number_column("B", default=SCHEMA_VERSION),
    )


def _seconds(moment: datetime) -> int:
    return int(moment.timestamp())


def _code(value: str) -> int:
    try:
        return CODE_OF[value]
    except KeyError:
        raise ValueError(f"unknown kind/status {value!r}: add it to CODES") from None


def _fields(doc: IndexDocument) -> dict[str, Any]:
    terms = doc.title_terms * TITLE_REPEAT + doc.body_terms
    return {
        "key": doc.key,
        "terms": terms,
        "seq": (" ".join(doc.title_terms) + "\n" + " ".join(doc.body_terms)).encode(),
        "length": len(terms),
        "kind": _code(doc.kind),
        "status": _code(doc.status),
        "agency": doc.agency or NONE,
        "category": doc.category or NONE,
        "region": doc.region or NONE,
        "consultation": doc.consultation or NONE,
        "confidential": int(doc.confidential),
        "answered": int(doc.answered),
        "published": max(_seconds(doc.published_at), 0),
        "routed": min(max(_seconds(doc.routed_at), 0), NEVER) if doc.routed_at else NEVER,
        "support": max(doc.support_count, 0),
    }


def _day_start(day: date) -> int:
    return _seconds(datetime.combine(day, time.min, tzinfo=UTC))


# --- reading Whoosh's storage into arrays ------------------------------------------------------


def _column(reader: Any, name: str, dtype: Any) -> np.ndarray:
    """One per-document column of a segment as a numpy array (bulk read when possible)."""
    count = reader.doc_count_all()
    creader = reader.column_reader(name, translate=False)
    if isinstance(creader, columns.EmptyColumnReader):  # no document has a non-default value
        return np.full(count, creader._default, dtype=dtype)
    raw = getattr(creader, "_dbfile", None)
    if isinstance(creader, columns.NumericColumn.Reader) and raw is not None:
        # Fixed-width big-endian values, written up to the last non-default document.
        stored = creader._count
        values = np.full(count, creader._default, dtype=dtype)
        if stored:
            data = raw.get(creader._basepos, stored * creader._fixedlen)
            values[:stored] = np.frombuffer(data, dtype=">" + creader._typecode)
        return values
    return np.fromiter((creader[n] for n in range(count)), dtype=dtype, count=count)


def _postings(reader: Any, term: str) -> tuple[np.ndarray, np.ndarray]:
    """(document numbers, term frequencies) of ``term`` in one segment, deleted ones included."""
    if (("terms", term)) not in reader:
        return np.empty(0, np.int32), np.empty(0, np.float32)
    matcher = reader.postings("terms", term)
    while isinstance(matcher, FilterMatcher):  # the live mask is applied later, as arrays
        matcher = matcher.child
    ids: list[np.ndarray] = []
    weights: list[np.ndarray] = []
    if hasattr(matcher, "_read_data") and hasattr(matcher, "_lastblock"):
        # whoosh3 blocks: a pickled (id deltas, weights, values) tuple per block of postings.
        while matcher.is_active():
            if matcher._data is None:
                matcher._read_data()
            deltas, block_weights = matcher._data[0], matcher._data[1]
            block = np.cumsum(np.asarray(deltas, dtype=np.int64)).astype(np.int32)
            ids.append(block)
            if block_weights is None or isinstance(block_weights, float):
                weights.append(np.full(len(block), block_weights or 1.0, dtype=np.float32))
            else:
                weights.append(np.asarray(block_weights, dtype=np.float32))
            if matcher._lastblock:
                break
            matcher._goto(matcher._nextoffset)
    else:  # an inlined posting list (a rare term) or another matcher: the public interface
        found, found_weights = [], []
        while matcher.is_active():
            found.append(matcher.id())
            found_weights.append(matcher.weight())
            matcher.next()
        ids.append(np.asarray(found, dtype=np.int32))
        weights.append(np.asarray(found_weights, dtype=np.float32))
    if not ids:
        return np.empty(0, np.int32), np.empty(0, np.float32)
    return np.concatenate(ids), np.concatenate(weights)


@dataclass
class _Segment:
    """Per-document arrays of one segment (documents never change inside a segment)."""

    reader: Any
    offset: int
    segid: str
    size: int
    values: dict[str, np.ndarray]
    live: np.ndarray | None  # None: no deletions
    live_count: int


class _Snapshot:
    """One searcher (a point-in-time view of the index) and its segments' arrays."""

    def __init__(self, searcher: Any, cache: _Cache) -> None:
        self.searcher = searcher
        self.cache = cache
        self.segments: list[_Segment] = []
        total_length = 0
        for reader, offset in searcher.reader().leaf_readers():
            if not reader.doc_count_all():  # an empty index has one empty reader
                continue
            segment = cache.segment(reader, offset)
            self.segments.append(segment)
            total_length += cache.length_sum(segment)
        self.doc_count = sum(s.live_count for s in self.segments)
        all_docs = sum(s.size for s in self.segments)
        self.avg_length = max(total_length / all_docs, 1.0) if all_docs else 1.0

    def idf(self, term: str) -> float:
        df = sum(s.reader.doc_frequency("terms", term) for s in self.segments)
        n = max(self.doc_count, 1)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))


class _Cache:
    """Segment arrays and decoded postings, shared by every searcher of this index."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[str, dict[str, np.ndarray]] = {}
        self._lengths: dict[str, int] = {}
        self._live: dict[tuple[str, int], np.ndarray] = {}
        self._postings: OrderedDict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._postings_bytes = 0

    def segment(self, reader: Any, offset: int) -> _Segment:
        info = reader.segment()
        segid = info.segid if info is not None else f"reader-{id(reader)}"
        size = reader.doc_count_all()
        with self._lock:
            values = self._values.get(segid)
        if values is None:
            values = {
                "length": _column(reader, "length", np.int32),
                "kind": _column(reader, "kind", np.int16),
                "status": _column(reader, "status", np.int16),
                "confidential": _column(reader, "confidential", np.int8),
                "answered": _column(reader, "answered", np.int8),
                "published": _column(reader, "published", np.int64),
                "routed": _column(reader, "routed", np.int64),
                "support": _column(reader, "support", np.int64),
            }
            for name in INT_FACETS:
                values[name] = _column(reader, name, np.int32)
            with self._lock:
                self._values[segid] = values
        live: np.ndarray | None = None
        deleted_count = info.deleted_count() if info is not None else 0
        if deleted_count:
            with self._lock:
                live = self._live.get((segid, deleted_count))
            if live is None:
                live = np.ones(size, dtype=bool)
                live[np.fromiter(info.deleted_docs(), dtype=np.int64, count=deleted_count)] = False
                with self._lock:
                    self._live = {k: v for k, v in self._live.items() if k[0] != segid}
                    self._live[(segid, deleted_count)] = live
        return _Segment(reader, offset, segid, size, values, live, size - deleted_count)

    def length_sum(self, segment: _Segment) -> int:
        with self._lock:
            total = self._lengths.get(segment.segid)
        if total is None:
            total = int(segment.values["length"].sum())
            with self._lock:
                self._lengths[segment.segid] = total
        return total

    def postings(self, segment: _Segment, term: str) -> tuple[np.ndarray, np.ndarray]:
        key = (segment.segid, term)
        with self._lock:
            found = self._postings.get(key)
            if found is not None:
                self._postings.move_to_end(key)
                return found
        found = _postings(segment.reader, term)
        size = found[0].nbytes + found[1].nbytes
        with self._lock:
            if key not in self._postings and size < POSTINGS_CACHE_BYTES // 4:
                self._postings[key] = found
                self._postings_bytes += size
                while self._postings_bytes > POSTINGS_CACHE_BYTES:
                    _, (ids, tfs) = self._postings.popitem(last=False)
                    self._postings_bytes -= ids.nbytes + tfs.nbytes
        return found

    def forget_except(self, segids: set[str]) -> None:
        """Drop what belongs to segments no longer in the index (merged or rebuilt away)."""
        with self._lock:
            for segid in [s for s in self._values if s not in segids]:
                del self._values[segid]
                self._lengths.pop(segid, None)
            self._live = {k: v for k, v in self._live.items() if k[0] in segids}
            for key in [k for k in self._postings if k[0] not in segids]:
                ids, tfs = self._postings.pop(key)
                self._postings_bytes -= ids.nbytes + tfs.nbytes


# --- the query, as arrays ----------------------------------------------------------------------


def _bm25(tf: np.ndarray, lengths: np.ndarray, idf: float, avg_length: float) -> np.ndarray:
    norm = K1 * (1 - B + B * lengths.astype(np.float32) / np.float32(avg_length))
    return (np.float32(idf) * tf * np.float32(K1 + 1) / (tf + norm)).astype(np.float32)


def _contains_phrase(words: list[str], phrase: Sequence[str]) -> bool:
    width = len(phrase)
    first = phrase[0]
    return any(
        words[i] == first and tuple(words[i : i + width]) == tuple(phrase)
        for i in range(len(words) - width + 1)
    )


class _Match:
    """Matching documents of one segment: local numbers and scores."""

    __slots__ = ("docs", "scores")

    def __init__(self, docs: np.ndarray, scores: np.ndarray) -> None:
        self.docs, self.scores = docs, scores


def _match_all(snapshot: _Snapshot, segment: _Segment, terms: Sequence[str]) -> _Match:
    """Documents containing every term (all documents for no term), with BM25 scores."""
    lengths = segment.values["length"]
    if not terms:
        docs = np.arange(segment.size, dtype=np.int32)
        return _Match(docs, np.zeros(segment.size, dtype=np.float32))
    lists = sorted(
        ((term, snapshot.cache.postings(segment, term)) for term in terms),
        key=lambda item: len(item[1][0]),
    )
    term, (docs, tfs) = lists[0]
    scores = _bm25(tfs, lengths[docs], snapshot.idf(term), snapshot.avg_length)
    for term, (ids, tfs) in lists[1:]:
        if not len(docs):
            break
        dense = np.zeros(segment.size, dtype=np.float32)
        dense[ids] = tfs
        tf = dense[docs]
        keep = tf > 0
        docs, tf, scores = docs[keep], tf[keep], scores[keep]
        scores = scores + _bm25(tf, lengths[docs], snapshot.idf(term), snapshot.avg_length)
    return _Match(docs, scores)


def _match_any(snapshot: _Snapshot, segment: _Segment, terms: Sequence[str]) -> _Match:
    """Documents containing any of the terms, scored by the sum over the terms they have."""
    lengths = segment.values["length"]
    dense = np.zeros(segment.size, dtype=np.float32)
    for term in terms:
        ids, tfs = snapshot.cache.postings(segment, term)
        if len(ids):
            dense[ids] += _bm25(tfs, lengths[ids], snapshot.idf(term), snapshot.avg_length)
    docs = np.flatnonzero(dense).astype(np.int32)
    return _Match(docs, dense[docs])


def _restrict(segment: _Segment, match: _Match, query: SearchQuery, exclude: int | None) -> _Match:
    """Apply deletions, filters, the confidential mask and the excluded key."""
    docs = match.docs
    keep = np.ones(len(docs), dtype=bool)
    if segment.live is not None:
        keep &= segment.live[docs]
    values = segment.values
    for name, value in query.filter_values().items():
        wanted = CODE_OF.get(str(value), -1) if name in CODE_FACETS else int(str(value))
        keep &= values[name][docs] == wanted
    if query.date_from is not None:
        keep &= values["published"][docs] >= _day_start(query.date_from)
    if query.date_to is not None:
        keep &= values["published"][docs] < _day_start(query.date_to + timedelta(days=1))
    if query.confidential == "none":
        keep &= values["confidential"][docs] == 0
    elif query.confidential != "all":
        keep &= (values["confidential"][docs] == 0) | (
            values["agency"][docs] == int(query.confidential)
        )
    if exclude is not None:
        keep &= docs != exclude
    if keep.all():
        return match
    return _Match(docs[keep], match.scores[keep])


def _phrases(segment: _Segment, match: _Match, phrases: Sequence[Sequence[str]]) -> _Match:
    """Keep the documents where every phrase appears (in the title or in the body)."""
    sequences = segment.reader.column_reader("seq", translate=False)
    keep = np.zeros(len(match.docs), dtype=bool)
    for position, docnum in enumerate(match.docs.tolist()):
        parts = [part.split() for part in sequences[docnum].decode().split("\n")]
        keep[position] = all(any(_contains_phrase(p, phrase) for p in parts) for phrase in phrases)
    return _Match(match.docs[keep], match.scores[keep])


def _order_keys(query: SearchQuery, values: dict[str, np.ndarray], scores: np.ndarray) -> Any:
    """(primary, secondary) ascending sort keys, the same orders as the other engines."""
    newest = -values["published"]
    if query.sort == "newest" or (query.sort == "relevance" and query.parsed.is_empty):
        return newest, None
    if query.sort == "supported":
        return -values["support"], newest
    if query.sort == "unanswered":
        return values["answered"], newest
    if query.sort == "overdue":
        return values["answered"].astype(np.int64) * (NEVER + 1) + values["routed"], newest
    return -scores.astype(np.float64), newest


def _top(primary: np.ndarray, secondary: np.ndarray | None, count: int) -> np.ndarray:
    """Positions of the ``count`` smallest (primary, secondary) pairs, in order."""
    total = len(primary)
    if count < total:
        kth = np.partition(primary, count - 1)[count - 1]
        candidates = np.flatnonzero(primary <= kth)  # ties at the boundary stay in
    else:
        candidates = np.arange(total)
    if secondary is None:
        order = np.argsort(primary[candidates], kind="stable")
    else:
        order = np.lexsort((secondary[candidates], primary[candidates]))
    return candidates[order][:count]


class WhooshIndex:
    name = "whoosh"

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._pointer = folder / "CURRENT"
        self._local = threading.local()
        self._ix_lock = threading.Lock()
        self._ix: Any = None
        self._ix_stamp: tuple[int, int] | None = None
        self._cache = _Cache()
        # Processes writing a rebuild (Whoosh's multiprocessing writer, one segment each):
        # `rembug reindex` raises it; in-process callers (tests, the app) keep one.
        self.rebuild_procs = 1
        self._ensure()

    # --- where the live index is -------------------------------------------------------------

    def _ensure(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        if not self._pointer.exists():
            self._swap_to(self._create_folder())
            return
        # An index written by an older schema cannot be read: start empty (the worker sees an
        # empty index over a database with content and rebuilds it: search.rebuild).
        ix = whoosh_index.open_dir(str(self.live_folder()))
        version = ix.schema["version"].column_type if "version" in ix.schema else None
        current = getattr(version, "_default", None) == SCHEMA_VERSION
        ix.close()
        if not current:
            self._swap_to(self._create_folder())

    def _create_folder(self) -> str:
        name = f"index-{datetime.now(UTC):%Y%m%d%H%M%S}-{uuid.uuid4().hex[:8]}"
        (self.folder / name).mkdir()
        whoosh_index.create_in(str(self.folder / name), _schema())
        # Every folder is written by the current analyzer: an empty one, or a rebuild's.
        (self.folder / name / ANALYZER_FILE).write_text(analyzer_version() + "\n", "utf-8")
        return name

    def analyzer(self) -> str | None:
        try:
            return (self.live_folder() / ANALYZER_FILE).read_text("utf-8").strip() or None
        except FileNotFoundError:
            return None

    def _swap_to(self, name: str) -> None:
        temporary = self.folder / f"CURRENT.{uuid.uuid4().hex}"
        temporary.write_text(name + "\n", encoding="utf-8")
        os.replace(temporary, self._pointer)  # atomic: readers see the old or the new name

    def live_folder(self) -> Path:
        return self.folder / self._pointer.read_text(encoding="utf-8").strip()

    def _index(self) -> Any:
        """The live index, reopened when a rebuild swapped ``CURRENT`` (one stat per call)."""
        info = self._pointer.stat()
        stamp = (info.st_mtime_ns, info.st_ino)
        with self._ix_lock:
            if self._ix is None or stamp != self._ix_stamp:
                self._ix = whoosh_index.open_dir(str(self.live_folder()))
                self._ix_stamp = stamp
            return self._ix

    def _snapshot(self) -> _Snapshot:
        """A per-thread searcher and its arrays, refreshed only when the index changed."""
        ix = self._index()
        cached: _Snapshot | None = getattr(self._local, "snapshot", None)
        if (
            cached is not None
            and getattr(self._local, "ix", None) is ix
            and cached.searcher.up_to_date()
        ):
            return cached
        # Not Searcher.refresh(): reusing segment readers missed deletions in whoosh3 3.54.
        if cached is not None:
            cached.searcher.close()
        fresh = _Snapshot(ix.searcher(), self._cache)
        self._cache.forget_except({s.segid for s in fresh.segments})
        self._local.snapshot, self._local.ix = fresh, ix
        return fresh

    # --- writing (the outbox worker and the reindex command only) ---------------------------

    def upsert(self, documents: Sequence[IndexDocument]) -> None:
        if not documents:
            return
        writer = self._index().writer(timeout=WRITE_LOCK_TIMEOUT)
        try:
            for doc in documents:
                writer.update_document(**_fields(doc))
        except BaseException:
            writer.cancel()
            raise
        writer.commit()

    def delete(self, keys: Sequence[str]) -> None:
        if not keys:
            return
        writer = self._index().writer(timeout=WRITE_LOCK_TIMEOUT)
        try:
            for key in keys:
                writer.delete_by_term("key", key)
        except BaseException:
            writer.cancel()
            raise
        writer.commit()

    def rebuild(self, documents: Iterable[IndexDocument]) -> int:
        """Write every document into a new folder with one writer, then swap ``CURRENT``."""
        name = self._create_folder()
        ix = whoosh_index.open_dir(str(self.folder / name))
        procs = max(self.rebuild_procs, 1)
        writer = ix.writer(limitmb=256, procs=procs, multisegment=procs > 1)
        count = 0
        try:
            for doc in documents:
                writer.add_document(**_fields(doc))
                count += 1
        except BaseException:
            writer.cancel()
            ix.close()
            shutil.rmtree(self.folder / name, ignore_errors=True)
            raise
        writer.commit()
        ix.close()
        previous = self._pointer.read_text(encoding="utf-8").strip()
        self._swap_to(name)
        self._remove_old_folders(keep={name, previous})
        return count

    def _remove_old_folders(self, keep: set[str]) -> None:
        # The folder replaced just now may still be open in another process: it goes next time.
        for path in self.folder.glob("index-*"):
            if path.name not in keep and path.is_dir():
                shutil.rmtree(path, ignore_errors=True)

    # --- reading -----------------------------------------------------------------------------

    def count(self) -> int:
        return self._snapshot().doc_count

    def doc_frequencies(self, terms: Sequence[str]) -> dict[str, int]:
        searcher = self._snapshot().searcher
        return {term: int(searcher.doc_frequency("terms", term)) for term in terms}

    def _run(self, query: SearchQuery, terms: Sequence[str], any_term: bool) -> SearchResults:
        snapshot = self._snapshot()
        exclude = None
        if query.exclude_key is not None:
            exclude = snapshot.searcher.document_number(key=query.exclude_key)
        phrases = [] if any_term else list(query.parsed.phrases)
        parts: list[tuple[_Segment, _Match]] = []
        for segment in snapshot.segments:
            if any_term:
                match = _match_any(snapshot, segment, terms)
            else:
                match = _match_all(snapshot, segment, terms)
            local_exclude = None
            if exclude is not None and segment.offset <= exclude < segment.offset + segment.size:
                local_exclude = exclude - segment.offset
            match = _restrict(segment, match, query, local_exclude)
            if phrases and len(match.docs):
                match = _phrases(segment, match, phrases)
            parts.append((segment, match))
        total = sum(len(match.docs) for _, match in parts)
        facets = self._facets(parts) if query.facets else {}
        wanted = query.offset + query.limit
        if not total or query.offset >= total:
            return SearchResults([], total, facets)
        names = ("published", "support", "answered", "routed")
        values = {
            name: np.concatenate([s.values[name][m.docs] for s, m in parts]) for name in names
        }
        docnums = np.concatenate([m.docs.astype(np.int64) + s.offset for s, m in parts])
        scores = np.concatenate([m.scores for _, m in parts])
        primary, secondary = _order_keys(query, values, scores)
        chosen = _top(primary, secondary, wanted)[query.offset :]
        stored = snapshot.searcher.stored_fields
        hits = [Hit(stored(int(docnums[i]))["key"], float(scores[i])) for i in chosen]
        return SearchResults(hits, total, facets)

    @staticmethod
    def _facets(parts: list[tuple[_Segment, _Match]]) -> dict[str, dict[str, int]]:
        facets: dict[str, dict[str, int]] = {}
        for name in FACETS:
            counts: Counter[str] = Counter()
            for segment, match in parts:
                if not len(match.docs):
                    continue
                found = segment.values[name][match.docs]
                tally = np.bincount(found) if found.max() < 1 << 20 else None
                if tally is not None:
                    values = np.flatnonzero(tally)
                    numbers = tally[values]
                else:
                    values, numbers = np.unique(found, return_counts=True)
                for value, number in zip(values.tolist(), numbers.tolist(), strict=True):
                    if value == NONE:
                        continue
                    label = CODES[value] if name in CODE_FACETS else str(value)
                    counts[label] += number
            facets[name] = dict(counts)
        return facets

    def search(self, query: SearchQuery) -> SearchResults:
        return self._run(query, query.parsed.all_terms, any_term=False)

    def similar(self, terms: Sequence[str], query: SearchQuery) -> SearchResults:
        unique = list(dict.fromkeys(terms))
        if not unique:
            return SearchResults([], 0, {})
        ranked = SearchQuery(**{**query.__dict__, "sort": "relevance"})
        return self._run(ranked, unique, any_term=True)

    def close(self) -> None:
        cached = getattr(self._local, "snapshot", None)
        if cached is not None:
            cached.searcher.close()
            self._local.snapshot = None
        with self._ix_lock:
            if self._ix is not None:
                self._ix.close()
                self._ix = None
