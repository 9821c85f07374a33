"""The scorer's batched arithmetic gives, bit for bit, what the step-by-step forms gave."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vnsearch import SearchEngine
from vnsearch.lang.spelling import tone_variants
from vnsearch.lang.text import fold_tone
from vnsearch.search.ranking import CoveredWeight
from vnsearch.search.scoring import _merged, _summed, _union, bm25
from vnsearch.store.format import pack_impacts, unpack_impacts


def _unions_one_by_one(parts: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """The merge as it was written before: a union of the doc numbers, then each part added in turn."""
    docs = _union([d for d, _ in parts])
    total = np.zeros(docs.size, dtype=np.float32)
    for d, values in parts:
        total[np.searchsorted(docs, d)] += values
    return docs, total


def _random_parts(rng: np.random.Generator, count: int, universe: int) -> list[tuple[np.ndarray, np.ndarray]]:
    parts = []
    for _ in range(count):
        n = int(rng.integers(0, min(universe, 60)))
        docs = np.sort(rng.choice(universe, size=n, replace=False)).astype(np.int64)
        # Values spread over magnitudes, so the order of float32 additions shows in the last bits.
        values = (rng.random(n) * 10.0 ** rng.integers(-3, 4, size=n)).astype(np.float32)
        parts.append((docs, values))
    return parts


@pytest.mark.parametrize("seed", range(40))
def test_merged_equals_unions_one_by_one(seed: int) -> None:
    rng = np.random.default_rng(seed)
    parts = _random_parts(rng, int(rng.integers(2, 12)), int(rng.integers(1, 400)))
    want_docs, want = _unions_one_by_one(parts)
    docs, total = _merged(parts)
    assert docs.dtype == want_docs.dtype and total.dtype == np.float32
    assert np.array_equal(docs, want_docs)
    assert np.array_equal(total.view(np.int32), want.view(np.int32))  # to the bit


def test_merged_of_empty_parts_and_float64_parts() -> None:
    empty = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32))
    docs, total = _merged([empty, empty])
    assert docs.size == 0 and total.size == 0 and total.dtype == np.float32
    assert _summed([], 100)[0].size == 0
    # An old segment's float64 values: numpy promotes each sum, as the part-by-part merge did.
    rng = np.random.default_rng(7)
    parts = _random_parts(rng, 4, 200)
    parts[1] = (parts[1][0], parts[1][1].astype(np.float64) * 1.000000001)
    want_docs, want = _unions_one_by_one(parts)
    docs, total = _merged(parts)
    assert np.array_equal(docs, want_docs) and np.array_equal(total, want)


@pytest.mark.parametrize("seed", range(10))
def test_summed_sparse_and_dense_agree(seed: int) -> None:
    """The two ways of summing (merged, dense) hold the same sums for every document with a nonzero one."""
    rng = np.random.default_rng(100 + seed)
    parts = _random_parts(rng, int(rng.integers(2, 8)), 300)
    sparse_docs, sparse = _summed(parts, 10**9)  # few postings for so many documents: merged
    dense_docs, dense = _summed(parts, 300)  # many: a dense array
    keep = sparse != 0
    assert np.array_equal(sparse_docs[keep], dense_docs)
    assert np.array_equal(sparse[keep].view(np.int32), dense.view(np.int32))


@pytest.mark.parametrize("seed", range(10))
def test_bm25_equals_the_expression_written_out(seed: int) -> None:
    rng = np.random.default_rng(200 + seed)
    n = int(rng.integers(0, 5000))
    freqs = rng.integers(1, 40, size=n).astype(np.float32) / np.float32(2)
    norms = (rng.random(n) * 2 + 0.2).astype(np.float32)
    idf = float(rng.random() * 9)
    k1 = 1.2
    tf = freqs * norms
    want = (idf * tf / (k1 + tf)).astype(np.float32, copy=False)
    got = bm25(freqs, norms, idf, k1)
    assert got.dtype == np.float32 and np.array_equal(got.view(np.int32), want.view(np.int32))
    wide = freqs.astype(np.float64) * 1.0000001  # an old segment's float64 weights
    tf = wide * norms
    want = (idf * tf / (k1 + tf)).astype(np.float32, copy=False)
    assert np.array_equal(bm25(wide, norms, idf, k1), want)


def test_other_tones_are_the_held_tones_but_the_typed_one(tmp_path: Path) -> None:
    docs = [{"id": f"a{i}", "title": t, "body": b}
            for i, (t, b) in enumerate([("bàn ghế", "bán hàng"), ("bạn bè", "ban nhạc"), ("tin tức", "hoà bình"),
                                        ("hòa giải", "bàn thắng")])]
    engine = SearchEngine(tmp_path / "idx")
    engine.add_articles(docs)
    with engine._reading() as view:
        ranker = view.ranker
        for syllable in ("bàn", "ban", "bản", "hoà", "hòa", "hoa", "xyz", "tức"):
            level = fold_tone(syllable)
            want = [(v, ranker.params.level_tone_weight if v == level else 1.0) for v in tone_variants(syllable)
                    if v != syllable and ranker.postings("text", v).docs.size]
            assert ranker._other_tones(syllable) == want, syllable
            assert ranker._other_tones(syllable) is ranker._other_tones(syllable)  # remembered
        assert [v for v, _ in ranker._other_tones("bàn")] == ["ban", "bán", "bạn"]


def test_halves_read_back_as_they_were_divided() -> None:
    """Weights stored as halves (one byte each) are multiplied by 0.5: the quotient by 2 for every byte."""
    raw = np.arange(256, dtype=np.uint8)
    by_half = np.multiply(raw, np.float32(0.5), dtype=np.float32)
    assert np.array_equal(by_half.view(np.int32), (raw.astype(np.float32) / np.float32(2)).view(np.int32))
    ids = np.arange(0, 600, 3, dtype=np.int64)
    weights = (np.arange(ids.size) % 256 / 2).astype(np.float32)
    flags, data = pack_impacts(ids, weights)
    got_ids, got = unpack_impacts(data, flags, ids.size)
    assert flags >> 2 & 3 == 1  # written as halves
    assert np.array_equal(got_ids, ids) and got.dtype == np.float32 and np.array_equal(got, weights)


@pytest.mark.parametrize("seed", range(30))
def test_covered_weight_equals_the_sums_group_by_group(seed: int) -> None:
    """The table of every combination of groups gives each document the float32 total the sums gave."""
    rng = np.random.default_rng(300 + seed)
    size = int(rng.integers(0, 3000))
    groups = int(rng.integers(0, 14))  # past CoveredWeight.TABLE_GROUPS too
    want = np.zeros(size, dtype=np.float32)
    got = CoveredWeight(size)
    for _ in range(groups):
        idf = float(rng.random() * 12) * (0.2 if rng.random() < 0.2 else 1.0)  # a question word's idf
        mask = rng.random(size) < rng.random()
        want += idf * mask
        got.add(idf, mask)
    total = got.total()
    assert total.dtype == np.float32 and np.array_equal(total.view(np.int32), want.view(np.int32))
