"""Tests for vnsearch.search.highlight: snippets cut from the original text, exact highlight offsets."""

from __future__ import annotations

import re
import unicodedata

from conftest import SEEDS

from vnsearch.lang.analysis import syllables
from vnsearch.lang.text import fold_all
from vnsearch.search.highlight import Highlighter, Snippet
from vnsearch.search.query import parse_query

NFD = lambda s: unicodedata.normalize("NFD", s)
NFC = lambda s: unicodedata.normalize("NFC", s)
UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")

FILLER_BEFORE = "Mở đầu bài viết về kinh tế vĩ mô. " * 20
FILLER_AFTER = " Phần kết luận dài dòng của bài báo." * 20
MIDDLE = "Hội nghị về Trí Tuệ Nhân Tạo tại Hà Nội thu hút nhiều chuyên gia."
LONG = FILLER_BEFORE + MIDDLE + FILLER_AFTER


def highlighter(query: str) -> Highlighter:
    parsed = parse_query(query)
    if hasattr(Highlighter, "for_query"):
        return Highlighter.for_query(parsed)
    return Highlighter(parsed.syllables())


def snippet(text: str, query: str, max_chars: int = 240) -> Snippet:
    return highlighter(query).snippet(text, max_chars)


def marked_texts(snip: Snippet) -> list[str]:
    return [snip.text[s:e] for s, e in snip.highlights]


def folded(s: str) -> str:
    return " ".join(fold_all(NFC(s).lower()).split())


def body_of(snip: Snippet) -> str:
    return snip.text.removeprefix("…").removesuffix("…")


# --- cut from the original text -------------------------------------------------------


def test_snippet_is_cut_from_original_text():
    snip = snippet(LONG, "tri tue nhan tao", max_chars=120)
    assert len(LONG) > 1000
    assert body_of(snip) in LONG  # a verbatim passage, not our normalised copy
    assert "Trí Tuệ Nhân Tạo" in snip.text  # case and diacritics as written
    assert snip.text.startswith("…") and snip.text.endswith("…")
    assert len(snip.text) <= 120 + 2


def test_snippet_offsets_index_snippet_text_exactly():
    snip = snippet(LONG, "tri tue nhan tao", max_chars=120)
    assert marked_texts(snip) == ["Trí Tuệ Nhân Tạo"]
    for s, e in snip.highlights:
        assert 0 <= s < e <= len(snip.text)


def test_highlights_are_query_words_only():
    text = "Ông Nam nói rằng giá vàng hôm nay tăng mạnh, còn giá xăng giảm; vàng SJC vượt mốc."
    snip = snippet(text, "vàng")
    assert marked_texts(snip) == ["vàng", "vàng"]
    assert snip.text == text  # short text: kept whole


def test_unaccented_query_marks_accented_words():
    text = "Thủ đô Hà Nội và thành phố Đà Nẵng."
    assert marked_texts(snippet(text, "ha noi")) == ["Hà Nội"]
    assert marked_texts(snippet(text, "da nang")) == ["Đà Nẵng"]
    assert marked_texts(snippet(text, "ĐÀ NẴNG")) == ["Đà Nẵng"]


def test_accented_query_marks_only_that_spelling():
    text = "Chiếc bàn gỗ, cần bán nhà, ban nhạc rock."
    assert marked_texts(snippet(text, "bàn")) == ["bàn"]
    assert marked_texts(snippet(text, "bán")) == ["bán"]
    assert marked_texts(snippet(text, "ban")) == ["bàn", "bán", "ban"]


def test_old_and_new_tone_placement_both_marked():
    text = "Khát vọng hòa bình và HOÀ BÌNH; thuỷ điện Hoà Bình."
    assert marked_texts(snippet(text, "hoà bình")) == ["hòa bình", "HOÀ BÌNH", "Hoà Bình"]
    assert marked_texts(snippet(text, "thủy")) == ["thuỷ"]


def test_nfd_text_highlight_offsets():
    text = NFD(LONG)
    snip = snippet(text, "trí tuệ nhân tạo", max_chars=120)
    assert body_of(snip) in text  # still the reader's decomposed characters
    assert [folded(t) for t in marked_texts(snip)] == ["tri tue nhan tao"]
    assert [NFC(t) for t in marked_texts(snip)] == ["Trí Tuệ Nhân Tạo"]


def test_excluded_words_not_marked():
    text = "Alibaba và DeepSeek ở Hàng Châu phát triển AI."
    assert marked_texts(snippet(text, "AI -Alibaba")) == ["AI"]


def test_snippet_of_seed_article_picks_the_passage_with_the_words():
    text = (SEEDS / "002_20d0de901ad3bd8e.txt").read_text("utf-8")
    snip = snippet(text, "South China Morning Post")
    assert "South China Morning Post" in marked_texts(snip)
    assert body_of(snip).replace("\n", " ") in text.replace("\n", " ")


