"""The on-disk format: one definition per layout, fixture indexes of every version, and a guard on bumps.

``tests/fixtures/v<N>/`` holds an index written by format version N with
what the code of that time read from it (see tests/fixtures/make_fixture.py).
"""

from __future__ import annotations

import importlib.util
import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from whoosh.util.varints import varint as whoosh_varint

from tests.conftest import MemoryFile
from vnsearch import IndexVersionMismatch, SearchEngine
from vnsearch.store import format as fmt

FIXTURES = Path(__file__).resolve().parent / "fixtures"
ROOT = FIXTURES.parents[1]


def _make_fixture() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_fixture", FIXTURES / "make_fixture.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _fixture_folders() -> list[Path]:
    return sorted(p for p in FIXTURES.glob("v*") if (p / "fixture.json").is_file())


def _record(folder: Path) -> dict[str, Any]:
    record: dict[str, Any] = json.loads((folder / "fixture.json").read_text("utf-8"))
    return record


def _copy_index(folder: Path, tmp_path: Path) -> Path:
    """A copy of a fixture's index: opening one may write (a lock), the committed files must not change."""
    target = tmp_path / folder.name
    shutil.copytree(folder / "index", target)
    return target


def _check_reads(path: Path, record: dict[str, Any]) -> None:
    """The index at *path* returns exactly the recorded articles and top results."""
    with SearchEngine(path, create=False) as engine:
        assert sorted(engine.ids()) == sorted(record["articles"])
        for article_id, stored in record["articles"].items():
            article = engine.get(article_id)
            assert article is not None, article_id
            got = article.to_dict()
            # Fields newer than the fixture's format are empty in its articles.
            assert all(not got[k] for k in set(got) - set(stored)), article_id
            assert {k: got[k] for k in stored} == stored, article_id
        for query, want in record["queries"].items():
            # The fixture's scores are the ranker's own: Telex and typo readings (issue 16) left out.
            results = engine.search(query, limit=len(want["hits"]) or 5, telex=False, typos=False)
            assert results.total == want["total"], query
            got = [[hit.id, hit.score] for hit in results]
            assert [h[0] for h in got] == [h[0] for h in want["hits"]], query
            assert [h[1] for h in got] == pytest.approx([h[1] for h in want["hits"]], rel=1e-6, abs=1e-6), query


# -- one definition per layout ---------------------------------------------------------------

def _random_positions(rng: random.Random) -> list[int]:
    positions: list[int] = []
    for zone in range(3):
        if rng.random() < 0.3:
            continue
        start = rng.choice([0, 1, 100, 200, 5000, 70000])
        count = rng.randint(1, 12)
        gaps = [rng.choice([1, 2, 3, 90, 127, 128, 129, 300, 20000]) for _ in range(count)]
        pos = start
        for gap in gaps:
            positions.append(zone * fmt.ZONE_OFFSET + pos)
            pos += gap
    return positions


def test_position_decoders_agree() -> None:
    """The scalar and the numpy decoder of the positions layout give the same positions back."""
    rng = random.Random(7)
    values = []
    for _ in range(400):
        positions = _random_positions(rng)
        if not positions:
            continue
        encoded = fmt.encode_positions(positions)
        assert fmt.decode_positions(encoded) == positions
        assert fmt.decode_positions_numpy(encoded) == positions
        values.append((encoded, positions))
    # Many values at once, as the phrase check decodes them.
    owners, decoded = fmt.decode_many([v for v, _ in values])
    for i, (_, want) in enumerate(values):
        assert decoded[owners == i].tolist() == want
    # All one-byte varints, the fast paths of both decoders.
    small = fmt.encode_positions([0, 1, 5, fmt.ZONE_OFFSET + 3, 2 * fmt.ZONE_OFFSET])
    assert small.isascii()
    assert fmt.decode_positions(small) == fmt.decode_positions_numpy(small) == [
        0, 1, 5, fmt.ZONE_OFFSET + 3, 2 * fmt.ZONE_OFFSET]


