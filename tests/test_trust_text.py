"""Issue 14 (trust), the text side: what the CLI prints, errors said as what they are, ids, dates, caps, bounded work.

Each test here failed on the code before the fix (see the report of branch
trusttext for the reproductions and their numbers).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import SEED_000, SEEDS

from vnsearch import SearchEngine, caps
from vnsearch.cli import main
from vnsearch.errors import IndexDamaged, IndexUnusable, IndexVersionMismatch
from vnsearch.ingest.articles import Article, LoadWarning, load_path
from vnsearch.ingest.dates import DateError, parse_when

# What a terminal acts on: C0/C1 controls (ESC, BEL…) and bidirectional overrides and isolates.
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@pytest.fixture(autouse=True)
def _no_ambient_index(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VNSEARCH_INDEX", raising=False)


def run(*args: Any) -> Any:
    return CliRunner().invoke(main, [str(a) for a in args])


def one_error_line(result: Any, code: int = 2) -> str:
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    assert "Traceback" not in result.output and "Aborted" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return str(lines[0])


@pytest.fixture(scope="module")
def seeds_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("trusttext") / "ix"
    engine = SearchEngine(path)
    engine.add_paths([SEEDS], jobs=1)
    engine.close()
    return path


@pytest.fixture
def ix(seeds_copy: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(seeds_copy, tmp_path / "ix"))


# -- the terminal: one sanitiser ---------------------------------------------------------

def test_printable_escapes_controls_and_overrides_and_cuts_mark_runs() -> None:
    from vnsearch.lang.text import printable

    assert printable("tri tue\x1b]0;PWNED\x07 nhan tao") == "tri tue\\x1b]0;PWNED\\x07 nhan tao"
    assert printable("gia\u202evang\u2066x\u200f") == "gia\\u202evang\\u2066x\\u200f"
    assert printable("a\nb\tc") == "a\\x0ab\\x09c"
    assert printable("a\nb\tc", lines=True) == "a\nb\tc"
    assert printable("a" + "\u0301" * 1000) == "a" + "\u0301" * caps.MAX_MARKS
    assert printable("Trí tuệ nhân tạo") == "Trí tuệ nhân tạo"


@pytest.mark.parametrize("query", ["tri tue\x1b]0;PWNED\x07 nhan tao", "tri tue \u202enhan tao",
                                   "khowir nghieepj\x1b[2J", "\u2067tri tue\u2069 nhan tao"])
def test_no_control_or_override_typed_in_a_query_comes_back_raw(ix: Path, query: str) -> None:
    for extra in ([], ["--json"], ["--html"]):
        result = run("search", "-d", ix, "--no-color", *extra, query)
        assert not RAW.findall(result.stdout + result.stderr), (extra, result.stdout, result.stderr)
    result = run("restore", "-d", ix, query)
    assert not RAW.findall(result.stdout + result.stderr), result.stdout


def test_the_did_you_mean_line_is_sanitised(ix: Path) -> None:
    result = run("search", "-d", ix, "--no-color", "tri tue\x1b]0;PWNED\x07 nhan tao")
    shown = [line for line in result.stdout.splitlines() if line.startswith(("Did you mean:", "Showing results"))]
    assert shown and all("\\x1b" in line and "\x1b" not in line for line in shown), result.stdout


def test_articles_with_controls_and_overrides_print_escaped(tmp_path: Path) -> None:
    src = tmp_path / "evil.jsonl"
    src.write_text(json.dumps({"id": "evil\u202e1", "title": "Giá vàng \u202eexe.txt\x1b[2J",
                               "body": "Giá vàng tăng\u2066 mạnh.\x9b31m Trí tuệ nhân tạo.\nDòng hai."}) + "\n")
    ix = tmp_path / "ix"
    assert run("index", "-d", ix, "-q", src).exit_code == 0
    for args in (["search", "giá vàng", "--no-color"], ["search", "giá vàng", "--color"],
                 ["search", "giá vàng", "--json"], ["show", "evil\u202e1"], ["show", "evil\u202e1", "--json"],
                 ["stats"]):
        result = run(args[0], "-d", ix, *args[1:])
        assert result.exit_code == 0, (args, result.output)
        out = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout) if "--color" in args else result.stdout
        assert not RAW.findall(out), (args, out)
    shown = run("show", "-d", ix, "evil\u202e1").stdout
    assert "Dòng hai." in shown.splitlines()  # the body's own lines stay lines


# -- caps: one set, said when input is cut ---------------------------------------------

def test_a_long_query_is_cut_and_said_so(seed_engine: SearchEngine, seed_index_dir: Path) -> None:
    long = "trí tuệ nhân tạo " * (caps.QUERY_CHARS // 10)
    results = seed_engine.search(long)
    assert results.query_cut == len(long) - caps.QUERY_CHARS > 0
    assert seed_engine.search("trí tuệ").query_cut == 0
    restored = seed_engine.restoration("tri tue nhan tao " * (caps.QUERY_CHARS // 10))
    assert restored.cut > 0 and len(restored.text) <= caps.QUERY_CHARS
    result = run("search", "-d", seed_index_dir, long, "--no-color")
    assert f"only its first {caps.QUERY_CHARS:,} were read" in result.stderr
    result = run("search", "-d", seed_index_dir, long, "--json")
    assert {"query_cut": len(long) - caps.QUERY_CHARS, "query_chars": caps.QUERY_CHARS} in [
        json.loads(line) for line in result.stdout.splitlines()]
    result = run("restore", "-d", seed_index_dir, "a" * (caps.QUERY_CHARS + 5))
    assert f"only its first {caps.QUERY_CHARS:,} were read" in result.stderr


def test_the_server_uses_the_same_cap() -> None:
    from vnsearch.server import LIMITS

    assert LIMITS.query_chars == caps.QUERY_CHARS


# -- bounded work on long articles ----------------------------------------------------

@pytest.fixture(scope="module")
def long_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two articles about the same thing, one 4x the length of the other, and one short one."""
    path = tmp_path_factory.mktemp("long") / "ix"
    unit = "Đợt nắng nóng kéo dài khiến giá điện tăng. "
    engine = SearchEngine(path)
    engine.add_articles([
        Article(id="short", title="Nắng nóng kéo dài", body=unit * 300),
        Article(id="long", title="Nắng nóng kéo dài nữa", body=unit * 1200),
        Article(id="other", title="Giá điện", body="Nắng nóng kéo dài, giá điện tăng mạnh. " * 3),
    ])
    engine.close()
    return path


