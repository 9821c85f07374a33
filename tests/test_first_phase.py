"""``Ranker.first_phase`` reports each group as it sums it, and bench/pruning.py counts what pruning would read.

The pruning benchmark measures on the ranker's own first phase (no replica to
drift from it): the groups it is told of must add up to the very scores
``rank`` ranks by, and its counting of blocks and bounds must be right for
its figures to mean anything.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from vnsearch import SearchEngine
from vnsearch.search.query import parse_query

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import pruning

ARTICLES = [
    ("Bàn ghế gỗ quý", "Bán bàn ghế gỗ cũ ở Hà Nội.", "Cửa hàng bàn ghế gỗ ở Hà Nội giảm giá."),
    ("Ban nhạc trẻ", "Ban nhạc biểu diễn ở Hà Nội.", "Ban nhạc trẻ ghi bàn thắng trong lòng khán giả."),
    ("Hoà bình", "Hòa bình và bàn bạc ở Hà Nội.", "Các bên bàn bạc về hòa bình lâu dài."),
    ("Tin tức trong ngày", "Bạn bè gặp nhau bàn chuyện.", "Bạn bè gặp nhau ở quán cà phê bàn chuyện gỗ quý."),
    ("Bàn thắng đẹp", "Cầu thủ ghi bàn thắng đẹp.", "Cầu thủ trẻ ghi bàn thắng đẹp nhất mùa giải."),
    ("Gỗ quý bán chạy", "Gỗ quý ở Hà Nội bán chạy.", "Thị trường gỗ quý ở Hà Nội sôi động cuối năm."),
    ("Giá vàng hôm nay", "Giá vàng tăng mạnh.", "Giá vàng trong nước tăng theo giá thế giới."),
    ("Thời tiết Hà Nội", "Hà Nội có mưa rào.", "Hà Nội có mưa rào và dông vào chiều tối."),
]
QUERIES = ["bàn ghế gỗ Hà Nội", "ban go ha noi", "ai bán gỗ quý?", '"bàn thắng" cầu thủ', "giá vàng -mưa"]


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("first-phase") / "idx"
    engine = SearchEngine(path)
    engine.add_articles([{"id": f"a{i}", "title": t, "lead": lead, "body": body}
                         for i, (t, lead, body) in enumerate(ARTICLES)])
    engine.close()
    return path


@pytest.mark.parametrize("text", QUERIES)
def test_the_groups_observed_add_up_to_the_scores_ranked(index: Path, text: str) -> None:
    engine = SearchEngine(index, create=False)
    try:
        with engine._reading() as view:
            ranker = view.ranker
            parsed = parse_query(text)
            seen: list[tuple[np.ndarray, np.ndarray, float]] = []
            question = text.endswith("?")
            phase = ranker.first_phase(parsed, ranker.allowed(parsed), ranker.params, question, None,
                                       lambda score, cover, idf: seen.append((score.copy(), cover.copy(), idf)))
            groups, bonuses = seen[: len(parsed.groups)], seen[len(parsed.groups):]  # groups first, then bonuses
            assert all(idf == 0.0 for _, _, idf in bonuses)
            summed = np.zeros(ranker.size, dtype=np.float32)
            for score, _, _ in seen:
                summed += score  # in the order observed: the same float32 additions
            assert np.array_equal(summed.view(np.int32), phase.base.view(np.int32))
            held = np.logical_or.reduce([cover for _, cover, _ in groups])
            assert np.array_equal(phase.candidates, np.flatnonzero(phase.allowed & held))
            window = ranker.rank(parsed, limit=10, shard=True)
            scores = dict(zip(phase.candidates.tolist(), phase.scores().tolist()))
            assert window.first is not None and window.docs.size
            assert [scores[d] for d in window.docs.tolist()] == window.first.tolist()
    finally:
        engine.close()


def test_blocks_read_counts_the_blocks_whose_range_holds_a_probe() -> None:
    rng = np.random.default_rng(7)
    for _ in range(200):
        holders = np.unique(rng.integers(0, 500, rng.integers(1, 120)))
        probes = np.unique(rng.integers(0, 500, rng.integers(0, 40)))
        block = int(rng.integers(1, 16))
        want = 0
        for b in range(0, holders.size, block):
            first, last = holders[b], holders[min(b + block, holders.size) - 1]
            if ((probes >= first) & (probes <= last)).any():
                want += min(block, holders.size - b)
        assert pruning.blocks_read(holders, probes, block) == want


def _phase(groups: list[tuple[np.ndarray, float, float]], size: int) -> pruning.ObservedPhase:
    """A first phase of groups (documents, their score, idf), each document's score as rank would sum it."""
    scores, holders, idfs = [], [], []
    covered = np.zeros(size)
    base = np.zeros(size, dtype=np.float32)
    for docs, value, idf in groups:
        score = np.zeros(size, dtype=np.float32)
        score[docs] = value
        scores.append(score)
        holders.append(docs)
        idfs.append(idf)
        covered[docs] += idf
        base += score
    coverage = covered / sum(idfs)
    candidates = np.flatnonzero(covered > 0)
    final = base[candidates] * coverage[candidates] ** 0.3
    return pruning.ObservedPhase(scores, holders, idfs, sum(idfs), candidates, final, None, 2.0,
                              coverage[candidates])


def test_maxscore_reads_a_common_group_only_where_the_rare_ones_are() -> None:
    common = np.arange(1000)
    rare = np.array([5, 640])
    fp = _phase([(common, 0.5, 0.1), (rare, 9.0, 5.0)], 1000)
    theta = pruning.window_floor(fp.final, 2)  # the two holders of the rare group
    assert theta > 0.5
    read = pruning.maxscore_read(fp, theta, 0.3, 100)
    assert read == rare.size + 2 * 100  # the rare list, and the two blocks of the common one it falls in
    assert pruning.maxscore_read(fp, 0.0, 0.3, 100) == common.size + rare.size  # θ 0: everything


def test_measure_checks_itself_against_rank(index: Path) -> None:
    docs = [{"title": t, "sapo": lead, "body": body} for t, lead, body in ARTICLES]
    per_kind = pruning.measure(index, docs, 20, 0, 4, [2], [0.3])
    rows = [r for rs in per_kind.values() for r in rs]
    assert rows
    for r in rows:
        assert 0 < r["postings"]
        assert r["maxscore"] <= r["postings"] and r["block_bound"] <= r["postings"]
        assert r["coverage0.3"] <= r["postings"]
        assert r["block_bound_docs"] <= r["matching"]
