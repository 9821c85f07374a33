"""News search over a real slice of news-b: date filters, date sorts, facets, paging.

One index per module: 36 dantri.com.vn articles from four categories and
three months (2020-10, 2020-11, 2021-04/05), plus three hand-made articles
that the corpus lacks: an undated one, one from another source with a
credit, and one from 2019.
"""

from __future__ import annotations

import datetime

import pytest
from conftest import read_corpus_lines

from vnsearch import QueryError, SearchEngine
from vnsearch.search.query import date_range, parse_query

QUERY = "việt nam"
EXTRA = [
    {"id": "x-undated", "title": "Kinh tế Việt Nam phục hồi", "body": "Kinh tế Việt Nam phục hồi sau dịch.",
     "source": "VnExpress", "category": "Kinh doanh"},
    {"id": "x-2019", "title": "Việt Nam đón năm mới", "body": "Người dân Việt Nam đón năm mới 2020.",
     "date": "2019-12-31", "source": "Tuổi Trẻ", "category": "Thời sự"},
    {"id": "x-credit", "title": "Bóng đá Việt Nam", "body": "Đội tuyển Việt Nam thắng trận.\nTheo TTXVN",
     "date": "2021-05-02", "source": "Thanh Niên", "category": "Thể thao"},  # credited by its last line
]


@pytest.fixture(scope="module")
def news(tmp_path_factory):
    records = (read_corpus_lines("news-b.jsonl.gz", 0, 12) + read_corpus_lines("news-b.jsonl.gz", 20, 28)
               + read_corpus_lines("news-b.jsonl.gz", 525, 531) + read_corpus_lines("news-b.jsonl.gz", 791, 796)
               + read_corpus_lines("news-b.jsonl.gz", 1598, 1603))
    records += EXTRA
    engine = SearchEngine(tmp_path_factory.mktemp("news") / "ix")
    summary = engine.index_articles(records, jobs=1)
    assert summary.added == len(records) == 39, str(summary)
    yield engine, {r["id"]: r for r in records}
    engine.close()


def all_full_matches(engine, query=QUERY, **kw):
    """Every document matching all words: a date sort lists exactly those."""
    results = engine.search(query, limit=1000, sort="oldest", **kw)
    assert len(results) == results.total
    return results


# -- dates --------------------------------------------------------------------------------


def test_date_range_periods():
    assert date_range("2020") == (20200101, 20201231)
    assert date_range("2020-10") == (20201001, 20201031)
    assert date_range("2020-02") == (20200201, 20200229)
    assert date_range("2020-10-05") == (20201005, 20201005)
    assert date_range(datetime.date(2021, 4, 1)) == (20210401, 20210401)


@pytest.mark.parametrize("bad", ["2020-13", "2020-02-30", "20", "last week", "2020-10-01T25:00", ""])
def test_invalid_dates_raise_a_clear_query_error(news, bad):
    engine, _ = news
    with pytest.raises(QueryError, match=r"invalid since .*YYYY, YYYY-MM or YYYY-MM-DD"):
        engine.search(QUERY, since=bad)
    if bad:
        with pytest.raises(QueryError, match="invalid until:"):
            parse_query(f"bão until:{bad}")


def test_date_syntax_in_the_query():
    parsed = parse_query("bão date:2020-10")
    assert (parsed.since, parsed.until) == (20201001, 20201031)
    parsed = parse_query("since:2020-10-05 bão until:2021")
    assert (parsed.since, parsed.until) == (20201005, 20211231)
    assert parse_query("bão date:2020 date:2020-11").since == 20201101  # narrowed, not widened
    with pytest.raises(QueryError, match="cannot be negated"):
        parse_query("bão -date:2020")
    with pytest.raises(QueryError, match="only excludes or filters"):
        parse_query("date:2020")


def test_since_until_keep_dated_articles_of_the_periods(news):
    engine, records = news
    everything = all_full_matches(engine)
    assert {"x-undated", "x-2019", "x-credit"} <= {h.id for h in everything}
    october = engine.search(QUERY, since="2020-10", until="2020-10", limit=1000)
    expected = {h.id for h in everything if h.date.startswith("2020-10")}
    assert len(expected) >= 5
    assert october.total == len(expected)
    assert {h.id for h in october if h.id in expected} == expected
    assert all(h.date.startswith("2020-10") for h in october)  # partial matches too
    # The same through the query syntax, and since/until of whole years and days.
    assert [h.id for h in engine.search(f"{QUERY} date:2020-10", limit=1000)] == [h.id for h in october]
    later = engine.search(QUERY, since="2020-11-01", limit=1000)
    assert {h.id for h in later} >= {h.id for h in everything if h.date >= "2020-11-01"}
    assert all(h.date >= "2020-11-01" for h in later)
    until = engine.search(f"{QUERY} until:2020", limit=1000)
    assert "x-2019" in {h.id for h in until} and all("" < h.date <= "2020-12-31" for h in until)


