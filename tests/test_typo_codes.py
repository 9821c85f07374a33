"""Slips on the letters of codes ("24g" for 24h, "kk50" for K50): issue 16's kw-typo misses.

On a tiny index built here: the codes of letters and digits get a typo index
of their own (:class:`~vnsearch.lang.typos.TypoIndex` with ``codes``), reached
by one slip on a letter, the digits kept.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from vnsearch import SearchEngine
from vnsearch.ingest.articles import Article
from vnsearch.lang.typos import TypoIndex, is_code, same_digits


def _index(tmp_path_factory: pytest.TempPathFactory, name: str, articles: list[Article]) -> Iterator[SearchEngine]:
    """An engine over *articles*, for a module's tests, closed after them."""
    eng = SearchEngine(Path(tmp_path_factory.mktemp(name)) / "ix")
    eng.add_articles(articles, jobs=1)
    yield eng
    eng.close()


ARTICLES = [
    Article(id="a24h", title="Trận chung kết của vua phá lưới trong 24h qua",
            body="Vua phá lưới ghi hai bàn, tin tức 24h về bóng đá."),
    Article(id="k50", title="Lenovo K50 bị tố nã giá bán", body="Điện thoại K50 tăng giá, người mua bị nã thêm tiền."),
    Article(id="toa8b", title="Cháy tòa 8B khu đô thị", body="Tòa 8B bốc cháy lúc 8h sáng, cư dân sơ tán."),
    Article(id="ca", title="Giá cá tăng mạnh", body="Lúc 8h sáng chợ cá đông người, tòa nhà bên cạnh vắng."),
    Article(id="vua", title="Nhà vua thăm trường", body="Nhà vua đến thăm trường học vào buổi sáng."),
]


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchEngine]:
    yield from _index(tmp_path_factory, "codes", ARTICLES)


def test_codes_are_told_from_words_and_numbers() -> None:
    assert is_code("24h") and is_code("u23") and is_code("lx570")
    assert not is_code("vua") and not is_code("2024") and not is_code("8,5") and not is_code("tòa")


def test_a_code_is_reached_by_one_slip_on_its_letters_only() -> None:
    ix = TypoIndex([("24h", 25), ("24k", 3), ("k50", 4), ("8b", 2), ("8h", 20), ("25h", 9), ("vua", 50)], codes=True)
    assert "vua" not in ix and len(ix) == 6
    assert [c.word for c in ix.candidates("24g")][:1] == ["24h"]  # g is next to h
    assert "25h" not in [c.word for c in ix.candidates("24h")]  # a digit is never slipped
    assert [c.word for c in ix.candidates("kk50")] == ["k50"]  # a doubled letter
    assert [(c.word, c.distance) for c in ix.candidates("8h")] == [("8h", 0), ("8b", 1)]
    assert same_digits("24g", "24h") and not same_digits("24h", "42h") and not same_digits("2h4", "24h")
    # The letter index holds no codes, as before.
    assert "24h" not in TypoIndex([("24h", 25), ("vua", 50)])


def test_a_slipped_code_finds_its_article(engine: SearchEngine) -> None:
    # As typed, only "vua" matches: the article about the king ranks first.
    assert [h.id for h in engine.search("24g vua", typos=False)][:1] == ["vua"]
    got = engine.search("24g vua")
    assert [h.id for h in got][:1] == ["a24h"]
    assert got.corrections.get("24g", [])[:1] == ["24h"]
    assert [h.id for h in engine.search("kk50 nã")][:1] == ["k50"]


def test_a_known_code_that_goes_with_nothing_else_is_read_as_its_slip(engine: SearchEngine) -> None:
    # "8h" is a code of the index (a time), but "tòa 8b" is what the article holds.
    assert [h.id for h in engine.search("tòa 8h")][:1] == ["toa8b"]
    # Typed right, the code is matched as typed.
    assert [h.id for h in engine.search("tòa 8b")][:1] == ["toa8b"]


# -- "đ" in abbreviations and dropped, lone consonants, accented headlines ------------------

SLIPS = [
    Article(id="gd", title="GĐ chùa Bái Đính nói về lễ hội",
            body="Ông GĐ ban quản lý chùa cho biết lễ hội đông khách."),
    Article(id="ba", title="Ba ngôi chùa cổ ở Huế",
            body="Ba ngôi chùa cổ đón khách. Ba người đến chùa sớm, đỡ sư thầy."),
    Article(id="do", title="Hằng cảm ơn bạn bè đã giúp đỡ", body="Hằng kể bạn bè giúp đỡ cô nhiều năm qua."),
    Article(id="dz", title="Bốc dỡ hàng ở cảng", body="Công nhân bốc dỡ hàng, dỡ bỏ lều. Hằng ngày dỡ hàng."),
    Article(id="ho", title="Tiền hỗ trợ hằng tháng",
            body="Công nhân nhận tiền hỗ trợ hằng tháng, hỗ trợ thêm dịp Tết."),
    Article(id="su", title="Chọn mua đồ sứ dùng hàng ngày", body="Đồ sứ đẹp, bát đĩa đồ sứ bền."),
    Article(id="so", title="Tòa nhà đồ sộ giữa phố", body="Công trình đồ sộ, sổ sách ghi đồ đạc. Xe S đỗ bên đồ sộ."),
    Article(id="tu", title="Cắt giảm tủ hồ sơ", body="Cơ quan cắt giảm tủ hồ sơ, tổ công tác cắt bỏ tờ trình thừa."),
    Article(id="to", title="Cắt giảm giấy tờ trong thủ tục", body="Bộ cắt giảm giấy tờ cho doanh nghiệp."),
    Article(id="tt", title="Tổ dân phố cắt điện", body="Tổ dân phố cắt điện, tờ thông báo dán ở cửa nhà T."),
]


