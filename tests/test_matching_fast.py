"""matching_syllables (one findall, folded in bulk) against the token-by-token loop it replaced."""

from __future__ import annotations

import random

import pytest

from vnsearch.lang.analysis import (
    _TOKEN,
    Token,
    _cased_canonical,
    _end_in_original,
    _folded_lower,
    _has_wanted_part,
    matching_syllables,
    syllables,
)
from vnsearch.lang.text import fold_lower_text, prepare


def reference(text: str, wanted: set[str], parts: bool = False) -> list[tuple[int, Token]]:
    """The former implementation: every token through Python."""
    clean, offsets = prepare(text)
    found = []
    ordinal = -1
    for m in _TOKEN.finditer(clean):
        if m.lastgroup == "punct":
            continue
        ordinal += 1
        tok = m.group()
        folded = _folded_lower(tok)
        if folded not in wanted and not (
                parts and ("-" in tok or "'" in tok or "’" in tok) and _has_wanted_part(folded, wanted)):
            continue
        start, end = m.span()
        if offsets is not None:
            start, end = offsets[start], _end_in_original(text, offsets[end - 1])
        found.append((ordinal, Token(_cased_canonical(tok), start, end, True)))
    return found


TEXTS = [
    "Hà Nội: giá vàng tăng 2.000 đồng, COVID-19 lan ở TP.HCM (10/2, 19h30)",
    "Hoà bình, THUỶ điện, khoẻ mạnh; Hòa Bình và hoà",
    "Ha\u0300 No\u0302\u0323i ca\u0301c quận",  # decomposed marks: offsets map back
    "İstanbul ΣΟΦΟΣ straße ﬁnal café naïve Đà Nẵng đường",
    "a\u200bb soft\u00adhyphen e-mail H'Mông H’Mông l'été _x_ 43% 14,6",
    "🙂 emoji, 中文 chữ Hán, tab\tand\nnewline\x07bell, 𝐀bc ǅemal ﬁx Ǆ",
    "",
    "... --- ;;;",
]
WANTED = [
    {"ha", "noi", "covid", "19", "2.000", "10/2", "19h30"},
    {"hoa", "thuy", "khoe", "binh"},
    {"istanbul", "σοφος", "strasse", "straße", "final", "cafe", "naive", "da", "nang", "duong"},
    {"mail", "mong", "ete", "x", "43%", "14,6", "chu", "han", "tab", "and", "newline", "bell", "ab"},
]


@pytest.mark.parametrize("parts", [False, True])
def test_same_as_token_loop(parts: bool) -> None:
    for text in TEXTS:
        for wanted in WANTED:
            assert matching_syllables(text, wanted, parts) == reference(text, wanted, parts), (text, wanted)


def test_same_on_random_wanted_sets() -> None:
    rng = random.Random(5)
    text = " ".join(TEXTS) * 3
    words = [_folded_lower(t.text) for t in syllables(text)]
    for _ in range(50):
        wanted = set(rng.sample(words, 4))
        for parts in (False, True):
            got = matching_syllables(text, wanted, parts)
            assert got == reference(text, wanted, parts)
    assert got  # the sets are drawn from the text: something is found


def test_fold_lower_text_folds_each_token_as_alone() -> None:
    for text in TEXTS:
        words = [t.text for t in syllables(text)]
        if words:
            assert fold_lower_text("\x00".join(words)).split("\x00") == [_folded_lower(w) for w in words]
    assert fold_lower_text("Đà NẴNG Hoà") == "da nang hoa"
    assert fold_lower_text("i\u0307 ca\u0301fe\u0301") == "i cafe"  # lone marks dropped