def test_undated_articles_stay_out_of_date_filtered_searches(news):
    engine, _ = news
    assert "x-undated" in {h.id for h in engine.search("kinh tế phục hồi", limit=100)}
    for kw in ({"since": "1900"}, {"until": "2100"}, {"since": "2019", "until": "2022"}):
        results = engine.search("kinh tế phục hồi", limit=100, **kw)
        assert "x-undated" not in {h.id for h in results}
        assert all(h.date for h in results)


def test_empty_date_range_is_an_error(news):
    engine, _ = news
    with pytest.raises(QueryError, match="since 2021-01-01 is after until 2020-12-31"):
        engine.search(QUERY, since="2021", until="2020")


def test_date_filter_does_not_change_the_callers_parsed_query(news):
    engine, _ = news
    parsed = parse_query(QUERY)
    engine.search(parsed, since="2021")
    assert parsed.since is None and parsed.until is None


# -- sorting ------------------------------------------------------------------------------


@pytest.mark.parametrize("sort", ["newest", "oldest"])
def test_date_sort_orders_every_full_match_by_date_undated_last(news, sort):
    engine, records = news
    results = engine.search(QUERY, sort=sort, limit=1000)
    assert len(results) == results.total >= 15
    dates = [h.date for h in results]
    dated = [d for d in dates if d]
    assert dated == sorted(dated, reverse=(sort == "newest"))
    assert dates[-1] == "" and dates.index("") == len(dated)  # undated last
    assert (dates[0] == "2021-05-02") if sort == "newest" else (dates[0] == "2019-12-31")
    # Ties (the same day) are ordered by score.
    for a, b in zip(results, results[1:]):
        if a.date == b.date:
            assert a.score >= b.score
    # The set is exactly the documents matching every word, whatever the order.
    relevance = engine.search(QUERY, limit=1000)
    assert relevance.total == results.total
    assert {h.id for h in results} <= {h.id for h in relevance}


def test_unknown_sort_is_a_query_error(news):
    with pytest.raises(QueryError, match="unknown sort 'date'"):
        news[0].search(QUERY, sort="date")


@pytest.mark.parametrize("sort", ["newest", "oldest", "relevance"])
def test_pages_of_a_sorted_search_join_up(news, sort):
    engine, _ = news
    whole = engine.search(QUERY, sort=sort, limit=1000)
    pages = []
    for offset in range(0, len(whole) + 4, 4):
        page = engine.search(QUERY, sort=sort, limit=4, offset=offset)
        assert page.total == whole.total
        assert [h.rank for h in page] == list(range(offset + 1, offset + 1 + len(page)))
        pages.extend(h.id for h in page)
    assert pages == [h.id for h in whole]
    assert len(engine.search(QUERY, sort=sort, limit=4, offset=len(whole))) == 0


# -- facets and source/category filters ----------------------------------------------


def test_facets_count_the_whole_result_set(news):
    engine, records = news
    results = engine.search(QUERY, facets=True, limit=3)
    assert len(results) == 3 and results.total > 3
    facets = results.facets
    assert set(facets) == {"source", "category", "credit", "month"}
    for name, counts in facets.items():
        assert sum(counts.values()) == results.total, name
    full = all_full_matches(engine)
    expected_sources: dict[str, int] = {}
    for h in full:
        expected_sources[h.source] = expected_sources.get(h.source, 0) + 1
    assert facets["source"] == {k: v for k, v in sorted(expected_sources.items(), key=lambda kv: (-kv[1], kv[0]))}
    assert "Dân trí (dantri.com.vn)" in facets["source"]  # display names, not folded keys
    assert facets["category"]["Kinh doanh"] == 1 and "kinh-doanh" in facets["category"]
    assert facets["credit"]["TTXVN"] == 1
    months: dict[str, int] = {}
    for h in full:
        months[h.date[:7]] = months.get(h.date[:7], 0) + 1
    assert facets["month"] == {k: v for k, v in sorted(months.items(), key=lambda kv: (-kv[1], kv[0]))}
    assert facets["month"][""] == 1  # the undated article
    assert engine.search(QUERY).facets is None


