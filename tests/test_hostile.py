"""Hostile text in articles and queries: HTML stays inert, JSON stays valid, terminals stay clean.

Includes a property-based test (hypothesis) feeding arbitrary queries to the
library and the CLI: each answers with results or a clear QueryError /
"error:" line, never another exception.
"""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vnsearch import SearchEngine
from vnsearch.cli import main
from vnsearch.search.query import QueryError

SCRIPT = "<script>alert(1)</script>"
ODD = "\u200f\u202e\ufeff\u0301😀🇻🇳\U0001f9d1\u200d\U0001f4bb\uffff\u2028\u2029"

HOSTILE = [
    {"id": "xss-1", "title": f"{SCRIPT} Bão lớn",
     "lead": "Mở đầu <b onclick=\"alert('x')\">đậm</b> &amp; &lt;i&gt; &#60;script&#62; bão",
     "body": ("Bão lớn đổ bộ <img src=x onerror=\"alert('bão')\"> vào miền Trung; "
              f"<a href='javascript:alert(1)' title=\"a\"b'c\">liên kết</a> {SCRIPT} "
              "gió mạnh &quot;cấp 12&quot; &nbsp; <!-- chú thích --> <![CDATA[ x ]]> bão"),
     "source": "<i>Nguồn</i>", "date": "2026-01-01"},
    {"id": "odd-<2>\"", "title": f"Tin bão {ODD} lạ",
     "body": f"Bão \x1b[31mđỏ\x1b[0m \x1b]0;pwned\x07 \x00 \x9b2J \t ngắt {ODD} cuối bài bão \u05d0\u05d1 عربي",
     "source": "Nguồn\x1b[2J", "date": "2026-01-02"},
]


@pytest.fixture(autouse=True)
def _no_ambient_index(monkeypatch):
    monkeypatch.delenv("VNSEARCH_INDEX", raising=False)


