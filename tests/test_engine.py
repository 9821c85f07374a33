"""Tests for vnsearch.engine: search over the seeds, small hand-made articles and a real corpus slice.

Indexes that are only read are built once (the seeds index per session in
conftest.py, the others per module); tests that add, replace or delete build
their own small index in ``tmp_path``.
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest
from conftest import SEED_000, SEED_002, SEEDS, read_corpus_lines

from vnsearch import IndexNotFound, IndexSummary, IndexUnusable, QueryError, SearchEngine
from vnsearch.lang.text import fold_all

NFD = lambda s: unicodedata.normalize("NFD", s)
NFC = lambda s: unicodedata.normalize("NFC", s)


def folded(s: str) -> str:
    return " ".join(fold_all(NFC(s).lower()).split())


def ids(results) -> list[str]:
    return [h.id for h in results]


def marked(hit) -> list[str]:
    """The highlighted passages of a hit's snippet, read through its offsets."""
    return [hit.snippet[s:e] for s, e in hit.highlights]


def title_marked(hit) -> list[str]:
    return [hit.title[s:e] for s, e in hit.title_highlights]


def new_engine(tmp_path: Path, articles: list[dict] | None = None, name: str = "ix") -> SearchEngine:
    engine = SearchEngine(tmp_path / name)
    if articles:
        summary = engine.index_articles(articles, jobs=1)
        assert summary.added == len(articles), str(summary)
    return engine


# =========================================================================================
# The seed articles
# =========================================================================================


def test_seed_index_holds_both_articles(seed_engine):
    assert len(seed_engine) == 2
    assert sorted(seed_engine.ids()) == [SEED_000, SEED_002]
    assert SEED_000 in seed_engine and "nope" not in seed_engine


def test_seed_article_stored_with_metadata(seed_engine):
    article = seed_engine.get(SEED_000)
    assert article is not None
    assert article.date == "2026-03-07"
    assert article.credit == "Reuters"
    assert "Quảng Đông" in article.body
    assert seed_engine.get("missing-id") is None


@pytest.mark.parametrize(
    "query",
    ["trí tuệ nhân tạo", "tri tue nhan tao", "TRÍ TUỆ NHÂN TẠO", NFD("trí tuệ nhân tạo")],
    ids=["accented", "unaccented", "upper", "nfd"],
)
def test_tri_tue_nhan_tao_finds_both_seeds(seed_engine, query):
    results = seed_engine.search(query)
    assert set(ids(results)) == {SEED_000, SEED_002}
    assert results.total == 2
    first = results[0]
    spans = [folded(t) for t in marked(first)]
    assert "tri tue nhan tao" in spans, marked(first)
    for span in spans:  # nothing but runs of the query's words is marked
        assert f" {span} " in " tri tue nhan tao ", span
    assert first.score >= results[1].score > 0


def test_tri_tue_typed_in_nfd(seed_engine):
    query = NFD("trí tuệ")
    assert query != "trí tuệ"
    results = seed_engine.search(query)
    assert set(ids(results)) == {SEED_000, SEED_002}
    assert marked(results[0]) and all(folded(t) == "tri tue" for t in marked(results[0]))
    # Typed NFD or NFC, the ranking is the same.
    assert ids(results) == ids(seed_engine.search("trí tuệ"))


@pytest.mark.parametrize(
    "query, expected",
    [
        ("Quảng Đông", SEED_000),
        ("quang dong", SEED_000),
        ("QUẢNG ĐÔNG", SEED_000),
        ("Hàng Châu", SEED_002),
        ("hang chau", SEED_002),
        ('"AI cộng"', SEED_000),
        ("Huawei Tencent", SEED_000),
        ("South China Morning Post", SEED_002),
        ("DeepSeek", SEED_002),
        ("Alibaba", SEED_002),
        ("Thâm Quyến", SEED_000),
        ("2.000 tỷ USD", SEED_000),
        ("43%", SEED_000),
    ],
)
def test_seed_queries_rank_right_article_first(seed_engine, query, expected):
    results = seed_engine.search(query)
    assert results, query
    assert results[0].id == expected
    # The highlighted words in the snippet or the title are the query's words.
    words = set(folded(query.strip('"')).split())
    spans = marked(results[0]) + title_marked(results[0])
    assert spans
    for span in spans:
        assert set(folded(span).split()) <= words, span


