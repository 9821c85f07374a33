"""Tests for vnsearch.search.restore: spellings, tone variants, and query accent restoration."""

from __future__ import annotations

import itertools
import math
import random

import pytest

from vnsearch.lang.text import canonical, fold_all
from vnsearch.search.restore import (
    Restoration,
    RestoreParams,
    _decode,
    index_df,
    pair_document_frequencies,
    restore,
    restore_text,
    spellings,
    tone_variants,
)

# --- spellings ------------------------------------------------------------------


def test_spellings_tri_in_tone_order():
    assert spellings("tri") == ["tri", "trì", "trí", "trỉ", "trĩ", "trị"]


def test_spellings_duong_has_vowel_quality_and_d_variants():
    got = spellings("duong")
    for s in ["dương", "đường", "đương", "dướng", "dưỡng", "đuống", "dượng"]:
        assert s in got
    assert len(got) == len(set(got))
    assert all(fold_all(s) == "duong" for s in got)


@pytest.mark.parametrize("folded, expected", [
    ("hoa", "hòa"),  # canonical (older) tone placement, not "hoà"
    ("thuy", "thủy"),
    ("khoe", "khỏe"),
    ("hoang", "hoàng"),
    ("quoc", "quốc"),
    ("quy", "quý"),
    ("gi", "gì"),
    ("giua", "giữa"),
    ("gieng", "giếng"),
    ("nguoi", "người"),
    ("ruou", "rượu"),
    ("nguyen", "nguyễn"),
    ("khuya", "khuya"),
    ("truong", "trường"),
    ("dak", "đắk"),
    ("a", "á"),
])
def test_spellings_contains(folded, expected):
    assert expected in spellings(folded)


def test_spellings_are_canonical_lower_case():
    for folded in ["hoa", "thuy", "duong", "nguoi", "quyen", "khoe", "Ha"]:
        for s in spellings(folded):
            assert s == canonical(s) == s.lower()
    assert "hoà" not in spellings("hoa") and "thuỷ" not in spellings("thuy")


def test_spellings_stop_finals_take_only_sac_and_nang():
    assert spellings("viet") == ["viết", "việt"]
    assert set(spellings("tich")) == {"tích", "tịch"}


@pytest.mark.parametrize("token", ["usd", "19", "2017", "covid", "mazda3", "u-22", "xyzzy", ""])
def test_spellings_of_non_vietnamese_tokens(token):
    assert spellings(token) == [token]


def test_spellings_cover_real_text():
    text = ("Thủ tướng Chính phủ yêu cầu các bộ, ngành đẩy nhanh tiến độ giải ngân vốn đầu tư công; "
            "người dân ở Hà Nội, Đà Nẵng, thành phố Hồ Chí Minh và tỉnh Đắk Lắk hưởng lợi từ trí tuệ "
            "nhân tạo, khuya nay trời mưa, rượu ngoài quán, giữa tháng giêng, quyết định khỏe khoắn, "
            "huỳnh quang, thuở ấy, nguệch ngoạc, loằng ngoằng, xoong nồi, oái oăm, khuỷu tay")
    from vnsearch.lang.analysis import query_syllables

    for syl in query_syllables(text):
        assert syl in spellings(fold_all(syl)), syl


# --- tone_variants -------------------------------------------------------------------


def test_tone_variants():
    assert tone_variants("bàn") == ["ban", "bàn", "bán", "bản", "bãn", "bạn"]
    assert tone_variants("hoà") == ["hoa", "hòa", "hóa", "hỏa", "hõa", "họa"]
    assert tone_variants("Quốc")[2] == "quốc"
    assert tone_variants("giữa") == ["giưa", "giừa", "giứa", "giửa", "giữa", "giựa"]
    assert tone_variants("đường")[0] == "đương"  # letter marks are kept


def test_tone_variants_of_non_vietnamese_token():
    assert tone_variants("usd") == ["usd"]
    assert tone_variants("2017") == ["2017"]


# --- restore with a hand-made df table -------------------------------------------------

TABLE = {
    "trí": 5, "trị": 9, "tri": 1, "trì": 2, "tuệ": 3, "nhân": 20, "nhấn": 4, "nhận": 15, "tạo": 8, "tảo": 2,
    "tào": 1, "trí tuệ": 3, "nhân tạo": 2, "hà": 10, "hạ": 6, "nội": 9, "nói": 12, "nơi": 7, "hà nội": 8,
    "usd": 3,
}