def test_positions_bytes_are_pinned() -> None:
    """The positions layout as documented: gaps from -1, a 0 byte then ``pos << 2 | skipped`` per zone."""
    assert fmt.encode_positions([0, 2, fmt.ZONE_OFFSET + 1, 3 * fmt.ZONE_OFFSET + 40]) == bytes(
        [1, 2, 0, (1 << 2) | 1, 0]) + fmt.varint((40 << 2) | 2)


def test_varint_matches_whoosh() -> None:
    for value in [0, 1, 127, 128, 255, 300, 16383, 16384, 1 << 21, 1 << 35]:
        assert fmt.varint(value) == whoosh_varint(value)
        assert fmt.read_varint(b"x" + fmt.varint(value), 1) == (value, 1 + len(fmt.varint(value)))


def test_block_round_trip_both_packers() -> None:
    """pack_block (plain Python below 64 postings, numpy above) and pack_arrays write the same bytes."""
    rng = np.random.default_rng(3)
    for n in (1, 5, 63, 64, 300):
        ids = np.cumsum(rng.integers(1, 400, size=n))
        for weights in (np.ones(n), np.full(n, 2.5), rng.integers(0, 255, size=n).astype(float),
                        rng.random(n) * 10):
            values = [fmt.encode_positions(sorted(set(rng.integers(0, 900, size=3).tolist()))) for _ in range(n)]
            block = fmt.pack_block(ids.tolist(), weights.tolist(), values, fmt.COMPRESSION)
            lengths = np.array([len(v) for v in values], dtype=np.int64)
            assert fmt.pack_arrays(ids, weights.astype(np.float32), lengths, b"".join(values),
                                   fmt.COMPRESSION) == block
            gaps, got_weights, got_values = fmt.unpack_block(block)
            assert np.cumsum(gaps).tolist() == ids.tolist()
            assert got_values is not None and list(got_values) == values
            if got_weights is None:
                assert (weights == 1).all()
            elif isinstance(got_weights, float):
                assert (weights.astype(np.float32) == np.float32(got_weights)).all()
            else:
                assert np.allclose(got_weights, weights.astype(np.float32))


def test_deflated_values_flag_still_read() -> None:
    """Version 7's in-band flag: a block whose values part was deflated (older writers) reads the same."""
    import zlib

    values = [fmt.encode_positions([1, 4, 9]), fmt.encode_positions([2, fmt.ZONE_OFFSET + 7])]
    plain = fmt.pack_block([3, 8], [1.0, 1.0], values, 0)
    gaps, _, packed = fmt.unpack_block(plain)
    head_end = len(plain) - (2 + sum(map(len, values)))  # the values part: two u1 lengths, then the values
    deflated = bytes((plain[0], plain[1] | 0x40)) + plain[2:head_end] + zlib.compress(plain[head_end:])
    _, _, got = fmt.unpack_block(deflated)
    assert got is not None and packed is not None
    assert list(got) == list(packed) == values


def test_stored_and_term_table_round_trip(tmp_path: Path) -> None:
    fields = {"id": "a", "title": "Hà Nội mưa lớn", "body": "Nội dung " * 50}
    assert fmt.unpack_stored(fmt.pack_stored(fields)) == fields

    entries = [(b"\x00\x00" + f"term{i:05d}".encode(), bytes([i % 256]) * (i % 7)) for i in range(2000)]
    for checked in (True, False):  # format 9, and format 8 (still read)
        out = MemoryFile()
        writer = fmt.TermTableWriter(out, checked)
        writer.extras["fieldmap"] = {"text": 0}
        for key, value in entries:
            writer.add(key, value)
        writer.close()
        data = bytes(out.data)
        get = lambda at, size, data=data: data[at: at + size]
        assert fmt.term_table_checked(get) is checked
        extras, firstkeys, offsets = fmt.read_term_table_trailer(get, len(data))
        assert extras == {"fieldmap": {"text": 0}} and len(firstkeys) > 1
        got: list[tuple[bytes, bytes]] = []
        for i in range(len(firstkeys)):
            keys, table = fmt.decode_term_block(data[offsets[i]: offsets[i + 1]], checked)
            got.extend((k, table[k]) for k in keys)
        assert got == entries


