"""Behaviour tests for the ``vnsearch`` command line (vnsearch/cli.py).

Every test drives the real click group through ``CliRunner`` against a real
index.  Indexing costs about 0.3 s per article, so the seeds index is built
once per module (by the ``index`` command itself) and tests that change an
index work on a copy of it.

Contract under test: exit code 0 found / done, 1 nothing found, 2 usage or
input error; errors are one ``error: ...`` line on stderr, never a traceback;
output to a pipe carries no escape sequences.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import SEED_000, SEED_002, SEEDS

from vnsearch.cli import main
from vnsearch.lang.text import fold_all

QUERY = "trí tuệ nhân tạo"
HIT_KEYS = {"id", "score", "title", "date", "source", "url", "snippet", "highlights"}
COMMANDS = ["index", "search", "show", "delete", "stats", "check"]
# C0 controls except \t and \n, DEL, C1 controls (0x9b is the one-byte CSI).
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@pytest.fixture(autouse=True)
def _no_ambient_index(monkeypatch):
    """Tests must not depend on the developer's $VNSEARCH_INDEX."""
    monkeypatch.delenv("VNSEARCH_INDEX", raising=False)


def run(*args: str, **kw):
    """Invoke the CLI; stdout and stderr stay separate (click >= 8.2)."""
    return CliRunner().invoke(main, [str(a) for a in args], **kw)


def assert_clean_error(result, code: int = 2) -> str:
    """A user error: the exit code, one "error: ..." line on stderr, no traceback."""
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


# -- the seeds index, built once by the CLI -------------------------------------

@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """(index directory, result of ``vnsearch index seeds/``); tests must not modify it."""
    path = tmp_path_factory.mktemp("cli") / "ix"
    result = run("index", "--index-dir", path, "--jobs", "1", SEEDS)
    return path, result


@pytest.fixture(scope="module")
def ix(built) -> Path:
    return built[0]


@pytest.fixture
def ix_copy(ix, tmp_path) -> Path:
    """A private copy of the seeds index, for tests that change it."""
    return Path(shutil.copytree(ix, tmp_path / "ix"))


# -- index ------------------------------------------------------------------------

def test_index_seeds_reports_two_added(built):
    path, result = built
    assert result.exit_code == 0, result.output
    assert "2 added" in result.stdout
    assert "0 skipped" in result.stdout
    assert result.stderr == ""  # no warnings, and no progress bar in a pipe
    stats = json.loads(run("stats", "-d", path, "--json").stdout)
    assert stats["articles"] == 2


def test_index_again_is_unchanged_and_rebuild_re_adds(ix_copy):
    again = run("index", "-d", ix_copy, "-j", "1", SEEDS)
    assert again.exit_code == 0, again.output
    assert "2 unchanged" in again.stdout
    assert "0 added" in again.stdout and "0 replaced" in again.stdout
    assert json.loads(run("stats", "-d", ix_copy, "--json").stdout)["articles"] == 2

    rebuilt = run("index", "--rebuild", "-d", ix_copy, "-j", "1", SEEDS)
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "2 added" in rebuilt.stdout
    assert not re.search(r"\d+ unchanged", rebuilt.stdout), rebuilt.stdout
    assert json.loads(run("stats", "-d", ix_copy, "--json").stdout)["articles"] == 2
    assert run("search", "-d", ix_copy, QUERY).exit_code == 0


def test_index_missing_path_warns_and_exits_2(tmp_path):
    missing = tmp_path / "no-such-dir"
    result = run("index", "-d", tmp_path / "ix", missing)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and str(missing) in warnings[0], result.stderr
    assert "1 skipped" in result.stdout


