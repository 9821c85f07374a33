"""Accent restoration from the hits' own text: context_evidence, restore(context=…), the engine and CLI."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from conftest import read_corpus_lines

from vnsearch import SearchEngine
from vnsearch.cli import main
from vnsearch.lang.analysis import query_syllables
from vnsearch.lang.text import fold_all
from vnsearch.search.restore import RestoreParams, context_evidence, restore

FLAT = RestoreParams(rank_decay=0.0, title_weight=1.0, whole_weight=1.0, run_power=1.0)


# --- context_evidence: runs of query syllables in the hits' text ---------------------------


def test_runs_vote_for_the_texts_spellings():
    docs = [{"title": "Cửa Việt đón khách", "body": "Bãi biển Cửa Việt ở Quảng Trị."}]
    ctx = context_evidence(["cua", "viet"], docs, FLAT)
    assert ctx.documents == 1
    # Two runs of length 2 (title and body), each voting 2 at each position.
    assert ctx.unary[0] == {"cửa": 4.0} and ctx.unary[1] == {"việt": 4.0}
    assert ctx.pair[1] == {("cửa", "việt"): 4.0}
    assert ctx.pair[0] == {}


def test_only_maximal_runs_vote_and_longer_runs_weigh_more():
    docs = [{"body": "trí tuệ nhân tạo. Tạo ra trí tuệ"}]
    ctx = context_evidence("tri tue nhan tao".split(), docs, FLAT)
    # "trí tuệ nhân tạo" votes 4 at each position; "trí tuệ" at the end 2 more;
    # "tạo" alone 1 more ("ra" breaks the run).
    assert ctx.unary[0] == {"trí": 6.0}
    assert ctx.unary[3] == {"tạo": 5.0}
    assert ctx.pair[1] == {("trí", "tuệ"): 6.0}
    assert ctx.pair[3] == {("nhân", "tạo"): 4.0}


def test_quotes_do_not_break_a_run_but_line_breaks_and_longer_tokens_do():
    ctx = context_evidence("tu dau doc".split(), [{"title": "Tự 'đầu độc'!"}], FLAT)
    assert ctx.pair[1] == {("tự", "đầu"): 3.0} and ctx.pair[2] == {("đầu", "độc"): 3.0}
    ctx = context_evidence(["ha", "noi"], [{"body": "Hà\nNội"}], FLAT)
    assert ctx.pair[1] == {} and ctx.unary[0] == {"hà": 1.0}
    # Part of a hyphenated token or a longer word is not a match.
    ctx = context_evidence(["noi"], [{"body": "Hà Nội-Hải Phòng, nóiX, H'noi"}], FLAT)
    assert ctx.unary[0] == {}


def test_rank_title_and_whole_query_weights():
    params = RestoreParams(rank_decay=1.0, title_weight=3.0, whole_weight=5.0, run_power=1.0)
    docs = [{"body": "chợ"}, {"title": "chó hoang", "body": "cho hoang"}]
    ctx = context_evidence(["cho", "hoang"], docs, params)
    # Hit 0: "chợ" alone, 1.0. Hit 1 (weight 1/2): the whole query in the title
    # (2 × 3 × 5 × 0.5 = 15) and in the body (2 × 5 × 0.5 = 5).
    assert ctx.unary[0] == {"chợ": 1.0, "chó": 15.0, "cho": 5.0}


def test_context_reads_unnormalised_and_upper_case_text():
    decomposed = "THU\u0309 TU\u031bO\u031b\u0301NG"  # "THỦ TƯỚNG" in NFD
    ctx = context_evidence(["thu", "tuong"], [{"title": decomposed}], FLAT)
    assert ctx.pair[1] == {("thủ", "tướng"): 2.0}


# --- restore with context ------------------------------------------------------------------

DF = {"của": 900, "cửa": 60, "việt": 500, "chợ": 50, "chó": 80, "cho": 3000, "hoang": 40, "hoàng": 300}


def table_df(term: str) -> int:
    return DF.get(term, 0)


def test_context_overrides_the_index_wide_model():
    assert restore(["cua", "viet"], table_df, 1000).text == "của việt"
    ctx = context_evidence(["cua", "viet"], [{"title": "Du lịch Cửa Việt", "body": "Về Cửa Việt."}])
    r = restore(["cua", "viet"], table_df, 1000, context=ctx)
    assert r.text == "cửa việt" and r.confidence > 0.9
    # Typed accents still win over the hits.
    assert restore(["của", "viet"], table_df, 1000, context=ctx).text == "của việt"


def test_context_spellings_join_the_candidates():
    # "hoàng" is not in this tiny table's top candidates for "hoang" if capped at one.
    params = RestoreParams(max_candidates=1)
    ctx = context_evidence(["cho", "hoang"], [{"title": "Chợ hoang trong phố"}], params)
    r = restore(["cho", "hoang"], table_df, 1000, params, context=ctx)
    assert r.text == "chợ hoang"
    assert "chợ" in r.candidates[0]


def test_empty_context_changes_nothing():
    ctx = context_evidence(["cua", "viet"], [])
    assert ctx.empty and ctx.documents == 0
    assert restore(["cua", "viet"], table_df, 1000, context=ctx).text == "của việt"


# --- the engine: seeds ---------------------------------------------------------------------


def test_engine_restores_seed_headlines(seed_engine):
    from conftest import SEEDS

    from vnsearch.ingest.articles import load_path

    titles = [a.title for f in sorted(SEEDS.glob("*.txt")) for a in load_path(f)]
    assert titles
    for title in titles:
        typed = fold_all(title).lower()
        r = seed_engine.restoration(typed)
        assert r.syllables == query_syllables(title)
        assert query_syllables(seed_engine.restore(typed)) == query_syllables(title)
        assert r.confidence >= 0.6
        # "Did you mean" uses the same restoration, keeping the query's quotes.
        assert query_syllables(seed_engine.search(typed).suggestion) == r.syllables


def test_engine_restore_without_context_is_the_index_wide_model(seed_engine):
    r = seed_engine.restoration("quang dong", context=False)
    assert r.text == "quảng đông"
    assert seed_engine.restore("Quảng dong") == "Quảng đông"  # the user's capitals kept
    assert seed_engine.restore(" ,. ") == ""


def test_suggestion_searches_again_when_the_shown_hits_are_not_the_top_ones(seed_engine):
    # A second page or a date sort does not show the top hits: the restoration
    # searches for them itself and says the same as on page one.
    first = seed_engine.search("quang dong").suggestion
    assert first == "quảng đông"
    assert seed_engine.search("quang dong", offset=1).suggestion == first
    assert seed_engine.search("quang dong", sort="newest", limit=1).suggestion == first


# --- the engine: a slice of the real corpus -----------------------------------------------


@pytest.fixture(scope="module")
def news_engine(tmp_path_factory):
    records = read_corpus_lines("news.jsonl.gz", 0, 24)
    engine = SearchEngine(tmp_path_factory.mktemp("restore-news") / "ix")
    assert engine.add_articles(records, jobs=1) == len(records)
    yield engine, records
    engine.close()


def test_headlines_of_indexed_articles_are_restored_exactly(news_engine):
    engine, records = news_engine
    titles = [r["title"] for r in records if r.get("title")]
    exact = sum(query_syllables(engine.restore(fold_all(t).lower())) == query_syllables(t) for t in titles)
    assert exact >= 0.9 * len(titles), f"{exact}/{len(titles)}"
    # The index-wide model alone does much worse on the same headlines.
    alone = sum(engine.restoration(fold_all(t).lower(), context=False).syllables == query_syllables(t)
                for t in titles)
    assert alone < exact


def test_cli_restore(seed_index_dir):
    runner = CliRunner()
    result = runner.invoke(main, ["restore", "--index-dir", str(seed_index_dir), "quang", "dong"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "quảng đông"
    result = runner.invoke(main, ["restore", "--index-dir", str(seed_index_dir), "--json", "quang dong"])
    data = json.loads(result.output)
    assert data["text"] == "quảng đông" and data["changed"] and 0 < data["confidence"] <= 1
    assert data["syllables"] == ["quảng", "đông"] and len(data["syllable_confidence"]) == 2
    result = runner.invoke(main, ["restore", "--index-dir", str(seed_index_dir), ",."])
    assert result.exit_code == 1


def test_suggestion_keeps_quoted_phrases(seed_engine):
    suggestion = seed_engine.search('chien luoc "ai cong"').suggestion
    assert suggestion == 'chiến lược "ai cộng"'
    assert seed_engine.search('"tri tue" -abc').suggestion is None  # exclusions: no suggestion
