"""What ranking reads: each list once a query, none the snapshot holds nowhere, and sparse tiers scoring as dense.

Why: a query looks up hundreds of spellings (other tones, held spellings,
words), most held by no article; the query reader and the ranker ask for
many of the same lists. These tests pin that the reads are cut without a
change in any score: the tiers added where held give, bit for bit, what
the dense arrays gave.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.conftest import read_corpus_lines
from vnsearch import SearchEngine
from vnsearch.lang.spelling import tone_variants
from vnsearch.lang.text import fold_all, fold_tone, has_diacritics
from vnsearch.search.ranking import Ranker
from vnsearch.search.scoring import held_spellings
from vnsearch.store.snapshot import Snapshot

QUERIES = ["giá vàng", "ha noi", "Hà Nội", "bóng đá việt nam", "kinh te", "chính phủ yêu cầu",
           "học sinh thi tốt nghiệp?", "thủ tướng", "giá xăng dầu tăng", "ngân hàng nhà nước",
           "cảnh sát giao thông xử phạt", "gia vang tang", "tai nan giao thong", "thanh phoo",
           "bóng đáa", "ngân hànng", "chủ tịchh nước"]


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Any:
    articles = read_corpus_lines("news.jsonl.gz", 0, 400)
    path: Path = tmp_path_factory.mktemp("reads") / "ix"
    eng = SearchEngine(path)
    eng.add_articles(articles, jobs=1)
    yield eng
    eng.close()


def _counting(monkeypatch: pytest.MonkeyPatch) -> tuple[Counter[tuple[str, str]], list[int]]:
    reads: Counter[tuple[str, str]] = Counter()
    sizes: list[int] = []
    real = Snapshot.postings

    def postings(self: Snapshot, fieldname: str, term: str) -> Any:
        got = real(self, fieldname, term)
        reads[(fieldname, term)] += 1
        if fieldname in ("text", "text_f", "title_f"):
            sizes.append(len(got.docs))
        return got

    monkeypatch.setattr(Snapshot, "postings", postings)
    return reads, sizes


def test_a_query_reads_each_list_once_and_no_absent_one(engine: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The query reader's lists and the ranker's come from one cache; a term held nowhere is not read."""
    reads, sizes = _counting(monkeypatch)
    for q in QUERIES:
        with engine._reading() as view:  # a fresh ranker cache per query: what one query reads
            view.ranker._cache.clear()
        reads.clear()
        engine.search(q, limit=10)
        assert reads, q
        twice = [key for key, n in reads.items() if n > 1]
        assert not twice, (q, twice)
    assert sizes and all(sizes), "a list of a term the snapshot holds nowhere was read"


def _dense_syllable(r: Ranker, syllable: str, accented_query: bool) -> np.ndarray:
    """The dense tiers as :meth:`Ranker.syllable` added them before they were made sparse (the reference)."""
    p = r.params

    def score(fieldname: str, term: str) -> np.ndarray:
        post = r.snapshot.postings(fieldname, term)
        out = np.zeros(r.size, dtype=np.float32)
        df = r.stats.df(fieldname, term, len(post.docs))
        idf = r.idf(df) if df else 0.0
        if len(post.docs):
            tf = post.freqs * r._norm(fieldname)[post.docs]
            out[post.docs] = idf * tf / (p.k1 + tf)
        return out

    folded = fold_all(syllable)
    score_f = score("text_f", folded)
    if p.title_weight:
        score_f = score_f + p.title_weight * score("title_f", folded)
    if not has_diacritics(syllable) and not (accented_query and p.unmarked_exact and folded.isalpha()):
        if p.forms_weight and folded.isalpha():
            total = np.zeros(r.size, dtype=np.float32)
            common = max(p.forms_max_share * r.doc_count, 100)
            for form, df in held_spellings(r, folded):
                if df <= common:
                    total += score("text", form)
            score_f = score_f + p.forms_weight * total
        return score_f
    out = score("text", syllable) + p.folded_weight * score_f
    if p.tone_weight:
        tf = np.zeros(r.size, dtype=np.float32)
        for variant in tone_variants(syllable):
            if variant == syllable:
                continue
            post = r.snapshot.postings("text", variant)
            if len(post.docs):
                weight = p.level_tone_weight if variant == fold_tone(syllable) else 1.0
                tf[post.docs] += weight * post.freqs * r._norm("text")[post.docs]
        held = int(np.count_nonzero(tf))
        if held:
            tf = r.idf(r.stats.other_tones(syllable, held)) * tf / (p.k1 + tf)
        out += p.tone_weight * tf
    return out


@pytest.mark.parametrize("accented_query", [False, True])
def test_sparse_tiers_score_as_the_dense_ones(engine: Any, accented_query: bool) -> None:
    with engine._reading() as view:
        r = view.ranker
        for s in ["giá", "gia", "vàng", "vang", "hà", "ha", "nội", "noi", "người", "nguoi", "của", "bàn", "ban",
                  "thủ", "tướng", "xyzq", "đáa", "a", "o"]:
            got = r.syllable(s, accented_query).score
            want = _dense_syllable(r, s, accented_query)
            assert got.dtype == want.dtype == np.float32
            assert got.tobytes() == want.tobytes(), s
