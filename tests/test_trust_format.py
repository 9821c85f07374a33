"""Issue 14, the storage format: no index can run code when opened, and every damaged byte is caught.

* Booby-trapped indexes: a pickle that calls ``os.system`` planted in each
  kind of file that holds pickles (the table of contents' schema and segment
  list, the segment file's directory, a stored article, inline postings, a
  posting block's header, the term table's trailer), in an index of format 8
  (where every one of them is a pickle) and of format 9 (with valid
  checksums, so that only the unpickler stands in the way). Opening,
  searching, reading and checking never run it, and report damage.
* Checksums: a changed byte anywhere in a format-9 index is damage to
  ``check``, and to a search that reads it.
* ``check`` reads the postings, and says when segments have no checksums.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import shutil
import struct
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from whoosh.columns import VarBytesColumn
from whoosh.filedb.structfile import StructFile

from tests.conftest import MemoryFile
from vnsearch import IndexDamaged, SearchEngine
from vnsearch.store import format as fmt
from vnsearch.store.format import FOOTER, read_segment_directory, segment_trailer

FIXTURES = Path(__file__).resolve().parent / "fixtures"
MARKER = "p"
# Protocol 0: "call os.system('>p')" (the shell creates the file p) -- 21 bytes, shorter than every
# pickle it replaces.
EVIL = b"cos\nsystem\n(S'>" + MARKER.encode() + b"'\ntR."
_LONG, _INT = struct.Struct("!q"), struct.Struct("!i")


class Evil:
    def __reduce__(self) -> tuple[Any, ...]:
        return (os.system, (f">{MARKER}",))


def _copy(version: int, tmp_path: Path) -> Path:
    target = tmp_path / f"v{version}"
    shutil.copytree(FIXTURES / f"v{version}" / "index", target)
    return target


def _varint(value: int) -> bytes:
    return fmt.varint(value)


# -- rewriting one file of an index --------------------------------------------------------------

def _toc_path(path: Path) -> Path:
    return max(path.glob("_MAIN_*.toc"), key=lambda p: int(p.stem.rsplit("_", 1)[1]))


def _toc_parts(data: bytes) -> tuple[int, int, int]:
    """Where the schema pickle's length varint starts, where the pickle starts and ends, in a TOC without footer."""
    pos = 0
    for _ in range(3):
        _, pos = fmt.read_varint(data, pos)
    pos += 8
    for _ in range(3):
        _, pos = fmt.read_varint(data, pos)
    start = pos
    size, pos = fmt.read_varint(data, pos)
    return start, pos, pos + size


def _rewrite_toc(path: Path, edit: Callable[[bytes], bytes]) -> None:
    toc = _toc_path(path)
    data = toc.read_bytes()
    footed = fmt.has_footer(data)
    body = edit(data[:-FOOTER.size] if footed else data)
    toc.write_bytes(body + fmt.footer(body) if footed else body)


def _trap_schema(data: bytes) -> bytes:
    start, _, end = _toc_parts(data)
    return data[:start] + _varint(len(EVIL)) + EVIL + data[end:]


def _trap_segments(data: bytes) -> bytes:
    _, _, end = _toc_parts(data)
    return data[:end + 8] + EVIL  # after the generation and the unused int: the segment list


def _seg_files(seg: Path) -> tuple[dict[str, bytes], bool]:
    """The files inside a segment file (without footers), and whether it is format 9's."""
    data = seg.read_bytes()
    if data[:4] == fmt.SEGMENT_MAGIC:
        directory = read_segment_directory(lambda at, n: data[at: at + n], len(data))
        return {name: data[o: o + n] for name, (o, n) in directory.items()}, True
    dirpos = _LONG.unpack_from(data, 0)[0]
    directory = pickle.loads(data[dirpos:])  # the test's own fixture: trusted
    return {name: data[i["offset"]: i["offset"] + i["length"]] for name, i in directory.items()}, False


def _write_seg(seg: Path, files: dict[str, bytes], checked: bool, directory_pickle: bytes | None = None) -> None:
    out = bytearray()
    if checked:
        out += fmt.SEGMENT_MAGIC
        directory = {}
        for name, data in sorted(files.items()):
            directory[name] = (len(out), len(data))
            out += data + fmt.footer(data)
        out += segment_trailer(directory, len(out))
    else:
        out += _LONG.pack(0) + _INT.pack(0)
        plain = {}
        for name, data in files.items():
            plain[name] = {"offset": len(out), "length": len(data), "modified": 0.0}
            out += data
        dirpos = len(out)
        out += directory_pickle if directory_pickle is not None else pickle.dumps(plain) + pickle.dumps({})
        out[0:12] = _LONG.pack(dirpos) + _INT.pack(len(out) - dirpos)
    seg.write_bytes(bytes(out))


