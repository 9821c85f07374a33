"""Input that must not decide how much memory a load takes, or whether it ends (issue 14).

A line of 50 MB, a ``.jsonl`` symlink to ``/dev/zero``, a FIFO named
``*.jsonl``, an article of 20 million characters, a file with CR-only line
ends: each is read in bounded pieces or skipped with a warning naming the
file (and line), and everything else is indexed. Cases that hung or ate
memory before run in a child process with a memory limit and a timeout.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import tracemalloc
from pathlib import Path

import pytest
from click.testing import CliRunner

from vnsearch import caps
from vnsearch.cli import main
from vnsearch.ingest import reading
from vnsearch.ingest.articles import Article, ArticleError, LoadWarning, load_path

ROOT = Path(__file__).resolve().parents[1]


def good(i: int) -> dict[str, str]:
    return {"id": f"a{i}", "title": f"Tin số {i}", "body": "Hà Nội mưa lớn."}


def jsonl(*records: dict[str, str]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def load(path: Path) -> tuple[list[str], list[LoadWarning]]:
    warnings: list[LoadWarning] = []
    ids = [a.id for a in load_path(path, on_warning=warnings.append)]
    return ids, warnings


def in_child(code: str, timeout: float = 60, memory: int = 1 << 30) -> subprocess.CompletedProcess[str]:
    """Run *code* in a Python child limited to *memory* bytes of address space and *timeout* seconds."""
    prelude = f"import resource\nresource.setrlimit(resource.RLIMIT_AS, ({memory}, {memory}))\n"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-c", prelude + textwrap.dedent(code)], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)


# -- memory ------------------------------------------------------------------------------------------


def test_a_line_over_the_cap_is_skipped_without_being_held(tmp_path, monkeypatch):
    monkeypatch.setattr(caps, "RECORD_BYTES", 1 << 20)
    path = tmp_path / "big.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        fh.write(jsonl(good(1)))
        fh.write('{"id": "huge", "body": "' + "x" * (50 << 20) + '"}\n')  # a 50 MB line
        fh.write(jsonl(good(3)))
    tracemalloc.start()
    try:
        ids, warnings = load(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert ids == ["a1", "a3"]
    assert [(w.path, w.line) for w in warnings] == [(str(path), 2)]
    assert "line longer than" in warnings[0].message and warnings[0].message.endswith("; skipped")
    assert peak < 8 << 20, f"peak {peak / 1e6:.1f} MB for a 50 MB line"  # the cap and a chunk, not the line


def test_the_default_caps_are_documented_sizes():
    assert caps.RECORD_BYTES == 16 * 1024 * 1024
    assert caps.DOCUMENT_BYTES == 512 * 1024 * 1024
    assert caps.ARTICLE_CHARS == 2_000_000


def test_an_article_over_the_cap_is_skipped_with_file_and_line(tmp_path):
    body = "Hà Nội mưa lớn. " * (caps.ARTICLE_CHARS // 16 + 1)
    with pytest.raises(ArticleError, match="more than the 2,000,000"):
        Article.from_dict({"id": "x", "body": body})
    Article.from_dict({"id": "x", "body": body[:caps.ARTICLE_CHARS - 10]})  # under it: kept
    path = tmp_path / "a.jsonl"
    path.write_text(jsonl(good(1), {"id": "long", "body": body}, good(3)), "utf-8")
    ids, warnings = load(path)
    assert ids == ["a1", "a3"]
    (w,) = warnings
    assert (w.path, w.line) == (str(path), 2) and "characters long, more than the 2,000,000" in w.message


def test_a_txt_file_over_the_cap_is_skipped(tmp_path, monkeypatch):
    monkeypatch.setattr(caps, "RECORD_BYTES", 1000)
    (tmp_path / "big.txt").write_text("Hà Nội. " * 500, "utf-8")
    (tmp_path / "small.txt").write_text("Hà Nội mưa lớn.", "utf-8")
    ids, warnings = load(tmp_path)
    assert ids == ["small"]
    assert [(w.path, w.line) for w in warnings] == [(str(tmp_path / "big.txt"), None)]
    assert "larger than 1,000 bytes" in warnings[0].message


def test_a_json_array_element_over_the_cap_is_skipped(tmp_path, monkeypatch):
    monkeypatch.setattr(caps, "RECORD_BYTES", 200)
    path = tmp_path / "a.json"
    path.write_text(json.dumps([good(1), {"id": "big", "body": "x" * 500}, good(3)], indent=1), "utf-8")
    ids, warnings = load(path)
    assert ids == ["a1", "a3"]
    assert [(w.path, "array element longer than" in w.message) for w in warnings] == [(str(path), True)]


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_a_jsonl_symlink_to_dev_zero_is_skipped_not_read_forever(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    (d / "a.jsonl").write_text(jsonl(good(1)), "utf-8")
    (d / "zero.jsonl").symlink_to("/dev/zero")
    done = in_child(f"""
        from vnsearch.ingest.articles import load_path
        print([a.id for a in load_path({str(d)!r})])
    """)
    assert done.returncode == 0, done.stderr[-500:]
    assert done.stdout.strip() == "['a1']"
    assert f"warning: {d / 'zero.jsonl'}: a character device, not a regular file; skipped" in done.stderr


# -- special files -----------------------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_in_an_input_directory_is_skipped_not_waited_for(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    (d / "a.jsonl").write_text(jsonl(good(1)), "utf-8")
    os.mkfifo(d / "b.jsonl")
    (d / "c.txt").write_text("Hà Nội mưa lớn.", "utf-8")
    index = tmp_path / "ix"
    done = in_child(f"""
        import sys
        from vnsearch.cli import main
        sys.argv = ["vnsearch", "index", "-j", "1", "-d", {str(index)!r}, {str(d)!r}]
        main()
    """, timeout=120)
    assert done.returncode == 0, done.stderr[-500:]
    assert f"warning: {d / 'b.jsonl'}: a FIFO (named pipe), not a regular file; skipped" in done.stderr
    assert "2 added" in done.stdout and "1 not a regular file" in done.stdout


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_or_a_device_given_directly_is_reported(tmp_path):
    fifo = tmp_path / "f.jsonl"
    os.mkfifo(fifo)
    runner = CliRunner()
    for path, kind in ((fifo, "a FIFO (named pipe)"), (Path("/dev/zero"), "a character device")):
        if not path.exists():
            continue
        res = runner.invoke(main, ["index", "-j", "1", "-d", str(tmp_path / "ix"), str(path)])
        assert res.exit_code == 2, res.output  # nothing indexed, and said why
        assert f"warning: {path}: {kind}, not a regular file; skipped" in res.stderr


# -- input integrity ---------------------------------------------------------------------------------


def test_cr_only_line_ends_are_line_breaks(tmp_path):
    path = tmp_path / "mac.jsonl"
    lines = [json.dumps(good(1)), json.dumps(good(2)), "{not json", json.dumps(good(4))]
    path.write_bytes("\r".join(lines).encode() + b"\r")
    ids, warnings = load(path)
    assert ids == ["a1", "a2", "a4"]
    assert [(w.path, w.line) for w in warnings] == [(str(path), 3)]
    mixed = tmp_path / "mixed.jsonl"  # \r\n, \n and \r in one file; \r\n split across reads
    mixed.write_bytes(b"\r\n".join(line.encode() for line in lines[:2]) + b"\n" + lines[3].encode() + b"\r")
    assert load(mixed) == (["a1", "a2", "a4"], [])


def test_iter_lines_bounds_and_line_ends():
    import io

    data = b"a\r\nb\rc\n\n" + b"x" * 50 + b"\nlast"
    assert list(reading.iter_lines(io.BytesIO(data), cap=10)) == [
        (1, b"a"), (2, b"b"), (3, b"c"), (4, b""), (5, None), (6, b"last")]

    class Trickle(io.BytesIO):  # one byte per read: every line end split across reads
        def read1(self, n: int = -1) -> bytes:
            return self.read(1)

    assert list(reading.iter_lines(Trickle(data), cap=10)) == list(reading.iter_lines(io.BytesIO(data), cap=10))
