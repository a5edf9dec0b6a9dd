"""Indonesian text analysis for search: tokenise, lowercase, normalise informal spellings,
drop stopwords and stem with the Sastrawi algorithm on an LGPL-3 root list (data/)."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from Sastrawi.Dictionary.ArrayDictionary import ArrayDictionary
from Sastrawi.Stemmer.Stemmer import Stemmer

ROOTS_FILE = Path(__file__).resolve().parent / "data" / "roots-id.txt"
# Roots dropped ("-word") and added ("+word") at load time, each with its reason (data/).
ROOTS_ADJUST_FILE = ROOTS_FILE.with_name("roots-adjust.txt")
# Word -> stem fixed by hand where the algorithm picks a wrong reading of a common word.
EXCEPTIONS_FILE = ROOTS_FILE.with_name("stem-exceptions.tsv")

# Words with an inner hyphen stay whole so Sastrawi can stem reduplications ("jalan-jalan").
TOKEN_RE = re.compile(r"[0-9a-z]+(?:-[0-9a-z]+)*")
QUOTED_RE = re.compile(r'"([^"]*)"')

# Informal spellings and abbreviations common in citizens' messages, mapped to the standard
# word (written for Rembug; checked against the roots so every target is a real word).
INFORMAL: dict[str, str] = {
    "yg": "yang",
    "gak": "tidak",
    "ga": "tidak",
    "gk": "tidak",
    "nggak": "tidak",
    "ngga": "tidak",
    "enggak": "tidak",
    "engga": "tidak",
    "tdk": "tidak",
    "tak": "tidak",
    "dgn": "dengan",
    "dg": "dengan",
    "utk": "untuk",
    "untk": "untuk",
    "sdh": "sudah",
    "udah": "sudah",
    "udh": "sudah",
    "dah": "sudah",
    "blm": "belum",
    "blum": "belum",
    "krn": "karena",
    "karna": "karena",
    "jln": "jalan",
    "jl": "jalan",
    "dr": "dari",
    "dri": "dari",
    "kpd": "kepada",
    "pd": "pada",
    "spt": "seperti",
    "tp": "tapi",
    "tpi": "tapi",
    "bgt": "banget",
    "bs": "bisa",
    "bisa2": "bisa",
    "gmn": "bagaimana",
    "gimana": "bagaimana",
    "knp": "kenapa",
    "kenapa": "kenapa",
    "sy": "saya",
    "sya": "saya",
    "aku": "saya",
    "org": "orang",
    "tlg": "tolong",
    "mhn": "mohon",
    "kmrn": "kemarin",
    "skrg": "sekarang",
    "skr": "sekarang",
    "sm": "sama",
    "jg": "juga",
    "lg": "lagi",
    "lbh": "lebih",
    "byk": "banyak",
    "bnyk": "banyak",
    "hrs": "harus",
    "msh": "masih",
    "masi": "masih",
    "trs": "terus",
    "bkn": "bukan",
    "kalo": "kalau",
    "klo": "kalau",
    "kl": "kalau",
    "tsb": "tersebut",
    "dll": "lain",
    "dsb": "sebagainya",
    "dpt": "dapat",
    "pemda": "pemerintah",
    "pemkot": "pemerintah",
    "pemkab": "pemerintah",
    "kel": "kelurahan",
    "kec": "kecamatan",
    "kab": "kabupaten",
    "prov": "provinsi",
    "rs": "rumah sakit",
    "puskes": "puskesmas",
    "sekolahan": "sekolah",
    "ngurus": "mengurus",
    "bikin": "membuat",
    "dibikin": "dibuat",
    "nunggu": "menunggu",
    "nyampe": "sampai",
    "sampe": "sampai",
    "rusak2": "rusak",
    "jalan2": "jalan",
}

# Function words that carry no topic (written for Rembug from the most frequent words of
# Indonesian prose). Negations (tidak, belum, bukan) and time words (sudah) are kept on
# purpose: "sudah diperbaiki" and "belum diperbaiki" are different complaints.
STOPWORDS: frozenset[str] = frozenset(
    [
        "ada",
        "adalah",
        "adanya",
        "agar",
        "akan",
        "akankah",
        "akhirnya",
        "aku",
        "amat",
        "anda",
        "antara",
        "apa",
        "apakah",
        "apalagi",
        "atas",
        "atau",
        "ataupun",
        "bagai",
        "bagaimana",
        "bagi",
        "bahkan",
        "bahwa",
        "banyak",
        "begitu",
        "beberapa",
        "belakang",
        "berbagai",
        "bersama",
        "betapa",
        "biasa",
        "bila",
        "bilamana",
        "bisa",
        "boleh",
        "buat",
        "cukup",
        "dalam",
        "dan",
        "dapat",
        "dari",
        "daripada",
        "demi",
        "demikian",
        "dengan",
        "di",
        "dia",
        "dialah",
        "diri",
        "dirinya",
        "engkau",
        "hal",
        "hampir",
        "hanya",
        "harus",
        "hingga",
        "ia",
        "ialah",
        "ini",
        "inilah",
        "itu",
        "itulah",
        "jadi",
        "jika",
        "jikalau",
        "juga",
        "kalau",
        "kalian",
        "kami",
        "kamu",
        "kan",
        "kapan",
        "karena",
        "kata",
        "ke",
        "kemudian",
        "kenapa",
        "kepada",
        "kepadanya",
        "ketika",
        "kini",
        "kita",
        "lagi",
        "lain",
        "lalu",
        "maka",
        "mampu",
        "mana",
        "manakala",
        "masih",
        "masing",
        "mau",
        "melainkan",
        "meski",
        "meskipun",
        "mereka",
        "mungkin",
        "namun",
        "nanti",
        "nya",
        "oleh",
        "pada",
        "padahal",
        "para",
        "pun",
        "saat",
        "saja",
        "sama",
        "sambil",
        "sampai",
        "sangat",
        "saya",
        "se",
        "sebab",
        "sebagai",
        "sebagaimana",
        "sebagainya",
        "sebelum",
        "sebuah",
        "sedang",
        "sedangkan",
        "sehingga",
        "sejak",
        "sekali",
        "sekarang",
        "selain",
        "selalu",
        "selama",
        "seluruh",
        "semua",
        "sementara",
        "seolah",
        "seorang",
        "seperti",
        "sering",
        "serta",
        "setelah",
        "setiap",
        "sini",
        "situ",
        "suatu",
        "supaya",
        "tapi",
        "tanpa",
        "tentang",
        "terhadap",
        "termasuk",
        "tersebut",
        "tetapi",
        "tiap",
        "untuk",
        "walau",
        "walaupun",
        "yaitu",
        "yakni",
        "yang",
        "banget",
        "tolong",
        "mohon",
        "terus",
        "the",
        "a",
        "an",
        "and",
        "or",
        "of",
        "to",
        "in",
        "on",
        "for",
        "is",
        "are",
        "was",
        "be",
        "this",
        "that",
        "with",
        "it",
    ]
)

# Short words kept although Sastrawi would not touch them (numbers, "rt", "rw", "bpjs" ...).
MIN_STEM_LENGTH = 4


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer:
    return Stemmer(ArrayDictionary(root_words()))


@lru_cache(maxsize=1)
def root_words() -> tuple[str, ...]:
    """The root list (LGPL-3, derived from hunspell-id by search/tools/derive_roots.py)."""
    lines = ROOTS_FILE.read_text(encoding="utf-8").splitlines()
    roots = {line: None for line in lines if line and not line.startswith("#")}
    for line in ROOTS_ADJUST_FILE.read_text(encoding="utf-8").splitlines():
        if line.startswith("-"):
            roots.pop(line[1:], None)
        elif line.startswith("+"):
            roots[line[1:]] = None
    return tuple(roots)


@lru_cache(maxsize=1)
def exceptions() -> dict[str, str]:
    lines = EXCEPTIONS_FILE.read_text(encoding="utf-8").splitlines()
    pairs = (line.split("\t") for line in lines if line and not line.startswith("#"))
    return {word: stemmed for word, stemmed in pairs}


@lru_cache(maxsize=1)
def _root_set() -> frozenset[str]:
    return frozenset(root_words())


@lru_cache(maxsize=1)
def analyzer_version() -> str:
    """A fingerprint of everything that decides a stem (the code's rule version, the roots
    and their adjustments): stored with the saved stems and the index, so a changed analyzer
    discards the stale stems and rebuilds the index."""
    digest = hashlib.sha256(ANALYZER_RULES.encode())
    for path in (ROOTS_FILE, ROOTS_ADJUST_FILE, EXCEPTIONS_FILE):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


# Bump when a rule below changes what stem() returns.
ANALYZER_RULES = "sastrawi+rembug-affixes-1"

# Affixes the Sastrawi algorithm lacks, tried when it leaves a word unchanged (written for
# Rembug; each measured on the pairs and families, and checked against every root it would
# cut: benchmarks/stemming.py). Each removes to a known root of at least four letters:
# -wan/-wati (budayawan, karyawati), -isme (idealisme), -is after -al (idealis, nasionalis;
# not analis, tangis), and first-syllable reduplication of words that are not roots
# themselves (memang, lelang, tetangga are roots: never cut). The infix -in- (kinerja) and
# the reduplicated roots worth cutting (rerata) are in the exceptions file instead: as rules
# they cut kinetik, memori and pepaya too.
EXTRA_SUFFIXES = ("wati", "wan", "isme")


def _extra_rules(word: str) -> str | None:
    roots = _root_set()
    for suffix in EXTRA_SUFFIXES:
        base = word[: -len(suffix)]
        if word.endswith(suffix) and len(base) >= MIN_STEM_LENGTH and base in roots:
            return base
    if word.endswith("alis") and word[:-2] in roots and len(word) >= 7:
        return word[:-2]
    if word in roots:
        return None
    if len(word) >= 6 and word[1] == "e" and word[0] == word[2] and word[2:] in roots:
        return word[2:]
    return None


# Word -> stem and token -> terms caches. Module level and unlocked (dict reads and writes are
# atomic); bounded so a flood of made-up words cannot grow them without limit.
MAX_CACHED = 1_000_000
_STEMS: dict[str, str] = {}
_TOKEN_TERMS: dict[str, tuple[str, ...]] = {}


def stem_cache_header() -> str:
    """The saved stems' first line; it names the analyzer version, so stems saved by another
    analyzer are discarded rather than reused."""
    return (
        f"# rembug stem cache v2, analyzer {analyzer_version()}: word<TAB>stem "
        "(delete this file to start afresh)"
    )


def stem(word: str) -> str:
    """Sastrawi stem of one lowercase word. Cached: the vocabulary is small and the stemmer
    (about 4,000 words/s) is otherwise the indexing bottleneck."""
    found = _STEMS.get(word)
    if found is None:
        if len(word) < MIN_STEM_LENGTH or word.isdigit():
            found = word
        elif word in exceptions():
            found = exceptions()[word]
        else:
            found = _stemmer().stem_word(word) or word
            if found == word:
                found = _extra_rules(word) or word
        if len(_STEMS) < MAX_CACHED:
            _STEMS[word] = found
    return found


def clear_caches() -> None:
    _STEMS.clear()
    _TOKEN_TERMS.clear()


def load_stem_cache(path: Path) -> int:
    """Add the stems saved by ``save_stem_cache`` (a rebuild then stems only new words);
    returns how many were read. A missing or foreign file, or one saved by another analyzer
    version, is ignored."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (FileNotFoundError, UnicodeDecodeError):
        return 0
    if not lines or lines[0] != stem_cache_header():
        return 0
    count = 0
    for line in lines[1:]:
        word, _, stemmed = line.partition("\t")
        if word and stemmed and TOKEN_RE.fullmatch(word) and len(_STEMS) < MAX_CACHED:
            _STEMS.setdefault(word, stemmed)
            count += 1
    return count