def _rewrite_subfile(path: Path, ext: str, edit: Callable[[bytes, bool], bytes]) -> None:
    """Apply *edit* to the sub-file ending in *ext* of the largest segment, checksums written anew."""
    seg = max(path.glob("MAIN_*.seg"), key=lambda p: p.stat().st_size)
    files, checked = _seg_files(seg)
    name = next(n for n in files if n.endswith(ext))
    _DOC_COUNT[0] = _doc_count(path, seg)
    files[name] = edit(files[name], checked)
    _write_seg(seg, files, checked)


_DOC_COUNT = [0]  # documents in the segment being rewritten


def _doc_count(path: Path, seg: Path) -> int:
    from vnsearch.store.files import ChecksumStorage

    ix = ChecksumStorage(str(path), require_footer=False).open_index("MAIN")
    count: int = next(s.doc_count_all() for s in ix._segments() if seg.name.startswith(s.segment_id() + "."))
    return count


def _trap_compound_directory(path: Path) -> None:
    seg = max(path.glob("MAIN_*.seg"), key=lambda p: p.stat().st_size)
    files, checked = _seg_files(seg)
    assert not checked  # format 9's directory is JSON: nothing to trap
    _write_seg(seg, files, checked, directory_pickle=EVIL)


def _trap_stored(data: bytes, checked: bool) -> bytes:
    """Doc 0's stored article replaced by a deflated evil pickle (with a valid checksum in format 9)."""
    f = StructFile(io.BytesIO(data))
    reader = VarBytesColumn().reader(f, 0, len(data), _DOC_COUNT[0])
    count = len(reader._lengths)
    records = [bytes(reader[i]) for i in range(count)]
    packed = zlib.compress(EVIL)
    records[0] = (bytes((2,)) + struct.pack("!I", fmt.crc32(packed)) + packed) if checked else b"\x00" + packed
    out = io.BytesIO()
    writer = VarBytesColumn().writer(StructFile(out))
    for i, record in enumerate(records):
        writer.add(i, record)
    writer.finish(count)
    return out.getvalue()


def _term_entries(data: bytes, checked: bool) -> tuple[dict[str, Any], list[tuple[bytes, bytes]]]:
    get = lambda at, n: data[at: at + n]
    extras, firstkeys, offsets = fmt.read_term_table_trailer(get, len(data))
    entries: list[tuple[bytes, bytes]] = []
    for i in range(len(firstkeys)):
        keys, table = fmt.decode_term_block(data[offsets[i]: offsets[i + 1]], checked)
        entries += [(k, table[k]) for k in keys]
    return extras, entries


def _write_terms(extras: dict[str, Any], entries: list[tuple[bytes, bytes]], checked: bool) -> bytes:
    out = MemoryFile()
    writer = fmt.TermTableWriter(out, checked)
    writer.extras.update(extras)
    for key, value in entries:
        writer.add(key, value)
    writer.close()
    return bytes(out.data)


def _trap_inline(data: bytes, checked: bool) -> bytes:
    """Every inlined term info's postings replaced by the evil pickle (padded to their length)."""
    extras, entries = _term_entries(data, checked)
    head = fmt.TERM_INFO_HEAD.size
    trapped = 0
    for i, (key, value) in enumerate(entries):
        if value[0] and len(value) - head >= len(EVIL):  # inlined
            entries[i] = (key, value[:head] + EVIL.ljust(len(value) - head, b"."))
            trapped += 1
    assert trapped
    return _write_terms(extras, entries, checked)


def _trap_trailer(data: bytes, checked: bool) -> bytes:
    assert not checked  # format 9's trailer has no pickle
    extras, entries = _term_entries(data, checked)
    return _write_terms({**extras, "evil": Evil()}, entries, checked)


def _trap_block_header(data: bytes, checked: bool) -> bytes:
    """The first posting block's pickled header replaced (in place) by the evil pickle."""
    assert not checked
    size = abs(_INT.unpack_from(data, 4)[0])
    framed = io.BytesIO(data[8: 8 + size])
    pickle.load(framed)  # the test's own fixture: trusted
    length = framed.tell()
    assert length >= len(EVIL)
    return data[:8] + EVIL.ljust(length, b".") + data[8 + length:]


