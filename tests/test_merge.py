"""Merging segments by arrays (vnsearch.store.merge) against Whoosh's own merge.

vnsearch's merge writes posting lists, stored fields and columns itself, so
these tests hold it to what Whoosh's merge of the same segments gives:
every term's postings, every document's stored fields, lengths and columns,
read back both by vnsearch's bulk reader and by Whoosh's own matchers.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest
from whoosh import index
from whoosh.codec.whoosh3 import W3Codec

import vnsearch.store.merge as merge
from vnsearch import Article, SearchEngine
from vnsearch.store.codec import CheckedCodec, CompactCodec
from vnsearch.store.indexing import bulk_writer
from vnsearch.store.merge import choose, merge_policy
from vnsearch.store.postings import field_lengths, leaf_blocks, read_postings, segments_of
from vnsearch.store.schema import SIGNATURE_BYTES, ZONE_OFFSET, make_schema

WORDS = ["chung", "hiếm", "Hà_Nội", "bóng", "đá", "năm", "người", "trí_tuệ"]


def _doc(rng: random.Random, n: int) -> dict:
    """A document of the engine's schema, its terms pre-analysed as the workers give them."""
    text_f = {}
    for word in rng.sample(WORDS, rng.randint(1, len(WORDS))):
        positions = sorted(rng.sample(range(0, 3 * ZONE_OFFSET, 997), rng.randint(1, 4)))
        text_f[word] = (float(len(positions)), len(positions), positions)
    doc = {"id": f"d{n}", "text_f": text_f, "text": {t: (w, c, ()) for t, (w, c, _) in text_f.items()},
           "title_f": {t: (1.0, 1, ()) for t in list(text_f)[:2]}, "title": f"Tiêu đề {n}",
           "body": "Nội dung " * rng.randint(1, 40), "source_k": rng.choice(["dantri", "vnexpress"])}
    if rng.random() < 0.7:
        doc["date"] = f"2024-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}"
    if rng.random() < 0.8:
        doc["minhash"] = bytes(rng.randrange(256) for _ in range(SIGNATURE_BYTES))
    return doc


def _index(path: Path, blocklimit: int, whoosh_segment: bool, checked: bool = False):
    """Four segments (one by Whoosh's own codec if asked), some documents deleted, one segment emptied.

    *checked*: the third segment is of format 9 (CheckedCodec), the others of 8, as in an index of
    format 8 that this version has written to.
    """
    rng = random.Random(blocklimit)
    path.mkdir()
    ix = index.create_in(str(path), make_schema())
    n = 0
    for k, size in enumerate((90, 40, 25, 6)):
        codec = W3Codec() if whoosh_segment and k == 1 else CompactCodec(blocklimit=blocklimit)
        if checked and k == 2:
            codec = CheckedCodec(blocklimit=blocklimit)
        writer = ix.writer(codec=codec)
        for _ in range(size):
            writer.add_document(**_doc(rng, n))
            n += 1
        writer.commit(merge=False)
    writer = ix.writer(codec=CompactCodec(blocklimit=blocklimit))
    for i in list(range(0, 90, 7)) + list(range(155, 161)):  # the last segment loses every document
        writer.delete_by_term("id", f"d{i}")
    writer.commit(merge=False)
    return ix


def _contents(ix) -> dict:
    """Everything a query or a reader can see of the index, by article id."""
    with ix.searcher() as searcher:
        reader = searcher.reader()
        segments = segments_of(reader)
        size = sum(s.doc_count for s in segments)
        live = [d for d in range(size) if not reader.is_deleted(d)]
        ids = {d: reader.stored_fields(d)["id"] for d in live}
        out = {"stored": {ids[d]: reader.stored_fields(d) for d in live}}
        for name in ("minhash", "date"):
            column = reader.column_reader(name)
            out[name] = {ids[d]: column[d] for d in live}
        for name in ("text", "text_f", "title_f"):
            lengths = field_lengths(segments, name, size)
            out["len " + name] = {ids[d]: float(lengths[d]) for d in live}
        for fieldname, tbytes in reader.all_terms():
            term = tbytes.decode("utf-8")
            got = read_postings(segments, fieldname, term)
            postings = [(ids[int(d)], float(w), v) for d, w, v in
                        zip(got.docs, got.freqs, got.values if len(got.values) else [b""] * len(got.docs))]
            # Whoosh's own matcher reads the same list.
            matcher = reader.postings(fieldname, tbytes)
            seen = []
            while matcher.is_active():
                if not reader.is_deleted(matcher.id()):
                    value = matcher.value() if fieldname == "text_f" else b""
                    seen.append((ids[matcher.id()], float(matcher.weight()), value))
                matcher.next()
            assert seen == postings, (fieldname, term)
            if postings:
                out[fieldname, term] = postings
        return out


@pytest.mark.parametrize("blocklimit, whoosh_segment, checked",
                         [(8, False, False), (1024, False, False), (8, True, False), (8, False, True),
                          (8, True, True)])
