"""Format 11's positions file (vnsearch.store.positions): lists in blocks behind a directory.

A read of some postings' positions must give exactly what decoding their
values would, touch (and verify) only their blocks, and find damage to any
byte it reads; every writer path writes the file, and a merge of segments of
format 10 and 11 keeps every position.
"""

from __future__ import annotations

import random
import shutil
import zlib
from pathlib import Path

import numpy as np
import pytest
from test_merge import _contents, _doc, _index
from whoosh import index

from vnsearch.store import format as fmt
from vnsearch.store.codec import CheckedCodec
from vnsearch.store.merge import merge_policy
from vnsearch.store.positions import BlockValues, JoinedValues, Positions, PositionsWriter
from vnsearch.store.postings import leaf_blocks, segments_of
from vnsearch.store.verify import verify_segments


def _values(rng: random.Random, n: int, long_every: int = 0) -> list[bytes]:
    """*n* encoded position lists; with *long_every*, every such one long enough for 2-byte lengths."""
    out = []
    for i in range(n):
        count = 300 if long_every and i % long_every == 0 else rng.randint(1, 6)
        positions = sorted(rng.sample(range(0, 3 * fmt.ZONE_OFFSET + 500), count))
        out.append(fmt.encode_positions(positions))
    return out


class _File:
    def __init__(self) -> None:
        self.data = bytearray()

    def write(self, data: bytes) -> None:
        self.data += data

    def close(self) -> None:
        pass


def _file(lists: dict[str, list[bytes]]) -> bytes:
    writer = PositionsWriter(_File())
    for term in sorted(lists):
        writer.add_values("text_f", term.encode(), lists[term])
    writer.close()
    return bytes(writer._file.data)


