"""The on-disk form: vnsearch's codec reads back exactly what Whoosh's W3 codec would.

The codec (vnsearch/codec.py) changes how postings and the term dictionary are
written, never what they say, so every test here builds the same small index
twice, once with Whoosh's own W3 codec, and compares everything a reader can
ask for. These indexes are built from plain term maps (no segmenter), so they
are fast.
"""

from __future__ import annotations

import os
import pickle
import random
import unicodedata
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh import fields, index
from whoosh.codec.whoosh3 import W3Codec
from whoosh.reading import TermNotFound

from vnsearch.store.codec import CompactCodec, CompactTermsReader, InlineMatcher, pack_stored, unpack_stored
from vnsearch.store.postings import read_postings, segments_of
from vnsearch.store.schema import PreAnalyzed
from vnsearch.store.signature import estimated_jaccard, minhash, shingles, signature_bytes, signature_of

SYLLABLES = ["hà", "nội", "trí", "tuệ", "nhân", "tạo", "bóng", "đá", "kinh", "tế", "việt", "nam", "giá", "vàng"]


def _schema() -> fields.Schema:
    return fields.Schema(id=fields.ID(stored=True, unique=True), text=PreAnalyzed(positions=False),
                         text_f=PreAnalyzed(positions=True), body=fields.STORED())


def _documents(n: int = 300, seed: int = 7) -> list[dict]:
    """Common syllables (long posting lists) and one-off names (lists of one or two)."""
    rng = random.Random(seed)
    docs = []
    for i in range(n):
        words = [rng.choice(SYLLABLES) for _ in range(rng.randint(3, 40))] + [f"tên{i}", f"số{i // 2}"]
        exact: dict = {}
        folded: dict = {}
        for pos, w in enumerate(words):
            weight, count, _ = exact.get(w, (0.0, 0, ()))
            exact[w] = (weight + rng.choice((1.0, 1.5, 3.0, 0.6)), count + 1, ())
            folded.setdefault(w, (1.0, 0, []))[2].append(pos + (1 << 22) * rng.randint(0, 2))
        folded = {t: (float(len(p)), len(p), sorted(p)) for t, (_, _, p) in folded.items()}
        docs.append({"id": f"d{i}", "text": exact, "text_f": folded, "body": " ".join(words)})
    return docs


def _build(path: Path, codec, docs: list[dict], commits: int = 1, optimize: bool = False):
    path.mkdir()
    ix = index.create_in(str(path), _schema())
    step = -(-len(docs) // commits)
    for start in range(0, len(docs), step):
        writer = ix.writer(codec=codec)
        for doc in docs[start: start + step]:
            writer.add_document(**doc)
        writer.commit(merge=False)
    if optimize:
        ix.writer(codec=codec).commit(optimize=True)
    return ix


def _everything(reader) -> dict:
    """Every term of every field with its statistics and postings, and the stored fields."""
    out = {}
    for (fieldname, btext), info in _items(reader):
        postings = reader.postings(fieldname, btext)
        items = []
        while postings.is_active():
            items.append((postings.id(), round(postings.weight(), 4), postings.value() or b""))
            postings.next()
        out[fieldname, btext] = (info.doc_frequency(), round(info.weight(), 3), info.min_id(), info.max_id(),
                                 reader.doc_frequency(fieldname, btext), round(reader.frequency(fieldname, btext), 3),
                                 items)
    out["stored"] = [reader.stored_fields(d) for d in reader.all_doc_ids()]
    return out


def _items(reader):
    for fieldname in ("id", "text", "text_f"):
        yield from (((fieldname, t), i) for t, i in reader.iter_field(fieldname))


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.iterdir() if p.is_file())


