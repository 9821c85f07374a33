"""Format 12's id and title columns: the same texts as the stored articles, read without them.

The tie order (:func:`vnsearch.search.ties.by_id_in_ties`) and the title
step (:func:`vnsearch.search.ranking.title_information`) read ids and titles
through ``Snapshot.field_texts``. On an index of format 12 that is a column;
on an older one (its schema has none) the stored articles, as before.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from vnsearch import SearchEngine
from vnsearch.search.query import parse_query
from vnsearch.store.snapshot import Snapshot

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def articles(prefix: str, n: int) -> list[dict[str, str]]:
    out = []
    for i in range(n):
        a = {"id": f"{prefix}-{i:03d}", "body": f"Mưa lớn ở Hà Nội, bài số {i}. Giao thông ùn tắc kéo dài."}
        if i % 4:  # every fourth has no title of its own (one is derived from its body)
            a["title"] = f"Hà Nội mưa lớn, lần thứ {i}"
        out.append(a)
    return out


def stored_texts(snapshot: Any, name: str, docs: list[int]) -> list[str]:
    return [str(snapshot.stored(d).get(name) or "") for d in docs]


def no_stored_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: Snapshot, docnum: int) -> dict[str, Any]:
        raise AssertionError("a stored article was read")

    monkeypatch.setattr(Snapshot, "stored", refuse)


def read_from_columns(snap: Any) -> dict[str, list[str]]:
    """The live documents' ids and titles as stored, once the columns have given the same (in either order) unread."""
    docs = list(snap.live_docs())
    want = {name: stored_texts(snap, name, docs) for name in ("id", "title")}
    with pytest.MonkeyPatch.context() as m:
        no_stored_reads(m)
        for name, texts in want.items():
            assert snap.field_texts(name, docs) == texts
            assert snap.field_texts(name, docs[::-1]) == texts[::-1]
    return want


def test_columns_hold_what_the_articles_hold_across_segments_merges_and_deletions(tmp_path: Path) -> None:
    with SearchEngine(tmp_path / "ix") as engine:
        engine.add_articles(articles("a", 12), jobs=1)
        engine.add_articles(articles("b", 5), jobs=1)  # a second segment
        engine.delete(["a-003", "b-001"])
        engine.add_articles(articles("c", 3), jobs=1)
        with engine._reading() as view:
            want = read_from_columns(view.snapshot)
            assert len(want["id"]) == 18 and all(want["title"])  # a missing title is derived
        engine.merge()
        with engine._reading() as view:
            assert read_from_columns(view.snapshot) == want


def test_an_index_of_format_11_reads_them_from_its_articles(tmp_path: Path) -> None:
    path = tmp_path / "v11"
    shutil.copytree(FIXTURES / "v11" / "index", path)
    with SearchEngine(path, create=False) as engine:
        with engine._reading() as view:
            snap = view.snapshot
            docs = list(snap.live_docs())
            assert snap._text_column("id") is None and snap._text_column("title") is None
            assert snap.field_texts("id", docs) == stored_texts(snap, "id", docs)
            assert snap.field_texts("title", docs) == stored_texts(snap, "title", docs)
        # Written to by this version: its schema is its own, still without columns, still right.
        engine.add_articles(articles("n", 2), jobs=1)
        with engine._reading() as view:
            snap = view.snapshot
            docs = list(snap.live_docs())
            assert snap.field_texts("id", docs) == stored_texts(snap, "id", docs)
            assert "n-001" in snap.field_texts("id", docs)


def test_a_sharded_index_reads_them_per_shard(tmp_path: Path) -> None:
    with SearchEngine(tmp_path / "ix", shards=3) as engine:
        engine.add_articles(articles("s", 14), jobs=1)
        with engine._reading() as view:
            ids = read_from_columns(view.snapshot)["id"]
            assert sorted(ids) == [f"s-{i:03d}" for i in range(14)]


def test_equal_scores_are_put_in_id_order_from_the_column(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    same = [{"id": f"x-{k}", "title": "Bão số 9 đổ bộ", "body": "Bão số 9 đổ bộ vào miền Trung."}
            for k in ("q", "c", "m", "a", "z")]
    with SearchEngine(tmp_path / "ix") as engine:
        engine.add_articles(same, jobs=1)
        before = [(h.id, h.score) for h in engine.search("bão số 9", limit=5, collapse=False)]
        no_stored_reads(monkeypatch)
        with engine._reading() as view:
            ranking = view.ranker.rank(parse_query("bão số 9"), limit=5)
            ids = view.snapshot.field_texts("id", [int(d) for d in ranking.docs])
    assert [i for i, _ in before] == sorted(i for i, _ in before) == ids
    assert len({s for _, s in before}) == 1


def test_a_hits_copies_are_named_from_the_id_column(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Folded near-copies are listed by id: one stored article read per hit shown, none per copy."""
    body = ("Bão số 9 đổ bộ vào miền Trung, gió giật cấp 12, hàng nghìn ngôi nhà bị tốc mái, "
            "nhiều tuyến đường ngập sâu và hàng chục nghìn hộ dân phải sơ tán khẩn cấp trong đêm.")
    copies = [{"id": f"r-{k}", "title": "Bão số 9 đổ bộ miền Trung", "body": body} for k in range(6)]
    other = {"id": "o-1", "title": "Giá vàng tăng", "body": "Giá vàng hôm nay tăng mạnh, bão giá."}
    with SearchEngine(tmp_path / "ix") as engine:
        engine.add_articles([*copies, other], jobs=1)
        reads: list[int] = []
        stored = Snapshot.stored

        def counted(self: Snapshot, docnum: int) -> dict[str, Any]:
            reads.append(docnum)
            return stored(self, docnum)

        monkeypatch.setattr(Snapshot, "stored", counted)
        hits = engine.search("bão số 9 đổ bộ", limit=5)
    assert [h.id for h in hits] == ["r-0", "o-1"]  # equal scores: id order, the other copies folded into it
    assert hits[0].similar_ids == [f"r-{k}" for k in range(1, 6)] and hits[1].similar_ids == []
    assert len(reads) == 2


def test_copies_of_an_index_of_format_11_are_named_from_its_articles(tmp_path: Path) -> None:
    path = tmp_path / "v11"
    shutil.copytree(FIXTURES / "v11" / "index", path)
    body = ("Lũ quét ở Lào Cai cuốn trôi cầu treo, hàng trăm hộ dân bị cô lập, "
            "lực lượng cứu hộ đang tiếp cận hiện trường.")
    with SearchEngine(path, create=False) as engine:
        engine.add_articles([{"id": f"l-{k}", "title": "Lũ quét ở Lào Cai", "body": body} for k in range(3)], jobs=1)
        with engine._reading() as view:
            assert view.snapshot._text_column("id") is None  # an old schema keeps its stored ids only
        hits = engine.search("lũ quét lào cai", limit=3)
    assert hits[0].id == "l-0" and hits[0].similar_ids == ["l-1", "l-2"]
