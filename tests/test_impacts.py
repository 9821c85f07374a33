"""Format 10's impacts file: the ranker reads the same postings, and ranks the same, as from ``.pst``.

The fast path (documents and weights from the impacts file, positions from
``.pst`` on demand) is checked against the old one (the same segments read
with their impacts file ignored, as an index of format 9 is read): every
list equal, and the top 10 of a fixed query set equal in ids and scores.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import read_corpus_lines
from vnsearch import SearchEngine
from vnsearch.store import format as fmt
from vnsearch.store import postings as P
from vnsearch.store.impacts import Impacts, ImpactsWriter

QUERIES = ["giá vàng", "ha noi", "Hà Nội", '"thành phố"', "bóng đá việt nam", "tai nạn giao thông",
           "kinh te", "chính phủ yêu cầu", "học sinh thi tốt nghiệp?", "covid -vaccine", "=bão", "thủ tướng",
           "giá xăng dầu tăng", "ngân hàng nhà nước", "trump", "cảnh sát giao thông xử phạt"]


class _File:
    def __init__(self) -> None:
        self.data = b""

    def write(self, b: bytes) -> None:
        self.data += b

    def close(self) -> None:
        pass


@pytest.mark.parametrize("weights", [
    [1.0, 1.0, 1.0],  # all ones
    [3.0, 1.5, 4.5],  # halves
    [1.8, 0.6, 1.8],  # a table
    [float(i) / 7 for i in range(300)],  # more than 256 distinct: floats
])
def test_lists_round_trip(weights: list[float]) -> None:
    ids = np.cumsum(np.arange(1, len(weights) + 1) * 37)
    f = _File()
    writer = ImpactsWriter(f)
    writer.add("text", "một".encode(), ids, weights, False)
    writer.add("text_f", b"mot", ids[:2], weights[:2], True)
    writer.close()
    imp = Impacts(f.data)
    got = imp.read("text", "một".encode())
    assert got is not None
    assert np.array_equal(got[0], ids) and got[0].dtype == np.int64
    assert np.array_equal(got[1], np.asarray(weights, dtype=np.float32)) and got[1].dtype == np.float32
    assert got[2] is False
    other = imp.read("text_f", b"mot")
    assert other is not None and other[2] is True and np.array_equal(other[0], ids[:2])
    assert imp.read("text", b"mot") is None and imp.read("text_f", "một".encode()) is None
    assert imp.count("text", "một".encode()) == len(weights)


@pytest.mark.parametrize("gap", [3, 300, 70_000])  # gaps as u1, u2, u4
def test_every_width_and_kind_unpacks_and_a_wrong_length_is_refused(gap: int) -> None:
    ids = np.cumsum(np.full(300, gap, dtype=np.int64))
    for weights in ([1.0] * 300, [1.5, 3.0] * 150, [1.8, 0.6, 2.2] * 100, [float(i) / 7 for i in range(300)]):
        w = np.asarray(weights, dtype=np.float32)
        flags, data = fmt.pack_impacts(ids, w)
        for verify in (True, False):
            got_ids, got_w = fmt.unpack_impacts(data, flags, len(ids), verify=verify)
            assert got_ids.dtype == np.int64 and got_w.dtype == np.float32
            assert np.array_equal(got_ids, ids) and got_w.tobytes() == w.tobytes()
        body = data[:-4]
        for bad in (body[:-1], body + b"\x00"):  # a byte short, a byte over: its own checksum, but the wrong length
            framed = bad + fmt._LE_CRC.pack(fmt.crc32(bad))
            with pytest.raises(ValueError):
                fmt.unpack_impacts(framed, flags, len(ids), verify=False)
            with pytest.raises(ValueError):
                fmt.unpack_impacts(framed, flags, len(ids))
        with pytest.raises(fmt.ChecksumError):
            fmt.unpack_impacts(data[:3], flags, len(ids), verify=False)


def test_damage_is_found() -> None:
    f = _File()
    writer = ImpactsWriter(f)
    writer.add("text", b"a", np.array([1, 5, 9]), [1.5, 1.0, 2.0], False)
    writer.close()
    data = bytearray(f.data)
    data[5] ^= 0x01  # inside the list
    with pytest.raises(fmt.ChecksumError):
        Impacts(bytes(data)).read("text", b"a")
    data = bytearray(f.data)
    data[-fmt.IMPACTS_TRAILER.size - 1] ^= 0x01  # inside the directory
    with pytest.raises(fmt.ChecksumError):
        Impacts(bytes(data)).read("text", b"a")


def test_a_list_is_verified_once_and_a_damaged_one_every_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """A list's checksum is checked on its first read only; a damaged list fails every read, never passes."""
    f = _File()
    writer = ImpactsWriter(f)
    writer.add("text", b"a", np.array([1, 5, 9]), [1.5, 1.0, 2.0], False)
    writer.add("text", b"b", np.array([2, 3]), [1.0, 1.0], False)
    writer.close()
    data = bytearray(f.data)
    data[5] ^= 0x01  # inside the list of "a"
    imp = Impacts(bytes(data))
    for _ in range(3):
        with pytest.raises(fmt.ChecksumError):
            imp.read("text", b"a")
    got = imp.read("text", b"b")
    assert got is not None and got[0].tolist() == [2, 3]
    sound = Impacts(f.data)
    checked: list[bool] = []
    real = fmt.unpack_impacts

    def counting(data: bytes, flags: int, count: int, verify: bool = True) -> tuple[np.ndarray, np.ndarray]:
        checked.append(verify)
        return real(data, flags, count, verify)

    monkeypatch.setattr("vnsearch.store.impacts.unpack_impacts", counting)
    for _ in range(3):
        got = sound.read("text", b"a")
        assert got is not None and got[0].tolist() == [1, 5, 9] and got[1].tolist() == [1.5, 1.0, 2.0]
    assert checked == [True, False, False]


