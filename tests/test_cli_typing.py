"""The command line as a new user types it (issue 16): -word exclusions, option clashes, wording, colour."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import SEED_000, SEEDS

from vnsearch import cli
from vnsearch.cli import main


@pytest.fixture(autouse=True)
def _no_ambient_index(monkeypatch):
    monkeypatch.delenv("VNSEARCH_INDEX", raising=False)


def run(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args])


def ids(result) -> list[str]:
    return [json.loads(line)["id"] for line in result.stdout.splitlines() if line.strip()]


def one_error_line(result) -> str:
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


@pytest.mark.parametrize("exclusion", [
    "-phát",  # was read as --page hát
    "-deepseek",  # was read as --index-dir eepseek
    "-hàng",  # was read as --help
    "-Hàng",
])
def test_a_dash_word_after_the_query_is_always_an_exclusion(seed_index_dir, exclusion):
    result = run("search", "-d", seed_index_dir, "--json", "AI", exclusion)
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert ids(result) == [SEED_000]


def test_dash_n_word_excludes_instead_of_setting_the_limit(seed_index_dir):
    # "nghệ" is in both seeds: excluding it leaves nothing (exit 1), not "-n ghệ" (exit 2).
    result = run("search", "-d", seed_index_dir, "--json", "AI", "-nghệ")
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert result.stderr == "" and result.stdout == ""


def test_options_still_work_before_and_spelt_exactly_after(seed_index_dir):
    assert len(ids(run("search", "-n", "1", "-d", seed_index_dir, "--json", "AI"))) == 1
    assert len(ids(run("search", "-d", seed_index_dir, "--json", "AI", "-n", "1"))) == 1
    assert ids(run("search", "-d", seed_index_dir, "--json", "--", "AI", "-phát")) == [SEED_000]


def test_page_and_offset_together_are_refused(seed_index_dir):
    line = one_error_line(run("search", "-d", seed_index_dir, "--page", "2", "--offset", "7", "AI"))
    assert "--page" in line and "--offset" in line


@pytest.mark.parametrize("command", [["search", "AI"], ["similar", SEED_000]])
def test_html_and_json_together_are_refused(seed_index_dir, command):
    line = one_error_line(run(command[0], "-d", seed_index_dir, "--html", "--json", *command[1:]))
    assert "--html" in line and "--json" in line


def test_hits_past_the_full_matches_are_counted_as_some_words(seed_index_dir):
    result = run("search", "-d", seed_index_dir, "--no-color", "AI", "xylophonezzq")
    assert result.exit_code == 0, result.stderr
    last = result.stdout.strip().splitlines()[-1]
    assert "of 0 matching" not in last
    assert last == "1–2 of 2 matching some words (none matching all)"


def test_one_article_is_singular(tmp_path):
    one = tmp_path / "one"
    one.mkdir()
    (one / f"{SEED_000}.txt").write_bytes((Path(SEEDS) / f"{SEED_000}.txt").read_bytes())
    result = run("index", "-d", tmp_path / "ix", "--jobs", "1", one)
    assert result.exit_code == 0, result.stderr
    assert "holds 1 article." in result.stdout and "1 articles" not in result.stdout
    assert "holds 1 article," in run("check", "-d", tmp_path / "ix").stdout


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("env, expected", [({}, True), ({"NO_COLOR": "1"}, False), ({"TERM": "dumb"}, False)])
def test_no_color_and_dumb_terminals(monkeypatch, env, expected):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setattr(cli.sys, "stdout", _Tty())
    assert cli._use_color(None) is expected
    assert cli._use_color(True) is True  # --color wins


@pytest.mark.parametrize("command", ["search", "similar"])
def test_color_is_kept_when_asked_for_into_a_pipe(seed_index_dir, command):
    # `vnsearch search --color … | less -R`: click stripped the codes from anything not a terminal.
    query = SEED_000 if command == "similar" else "AI"
    assert "\x1b[" in run(command, "-d", seed_index_dir, "--color", query).stdout
    assert "\x1b[" not in run(command, "-d", seed_index_dir, query).stdout


def test_restore_keeps_the_order_of_dash_words(seed_index_dir):
    result = run("restore", "-d", seed_index_dir, "Hang Chau", "-Quang", "Dong")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == "Hàng Châu -Quảng Đông"
