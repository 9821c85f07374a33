"""A list's BM25 weights are kept between queries: the same bits as worked out afresh, never changed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vnsearch import SearchEngine
from vnsearch.search.scoring import bm25

TEXTS = [("Bàn ghế gỗ", "Bán bàn ghế gỗ cũ ở Hà Nội."), ("Ban nhạc trẻ", "Ban nhạc biểu diễn bàn thắng."),
         ("Hoà bình", "Hòa bình và bàn bạc ở Hà Nội."), ("Tin tức", "Bạn bè gặp nhau bàn chuyện."),
         ("Bàn thắng", "Cầu thủ ghi bàn thắng đẹp."), ("Gỗ quý", "Gỗ quý ở Hà Nội bán chạy.")]


def _engine(tmp_path: Path) -> SearchEngine:
    engine = SearchEngine(tmp_path / "idx")
    engine.add_articles([{"id": f"a{i}", "title": t, "body": b} for i, (t, b) in enumerate(TEXTS)])
    return engine


def _fresh_weights(ranker, fieldname: str, term: str) -> np.ndarray:  # type: ignore[no-untyped-def]
    p = ranker.postings(fieldname, term)
    return bm25(p.freqs, ranker._norm(fieldname)[p.docs], ranker._idf_of(fieldname, term, p), ranker.params.k1)


@pytest.mark.parametrize("fieldname, term", [("text", "bàn"), ("text_f", "ban"), ("text_f", "ha"),
                                             ("title_f", "ban"), ("text", "gỗ"), ("text_f", "go")])
def test_kept_weights_are_the_weights_worked_out_afresh(tmp_path: Path, fieldname: str, term: str) -> None:
    engine = _engine(tmp_path)
    with engine._reading() as view:
        ranker = view.ranker
        docs, first, idf, _ = ranker._weights(fieldname, term)
        again = ranker._weights(fieldname, term)[1]
        assert again is first  # kept
        assert not first.flags.writeable  # shared by later queries: nobody may add into it
        want = _fresh_weights(ranker, fieldname, term)
        assert np.array_equal(first.view(np.int32), want.view(np.int32))  # to the bit
        with pytest.raises(ValueError):
            first += 1


def test_a_list_held_by_most_documents_keeps_the_weights_of_the_dense_sum(tmp_path: Path) -> None:
    """``_score`` works out a list held by most documents over the whole corpus; the weights it keeps are
    its documents' values of that sum, and the next query's score (from the kept weights) is the same."""
    engine = _engine(tmp_path)
    with engine._reading() as view:
        ranker = view.ranker
        p = ranker.postings("text_f", "ban")
        assert len(p.docs) * 2 >= ranker.size  # the dense path
        dense, mask, idf, _ = ranker._score("text_f", "ban")
        kept = ranker._bm25.keys()
        assert ("text_f", "ban") in kept
        again, mask2, idf2, _ = ranker._score("text_f", "ban")  # from the kept weights
        assert np.array_equal(dense.view(np.int32), again.view(np.int32)) and np.array_equal(mask, mask2)
        assert idf == idf2
        assert np.array_equal(ranker._weights("text_f", "ban")[1].view(np.int32),
                              _fresh_weights(ranker, "text_f", "ban").view(np.int32))


def test_searches_give_the_same_hits_and_scores_with_weights_kept_or_not(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    queries = ["bàn ghế", "ban", "hà nội", "gỗ quý bán", '"bàn thắng"', "hoa binh", "bạn bè bàn"]
    first = [[(h.id, h.score) for h in engine.search(q)] for q in queries]
    again = [[(h.id, h.score) for h in engine.search(q)] for q in queries]  # the weights kept now
    with engine._reading() as view:
        assert len(view.ranker._bm25) > 0
        view.ranker._bm25.clear()
    fresh = [[(h.id, h.score) for h in engine.search(q)] for q in queries]
    assert first == again == fresh


@pytest.mark.parametrize("syllable", ["bàn", "bán", "hòa", "gỗ"])
def test_a_kept_tone_tier_is_the_tier_worked_out_afresh(tmp_path: Path, syllable: str) -> None:
    """A syllable's other tones summed are kept (read-only) and are, to the bit, the sum worked out again."""
    engine = _engine(tmp_path)
    with engine._reading() as view:
        ranker = view.ranker
        docs, values = ranker._tone_tier(syllable)
        assert ranker._tone_tier(syllable)[1] is values  # kept
        assert not docs.flags.writeable and not values.flags.writeable
        want_docs, want_values = ranker._tones_summed(syllable)
        assert np.array_equal(docs, want_docs)
        assert np.array_equal(values.view(np.int32), want_values.view(np.int32))
        if syllable == "bàn":
            assert docs.size  # bán, ban, bạn are held: the tier is not empty


@pytest.mark.parametrize("folded", ["ban", "hoa", "go"])
def test_kept_spellings_of_an_accentless_syllable_are_their_sum_worked_out_afresh(tmp_path: Path,
                                                                                  folded: str) -> None:
    engine = _engine(tmp_path)
    with engine._reading() as view:
        ranker = view.ranker
        docs, values = ranker._forms(folded)
        assert ranker._forms(folded)[1] is values
        ranker._tiers.clear()
        again_docs, again_values = ranker._forms(folded)
        assert again_values is not values
        assert np.array_equal(docs, again_docs) and docs.size
        assert np.array_equal(values.view(np.int32), again_values.view(np.int32))


def test_searches_give_the_same_hits_and_scores_with_tiers_kept_or_not(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    queries = ["bàn ghế", "ban", "hoà bình", "bán gỗ", "bạn bè bàn", "ban nhac"]
    first = [[(h.id, h.score) for h in engine.search(q)] for q in queries]
    with engine._reading() as view:
        assert len(view.ranker._tiers) > 0
    again = [[(h.id, h.score) for h in engine.search(q)] for q in queries]
    with engine._reading() as view:
        view.ranker._tiers.clear()
    fresh = [[(h.id, h.score) for h in engine.search(q)] for q in queries]
    assert first == again == fresh
