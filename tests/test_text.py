"""Tests for vnsearch.lang.text: NFC/NFD, invisible characters, tone placement, folding."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vnsearch.lang.text import canonical, fold_all, fold_tone, has_diacritics, place_tone, prepare

NFD = lambda s: unicodedata.normalize("NFD", s)
NFC = lambda s: unicodedata.normalize("NFC", s)
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad"


def check_offsets(original: str, clean: str, offsets: list[int] | None) -> None:
    """Each clean character comes from the original characters its offsets point at."""
    if offsets is None:
        assert clean == original
        return
    assert len(offsets) == len(clean) + 1
    assert offsets[-1] == len(original)
    assert offsets == sorted(offsets), "offsets must not go backwards"
    for i, ch in enumerate(clean):
        piece = original[offsets[i]:offsets[i + 1]]
        visible = "".join(c for c in piece if c not in INVISIBLE)
        if offsets[i] == offsets[i + 1]:
            continue  # one original cluster composed into several characters
        # An NFD cluster composes to exactly this character; odd spaces and
        # control characters became " ".
        blank = all(c.isspace() or unicodedata.category(c) == "Cc" for c in visible)
        assert NFC(visible) == ch or (ch == " " and blank), (i, ch, piece)


# --- prepare: NFC and the offset map ------------------------------------------


def test_prepare_nfd_equals_nfc():
    text = "Trí tuệ nhân tạo ở Hà Nội và Đà Nẵng: người dân được hưởng lợi."
    decomposed = NFD(text)
    assert decomposed != text and len(decomposed) > len(text)
    clean, offsets = prepare(decomposed)
    assert clean == text
    assert offsets is not None
    check_offsets(decomposed, clean, offsets)


def test_prepare_nfd_offsets_map_words_back():
    text = NFD("Thủ đô Hà Nội")
    clean, offsets = prepare(text)
    start = clean.index("Hà Nội")
    end = start + len("Hà Nội")
    original = text[offsets[start]:offsets[end]]
    assert original == NFD("Hà Nội")  # the reader's characters, untouched


def test_prepare_plain_nfc_text_needs_no_map():
    text = "Quảng Đông, trung tâm sản xuất của Trung Quốc."
    assert prepare(text) == (text, None)
    assert prepare("plain ascii text") == ("plain ascii text", None)


def test_prepare_removes_zero_width_characters_with_offsets():
    text = "Nh\u200bà máy\ufeff điện\u200c Hòa\u2060 Bình"
    clean, offsets = prepare(text)
    assert clean == "Nhà máy điện Hòa Bình"
    check_offsets(text, clean, offsets)
    # Every visible character maps to itself in the original.
    for i, ch in enumerate(clean):
        assert text[offsets[i]] == ch
    start = clean.index("Hòa")
    assert text[offsets[start]:offsets[start] + 3] == "Hòa"


def test_prepare_mixed_nfd_and_zero_width():
    text = "\ufeff" + NFD("Đà") + "\u200b " + NFD("Nẵng")
    clean, offsets = prepare(text)
    assert clean == "Đà Nẵng"
    check_offsets(text, clean, offsets)
    assert text[offsets[0]] == "Đ"  # the BOM was skipped, not mapped


def test_prepare_control_characters_become_spaces():
    text = "Tin\x1b[31m nóng\x07 hôm\x00nay"
    clean, offsets = prepare(text)
    assert "\x1b" not in clean and "\x07" not in clean and "\x00" not in clean
    assert len(clean) == len(text)  # replaced one for one, so offsets stay simple
    check_offsets(text, clean, offsets)
    assert clean.split() == ["Tin", "[31m", "nóng", "hôm", "nay"]


def test_prepare_keeps_newlines_and_tabs():
    text = NFD("dòng một\ndòng\thai")
    clean, _ = prepare(text)
    assert clean == "dòng một\ndòng\thai"


def test_prepare_odd_spaces_become_plain_spaces():
    text = "Hà\u00a0Nội\u202fmùa\u3000thu"
    clean, offsets = prepare(text)
    assert clean == "Hà Nội mùa thu"
    check_offsets(text, clean, offsets)


_letters = st.sampled_from(list("aăâeêioôơuưyđbcdghklmnpqrstvx ") + ["à", "ệ", "ở", "ữ", "ý", "Đ", "Ấ", ",", "."])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_letters, st.sampled_from(["", "\u200b", "\ufeff", "\u00ad"])), max_size=40),
       st.booleans())
def test_prepare_offsets_property(parts, decompose):
    plain = "".join(ch for ch, _ in parts)
    text = "".join((NFD(ch) if decompose else ch) + inv for ch, inv in parts)
    clean, offsets = prepare(text)
    assert clean == NFC(plain)
    check_offsets(text, clean, offsets)


# --- tone placement -------------------------------------------------------------


@pytest.mark.parametrize(
    "new_style, old_style",
    [("hòa", "hoà"), ("thủy", "thuỷ"), ("khỏe", "khoẻ"), ("Hòa", "Hoà"), ("HÒA", "HOÀ"),
     ("Thủy", "Thuỷ"), ("ủy", "uỷ"), ("tùy", "tuỳ"), ("hóa", "hoá"), ("họa", "hoạ"), ("xòe", "xoè")],
)
def test_place_tone_moves_old_style_marks(new_style, old_style):
    assert place_tone(old_style) == new_style
    assert place_tone(new_style) == new_style
    assert canonical(old_style) == canonical(new_style) == new_style.lower()


@pytest.mark.parametrize(
    "word",
    ["quý", "Quý", "giữa", "thuyền", "hoàng", "toán", "ngoài", "khuya", "mùa", "thuở", "quỳnh", "giường", "người"],
)
def test_place_tone_leaves_canonical_syllables(word):
    assert place_tone(word) == word


@pytest.mark.parametrize("word", ["café", "iPhone", "hello", "COVID-19", "2.000", "résumé", ""])
def test_place_tone_leaves_non_vietnamese(word):
    assert place_tone(word) == word


def test_place_tone_mark_on_qu_gi_letter():
    assert place_tone("qúy") == "quý"
    assert place_tone("qủa") == "quả"
    assert place_tone("gìa") == "già"


def test_canonical_handles_nfd_input():
    assert canonical(NFD("Hoà")) == "hòa"
    assert canonical(NFD("THUỶ")) == "thủy"
    assert canonical(NFD("Trường")) == "trường"


# --- folding -----------------------------------------------------------------------


def test_fold_all_d_and_diacritics():
    assert fold_all("đ") == "d"
    assert fold_all("Đ") == "D"
    assert fold_all("Đà Nẵng") == "Da Nang"
    assert fold_all("ĐÀ NẴNG") == "DA NANG"
    assert fold_all("Nguyễn Thị Hồng Nhung") == "Nguyen Thi Hong Nhung"
    assert fold_all("trường đại học") == "truong dai hoc"
    assert fold_all("café") == "cafe"


def test_fold_all_of_nfc_and_old_style_agree():
    assert fold_all("hoà") == fold_all("hòa") == "hoa"
    assert fold_all("thuỷ") == fold_all("thủy") == "thuy"


def test_fold_tone_keeps_letter_marks():
    assert fold_tone("ặ ấ ề ổ ợ ừ đ") == "ă â ê ô ơ ư đ"
    assert fold_tone("ẶẤỀỔỢỪĐ") == "ĂÂÊÔƠƯĐ"
    assert fold_tone("Đà Nẵng") == "Đa Năng"
    assert fold_tone("trường") == "trương"
    assert fold_tone("ă â ê ô ơ ư đ") == "ă â ê ô ơ ư đ"
    assert fold_tone("à á ả ã ạ") == "a a a a a"


def test_has_diacritics():
    assert has_diacritics("đi")
    assert has_diacritics("Hà")
    assert not has_diacritics("ha noi")
    assert not has_diacritics("COVID-19")
