"""vnsearch.search.understand: Telex/VNI rewrite, typo alternatives, exact spelling — judged by an index's vocabulary.

The vocabulary here is a stand-in for a Snapshot (same methods) counted from a
slice of the shared news corpus without the segmenter: syllables exactly and
folded, and every two adjacent syllables as a "word". The exact-match test at
the end runs against a real index of the seeds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from types import SimpleNamespace

import numpy as np
import pytest
from conftest import read_corpus_lines

from vnsearch.lang.analysis import query_syllables
from vnsearch.lang.text import fold_all
from vnsearch.lang.typos import TypoIndex, edit_distance, max_edits, slip_weight
from vnsearch.search.query import parse_query
from vnsearch.search.understand import (
    combine_alternatives,
    cooccurrence_corrections,
    corrections,
    exact_mask,
    telex_rewrite,
    understand,
)
from vnsearch.search.vocabulary import Vocabulary


class CountedSnapshot:
    """The part of vnsearch.store.snapshot.Snapshot that understand reads, over texts in memory."""

    def __init__(self, texts: list[str], titles: list[str] | None = None) -> None:
        fields: dict[str, dict[str, set[int]]] = {"text": defaultdict(set), "text_f": defaultdict(set),
                                                  "title_f": defaultdict(set)}
        for n, title in enumerate(titles or []):
            for s in query_syllables(title):
                fields["title_f"][fold_all(s)].add(n)
        for n, text in enumerate(texts):
            sylls = query_syllables(text)
            for s in sylls:
                fields["text"][s].add(n)
                fields["text_f"][fold_all(s)].add(n)
            for a, b in zip(sylls, sylls[1:]):
                fields["text"][f"{a} {b}"].add(n)
        self.fields = {f: {t: np.array(sorted(d), dtype=np.int64) for t, d in terms.items()}
                       for f, terms in fields.items()}
        self.size = self.doc_count = len(texts)
        self.live = np.ones(self.size, dtype=bool)

    def postings(self, field: str, term: str) -> SimpleNamespace:
        return SimpleNamespace(docs=self.fields[field].get(term, np.zeros(0, dtype=np.int64)))

    def doc_frequency(self, field: str, term: str) -> int:
        return len(self.fields[field].get(term, ()))

    def lexicon(self, field: str) -> Iterator[str]:
        return iter(sorted(self.fields[field]))

    def term_frequencies(self, field: str) -> Iterator[tuple[str, int]]:
        return ((t, len(d)) for t, d in sorted(self.fields[field].items()))


@pytest.fixture(scope="module")
def vocab() -> Vocabulary:
    docs = read_corpus_lines("news.jsonl.gz", 12_000, 13_500)
    texts = [" ".join((d["title"], d["sapo"], d["body"])) for d in docs]
    return Vocabulary(CountedSnapshot(texts, [d["title"] for d in docs]))  # type: ignore[arg-type]


# -- Telex / VNI ------------------------------------------------------------------------

@pytest.mark.parametrize("typed, expected", [
    ("khowir nghieepj", "khởi nghiệp"),
    ("Ddaf Nawngx", "Đà Nẵng"),
    ("vieejt nam", "việt nam"),
    ("vie6t5 nam", "việt nam"),
    ("thur tuowngs", "thủ tướng"),
    ("bongs ddas", "bóng đá"),
])
def test_telex_and_vni_queries_are_converted(vocab, typed, expected):
    got = telex_rewrite(typed, vocab)
    assert got is not None and got[0] == expected


# English and code words, and syllables that merely look like Telex.
NOT_TELEX = ("process css address window html json python java linux android facebook google iphone "
             "samsung video bitcoin max as is sex mix us bus rex sir of box show star top hot shop "
             "xoong boong").split()


def test_english_and_code_words_are_left_alone(vocab):
    from vnsearch.lang.telex import convert
    from vnsearch.search.understand import TELEX_TYPED_MAX

    checked = []
    for word in NOT_TELEX:
        # Not Telex at all, or a word this index holds: either way, left alone. (A word no
        # document holds, "box" in a small index, is read as Telex: the index knows no better.)
        if convert(word) is None or vocab.folded_frequency(word) > TELEX_TYPED_MAX:
            checked.append(word)
            assert telex_rewrite(word, vocab) is None, word
            assert telex_rewrite(f"{word} 2020", vocab) is None, word
    assert {"process", "css", "address", "window", "max"} <= set(checked)
    assert len(checked) >= 25
    # And in a Vietnamese query, only the Telex is converted.
    got = telex_rewrite("iphone sacj", vocab)
    assert got is not None and got[0] == "iphone sạc"


def test_plain_queries_are_not_rewritten(vocab):
    for text in ("hà nội", "ha noi", "bong da", "trí tuệ nhân tạo", "covid-19 ha noi"):
        assert telex_rewrite(text, vocab) is None
        u = understand(parse_query(text), vocab.snapshot)  # type: ignore[arg-type]
        assert not u.telex and not u.alternatives and u.corrected_text() is None


def test_understand_reparses_the_converted_query(vocab):
    u = understand(parse_query("khowir nghieepj -ddaf"), vocab.snapshot)  # type: ignore[arg-type]
    assert u.telex and u.rewritten == "khởi nghiệp -đà"
    assert [p.syllables for g in u.query.groups for p in g] == [["khởi"], ["nghiệp"]]
    assert [p.syllables for p in u.query.excluded] == [["đà"]]


# -- typos ------------------------------------------------------------------------------

def test_edit_distance_and_slips():
    assert edit_distance("nghiep", "nghiep") == 0
    assert edit_distance("ngheip", "nghiep") == 1  # swapped neighbours
    assert edit_distance("nghiepp", "nghiep") == 1
    assert edit_distance("abc", "xyz", limit=2) == 3
    assert slip_weight("nhanj", "nhanh") == 1.0  # j is next to h
    assert slip_weight("nhanq", "nhanh") == 0.5
    assert slip_weight("hnanh", "nhanh") == 1.0
    assert [max_edits(n) for n in (1, 2, 3, 5, 7, 8, 12)] == [0, 0, 1, 1, 1, 2, 2]


def test_typo_index_finds_within_reach_and_bounds_its_answers():
    ix = TypoIndex([("nghiep", 100), ("nghe", 90), ("khoi", 60), ("hieu", 40), ("fortuner", 3), ("fortune", 5)])
    assert [c.word for c in ix.candidates("ngheip")] == ["nghiep"]
    assert [c.word for c in ix.candidates("forttuner")][:1] == ["fortuner"]
    assert [c.word for c in ix.candidates("frotunerr")] == ["fortuner"]  # two edits from 8 letters on
    assert ix.candidates("frotunr") == []  # seven letters: one edit only
    assert ix.candidates("ca") == []  # two letters: no correction
    assert len(ix.candidates("khoi", edits=2, limit=2)) <= 2


def test_unknown_syllables_get_weighted_alternatives(vocab):
    alts = corrections(["thur", "tuowng"], vocab)  # not in the vocabulary as typed
    assert alts  # something within reach
    got = corrections(["bóng", "dđá"], vocab)
    assert got["dđá"][0].replacement == "đá"
    for options in got.values():
        assert all(0 < a.weight <= 0.8 for a in options)
        assert [a.weight for a in options] == sorted((a.weight for a in options), reverse=True)


def test_a_typed_query_copied_from_an_article_gets_no_corrections(vocab):
    docs = read_corpus_lines("news.jsonl.gz", 12_000, 12_050)
    for d in docs:
        u = understand(parse_query(d["title"]), vocab.snapshot)  # type: ignore[arg-type]
        assert not u.alternatives and not u.cooccurring and not u.telex, d["title"]


def test_corrections_rank_below_exact_matches():
    score = np.array([2.0, 0.0, 0.0], dtype=np.float32)
    mask = np.array([True, False, False])
    alt_score = np.array([3.0, 3.0, 0.0], dtype=np.float32)
    alt_mask = np.array([True, True, False])
    got, matched = combine_alternatives(score, mask, [(0.8, alt_score, alt_mask)])
    assert got.tolist() == pytest.approx([2.0, 2.4, 0.0])
    assert matched.tolist() == [True, True, False]


# -- exact spelling ----------------------------------------------------------------------

def test_exact_mask_holds_only_the_exact_spelling(vocab):
    snap = vocab.snapshot
    assert exact_mask(parse_query("bão"), snap) is None  # nothing asked exactly
    mask = exact_mask(parse_query("=bão"), snap)
    assert mask is not None
    docs = np.flatnonzero(mask)
    assert set(docs.tolist()) == set(snap.postings("text", "bão").docs.tolist())
    folded = set(snap.postings("text_f", "bao").docs.tolist())
    assert len(folded) > len(docs)  # "bao", "báo", "bảo" … are left out
    everything = exact_mask(parse_query("bão lũ", exact=True), snap)
    both = set(snap.postings("text", "bão").docs.tolist()) & set(snap.postings("text", "lũ").docs.tolist())
    assert set(np.flatnonzero(everything).tolist()) == both
    either = exact_mask(parse_query("=bão OR =lũ"), snap)
    one = set(snap.postings("text", "bão").docs.tolist()) | set(snap.postings("text", "lũ").docs.tolist())
    assert set(np.flatnonzero(either).tolist()) == one


def test_exact_query_never_returns_an_article_without_the_exact_spelling(seed_engine):
    snap = seed_engine._current()[0].acquire()
    try:
        for text in ("=hàng", "=hang", '="hàng châu"', "=quảng", "=nghệ"):
            mask = exact_mask(parse_query(text), snap)
            assert mask is not None
            wanted = [s for g in parse_query(text).groups for p in g for s in p.syllables]
            for doc in np.flatnonzero(mask):
                body = snap.stored(int(doc))
                words = set(query_syllables(" ".join(str(v) for v in body.values() if isinstance(v, str))))
                assert set(wanted) <= words, (text, doc)
    finally:
        snap.release()


# -- corrections keep the marks typed (wiring, issue 16) ----------------------------------

def test_correction_keeps_the_marks_typed_and_adds_none(vocab):
    from vnsearch.search.understand import _with_marks_of

    assert vocab.exact_frequency("thảm") and vocab.exact_frequency("thẩm")
    assert _with_marks_of("htảm", "tham", vocab) == "thảm"  # not the commoner "thẩm": no â was typed
    assert _with_marks_of("tiấu", "giau", vocab) == "giấu"


def test_known_syllable_typed_with_diacritics_is_suspected_as_the_spelling_keeping_them(vocab):
    # "cá" for "cán" (one letter dropped): offered as the spelling with the tone typed, judged by its documents.
    got = cooccurrence_corrections(["cá", "bộ"], vocab, always=True, weight=0.3)
    replacements = [a.replacement for a in got.get("cá", [])]
    assert "cán" in replacements, replacements
    assert all(r in ("cán",) or not r.startswith("că") for r in replacements)


# -- guesses judged by the words and headlines they make (issue 16, kw-typo) -------------

def small_vocab(articles: list[tuple[str, str]]) -> Vocabulary:
    """A vocabulary of (title, body) articles; the title is part of the text too."""
    texts = [f"{title}. {body}" for title, body in articles]
    return Vocabulary(CountedSnapshot(texts, [title for title, _ in articles]))  # type: ignore[arg-type]


def test_a_guess_that_makes_a_headline_with_the_rest_is_telling():
    vocab = small_vocab([
        ("Bùng phát dịch thủy đậu ở trường học", "Nhiều học sinh mắc thủy đậu."),
        ("Hủy chuyến bay vì bão", "Hãng hủy chuyến, máy bay đậu ở sân bay."),
        ("Thủy điện xả lũ", "Nước thủy điện dâng cao."),
        ("Giá đậu tương tăng", "Đậu tương nhập khẩu."),
    ])
    got = cooccurrence_corrections(["hủy", "đậu"], vocab, always=True, weight=0.3)
    best = got["hủy"][0]
    # "hủy đậu" stands together in no headline, "thủy đậu" does: a likely slip, weighed as a correction.
    assert best.replacement == "thủy" and best.telling and best.weight == pytest.approx(0.8)
    assert not best.counted  # still a guess: totals count the syllable as typed


def test_a_lone_consonant_is_read_as_a_syllable_whose_vowel_was_dropped():
    vocab = small_vocab([
        ("Cắt tờ lịch cuối năm", "Người dân cắt tờ lịch."),
        ("Đội T giành chiến thắng", "Đội T và đội cắt băng."),
        ("Tô phở ngon", "Tô phở."),
    ])
    got = cooccurrence_corrections(["cắt", "t"], vocab, always=True, weight=0.3)
    replacements = [a.replacement for a in got["t"]]
    assert replacements[0] == "tờ", replacements  # a spelling the index holds, not the folded "to"
    assert all(len(r) > 1 for r in replacements)


def test_a_telex_token_that_goes_with_nothing_also_gets_its_slip_readings():
    vocab = small_vocab([
        ("Năm Cam lĩnh án tù", "Điều tra viên vụ Năm Cam bị phạt tù."),
        ("Cạ cứng của anh", "Bạn cạ cứng."),
        ("Cam Ranh đón khách", "Cam Ranh."),
        *[(f"Tù nhân số {n}", "Người tù cao tuổi, cau mày, cai ngục.") for n in range(3)],
    ])
    u = understand(parse_query("caj tù"), vocab.snapshot)  # type: ignore[arg-type]
    assert u.rewritten == "cạ tù"  # the Telex reading stays the query
    assert "cam" in [a.replacement for a in u.cooccurring["cạ"]]  # "j" was a slip for "m", next to it


# -- the cheaper reading of a query gives the same answers (issue 17) ------------------------

def _masked_maximum(score, mask, alternatives, keep=None):
    """combine_alternatives as it was: np.maximum over the free documents with a masked ufunc."""
    out, matched = score.copy(), mask.copy()
    free = ~(mask if keep is None else keep)
    for weight, alt_score, alt_mask in alternatives:
        np.maximum(out, weight * alt_score, out=out, where=free)
        matched |= alt_mask
    return out, matched


@pytest.mark.filterwarnings("ignore:invalid value encountered")
def test_combine_alternatives_equals_the_masked_maximum_bit_for_bit():
    rng = np.random.default_rng(17)
    for trial in range(2000):
        n = int(rng.integers(0, 70))
        dtype = (np.float64, np.float32)[trial % 2]
        values = np.array([0.0, -0.0, 1.0, 2.5, -1.0, np.nan, np.inf, -np.inf, 0.3], dtype=dtype)
        score, mask = rng.choice(values, n).astype(dtype), rng.random(n) < 0.4
        keep = None if trial % 3 else rng.random(n) < 0.5
        alts = [(float(rng.choice([0.8, 0.25, 1.0, 0.0, -0.5])), rng.choice(values, n).astype(dtype),
                 rng.random(n) < 0.3) for _ in range(int(rng.integers(0, 5)))]
        want, want_matched = _masked_maximum(score, mask, alts, keep)
        got, matched = combine_alternatives(score, mask, alts, keep)
        assert got.dtype == want.dtype
        assert np.array_equal(got, want, equal_nan=True)
        assert np.array_equal(np.signbit(got), np.signbit(want))  # -0.0 where np.maximum gives it, too
        assert matched.tolist() == want_matched.tolist()


def test_understanding_weighs_one_evidence_as_corrections_and_as_guesses(vocab):
    """understand() scores a short query's co-occurrence candidates once for both uses: its guesses
    (suspect_known) are what cooccurrence_corrections(always=True) gives, query after query."""
    docs = read_corpus_lines("news.jsonl.gz", 12_000, 12_400)
    checked = guessed = 0
    for d in docs:
        words = [w for w in query_syllables(d["title"]) if w.isalpha()]
        for query in (words[:2], words[1:3], [words[0], words[-1]], words[:3]):
            if len(set(query)) < 2:
                continue
            text = " ".join(query)
            u = understand(parse_query(text), vocab.snapshot, suspect_known=0.3)  # type: ignore[arg-type]
            plain = [s for run in u.query.runs for s in run]
            if u.alternatives or any(not vocab.folded_frequency(fold_all(s)) for s in plain):
                continue
            assert u.cooccurring == cooccurrence_corrections(plain, vocab), text
            if not u.cooccurring and len(set(plain)) <= 3:
                assert u.suspected == cooccurrence_corrections(plain, vocab, always=True, weight=0.3), text
                guessed += bool(u.suspected)
            checked += 1
    assert checked > 500 and guessed > 20, (checked, guessed)


def test_kept_spellings_answer_as_worked_out(vocab):
    from vnsearch.lang.spelling import spellings
    from vnsearch.search.understand import _closest_marks, _forms, _with_marks_of
    for typed, folded in [("cá", "can"), ("tiấu", "giau"), ("htảm", "tham"), ("ỡ", "do"), ("kổ", "kho")]:
        worked_out = _closest_marks(typed, folded, vocab)
        assert _with_marks_of(typed, folded, vocab) == worked_out
        assert vocab.spelt[(typed, folded)] == worked_out
        assert _with_marks_of(typed, folded, vocab) == worked_out  # kept
    assert _with_marks_of("cá", "can", vocab) == "cán"
    assert _forms("tri") == tuple(spellings("tri"))
    assert _forms("gd") == ("gd", "gđ")


def test_sorted_terms_answer_as_a_set_of_them(monkeypatch):
    import random

    import vnsearch.search.vocabulary as vocabulary_module
    from vnsearch.search.vocabulary import SortedTerms
    rng = random.Random(17)
    letters = "abcdđeêghiklmnoôơpqrstuưvxyàáảãạăằắẳẵặâầấẩẫậ0123456789 -"
    terms = sorted({"".join(rng.choice(letters) for _ in range(rng.randint(1, 9))).strip() or "a"
                    for _ in range(3000)})
    head = "text_f\x00"
    keys = "".join(head + t for t in terms)
    probes = [*terms, "", "\x00", head, "text_f", "zzzz", terms[0] + "a", terms[-1] + "a",
              *("".join(rng.choice(letters) for _ in range(rng.randint(1, 6))) for _ in range(3000))]
    held = set(terms)
    bisecting = SortedTerms(keys, head)
    assert [p in bisecting for p in probes] == [p in held for p in probes]
    monkeypatch.setattr(vocabulary_module, "BISECTIONS_BEFORE_SET", 10)
    switching = SortedTerms(keys, head)  # a set of the terms after ten lookups
    assert [p in switching for p in probes] == [p in held for p in probes]
    assert switching._set == held
    assert "ab" in SortedTerms(head + "ab", head) and "a" not in SortedTerms(head + "ab", head)


def test_what_a_vocabulary_keeps_answers_as_worked_out(vocab):
    """The per-snapshot memos of reading a query (candidates, unknown syllables, held spellings, a word's
    co-occurrence spellings) give what working each out again gives."""
    from vnsearch.search.understand import (
        COOCCURRENCE_CANDIDATES,
        _expansions,
        _forms,
        _held_forms,
        _spelt,
        _unknown,
        _unknown_in,
    )
    words = ["ca", "cá", "tiền", "nguoi", "chinh", "xqz", "24g", "đảng", "thoi", "s"]
    for w in words:
        f = fold_all(w)
        for edits, limit in ((1, COOCCURRENCE_CANDIDATES), (max_edits(len(f), vocab.tolerance), 100)):
            fresh = vocab._candidates_of(f, edits, limit)
            assert vocab.candidates(f, edits, limit) == fresh
            assert vocab.candidates(f, edits, limit) == fresh  # kept
        assert _unknown(w, vocab) == _unknown_in(w, vocab) and vocab.unknown[w] == _unknown_in(w, vocab)
        held = [(s, vocab.exact_frequency(s)) for s in _forms(f) if vocab.exact_frequency(s)]
        assert [(s, df) for s, df, _, _ in _held_forms(f, vocab)] == held
        for accented in (False, True):
            worked = []
            for cand in vocab._candidates_of(f, 1, COOCCURRENCE_CANDIDATES):
                if cand.distance == 0 or (len(f) <= 2 and f.isalpha() and f.isascii()
                                          and not any(c in "aeiouy" for c in f) and len(cand.word) <= len(f)):
                    continue
                worked += [(cand, replacement, held.tolist())
                           for replacement, held in _spelt(w, cand.word, vocab, accented or w != f)]
            kept = _expansions(w, accented, vocab)
            assert [(c, r, vocab.docs(field, term).tolist()) for c, r, field, term, _, _ in kept] == worked
            assert all(fr == fold_all(r) for _, r, _, _, fr, _ in kept)