@pytest.fixture(scope="module")
def small_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """300 news articles in two runs (two segments, merged), then one deleted: what real indexes hold."""
    articles = read_corpus_lines("news.jsonl.gz", 0, 300)
    path = tmp_path_factory.mktemp("impacts") / "ix"
    engine = SearchEngine(path)
    try:
        engine.add_articles(articles[:200], jobs=1)
        engine.add_articles(articles[200:], jobs=1)
        assert engine.delete([articles[7]["id"]]) == 1
    finally:
        engine.close()
    assert json.loads((path / "vnsearch.json").read_text())["schema_version"] == fmt.FORMAT_VERSION
    return path


def test_every_list_reads_the_same(small_index: Path) -> None:
    engine = SearchEngine(small_index, create=False)
    try:
        snapshot = engine._store.snapshot()  # type: ignore[union-attr]
        segments = snapshot.segments
        assert segments and all(seg.impacts is not None for seg in segments)
        # Read as format 9 reads (no impacts file); format 11's positions file is still where positions are.
        plain = [P.Segment(s.reader, s.base, s.doc_count, s.deleted, None, s.positions) for s in segments]
        assert any(s.deleted is not None for s in segments)
        rng = random.Random(0)
        for field in fmt.IMPACT_FIELDS:
            terms = snapshot.lexicon(field)
            for term in rng.sample(terms, min(len(terms), 1500)) + ["khôngcó", ""]:
                fast, old = P.read_postings(segments, field, term), P.read_postings(plain, field, term)
                assert np.array_equal(fast.docs, old.docs) and fast.docs.dtype == old.docs.dtype, (field, term)
                assert np.array_equal(fast.freqs, old.freqs) and fast.freqs.dtype == old.freqs.dtype, (field, term)
                assert len(fast.values) == len(old.values)
                assert snapshot.doc_frequency(field, term) == int(snapshot._reader.doc_frequency(field, term))
                if len(old.values):
                    picks = np.arange(len(old.values))[::3]
                    for a, b in zip(fast.values.decode(picks), old.values.decode(picks)):  # type: ignore[attr-defined]
                        assert np.array_equal(a, b)
        snapshot.release()
    finally:
        engine.close()


def _top10(engine: SearchEngine) -> dict[str, tuple[int, list[tuple[str, float]]]]:
    out = {}
    for q in QUERIES:
        res = engine.search(q, limit=10, telex=False, typos=False)
        out[q] = (res.total, [(h.id, h.score) for h in res])
    return out