@pytest.mark.parametrize("n, long_every", [(1, 0), (5, 0), (127, 0), (128, 0), (129, 0), (1000, 0), (700, 97)])
def test_a_list_reads_what_its_values_decode_to(n: int, long_every: int) -> None:
    rng = random.Random(n)
    values = _values(rng, n, long_every)
    got = Positions(_file({"a": [b"\x01"], "t": values})).values("text_f", b"t")
    assert got is not None and len(got) == n
    for indices in ([0], [n - 1], rng.sample(range(n), min(n, 40)), list(range(n))[::-1], [n // 2] * 3):
        owner, positions = got.decode(indices)
        want_owner, want_positions = fmt.decode_many([values[i] for i in indices])
        assert np.array_equal(owner, want_owner) and np.array_equal(positions, want_positions)
    assert [got[i] for i in range(n)] == values and list(got) == values
    lengths, data = got.arrays()
    assert lengths.tolist() == [len(v) for v in values] and data.tobytes() == b"".join(values)
    keep = np.array([rng.random() < 0.5 for _ in range(n)])
    taken = got.take(keep)
    assert list(taken) == [v for v, k in zip(values, keep) if k]
    if len(taken):
        assert np.array_equal(taken.decode(range(len(taken)))[1],
                              fmt.decode_many([v for v, k in zip(values, keep) if k])[1])


def test_a_read_verifies_only_the_blocks_it_touches() -> None:
    rng = random.Random(3)
    values = _values(rng, 1000)
    data = bytearray(_file({"t": values}))
    sound = Positions(bytes(data)).values("text_f", b"t")
    assert sound is not None
    start = len(fmt.POSITIONS_MAGIC) + fmt.position_list_head_size(1000)
    ends = sound._state.ends.tolist()
    data[start + ends[2] + 3] ^= 0x10  # a byte of the fourth block (postings 384-511)
    damaged = Positions(bytes(data)).values("text_f", b"t")
    assert damaged is not None
    assert np.array_equal(damaged.decode([5, 900])[1], sound.decode([5, 900])[1])
    assert damaged._state.laid.sum() == 2  # the first block and the eighth
    with pytest.raises(fmt.ChecksumError):
        damaged.decode([5, 400])
    with pytest.raises(fmt.ChecksumError):
        damaged.arrays()


def test_a_block_is_verified_once_a_file_and_a_damaged_one_every_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """A list read again (the ranker's cache let it go) re-lays its blocks but checks none it checked before;
    a damaged block fails every read of it, never passes, and its neighbours still read."""
    rng = random.Random(5)
    values = _values(rng, 1000)
    data = bytearray(_file({"a": values[:300], "t": values}))
    sound = Positions(bytes(data))
    block_checks: list[int] = []
    real = zlib.crc32
    heads = {fmt.position_list_head_size(n) - 4 for n in (300, 1000)}

    def counting(chunk: bytes | memoryview, value: int = 0) -> int:
        if len(chunk) not in heads:  # a list's head is checked on each opening of the list; its blocks once
            block_checks.append(len(chunk))
        return real(chunk, value)

    sound._dir()  # the directory, checked before counting
    monkeypatch.setattr("vnsearch.store.positions.zlib.crc32", counting)
    for _ in range(3):
        got = sound.values("text_f", b"t")  # a fresh list object each time, as after an eviction
        assert got is not None
        owner, positions = got.decode([5, 400, 900])
        want = fmt.decode_many([values[5], values[400], values[900]])
        assert np.array_equal(owner, want[0]) and np.array_equal(positions, want[1])
        assert got._state.laid.sum() == 3  # laid again, each time
        assert len(block_checks) == 3  # the three blocks, on the first read only
    other = sound.values("text_f", b"a")
    assert other is not None and np.array_equal(other.decode([0, 299])[1],
                                                 fmt.decode_many([values[0], values[299]])[1])
    assert len(block_checks) == 5  # another list's blocks have their own places in the memo
    _, starts, _, _, _ = sound._dir()
    t_start = int(starts[1])  # "t" sorts after "a"
    ends = got._state.ends.tolist()
    data[t_start + fmt.position_list_head_size(1000) + ends[2] + 3] ^= 0x10  # a byte of the fourth block
    damaged = Positions(bytes(data))
    for _ in range(3):
        got = damaged.values("text_f", b"t")
        assert got is not None
        assert np.array_equal(got.decode([5, 900])[1], fmt.decode_many([values[5], values[900]])[1])
        with pytest.raises(fmt.ChecksumError):
            got.decode([400])


def test_damage_to_a_head_or_the_directory_is_found() -> None:
    values = _values(random.Random(4), 300)
    data = _file({"t": values})
    for at in (len(fmt.POSITIONS_MAGIC) + 6, len(data) - fmt.POSITIONS_TRAILER.size - 2, len(data) - 3):
        damaged = bytearray(data)
        damaged[at] ^= 0x01
        with pytest.raises((fmt.ChecksumError, ValueError)):
            Positions(bytes(damaged)).values("text_f", b"t")


def test_lists_must_come_in_key_order() -> None:
    writer = PositionsWriter(_File())
    writer.add_values("text_f", b"b", [b"\x01"])
    with pytest.raises(ValueError, match="key order"):
        writer.add_values("text_f", b"a", [b"\x01"])


def test_joined_lists_decode_as_one() -> None:
    rng = random.Random(5)
    first, second = _values(rng, 300), _values(rng, 40)
    pos = Positions(_file({"a": first, "b": second}))
    a, b = pos.values("text_f", b"a"), pos.values("text_f", b"b")
    assert a is not None and b is not None
    joined = JoinedValues([a, b])
    both = first + second
    picks = rng.sample(range(len(both)), 100)
    owner, positions = joined.decode(picks)
    want_owner, want_positions = fmt.decode_many([both[i] for i in picks])
    assert np.array_equal(owner, want_owner) and np.array_equal(positions, want_positions)
    assert joined[310] == both[310] and len(joined) == 340


def test_format_10_and_11_segments_merge_with_every_position(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Segments written without a positions file (format 10) and with one merge into one that has it."""
    with monkeypatch.context() as m:
        m.setattr(CheckedCodec, "positions", False)  # the writers of format 10
        ours = _index(tmp_path / "ours", 8, False, True)
    writer = ours.writer(codec=CheckedCodec(blocklimit=8))  # and a segment of format 11 beside them
    rng = random.Random(11)
    for i in range(30):  # by Whoosh's writer with vnsearch's codec: lists of several blocks of 8
        writer.add_document(**_doc(rng, 1000 + i))
    writer.commit(merge=False)
    with ours.searcher() as searcher:
        fresh = [s for s in segments_of(searcher.reader()) if s.doc_count == 30]
        assert len(fresh) == 1 and fresh[0].positions is not None
        assert len(list(fresh[0].positions.items())) > 3
    before = _contents(ours)
    ours.writer(codec=CheckedCodec(blocklimit=8)).commit(mergetype=merge_policy(final=True))
    assert len(ours._segments()) == 1
    assert _contents(ours) == before
    with ours.searcher() as searcher:
        reader = searcher.reader()
        seg = segments_of(reader)[0]
        assert isinstance(seg.positions, Positions)
        terms = reader._terms
        info = terms.term_info("text_f", b"chung")
        # The list's blocks in .pst carry no positions; the positions file has them all.
        assert all(values is None for *_, values in leaf_blocks(terms, info))
        listed = seg.positions.values("text_f", b"chung")
        assert isinstance(listed, BlockValues) and len(listed) == info.doc_frequency()
        assert verify_segments(reader, ours.storage) == ([], 0)


def test_check_reports_a_damaged_positions_file(tmp_path: Path) -> None:
    """``vnsearch check``'s full read finds a flipped bit in a positions block, and names the segment."""
    ours = _index(tmp_path / "ours", 8, False, True)
    ours.writer(codec=CheckedCodec(blocklimit=8)).commit(mergetype=merge_policy(final=True))
    with ours.searcher() as searcher:
        seg = segments_of(searcher.reader())[0]
        assert seg.positions is not None
        name = seg.reader.segment().segment_id()
    copy = tmp_path / "damaged"
    shutil.copytree(tmp_path / "ours", copy)
    from vnsearch.store.files import CheckedCompound

    segfile = next(copy.glob("MAIN_*.seg"))
    raw = bytearray(segfile.read_bytes())
    directory = fmt.read_segment_directory(lambda at, n: raw[at: at + n], len(raw))
    start, length = next(extent for file, extent in directory.items() if file.endswith(fmt.POSITIONS_EXT))
    raw[start + length - 40] ^= 0x04  # inside the last list's blocks
    segfile.write_bytes(bytes(raw))
    damaged = index.open_dir(str(copy))
    with damaged.searcher() as searcher:
        problems, _ = verify_segments(searcher.reader(), damaged.storage)
    assert problems and all(name in p for p in problems)
    assert CheckedCompound is not None


def test_distinct_blocks_are_numpy_unique() -> None:
    """``_distinct`` stands in for ``np.unique`` (which imports numpy.ma on its first call, ~10 ms a cold search)."""
    from vnsearch.store.positions import _distinct

    rng = np.random.default_rng(7)
    for n in (0, 1, 2, 3, 50, 1000):
        for _ in range(20):
            values = rng.integers(0, 30, n).astype(np.int64)
            got = _distinct(values)
            assert got.dtype == np.int64 and np.array_equal(got, np.unique(values))