TRAPS_8: dict[str, Callable[[Path], None]] = {
    "toc-schema": lambda p: _rewrite_toc(p, _trap_schema),
    "toc-segments": lambda p: _rewrite_toc(p, _trap_segments),
    "segment-directory": _trap_compound_directory,
    "stored-article": lambda p: _rewrite_subfile(p, "._stored.col", _trap_stored),
    "inline-postings": lambda p: _rewrite_subfile(p, ".trm", _trap_inline),
    "term-table-trailer": lambda p: _rewrite_subfile(p, ".trm", _trap_trailer),
    "posting-block": lambda p: _rewrite_subfile(p, ".pst", _trap_block_header),
}
TRAPS_9: dict[str, Callable[[Path], None]] = {
    "toc-schema": TRAPS_8["toc-schema"],
    "toc-segments": TRAPS_8["toc-segments"],
    "stored-article": TRAPS_8["stored-article"],
    "inline-postings": TRAPS_8["inline-postings"],
}


def _use_everything(path: Path) -> list[str]:
    """Open, search, get, similar and check the index; what was reported (damage or check's problems)."""
    reported: list[str] = []
    try:
        engine = SearchEngine(path, create=False)
    except IndexDamaged as exc:
        return [str(exc)]
    try:
        for query in ("Quang Hải", "giá vàng", "\"tuyển sinh lớp 10\"", "trí tuệ nhân tạo", "Alibaba", "cắt điện"):
            try:
                engine.search(query, limit=5)
            except IndexDamaged as exc:
                reported.append(str(exc))
        record = json.loads((FIXTURES / "v8" / "fixture.json").read_text("utf-8"))
        for article_id in record["articles"]:
            try:
                engine.get(article_id)
                engine.similar(article_id, limit=3)
            except IndexDamaged as exc:
                reported.append(str(exc))
        try:
            reported += engine.check()
        except IndexDamaged as exc:
            reported.append(str(exc))
    finally:
        engine.close()
    return reported


