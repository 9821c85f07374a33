"""Recency-aware ranking, related articles and near-duplicates on a real news-b slice.

One index per module: 12 dantri.com.vn articles from each of five categories
(business, education, health, sport, world), dated 2020-10 to 2021-05, the two
2019 articles of news-b, an undated copy of one article and an exact copy of
another under a new id.
"""

from __future__ import annotations

import json
import math

import pytest
from conftest import read_corpus_lines

from vnsearch import QueryError, SearchEngine

SLICES = [(0, 12), (270, 282), (791, 803), (1598, 1610), (2400, 2412), (880, 881), (2215, 2216)]
COPY_OF = "dantri-unc-news_sport_003"  # indexed again as "copy-sport"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    records = []
    for start, stop in SLICES:
        records += read_corpus_lines("news-b.jsonl.gz", start, stop)
    by_id = {r["id"]: r for r in records}
    assert COPY_OF in by_id and {r["date"][:4] for r in records} == {"2019", "2020", "2021"}
    undated = dict(by_id["dantri-unc-news_world_016"], id="undated-world", date="")
    copy = dict(by_id[COPY_OF], id="copy-sport")
    records += [undated, copy]
    engine = SearchEngine(tmp_path_factory.mktemp("news-more") / "ix")
    summary = engine.index_articles(records, jobs=1)
    assert summary.added == len(records), str(summary)
    yield engine, {r["id"]: r for r in records}
    engine.close()


def cli(engine, command, *args):
    from click.testing import CliRunner

    from vnsearch.cli import main

    return CliRunner().invoke(main, [command, *args, "--index-dir", str(engine.path)])


def days(a: str, b: str) -> int:
    import datetime

    return (datetime.date.fromisoformat(a) - datetime.date.fromisoformat(b)).days


# -- recency -------------------------------------------------------------------------------


QUERY = "covid-19"


def test_recent_multiplies_each_score_by_the_decay_from_the_newest_article(corpus):
    engine, records = corpus
    newest = max(r["date"] for r in records.values() if r["date"])
    oldest = min(r["date"] for r in records.values() if r["date"])
    plain = {h.id: h for h in engine.search(QUERY, limit=1000, collapse=False)}
    for half_life in (180, 30):
        recent = engine.search(QUERY, limit=1000, recent=True, half_life=half_life, collapse=False)
        assert {h.id for h in recent} == set(plain)
        for h in recent:
            age = days(newest, h.date or oldest)  # undated: as old as the oldest
            assert h.score == pytest.approx(plain[h.id].score * 0.5 ** (age / half_life), rel=1e-4), h.id
        scores = [h.score for h in recent]
        assert scores == sorted(scores, reverse=True)


def test_recent_moves_a_newer_article_above_an_older_one_and_the_half_life_sets_how_far(corpus):
    engine, records = corpus
    plain = engine.search(QUERY, limit=1000)
    # An older article (2019/2020) that outranks a 2021 one by relevance alone.
    pairs = [(a, b) for i, a in enumerate(plain) for b in plain[i + 1:]
             if a.date and b.date and a.date < "2021" <= b.date and a.score > b.score]
    assert pairs, [(h.date, h.id) for h in plain]
    older, newer = pairs[0]
    gap = days(newer.date, older.date)
    # The flip happens exactly when 2 ** (gap / half_life) exceeds the relevance ratio.
    flip_at = gap / math.log2(older.score / newer.score)

    def order(half_life):
        ids = [h.id for h in engine.search(QUERY, limit=1000, recent=True, half_life=half_life)]
        return ids.index(newer.id) < ids.index(older.id)

    assert order(flip_at / 2)  # strong decay: the newer one first
    assert not order(flip_at * 2)  # weak decay: relevance still wins
    assert not order(1e9)  # no decay at all: the plain order


def test_recent_with_real_dates_favours_2021(corpus):
    engine, _ = corpus
    plain = engine.search(QUERY, limit=5)
    recent = engine.search(QUERY, limit=5, recent=True)
    assert sum(h.date >= "2021" for h in recent) > sum(h.date >= "2021" for h in plain)