def test_quang_dong_highlight_keeps_original_spelling(seed_engine):
    hit = seed_engine.search("quang dong")[0]
    assert set(marked(hit)) == {"Quảng Đông"}


def test_phrase_query_requires_adjacent_words(seed_engine):
    results = seed_engine.search('"AI cộng"')
    assert ids(results) == [SEED_000]
    assert results.total == 1
    assert marked(results[0]) == ["AI cộng"] * len(marked(results[0]))
    # The same words in the other order form no phrase.
    assert ids(seed_engine.search('"kinh bắc"')) == []
    assert set(ids(seed_engine.search("kinh bắc"))) == {SEED_000, SEED_002}


def test_english_words_match_only_where_they_occur(seed_engine):
    assert ids(seed_engine.search("Washington")) == [SEED_000]
    assert ids(seed_engine.search("Westlake")) == [SEED_002]
    assert ids(seed_engine.search("westlake")) == [SEED_002]


def test_exclusion_removes_articles(seed_engine):
    assert set(ids(seed_engine.search("AI"))) == {SEED_000, SEED_002}
    assert ids(seed_engine.search("AI -Alibaba")) == [SEED_000]
    assert ids(seed_engine.search('AI -"Quảng Đông"')) == [SEED_002]
    assert ids(seed_engine.search("AI -alibaba -huawei")) == []


def test_or_query(seed_engine):
    assert set(ids(seed_engine.search("Alibaba OR Huawei"))) == {SEED_000, SEED_002}
    assert ids(seed_engine.search("Alibaba OR chimcanhcut")) == [SEED_002]


def test_limit_and_offset(seed_engine):
    full = seed_engine.search("AI")
    assert len(full) == 2
    first = seed_engine.search("AI", limit=1)
    second = seed_engine.search("AI", limit=1, offset=1)
    assert ids(first) == ids(full)[:1] and ids(second) == ids(full)[1:]
    assert first.total == second.total == 2
    assert second[0].rank == 2
    assert seed_engine.search("AI", offset=5) == []


def test_negative_limit_raises(seed_engine):
    with pytest.raises(QueryError):
        seed_engine.search("AI", limit=-1)


def test_no_match_is_empty(seed_engine):
    results = seed_engine.search("kangaroo koala")
    assert list(results) == [] and results.total == 0
    # "nam" and "cánh" occur in the seeds, but no article has every word.
    assert seed_engine.search("chim cánh cụt Nam Cực").total == 0


@pytest.mark.parametrize("query", ["", "   ", '""', "-AI", "source:Reuters"])
def test_empty_query_raises_query_error(seed_engine, query):
    with pytest.raises(QueryError) as info:
        seed_engine.search(query)
    assert str(info.value) and "\n" not in str(info.value)


def test_hit_fields_and_to_dict(seed_engine):
    hit = seed_engine.search("Quảng Đông")[0]
    assert hit.date == "2026-03-07"
    assert hit.display_source == "Reuters"  # no source: the credited original
    d = hit.to_dict()
    assert d["id"] == SEED_000 and d["source"] == "Reuters"
    assert d["snippet"] == hit.snippet
    assert [tuple(h) for h in d["highlights"]] == hit.highlights
    assert "<mark>Quảng Đông</mark>" in hit.snippet_html()


def test_stats(seed_engine):
    stats = seed_engine.stats()
    assert stats["articles"] == 2
    assert stats["first_date"] == stats["last_date"] == "2026-03-07"
    assert stats["dated"] == 1
    assert stats["size_bytes"] > 0