@pytest.mark.parametrize("commits, optimize", [(1, False), (3, False), (3, True)])
def test_compact_codec_reads_back_what_w3_writes(tmp_path, commits, optimize):
    docs = _documents()
    w3 = _build(tmp_path / "w3", W3Codec(), docs, commits, optimize)
    ours = _build(tmp_path / "ours", CompactCodec(), docs, commits, optimize)
    with w3.reader() as a, ours.reader() as b:
        expected, got = _everything(a), _everything(b)
        assert got.keys() == expected.keys()
        assert got == expected
        # vnsearch's own bulk reader: the same arrays whichever way a list is stored
        for term in ("hà", "tên5", "số7", "nam"):
            pa, pb = read_postings(segments_of(a), "text_f", term), read_postings(segments_of(b), "text_f", term)
            assert pa.docs.tolist() == pb.docs.tolist() and pa.freqs.tolist() == pb.freqs.tolist()
            assert list(pa.values) == list(pb.values)
            pa, pb = read_postings(segments_of(a), "text", term), read_postings(segments_of(b), "text", term)
            assert pa.docs.tolist() == pb.docs.tolist() and np.allclose(pa.freqs, pb.freqs)
            assert len(pb.values) in (0, len(pb.docs))
        # prefix walks (the lexicon, suggestions) start where they should
        assert [t for t in b.lexicon("text") if t.startswith(b"t\xc3\xaan1")] == \
            [t for t in a.lexicon("text") if t.startswith(b"t\xc3\xaan1")]
        assert list(b.expand_prefix("text", "số1"))[:5] == list(a.expand_prefix("text", "số1"))[:5]
        # unknown terms
        assert ("text", "không có".encode()) not in b
        assert b.doc_frequency("text", "không có") == 0 and b.frequency("text", "không có") == 0
        leaf = b.leaf_readers()[0][0] if hasattr(b, "leaf_readers") else b
        with pytest.raises(TermNotFound):
            leaf._terms.term_info("text", "không có".encode())


def test_short_lists_are_inlined_and_the_dictionary_is_ours(tmp_path):
    ix = _build(tmp_path / "ix", CompactCodec(), _documents(50))
    with ix.reader() as reader:
        assert isinstance(reader._terms, CompactTermsReader)
        assert isinstance(reader.postings("text", "tên3"), InlineMatcher)  # one posting
        assert reader.postings("text", "tên3").value() == b""  # bytes, as a segment merge wants
        assert not isinstance(reader.postings("text", "hà"), InlineMatcher)  # in most documents
        assert reader.term_info("text", "hà").doc_frequency() > 10


def test_compact_codec_index_is_much_smaller(tmp_path):
    docs = _documents(400)
    w3 = tmp_path / "w3"
    ours = tmp_path / "ours"
    _build(w3, W3Codec(), docs)
    _build(ours, CompactCodec(), docs)
    assert _size(ours) < 0.5 * _size(w3), (_size(ours), _size(w3))


def test_seed_index_is_small_and_written_by_our_codec(seed_index_dir, seed_engine):
    """The two seed articles (10 kB of text) took 207 kB with W3's codec and dup_bands terms.

    Format 10's impacts file costs ~35 bytes per distinct term (its directory
    entry, the list and its checksum): an index of two articles is nearly all
    dictionary, so it is ~7× its text (the whole corpus: 1.65×).
    """
    size = sum(os.path.getsize(p) for p in Path(seed_index_dir).iterdir() if p.is_file())
    raw = sum(len(t.encode("utf-8")) for i in seed_engine.ids()
              for t in (seed_engine.get(i).title, seed_engine.get(i).lead, seed_engine.get(i).body))
    assert size < 7.5 * raw, (size, raw)
    ix = index.open_dir(str(seed_index_dir), indexname="MAIN")
    assert all(isinstance(seg.codec(), CompactCodec) for seg in ix._segments())
    with ix.reader() as reader:
        assert reader.has_column("minhash") and "dup_bands" not in reader.indexed_field_names()
    ix.close()


def test_stored_signature_is_32_bits_of_each_hash():
    a = minhash(shingles("một hai ba bốn năm sáu bảy tám chín mười".split()))
    b = minhash(shingles("một hai ba bốn năm sáu bảy tám chín mươi".split()))
    stored = signature_bytes(a)
    assert len(stored) == 128
    assert signature_of(stored).tolist() == (a & 0xFFFFFFFF).tolist()
    assert estimated_jaccard(signature_of(stored), signature_of(signature_bytes(b))) == estimated_jaccard(a, b)
    assert signature_of(bytes(128)) is None  # the column's default: a document indexed without one


STORED_TEXTS = [
    "Trí tuệ nhân tạo",
    unicodedata.normalize("NFD", "Quảng Đông: Trí tuệ nhân tạo, tiếng Việt tổ hợp"),  # combining marks kept as given
    "Emoji 🇻🇳👍🏽 và ký tự ngoài BMP 𠀀 \u200b\ufeff",
    "",
]


