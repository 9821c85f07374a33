"""The bulk segment writer (vnsearch.store.bulk) writes the bytes Whoosh's posting-at-a-time path writes.

An indexing run's writer keeps the pre-encoded postings as arrays and
writes each term's list whole (:func:`vnsearch.store.bulk.flush_segment`);
the workers pack each article's stored record
(:func:`vnsearch.store.indexing.prepare_packed`). Both must leave the index
byte for byte as it was: these tests write the same documents both ways and
compare every file of the segments.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from conftest import read_corpus_lines
from whoosh import index

import vnsearch.store.bulk as bulk
import vnsearch.store.merge as merge
from vnsearch.store import indexing, updates
from vnsearch.store.codec import CheckedCodec, CompactCodec
from vnsearch.store.directory import IndexStore
from vnsearch.store.files import ChecksumStorage
from vnsearch.store.indexing import PreparedDocument, add_prepared, bulk_writer, prepare_document, prepare_packed
from vnsearch.store.schema import SIGNATURE_BYTES, ZONE_OFFSET, encode_terms, make_schema

WORDS = ["chung", "hiếm", "Hà_Nội", "bóng", "đá", "năm", "người", "trí_tuệ", "a", "b", "c", "d"]


def _doc(rng: random.Random, n: int) -> dict[str, Any]:
    """A document of the engine's schema with encoded terms, weights not all float32-exact (0.6, 1.1)."""
    text_f = {}
    for word in rng.sample(WORDS, rng.randint(1, len(WORDS))):
        positions = sorted(rng.sample(range(0, 3 * ZONE_OFFSET, 997), rng.randint(1, 4)))
        weight = rng.choice([1.0, 3.0, 0.6, 1.1, 4.5]) * len(positions)
        text_f[word] = (weight, len(positions), positions)
    # Rare terms too (one to five documents each): the lists short enough to be inlined.
    for word in (f"w{n}", f"r{n // 3}", f"s{n // 5}", f"t{n // 7}"):
        if rng.random() < 0.8:
            text_f[word] = (rng.choice([1.0, 0.6, 2.2]), 1, [rng.randrange(3 * ZONE_OFFSET)])
    doc: dict[str, Any] = {
        "id": f"d{n}",
        "text_f": encode_terms(text_f, positions=True),
        "text": encode_terms({t: (w, c, ()) for t, (w, c, _) in text_f.items()}, positions=False),
        "title": f"Tiêu đề {n}", "body": "Nội dung " * rng.randint(1, 40),
        "source_k": rng.choice(["dantri", "vnexpress"]),
        "minhash": bytes(rng.randrange(256) for _ in range(SIGNATURE_BYTES)),
    }
    if rng.random() < 0.6:
        doc["title_f"] = encode_terms({t: (0.6, 1, ()) for t in list(text_f)[:2]}, positions=False)
    if rng.random() < 0.7:
        doc["date"] = f"2024-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}"
    return doc


def segment_files(path: Path) -> list[dict[str, bytes]]:
    """Every segment's inner files by name (the segment's id taken out), in index order."""
    storage = ChecksumStorage(str(path), require_footer=False)
    ix = storage.open_index("MAIN")
    out = []
    for seg in ix._segments():
        compound = seg.open_compound_file(storage)
        sid = seg.segment_id()
        out.append({name.replace(sid, "SEG"): compound.open_file(name).read() for name in compound.list()})
    return out


def _write(path: Path, docs: list[dict[str, Any]], codec: Any, use_bulk: bool, plain_every: int = 0) -> None:
    path.mkdir()
    ix = index.create_in(str(path), make_schema())
    writer = ix.writer(codec=codec)
    if use_bulk:
        writer = bulk_writer(writer)
        assert getattr(writer, indexing._BUFFER, None) is not None
    for n, doc in enumerate(docs):
        if plain_every and n % plain_every == 0:
            writer.add_document(**doc)  # Whoosh's own path: its postings are taken over at the flush
        else:
            add_prepared(writer, doc)
    writer.commit(merge=False)


