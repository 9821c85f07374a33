"""A short query's reading asks the term tables on disk, with the answers of the whole in-memory tables.

A command-line search is a new process: reading a query of two or three
syllables used to load every folded syllable into a typo index and every word
of the ``text`` lexicon into pair tables (most of a second on the whole
corpus). :class:`~vnsearch.lang.typos.TypoLookup` and
:class:`~vnsearch.search.vocabulary.WordPairs` answer the same questions from
the snapshot's impacts directory (:meth:`Snapshot.term_keys`); these tests
hold them to the answers of :class:`TypoIndex` and :class:`PairCounts`, and a
whole reading (:func:`understand`) to the one made with the tables built.
"""

from __future__ import annotations

import importlib
import random
import string
from typing import Any

import pytest

from vnsearch.lang.text import fold_all, fold_all_text
from vnsearch.lang.typos import TypoIndex, TypoLookup
from vnsearch.search.vocabulary import PairCounts, WordPairs

VOCABULARY = {"nghiep": 100, "nghe": 90, "khoi": 60, "hieu": 40, "fortune": 5, "truy": 30, "trot": 12,
              "trua": 20, "tru": 8, "truong": 70, "thuong": 50, "ca": 99, "can": 80, "cam": 40, "cha": 7,
              "24h": 30, "u23": 12, "u22": 4, "lx570": 2, "k50": 3, "kk": 1, "2020": 50, "café": 3, "Can": 2}
TYPED = ["trut", "nghiepp", "cna", "c", "khoii", "thuongg", "hiue", "xyz", "ca", "can", "chaa", "Cam", "ngiep",
         "fortunee", "", "24g", "u2e", "kk50", "lx57o", "u23", "5g", "2020", "café"]


def _corpus_lines(start: int, stop: int) -> list[dict[str, Any]]:
    """conftest's read_corpus_lines (it skips the test when the shared corpus is absent)."""
    lines: list[dict[str, Any]] = importlib.import_module("tests.conftest").read_corpus_lines(
        "news.jsonl.gz", start, stop)
    return lines


def _lookup(codes: bool = False) -> TypoLookup:
    letters = "".join(sorted({c for w in VOCABULARY for c in w if c in string.ascii_letters}))
    return TypoLookup(lambda w: VOCABULARY.get(w, 0), letters, codes=codes)


@pytest.mark.parametrize("codes", [False, True])
def test_a_lookup_finds_what_the_typo_index_finds(codes: bool) -> None:
    index = TypoIndex(VOCABULARY.items(), codes=codes)
    lookup = _lookup(codes)
    rng = random.Random(3)
    typed = TYPED + ["".join(rng.choice("acghiknortu") for _ in range(rng.randint(1, 6))) for _ in range(300)]
    compared = 0
    for word in typed:
        for edits in (None, 0, 1, 2):
            if not lookup.reaches(word, edits):
                with pytest.raises(ValueError):
                    lookup.candidates(word, edits)
                continue
            assert lookup.candidates(word, edits, limit=100) == index.candidates(word, edits, limit=100), (word, edits)
            compared += 1
    assert compared > 600
    # Something is found at all: the comparison is not of empty lists.
    assert [c.word for c in lookup.candidates("24g" if codes else "trut")] == (["24h"] if codes else
                                                                               ["truy", "trua", "trot", "tru"])


def test_a_lookup_holds_only_what_the_index_would() -> None:
    lookup = _lookup()
    assert lookup.frequency("can") == 80
    assert lookup.frequency("café") == 0  # not ASCII letters
    assert lookup.frequency("24h") == 0  # a code: the codes' lookup holds it
    assert _lookup(codes=True).frequency("24h") == 30
    with pytest.raises(ValueError):
        TypoLookup(lambda w: 0, "abc", min_frequency=0)


WORDS = ["khởi nghiệp", "khởi nghĩa", "khói bụi", "thổ nhĩ kỳ", "nhĩ kỳ", "a a b", "b a a", "a", "café sữa",
         "cafe sua", "x\u0307 y", "nghiệp khởi nghiệp", "đi đá bóng", "di da bong", "ứng dụng", "ung dung",
         "con", "context", "con text", "textcon", "a b c d", "d c b a"]


def _keys(terms: list[str]) -> str:
    return "".join("text\x00" + t for t in sorted(set(terms)))


def test_word_pairs_count_what_pair_counts_count() -> None:
    terms = WORDS + ["khởi", "nghiệp", "text", "bóng"]  # single syllables make no pairs
    exact, folded = PairCounts.of_words([t for t in terms if " " in t])
    for around in (None, 0, 1):  # whichever syllable is looked around first, the same counts
        for table, pairs in ((exact, WordPairs(_keys(terms), "text\x00")),
                             (folded, WordPairs(_keys(terms), "text\x00", folded=True))):
            syllables = sorted({s for name, _ in table.items() for s in name} | {"zz", "text", "con"})
            assert len(table) > 10
            for a in syllables:
                for b in syllables:
                    assert pairs.get((a, b), 0, around) == table.get((a, b), 0), (a, b, around)
            assert pairs.get(("a b", "c"), 0) == 0  # a separator is no syllable's
    assert WordPairs(_keys(terms), "text\x00").get(("a", "a")) == 2
    assert WordPairs(_keys(terms), "text\x00", folded=True).get(("khoi", "nghiep")) == 2


