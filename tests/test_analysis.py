"""Tests for vnsearch.lang.analysis: tokens with offsets into the original text, words, positions."""

from __future__ import annotations

import unicodedata

import pytest
from conftest import SEEDS, read_corpus_lines

from vnsearch.lang.analysis import WORD_JOINER, add_terms, analyze, iter_ngrams, query_syllables, syllables, tokenize
from vnsearch.lang.text import fold_all

NFD = lambda s: unicodedata.normalize("NFD", s)
NFC = lambda s: unicodedata.normalize("NFC", s)
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad"

SENTENCE = ("Các quan chức tại Quảng Đông cam kết mở rộng ứng dụng trí tuệ nhân tạo (AI) trên toàn bộ "
            "nền kinh tế trị giá 2.000 tỷ USD. Bắc Kinh khởi động chiến lược \"AI cộng\".")


def terms(analysis, weight: float = 1.0, offset: int = 0) -> tuple[dict, dict]:
    """The exact and folded term maps of one zone: term -> [weight, count, positions]."""
    exact: dict = {}
    folded: dict = {}
    add_terms(analysis, exact, folded, weight, offset)
    return exact, folded


def words_of(text: str) -> list[str]:
    return [t.text for t in syllables(text)]


def assert_slices_are_tokens(original: str) -> None:
    """Every token's span in the original text is that token, as the reader wrote it."""
    tokens = tokenize(original)
    assert tokens
    for tok in tokens:
        piece = original[tok.start:tok.end]
        visible = "".join(c for c in piece if c not in INVISIBLE)
        assert NFC(visible) == tok.text, (tok, piece)


# --- numbers and mixed tokens ------------------------------------------------------


@pytest.mark.parametrize("token", ["2.000", "14,6", "43%", "COVID-19", "AI", "USD", "2.110", "19h30", "H'Mông"])
def test_numbers_and_mixed_tokens_stay_whole(token):
    text = f"Trước đó {token} được nhắc tới."
    assert words_of(text) == ["Trước", "đó", token, "được", "nhắc", "tới"]


def test_numbers_in_seed_article_stay_whole():
    text = (SEEDS / "000_025c0ae66d126e11.txt").read_text("utf-8")
    words = words_of(text)
    for token in ["2.000", "14,6", "2.110", "43%", "USD", "AI", "2025", "GAC"]:
        assert token in words, token
    # Thousands separators and decimal commas never split a number into pieces.
    assert "000" not in words and "6" not in words


def test_number_followed_by_punctuation():
    assert words_of("tăng 6,2%, đạt 5.000.") == ["tăng", "6,2%", "đạt", "5.000"]


def test_punctuation_is_kept_but_not_a_syllable():
    tokens = tokenize('Hà Nội, "AI cộng".')
    assert [t.text for t in tokens if not t.is_word] == [",", '"', '"', "."]
    assert [t.text for t in tokens if t.is_word] == ["Hà", "Nội", "AI", "cộng"]


# --- offsets into the original text ---------------------------------------------


def test_token_slices_nfc_text():
    text = "Ông Tần Vĩ Trung (Thâm Quyến) nói: tăng 43% — COVID-19 đã qua."
    assert_slices_are_tokens(text)
    for tok in tokenize(text):
        assert text[tok.start:tok.end] == tok.text


def test_token_slices_nfd_text():
    text = NFD(SENTENCE)
    assert text != SENTENCE
    assert_slices_are_tokens(text)
    tokens = syllables(text)
    assert [t.text for t in tokens] == words_of(SENTENCE)
    for tok in tokens:
        # The slice is the reader's own (decomposed) spelling of the token.
        assert text[tok.start:tok.end] == NFD(tok.text)


def test_token_slices_keep_old_style_tone_as_written():
    text = "Hoà bình và thuỷ điện"
    tokens = syllables(text)
    assert [t.text for t in tokens] == ["Hòa", "bình", "và", "thủy", "điện"]  # canonical spelling, case kept
    assert [text[t.start:t.end] for t in tokens] == ["Hoà", "bình", "và", "thuỷ", "điện"]  # original spelling


def test_token_slices_with_zero_width_inside_words():
    text = "Nh\u200bà máy đi\ufeffện Hòa\u2060Bình"
    tokens = syllables(text)
    assert [t.text for t in tokens][:3] == ["Nhà", "máy", "điện"]
    assert_slices_are_tokens(text)
    assert text[tokens[0].start:tokens[0].end] == "Nh\u200bà"


def test_token_end_excludes_trailing_zero_width_character():
    text = "Hà\u200b Nội\ufeff là thủ đô"
    tokens = syllables(text)
    assert [text[t.start:t.end] for t in tokens] == ["Hà", "Nội", "là", "thủ", "đô"]


def test_token_slices_nfd_with_zero_width():
    text = "\ufeff" + NFD("Trí tuệ") + " nh\u200b" + NFD("ân tạo") + " 2.000 tỷ USD"
    tokens = syllables(text)
    assert [t.text for t in tokens] == ["Trí", "tuệ", "nhân", "tạo", "2.000", "tỷ", "USD"]
    assert_slices_are_tokens(text)
    assert text[tokens[0].start] == "T"  # the leading BOM is not part of the first token


def test_token_slices_of_real_nfd_record():
    # news-b record 168 is one of the corpus's few decomposed (NFD) texts.
    (record,) = read_corpus_lines("news-b.jsonl.gz", 167, 168)
    body = record["body"]
    assert not unicodedata.is_normalized("NFC", body)
    assert_slices_are_tokens(body)
    tokens = syllables(body)
    nfd_tokens = [t for t in tokens if body[t.start:t.end] != t.text]
    assert nfd_tokens, "the record's decomposed words should be found"
    assert "huyện" in {t.text for t in nfd_tokens}


