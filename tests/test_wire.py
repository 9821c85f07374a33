"""Issue 16 wired into the search: Telex rewrites, typo alternatives, exact spelling, accentless word bonus.

Through the public API (SearchEngine.search, the CLI, the HTTP API) on the
two seed articles and on a slice of the shared corpus.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import read_corpus_lines

from vnsearch import SearchEngine
from vnsearch.cli import main
from vnsearch.lang.analysis import query_syllables
from vnsearch.search.query import parse_query


@pytest.fixture(autouse=True)
def _no_ambient_index(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VNSEARCH_INDEX", raising=False)


@pytest.fixture(scope="module")
def slice_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchEngine]:
    """300 dated, categorised articles of news-b."""
    docs = read_corpus_lines("news-b.jsonl.gz", 0, 300)
    engine = SearchEngine(tmp_path_factory.mktemp("wire") / "ix")
    engine.add_articles(docs, jobs=1)
    yield engine
    engine.close()


def words_of(engine: SearchEngine, article_id: str) -> set[str]:
    a = engine.get(article_id)
    assert a is not None
    return set(query_syllables(" ".join((a.title, a.lead, a.body))))


# -- accentless runs get the word bonus --------------------------------------------------

def test_accentless_run_ranks_the_article_holding_the_word_first(seed_engine: SearchEngine) -> None:
    accented = seed_engine.search("khởi nghiệp")
    plain = seed_engine.search("khoi nghiep")
    assert len(plain) == 2
    top = plain[0].id
    assert top == accented[0].id
    # The top article is the one whose text holds the word "khởi nghiệp" (six times), the other holds it apart.
    snap, _ = seed_engine._current()
    holders = snap.postings("text", "khởi nghiệp").docs
    assert [snap.stored(int(d))["id"] for d in holders] == [top]


# -- Telex / VNI --------------------------------------------------------------------------

@pytest.mark.parametrize("typed", ["khowir nghieepj", "kho73i nghie65p"])
def test_telex_query_is_rewritten_and_searched_as_vietnamese(seed_engine: SearchEngine, typed: str) -> None:
    results = seed_engine.search(typed)
    assert results.rewritten == "khởi nghiệp"
    assert results.suggestion is None  # a converted query is accented already
    assert [h.id for h in results] == [h.id for h in seed_engine.search("khởi nghiệp")]
    assert seed_engine.search(typed, telex=False).rewritten is None


def test_plain_and_accented_queries_are_not_rewritten(seed_engine: SearchEngine) -> None:
    for text in ("khởi nghiệp", "khoi nghiep", "process css", "Hàng Châu"):
        got = seed_engine.search(text)
        assert got.rewritten is None and got.corrections == {}, text


# -- typos ----------------------------------------------------------------------------------

def test_mistyped_syllable_is_searched_as_its_correction_and_reported(seed_engine: SearchEngine) -> None:
    assert len(seed_engine.search("nghieepp", telex=False, typos=False)) == 0
    results = seed_engine.search("khởi nghiêpj", telex=False)
    assert results.corrections and len(results) == 2
    wrong = seed_engine.search("Quảng Đôngg")
    assert wrong.corrections == {"đôngg": ["đông"]}
    assert wrong and wrong[0].id == seed_engine.search("Quảng Đông")[0].id
    assert seed_engine.search("Quảng Đôngg", typos=False).corrections == {}


def test_exact_match_always_ranks_above_a_corrected_one(tmp_path: Path) -> None:
    """Of two articles alike but for the syllable, the one holding the syllable typed ranks first."""
    from vnsearch.search.understand import Alternative

    articles = [{"id": "typed", "title": "Giá cá tăng mạnh ở chợ đầu mối", "body": "Giá cá tăng mạnh."},
                {"id": "corrected", "title": "Giá cán tăng mạnh ở chợ đầu mối", "body": "Giá cán tăng mạnh."},
                {"id": "other", "title": "Thời tiết hôm nay", "body": "Trời nắng."}]
    with SearchEngine(tmp_path / "ix") as engine:
        engine.add_articles(articles, jobs=1)
        snap, ranker = engine._current()
        for weight in (0.3, 0.8, 0.99):
            ranking = ranker.rank(parse_query("giá cá"), alternatives={"cá": [Alternative("cá", "cán", weight, 1)]})
            ids = [snap.stored(int(d))["id"] for d in ranking.docs]
            assert ids[:2] == ["typed", "corrected"], weight
            assert ranking.scores[0] > ranking.scores[1]
        without = ranker.rank(parse_query("giá cá"))
        assert [snap.stored(int(d))["id"] for d in without.docs][:1] == ["typed"]


# -- exact spelling ------------------------------------------------------------------------

@pytest.mark.parametrize("text, exact", [
    ("=bão", False), ("bão", True), ('="Hà Nội"', False), ("thủ tướng", True), ("=mưa =lũ", False),
])
@pytest.mark.parametrize("sort", ["relevance", "newest"])
def test_exact_query_never_returns_an_article_without_the_exact_spelling(
        slice_engine: SearchEngine, text: str, exact: bool, sort: str) -> None:
    results = slice_engine.search(text, limit=300, exact=exact, sort=sort, facets=True, collapse=False)
    wanted = [s for g in parse_query(text, exact=exact).groups for p in g for s in p.syllables]
    assert results, text
    for hit in results:
        assert set(wanted) <= words_of(slice_engine, hit.id), (text, hit.id, hit.title)
    loose = slice_engine.search(text.replace("=", ""), limit=300, sort=sort, collapse=False)
    assert len(results) <= len(loose) and results.total <= loose.total
    assert results.facets is not None
    assert sum(results.facets["source"].values()) == results.total  # facets count the exact matches only
    if sort == "relevance":
        assert results.matched == results.total == len(results)


def test_exact_bao_leaves_out_the_other_spellings(slice_engine: SearchEngine) -> None:
    loose = slice_engine.search("bão", limit=300, collapse=False)
    exact = slice_engine.search("=bão", limit=300, collapse=False)
    assert 0 < exact.total < loose.total
    assert any("bão" not in words_of(slice_engine, h.id) for h in loose)


# -- CLI and HTTP --------------------------------------------------------------------------

def run(*args: object):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, [str(a) for a in args])


def test_cli_shows_the_rewrite_and_the_corrections(seed_index_dir: Path) -> None:
    got = run("search", "-d", seed_index_dir, "--no-color", "khowir", "nghieepj")
    assert got.exit_code == 0, got.output
    assert got.stdout.splitlines()[0] == "Showing results for: khởi nghiệp"
    got = run("search", "-d", seed_index_dir, "--no-color", "Quảng", "Đôngg")
    assert "Also searched for: đông (đôngg)" in got.stdout
    got = run("search", "-d", seed_index_dir, "--json", "khowir", "nghieepj")
    last = json.loads(got.stdout.splitlines()[-1])
    assert last == {"rewritten": "khởi nghiệp", "corrections": {}}


def test_cli_exact(seed_index_dir: Path) -> None:
    plain = run("search", "-d", seed_index_dir, "--json", "hang")
    exact = run("search", "-d", seed_index_dir, "--json", "--exact", "hang")
    assert plain.exit_code == 0 and exact.exit_code in (0, 1)
    assert len(exact.stdout.splitlines()) < len(plain.stdout.splitlines())


def test_http_search_reports_rewrite_and_takes_exact(seed_index_dir: Path) -> None:
    pytest.importorskip("httpx")
    from starlette.testclient import TestClient

    from vnsearch.server import create_app

    with TestClient(create_app(seed_index_dir, token="t")) as client:
        body = client.get("/search", params={"q": "khowir nghieepj"}).json()
        assert body["rewritten"] == "khởi nghiệp" and body["corrections"] == {}
        assert body["hits"]
        body = client.get("/search", params={"q": "hang", "exact": "true"}).json()
        loose = client.get("/search", params={"q": "hang"}).json()
        assert body["total"] < loose["total"]
        page = client.get("/", params={"q": "khowir nghieepj"}).text
        assert "Showing results for: <b>khởi nghiệp</b>" in page


def test_prepare_builds_the_typo_index_and_the_pairs_in_the_background(seed_index_dir: Path) -> None:
    from vnsearch.search.understand import vocabulary

    with SearchEngine(seed_index_dir, create=False, prepare=True) as engine:
        view = engine._acquire()
        try:
            for thread in __import__("threading").enumerate():
                if thread.name == "vnsearch-typos":
                    thread.join(30)
            vocab = vocabulary(view.snapshot)
            assert vocab._typos is not None and vocab._pairs is not None  # the pairs: every short query's
        finally:
            view.release()


# -- restore keeps the user's text --------------------------------------------------------

def test_restoration_keeps_capitals_and_punctuation(seed_engine: SearchEngine) -> None:
    r = seed_engine.restoration("Hang Chau, Quang Dong.")
    assert r.text == "Hàng Châu, Quảng Đông."
    assert r.syllables == ["hàng", "châu", "quảng", "đông"]
    assert seed_engine.restore("HANG CHAU") == "HÀNG CHÂU"
    assert seed_engine.restore(" ,. ") == ""


def test_corrected_words_are_highlighted(seed_engine: SearchEngine) -> None:
    results = seed_engine.search("Quảng Đôngg")
    assert results.corrections == {"đôngg": ["đông"]}
    marked = [results[0].snippet[a:b] for a, b in results[0].highlights]
    assert "Quảng Đông" in marked, marked