@pytest.fixture(scope="module")
def slips(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchEngine]:
    yield from _index(tmp_path_factory, "slips", SLIPS)


def test_an_abbreviation_with_d_bar_is_corrected_to_another_abbreviation(slips: SearchEngine) -> None:
    # "bđ" (b next to g) is no Vietnamese syllable: its corrections need not be one ("gđ", giám đốc).
    got = slips.search("bđ chùa")
    assert "gđ" in got.corrections.get("bđ", [])
    assert [h.id for h in got][:1] == ["gd"]


def test_a_dropped_d_bar_is_read_back_with_its_bar(slips: SearchEngine) -> None:
    # "ỡ" of "đỡ": the dropped letter may as well have been "đ" as "d" (the user typed no mark for
    # either); "đỡ", in more articles, is the spelling read, not "dỡ" for having one mark fewer.
    got = slips.search("hằng ỡ")
    assert "đỡ" in got.corrections.get("ỡ", [])
    assert "dỡ" not in got.corrections.get("ỡ", [])


def test_a_lone_consonants_readings_find_the_articles_holding_them_without_flooding_totals(
        slips: SearchEngine) -> None:
    # "s" alone is in one article ("Xe S"); the "đồ sứ" article is found through the reading "sứ",
    # ranked, but the totals stay as typed: ten readings of a lone consonant are common syllables,
    # and counting them made "đồ s" match 4,189 of 5,000 articles.
    typed_only = slips.search("đồ s", typos=False)
    assert typed_only.total == 1  # all words: "so" alone
    results = slips.search("đồ s")
    assert results.total == 1
    got = [h.id for h in results]
    assert "su" in got and "so" in got
    # Totals of a query without a lone consonant are as typed: "đồ sộ" matches "so" alone.
    assert slips.search("đồ sộ").total == 1


HEADLINES = [
    Article(id="to", title="Cắt giảm giấy tờ", body="Bộ cắt giảm giấy tờ."),
    Article(id="pho", title="Bát phở ngon", body="Cắt hành cho tô phở."),
    Article(id="canh", title="Món ăn ngày Tết", body="Cắt thịt, nấu tô canh."),
    Article(id="com", title="Nhà hàng mới", body="Cắt giảm giá một tô cơm."),
    Article(id="toc", title="Cắt tóc ngày hè", body="Thợ cắt tóc, chữ T in hoa."),
]


def test_a_reading_is_judged_by_the_headlines_holding_its_own_spelling(tmp_path: Path) -> None:
    # Folded, "to" stands with "cắt" in one headline, which "tô" would share; spelt, it is "tờ"'s alone.
    from vnsearch.search.query import parse_query
    from vnsearch.search.understand import understand

    with SearchEngine(tmp_path / "ix") as eng:
        eng.add_articles(HEADLINES, jobs=1)
        snapshot = eng._current()[0]
        try:
            u = understand(parse_query("cắt t"), snapshot, suspect_known=0.3)
        finally:
            snapshot.release()
    best = {a.replacement: a for a in u.suspected["t"]}
    assert best["tờ"].evidence > best["tô"].evidence  # "tô" is in more articles with "cắt", none in a headline
    assert best["tờ"].telling and not best["tô"].telling


UNSPELT = [
    Article(id="o", title="Hằng ở nhà cả ngày", body="Hằng ở nhà cả ngày, ở bên mẹ."),
    Article(id="do", title="Hằng giúp đỡ bạn bè", body="Hằng giúp đỡ bạn bè ở trong lớp."),
    Article(id="x", title="Trời mưa to", body="Mưa to ở Hà Nội."),
]


def test_a_marked_syllable_no_article_spells_so_competes_with_its_corrections(tmp_path: Path) -> None:
    # No article holds "ỡ": its folded matches ("ở") are no likelier than its correction "đỡ", even in an
    # article holding both (before, the typed syllable's folded match there hid the correction).
    with SearchEngine(tmp_path / "ix") as eng:
        eng.add_articles(UNSPELT, jobs=1)
        got = eng.search("hằng ỡ")
        assert "đỡ" in got.corrections.get("ỡ", [])
        assert [h.id for h in got][:2] == ["do", "o"]
        # A syllable held as typed keeps its matches first.
        assert [h.id for h in eng.search("hằng ở")][:1] == ["o"]