@pytest.mark.parametrize("version, kind", [(8, k) for k in TRAPS_8] + [(9, k) for k in TRAPS_9])
def test_booby_trapped_index_never_runs_code(version: int, kind: str, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    path = _copy(version, tmp_path)
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    (TRAPS_8 if version == 8 else TRAPS_9)[kind](path)
    reported = _use_everything(path)
    assert not (work / MARKER).exists(), f"the {kind} pickle ran"
    assert reported, f"a booby-trapped {kind} was not reported"
    assert any("not part of the format" in r or "damaged" in r for r in reported), reported


def test_unpickler_refuses_what_the_format_does_not_use() -> None:
    from vnsearch.store.unpickle import loads

    plain = {"id": "a", "n": [1, 2.5, b"x", (3,), {4}]}
    assert loads(pickle.dumps(plain)) == plain
    for evil in (EVIL, pickle.dumps(Evil()), b"cbuiltins\neval\n(S'1'\ntR.", b"c_codecs\nencode\n(S'x'\nS'rot13'\ntR."):
        with pytest.raises(pickle.UnpicklingError):
            loads(evil)


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_unpickler_reads_every_protocol_and_refuses_alike_from_memory(protocol: int) -> None:
    """``loads`` looks ahead in its bytes (``peek``): the same values as ``pickle.loads``, any protocol,
    a long record (past the unpickler's look-ahead) included, bytes-like inputs too, the same refusals."""
    from vnsearch.store.unpickle import loads

    record = {"id": "a1", "title": "Hà Nội mưa to", "body": "Tin tức. " * 20_000, "title_derived": False,
              "n": [1, 2.5, b"x" * 300, (3,)], "shared": ["x"] * 3}
    data = pickle.dumps(record, protocol)
    for form in (data, bytearray(data), memoryview(data)):
        assert loads(form) == record
    evil = pickle.dumps({"ok": "x" * 100_000, "bad": Evil()}, protocol)
    with pytest.raises(pickle.UnpicklingError):
        loads(evil)


# -- checksums -------------------------------------------------------------------------------------

def _flip(path: Path, name: str, at: int) -> None:
    data = bytearray((path / name).read_bytes())
    data[at] ^= 0x10
    (path / name).write_bytes(bytes(data))


def test_every_file_of_a_segment_has_a_verified_footer(tmp_path: Path) -> None:
    """A changed byte in any file of a format-9 segment: ``check`` reports it, naming the file."""
    sound = _copy(9, tmp_path)
    seg = max(sound.glob("MAIN_*.seg"), key=lambda p: p.stat().st_size)
    data = seg.read_bytes()
    directory = read_segment_directory(lambda at, n: data[at: at + n], len(data))
    assert {n.rsplit(".", 1)[-1] for n in directory} >= {"trm", "pst", "col"}
    for i, (name, (offset, length)) in enumerate(sorted(directory.items())):
        path = tmp_path / f"c{i}"
        shutil.copytree(sound, path)
        _flip(path, seg.name, offset + length // 2)
        with SearchEngine(path, create=False) as engine:
            try:
                problems = engine.check()
            except IndexDamaged as exc:
                problems = [str(exc)]
        assert any(name in p or "checksum" in p for p in problems), (name, problems)


def test_damaged_posting_block_fails_the_search_and_check(tmp_path: Path) -> None:
    """Before format 9, check never read postings and a flipped bit changed answers in silence."""
    path = _copy(9, tmp_path)
    seg = max(path.glob("MAIN_*.seg"), key=lambda p: p.stat().st_size)
    data = seg.read_bytes()
    directory = read_segment_directory(lambda at, n: data[at: at + n], len(data))
    offset, length = next(v for n, v in directory.items() if n.endswith(".pst"))
    with SearchEngine(path, create=False) as engine:
        want = {q: [h.id for h in engine.search(q, limit=20, telex=False, typos=False)]
                for q in ("giá vàng", "Quang Hải", "trí tuệ nhân tạo")}
    _flip(path, seg.name, offset + length - 3)  # the last byte of the last block: a position or a weight
    with SearchEngine(path, create=False) as engine:
        assert engine.check()
        for query, ids in want.items():
            try:
                got = [h.id for h in engine.search(query, limit=20, telex=False, typos=False)]
            except IndexDamaged as exc:
                assert "\n" not in str(exc) and "rebuild" in str(exc)
                continue
            assert got == ids, query


def test_table_of_contents_checksum(tmp_path: Path) -> None:
    path = _copy(9, tmp_path)
    toc = _toc_path(path)
    _flip(path, toc.name, toc.stat().st_size - 20)  # inside the segment list (deleted documents)
    with pytest.raises(IndexDamaged, match="checksum"):
        SearchEngine(path, create=False)


def test_format_8_is_read_and_check_says_it_has_no_checksums(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from vnsearch.cli import main

    path = _copy(8, tmp_path)
    done = CliRunner().invoke(main, ["check", "--index-dir", str(path)])
    assert done.exit_code == 0, done.output
    assert "no checksums in format 8: reindex to get them" in done.output
    path9 = _copy(9, tmp_path)
    done = CliRunner().invoke(main, ["check", "--index-dir", str(path9)])
    assert done.exit_code == 0 and "no checksums" not in done.output, done.output


@pytest.mark.parametrize("version", [8, 9])
def test_writing_to_an_older_index_marks_it_current(tmp_path: Path, version: int) -> None:
    path = _copy(version, tmp_path)
    with SearchEngine(path, create=False) as engine:
        engine.add_articles([{"id": "new-1", "title": "Giá vàng hôm nay", "body": "Giá vàng tăng mạnh."}], jobs=1)
        assert engine.check() == []
        assert engine.search("giá vàng", limit=3).total >= 1
    assert json.loads((path / "vnsearch.json").read_text("utf-8"))["schema_version"] == fmt.FORMAT_VERSION
    with SearchEngine(path, create=False) as engine:
        assert engine.get("new-1") is not None and engine.get("fx-ai-07") is not None


def test_block_frames_round_trip_and_verify() -> None:
    """Format 9's framing: two blocks of one list read back; any changed byte of a frame is a checksum error."""
    first = fmt.frame_block(b"abc", 3, 7, 2.5, 0, 1, 9, last=False)
    second = fmt.frame_block(b"defg", 4, 20, 1.0, 0, 2, 3, last=True)
    data = b"W3Lp" + first + second

    class File:
        def __init__(self, data: bytes) -> None:
            self.data = data

        def get(self, at: int, n: int) -> bytes:
            return self.data[at: at + n]

    assert list(fmt.block_frames(File(data), 0, checked=True)) == [(3, b"abc"), (4, b"defg")]
    for at in range(4, len(data)):
        damaged = bytearray(data)
        damaged[at] ^= 0x01
        with pytest.raises((fmt.ChecksumError, zlib.error)):
            list(fmt.block_frames(File(bytes(damaged)), 0, checked=True))
    # Format 8's framing (a pickled info tuple) still reads.
    old = b"W3Lp" + fmt.frame_block(b"abc", 3, 7, 2.5, 0, 1, 9, last=True, checked=False)
    assert list(fmt.block_frames(File(old), 0, checked=False)) == [(3, b"abc")]


def test_a_table_of_contents_without_its_footer_is_damage_in_format_9(tmp_path: Path) -> None:
    path = _copy(9, tmp_path)
    toc = _toc_path(path)
    toc.write_bytes(toc.read_bytes()[:-FOOTER.size])
    with pytest.raises(IndexDamaged, match="no checksum footer"):
        SearchEngine(path, create=False)