def save_stem_cache(path: Path) -> None:
    """Write the cached stems next to the index (atomically), for the next rebuild."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    body = "".join(f"{word}\t{stemmed}\n" for word, stemmed in list(_STEMS.items()))
    temporary.write_text(stem_cache_header() + "\n" + body, encoding="utf-8")
    temporary.replace(path)


def normalise(text: str) -> str:
    """Unicode-normalised, lowercase text with typographic apostrophes and dashes folded."""
    text = unicodedata.normalize("NFKC", text).lower()
    return text.replace("\u2019", "'").replace("\u2013", "-").replace("\u2014", "-")


def words(text: str) -> list[str]:
    """Lowercase word tokens, informal spellings replaced by the standard word(s)."""
    result: list[str] = []
    for token in TOKEN_RE.findall(normalise(text)):
        result.extend(INFORMAL.get(token, token).split())
    return result


def terms_of_word(word: str) -> list[str]:
    """The index terms one (normalised) word yields: none for a stopword, else its stems."""
    if word in STOPWORDS:
        return []
    stemmed = stem(word)
    # A leftover hyphen (e.g. "covid-19") splits into plain terms, so every engine's query
    # syntax sees only [0-9a-z].
    return [part for part in stemmed.split("-") if part and part not in STOPWORDS]


def _token_terms(token: str) -> tuple[str, ...]:
    terms: list[str] = []
    for word in INFORMAL.get(token, token).split():
        terms.extend(terms_of_word(word))
    return tuple(terms)


def analyze(text: str) -> list[str]:
    """Index terms of ``text`` in order (positions matter for phrase queries)."""
    terms: list[str] = []
    cache = _TOKEN_TERMS
    for token in TOKEN_RE.findall(normalise(text)):
        found = cache.get(token)
        if found is None:
            found = _token_terms(token)
            if len(cache) < MAX_CACHED:
                cache[token] = found
        terms.extend(found)
    return terms


@dataclass(frozen=True)
class ParsedQuery:
    """A user's query: every term must match (AND); each phrase's terms must be adjacent."""

    terms: tuple[str, ...] = ()
    phrases: tuple[tuple[str, ...], ...] = ()
    words: tuple[str, ...] = field(default=(), compare=False)  # for "did you mean"

    @property
    def is_empty(self) -> bool:
        return not self.terms and not self.phrases

    @property
    def all_terms(self) -> tuple[str, ...]:
        """Every distinct term, of loose words and phrases, in order (for highlighting)."""
        seen: dict[str, None] = {}
        for term in self.terms:
            seen[term] = None
        for phrase in self.phrases:
            for term in phrase:
                seen[term] = None
        return tuple(seen)


def parse_query(text: str) -> ParsedQuery:
    """Split ``text`` into quoted phrases and loose words, analysed like the documents."""
    text = text[:500]
    phrases: list[tuple[str, ...]] = []
    for quoted in QUOTED_RE.findall(text):
        phrase = tuple(analyze(quoted))
        if len(phrase) > 1:
            phrases.append(phrase)
        elif phrase:  # a one-word "phrase" is just a word
            text += " " + quoted
    loose = QUOTED_RE.sub(" ", text).replace('"', " ")
    raw_words = words(loose)
    terms: dict[str, None] = {}
    for word in raw_words:
        for term in terms_of_word(word):
            terms[term] = None
    return ParsedQuery(tuple(terms), tuple(phrases), tuple(raw_words))