def test_old_aliases_point_at_format() -> None:
    """Names other modules import from their old homes are the format's own."""
    from vnsearch.store import codec, postings, schema, signature

    assert schema.SCHEMA_VERSION == fmt.FORMAT_VERSION
    assert schema.ZONE_OFFSET == fmt.ZONE_OFFSET and schema.encode_positions is fmt.encode_positions
    assert codec.pack_block is fmt.pack_block and codec.pack_stored is fmt.pack_stored
    assert postings.decode_positions is fmt.decode_positions and postings.decode_many is fmt.decode_many
    assert signature.signature_bytes is fmt.signature_bytes
    for path in fmt.PICKLED_CLASSES:
        module, name = path.rsplit(".", 1)
        assert getattr(importlib.import_module(module), name).__module__ == module


# -- fixture indexes -------------------------------------------------------------------------

def test_a_fixture_of_the_current_version_exists() -> None:
    versions = [_record(f)["format_version"] for f in _fixture_folders()]
    assert fmt.FORMAT_VERSION in versions, (
        f"no fixture for FORMAT_VERSION {fmt.FORMAT_VERSION}: run python tests/fixtures/make_fixture.py")


@pytest.mark.parametrize("folder", _fixture_folders(), ids=lambda p: p.name)
def test_fixture_opens_or_is_refused(folder: Path, tmp_path: Path) -> None:
    """Every kept fixture: read exactly as recorded, or (an older format) refused with the rebuild advice."""
    record = _record(folder)
    path = _copy_index(folder, tmp_path)
    if record["format_version"] in fmt.READABLE_VERSIONS:  # still read: exactly as recorded
        _check_reads(path, record)
        return
    try:
        _check_reads(path, record)
    except IndexVersionMismatch as exc:
        _assert_refusal(exc, path)


def _assert_refusal(exc: IndexVersionMismatch, path: Path) -> None:
    message = str(exc)
    assert "\n" not in message
    assert str(path) in message and "rebuild" in message and "vnsearch index --rebuild" in message


def test_another_version_is_refused(tmp_path: Path) -> None:
    """The refusal path of the test above, exercised today: the current fixture marked as an unreadable version."""
    folder = next(f for f in _fixture_folders() if _record(f)["format_version"] == fmt.FORMAT_VERSION)
    path = _copy_index(folder, tmp_path)
    unreadable = min(fmt.READABLE_VERSIONS) - 1
    (path / "vnsearch.json").write_text(json.dumps({fmt.VERSION_KEY: unreadable}) + "\n", "utf-8")
    with pytest.raises(IndexVersionMismatch) as caught:
        SearchEngine(path, create=False)
    _assert_refusal(caught.value, path)


def test_layout_bytes_unchanged_or_version_bumped(tmp_path: Path) -> None:
    """The fixture index built afresh has the layout digest recorded for the current FORMAT_VERSION."""
    make_fixture = _make_fixture()
    recorded = {_record(f)["format_version"]: _record(f)["layout_digest"] for f in _fixture_folders()}
    path = tmp_path / "fresh"
    make_fixture.build(path)
    digest = make_fixture.layout_digest(path)
    assert fmt.FORMAT_VERSION in recorded and digest == recorded[fmt.FORMAT_VERSION], (
        "a byte layout changed: bump FORMAT_VERSION in vnsearch/store/format.py, add a fixture for the new "
        "version (python tests/fixtures/make_fixture.py), and record its digest "
        f"(FORMAT_VERSION {fmt.FORMAT_VERSION}: recorded {recorded.get(fmt.FORMAT_VERSION)}, built {digest})")


