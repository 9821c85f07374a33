"""Bad input through ``vnsearch index``, end to end: what is printed, what is indexed.

``--strict`` leaves out every file that gave a warning; without it, each bad
record is reported (file and line) and skipped, and everything else indexed.
"""

from __future__ import annotations

import json
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
        f"warning: {one}:2: invalid date '2026-13-45' (expected a real YYYY-MM-DD date); date dropped",
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