def table_df(term: str) -> int:
    return TABLE.get(term, 0)


def test_restore_uses_word_evidence_over_unigrams():
    r = restore("tri tue nhan tao".split(), table_df, 30)
    assert r.text == "trí tuệ nhân tạo"  # "trị" and "nhận" alone are more frequent
    assert r.syllables == ["trí", "tuệ", "nhân", "tạo"]
    assert r.changed
    assert r.confidence > 0.5
    assert len(r.syllable_confidence) == 4 and all(0 <= c <= 1 for c in r.syllable_confidence)


def test_restore_keeps_typed_diacritics():
    r = restore(["Hạ", "noi"], table_df, 30)
    assert r.syllables[0] == "hạ"
    assert restore(["Hà", "Noi"], table_df, 30).text == "hà nội"


def test_restore_keeps_unknown_and_foreign_tokens():
    r = restore(["usd", "2017", "ha", "noi", "xyzzy", "khong"], table_df, 30)
    assert r.syllables == ["usd", "2017", "hà", "nội", "xyzzy", "khong"]


def test_restore_empty_and_nothing_to_change():
    empty = restore([], table_df, 30)
    assert empty == Restoration("", [], 1.0, False, [], [])
    same = restore(["hà", "nội"], table_df, 30)
    assert same.text == "hà nội" and not same.changed and same.confidence == pytest.approx(1.0)


def test_restore_caches_lookups_within_a_call():
    calls: list[str] = []

    def counting(term: str) -> int:
        calls.append(term)
        return table_df(term)

    restore("ha noi ha noi ha noi".split(), counting, 30)
    assert len(calls) == len(set(calls))


def test_restore_with_adjacency_table():
    # Words alone prefer "cửa" ("Cửa Việt" is a place name, "của" is never part
    # of a word); how often each pair stands side by side knows better.
    df = {"của": 4500, "cửa": 700, "việt": 2000, "cửa việt": 3}.get
    assert restore(["cua", "viet"], lambda t: df(t, 0), 5000).text == "cửa việt"
    adj = {"của việt": 900, "cửa việt": 3}.get
    r = restore(["cua", "viet"], lambda t: df(t, 0), 5000, adjacent=lambda t: adj(t, 0))
    assert r.text == "của việt"


def test_restore_abbreviations_with_dd():
    df = {"hđnd": 5, "hdnd": 0}.get
    assert restore(["hdnd"], lambda t: df(t, 0), 10).text == "hđnd"


def test_pair_document_frequencies():
    table = pair_document_frequencies([("Hà Nội mưa", "Hà Nội mưa to"), ("Mưa ở Hà Nội",)])
    assert table["hà nội"] == 2 and table["nội mưa"] == 1 and table["mưa to"] == 1
    assert "mưa hà" not in table  # pairs never span two texts


# --- the decoder against brute force -------------------------------------------------------


def _path_score(path, unary, pair, triple, t):
    """The lattice score of *path*, summed factor by factor, over the temperature *t*."""
    n = len(path)
    s = sum(unary[i][j] for i, j in enumerate(path))
    s += sum(pair[i][path[i - 1]][path[i]] for i in range(1, n) if pair[i])
    s += sum((triple[i] or {}).get((path[i - 2], path[i - 1]), {}).get(path[i], 0.0) for i in range(2, n))
    return s / t


def test_decode_matches_brute_force():
    rng = random.Random(7)
    for _ in range(200):
        n = rng.randint(1, 5)
        sizes = [rng.randint(1, 4) for _ in range(n)]
        cands = [[str(j) for j in range(s)] for s in sizes]
        unary = [[rng.uniform(-3, 0) for _ in range(s)] for s in sizes]
        pair = [None] + [
            [[rng.uniform(0, 2) for _ in range(sizes[i])] for _ in range(sizes[i - 1])] if rng.random() < 0.7 else None
            for i in range(1, n)]
        triple = [None] * n
        for i in range(2, n):
            table: dict = {}
            for a, b, c in itertools.product(range(sizes[i - 2]), range(sizes[i - 1]), range(sizes[i])):
                if rng.random() < 0.3:
                    table.setdefault((a, b), {})[c] = rng.uniform(0, 3)
            triple[i] = table or None
        t = rng.choice([0.5, 1.0, 2.0])
        paths = list(itertools.product(*[range(s) for s in sizes]))
        scores = {p: _path_score(p, unary, pair, triple, t) for p in paths}
        top = max(scores.values())
        logz = top + math.log(sum(math.exp(s - top) for s in scores.values()))
        path, best, marginals, got_logz = _decode(cands, unary, pair, triple, t)
        assert best == pytest.approx(top) and scores[tuple(path)] == pytest.approx(top)
        assert got_logz == pytest.approx(logz)
        for i in range(n):
            for j in range(sizes[i]):
                expected = sum(math.exp(s - logz) for p, s in scores.items() if p[i] == j)
                assert marginals[i][j] == pytest.approx(expected, abs=1e-9)