def test_facets_follow_the_filters(news):
    engine, _ = news
    results = engine.search(QUERY, facets=True, since="2020-10", until="2020-11")
    assert set(results.facets["month"]) <= {"2020-10", "2020-11"}
    assert sum(results.facets["category"].values()) == results.total
    none = engine.search("xyzzyqq", facets=True)
    assert none.total == 0 and all(v == {} for v in none.facets.values())


@pytest.mark.parametrize("value", ["kinh doanh", "KINH-DOANH", ["kinh doanh", "nothing"]])
def test_category_parameter_like_the_query_filter(news, value):
    engine, records = news
    results = engine.search(QUERY, category=value, limit=1000)
    assert results and all(records[h.id]["category"] in ("kinh-doanh", "Kinh doanh") for h in results)
    assert [h.id for h in results] == [h.id for h in engine.search(f'{QUERY} category:"kinh doanh"', limit=1000)]


def test_source_parameter_is_accent_and_case_insensitive(news):
    engine, _ = news
    for value in ("tuổi trẻ", "TUOI TRE", "Tuoi tre"):
        assert [h.id for h in engine.search(QUERY, source=value)] == ["x-2019"]
    dantri = engine.search(QUERY, source="dantri.com.vn", limit=1000)
    assert [h.id for h in dantri] == [h.id for h in engine.search(QUERY, limit=1000) if h.source.startswith("Dân trí")]
    # A parameter and a query filter must both hold.
    assert engine.search(f"{QUERY} source:vnexpress", source="tuoi tre").total == 0
    with pytest.raises(QueryError, match="source must be"):
        engine.search(QUERY, source="")


# -- the command line -------------------------------------------------------------------


def cli(engine, *args):
    from click.testing import CliRunner

    from vnsearch.cli import main

    return CliRunner().invoke(main, ["search", *args, "--index-dir", str(engine.path)])


def json_lines(text):
    import json

    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_cli_date_filter_sort_and_paging(news):
    engine, _ = news
    whole = engine.search(QUERY, sort="newest", limit=1000, since="2020-10", until="2021")
    seen = []
    for page in (1, 2, 3, 4, 5):
        result = cli(engine, QUERY, "--since", "2020-10", "--until", "2021", "--sort", "newest",
                     "-n", "5", "--page", str(page), "--json")
        assert result.exit_code == (0 if (page - 1) * 5 < len(whole) else 1), result.output
        seen += [h["id"] for h in json_lines(result.stdout)]
    assert seen == [h.id for h in whole]
    text = cli(engine, QUERY, "--sort", "oldest", "-n", "4", "--offset", "4", "--no-color")
    assert text.exit_code == 0
    assert f"5–8 of {all_full_matches(engine).total} matching all words, oldest first" in text.stdout
    past = cli(engine, QUERY, "--sort", "oldest", "--page", "99")
    assert past.exit_code == 1 and "match all words" in past.stderr


def test_cli_bad_date_is_a_one_line_error(news):
    engine, _ = news
    for args in (["--since", "2020-13"], ["--until", "yesterday"], ["date:2020-02-30"]):
        result = cli(engine, QUERY, *args)
        assert result.exit_code == 2
        assert result.stderr.strip().startswith("error: bad query: invalid ")
        assert "YYYY-MM-DD" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    result = cli(engine, QUERY, "--sort", "date")
    assert result.exit_code == 2


def test_cli_facets_text_and_json(news):
    engine, _ = news
    full = engine.search(QUERY, facets=True, category="kinh doanh")
    expected = full.facets
    result = cli(engine, QUERY, "--facets", "--json", "-n", "2", "--category", "kinh doanh")
    assert result.exit_code == 0, result.output
    lines = json_lines(result.stdout)
    assert len(lines) == 3 and "id" in lines[0]
    assert lines[-1] == {"facets": expected, "total": full.total, "matched": full.matched}
    assert all(sum(counts.values()) == full.total for counts in expected.values())
    text = cli(engine, QUERY, "--facets", "--source", "TUOI TRE", "--source", "thanh nien")
    assert text.exit_code == 0
    out = text.stdout
    assert out.index("of 2 matching all words") < out.index("Facets of the 2 articles matching all words")
    assert "source:   Thanh Niên 1 · Tuổi Trẻ 1" in out
    assert "credit:   (no credit) 1 · TTXVN 1" in out
    assert "month:    2019-12 1 · 2021-05 1" in out
    assert "Facets" not in cli(engine, QUERY).stdout


def test_suggestion_with_date_filters(news):
    engine, _ = news
    assert engine.search("bong da", since="2021").suggestion == "bóng đá"  # an option, not part of the query
    assert engine.search("bong da date:2021").suggestion is None  # the query text would lose its filter