def test_ranking_is_the_same_as_from_postings(small_index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The top 10 (ids and scores, exactly) and totals of a fixed query set, fast path against old path."""
    fast = SearchEngine(small_index, create=False)
    try:
        got = _top10(fast)
    finally:
        fast.close()
    monkeypatch.setattr(P, "open_impacts", lambda storage, segment: None)  # read as format 9 is
    old = SearchEngine(small_index, create=False)
    try:
        snapshot = old._store.snapshot()  # type: ignore[union-attr]
        assert all(seg.impacts is None for seg in snapshot.segments)
        snapshot.release()
        want = _top10(old)
    finally:
        old.close()
    assert sum(len(hits) for _, hits in want.values()) > 50  # the queries do find things
    assert got == want


def test_check_finds_no_problem(small_index: Path) -> None:
    engine = SearchEngine(small_index, create=False)
    try:
        assert engine.check() == []
    finally:
        engine.close()


def test_every_key_is_found_through_the_sample() -> None:
    """Keys on both sides of each sampled key, around the strides' ends, and absent keys between them."""
    from vnsearch.store.impacts import SAMPLE_AFTER, SAMPLE_STRIDE

    rng = random.Random(5)
    terms = sorted({"".join(rng.choice("abcdeghiklmnoptuy") for _ in range(rng.randint(1, 6))).encode()
                    for _ in range(SAMPLE_STRIDE * 7 + 5)})
    f = _File()
    writer = ImpactsWriter(f)
    for i, t in enumerate(terms):
        writer.add("text_f", t, [i], [1.0], False)
    writer.close()
    absents = [a for a in (b"", b"\x00", b"zzzzzzz", terms[0][:-1] if len(terms[0]) > 1 else b"0",
                           *(t + b"\x00" for t in terms[:: SAMPLE_STRIDE // 2])) if a not in terms]
    for sampled in (False, True):  # the whole directory bisected (a short-lived process), then the sample
        imp = Impacts(f.data)
        if sampled:
            imp._sampled()
        for i, t in enumerate(terms):
            got = imp.read("text_f", t)
            assert got is not None and got[0].tolist() == [i]
            assert imp.count("text_f", t) == 1
        for absent in absents:
            assert imp.read("text_f", absent) is None and imp.count("text_f", absent) == 0
        assert imp.read("text", terms[0]) is None and imp.read("title_f", terms[-1]) is None
        # Each key is looked up once (read, then count: remembered), absent ones too.
        assert (imp._sample is not None) == (sampled or len(terms) + len(absents) + 2 > SAMPLE_AFTER)
    empty = _File()
    ImpactsWriter(empty).close()
    assert Impacts(empty.data).read("text_f", b"a") is None


def _value(rng: random.Random) -> bytes:
    """Encoded positions: one to a few hundred, with gaps that need one to three varint bytes and zone jumps."""
    positions, at = [], rng.randint(0, 50)
    for _ in range(rng.choice([1, 2, 5, 40, 300])):
        positions.append(at)
        at += rng.choice([1, 2, 7, 200, 20000, fmt.ZONE_OFFSET])
    return fmt.encode_positions(positions)


def test_values_gather_as_one_by_one() -> None:
    """Values.decode over packed blocks (mixed length widths), a deflated block, plain tuples, and a subset."""
    import zlib

    rng = random.Random(7)
    chunks: list[fmt.PackedValues] = []
    for n in (3, 1, 200, 17, 0, 64):
        encoded = [_value(rng) for _ in range(n)]
        if not n:
            continue
        block = fmt.pack_block(list(range(1, n + 1)), [1.0] * n, encoded, 0)
        packed = fmt.block_values(block)
        assert isinstance(packed, fmt.PackedValues)
        chunks.append(packed)
    packed_only = P.Values(chunks)
    vals = [_value(rng) for _ in range(9)]
    raw = b"".join(len(v).to_bytes(2, "little") for v in vals) + b"".join(vals)
    deflated = fmt.PackedValues(zlib.compress(raw), 9, 1, True)
    plain: list[bytes] = [_value(rng) for _ in range(5)]
    mixed = P.Values([*chunks[:2], deflated, plain, chunks[2]])
    subset = packed_only.take(np.array([i % 3 != 1 for i in range(len(packed_only))]))
    joined = P.Values.concat([subset, packed_only])
    single = P.Values(chunks[2:3])
    for values in (packed_only, mixed, subset, joined, single, single.take(np.arange(200) % 2 == 0)):
        n = len(values)
        for picks in (np.arange(n), np.array(rng.sample(range(n), min(n, 50))), np.array([n - 1, 0, n - 1]),
                      np.zeros(0, dtype=np.int64)):
            want = fmt.decode_many([values[int(i)] for i in picks])
            got = values.decode(picks)  # type: ignore[arg-type]  # (an array of indices, as the ranker passes)
            assert all(np.array_equal(a, b) and a.dtype == b.dtype for a, b in zip(got, want))


def test_values_gather_as_one_by_one_on_an_index(small_index: Path) -> None:
    engine = SearchEngine(small_index, create=False)
    try:
        snapshot = engine._store.snapshot()  # type: ignore[union-attr]
        rng = random.Random(3)
        terms = snapshot.lexicon("text_f")
        for term in rng.sample(terms, min(len(terms), 300)) + ["cua", "nguoi", "thanh"]:
            got = P.read_postings(snapshot.segments, "text_f", term)
            if not len(got.values):
                continue
            picks = np.array(rng.sample(range(len(got.values)), min(len(got.values), 40)))
            want = fmt.decode_many([got.values[int(i)] for i in picks])
            assert all(np.array_equal(a, b) for a, b in zip(got.values.decode(picks), want))  # type: ignore[attr-defined]
        snapshot.release()
    finally:
        engine.close()