def _with_old_class_paths(path: Path) -> None:
    """Rewrite the index's table of contents so its pickles name vnsearch.schema / vnsearch.codec classes."""
    from whoosh.filedb.filestore import FileStorage
    from whoosh.index import TOC

    from vnsearch.store import codec, schema

    storage = FileStorage(str(path))
    gen = TOC._latest_generation(storage, "MAIN")
    toc = TOC.read(storage, "MAIN", gen)
    classes = [(schema.PreAnalyzed, "vnsearch.schema"), (schema.CompactPositions, "vnsearch.schema"),
               (schema.Weighted, "vnsearch.schema"), (codec.CompactCodec, "vnsearch.codec")]
    saved = [(cls, cls.__module__) for cls, _ in classes]
    try:
        for cls, module in classes:
            cls.__module__ = module
        (path / f"_MAIN_{gen}.toc").unlink()  # rewritten in place: Whoosh renames its temporary file onto it
        toc.write(storage, "MAIN")
    finally:
        for cls, module in saved:
            cls.__module__ = module


def test_indexes_naming_old_class_paths_open(tmp_path: Path) -> None:
    """Indexes written before vnsearch.store pickle vnsearch.schema / vnsearch.codec classes; they still open.

    Checked in a fresh interpreter that imports only the public API, so
    nothing but what SearchEngine itself loads makes the old paths importable.
    """
    # Format 8's fixture: every index that names the old paths is of format 8 or older.
    folder = next(f for f in _fixture_folders() if _record(f)["format_version"] == 8)
    path = _copy_index(folder, tmp_path)
    toc_before = max(path.glob("_MAIN_*.toc")).read_bytes()
    assert b"vnsearch.store.schema" in toc_before and b"vnsearch.store.codec" in toc_before  # new indexes
    _with_old_class_paths(path)
    toc = max(path.glob("_MAIN_*.toc")).read_bytes()
    assert b"vnsearch.store" not in toc and b"vnsearch.schema" in toc and b"vnsearch.codec" in toc
    script = (
        "import json, sys\n"
        "from vnsearch import SearchEngine\n"
        "with SearchEngine(sys.argv[1], create=False) as e:\n"
        "    out = {'ids': sorted(e.ids()), 'hits': [h.id for h in e.search('Quang Hải', limit=5)],\n"
        "           'title': e.get('fx-ai-07').title}\n"
        "print(json.dumps(out))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # this checkout's vnsearch, whatever is installed
    done = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True, cwd=ROOT,
                          env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    record = _record(folder)
    assert got["ids"] == sorted(record["articles"])
    assert got["hits"] == [h[0] for h in record["queries"]["Quang Hải"]["hits"]]
    assert got["title"] == record["articles"]["fx-ai-07"]["title"]


def test_position_decoders_agree_on_long_varints() -> None:
    """Gaps of one to four varint bytes, values starting in a later zone, many values at once."""
    rng = random.Random(11)
    values = []
    for _ in range(300):
        zone = rng.choice([0, 0, 1, 2, 3])
        at, positions = rng.randint(0, 200), []
        for _ in range(rng.choice([1, 2, 4, 30])):
            if at >= fmt.ZONE_OFFSET:
                zone, at = zone + 1, at - fmt.ZONE_OFFSET
                if zone > 3:
                    break
            positions.append(zone * fmt.ZONE_OFFSET + at)
            at += rng.choice([1, 127, 128, 16_383, 16_384, 2_097_151, 2_097_152, 3_000_000])
        values.append((fmt.encode_positions(positions), positions))
        assert fmt.decode_positions_numpy(values[-1][0]) == positions
    owners, decoded = fmt.decode_many([v for v, _ in values])
    for i, (_, want) in enumerate(values):
        assert decoded[owners == i].tolist() == want
    assert [fmt.decode_many([v])[1].tolist() for v, _ in values[:50]] == [fmt.decode_positions(v)
                                                                       for v, _ in values[:50]]
