"""The typo index makes a length's deletions on the first lookup that can reach it, with the same answers.

A slip on a syllable of four letters reaches words of three to five: the long
words' deletions (two edits each, most of the work on a large index) wait for
a lookup that needs them. The answers are those of an index made whole.
"""

from __future__ import annotations

import random
import threading

from vnsearch.lang.typos import TypoIndex, edit_distance

VOCABULARY = [("nghiep", 100), ("nghe", 90), ("khoi", 60), ("hieu", 40), ("fortuner", 3), ("fortune", 5),
              ("truy", 30), ("trot", 12), ("trua", 20), ("tru", 8), ("truong", 70), ("thuong", 50),
              ("internationale", 2), ("international", 9), ("ca", 99), ("can", 80), ("cam", 40)]
TYPED = ["trut", "nghiepp", "fortnue", "internatoinal", "cna", "c", "khoii", "thuongg", "hiue", "xyz"]


def _answers(ix: TypoIndex, typed: list[str]) -> list[list[tuple[str, int, int, float]]]:
    return [[(c.word, c.distance, c.frequency, c.weight) for c in ix.candidates(t, edits=e, limit=100)]
            for t in typed for e in (None, 0, 1, 2)]


def test_a_short_lookup_leaves_the_long_words_for_later() -> None:
    ix = TypoIndex(VOCABULARY)
    ix.candidates("trut", edits=1)
    # Deleting two letters of "international" ("intertional") is made only when a lookup can reach it.
    assert "intertional" not in ix._deletes
    ix.candidates("internatoinal")
    assert "intertional" in ix._deletes


def test_lookups_in_any_order_answer_as_an_index_made_whole() -> None:
    first = _answers(TypoIndex(VOCABULARY), TYPED)
    whole = TypoIndex(VOCABULARY)
    whole._reach(0, whole.max_length)
    assert _answers(whole, TYPED) == first
    # Reversed order: each answer the same as in the first order.
    ix = TypoIndex(VOCABULARY)
    got = {t: _answers(ix, [t]) for t in reversed(TYPED)}
    assert [a for t in TYPED for a in got[t]] == first


def test_threads_looking_up_at_once_see_every_deletion() -> None:
    ix = TypoIndex(VOCABULARY)
    expected = _answers(TypoIndex(VOCABULARY), TYPED)
    results: list[list[list[tuple[str, int, int, float]]]] = []

    def look() -> None:
        results.append(_answers(ix, TYPED))

    threads = [threading.Thread(target=look) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert results == [expected] * 4


def test_one_edit_lookups_find_exactly_the_words_one_edit_away() -> None:
    """The neighbours looked up directly give what a scan of the vocabulary by edit distance gives."""
    rng = random.Random(7)
    letters = "abcdeghiklmnopqrstuvxy"
    words = {"".join(rng.choice(letters) for _ in range(rng.randint(1, 7))) for _ in range(3000)}
    vocabulary = [(w, 1 + rng.randrange(50)) for w in sorted(words)]
    ix = TypoIndex(vocabulary)
    frequency = dict(vocabulary)
    typed = [w[:i] + c + w[i + 1:] for w in rng.sample(sorted(words), 300)
             for i, c in [(rng.randrange(len(w)), rng.choice(letters + "fjwz"))]]
    typed += ["ab", "ba", "aab", "x", "zzzz", "qwerty"] + rng.sample(sorted(words), 50)
    for t in typed:
        if not t.isalpha():
            continue
        got = {c.word: c.distance for c in ix.candidates(t, edits=1, limit=10_000)}
        scanned = {w: d for w in frequency if (d := edit_distance(t, w, 1)) <= 1}
        assert got == scanned, t
    assert ix._deletes == {}  # one-edit lookups never make the deletions


def test_pair_counts_are_the_dict_of_pairs_side_by_side_within_each_word() -> None:
    """The numpy pair table counts what a dict filled pair by pair counts, as spelt and folded."""
    from vnsearch.lang.text import fold_all
    from vnsearch.search.vocabulary import PairCounts

    rng = random.Random(5)
    syllables = ["khởi", "khơi", "nghiệp", "nghiep", "đà", "da", "nẵng", "hà", "nội", "nổi", "trí", "tuệ", "x"]
    words = [" ".join(rng.choice(syllables) for _ in range(rng.randint(2, 5))) for _ in range(400)]
    words += ["hà nội hà nội", "đà nẵng"]
    exact: dict[tuple[str, str], int] = {}
    folded: dict[tuple[str, str], int] = {}
    for word in words:
        parts = word.split(" ")
        for a, b in zip(parts, parts[1:]):
            exact[(a, b)] = exact.get((a, b), 0) + 1
            key = (fold_all(a), fold_all(b))
            folded[key] = folded.get(key, 0) + 1
    got_exact, got_folded = PairCounts.of_words(words)
    assert dict(got_exact.items()) == exact and dict(got_folded.items()) == folded
    assert got_exact.get(("hà", "nội")) == exact[("hà", "nội")] and got_folded.get(("kho", "x")) == 0
    assert got_exact.get(("nội", "\n")) == 0 and len(got_folded) == len(folded)
    empty_exact, empty_folded = PairCounts.of_words([])
    assert len(empty_exact) == 0 and empty_folded.get(("a", "b"), 7) == 7
