"""Posting blocks as arrays (vnsearch.store.codec.pack_block) and how the query path reads them.

The block layout is vnsearch's own, so these tests check it against the plain
lists it encodes, and the bulk readers (read_postings, Values, decode_many)
against Whoosh's own matcher and the one-at-a-time position decoder.
"""

from __future__ import annotations

import random
from array import array
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh import fields, index

from vnsearch.search.ranking import Ranker
from vnsearch.store.codec import CheckedCodec, CompactCodec, pack_block, unpack_block
from vnsearch.store.postings import Values, decode_many, decode_positions, read_postings, segments_of
from vnsearch.store.schema import ZONE_OFFSET, PreAnalyzed, encode_positions
from vnsearch.store.snapshot import Snapshot

_positions = st.lists(st.tuples(st.integers(0, 3), st.integers(0, 300_000)), min_size=1, max_size=12).map(
    lambda pairs: sorted({z * ZONE_OFFSET + r for z, r in pairs}))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 2**31), min_size=1, max_size=300, unique=True).map(sorted),
       st.sampled_from(["ones", "same", "bytes", "floats"]), st.data())
def test_a_block_reads_back_what_was_packed(ids, kind, data):
    n = len(ids)
    if kind == "ones":
        weights = array("f", [1.0] * n)
    elif kind == "same":
        weights = array("f", [2.5] * n)
    elif kind == "bytes":
        weights = array("f", data.draw(st.lists(st.integers(0, 255), min_size=n, max_size=n)))
    else:
        weights = array("f", data.draw(st.lists(st.floats(0.5, 1e6, width=32), min_size=n, max_size=n)))
    values = [encode_positions(data.draw(_positions)) for _ in range(n)]
    gaps, got_weights, got_values = unpack_block(pack_block(array("I", ids), weights, values, 6))
    assert np.cumsum(gaps, dtype=np.int64).tolist() == ids
    if got_weights is None:
        assert set(weights) == {1.0}
    elif isinstance(got_weights, float):
        assert set(weights) == {got_weights}
    else:
        assert np.asarray(got_weights, dtype=np.float32).tolist() == weights.tolist()
    assert list(got_values) == values
    # without values (a field that stores none)
    gaps, _, none = unpack_block(pack_block(array("I", ids), weights, None, 6))
    assert none is None and np.cumsum(gaps, dtype=np.int64).tolist() == ids


@settings(max_examples=300, deadline=None)
@given(st.lists(_positions, min_size=1, max_size=20))
def test_positions_decode_alike_in_bulk_and_one_by_one(lists):
    values = [encode_positions(p) for p in lists]
    owner, positions = decode_many(values)
    assert list(zip(owner.tolist(), positions.tolist())) == [
        (i, x) for i, v in enumerate(values) for x in decode_positions(v)]
    assert [decode_positions(v) for v in values] == lists


def test_values_keep_their_order_through_take_concat_and_decode():
    rng = random.Random(3)
    blocks = [[bytes([rng.randint(1, 200)]) * rng.randint(1, 3) for _ in range(rng.randint(1, 9))]
              for _ in range(6)]
    a, b = Values(blocks[:3]), Values(blocks[3:])
    flat_a, flat_b = [v for blk in blocks[:3] for v in blk], [v for blk in blocks[3:] for v in blk]
    assert list(a) == flat_a and len(a) == len(flat_a)
    keep = np.array([rng.random() < 0.5 for _ in flat_a])
    taken = a.take(keep)
    assert list(taken) == [v for v, k in zip(flat_a, keep) if k]
    both = Values.concat([taken, b])
    expected = [v for v, k in zip(flat_a, keep) if k] + flat_b
    assert list(both) == expected
    picks = [rng.randrange(len(expected)) for _ in range(30)]
    # Gathered in one go, the values decode as the same values one by one do.
    got, want = both.decode(picks), decode_many([expected[i] for i in picks])
    assert got[0].tolist() == want[0].tolist() and got[1].tolist() == want[1].tolist()


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(_positions, min_size=1, max_size=9), min_size=1, max_size=5), st.data())
def test_values_decode_in_bulk_what_they_hold(blocks, data):
    # Packed blocks (as read from disk) and a plain one (inlined postings), cut by take.
    chunks = [unpack_block(pack_block(array("I", range(len(b))), array("f", [1.0] * len(b)),
                                      [encode_positions(p) for p in b], 6))[2] for b in blocks[1:]]
    values = Values([[encode_positions(p) for p in blocks[0]]] + chunks)
    flat = [p for b in blocks for p in b]
    keep = np.array(data.draw(st.lists(st.booleans(), min_size=len(flat), max_size=len(flat))))
    for vals, lists in ((values, flat), (values.take(keep), [p for p, k in zip(flat, keep) if k])):
        if not lists:
            continue
        picks = data.draw(st.lists(st.integers(0, len(lists) - 1), max_size=12))
        owner, positions = vals.decode(picks)
        assert list(zip(owner.tolist(), positions.tolist())) == [(i, x) for i, k in enumerate(picks) for x in lists[k]]