def test_undated_article_counts_as_old_as_the_oldest(corpus):
    engine, records = corpus
    query = records["undated-world"]["title"]
    # collapse=False: the undated article is a copy of world_016, shown apart here.
    plain = {h.id: h.score for h in engine.search(query, limit=1000, collapse=False)}
    recent = {h.id: h.score for h in engine.search(query, limit=1000, recent=True, half_life=90,
                                                   collapse=False)}
    oldest = min(r["date"] for r in records.values() if r["date"])
    newest = max(r["date"] for r in records.values() if r["date"])
    assert recent["undated-world"] == pytest.approx(plain["undated-world"] * 0.5 ** (days(newest, oldest) / 90),
                                                    rel=1e-4)
    # Its dated twin now ranks above it.
    assert recent["dantri-unc-news_world_016"] > recent["undated-world"]


@pytest.mark.parametrize("bad", [0, -5, float("nan"), "soon"])
def test_bad_half_life_is_a_query_error(corpus, bad):
    with pytest.raises(QueryError, match="half_life"):
        corpus[0].search(QUERY, recent=True, half_life=bad)


def test_recent_only_with_the_relevance_order(corpus):
    with pytest.raises(QueryError, match="relevance"):
        corpus[0].search(QUERY, recent=True, sort="newest")


def test_cli_recent_and_half_life(corpus):
    engine, _ = corpus
    expected = [h.id for h in engine.search(QUERY, limit=5, recent=True, half_life=45)]
    result = cli(engine, "search", QUERY, "--recent", "--half-life", "45", "-n", "5", "--json")
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == expected
    text = cli(engine, "search", QUERY, "--recent", "-n", "3", "--no-color")
    assert "newer first (half-life 180 days)" in text.stdout
    bad = cli(engine, "search", QUERY, "--recent", "--half-life", "0")
    assert bad.exit_code == 2 and bad.stderr.startswith("error: bad query: half_life")
    bad = cli(engine, "search", QUERY, "--recent", "--sort", "oldest")
    assert bad.exit_code == 2


# -- related articles -----------------------------------------------------------------------

SOURCES = ["dantri-unc-news_business_001", "dantri-unc-news_education_020", "dantri-unc-news_health_001",
           "dantri-unc-news_sport_010", "dantri-unc-news_world_016"]


@pytest.mark.parametrize("article_id", SOURCES)
def test_similar_never_returns_the_article_itself(corpus, article_id):
    engine, records = corpus
    results = engine.similar(article_id, limit=10)
    assert len(results) == 10
    assert article_id not in {h.id for h in results}
    assert [h.rank for h in results] == list(range(1, 11))
    assert [h.score for h in results] == sorted((h.score for h in results), reverse=True)
    assert 10 <= len(results.query.text.split()) <= 25


def test_similar_articles_are_mostly_of_the_same_category(corpus):
    engine, records = corpus
    same = shown = 0
    for start, _stop in SLICES[:5]:
        for r in read_corpus_lines("news-b.jsonl.gz", start, start + 4):
            hits = engine.similar(r["id"], limit=5)
            same += sum(records[h.id]["category"] == r["category"] for h in hits)
            shown += len(hits)
    # Five categories of 12 articles each: by chance about one in five would match.
    assert same / shown >= 0.6, (same, shown)


def test_exact_copy_and_its_original_are_left_out_of_each_other(corpus):
    engine, _ = corpus
    for article_id, twin in ((COPY_OF, "copy-sport"), ("copy-sport", COPY_OF)):
        results = engine.similar(article_id, limit=50)
        ids = {h.id for h in results}
        assert article_id not in ids and twin not in ids
        assert results.near_duplicates == 1
    # The undated copy of a world article is left out too.
    assert "undated-world" not in {h.id for h in engine.similar("dantri-unc-news_world_016", limit=50)}


def test_near_duplicate_threshold_on_real_text(corpus):
    from vnsearch.store.signature import folded_syllables, jaccard, shingles

    _, records = corpus
    body = records[COPY_OF]["body"]
    paragraphs = body.split("\n")
    edited = "\n".join(paragraphs[:-1])  # the last paragraph cut
    a, b = shingles(folded_syllables(body)), shingles(folded_syllables(edited))
    assert jaccard(a, a) == 1.0
    other = shingles(folded_syllables(records["dantri-unc-news_sport_010"]["body"]))
    assert jaccard(a, other) < 0.1
    assert jaccard(a, b) == len(b) / len(a)  # a subset


def test_similar_does_not_run_the_segmenter(corpus, monkeypatch):
    from vnsearch.lang.analysis import Segmenter

    def refuse(*args, **kwargs):
        raise AssertionError("the segmenter ran")

    monkeypatch.setattr(Segmenter, "word_starts", refuse)
    monkeypatch.setattr(Segmenter, "shared", refuse)
    assert len(corpus[0].similar(SOURCES[0], limit=3)) == 3