def test_reopen_existing_index(seed_index_dir):
    with SearchEngine(seed_index_dir, create=False) as engine:
        assert len(engine) == 2
        assert engine.search("hang chau")[0].id == SEED_002


# =========================================================================================
# Small hand-made articles (built once for the module)
# =========================================================================================

SMALL = [
    {"id": "new-style", "title": "Thủy điện Hòa Bình xả lũ",
     "body": "Nhà máy thủy điện Hòa Bình mở thêm cửa xả đáy để điều tiết nước.", "category": "Thời sự"},
    {"id": "old-style", "title": "Giữ sức khoẻ mùa nắng nóng",
     "body": "Bác sĩ khuyên uống đủ nước, hoà tan muối khoáng và tập thuỷ liệu pháp."},
    {"id": "danang", "title": "Đà Nẵng đón khách du lịch",
     "body": "Cầu Rồng ở Đà Nẵng phun lửa mỗi tối cuối tuần.", "category": "Du lịch"},
    {"id": "desk", "title": "Cái bàn gỗ lim", "body": "Chiếc bàn được đóng từ gỗ lim.", "source": "VnExpress"},
    {"id": "sell", "title": "Cần bán nhà gấp", "body": "Chủ nhà cần bán căn hộ.", "source": "Dân trí"},
    {"id": "band", "title": "Ban nhạc rock", "body": "Ban nhạc biểu diễn tối nay."},
    {"id": "english", "title": "Apple ra mắt iPhone mới",
     "body": "Tại California, Apple giới thiệu chip mới cho smartphone.", "source": "VnExpress"},
    {"id": "phrase", "title": "Giá vàng hôm nay tăng mạnh", "body": "Giá vàng SJC vượt mốc."},
    {"id": "scatter", "title": "Vàng miếng và nhẫn", "body": "Nhẫn vàng được nhiều người mua, giá cả ổn định."},
    {"id": "nfd", "title": NFD("Lũ quét ở Nghệ An"),
     "body": NFD("Mưa lớn gây lũ quét tại huyện Kỳ Sơn, tỉnh Nghệ An.")},
]


@pytest.fixture(scope="module")
def small_engine(tmp_path_factory):
    engine = new_engine(tmp_path_factory.mktemp("small"), SMALL)
    yield engine
    engine.close()


@pytest.mark.parametrize(
    "query, expected",
    [
        ("thuỷ điện", "new-style"),  # old-style query, new-style text
        ("hoà bình", "new-style"),
        ("Hoà Bình", "new-style"),
        ("thủy liệu pháp", "old-style"),  # new-style query, old-style text
        ("hòa tan", "old-style"),
        ("khỏe", "old-style"),
        ("sức khoẻ", "old-style"),
    ],
)
def test_old_and_new_tone_placement_match(small_engine, query, expected):
    results = small_engine.search(query)
    assert results[0].id == expected
    assert results.total == 1


def test_old_style_text_highlighted_as_written(small_engine):
    hit = small_engine.search("hòa tan")[0]
    assert marked(hit) == ["hoà tan"]
    hit = small_engine.search("thuỷ điện")[0]
    assert title_marked(hit) == ["Thủy điện"]


@pytest.mark.parametrize("query", ["da nang", "DA NANG", "Đà Nẵng", "đà nẵng", NFD("Đà Nẵng")])
def test_d_and_dd(small_engine, query):
    results = small_engine.search(query)
    assert results[0].id == "danang"
    assert results.total == 1
    assert title_marked(results[0]) == ["Đà Nẵng"]


@pytest.mark.parametrize("query, expected", [("bàn", "desk"), ("bán", "sell")])
def test_exact_diacritics_rank_first(small_engine, query, expected):
    results = small_engine.search(query)
    assert results[0].id == expected
    # The other spellings are still found, below the exact one.
    assert set(ids(results)) == {"desk", "sell", "band"}
    assert results[0].score > results[1].score