def test_word_pairs_forget_when_too_many_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    import vnsearch.search.vocabulary as vocabulary

    monkeypatch.setattr(vocabulary, "KEPT_NEIGHBOURS", 3)
    pairs = WordPairs(_keys(WORDS), "text\x00")
    for a, b in [("khởi", "nghiệp"), ("a", "b"), ("thổ", "nhĩ"), ("c", "d"), ("khởi", "nghĩa")]:
        assert pairs.get((a, b)) > 0
    assert len(pairs._right) < 6


def test_folding_a_long_text_folds_each_character() -> None:
    texts = ["Khởi NGHIỆP café ĐÀ Nẵng", "plain ascii", "x\u0307y \u0301", "中文 ấy ß ﬁ ǅ Å K",
             "\x00\x01" + "".join(chr(c) for c in range(2, 32)) + "a\u0307", "ǅ is one to one? ấ"]
    for text in texts:
        assert fold_all_text(text) == "".join(fold_all(c) for c in text), text


@pytest.fixture(scope="module")
def small_index(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from vnsearch import SearchEngine

    docs = _corpus_lines(0, 150)
    engine = SearchEngine(tmp_path_factory.mktemp("cold") / "ix")
    engine.add_articles(docs)
    yield engine, docs
    engine.close()


def test_term_keys_are_the_lexicon(small_index) -> None:  # type: ignore[no-untyped-def]
    engine, _ = small_index
    snapshot = engine._current()[0]
    for field in ("text", "text_f", "title_f"):
        keys = snapshot.term_keys(field)
        assert keys is not None
        assert keys.split(field + "\x00")[1:] == snapshot.lexicon(field)
    assert snapshot.term_keys("id") is None  # not a field of the impacts files


def test_term_keys_of_several_segments_are_the_lexicon(small_index) -> None:  # type: ignore[no-untyped-def]
    from vnsearch.store.directory import IndexStore

    engine, _ = small_index
    snapshot = IndexStore(engine._current()[0].path).snapshot()
    try:
        lexicon = snapshot.lexicon("text")
        # The segment twice: the terms of both, each once, in order.
        snapshot.segments = snapshot.segments * 2
        keys = snapshot.term_keys("text")
        assert keys is not None and keys.split("text\x00")[1:] == lexicon
    finally:
        snapshot.release()


def test_a_reading_from_disk_is_the_reading_with_the_tables_built(small_index) -> None:  # type: ignore[no-untyped-def]
    from vnsearch.search import understand as u
    from vnsearch.search.query import parse_query

    engine, docs = small_index
    snapshot = engine._current()[0]
    rng = random.Random(5)
    queries = ["khởi nghiệp", "khoi nghiep", "trump mố", "bong da", "khowir nghieepj", "cá tù", "24g", "ha noi"]
    for doc in docs[:40]:
        words = doc["title"].lower().split()
        if len(words) < 3:
            continue
        i = rng.randrange(len(words) - 1)
        two = words[i: i + 2]
        queries.append(" ".join(two))
        queries.append(" ".join(fold_all(w) for w in two))
        slip = list(two[0])
        j = rng.randrange(len(slip))
        slip[j] = rng.choice("aeiouhnt")
        queries.append(" ".join(["".join(slip), *two[1:]]))
        queries.append(" ".join(words[i: i + 3]))

    # Syllables of up to seven letters: two edits (eight letters and more) need the whole typo index.
    queries = [q for q in queries if all(len(w) < 8 for w in q.split())]

    def readings(built: bool) -> list[tuple[object, ...]]:
        u._CACHE.pop(snapshot, None)
        vocab = u.vocabulary(snapshot)
        if built:
            vocab.typos, vocab.codes, vocab.pairs, vocab.exact_pairs  # noqa: B018
        out: list[tuple[object, ...]] = []
        for q in queries:
            got = u.understand(parse_query(q), snapshot, suspect_known=0.3)
            out.append((got.rewritten, got.converted, got.alternatives, got.cooccurring, got.suspected))
        if not built:  # read from disk: no whole table was built
            assert vocab._pairs is None and vocab._exact_pairs is None and vocab._typos is None
        else:  # the tables answer: what was read from disk for the lookups is let go
            assert vocab._lookups is False and vocab._word_pairs is False
        return out

    lazy, whole = readings(False), readings(True)
    assert lazy == whole
    assert any(r[2] or r[3] or r[4] for r in lazy)  # some corrections made: not a comparison of nothing
    u._CACHE.pop(snapshot, None)


def test_a_process_meeting_many_syllables_builds_the_whole_tables(small_index, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from vnsearch.search import vocabulary as v

    engine, _ = small_index
    snapshot = engine._current()[0]
    whole = v.Vocabulary(snapshot)
    asked = [(a, b) for (a, b), _ in list(whole.exact_pairs.items())[:40]]
    monkeypatch.setattr(v, "PAIR_SCANS_BEFORE_TABLES", 6)
    vocab = v.Vocabulary(snapshot)
    got = [vocab.pair_count(a, b, exact=True) for a, b in asked]
    assert got == [whole.exact_pairs.get(p, 0) for p in asked] and all(got)
    assert vocab._exact_pairs is not None and vocab._word_pairs is False  # switched, the lexicon's text let go