def test_no_match_gives_start_of_text():
    snip = snippet(LONG, "chim cánh cụt", max_chars=100)
    assert snip.highlights == []
    assert LONG.startswith(body_of(snip))
    assert not snip.text.startswith("…") and snip.text.endswith("…")


def test_whole_keeps_title():
    title = "Quảng Đông thúc đẩy chiến lược \"AI cộng\" trong toàn bộ nền kinh tế 2.000 tỷ USD. " * 5
    snip = highlighter("quang dong").snippet(title, max_chars=50, whole=True)
    assert snip.text == title
    assert marked_texts(snip) == ["Quảng Đông"] * 5


def test_empty_text():
    snip = snippet("", "bão")
    assert snip.text == "" and snip.highlights == []


def test_highlighter_built_from_sequences_marks_like_for_query():
    # The syllables worth a closer look are worked out by the constructor, so a
    # Highlighter built directly (not through for_query) finds them too.
    direct = Highlighter([["tri", "tue", "nhan", "tao"], ["ha", "noi"]]).snippet(LONG, max_chars=120)
    assert marked_texts(direct) == ["Trí Tuệ Nhân Tạo", "Hà Nội"]
    assert direct == snippet(LONG, "tri tue nhan tao ha noi", max_chars=120)
    assert Highlighter([]).snippet(LONG, max_chars=50).highlights == []


# --- output formats ------------------------------------------------------------------------


def test_html_escapes_and_wraps_mark():
    text = "Tin <script>alert('x')</script> về trí tuệ nhân tạo & AI"
    snip = snippet(text, "trí tuệ")
    out = snip.html()
    assert "<script>" not in out and "</script>" not in out
    assert "&lt;script&gt;" in out and "&amp;" in out
    assert "<mark>trí tuệ</mark>" in out
    assert out.count("<mark>") == out.count("</mark>") == 1


def test_html_escapes_inside_highlight():
    snip = snippet("a <script>x</script> b", "script")
    out = snip.html()
    assert "<script>" not in out
    assert "&lt;<mark>script</mark>&gt;" in out


def test_html_custom_tag_and_marked():
    snip = snippet("Giá vàng tăng, vàng SJC giảm", "vàng")
    assert snip.html("b") == "Giá <b>vàng</b> tăng, <b>vàng</b> SJC giảm"
    assert snip.marked("[", "]") == "Giá [vàng] tăng, [vàng] SJC giảm"
    assert str(snip) == snip.plain() == "Giá vàng tăng, vàng SJC giảm"


def test_to_dict():
    snip = snippet("Giá vàng tăng", "vàng")
    assert snip.to_dict() == {"text": "Giá vàng tăng", "highlights": [[4, 8]]}


def test_adjacent_query_words_merge_into_one_highlight():
    snip = snippet("Ngành trí tuệ nhân tạo Việt Nam", "trí tuệ nhân tạo")
    assert snip.highlights == [(6, 22)]


# --- unsafe characters -----------------------------------------------------------------------


def test_control_characters_never_reach_snippet():
    text = ("Tin\x1b[31m nóng\x1b[0m\x07 về trí\x00 tuệ nhân tạo\r\nvà\x85 AI\u2028mới\x7f. "
            + "Thêm nội dung trí tuệ nhân tạo. " * 20)
    for max_chars in (60, 240, 2000):
        snip = snippet(text, "trí tuệ nhân tạo", max_chars=max_chars)
        assert not UNSAFE.search(snip.text), repr(snip.text)
        assert "\x1b" not in snip.html() and "\x1b" not in snip.marked("<", ">")
        assert snip.highlights
        for t in marked_texts(snip):
            assert set(folded(t).split()) <= {"tri", "tue", "nhan", "tao"}, t


def test_control_characters_keep_offsets_right():
    text = "\x1b[1mCảnh báo\x1b[0m: bão số 3 đổ bộ Quảng Ninh"
    snip = snippet(text, "Quảng Ninh")
    assert len(snip.text) == len(text)  # replaced one for one
    assert marked_texts(snip) == ["Quảng Ninh"]
    assert snip.text.index("Quảng") == text.index("Quảng")


def test_highlight_offsets_match_tokenizer_offsets():
    text = "Thủy điện Hoà Bình xả lũ; hoà bình lập lại."
    snip = snippet(text, "hoa binh")
    spans = [(t.start, t.end) for t in syllables(text) if folded(t.text) in {"hoa", "binh"}]
    assert snip.highlights == [(spans[0][0], spans[1][1]), (spans[2][0], spans[3][1])]