def test_unaccented_query_matches_every_spelling(small_engine):
    assert set(ids(small_engine.search("ban"))) == {"desk", "sell", "band"}


def test_english_words(small_engine):
    assert ids(small_engine.search("iphone")) == ["english"]
    assert ids(small_engine.search("California smartphone")) == ["english"]
    assert title_marked(small_engine.search("IPHONE")[0]) == ["iPhone"]


def test_phrase_versus_unquoted(small_engine):
    assert set(ids(small_engine.search("giá vàng"))) == {"phrase", "scatter"}
    assert small_engine.search("giá vàng")[0].id == "phrase"  # adjacency ranks higher
    assert ids(small_engine.search('"giá vàng"')) == ["phrase"]
    assert ids(small_engine.search('"gia vang"')) == ["phrase"]


def test_exclusion_small(small_engine):
    assert set(ids(small_engine.search("vàng"))) == {"phrase", "scatter"}
    assert ids(small_engine.search("vàng -nhẫn")) == ["phrase"]
    assert ids(small_engine.search('vàng -"giá vàng"')) == ["scatter"]


def test_nfd_article_found_and_highlighted(small_engine):
    for query in ("Nghệ An", "nghe an", NFD("nghệ an")):
        hit = small_engine.search(query)[0]
        assert hit.id == "nfd"
        assert [NFC(t) for t in marked(hit)] == ["Nghệ An"]
        assert [NFC(t) for t in title_marked(hit)] == ["Nghệ An"]
    hit = small_engine.search("ky son")[0]
    assert [NFC(t) for t in marked(hit)] == ["Kỳ Sơn"]


def test_filter_matching_nothing_returns_nothing(small_engine):
    assert ids(small_engine.search("source:tuoitre bàn")) == []


def test_source_filter(small_engine):
    assert ids(small_engine.search("source:VnExpress bàn")) == ["desk"]
    assert set(ids(small_engine.search("source:vnexpress mới"))) == {"english"}
    assert ids(small_engine.search('source:"dan tri" ban')) == ["sell"]


def test_negative_and_category_filters(small_engine):
    assert set(ids(small_engine.search("-source:vnexpress ban"))) == {"sell", "band"}
    assert ids(small_engine.search('category:"thoi su" thủy điện')) == ["new-style"]


# =========================================================================================
# Writing: each test builds its own index
# =========================================================================================


def test_index_summary_counts(tmp_path):
    engine = SearchEngine(tmp_path / "ix")
    warnings = []
    first = engine.index_articles([
        {"id": "a", "title": "Bão số 3 đổ bộ", "body": "Bão mạnh cấp 12."},
        {"id": "b", "title": "Lũ quét miền núi"},
        {"title": "Không có id"},  # skipped: no id
        {"id": "c", "title": "", "sapo": "", "body": ""},  # skipped: no text
        {"id": 7, "body": "Id là số"},  # accepted, id becomes "7"
    ], jobs=1, on_warning=warnings.append)
    assert isinstance(first, IndexSummary)
    assert (first.added, first.replaced, first.unchanged, first.skipped) == (3, 0, 0, 2)
    assert first.written == 3
    assert len(first.warnings) == 2 and len(warnings) == 2
    assert "no id" in first.warnings[0] and "no text" in first.warnings[1]
    assert sorted(engine.ids()) == ["7", "a", "b"]

    second = engine.index_articles([
        {"id": "a", "title": "Bão số 3 đổ bộ", "body": "Bão mạnh cấp 12."},  # unchanged
        {"id": "b", "title": "Lũ quét miền núi phía Bắc"},  # replaced
        {"id": "d", "body": "Bài mới"},  # added
        {"id": "", "body": "id rỗng"},  # skipped
    ], jobs=1)
    assert (second.added, second.replaced, second.unchanged, second.skipped) == (1, 1, 1, 1)
    assert "1 added, 1 replaced, 1 unchanged, 1 skipped" == str(second)
    engine.close()