def _schema() -> fields.Schema:
    return fields.Schema(id=fields.ID(stored=True, unique=True), text=PreAnalyzed(positions=False),
                         text_f=PreAnalyzed(positions=True))


def _index(path: Path, blocklimit: int, codec_class: type = CompactCodec):
    """Three segments of a common and a rarer term, some documents deleted."""
    rng = random.Random(5)
    path.mkdir()
    ix = index.create_in(str(path), _schema())
    n = 0
    for _ in range(3):
        writer = ix.writer(codec=codec_class(blocklimit=blocklimit))
        for _ in range(120):
            terms = {"chung": (1.0, 1, [rng.randint(0, 50)])}
            if rng.random() < 0.3:
                terms["hiếm"] = (2.0, 2, sorted(rng.sample(range(ZONE_OFFSET, ZONE_OFFSET + 5000), 2)))
            writer.add_document(id=f"d{n}", text={t: (w, c, ()) for t, (w, c, _) in terms.items()}, text_f=terms)
            n += 1
        writer.commit(merge=False)
    writer = ix.writer(codec=CompactCodec(blocklimit=blocklimit))
    for i in range(0, n, 7):
        writer.delete_by_term("id", f"d{i}")
    writer.commit(merge=False)
    return ix


@pytest.mark.parametrize("blocklimit, codec_class", [(8, CompactCodec), (1024, CompactCodec), (8, CheckedCodec)])
def test_bulk_reads_match_whooshs_matcher(tmp_path, blocklimit, codec_class):
    """Format 8's blocks and format 9's (with checksums), in many blocks or one."""
    ix = _index(tmp_path / "ix", blocklimit, codec_class)
    with ix.searcher() as searcher:
        reader = searcher.reader()
        segments = segments_of(reader)
        assert len(segments) == 3
        for fieldname in ("text", "text_f"):
            for term in ("chung", "hiếm"):
                got = read_postings(segments, fieldname, term)
                matcher = reader.postings(fieldname, term)
                expected = []
                while matcher.is_active():
                    if not reader.is_deleted(matcher.id()):
                        expected.append((matcher.id(), matcher.weight(), matcher.value()))
                    matcher.next()
                assert got.docs.tolist() == [d for d, _, _ in expected]
                assert np.allclose(got.freqs, [w for _, w, _ in expected])
                if fieldname == "text_f":
                    assert list(got.values) == [v for _, _, v in expected]
                else:
                    assert len(got.values) == 0


def test_the_postings_cache_keeps_the_lists_asked_for_most_within_its_budget(tmp_path):
    ix = _index(tmp_path / "ix", 1024)
    with ix.searcher() as searcher:
        sizes = {t: len(read_postings(segments_of(searcher.reader()), "text_f", t).docs) for t in ("chung", "hiếm")}
        budget = sizes["chung"] + sizes["hiếm"] + 1  # each list counts one more: both do not fit
        ranker = Ranker(Snapshot(ix.searcher()), cache_postings=budget)
        common = ranker.postings("text_f", "chung")
        assert ranker.postings("text_f", "chung") is common  # cached
        rare = ranker.postings("text_f", "hiếm")  # asked for once: it does not push out a list asked for twice
        assert ranker._cache.used <= budget
        assert ranker._cache.keys() == [("text_f", "chung")]
        assert ranker.postings("text_f", "chung") is common
        assert ranker.postings("text_f", "hiếm") is not rare  # asked for twice, the common list thrice: left out
        rare = ranker.postings("text_f", "hiếm")  # as often as the common list now: it takes its place
        assert ranker._cache.keys() == [("text_f", "hiếm")] and ranker._cache.used <= budget
        assert ranker.postings("text_f", "hiếm") is rare
        assert ranker.postings("text_f", "chung") is not common  # read again