def test_index_directory_with_bad_records(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    good = {"id": "good-1", "title": "Hà Nội mở rộng đường sắt đô thị",
            "body": "Thành phố khởi công tuyến metro mới.", "date": "2026-01-02", "source": "VnExpress"}
    bad_file = data / "news.jsonl"
    bad_file.write_text(
        json.dumps(good, ensure_ascii=False) + "\n"
        + '{"id": "broken", "title": \n'
        + json.dumps({"title": "Không có mã", "body": "Bài viết thiếu id."}, ensure_ascii=False) + "\n",
        encoding="utf-8")
    index_dir = tmp_path / "ix"

    result = run("index", "-d", index_dir, "-j", "1", data)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert "1 added" in result.stdout and "2 skipped" in result.stdout
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 2, result.stderr
    assert f"{bad_file}:2" in warnings[0] and "JSON" in warnings[0]
    assert f"{bad_file}:3" in warnings[1] and "id" in warnings[1]

    found = run("search", "-d", index_dir, "--json", "metro")
    assert found.exit_code == 0
    assert [h["id"] for h in json_lines(found.stdout)] == ["good-1"]
    assert json.loads(run("stats", "-d", index_dir, "--json").stdout)["articles"] == 1


# -- search -------------------------------------------------------------------------

def test_search_finds_both_articles(ix):
    result = run("search", "-d", ix, QUERY)
    assert result.exit_code == 0, result.output
    assert SEED_000 in result.stdout and SEED_002 in result.stdout


@pytest.mark.parametrize("query", [QUERY, "tri tue nhan tao"])
def test_search_json_lines_and_highlights(ix, query):
    result = run("search", "-d", ix, "--json", query)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    hits = [json.loads(line) for line in lines]  # every line is one JSON object
    assert len(hits) == len(lines) == 2
    assert {h["id"] for h in hits} == {SEED_000, SEED_002}
    words = {fold_all(w.lower()) for w in query.split()}
    for hit in hits:
        assert set(hit) == HIT_KEYS, hit.keys()
        assert isinstance(hit["score"], (int, float)) and hit["score"] > 0
        assert hit["highlights"], hit
        for start, end in hit["highlights"]:
            assert 0 <= start < end <= len(hit["snippet"])
            marked = hit["snippet"][start:end]
            assert marked.split(), (marked, hit["snippet"])
            for token in marked.split():
                assert fold_all(token.lower()) in words, (token, marked, hit["snippet"])
    assert hits[0]["score"] >= hits[1]["score"]
    by_id = {h["id"]: h for h in hits}
    assert by_id[SEED_000]["date"] == "2026-03-07"


def test_search_limit_and_page(ix):
    everything = [h["id"] for h in json_lines(run("search", "-d", ix, "--json", QUERY).stdout)]
    first = run("search", "-d", ix, "--json", "--limit", "1", QUERY)
    assert first.exit_code == 0
    assert len(first.stdout.splitlines()) == 1
    second = run("search", "-d", ix, "--json", "--page", "2", "--limit", "1", QUERY)
    assert second.exit_code == 0
    assert len(second.stdout.splitlines()) == 1
    ids = [json_lines(first.stdout)[0]["id"], json_lines(second.stdout)[0]["id"]]
    assert ids == everything and set(ids) == {SEED_000, SEED_002}
    # Past the last page: nothing found.
    assert run("search", "-d", ix, "--json", "--page", "3", "--limit", "1", QUERY).exit_code == 1


def test_search_no_match_exits_1(ix):
    result = run("search", "-d", ix, "xylophonezzq")
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert "Traceback" not in result.output
    json_result = run("search", "-d", ix, "--json", "xylophonezzq")
    assert json_result.exit_code == 1 and json_result.stdout == ""


@pytest.mark.parametrize("query", ['""', " ", "\t\n"])
def test_search_empty_query_is_a_usage_error(ix, query):
    line = assert_clean_error(run("search", "-d", ix, query))
    assert "query" in line


def test_search_only_exclusions_is_a_usage_error(ix):
    line = assert_clean_error(run("search", "-d", ix, "--", "-AI"))
    assert "exclude" in line


def test_search_exclusion_in_one_argument(ix):
    result = run("search", "-d", ix, "--json", "AI -Alibaba")
    assert result.exit_code == 0, result.output
    assert [h["id"] for h in json_lines(result.stdout)] == [SEED_000]


def test_search_exclusion_as_separate_argument(ix):
    result = run("search", "-d", ix, "--json", "AI", "-Alibaba")
    assert result.exit_code == 0, result.output
    assert [h["id"] for h in json_lines(result.stdout)] == [SEED_000]


def test_search_several_arguments_same_as_one(ix):
    quoted = run("search", "-d", ix, "--json", QUERY)
    split = run("search", "-d", ix, "--json", *QUERY.split())
    assert split.exit_code == quoted.exit_code == 0
    assert json_lines(split.stdout) == json_lines(quoted.stdout)


def test_index_selected_by_environment(ix, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no ./index to fall back on
    result = run("search", "--json", QUERY, env={"VNSEARCH_INDEX": str(ix)})
    assert result.exit_code == 0, result.output
    assert {h["id"] for h in json_lines(result.stdout)} == {SEED_000, SEED_002}
    stats = run("stats", "--json", env={"VNSEARCH_INDEX": str(ix)})
    assert json.loads(stats.stdout)["articles"] == 2
    # --index-dir wins over the environment.
    override = run("stats", "--json", "-d", ix, env={"VNSEARCH_INDEX": str(tmp_path / "nothing")})
    assert override.exit_code == 0 and json.loads(override.stdout)["articles"] == 2


@pytest.mark.parametrize("args", [["search", "AI"], ["show", SEED_000], ["delete", SEED_000], ["stats"]])
def test_no_index_says_how_to_build_one(tmp_path, args):
    empty = tmp_path / "empty"
    empty.mkdir()
    line = assert_clean_error(run(*args, "--index-dir", empty))
    assert "vnsearch index" in line and str(empty) in line
    assert list(empty.iterdir()) == []  # reading commands never create an index


# -- show, stats, delete -------------------------------------------------------------

def test_show_prints_article_text(ix):
    result = run("show", "-d", ix, SEED_002)
    assert result.exit_code == 0, result.output
    assert "DeepSeek" in result.stdout
    assert "Đại học Chiết Giang" in result.stdout


def test_show_json(ix):
    result = run("show", "-d", ix, "--json", SEED_000)
    assert result.exit_code == 0, result.output
    article = json.loads(result.stdout)
    assert article["id"] == SEED_000
    assert article["date"] == "2026-03-07"
    assert "Quảng Đông" in article["sapo"] + article["body"]


def test_show_unknown_id_exits_1(ix):
    result = run("show", "-d", ix, "no-such-article")
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert "no-such-article" in result.stderr and "Traceback" not in result.output


def test_stats(ix):
    result = run("stats", "-d", ix)
    assert result.exit_code == 0, result.output
    assert re.search(r"articles:\s*2\b", result.stdout), result.stdout
    assert "2026-03-07" in result.stdout
    stats = json.loads(run("stats", "-d", ix, "--json").stdout)
    assert stats["articles"] == 2
    assert stats["first_date"] <= "2026-03-07" <= stats["last_date"]
    assert stats["size_bytes"] > 0


def test_delete(ix_copy):
    result = run("delete", "-d", ix_copy, SEED_000)
    assert result.exit_code == 0, result.output
    assert "1 deleted" in result.stdout
    hits = json_lines(run("search", "-d", ix_copy, "--json", QUERY).stdout)
    assert [h["id"] for h in hits] == [SEED_002]
    assert run("show", "-d", ix_copy, SEED_000).exit_code == 1
    assert json.loads(run("stats", "-d", ix_copy, "--json").stdout)["articles"] == 1
    # Deleting it again, or an id that never existed: nothing found.
    again = run("delete", "-d", ix_copy, SEED_000)
    assert again.exit_code == 1 and "0 deleted" in again.stdout
    assert run("delete", "-d", ix_copy, "no-such-article").exit_code == 1


# -- help -------------------------------------------------------------------------------

def test_group_help_lists_commands():
    result = run("--help")
    assert result.exit_code == 0, result.output
    for command in COMMANDS:
        assert command in result.stdout
    assert run("-h").stdout == result.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_command_help_names_library_call(command):
    result = run(command, "--help")
    assert result.exit_code == 0, result.output
    assert "Library:" in result.stdout
    assert "SearchEngine" in result.stdout
    assert "--index-dir" in result.stdout


def test_unknown_option_is_usage_error(ix):
    result = run("search", "-d", ix, "--no-such-option", "AI")
    assert result.exit_code == 2
    assert "Traceback" not in result.output


# -- no escape sequences in pipes -------------------------------------------------------

def assert_no_control(text: str) -> None:
    bad = sorted({hex(ord(c)) for c in CONTROL.findall(text)})
    assert not bad, (bad, text)


def test_piped_search_has_no_ansi(ix):
    # color=True stops CliRunner from stripping escapes, so any the CLI writes would show.
    for args in (["search", QUERY], ["search", "--limit", "1", "AI"], ["show", SEED_000], ["stats"]):
        result = run(*args[:1], "-d", ix, *args[1:], color=True)
        assert result.exit_code == 0, result.output
        assert "\x1b" not in result.output, (args, result.output)


@pytest.fixture(scope="module")
def dirty_index(tmp_path_factory) -> Path:
    """An index of articles whose text holds escape sequences and other control characters."""
    root = tmp_path_factory.mktemp("dirty")
    data = root / "data"
    data.mkdir()
    record = {"id": "dirty-json", "title": "Tin \x1b[31mđỏ\x1b[0m nóng",
              "sapo": "Mở đầu \x9b31m có \x07 chuông", "body": "Nội dung \x1b[2J\x1b]0;pwned\x07 bão lớn \x08\x7f hết"}
    (data / "dirty.jsonl").write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    (data / "dirty-txt.txt").write_bytes(
        "date 2026-02-01 Bão \x1b[31mlớn\x1b[0m đổ bộ.\n\nGió \x1b[1;33mmạnh\x07 cấp 12 \x9b2J.\n".encode())
    path = root / "ix"
    result = run("index", "-d", path, "-j", "1", data)
    assert result.exit_code == 0 and "2 added" in result.stdout, result.output
    return path


@pytest.mark.parametrize("args", [
    ["search", "bão", "lớn"],
    ["search", "--json", "bão"],
    ["search", "--html", "bão"],
    ["search", "đỏ"],
    ["show", "dirty-json"],
    ["show", "--json", "dirty-json"],
    ["show", "dirty-txt"],
    ["show", "--json", "dirty-txt"],
])
def test_control_characters_never_reach_output(dirty_index, args):
    result = run(*args[:1], "-d", dirty_index, *args[1:], color=True)
    assert result.exit_code == 0, result.output
    assert_no_control(result.output)


def test_control_characters_in_query_are_not_echoed(ix):
    result = run("search", "-d", ix, "\x1b[31mxylophonezzq", color=True)
    assert result.exit_code == 1
    assert_no_control(result.output)


def test_show_sanitises_articles_added_by_the_library(tmp_path):
    from vnsearch import SearchEngine
    from vnsearch.ingest.articles import Article

    path = tmp_path / "ix"
    with SearchEngine(path) as engine:
        engine.add_articles([Article(id="lib-1", title="Tin \x1b[31mđỏ", body="Chữ \x1b[31mđỏ\x07 \x9b2J hết")], jobs=1)
    for args in (["show", "lib-1"], ["show", "--json", "lib-1"]):
        result = run(*args[:1], "-d", path, *args[1:], color=True)
        assert result.exit_code == 0
        assert_no_control(result.output)


def test_warning_does_not_echo_control_characters_in_file_names(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "bad\x1b[31mname.jsonl").write_text("{not json\n", encoding="utf-8")
    result = run("index", "-d", tmp_path / "ix", data, color=True)
    assert "warning:" in result.stderr
    assert_no_control(result.output)


def test_search_prints_did_you_mean_for_accentless_query(ix):
    result = run("search", "-d", ix, "tri", "tue", "nhan", "tao")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == "Did you mean: trí tuệ nhân tạo"