@pytest.mark.parametrize("codec", [CompactCodec(blocklimit=8), CheckedCodec(blocklimit=8), CheckedCodec()],
                         ids=["format8-small-blocks", "format9-small-blocks", "format9"])
@pytest.mark.parametrize("plain_every", [0, 5])
def test_bulk_flush_writes_the_same_bytes(tmp_path: Path, codec: Any, plain_every: int) -> None:
    rng = random.Random(17)
    docs = [_doc(rng, n) for n in range(300)]  # "a".."d" and the like: lists of hundreds, many blocks
    _write(tmp_path / "whoosh", docs, codec, use_bulk=False, plain_every=plain_every)
    _write(tmp_path / "bulk", docs, codec, use_bulk=True, plain_every=plain_every)
    old, new = segment_files(tmp_path / "whoosh"), segment_files(tmp_path / "bulk")
    assert len(old) == len(new) == 1
    assert sorted(old[0]) == sorted(new[0])
    for name in old[0]:
        assert old[0][name] == new[0][name], name


def test_buffer_compacts_without_changing_the_lists(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Postings turned into arrays every few documents (a long run's memory bound) give the same segment."""
    rng = random.Random(5)
    docs = [_doc(rng, n) for n in range(120)]
    _write(tmp_path / "whole", docs, CheckedCodec(blocklimit=16), use_bulk=True)
    monkeypatch.setattr(bulk, "COMPACT_EVERY", 37)
    _write(tmp_path / "compacted", docs, CheckedCodec(blocklimit=16), use_bulk=True)
    assert segment_files(tmp_path / "whole") == segment_files(tmp_path / "compacted")


def _old_prepared(article: Any, segmenter: Any = None) -> PreparedDocument:
    """What the workers sent before: the fields without the packed record."""
    doc = PreparedDocument(prepare_document(article, segmenter))
    doc["digest"] = indexing.article_digest(article)
    return doc


def _plain_writer(writer: Any) -> Any:
    """The writer as before the bulk path: lengths listed, postings through Whoosh's pool."""
    writer = bulk_writer(writer)
    if hasattr(writer, indexing._BUFFER):
        delattr(writer, indexing._BUFFER)
        del writer._flush_segment  # the class's own again
    return writer


def test_indexing_run_writes_the_index_the_whoosh_path_writes(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Real articles, commits every 20 (so a merge at the end), a replaced article: the same files."""
    records = read_corpus_lines("news.jsonl.gz", 0, 45)
    records.append(dict(records[3], title=records[3]["title"] + " (sửa)"))  # replaced in the same run

    def build(path: Path, commit_every: int | None = 20) -> None:
        store = IndexStore(path)
        try:
            summary = updates.index_articles(store, records[:-1] if commit_every is None else records, jobs=1,
                                             commit_every=commit_every)
        finally:
            store.close()
        assert summary.added == 45 and summary.replaced == (0 if commit_every is None else 1)

    build(tmp_path / "bulk")
    build(tmp_path / "bulk-one", commit_every=None)
    with monkeypatch.context() as m:
        m.setattr(indexing, "prepare_packed", _old_prepared)
        m.setattr(updates, "bulk_writer", _plain_writer)
        m.setattr(merge, "_PLAIN_INLINE", False)
        build(tmp_path / "whoosh")
        build(tmp_path / "whoosh-one", commit_every=None)
    assert segment_files(tmp_path / "whoosh") == segment_files(tmp_path / "bulk")
    assert len(segment_files(tmp_path / "whoosh-one")) == 1  # written by the flush alone, no merge
    assert segment_files(tmp_path / "whoosh-one") == segment_files(tmp_path / "bulk-one")



def test_packed_record_is_what_the_writer_packs(segmenter: Any) -> None:
    from vnsearch import Article
    from vnsearch.store.format import unpack_stored

    article = indexing.coerce_article(Article(id="x1", title="Hà Nội mưa to", body="Người dân đi làm muộn.",
                                              date="2024-05-01", source="VnExpress"))
    doc = prepare_packed(article, segmenter)
    assert doc.stored is not None
    record = unpack_stored(doc.stored)
    assert list(record) == sorted(record)
    assert record["digest"] == indexing.article_digest(article)
    assert record["title"] == "Hà Nội mưa to" and "text_f" not in record
    doc.changed()
    assert doc.stored is None


def _positions_loop(poslist: list[int]) -> bytes:
    """encode_positions as its general loop writes any list (the reference for its one-position shortcut)."""
    from vnsearch.store.format import ZONE_OFFSET as ZONE
    from vnsearch.store.format import varint

    out = bytearray()
    zone, prev = 0, -1
    for pos in poslist:
        z, r = divmod(pos, ZONE)
        if z != zone:
            out += b"\x00" + varint((r << 2) | (z - zone))
            zone = z
        else:
            out += varint(r - prev)
        prev = r
    return bytes(out)


@pytest.mark.parametrize("pos", [0, 1, 125, 126, 127, 128, 16383, 16384, ZONE_OFFSET - 1, ZONE_OFFSET,
                                 ZONE_OFFSET + 300, 2 * ZONE_OFFSET + 200_000, 3 * ZONE_OFFSET + 1])
def test_one_position_is_encoded_as_the_loop_encodes_it(pos: int) -> None:
    from vnsearch.store.format import encode_positions

    assert encode_positions([pos]) == _positions_loop([pos])
    assert encode_positions([pos, pos + 1]) == _positions_loop([pos, pos + 1])


def test_position_lists_are_encoded_as_the_loop_encodes_them() -> None:
    """Lists in one zone (bytes of the gaps at once), across zones, with long gaps, unsorted, repeated."""
    from vnsearch.store.format import encode_positions

    rng = random.Random(17)
    for _ in range(3000):
        zones = rng.sample(range(4), rng.randint(1, 3))
        positions = set()
        for z in zones:
            spread = rng.choice([40, 200, 5000, 300_000])
            positions.update(z * ZONE_OFFSET + rng.randrange(spread) for _ in range(rng.randint(1, 30)))
        ordered = sorted(positions)
        assert encode_positions(ordered) == _positions_loop(ordered), ordered
        shuffled = ordered + ordered[: rng.randint(0, 3)]
        rng.shuffle(shuffled)
        assert encode_positions(shuffled) == _positions_loop(ordered)
    for ordered in ([0, 1], [0, 127], [0, 128], [126, 127], [ZONE_OFFSET, ZONE_OFFSET + 127],
                    [3 * ZONE_OFFSET + 5, 3 * ZONE_OFFSET + 500], [5, ZONE_OFFSET + 5, 2 * ZONE_OFFSET]):
        assert encode_positions(ordered) == _positions_loop(ordered), ordered


@pytest.mark.parametrize("positions", [[-3, -1], [4 * ZONE_OFFSET, 4 * ZONE_OFFSET + 1], [1, 4 * ZONE_OFFSET]])
def test_position_lists_outside_the_zones_are_refused(positions: list[int]) -> None:
    from vnsearch.store.format import encode_positions

    with pytest.raises(ValueError):
        encode_positions(positions)


@pytest.mark.parametrize("pos", [-1, 4 * ZONE_OFFSET])
def test_one_position_outside_the_zones_is_refused(pos: int) -> None:
    from vnsearch.store.format import encode_positions

    with pytest.raises(ValueError):
        encode_positions([pos])


def test_article_to_dict_is_asdict() -> None:
    """to_dict (built directly, for the revalidation an indexing run does per article) equals dataclasses.asdict."""
    from dataclasses import asdict

    from vnsearch import Article

    article = Article(id="x", title="Tiêu đề", lead="Sa pô", body="Thân bài", headings=["Một", "Hai"],
                      time="2024-01-01T08:00:00+07:00", date="2024-01-01", title_derived=True)
    got = article.to_dict()
    assert got == asdict(article) and list(got) == list(asdict(article))
    got["headings"].append("Ba")
    assert article.headings == ["Một", "Hai"]  # a copy, as asdict's


def test_minhash_base_hashes_are_the_blake2b_integers() -> None:
    """The digests read by numpy at once are the integers int.from_bytes made of each."""
    import hashlib

    from vnsearch.store.signature import _base_hashes

    items = ["", "a", "hà nội", "trí tuệ nhân tạo ở việt nam", "😀 x"]
    want = [int.from_bytes(hashlib.blake2b(s.encode("utf-8"), digest_size=8).digest(), "little") for s in items]
    assert _base_hashes([s.encode("utf-8") for s in items]).tolist() == want
    assert _base_hashes([]).shape == (0,)


def test_short_impact_lists_are_packed_as_numpy_packs_them() -> None:
    """pack_impacts_small (plain Python, lists up to SMALL_IMPACTS) writes pack_impacts' bytes."""
    import numpy as np

    from vnsearch.store.format import SMALL_IMPACTS, pack_impacts, pack_impacts_small

    rng = random.Random(23)
    choices = [[1.0], [1.0, 3.0, 1.5, 4.5, 0.5], [0.6, 1.1, 1.8, 0.9, 3.3], [1e-3, 127.5, 128.0, 200.7, 1e30]]
    kinds = set()
    for _ in range(4000):
        n = rng.randint(1, SMALL_IMPACTS)
        top = rng.choice([40, 300, 70_000, 5_000_000])
        ids = sorted(rng.sample(range(top), n))
        pool = rng.choice(choices)
        weights = [rng.choice(pool) * rng.choice([1, 1, 2, 0.5]) for _ in range(n)]
        got = pack_impacts_small(ids, weights)
        expected = pack_impacts(np.asarray(ids, dtype=np.int64), np.asarray(weights, dtype=np.float32))
        assert got == expected, (ids, weights)
        kinds.add(expected[0] >> 2)
        # float32 inputs (the merge's numpy sums) too
        as32 = np.asarray(weights, dtype=np.float32)
        assert pack_impacts_small(ids, as32.tolist()) == pack_impacts(np.asarray(ids, dtype=np.int64), as32)
    assert kinds == {0, 1, 3}  # ones, halves, table (floats needs over 256 distinct weights)
    for ids, weights in (([], []), ([0] * 9, [1.0] * 9), ([3, 2], [1.0, 1.0]), ([0], [0.0]), ([0], [-1.0]),
                         ([0], [float("nan")]), ([0], [float("inf")]), ([0, 1], [1.0])):
        assert pack_impacts_small(ids, weights) is None, (ids, weights)


def _random_lists(rng: random.Random, nlists: int, longest: int) -> tuple[list[list[int]], list[list[float]]]:
    """Impact lists of every kind pack_impacts writes: ids ascending, widths 1 to 4 bytes, weights ones,
    halves, a few distinct values (table) or many (floats)."""
    choices = [[1.0], [1.0, 3.0, 1.5, 4.5, 0.5], [0.6, 1.1, 1.8, 0.9, 3.3], [1e-3, 127.5, 128.0, 200.7, 1e30]]
    all_ids: list[list[int]] = []
    all_weights: list[list[float]] = []
    for _ in range(nlists):
        n = rng.randint(1, longest)
        top = rng.choice([n + 40, n + 300, 70_000 + n, 5_000_000])
        ids = sorted(rng.sample(range(top), n))
        if rng.random() < 0.1 and n > 256:
            weights = [rng.uniform(0.01, 9.0) for _ in range(n)]  # over 256 distinct: floats
        else:
            pool = rng.choice(choices)
            weights = [rng.choice(pool) * rng.choice([1, 1, 2, 0.5]) for _ in range(n)]
        all_ids.append(ids)
        all_weights.append(weights)
    return all_ids, all_weights


def test_many_impact_lists_are_packed_as_one_by_one() -> None:
    """pack_impacts_many (every list of a field in a few numpy passes) writes pack_impacts' bytes for each list."""
    import numpy as np

    from vnsearch.store.format import pack_impacts, pack_impacts_many

    rng = random.Random(29)
    kinds = set()
    for trial in range(60):
        ids, weights = _random_lists(rng, rng.randint(1, 80), [2, 8, 70, 600][trial % 4])
        edges = np.cumsum([0] + [len(i) for i in ids])
        got = pack_impacts_many(edges, np.concatenate([np.asarray(i, dtype=np.int64) for i in ids]),
                                np.concatenate([np.asarray(w, dtype=np.float32) for w in weights]))
        assert got is not None
        flags, ends, data = got
        assert len(flags) == len(ends) == len(ids) and ends[-1] == len(data)
        at = 0
        for k, (i, w) in enumerate(zip(ids, weights)):
            expected_flags, expected = pack_impacts(np.asarray(i, dtype=np.int64), np.asarray(w, dtype=np.float32))
            assert (int(flags[k]), data[at: int(ends[k])]) == (expected_flags, expected), (trial, k, i, w)
            kinds.add(expected_flags >> 2)
            at = int(ends[k])
    assert kinds == {0, 1, 2, 3}  # ones, halves, floats, table
    # What the one-by-one path must take: unusual ids or weights, empty lists.
    one = np.array([0, 1], dtype=np.int64)
    for edges, ids_, weights_ in (([0, 2], [3, 2], [1.0, 1.0]), ([0, 1, 1, 2], [0, 1], [1.0, 1.0]),
                                  ([0, 2], [0, 1], [1.0, 0.0]), ([0, 2], [0, 1], [1.0, -2.0]),
                                  ([0, 2], [0, 1], [1.0, float("nan")]), ([0, 2], [0, 1], [float("inf"), 1.0]),
                                  ([0, 2], [0, 1 << 32], [1.0, 1.0]), ([0, 3], [0, 1], [1.0, 1.0])):
        assert pack_impacts_many(np.asarray(edges), np.asarray(ids_, dtype=np.int64),
                                 np.asarray(weights_, dtype=np.float32)) is None, (edges, ids_, weights_)
    assert pack_impacts_many(np.asarray([0, 2]), one, np.ones(2, dtype=np.float32)) is not None


def test_impacts_writer_add_many_writes_what_add_writes(tmp_path: Path) -> None:
    """ImpactsWriter.add_many (and the merge's ImpactsBatch) write the file add writes, list by list;
    lists out of key order are refused, and unusual lists take add's path inside add_many."""
    import numpy as np

    from vnsearch.store.impacts import ImpactsBatch, ImpactsWriter

    rng = random.Random(31)
    fields = {}
    for name in ("text", "text_f", "title_f"):
        ids, weights = _random_lists(rng, 120, 40)
        terms = sorted({f"t{rng.randint(0, 10**6)}".encode() for _ in range(120)})[:len(ids)]
        fields[name] = (terms, ids[:len(terms)], weights[:len(terms)], [rng.random() < 0.5 for _ in terms])
    fields["title_f"][1][3] = [5, 2]  # not ascending: add_many hands the field to add
    fields["title_f"][2][3] = [1.0, 1.0]

    def write(path: Path, how: str) -> bytes:
        with open(path, "wb") as fh:
            writer = ImpactsWriter(fh)
            for name, (terms, ids, weights, values) in fields.items():
                if how == "add":
                    for t, i, w, v in zip(terms, ids, weights, values):
                        writer.add(name, t, i, w, v)
                elif how == "many":
                    edges = np.cumsum([0] + [len(i) for i in ids])
                    writer.add_many(name, terms, edges, np.concatenate([np.asarray(i) for i in ids]),
                                    np.concatenate([np.asarray(w, dtype=np.float32) for w in weights]), values)
                else:
                    batch = ImpactsBatch(writer, name, every=50)
                    for t, i, w, v in zip(terms, ids, weights, values):
                        batch.add(t, np.asarray(i, dtype=np.int64) if len(i) % 2 else i, w, v)
                    batch.flush()
            writer.close()
        return path.read_bytes()

    expected = write(tmp_path / "add.imp", "add")
    assert write(tmp_path / "many.imp", "many") == expected
    assert write(tmp_path / "batch.imp", "batch") == expected
    with open(tmp_path / "bad.imp", "wb") as fh:
        writer = ImpactsWriter(fh)
        writer.add("text_f", b"b", [0], [1.0], False)
        with pytest.raises(ValueError, match="key order"):
            writer.add_many("text_f", [b"a"], [0, 1], [0], [1.0], [False])
        with pytest.raises(ValueError, match="key order"):
            writer.add_many("text_f", [b"d", b"c"], [0, 1, 2], [0, 0], [1.0, 1.0], [False, False])


def test_position_lists_of_a_field_are_encoded_as_one_by_one() -> None:
    """encode_positions_many (all of an article's lists in numpy passes) gives encode_positions' bytes and lengths;
    unsorted lists and lists with repeats take the one-by-one path, and positions outside the zones still raise."""
    from vnsearch.store.format import encode_positions, encode_positions_many

    rng = random.Random(37)
    for _ in range(1500):
        lists: list[list[int]] = []
        for _ in range(rng.randint(0, 40)):
            n = rng.choice([0, 1, 1, 1, 2, 3, 10, 50])
            zones = sorted(rng.choice(range(4)) for _ in range(n))
            spread = rng.choice([120, 130, 20_000, 300_000, ZONE_OFFSET])
            lists.append(sorted({z * ZONE_OFFSET + rng.randrange(spread) for z in zones}))
        if lists and rng.random() < 0.05:
            lists[0] = lists[0][::-1] + lists[0][:1]
        expected = [encode_positions(p) for p in lists]
        assert encode_positions_many(lists) == (b"".join(expected), [len(e) for e in expected]), lists
    assert encode_positions_many([]) == (b"", [])
    assert encode_positions_many([[], [0], []]) == (b"\x01", [0, 1, 0])
    for bad in ([[0], [-1]], [[1, 4 * ZONE_OFFSET]], [[4 * ZONE_OFFSET]]):
        with pytest.raises(ValueError):
            encode_positions_many(bad)


def test_signature_from_syllable_bytes_is_the_shingles_signature() -> None:
    """syllables_minhash (shingles joined as UTF-8 bytes) equals minhash(shingles(...)) on news and short texts."""
    import numpy as np

    from vnsearch.store.indexing import coerce_article
    from vnsearch.store.signature import article_text, folded_syllables, minhash, shingles, syllables_minhash

    records = read_corpus_lines("news.jsonl.gz", 0, 40)
    forms = [folded_syllables(article_text(coerce_article(record))) for record in records]
    forms += [[], ["a"], ["a", "b", "c", "d"], ["a"] * 5, ["x", "y"] * 9, ["đ", "ươ", "a b"]]
    for folded in forms:
        assert np.array_equal(syllables_minhash(folded), minhash(shingles(folded)))


@pytest.mark.parametrize("texts", [[], [""], ["a", "", "đường"], ["a\x00b", "c"], ["\x00"], ["x y", "ươ", "Σ"]])
def test_texts_are_encoded_as_one_by_one(texts: list[str]) -> None:
    """schema.utf8_all (joined, encoded once, split) gives each text's UTF-8 bytes, even when a text holds the
    joining character (then one by one); a mapping gives its keys'."""
    from vnsearch.store.schema import utf8_all

    assert utf8_all(texts) == [t.encode("utf-8") for t in texts]
    assert utf8_all(dict.fromkeys(texts)) == [t.encode("utf-8") for t in dict.fromkeys(texts)]