def test_a_merge_holds_what_whooshs_merge_holds(tmp_path, blocklimit, whoosh_segment, checked):
    """*checked*: formats 8 and 9 merged into 9 (every block and stored article with its checksum)."""
    ours = _index(tmp_path / "ours", blocklimit, whoosh_segment, checked)
    codec = CheckedCodec if checked else CompactCodec
    shutil.copytree(tmp_path / "ours", tmp_path / "whoosh")
    theirs = index.open_dir(str(tmp_path / "whoosh"))
    before = _contents(ours)
    bulk_writer(theirs.writer(codec=CompactCodec(blocklimit=blocklimit))).commit(optimize=True)
    ours.writer(codec=codec(blocklimit=blocklimit)).commit(mergetype=merge_policy(final=True))
    assert len(ours._segments()) == 1 and ours.doc_count() == 161 - 13 - 6
    merged, expected = _contents(ours), _contents(theirs)
    assert merged == expected == before
    # A list longer than a block is written in blocks of the codec's size.
    with ours.searcher() as searcher:
        leaf = searcher.reader()
        terms = leaf._terms
        terminfo = terms.term_info("text_f", b"chung")
        counts = [count for count, *_ in leaf_blocks(terms, terminfo)]
    assert sum(counts) == terminfo.doc_frequency() and max(counts) <= blocklimit
    assert len(counts) == -(-sum(counts) // blocklimit)
    if checked:  # the merged segment is format 9's, and reads as sound to check
        from vnsearch.store.verify import verify_segments

        assert type(ours._segments()[0]).__name__ == "CheckedSegment"
        with ours.searcher() as searcher:
            assert verify_segments(searcher.reader(), ours.storage) == ([], 0)


def test_the_smallest_segments_merge_while_they_hold_half_the_next():
    assert choose([1000] * 35) == list(range(35))  # a bulk load: one segment
    assert choose([35000, 10]) == []  # a few articles beside a large index: left apart
    assert sorted(choose([35000, 10, 10])) == [1, 2]
    assert sorted(choose([35000, 40, 20, 30])) == [1, 2, 3]
    assert choose([35000, 40, 10, 30]) == []  # 10 is less than half of 30: each waits for more
    assert choose([5]) == [] and choose([]) == []
    # What a run wrote merges whatever its sizes (a long run merged part of it midway).
    assert choose([33000, 1000, 924], fresh=[0, 1, 2]) == [0, 1, 2]
    assert sorted(choose([90000, 33000, 1000, 924], fresh=[1, 2, 3])) == [1, 2, 3]
    assert sorted(choose([40000, 33000, 1000, 924], fresh=[1, 2, 3])) == [0, 1, 2, 3]


def _articles(n: int, start: int = 0) -> list[Article]:
    return [Article(id=f"a{i}", title=f"Bài {i}", body=f"Tin số {i} về bóng đá Hà Nội.")
            for i in range(start, start + n)]


def test_a_run_ends_in_one_segment_and_small_additions_merge_with_each_other(tmp_path, monkeypatch):
    with SearchEngine(tmp_path / "ix") as engine:
        engine.index_articles(_articles(9), jobs=1, commit_every=3)
        assert [n for _, n in engine._store.segments()] == [9]
        engine.index_articles(_articles(1, 9), jobs=1)
        assert [n for _, n in engine._store.segments()] == [9, 1]
        engine.index_articles(_articles(1, 10), jobs=1)
        assert [n for _, n in engine._store.segments()] == [9, 2]
        assert engine.delete(["a0", "a1"]) == 2
        summary = engine.index_articles(_articles(12), jobs=1)  # the two deleted come back, with a11
        assert (summary.added, summary.unchanged) == (3, 9)
        assert [n for _, n in engine._store.segments()] == [12]  # 7 + 2 + 3: all merged, deletions gone
        assert engine.index_articles(_articles(12), jobs=1).unchanged == 12  # nothing written, nothing merged
        assert len(engine._store.segments()) == 1
        hits = engine.search("bóng đá", limit=20)
        assert sorted(h.id for h in hits) == sorted(f"a{i}" for i in range(12))
        assert engine.check() == []
        # Mid-run commits merge once the index holds more than MAX_SEGMENTS.
        monkeypatch.setattr(merge, "MAX_SEGMENTS", 2)
        counts = []
        engine.index_articles(_articles(8, 100), jobs=1, commit_every=1,
                              on_progress=lambda a: counts.append(len(engine._store.segments())))
        assert max(counts) <= 4 and len(engine._store.segments()) == 1
        assert len(engine) == 20 and engine.check() == []


def test_a_merge_that_fails_midway_leaves_the_index_as_it_was(tmp_path, monkeypatch):
    with SearchEngine(tmp_path / "ix") as engine:
        monkeypatch.setattr(engine._store, "merge", lambda older=None: False)  # three segments, left apart
        engine.index_articles(_articles(9), jobs=1, commit_every=3)
        monkeypatch.undo()
        before = engine._store.segments()
        assert [n for _, n in before] == [3, 3, 3]
        calls = []
        # Short lists (most terms of nine articles) are merged by _inline_merged.
        real = merge._inline_merged

        def failing(*args, **kwargs):
            calls.append(1)
            if len(calls) > 5:
                raise OSError("disk full")
            return real(*args, **kwargs)

        monkeypatch.setattr(merge, "_inline_merged", failing)
        with pytest.raises(OSError):
            engine.merge(older=set())
        assert calls and engine._store.segments() == before
        assert len(engine.search("bóng đá", limit=20)) == 9 and engine.check() == []
        monkeypatch.setattr(merge, "_inline_merged", real)
        assert engine.merge(older=set())  # the lock was let go: the next merge goes ahead
        assert [n for _, n in engine._store.segments()] == [9]
        assert len(engine.search("bóng đá", limit=20)) == 9 and engine.check() == []


def test_a_run_with_nothing_to_write_leaves_no_files_behind(tmp_path):
    with SearchEngine(tmp_path / "ix") as engine:
        engine.index_articles(_articles(3), jobs=1)
        files = sorted(f.name for f in (tmp_path / "ix").iterdir())
        assert engine.index_articles(_articles(3), jobs=1).unchanged == 3
        assert engine.delete(["nowhere"]) == 0
        assert sorted(f.name for f in (tmp_path / "ix").iterdir()) == files