# --- the segmenter and positions ----------------------------------------------------


def test_segmenter_joins_words(segmenter):
    result = analyze(SENTENCE, segmenter)
    words = {result.word_text(p, n) for p, n in result.words}
    assert {"bắc kinh", "trí tuệ", "quảng đông"} <= words
    assert WORD_JOINER.join(["bắc", "kinh"]) in words


def test_word_position_is_first_syllable(segmenter):
    result = analyze(SENTENCE, segmenter)
    assert result.words
    for pos, n in result.words:
        assert n >= 2
        assert pos + n <= len(result.syllables)
    by_text = {result.word_text(p, n): p for p, n in result.words}
    pos = by_text["bắc kinh"]
    assert [result.syllables[pos].text, result.syllables[pos + 1].text] == ["Bắc", "Kinh"]
    pos = by_text["trí tuệ"]
    assert [result.syllables[pos].text, result.syllables[pos + 1].text] == ["trí", "tuệ"]


def test_folded_positions_line_up_with_syllables(segmenter):
    result = analyze(SENTENCE, segmenter)
    exact, folded = terms(result)
    # Positions count syllables only: punctuation takes no position.
    assert folded["quang"][2] == [4]
    assert 5 in folded["dong"][2]
    assert folded["ai"][2] == [16, 34]  # "(AI)" and "AI cộng"
    pos_tri = folded["tri"][2][0]
    assert folded["tue"][2] == [pos_tri + 1]
    # Each folded term's positions are exactly the syllables that fold to it.
    for term, (_, count, positions) in folded.items():
        assert [fold_all(result.exact(p)) for p in positions] == [term] * count
    # A word sits at the position of its first syllable.
    by_text = {result.word_text(p, n): p for p, n in result.words}
    assert by_text["quảng đông"] == 4
    assert by_text["trí tuệ"] == pos_tri
    assert by_text["bắc kinh"] == folded["bac"][2][0]


def test_exact_terms_hold_syllables_and_words(segmenter):
    result = analyze(SENTENCE, segmenter)
    exact, folded = terms(result)
    for w in ["quảng đông", "trí tuệ", "bắc kinh", "quảng", "đông", "2.000", "usd", "ai"]:
        assert w in exact, w
    assert exact["ai"][1] == 2 and exact["bắc kinh"][1] == 1
    # Words are exact-tier only; the folded field holds syllables.
    assert "quang dong" not in folded and all(" " not in t for t in folded)
    assert sum(count for _, count, _ in folded.values()) == len(result.syllables)


def test_add_terms_weights_and_offsets(segmenter):
    title = analyze("Bắc Kinh và AI", segmenter)
    body = analyze("AI ở Bắc Kinh", segmenter)
    exact: dict = {}
    folded: dict = {}
    add_terms(title, exact, folded, 3.0, 0)
    add_terms(body, exact, folded, 1.0, 1000)
    assert folded["ai"][:2] == [4.0, 2]
    assert folded["ai"][2] == [3, 1000]  # the body's positions start at its offset
    assert folded["bac"][2] == [0, 1002]
    assert exact["ai"][:2] == [4.0, 2]


def test_iter_ngrams():
    assert list(iter_ngrams(["trí", "tuệ", "nhân"], (2, 3))) == [
        (0, 2, "trí tuệ"), (1, 2, "tuệ nhân"), (0, 3, "trí tuệ nhân")]


def test_segmented_seed_article_positions(segmenter):
    text = (SEEDS / "000_025c0ae66d126e11.txt").read_text("utf-8")
    result = analyze(text, segmenter)
    words = [result.word_text(p, n) for p, n in result.words]
    for w in ["bắc kinh", "trí tuệ", "nhân tạo", "quảng đông", "trung quốc", "thâm quyến"]:
        assert w in words, w
    # Words are in order, do not overlap, and each spans consecutive syllables of the text.
    last_end = 0
    for pos, n in result.words:
        assert pos >= last_end
        last_end = pos + n
        first, last = result.syllables[pos], result.syllables[pos + n - 1]
        assert first.start < last.end
        assert text[first.start:last.end].lower().split() == [result.exact(p) for p in range(pos, pos + n)]


def test_nfd_text_analyses_like_nfc(segmenter):
    nfc = analyze(SENTENCE, segmenter)
    nfd = analyze(NFD(SENTENCE), segmenter)
    assert [t.text for t in nfd.syllables] == [t.text for t in nfc.syllables]
    assert nfd.words == nfc.words
    assert terms(nfd) == terms(nfc)


def test_old_style_tones_index_like_new_style(segmenter):
    old = terms(analyze("Hoà Bình có thuỷ điện, khoẻ mạnh.", segmenter))[0]
    new = terms(analyze("Hòa Bình có thủy điện, khỏe mạnh.", segmenter))[0]
    assert old == new
    assert "hòa" in old and "hoà" not in old


def test_analyze_without_segmenter_has_no_words():
    result = analyze(SENTENCE)
    assert result.words == []
    assert len(result.syllables) == len(words_of(SENTENCE))


def test_query_syllables_are_canonical_lower_case():
    assert query_syllables("TRÍ TUỆ Nhân tạo") == ["trí", "tuệ", "nhân", "tạo"]
    assert query_syllables(NFD("trí tuệ")) == ["trí", "tuệ"]
    assert query_syllables("Hoà thuỷ") == ["hòa", "thủy"]
    assert query_syllables("COVID-19, 2.000!") == ["covid-19", "2.000"]
