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
    find_syllables,
    matching_syllables,
    syllable_finder,
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
            start, end = offsets[start], _end_in_original(text, offsets[end - 1], offsets[end])
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


def _adjacent(found: list[tuple[int, Token]]) -> list[bool]:
    return [b[0] == a[0] + 1 for a, b in zip(found, found[1:])]


def check_find(text: str, wanted: set[str], parts: bool) -> None:
    got = find_syllables(text, wanted, syllable_finder(wanted), parts)
    want = matching_syllables(text, wanted, parts)
    if got is None:  # it says when it cannot tell; the caller then tokenizes
        return
    assert [t for _, t in got] == [t for _, t in want], (text, wanted)
    assert _adjacent(got) == _adjacent(want), (text, wanted)
    assert [o for o, _ in got] == sorted({o for o, _ in got})


@pytest.mark.parametrize("parts", [False, True])
def test_find_syllables_same_tokens_and_neighbours(parts: bool) -> None:
    for text in TEXTS:
        for wanted in WANTED:
            check_find(text, wanted, parts)
    rng = random.Random(9)
    text = " ".join(TEXTS) * 2
    words = [_folded_lower(t.text) for t in syllables(text)]
    for _ in range(50):
        check_find(text, set(rng.sample(words, 3)), parts)
    # Parts of joined tokens and numbers: "19" alone is no token of "COVID-19", "2" none of "2.000".
    check_find("COVID-19 và 2.000 ca, 19 người", {"19", "2", "covid"}, parts)
    check_find("a.b.c a-b a'b 10/2/2020 x", {"a", "b", "c", "2", "2020", "10/2/2020"}, parts)


def test_find_syllables_says_when_it_cannot_tell() -> None:
    assert find_syllables("ΟΔΟΣ và nhà", {"nha"}, syllable_finder({"nha"})) is None  # sigma
    assert find_syllables("x\u0301 nhà", {"nha"}, syllable_finder({"nha"})) is None  # a lone mark folds away
    check_find("İstanbul nhà", {"nha", "istanbul"}, True)  # "İ" lowers to two characters, the second folds away
    assert find_syllables("nhà", set(), syllable_finder(set())) == []


def test_snippets_unchanged_by_the_finder() -> None:
    from vnsearch.search.highlight import Highlighter, _matching_with_parts
    from vnsearch.search.query import parse_query

    text = " ".join(TEXTS) * 4
    for query in ("ha noi covid", "hoà bình thuỷ điện", '"covid 19" 2.000', "chữ Hán tab", "e-mail mong"):
        h = Highlighter.for_query(parse_query(query))
        slow = h.marks(_matching_with_parts(text, h._wanted))
        fast = h.marks(_matching_with_parts(text, h._wanted, h._finder))
        assert [t for _, t in fast] == [t for _, t in slow]
        assert h.snippet(text, 200) == h.snippet(text, 200)  # deterministic
        assert slow  # every query finds something in the text
