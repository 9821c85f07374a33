"""A segment's term table trailer is read when a term is first looked up, not at every opening.

Why: every segment reader opens its term table, but a search reads its
lists from the impacts file and never looks a term up there, while parsing
the trailer (10,000 first keys on the whole corpus) was ~8 ms of every cold
``vnsearch search``. These tests pin that a search leaves it unread, that a
lookup reads it, and that a damaged trailer is still reported as damage,
where read and by ``check``, never as a wrong answer or a traceback.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from whoosh.filedb.filestore import FileStorage

from vnsearch import SearchEngine
from vnsearch.errors import IndexDamaged
from vnsearch.store import codec, format
from vnsearch.store.files import CheckedCompound

ARTICLES = [{"id": f"a-{i}", "title": f"Bão số {i} đổ bộ miền Trung",
             "body": f"Cơn bão số {i} đổ bộ vào miền Trung, gió giật mạnh, nhiều nhà bị tốc mái."} for i in range(8)]


@pytest.fixture()
def index(tmp_path: Path) -> Path:
    path = tmp_path / "ix"
    with SearchEngine(path) as engine:
        engine.add_articles(ARTICLES, jobs=1)
    return path


def trailer_reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    reads: list[int] = []
    real = format.read_term_table_trailer

    def counted(get, length):  # type: ignore[no-untyped-def]
        reads.append(length)
        return real(get, length)

    monkeypatch.setattr(codec, "read_term_table_trailer", counted)
    return reads


def test_a_search_leaves_the_trailer_unread_and_a_lookup_reads_it(index: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    reads = trailer_reads(monkeypatch)
    with SearchEngine(index, create=False) as engine:
        hits = engine.search("bão đổ bộ", limit=5)
        assert len(hits) == 5 and not reads
        got = engine.get("a-3")  # by id: a term lookup
        assert got is not None and got.title == "Bão số 3 đổ bộ miền Trung"
        assert len(reads) == 1
        engine.get("a-4")
        assert len(reads) == 1  # read once per reader


def damage_trailer(index: Path) -> None:
    segment = next(index.glob("*.seg"))
    compound = CheckedCompound(FileStorage(str(index)).open_file(segment.name))
    name = next(n for n in compound.list() if n.endswith(".trm"))
    offset, length = compound.range(name)
    compound.close()
    data = bytearray(segment.read_bytes())
    where = format._LONG.unpack(bytes(data[offset + length - 8: offset + length]))[0]
    data[offset + where + 10] ^= 0x40  # a byte of the first keys
    segment.write_bytes(bytes(data))


def test_a_damaged_trailer_is_still_reported_as_damage(index: Path, tmp_path: Path) -> None:
    damaged = tmp_path / "damaged"
    shutil.copytree(index, damaged)
    damage_trailer(damaged)
    with SearchEngine(damaged, create=False) as engine:
        with SearchEngine(index, create=False) as sound:
            found = [(h.id, h.score) for h in engine.search("bão đổ bộ", limit=5)]
            assert found and found == [(h.id, h.score) for h in sound.search("bão đổ bộ", limit=5)]
        with pytest.raises(IndexDamaged, match="trailer fails its checksum"):
            engine.get("a-3")
        assert any("trailer" in problem for problem in engine.check())