def test_unchanged_input_writes_nothing(tmp_path):
    engine = new_engine(tmp_path, [{"id": "a", "title": "Bão số 3", "body": "Bão mạnh."}])
    assert engine.add_articles([{"id": "a", "title": "Bão số 3", "body": "Bão mạnh."}]) == 0
    assert len(engine) == 1
    assert ids(engine.search("bao")) == ["a"]
    engine.close()


def test_readding_same_id_replaces(tmp_path):
    engine = new_engine(tmp_path, [
        {"id": "a", "title": "Chim cánh cụt ở Nam Cực", "body": "Đàn chim cánh cụt hoàng đế."},
        {"id": "b", "title": "Voi rừng Tây Nguyên", "body": "Voi rừng ở Đắk Lắk."},
    ])
    summary = engine.index_articles([{"id": "a", "title": "Gấu trúc Tứ Xuyên", "body": "Gấu trúc ăn tre."}])
    assert (summary.added, summary.replaced) == (0, 1)
    assert len(engine) == 2
    assert ids(engine.search("gấu trúc")) == ["a"]
    assert ids(engine.search("chim cánh cụt")) == []
    assert engine.get("a").title == "Gấu trúc Tứ Xuyên"
    engine.close()


def test_same_id_twice_in_one_input_keeps_the_last(tmp_path):
    engine = SearchEngine(tmp_path / "ix")
    summary = engine.index_articles([{"id": "a", "body": "Bản thứ nhất về mưa"},
                                     {"id": "a", "body": "Bản thứ hai về nắng"}])
    assert (summary.added, summary.replaced) == (1, 1)
    assert len(engine) == 1
    assert ids(engine.search("nắng")) == ["a"] and ids(engine.search("mưa")) == []
    engine.close()


def test_delete(tmp_path):
    engine = new_engine(tmp_path, [{"id": "a", "body": "Mưa lớn"}, {"id": "b", "body": "Mưa nhỏ"}])
    assert engine.delete(["a", "missing"]) == 1
    assert len(engine) == 1
    assert engine.get("a") is None
    assert ids(engine.search("mưa")) == ["b"]
    engine.close()


def test_articles_added_in_several_commits(tmp_path):
    engine = SearchEngine(tmp_path / "ix")
    for i in range(4):  # one commit, hence one segment, each
        engine.add_articles([{"id": f"s{i}", "title": f"Bản tin số {i} về giá vàng",
                              "body": f"Mục {i}: vàng SJC và đô la Mỹ."}])
    assert len(engine) == 4
    assert sorted(ids(engine.search('"vàng SJC"'))) == ["s0", "s1", "s2", "s3"]
    for i in range(4):
        assert engine.search(f"bản tin số {i}")[0].id == f"s{i}"
    engine.close()


def test_phrase_does_not_span_title_and_body(tmp_path):
    engine = new_engine(tmp_path, [{"id": "a", "title": "Giá vàng", "body": "Nội dung khác hẳn."}])
    assert ids(engine.search("vàng nội dung")) == ["a"]
    assert ids(engine.search('"vàng nội dung"')) == []
    assert ids(engine.search('"giá vàng"')) == ["a"]
    engine.close()


