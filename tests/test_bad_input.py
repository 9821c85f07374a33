"""Bad input through ``vnsearch index``, end to end: what is printed, what is indexed.

``--strict`` leaves out every file that gave a warning; without it, each bad
record is reported (file and line) and skipped, and everything else indexed.
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest
from click.testing import CliRunner

from vnsearch import SearchEngine
from vnsearch.cli import main


@pytest.fixture(autouse=True)
def _no_ambient_index(monkeypatch):
    monkeypatch.delenv("VNSEARCH_INDEX", raising=False)


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def line(record: dict) -> str:
    return json.dumps(record, ensure_ascii=False) + "\n"


def ids_in(index: Path) -> list[str]:
    with SearchEngine(index, create=False) as engine:
        assert engine.check() == []
        return sorted(engine.ids())


# -- --strict ------------------------------------------------------------------------------------

@pytest.fixture
def mixed_dir(tmp_path) -> Path:
    d = tmp_path / "in"
    d.mkdir()
    (d / "a_good.jsonl").write_text(line({"id": "g1", "title": "Mưa lớn ở Hà Nội"})
                                    + line({"id": "g2", "title": "Nắng nóng ở Huế"}), "utf-8")
    (d / "b_bad.jsonl").write_text(line({"id": "b1", "title": "Bão số ba"})
                                   + '{"id": "b2", "title": \n'
                                   + line({"id": "b3", "title": "Lũ quét"}), "utf-8")
    return d


def test_strict_leaves_out_a_file_with_a_warning_and_exits_2(mixed_dir, tmp_path):
    index = tmp_path / "ix"
    res = run("index", "-j", "1", "--strict", "--index-dir", index, mixed_dir)
    assert res.exit_code == 2, res.output
    bad = mixed_dir / "b_bad.jsonl"
    assert res.stderr.splitlines() == [
        f"warning: {bad}:2: invalid JSON: Expecting value (column 23)",
        f"error: --strict: 1 warning(s); not indexed: {bad}",
    ]
    assert res.stdout.startswith("2 added, 0 replaced, 3 skipped in ")
    assert ids_in(index) == ["g1", "g2"]


def test_without_strict_the_good_records_of_a_bad_file_are_indexed(mixed_dir, tmp_path):
    index = tmp_path / "ix"
    res = run("index", "-j", "1", "--index-dir", index, mixed_dir)
    assert res.exit_code == 0, res.output
    assert res.stderr.splitlines() == [
        f"warning: {mixed_dir / 'b_bad.jsonl'}:2: invalid JSON: Expecting value (column 23)"]
    assert res.stdout.startswith("4 added, 0 replaced, 1 skipped in ")
    assert ids_in(index) == ["b1", "b3", "g1", "g2"]


def test_strict_reports_every_warning_of_every_file(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    (d / "one.jsonl").write_text(line({"id": 7, "title": "Số"}) + line({"id": "x", "date": "2026-13-45",
                                                                       "title": "Ngày sai"}), "utf-8")
    (d / "two.jsonl").write_text(line({"title": "Không mã"}), "utf-8")
    (d / "three.jsonl").write_text(line({"id": "ok", "title": "Tốt"}), "utf-8")
    index = tmp_path / "ix"
    res = run("index", "-j", "1", "--strict", "--index-dir", index, d)
    assert res.exit_code == 2
    one, two = d / "one.jsonl", d / "two.jsonl"
    assert res.stderr.splitlines() == [
        f"warning: {one}:1: id is a number (7); converted to the string '7'",
        f"warning: {one}:2: invalid date '2026-13-45' (expected ISO 8601 such as 2021-04-26T08:33:41+07:00, RFC 2822, "
        f"dd/mm/yyyy [HH:MM] or epoch seconds); date dropped",
        f"warning: {two}:1: record has no id; record skipped",
        f"error: --strict: 3 warning(s); not indexed: {one}, {two}",
    ]
    assert ids_in(index) == ["ok"]


def test_strict_with_no_warning_indexes_everything_and_exits_0(tmp_path):
    f = tmp_path / "a.jsonl"
    f.write_text(line({"id": "a", "title": "Mưa"}) + line({"id": "b", "title": "Nắng"}), "utf-8")
    res = run("index", "-j", "1", "--strict", "--index-dir", tmp_path / "ix", f)
    assert res.exit_code == 0 and res.stderr == ""
    assert ids_in(tmp_path / "ix") == ["a", "b"]


def test_strict_in_the_library(mixed_dir, tmp_path):
    seen = []
    with SearchEngine(tmp_path / "ix") as engine:
        summary = engine.add_paths([mixed_dir], jobs=1, strict=True, on_warning=seen.append)
        assert summary.rejected_files == [str(mixed_dir / "b_bad.jsonl")]
        assert summary.load_warnings == 1 and len(seen) == 1
        assert (summary.added, summary.skipped) == (2, 3)
        assert sorted(engine.ids()) == ["g1", "g2"]


# -- every kind of bad input, in one run ----------------------------------------------------------

BIG_CHARS = 1_500_000  # under caps.ARTICLE_CHARS; see test_input_limits.py for larger ones


def bad_input_dir(d: Path) -> Path:
    """A directory with one of each kind of trouble; returns the 20 MB file's path."""
    d.mkdir()
    (d / "a_bom.jsonl").write_bytes("\ufeff".encode() + line({"id": "bom", "title": "Tin có BOM"}).encode())
    (d / "b_crlf.jsonl").write_bytes((line({"id": "crlf1", "title": "Dòng Windows"}).rstrip("\n") + "\r\n"
                                      + line({"id": "crlf2", "body": "Hai dòng\r\nmột bài"}).rstrip("\n")
                                      + "\r\n").encode())
    (d / "c_binary.jsonl").write_bytes(bytes(range(256)) * 4)
    (d / "c_binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (d / "d_empty.jsonl").write_bytes(b"")
    (d / "d_empty.txt").write_bytes(b"")
    records = [
        '{"id": "cut", "title": "Bài bị cắt ng',  # 1: truncated
        '["not", "an", "object"]',  # 2
        line({"id": 42, "title": "Mã số là số"}).strip(),  # 3: kept as "42"
        line({"id": "baddate", "title": "Ngày không có thật", "date": "2026-13-45"}).strip(),  # 4
        line({"title": "Không có mã"}).strip(),  # 5
        line({"id": "notext", "date": "2026-01-02"}).strip(),  # 6
        line({"id": "ctrl", "title": "Điều\x07khiển\u200b ẩn\x1b[31m", "body": "chữ \u200dvô\ufeff hình"}).strip(),  # 7
        line({"id": "emoji", "title": "Bóng đá 🇻🇳⚽ thắng lớn 🎉"}).strip(),  # 8
        line({"id": "nfd", "title": unicodedata.normalize("NFD", "Thời tiết Đà Nẵng")}).strip(),  # 9
    ]
    (d / "e_records.jsonl").write_text("\n".join(records) + "\n", "utf-8")
    big = d / "f_big.jsonl"
    filler = "Hà Nội mưa lớn, người dân đi làm muộn. "
    body = "Khủng long bạo chúa xuất hiện. " + filler * ((BIG_CHARS - 30) // len(filler))
    big.write_text(line({"id": "big", "title": "Bài rất dài", "body": body}), "utf-8")
    return big


def test_bad_input_end_to_end(tmp_path, monkeypatch):
    from vnsearch.store import indexing

    monkeypatch.setattr(indexing, "MAX_ANALYSED_CHARS", 2_000)
    d = tmp_path / "in"
    bad_input_dir(d)
    index = tmp_path / "ix"
    res = run("index", "-j", "1", "--index-dir", index, d)
    assert res.exit_code == 0, res.output
    e = d / "e_records.jsonl"
    assert res.stderr.splitlines() == [
        f"warning: {d / 'c_binary.jsonl'}:1: invalid JSON: Expecting value (column 1)",
        # \r ends a line as \n does: each 0..255 run is two lines, the first of them blank (\x0b\x0c).
        *[f"warning: {d / 'c_binary.jsonl'}:{n}: not valid UTF-8 (byte 0x80); line skipped" for n in (3, 5, 7, 9)],
        f"warning: {d / 'c_binary.txt'}: binary file (contains NUL bytes); skipped",
        f"warning: {d / 'd_empty.txt'}: empty file",
        f"warning: {e}:1: invalid JSON: Unterminated string starting at (column 24)",
        f"warning: {e}:2: expected a JSON object, got array; record skipped",
        f"warning: {e}:3: id is a number (42); converted to the string '42'",
        f"warning: {e}:4: invalid date '2026-13-45' (expected ISO 8601 such as 2021-04-26T08:33:41+07:00, RFC 2822, "
        f"dd/mm/yyyy [HH:MM] or epoch seconds); date dropped",
        f"warning: {e}:5: record has no id; record skipped",
        f"warning: {e}:6: record has no text (title, sapo and body are all empty); record skipped",
        f"warning: {d / 'f_big.jsonl'}:1: article big: text longer than 2,000 characters; "
        f"only the first 2,000 are searchable",
    ]
    assert res.stdout.startswith("9 added, 0 replaced, 11 skipped in ")
    assert res.stdout.splitlines()[0].endswith("holds 9 articles.")
    assert res.stdout.splitlines()[1] == f"{d}: read 8 file(s) (6 .jsonl, 2 .txt)"
    expected = ["42", "baddate", "big", "bom", "crlf1", "crlf2", "ctrl", "emoji", "nfd"]
    assert ids_in(index) == expected
    with SearchEngine(index, create=False) as engine:
        for article_id in expected:  # every good record, stored and searchable by its own title
            article = engine.get(article_id)
            assert article is not None
            assert article_id in [h.id for h in engine.search(article.title, limit=20)], article_id
        assert engine.get("baddate").date == ""
        assert engine.get("crlf2").body == "Hai dòng\nmột bài"
        ctrl = engine.get("ctrl")
        assert "\x07" not in ctrl.title and "\x1b" not in ctrl.title
        assert [h.id for h in engine.search("điều khiển ẩn")][:1] == ["ctrl"]
        assert [h.id for h in engine.search("chữ vô hình")][:1] == ["ctrl"]
        assert [h.id for h in engine.search("bóng đá thắng")][:1] == ["emoji"]
        # Typed in NFC (as everyone types it), found in the NFD-written article.
        assert [h.id for h in engine.search(unicodedata.normalize("NFC", "Thời tiết Đà Nẵng"))][:1] == ["nfd"]
        big = engine.get("big")
        assert len(big.body) > BIG_CHARS - 100  # stored whole
        hits = engine.search("khủng long bạo chúa")
        assert [h.id for h in hits] == ["big"] and hits[0].highlights
        assert engine.search("Hà Nội mưa lớn")[0].id == "big"
    # The CLI prints the hit too, quickly, whatever the stored size.
    res = run("search", "--index-dir", index, "khủng long")
    assert res.exit_code == 0 and "Bài rất dài" in res.stdout, res.output


def test_text_limit_in_the_library(tmp_path, monkeypatch):
    from vnsearch.store import indexing

    monkeypatch.setattr(indexing, "MAX_ANALYSED_CHARS", 100)
    seen = []
    with SearchEngine(tmp_path / "ix") as engine:
        summary = engine.index_articles([{"id": "long", "body": "mở đầu " + "x " * 200 + "cuối bài"}],
                                        jobs=1, on_warning=seen.append)
        assert summary.added == 1 and summary.skipped == 0
        assert [str(w) for w in seen] == [
            "article #1: article long: text longer than 100 characters; only the first 100 are searchable"]
        assert [h.id for h in engine.search("mở đầu")] == ["long"]
        assert len(engine.search("cuối bài")) == 0  # beyond the limit: stored, not searchable
        assert engine.get("long").body.endswith("cuối bài")
    # Not a load warning: --strict still indexes the file.
    f = tmp_path / "long.jsonl"
    f.write_text(line({"id": "long2", "body": "đầu " + "y " * 200}), "utf-8")
    with SearchEngine(tmp_path / "ix2") as engine:
        summary = engine.add_paths([f], jobs=1, strict=True, on_warning=seen.append)
        assert summary.rejected_files == [] and summary.load_warnings == 0 and summary.added == 1
        assert str(seen[-1]) == (f"{f}:1: article long2: text longer than 100 characters; "
                                 "only the first 100 are searchable")