@pytest.fixture(scope="module")
def hostile_dir(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("hostile") / "ix"
    with SearchEngine(path) as engine:
        assert engine.add_articles(HOSTILE, jobs=1) == 2
    return path


@pytest.fixture(scope="module")
def hostile(hostile_dir):
    engine = SearchEngine(hostile_dir, create=False)
    yield engine
    engine.close()


def run(*args, **kw):
    return CliRunner().invoke(main, [str(a) for a in args], **kw)


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.other: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if attrs:
            self.other.append(f"attrs on {tag}")

    def handle_comment(self, data):
        self.other.append("comment")

    def handle_decl(self, decl):
        self.other.append("decl")

    def unknown_decl(self, data):
        self.other.append("cdata")


def live_markup(text: str) -> tuple[set[str], list[str]]:
    parser = _Tags()
    parser.feed(text)
    parser.close()
    return set(parser.tags), parser.other


# -- HTML -------------------------------------------------------------------------------------

def test_snippet_html_has_no_live_tags(hostile):
    hits = hostile.search("bão", limit=10)
    assert {h.id for h in hits} == {"xss-1", "odd-<2>\""}
    for hit in hits:
        for markup in (hit.snippet_html(), hit.title_snippet.html()):
            tags, other = live_markup(markup)
            assert tags <= {"mark"} and not other, markup
            assert "<script" not in markup and "<img" not in markup and "<!--" not in markup
    xss = next(h for h in hits if h.id == "xss-1")
    assert "&lt;img src=x onerror=&quot;alert(&#x27;<mark>bão</mark>&#x27;)&quot;&gt;" in xss.snippet_html()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in xss.title_snippet.html()
    assert "&amp;quot;cấp 12&amp;quot;" in xss.snippet_html()  # entities stay text, not decoded
    assert "<mark>" in xss.snippet_html()


@pytest.mark.parametrize("query", ["bão", "script alert", "img onerror"])
def test_cli_html_output_has_no_live_tags(hostile_dir, query):
    result = run("search", "-d", hostile_dir, "--html", *query.split())
    assert result.exit_code in (0, 1), result.output
    tags, other = live_markup(result.stdout)
    assert tags <= {"mark"} and not other, result.stdout
    assert "<script" not in result.stdout.lower() and "<i>" not in result.stdout


# -- JSON -------------------------------------------------------------------------------------

def test_json_output_is_valid_for_odd_unicode(hostile_dir):
    result = run("search", "-d", hostile_dir, "--json", "bão")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    hits = [json.loads(line) for line in lines]  # every line one JSON object
    assert len(hits) == 2
    odd = next(h for h in hits if h["id"] == "odd-<2>\"")
    assert "😀🇻🇳" in odd["title"] and "\u200f" in odd["title"] and "\U0001f9d1\u200d\U0001f4bb" in odd["snippet"]
    assert "\u05d0\u05d1 عربي" in odd["snippet"]  # right-to-left scripts kept as they are
    for hit in hits:
        for value in (hit["title"], hit["snippet"]):
            assert "\x1b" not in value and "\x00" not in value and "\x9b" not in value
    shown = run("show", "-d", hostile_dir, "--json", "odd-<2>\"")
    assert shown.exit_code == 0
    article = json.loads(shown.stdout)
    assert article["id"] == "odd-<2>\"" and "😀" in article["body"]


# -- terminal ----------------------------------------------------------------------------------

@pytest.mark.parametrize("args", [["search", "bão"], ["search", "--color", "bão"], ["search", "--html", "bão"],
                                  ["show", "odd-<2>\""]])
def test_terminal_output_carries_no_escape_sequences_from_articles(hostile_dir, args):
    result = run(args[0], "-d", hostile_dir, *args[1:], color=True)
    assert result.exit_code == 0, result.output
    for seq in ("\x1b[31m", "\x1b[0m đ", "\x1b]0;", "\x1b[2J", "\x9b", "\x07", "\x00"):
        assert seq not in result.output, (seq, result.output)
    if "--color" not in args:
        assert "\x1b" not in result.output


# -- any query: results or a clear QueryError, never another exception --------------------------

FRAGMENTS = ["OR", "or", "-", "--", "-bão", ":", "source:", "category:", "source:\"", "nosuchfield:x", "date:2026",
             '"', '""', "'", "(", ")", "((", "))", "*", "?", "~", "^", "\\", "AND", "NOT", "+", "|", "&&",
             "bão", "Bão lớn", "tri tue", "<script>", "&amp;", "\x00", "\x1b[31m", "\u200f", "😀", "\ud7ff",
             "\t", "\n", "\u0301", "-OR", "OR OR", '"bão', 'lớn"', "source:VnExpress", "category:", ":::"]

queries = st.one_of(
    st.text(max_size=60),
    st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=8)), max_size=12).map(" ".join),
    st.lists(st.sampled_from(FRAGMENTS), max_size=12).map("".join),
    st.builds(lambda word, n: (word + " ") * n, st.sampled_from(["bão", "x", "OR", '"', "-a", "a" * 50]),
              st.integers(0, 10_000 // 51)).map(lambda q: q[:10_000]),
    st.text(alphabet=st.characters(max_codepoint=0x9f), max_size=40),  # ASCII and control characters
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=queries)
def test_any_query_gives_results_or_a_query_error(hostile, query):
    try:
        results = hostile.search(query, limit=5)
    except QueryError as exc:
        assert str(exc)  # a message a person can read
    else:
        assert all(hit.id in {"xss-1", "odd-<2>\""} for hit in results)
        for hit in results:
            hit.snippet_html()
            json.dumps(hit.to_dict(), ensure_ascii=False)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=queries, split=st.booleans(), fmt=st.sampled_from([[], ["--json"], ["--html"]]))
def test_any_query_on_the_command_line(hostile_dir, query, split, fmt):
    words = query.split() if split else ["--", query]
    result = run("search", "-d", hostile_dir, *fmt, *words)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code in (0, 1, 2), result.exit_code
    assert "Traceback" not in result.output
    if result.exit_code == 2:
        assert "error:" in result.stderr.lower(), result.stderr


@pytest.mark.parametrize("query", ["OR", "-", ":", "source:", "-bão", '"', "(", "nosuchfield:bão", "\x00\x1b",
                                   "bão " * 2500, "x" * 10_000, ('"bão ' + "(" * 50) * 100])
def test_awkward_queries(hostile, hostile_dir, query):
    try:
        hostile.search(query)
    except QueryError as exc:
        assert str(exc)
    result = run("search", "-d", hostile_dir, "--", query)
    assert result.exit_code in (0, 1, 2) and "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    if result.exit_code == 2:
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: bad query"), result.stderr