def test_add_paths_with_bad_jsonl_line(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    lines = [
        json.dumps({"id": "j1", "title": "Cầu Rồng Đà Nẵng phun lửa", "body": "Du khách xem cầu Rồng."},
                   ensure_ascii=False),
        '{"id": "broken", "title": ',  # line 2: not JSON
        json.dumps({"id": "j2", "title": "Phố cổ Hội An", "body": "Đèn lồng phố Hội."}, ensure_ascii=False),
        json.dumps({"id": "j3"}),  # line 4: no text
    ]
    bad = src / "news.jsonl"
    bad.write_text("\n".join(lines) + "\n", "utf-8")
    (src / "seed.txt").write_text("date 2024-01-02 Hàng Châu nổi lên nhờ AI.\n\nNội dung bài viết.", "utf-8")
    warnings = []
    engine = SearchEngine(tmp_path / "ix")
    summary = engine.add_paths([src], jobs=1, on_warning=warnings.append)
    assert summary.added == 3
    assert summary.skipped == 2
    assert sorted(engine.ids()) == ["j1", "j2", "seed"]
    messages = [str(w) for w in warnings]
    assert any(str(bad) in m and ":2:" in m for m in messages), messages
    assert any(str(bad) in m and ":4:" in m for m in messages), messages
    assert [(w.path, w.line) for w in warnings] == [(str(bad), 2), (str(bad), 4)]
    assert ids(engine.search("cau rong")) == ["j1"]
    assert ids(engine.search("hội an")) == ["j2"]
    assert ids(engine.search("hang chau")) == ["seed"]
    engine.close()


def test_add_paths_seeds_matches_session_index(tmp_path, seed_engine):
    # A second build of seeds/ gives the same ranking as the shared one: indexing is deterministic.
    engine = SearchEngine(tmp_path / "ix")
    engine.add_paths([SEEDS], jobs=1)
    for q in ("tri tue nhan tao", "AI"):
        assert ids(engine.search(q)) == ids(seed_engine.search(q))
    engine.close()


# =========================================================================================
# Opening index directories
# =========================================================================================


def test_missing_index_with_create_false(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(IndexNotFound) as info:
        SearchEngine(missing, create=False)
    assert str(missing) in str(info.value)
    assert not missing.exists()


def test_directory_with_foreign_files(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "notes.txt").write_text("không phải chỉ mục", "utf-8")
    with pytest.raises(IndexUnusable) as info:
        SearchEngine(folder)
    assert str(folder) in str(info.value)
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt"]  # nothing written there


def test_file_instead_of_directory(tmp_path):
    path = tmp_path / "index"
    path.write_text("x")
    with pytest.raises(IndexUnusable) as info:
        SearchEngine(path)
    assert str(path) in str(info.value)


def test_search_new_empty_index(tmp_path):
    engine = SearchEngine(tmp_path / "ix")
    assert len(engine) == 0
    results = engine.search("bão")
    assert list(results) == [] and results.total == 0


def test_new_index_reopens(tmp_path):
    engine = SearchEngine(tmp_path / "ix")
    assert len(engine) == 0
    engine.add_articles([{"id": "x", "title": "Bão Yagi", "body": "Siêu bão Yagi đổ bộ Quảng Ninh."}])
    engine.close()
    with SearchEngine(tmp_path / "ix", create=False) as again:
        assert len(again) == 1
        assert ids(again.search("sieu bao")) == ["x"]


# =========================================================================================
# A real slice of news-b (dantri.com.vn)
# =========================================================================================


@pytest.fixture(scope="module")
def news_b(tmp_path_factory):
    records = read_corpus_lines("news-b.jsonl.gz", 0, 30)
    records += read_corpus_lines("news-b.jsonl.gz", 167, 168)  # a decomposed (NFD) article
    engine = SearchEngine(tmp_path_factory.mktemp("news-b") / "ix")
    summary = engine.index_articles(records, jobs=1)
    assert summary.added == len(records) == 31, str(summary)
    yield engine, records
    engine.close()


@pytest.mark.parametrize("fold", [False, True], ids=["as-written", "unaccented"])
def test_news_b_headline_finds_its_article(news_b, fold):
    engine, records = news_b
    titled = [r for r in records if r["title"]]
    assert len(titled) >= 15
    wrong = []
    for record in titled:
        query = fold_all(record["title"]) if fold else record["title"]
        results = engine.search(query, limit=3)
        if not results or results[0].id != record["id"]:
            wrong.append((query, ids(results)))
    assert wrong == []


def test_news_b_hit_metadata(news_b):
    engine, records = news_b
    record = next(r for r in records if r["title"].startswith("Lãi suất ngân hàng"))
    hit = engine.search("lai suat ngan hang giam sau")[0]
    assert hit.id == record["id"]
    assert (hit.date, hit.source, hit.url) == (record["date"], record["source"], record["url"])
    assert hit.title == record["title"]
    spans = [folded(t) for t in title_marked(hit)]
    assert spans and all(f" {span} " in " lai suat ngan hang giam sau " for span in spans), spans


def test_news_b_nfd_article(news_b):
    engine, records = news_b
    nfd = records[-1]
    assert not unicodedata.is_normalized("NFC", nfd["body"])
    results = engine.search("xã Tân Lập huyện Tiên Yên")
    assert results[0].id == nfd["id"]
    spans = [folded(t) for t in marked(results[0])]
    assert spans and all(set(s.split()) <= {"xa", "tan", "lap", "huyen", "tien", "yen"} for s in spans)


def test_news_b_stats(news_b):
    engine, records = news_b
    stats = engine.stats()
    dates = sorted(r["date"] for r in records)
    assert stats["articles"] == 31
    assert (stats["first_date"], stats["last_date"]) == (dates[0], dates[-1])


def test_syllable_finds_the_word_containing_it_but_prefers_the_word_itself(tmp_path):
    engine = new_engine(tmp_path, [
        # The same number of "bát" in title and body, and the "bát" article is
        # the longer one: it ranks first only because its "bát" stands as a word
        # of its own, where the other's is part of "lục bát".
        {"id": "tho", "title": "Câu lục bát", "body": "Nhà thơ viết câu lục bát mộc mạc về quê hương."},
        {"id": "bat", "title": "Cái bát", "body": "Bà rửa cái bát rồi đặt nó lên kệ gỗ ở trong căn bếp nhỏ "
                                                  "của cả gia đình sau bữa cơm tối hôm qua."},
    ])
    assert ids(engine.search("bát")) == ["bat", "tho"]
    assert ids(engine.search("lục bát"))[0] == "tho"
    engine.close()


def test_diacritic_tiers_rank_exact_then_other_tone_then_unmarked(tmp_path):
    engine = new_engine(tmp_path, [
        {"id": "ban", "body": "Chúng tôi ban hành quy định mới cho cả lớp."},
        {"id": "bàn", "body": "Chúng tôi mua cái bàn gỗ mới cho cả lớp."},
        {"id": "bán", "body": "Chúng tôi bán cái tủ gỗ cũ của cả lớp."},
    ])
    assert ids(engine.search("bàn")) == ["bàn", "bán", "ban"]
    assert ids(engine.search("bán")) == ["bán", "bàn", "ban"]
    # Typed without marks, all three match and none is preferred for its marks:
    # bàn and bán, each a word of its own in sentences of the same length,
    # score within a few percent (their titles' other words differ); ban
    # counts a little less because it is part of the word "ban hành" (as in
    # the exact tier everywhere).
    scores = {h.id: h.score for h in engine.search("ban")}
    assert set(scores) == {"ban", "bàn", "bán"}
    assert scores["bàn"] == pytest.approx(scores["bán"], rel=0.05)
    assert max(scores.values()) - scores["ban"] < 0.12 * max(scores.values())
    engine.close()


def test_accentless_query_gets_a_suggestion_from_the_index_vocabulary(seed_engine):
    results = seed_engine.search("tri tue nhan tao")
    assert results.suggestion == "trí tuệ nhân tạo"
    assert seed_engine.search("quang dong").suggestion == "quảng đông"
    # Typed with diacritics, or with operators, there is nothing to suggest.
    assert seed_engine.search("trí tuệ nhân tạo").suggestion is None
    assert seed_engine.search('"tri tue" -abc').suggestion is None
    assert seed_engine.search("tri tue", suggest=False).suggestion is None
