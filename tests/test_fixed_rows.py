"""A fixed-width column read as rows of one array: the same bytes as Whoosh's reader gives value by value.

Why: folding near-copies reads the MinHash signatures of 40 to 160 ranked
documents a query (``Snapshot.fixed_rows``); read one by one through
Whoosh's readers they cost more than comparing them. These tests pin that
the rows are, document for document, the column's values: across segments,
deletions and merges, on a sharded index and on indexes of older formats,
and that collapsing by the rows folds the same copies.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from vnsearch import SearchEngine
from vnsearch.store.format import SIGNATURE_BYTES
from vnsearch.store.snapshot import Snapshot

FIXTURES = Path(__file__).resolve().parent / "fixtures"
BODY = ("Bão số 9 đổ bộ vào miền Trung, gió giật cấp 12, hàng nghìn ngôi nhà bị tốc mái, nhiều tuyến đường "
        "ngập sâu và hàng chục nghìn hộ dân phải sơ tán khẩn cấp trong đêm. {}")


def articles(prefix: str, n: int) -> list[dict[str, str]]:
    # every third a near-copy of the story; the rest stories of their own
    return [{"id": f"{prefix}-{i:02d}", "title": f"Tin {prefix} {i}",
             "body": BODY.format("") if i % 3 == 0 else f"Bài {prefix} số {i} về giá vàng {i * 7} và chứng khoán {i}."}
            for i in range(n)]


def same_as_values(snap: Any, docs: list[int]) -> np.ndarray:
    rows = snap.fixed_rows("minhash", docs)
    assert rows is not None and rows.shape == (len(docs), SIGNATURE_BYTES) and rows.dtype == np.uint8
    column = snap.column("minhash")
    assert [bytes(r) for r in rows] == [bytes(v) for v in column.values(docs)]
    return rows


def test_rows_are_the_columns_values_across_segments_deletions_and_merges(tmp_path: Path) -> None:
    with SearchEngine(tmp_path / "ix") as engine:
        engine.add_articles(articles("a", 10), jobs=1)
        engine.add_articles(articles("b", 7), jobs=1)
        engine.delete(["a-04", "b-01"])
        engine.add_articles(articles("c", 3), jobs=1)
        with engine._reading() as view:
            snap = view.snapshot
            assert len(snap.segments) > 1
            docs = list(snap.live_docs())
            rows = same_as_values(snap, docs)
            assert rows.any(axis=1).all()  # every article has a signature
            same_as_values(snap, docs[::-1] + docs[:3])  # any order, repeats
            assert snap.fixed_rows("minhash", []).shape == (0, SIGNATURE_BYTES)
            assert snap.fixed_rows("title", docs[:2]) is None  # not a fixed-width column
            assert snap.fixed_rows("no such field", docs[:2]) is None
        engine.merge()
        with engine._reading() as view:
            same_as_values(view.snapshot, list(view.snapshot.live_docs()))


def test_a_sharded_index_reads_them_per_shard(tmp_path: Path) -> None:
    with SearchEngine(tmp_path / "ix", shards=3) as engine:
        engine.add_articles(articles("s", 14), jobs=1)
        with engine._reading() as view:
            docs = list(view.snapshot.live_docs())
            same_as_values(view.snapshot, docs)
            same_as_values(view.snapshot, docs[::-1])


@pytest.mark.parametrize("version", ["v7", "v8", "v11", "v12"])
def test_older_formats_read_the_same(tmp_path: Path, version: str) -> None:
    path = tmp_path / version
    shutil.copytree(FIXTURES / version / "index", path)
    with SearchEngine(path, create=False) as engine:
        with engine._reading() as view:
            docs = list(view.snapshot.live_docs())
            rows = view.snapshot.fixed_rows("minhash", docs)
            column = view.snapshot.column("minhash")
            assert rows is not None and len(view.snapshot.segments) == 2  # two segments, mapped, in every format
            assert [bytes(r) for r in rows] == [bytes(v) for v in column.values(docs)]


def test_copies_fold_alike_read_as_rows_or_value_by_value(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with SearchEngine(tmp_path / "ix") as engine:
        engine.add_articles(articles("a", 30), jobs=1)
        queries = ["bão số 9 đổ bộ miền Trung", "giá vàng", "chứng khoán", "hộ dân sơ tán"]
        by_rows = [[(h.id, h.score, h.similar_ids) for h in engine.search(q, limit=10)] for q in queries]
        assert any(h[2] for hits in by_rows for h in hits)  # copies were folded
        monkeypatch.setattr(Snapshot, "fixed_rows", lambda self, name, docs: None)
        by_values = [[(h.id, h.score, h.similar_ids) for h in engine.search(q, limit=10)] for q in queries]
    assert by_rows == by_values