# --- restore against a real (tiny) index ---------------------------------------------------

ARTICLES = [
    {"id": "ai", "title": "Trí tuệ nhân tạo thay đổi cách làm báo",
     "body": "Nhiều tòa soạn ở Hà Nội bắt đầu dùng trí tuệ nhân tạo để tóm tắt tin tức. "
             "Các chuyên gia cho rằng trí tuệ nhân tạo sẽ tạo ra nhiều việc làm mới."},
    {"id": "tt", "title": "Thủ tướng Chính phủ làm việc với thành phố Hà Nội",
     "body": "Thủ tướng Chính phủ yêu cầu Hà Nội đẩy nhanh giải ngân vốn đầu tư công. "
             "Chính phủ sẽ hỗ trợ thành phố về chính sách và chính trị."},
    {"id": "ct", "title": "Hội nghị chính trị bàn về trị giá hàng hóa",
     "body": "Các đại biểu nói về chính trị, trị giá và cách điều trị bệnh. Giá trị xuất khẩu tăng; "
             "người dân nói rằng nơi đây có nhiều tảo biển. Lãi suất hạ nhẹ, tỷ giá 23.000 đồng/USD."},
    {"id": "ng", "title": "Người dân nhận hàng cứu trợ",
     "body": "Người dân nhận quà, nhấn mạnh rằng nhân viên nhận lời giúp. Nội dung được nói rõ."},
]


@pytest.fixture(scope="module")
def tiny_engine(tmp_path_factory):
    from vnsearch import SearchEngine

    engine = SearchEngine(tmp_path_factory.mktemp("restore") / "ix")
    assert engine.add_articles(ARTICLES, jobs=1) == len(ARTICLES)
    yield engine
    engine.close()


@pytest.mark.parametrize("query, expected", [
    ("tri tue nhan tao", "trí tuệ nhân tạo"),
    ("ha noi", "hà nội"),
    ("Ha Noi", "Hà Nội"),  # the user's capitals kept
    ("thu tuong chinh phu", "thủ tướng chính phủ"),
    ("chinh tri", "chính trị"),
    ("Hà Noi", "Hà Nội"),  # partly accented: only "Noi" restored
    ("ty gia usd", "tỷ giá usd"),
    ("23.000 usd", "23.000 usd"),
])
def test_restore_against_index(tiny_engine, query, expected):
    r = restore_text(tiny_engine, query)
    assert r.text == expected
    assert r.changed == (expected != query.lower())


def test_restore_against_index_keeps_typed_accents(tiny_engine):
    # "hạ" is typed with its accent, so it stays even though "hà nội" is the known word.
    assert restore_text(tiny_engine, "hạ noi").syllables[0] == "hạ"


def test_restore_against_index_empty_query(tiny_engine):
    r = restore_text(tiny_engine, "  ,.  ")
    assert r.text == "" and r.syllables == [] and not r.changed


def test_index_df_matches_reader(tiny_engine):
    searcher, ranker = tiny_engine._current()
    df, total = index_df(searcher)
    assert total == len(ARTICLES)
    assert df("hà nội") == ranker.postings("text", "hà nội").docs.size >= 2
    assert df("trí tuệ") >= 1 and df("không có từ này") == 0


def test_custom_params(tiny_engine):
    searcher, _ = tiny_engine._current()
    df, total = index_df(searcher)
    unigram_only = RestoreParams(w2=0.0, w3=0.0)
    # Without word evidence, the more frequent "trị" wins over "trí".
    assert restore(["tri", "tue"], df, total, unigram_only).syllables[0] == "trị"
    assert restore(["tri", "tue"], df, total).syllables[0] == "trí"