@pytest.mark.parametrize("text", STORED_TEXTS)
def test_stored_fields_round_trip_exactly(text):
    fields = {"id": "x", "title": text, "lead": text * 3, "body": text * 50, "title_derived": True, "date": None}
    packed = pack_stored(fields)
    assert packed[0] == 2  # deflated with the preset dictionary, behind its CRC-32 (format 9)
    assert unpack_stored(packed) == fields


def test_stored_fields_are_compressed_better_than_whoosh_does():
    fields = {"id": "a1", "title": "Hà Nội công bố kế hoạch phát triển kinh tế năm 2025",
              "lead": "Thành phố Hà Nội vừa công bố kế hoạch phát triển kinh tế xã hội của năm tới.",
              "body": "Theo Sở Kế hoạch và Đầu tư, trong năm nay thành phố sẽ tập trung vào các dự án giao "
                      "thông trọng điểm và hỗ trợ doanh nghiệp nhỏ và vừa. " * 3}
    whoosh = len(zlib.compress(pickle.dumps(fields, 2), 3))
    assert len(pack_stored(fields)) < 0.8 * whoosh


def test_huge_article_stored_and_read_back_through_the_codec(tmp_path):
    body = ("Bài viết rất dài với dấu tiếng Việt và emoji 🚀. " * 420_000)[:20_000_000]
    ix = _build(tmp_path / "ix", CompactCodec(), [{"id": "big", "text": {}, "text_f": {}, "body": body},
                                                   {"id": "small", "text": {}, "text_f": {}, "body": "ngắn"}])
    with ix.reader() as reader:
        assert reader.stored_fields(0) == {"id": "big", "body": body}
        assert [f["id"] for f in reader.all_stored_fields()] == ["big", "small"]
    assert _size(tmp_path / "ix") < len(body.encode("utf-8")) / 20


def test_engine_get_returns_the_text_as_indexed(tmp_path):
    from vnsearch import SearchEngine
    from vnsearch.store.indexing import coerce_article

    article = {"id": "e1", "title": "Emoji 👍🏽 và " + unicodedata.normalize("NFD", "Quảng Đông"),
               "sapo": "Mở đầu 🇻🇳.", "body": "Nội dung " * 200 + "𠀀"}
    expected = coerce_article(article)  # what loading makes of it (cleaning, NFC)
    with SearchEngine(tmp_path / "ix") as engine:
        engine.add_articles([article], jobs=1)
        got = engine.get("e1")
        assert (got.title, got.lead, got.body) == (expected.title, expected.lead, expected.body)
        assert engine.search("quang dong")[0].id == "e1"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2), st.integers(0, 1_000_000)), max_size=40))
def test_positions_round_trip(pairs):
    from vnsearch.store.schema import ZONE_OFFSET, CompactPositions

    fmt = CompactPositions()
    positions = sorted({zone * ZONE_OFFSET + p for zone, p in pairs})
    assert fmt.decode_positions(fmt.encode(positions)) == positions
    assert fmt.decode_positions(fmt.encode(positions[::-1])) == positions  # any order in, sorted out


def test_positions_take_a_byte_or_two_each():
    from vnsearch.store.schema import ZONE_OFFSET, CompactPositions

    # title 3, lead 10 and 12, body 150: 1 + 2 + 1 + 3 bytes (W3's signed deltas took 1 + 4 + 1 + 4)
    encoded = CompactPositions().encode([3, ZONE_OFFSET + 10, ZONE_OFFSET + 12, 2 * ZONE_OFFSET + 150])
    assert len(encoded) == 7


def test_positions_round_trip_through_both_decoders():
    """The one-byte fast path and the general varint path decode what encode_positions wrote."""
    import random

    from vnsearch.store.schema import ZONE_OFFSET, CompactPositions, encode_positions

    fmt = CompactPositions()
    rng = random.Random(7)
    seen_fast = seen_general = 0
    for _ in range(3000):
        positions = set()
        for zone in rng.sample(range(3), rng.randint(1, 3)):
            spread = rng.choice([5, 40, 300, 5000])  # gaps of one byte, and of several
            positions.update(zone * ZONE_OFFSET + rng.randrange(spread) for _ in range(rng.randint(1, 8)))
        expected = sorted(positions)
        encoded = encode_positions(expected)
        seen_fast += encoded.isascii()
        seen_general += not encoded.isascii()
        assert fmt.decode_positions(encoded) == expected
    assert seen_fast > 100 and seen_general > 100