def test_similar_unknown_id(corpus):
    with pytest.raises(KeyError):
        corpus[0].similar("no-such-id")
    result = cli(corpus[0], "similar", "no-such-id")
    assert result.exit_code == 1 and "No article with id 'no-such-id'" in result.stderr


def test_cli_similar_json_and_text(corpus):
    engine, _ = corpus
    expected = [h.id for h in engine.similar(COPY_OF, limit=4)]
    result = cli(engine, "similar", COPY_OF, "-n", "4", "--json")
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == expected
    text = cli(engine, "similar", COPY_OF, "--limit", "2", "--no-color")
    assert text.exit_code == 0
    assert f"2 related to {COPY_OF} by: " in text.stdout and "1 near-duplicate(s) left out" in text.stdout
    assert " 1. " in text.stdout and " 3. " not in text.stdout


# -- near-duplicate collapsing ---------------------------------------------------------------


def test_minhash_estimate_follows_the_true_jaccard(corpus):
    from vnsearch.store.signature import estimated_jaccard, folded_syllables, minhash, shingles

    _, records = corpus
    words = folded_syllables(records[COPY_OF]["body"])
    a = shingles(words)
    for keep in (1.0, 0.9, 0.6, 0.3):
        b = shingles(words[: max(5, int(len(words) * keep))])
        true = len(b) / len(a)
        assert abs(estimated_jaccard(minhash(a), minhash(b)) - true) < 0.25, keep
    other = shingles(folded_syllables(records["dantri-unc-news_world_020"]["body"]))
    assert estimated_jaccard(minhash(a), minhash(other)) < 0.15


def test_copies_collapse_into_the_best_ranked(corpus):
    engine, records = corpus
    query = records[COPY_OF]["title"]
    every = engine.search(query, limit=1000, collapse=False)
    ids = [h.id for h in every]
    assert {COPY_OF, "copy-sport"} <= set(ids)
    first, second = sorted((COPY_OF, "copy-sport"), key=ids.index)
    collapsed = engine.search(query, limit=1000)
    shown = [h.id for h in collapsed]
    assert first in shown and second not in shown
    hit = collapsed[shown.index(first)]
    assert hit.similar_ids == [second] and hit.to_dict()["similar_ids"] == [second]
    # Nothing else moves; the only other copies in the slice are world_016 and its undated twin.
    gone = set(ids) - set(shown)
    assert second in gone and gone <= {second, "undated-world"}
    assert shown == [i for i in ids if i not in gone]
    assert [h.rank for h in collapsed] == list(range(1, len(collapsed) + 1))
    assert collapsed.total == every.total  # totals count articles
    assert all(not h.similar_ids for h in collapsed if h.id not in (first, "dantri-unc-news_world_016"))
    assert "similar_ids" not in every[0].to_dict()


def test_collapsed_pages_join_up(corpus):
    engine, records = corpus
    query = "covid-19 việt nam"
    whole = [h.id for h in engine.search(query, limit=1000)]
    pages = []
    for offset in range(0, len(whole), 7):
        pages += [h.id for h in engine.search(query, limit=7, offset=offset)]
    assert pages == whole


def test_undated_copy_collapses_under_its_dated_twin(corpus):
    engine, records = corpus
    results = engine.search(records["undated-world"]["title"], limit=20)
    by_id = {h.id: h for h in results}
    assert "undated-world" not in by_id
    assert by_id["dantri-unc-news_world_016"].similar_ids == ["undated-world"]


def test_cli_shows_plus_n_similar_and_all_shows_every_copy(corpus):
    engine, records = corpus
    query = records[COPY_OF]["title"]
    text = cli(engine, "search", query, "-n", "3", "--no-color")
    assert text.exit_code == 0, text.output
    assert "+1 similar: " in text.stdout
    every = cli(engine, "search", query, "-n", "3", "--all", "--json")
    ids = [json.loads(line)["id"] for line in every.stdout.splitlines()]
    assert {COPY_OF, "copy-sport"} <= set(ids)
    assert all("similar_ids" not in json.loads(line) for line in every.stdout.splitlines())
    collapsed = cli(engine, "search", query, "-n", "3", "--json")
    lines = [json.loads(line) for line in collapsed.stdout.splitlines()]
    assert len({COPY_OF, "copy-sport"} & {d["id"] for d in lines}) == 1
    assert any(d.get("similar_ids") for d in lines)