def test_proximity_reads_a_bounded_number_of_positions(long_index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from vnsearch.search import proximity

    seen: list[int] = []
    real = proximity.position_keys_many

    def counting(postings: Any, docs: Any, cap: int | None = None) -> Any:
        got = real(postings, docs, cap)
        if cap is not None:
            seen.extend(int(keys.size) for keys in got)
        return got

    monkeypatch.setattr(proximity, "position_keys_many", counting)
    monkeypatch.setattr(caps, "PROXIMITY_POSITIONS", 50)
    engine = SearchEngine(long_index, create=False)
    results = engine.search("nắng nóng kéo dài", collapse=False)
    engine.close()
    assert {h.id for h in results} == {"short", "long", "other"}
    assert seen and max(seen) <= 3 * 50  # three candidates, 50 positions each, however long they are


def test_similar_reads_a_bounded_text(long_index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from vnsearch.store.signature import folded_syllables as real

    lengths: list[int] = []

    def counting(text: str) -> list[str]:
        lengths.append(len(text))
        return real(text)

    monkeypatch.setattr("vnsearch.search.related.folded_syllables", counting)
    monkeypatch.setattr(caps, "SIMILAR_CHARS", 5000)
    engine = SearchEngine(long_index, create=False)
    results = engine.similar("other")
    engine.close()
    assert results.query is not None and results.query.text
    assert lengths and max(lengths) <= 5000


def test_snippets_of_a_long_article_scan_a_bounded_window(long_index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from vnsearch.lang import analysis

    scanned: list[int] = []
    real = analysis.matching_syllables
    real_find = analysis.find_syllables

    def counting(text: str, wanted: set[str], parts: bool = False) -> Any:
        scanned.append(len(text))
        return real(text, wanted, parts)

    real_many = analysis.find_syllables_many

    def counting_find(text: str, wanted: set[str], finder: Any, parts: bool = False, known: Any = None) -> Any:
        scanned.append(len(text))
        return real_find(text, wanted, finder, parts, known)

    def counting_many(texts: list[str], wanted: set[str], finder: Any, parts: bool = False, known: Any = None) -> Any:
        scanned.extend(len(text) for text in texts)
        return real_many(texts, wanted, finder, parts, known)

    # Snippets find the query's syllables with find_syllables (a page's texts together:
    # find_syllables_many), or matching_syllables where it cannot tell.
    monkeypatch.setattr("vnsearch.search.highlight.matching_syllables", counting)
    monkeypatch.setattr("vnsearch.search.highlight.find_syllables", counting_find)
    monkeypatch.setattr("vnsearch.search.highlight.find_syllables_many", counting_many)
    monkeypatch.setattr(caps, "SNIPPET_SCAN_CHARS", 3000)
    engine = SearchEngine(long_index, create=False)
    results = engine.search("kéo dài", collapse=False)
    engine.close()
    assert all("kéo dài" in h.snippet for h in results)
    assert scanned and max(scanned) <= 3000


# -- errors said as what they are -------------------------------------------------------

def _segment(path: Path) -> Path:
    return next(p for p in path.iterdir() if p.suffix == ".seg")


@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.9])
def test_delete_on_a_truncated_segment_is_one_damage_line(ix: Path, fraction: float) -> None:
    seg = _segment(ix)
    os.truncate(seg, int(seg.stat().st_size * fraction))
    line = one_error_line(run("delete", "-d", ix, SEED_000))
    assert "damaged" in line and "rebuild" in line
    with pytest.raises(IndexDamaged):
        SearchEngine(ix, create=False).delete([SEED_000])


def test_an_overflow_in_a_stored_article_is_damage_for_check_and_stats(ix: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A stored article whose pickle claims 2**63 bytes raised OverflowError through check and stats."""
    from vnsearch.store import codec

    def overflowing(data: bytes, checked: bool = False) -> Any:
        raise OverflowError("BINBYTES exceeds system's maximum size of 9223372036854775807 bytes")

    monkeypatch.setattr(codec, "unpack_stored", overflowing)
    line = one_error_line(run("check", "-d", ix))
    assert "damaged" in line and "OverflowError" in line
    line = one_error_line(run("stats", "-d", ix))
    assert "damaged" in line


def test_permission_denied_is_not_damage(ix: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file this process may not read: say so, and never advise a rebuild that would destroy it."""
    from whoosh.filedb.filestore import FileStorage

    def denied(self: Any, name: str, *args: Any, **kwargs: Any) -> Any:
        raise PermissionError(13, "Permission denied", os.path.join(self.folder, name))

    monkeypatch.setattr(FileStorage, "open_file", denied)
    with pytest.raises(IndexUnusable) as info:
        SearchEngine(ix, create=False).search("trí tuệ")
    assert not isinstance(info.value, IndexDamaged)
    line = one_error_line(run("search", "-d", ix, "trí tuệ"))
    assert "permission denied" in line and "rebuild" not in line and "not damaged" in line


def test_permission_denied_on_the_version_file_is_not_damage(ix: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = Path.read_text

    def read_text(self: Path, *args: Any, **kwargs: Any) -> str:
        if self.name == "vnsearch.json":
            raise PermissionError(13, "Permission denied", str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", read_text)
    line = one_error_line(run("search", "-d", ix, "trí tuệ"))
    assert "permission denied" in line and "rebuild" not in line


@pytest.mark.parametrize("content", ['{"schema_version": 8, garb', "", "[]", '{"schema_version": "x"}', "\xff\xfe"])
def test_a_damaged_version_file_is_damage_not_another_version(ix: Path, content: str) -> None:
    (ix / "vnsearch.json").write_bytes(content.encode("latin-1"))
    with pytest.raises(IndexDamaged):
        SearchEngine(ix, create=False)
    line = one_error_line(run("search", "-d", ix, "trí tuệ"))
    assert "damaged" in line and "another version" not in line


def test_a_missing_version_file_is_damage_and_another_version_still_is_one(ix: Path) -> None:
    (ix / "vnsearch.json").write_text('{"schema_version": 99}\n')
    with pytest.raises(IndexVersionMismatch):
        SearchEngine(ix, create=False)
    (ix / "vnsearch.json").unlink()
    with pytest.raises(IndexDamaged):
        SearchEngine(ix, create=False)


def test_library_mistakes_are_type_errors_not_damage(seed_engine: SearchEngine) -> None:
    with pytest.raises(TypeError):
        seed_engine.get(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        5 in seed_engine  # type: ignore[operator]  # noqa: B015
    for bad in (2.5, "3", None, True):
        with pytest.raises(TypeError, match="limit must be an int"):
            seed_engine.search("trí tuệ", limit=bad)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="limit must be an int"):
            seed_engine.similar(SEED_000, limit=bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        seed_engine.restoration(None)  # type: ignore[arg-type]


@pytest.mark.parametrize("args", [["search", "--limit", "x", "AI"], ["frobnicate"], ["search"],
                                  ["index", "--jobs", "-3", "x"], ["search", "--sort", "sideways", "AI"]])
def test_usage_errors_are_one_error_line(seed_index_dir: Path, args: list[str]) -> None:
    line = one_error_line(run(*args, "-d", seed_index_dir) if args[0] != "frobnicate" else run(*args))
    assert "--help" in line


def test_help_and_version_still_exit_0() -> None:
    assert run("--help").exit_code == 0
    assert run("--version").exit_code == 0
    assert run("search", "--help").exit_code == 0


# -- input integrity: ids and dates ---------------------------------------------------

def test_delete_of_a_str_is_one_id(tmp_path: Path) -> None:
    engine = SearchEngine(tmp_path / "ix")
    engine.add_articles([Article(id=i, title=f"tin {i}", body="nội dung") for i in ("a", "b", "c", "abc")])
    assert engine.delete("abc") == 1
    assert sorted(engine.ids()) == ["a", "b", "c"]
    with pytest.raises(TypeError):
        engine.delete([5])  # type: ignore[list-item]
    engine.close()


def test_ids_that_would_normalise_alike_are_rejected_with_file_and_line(tmp_path: Path) -> None:
    src = tmp_path / "ids.jsonl"
    records = [{"id": "ab", "title": "một", "body": "một"}, {"id": "a\u0001b", "title": "hai", "body": "hai"},
               {"id": "a\u0007b\ud800", "title": "ba", "body": "ba"}, {"id": " ab ", "title": "bốn", "body": "bốn"}]
    src.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    warnings: list[LoadWarning] = []
    articles = list(load_path(src, on_warning=warnings.append))
    assert [a.id for a in articles] == ["ab", "ab"]
    said = {w.line: str(w) for w in warnings}
    assert said.keys() == {2, 3}, said
    assert "ids.jsonl:2" in said[2] and "U+0001" in said[2]
    assert "ids.jsonl:3" in said[3] and "U+0007" in said[3]


@pytest.mark.parametrize("value", ["9999-01-01", "0001-01-01", "1899-12-31", "１６１９４１４０２１", "２０２１-04-26",
                                   "２６/04/2021", 4102444800, "2200-01-01T00:00:00Z"])
def test_dates_outside_the_sane_range_or_in_other_digits_are_refused(value: object) -> None:
    with pytest.raises(DateError):
        parse_when(value)


def test_dates_inside_the_range_are_read() -> None:
    from vnsearch.ingest.dates import date_limits

    first, last = date_limits()
    assert first == "1900-01-01" and last > "2026"
    assert parse_when("1900-01-01").day == "1900-01-01"
    assert parse_when(1619414021).day == "2021-04-26"
    assert parse_when("26/04/2021").day == "2021-04-26"


def test_one_year_9999_date_no_longer_zeroes_recent_scores(tmp_path: Path) -> None:
    src = tmp_path / "dated.jsonl"
    rows = [{"id": "future", "title": "Giá vàng", "body": "Giá vàng hôm nay.", "date": "9999-01-01"},
            {"id": "now", "title": "Giá vàng tăng", "body": "Giá vàng tăng mạnh.", "date": "2024-05-01"}]
    src.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n")
    result = run("index", "-d", tmp_path / "ix", src)
    assert "dated.jsonl:1" in result.stderr and "outside 1900-01-01" in result.stderr
    engine = SearchEngine(tmp_path / "ix", create=False)
    assert engine.get("future") is not None and engine.get("future").date == ""  # type: ignore[union-attr]
    results = engine.search("giá vàng", recent=True)
    engine.close()
    assert all(h.score > 0 for h in results)


def test_export_escapes_overrides_and_c1_controls_and_loads_back_the_same(tmp_path: Path) -> None:
    src = tmp_path / "a.jsonl"
    body = "Giá vàng \u202eexe.txt tăng\u2066 mạnh \u2028 dòng."
    src.write_text(json.dumps({"id": "x1", "title": "Giá vàng", "body": body}, ensure_ascii=False) + "\n")
    assert run("index", "-d", tmp_path / "ix", "-q", src).exit_code == 0
    result = run("export", "-d", tmp_path / "ix")
    assert result.exit_code == 0 and not RAW.findall(result.stdout) and "\u2028" not in result.stdout
    (record,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert record["body"] == body
