"""A longer page of the same ranking is read further, not scored again.

Folding near-copies (the default) and "related articles" ask for more
documents when copies eat the page. Within the re-rank window the longer
page must be exactly what ranking again with the larger limit gives (ids,
order, scores, ties by id), and no second scoring may happen; past the
window, where a longer page would be ranked differently, it is ranked again.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from vnsearch import SearchEngine
from vnsearch.ingest.articles import Article
from vnsearch.search.query import parse_query
from vnsearch.search.ranking import Ranker, RankParams

STORY = ("Bão số 9 đổ bộ vào miền Trung, gây mưa lớn ở Quảng Nam và Đà Nẵng. "
         "Hàng nghìn hộ dân được sơ tán khỏi vùng ven biển trước khi bão vào bờ.")
COPIES = 40  # more than the first fetch of a 10-hit page ((0 + 10) × 2 + 20 = 40, plus others)


def _articles() -> list[Article]:
    docs = [Article(id=f"copy{i:02d}", title="Bão số 9 đổ bộ miền Trung", body=STORY) for i in range(COPIES)]
    docs += [Article(id=f"other{i:02d}", title=f"Tin bão số {i} trên biển Đông",
                     body=f"Áp thấp nhiệt đới số {i} mạnh lên thành bão, gió giật cấp {i % 12}.")
             for i in range(30)]
    return docs


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchEngine]:
    eng = SearchEngine(Path(tmp_path_factory.mktemp("more")) / "ix")
    eng.add_articles(_articles(), jobs=1)
    yield eng
    eng.close()


@pytest.mark.parametrize("sort", ["relevance", "newest"])
def test_extended_is_the_ranking_of_the_longer_page(engine: SearchEngine, sort: str) -> None:
    with engine._reading() as view:
        ranker = view.ranker
        query = parse_query("bão đổ bộ miền trung")
        first = ranker.rank(query, limit=12, sort=sort)
        for n in (12, 30, 60, 70):
            longer = first.extended(n)
            again = ranker.rank(query, limit=n, sort=sort)
            assert longer is not None
            assert longer.docs.tolist() == again.docs.tolist()
            assert longer.scores.tobytes() == again.scores.tobytes()
            assert (longer.total, longer.matched) == (again.total, again.matched)


def test_past_the_rerank_window_it_is_ranked_again(engine: SearchEngine) -> None:
    with engine._reading() as view:
        ranker = Ranker(view.snapshot, RankParams(rerank=20))
        query = parse_query("bão")
        first = ranker.rank(query, limit=10)
        assert first.extended(20) is not None  # still the same window of 20
        assert first.extended(21) is None  # a window of 21 would re-rank by proximity differently


def test_folding_copies_scores_once(engine: SearchEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    original = Ranker.rank

    def counting(self: Ranker, *args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs.get("limit", 10))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Ranker, "rank", counting)
    got = engine.search("bão đổ bộ miền trung", limit=10)
    monkeypatch.undo()
    plain = engine.search("bão đổ bộ miền trung", limit=COPIES + 30, collapse=False)
    # The copies fold into one hit, the other stories follow; one scoring, though the first fetch was all copies.
    assert len(calls) == 1
    assert got[0].id == "copy00" and len(got[0].similar_ids) == COPIES - 1
    assert [h.id for h in got[1:]] == [h.id for h in plain if not h.id.startswith("copy")][:9]
    assert np.isfinite([h.score for h in got]).all()


def test_equal_articles_score_alike(engine: SearchEngine) -> None:
    # Forty copies hold every query word in their titles: more than the title step reads
    # (title_info_depth, 30). Those tied with the thirtieth are read too, so no copy scores apart.
    with engine._reading() as view:
        ranking = view.ranker.rank(parse_query("bão đổ bộ miền trung"), limit=COPIES)
        ids = [view.snapshot.stored(int(d))["id"] for d in ranking.docs]
        assert ids == [f"copy{i:02d}" for i in range(COPIES)]  # ties in id order
        assert len(set(ranking.scores.tolist())) == 1
