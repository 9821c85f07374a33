"""The faster snippet path against the code it replaced, on tricky text.

Each reference below is the former implementation, kept here verbatim in
substance: the snippet (text and highlights) must come out the same.
"""

from __future__ import annotations

import random
import re
import unicodedata

import pytest

from vnsearch import caps
from vnsearch.lang import text as text_module
from vnsearch.lang.analysis import (
    Token,
    _folded_lower,
    find_syllables,
    find_syllables_many,
    matching_syllables,
    syllable_finder,
    syllables,
)
from vnsearch.lang.text import (
    _CharFolds,
    _fold_chars,
    canonical,
    fold_all,
    fold_lower_chars,
    fold_lower_text,
    has_diacritics,
    is_prepared,
    prepare,
    prepared_and_folded,
    spaced_fold,
)
from vnsearch.search.collect import build_hit
from vnsearch.search.highlight import _FIND_FROM, Highlighter, Snippet, _build, _cut, _matching_with_parts
from vnsearch.search.query import parse_query

# Words next to every kind of neighbour the finder's shortcut has to tell apart.
TRICKY = [
    "Hà Nội, 2.000 đồng. 2,5% (Nội) “Nội” Nội-Bài Nội's, Nội., Nội:Hà 10/2 a.b Nội,Hà Nội,2 Nội.",
    "Nội",
    ",Nội,",
    "Nội%, 43% nội/ngoại nội / ngoại Nội:: Nội,, Nội.. Nội,. nội-, -nội 'nội' ’nội’",
    "hoa hoà hoa-hồng ahoa hoaa hoa2 2hoa hoa_x x_hoa hoa\u00adhoa hoa\u200bhoa",
    "HOÀ BÌNH, Hoà Bình; hòa bình: HÒA-BÌNH, hoà.bình hoà,bình hoà/bình",
    "Ha\u0300 No\u0302\u0323i, ca\u0301c quận Ha\u0300 No\u0302\u0323i",  # decomposed: offsets map back
    "İstanbul và İzmir, ΟΔΟΣ và nhà, straße und ﬁnal, Kelvin \u212a và Å \u212b",
    "trí tuệ nhân tạo, đào tạo; trí tuệ, nhân tạo. Trí Tuệ Nhân Tạo!",
    "COVID-19 và covid 19, Covid-19's, covid-19-20, 19-covid, 2019-nCoV",
    "tab\tnội\nnội\r\nnội\x07nội\u2028nội\u202enội",
    "𝐀bc nội 🙂 nội 中文 nội ǅemal nội",
    "a " * 50 + "b a b a",
]


def _old_marks(h: Highlighter, found: list[tuple[int, Token]]) -> list[tuple[int, Token]]:
    if not found:
        return []
    marked: dict[int, Token] = {}
    by_ordinal = dict(found)
    forms = {o: (canonical(t.text), fold_all(canonical(t.text))) for o, t in found}
    for seq in h.sequences:
        slots: dict[tuple[bool, str], list[int]] = {}
        for k, q in enumerate(seq):
            slots.setdefault((has_diacritics(q), q), []).append(k)
        hits = {o: slots.get((True, e), []) + slots.get((False, f), []) for o, (e, f) in forms.items()}
        if len(seq) == 1:
            marked.update((o, by_ordinal[o]) for o, h_ in hits.items() if h_)
            continue
        any_run = False
        for o, ks in hits.items():
            for k in ks:
                j = 1
                while k + j < len(seq) and (k + j) in hits.get(o + j, ()):
                    j += 1
                if j >= 2:
                    marked.update((o + i, by_ordinal[o + i]) for i in range(j))
                    any_run = True
        if not any_run:
            marked.update((o, by_ordinal[o]) for o, h_ in hits.items() if h_)
    return sorted(marked.items())


def _old_found(text: str, wanted: set[str]) -> list[tuple[int, Token]]:
    """The former _matching_with_parts: every text tokenized whole, every token's forms worked out."""
    from vnsearch.lang.analysis import JOINS

    out: list[tuple[int, Token]] = []
    for ordinal, tok in matching_syllables(text, wanted, parts=True):
        whole = fold_all(canonical(tok.text))
        if whole in wanted:
            out.append((ordinal, tok))
            continue
        parts = JOINS.split(whole)
        pieces = JOINS.split(tok.text)
        first = next(i for i, part in enumerate(parts) if part in wanted)
        if all(part in wanted for part in parts) or tok.end - tok.start != len(tok.text):
            out.append((ordinal, Token(pieces[first], tok.start, tok.end, True)))
            continue
        at = sum(len(piece) + 1 for piece in pieces[:first])
        out.append((ordinal, Token(pieces[first], tok.start + at, tok.start + at + len(pieces[first]), True)))
    return out


def _old_snippet(h: Highlighter, text: str, max_chars: int = 240, whole: bool = False) -> Snippet:
    if not text:
        return Snippet("")
    scanned = text[: caps.SNIPPET_SCAN_CHARS]
    hits = _old_marks(h, _old_found(scanned, h._wanted))
    if whole or len(text) <= max_chars:
        return _build(text, 0, len(scanned), hits)
    if not hits:
        return _build(text, 0, _cut(text, 0, max_chars), [])
    best, best_score = 0, -1.0
    j = 0
    for i, (_, first) in enumerate(hits):
        limit = first.start + max_chars
        j = max(j, i)
        while j + 1 < len(hits) and hits[j + 1][1].end <= limit:
            j += 1
        window = hits[i: j + 1]
        distinct = len({fold_all(t.text.lower()) for _, t in window})
        adjacent = sum(1 for (a, _), (b, _) in zip(window, window[1:]) if b == a + 1)
        score = distinct * 4 + adjacent * 2 + len(window)
        if score > best_score:
            best, best_score = i, score
    first_start = hits[best][1].start
    start = max(0, first_start - max_chars // 5)
    if start > 0:
        space = text.find(" ", start, first_start)
        start = space + 1 if space != -1 else first_start
    return _build(text, start, _cut(text, start, max_chars), hits)


def _adjacent(found: list[tuple[int, Token]]) -> list[bool]:
    return [b[0] == a[0] + 1 for a, b in zip(found, found[1:])]


def _wanted_sets(text: str, rng: random.Random, count: int) -> list[set[str]]:
    words = sorted({_folded_lower(t.text) for t in syllables(text)}) or ["x"]
    pieces = sorted({p for w in words for p in re.split(r"[^\w]|_", w) if p})  # "43" of "43%", "19" of "covid-19"
    return [set(rng.sample(words + pieces, min(len(words + pieces), rng.randint(1, 5)))) for _ in range(count)]


@pytest.mark.parametrize("parts", [False, True])
def test_find_syllables_same_tokens_and_neighbours_on_tricky_text(parts: bool) -> None:
    rng = random.Random(17)
    for text in TRICKY + [" ".join(TRICKY)]:
        for wanted in _wanted_sets(text, rng, 40):
            got = find_syllables(text, wanted, syllable_finder(wanted), parts)
            if got is None:  # it says when it cannot tell (Σ, marks folded away)
                continue
            want = matching_syllables(text, wanted, parts)
            assert [t for _, t in got] == [t for _, t in want], (text, wanted)
            assert _adjacent(got) == _adjacent(want), (text, wanted)


def test_finder_without_lookbehind_only_for_plain_words() -> None:
    plain = syllable_finder({"hoa", "a", "19"})
    assert plain is not None and not plain.pattern.startswith("(?<!")
    joined = syllable_finder({"hoa", "covid-19"})
    assert joined is not None and joined.pattern.startswith("(?<!")
    # The end of a longer word is matched by the plain finder and dropped by find_syllables.
    found = find_syllables("ahoa hoa hoahoa a hoa", {"hoa", "a"}, plain)
    assert found is not None
    assert [(t.text, t.start) for _, t in found] == [("hoa", 5), ("a", 16), ("hoa", 18)]
    assert _adjacent(found) == [False, True]


def _old_finder(wanted: set[str]) -> re.Pattern[str] | None:
    """The former syllable_finder: the words listed, longest first."""
    words = sorted({w for w in wanted if w}, key=len, reverse=True)
    if not words:
        return None
    alternatives = "(?:" + "|".join(map(re.escape, words)) + r")(?![^\W_])"
    if all(w.isalnum() for w in words):
        return re.compile(alternatives)
    return re.compile(r"(?<![^\W_])" + alternatives)


def test_finder_as_a_letter_tree_finds_what_the_list_found() -> None:
    """Words sharing beginnings ("ng", "nga", "ngay"), a word ending another, digits, very long words."""
    rng = random.Random(23)
    extra = ["ng", "nga", "ngay", "ngu", "nguoi", "a", "an", "anh", "h", "ha", "hanh", "2", "20", "2019",
             "covid", "19", "x" * 70, "x" * 65 + "y"]
    texts = TRICKY + [" ".join(TRICKY), "ngay nga ng nguoi nguoii anh an a hanh ha h 2019 20 2 " + "x" * 70,
                      "x" * 65 + "y " + "x" * 64 + " ngayngay nga-ngu ha.anh"]
    for text in texts:
        folded = fold_lower_text(prepare(text)[0])
        spaced = spaced_fold(prepare(text)[0])
        for wanted in _wanted_sets(text, rng, 30) + [set(rng.sample(extra, rng.randint(1, 8))) for _ in range(30)]:
            new, old = syllable_finder(wanted), _old_finder(wanted)
            assert (new is None) == (old is None)
            if new is None or old is None:
                continue
            words = [m.span() for m in old.finditer(folded) if not (m.start() and folded[m.start() - 1].isalnum())]
            if new.pattern.startswith(" "):  # searched in the spaced fold, a space before the text's first word
                if spaced is None:  # (not folded one for one: find_syllables cannot tell)
                    continue
                assert [(s - 1, e - 1) for s, e in (m.span(1) for m in new.finditer(" " + spaced))] == words, wanted
            else:
                assert [m.span() for m in new.finditer(folded)] == words, wanted
    tree = syllable_finder({"nga", "ngay", "ngu"})
    assert tree is not None and tree.pattern.startswith(" (ng(?:")


@pytest.mark.parametrize("query", ["hà nội", "ha noi", "nội", "hoa", "hoà bình", "trí tuệ nhân tạo", "tao",
                                   '"covid 19"', "covid", "19 2.000", "a b", "istanbul nha", "nội ngoại 2,5%",
                                   "khởi nghiệpp"])
def test_snippets_same_as_before_on_tricky_text(query: str) -> None:
    h = Highlighter.for_query(parse_query(query))
    long_text = " ".join(TRICKY) * 3
    for text in TRICKY + [long_text, long_text[:170], long_text[:900]]:
        for max_chars in (40, 240):
            assert h.snippet(text, max_chars) == _old_snippet(h, text, max_chars), (query, text[:40])
        assert h.snippet(text, whole=True) == _old_snippet(h, text, whole=True)
        if len(text) <= _FIND_FROM:  # tokenized whole, as before: the very same (position, token) pairs
            assert _matching_with_parts(text, h._wanted, h._finder) == _old_found(text, h._wanted)


def test_snippets_same_as_before_on_random_articles() -> None:
    rng = random.Random(4)
    vocabulary = [t.text for text in TRICKY for t in syllables(text)] + ["Hà", "Nội", "của", "và", "là"]
    glue = [" ", " ", " ", ", ", ". ", "-", " (", ") ", ": ", "\n", "%", "/"]
    for _ in range(60):
        text = "".join(rng.choice(vocabulary) + rng.choice(glue) for _ in range(rng.randint(5, 400)))
        query = " ".join(rng.sample(vocabulary, rng.randint(1, 4))).replace('"', "")
        h = Highlighter.for_query(parse_query(query))
        assert h.snippet(text, 240) == _old_snippet(h, text, 240), (query, text[:80])


def test_fold_lower_text_in_one_lookup_same_as_lowering_first() -> None:
    """Every character of the plane, alone and among Vietnamese words, folds as lowered-then-folded."""
    def reference(text: str) -> str:
        lowered = text.lower()
        if lowered.isascii():
            return lowered
        got = _CharFolds().fold(lowered)
        return got if got is not None else _fold_chars(lowered)

    chars = [chr(c) for c in range(0x20, 0x10000) if not 0xD800 <= c < 0xE000]
    for i in range(0, len(chars), 400):
        block = chars[i: i + 400]
        for text in ("".join(block), "Hà " + " ".join(block) + " Nội", " ".join(block) + " ΣΑΣ"):
            assert fold_lower_text(text) == reference(text), i
    for text in ("ΟΔΟΣ ΣΟΦΟΣ", "İstanbul", "\u212a", "ǅ ǈ", "ẞ ß", "Ω \u2126"):
        assert fold_lower_text(text) == reference(text)


def test_prepare_gate_same_as_both_checks() -> None:
    """prepare() scanning once for anything of its two checks gives what the two scans gave."""
    def reference(text: str) -> tuple[str, list[int] | None]:
        if text.isascii() and text.isprintable():
            return text, None
        if (not text_module._NEEDS_SLOW_PATH.search(text) and not text_module._LONG_MARK_RUN.search(text)
                and unicodedata.is_normalized("NFC", text)):
            return text, None
        saved = text_module._SUSPECT
        try:  # the slow path itself is unchanged: run it by making the gate always open
            text_module._SUSPECT = re.compile("(?s).")
            return prepare(text)
        finally:
            text_module._SUSPECT = saved

    samples = TRICKY + ["a" + "\u0301" * 40 + "b", "x\U0001d400\u0301y", "Å\u212b", "\u05d0\u05b0" * 20,
                        "\U000e0001 tag", "e\u0301" * 3, "\u00a0Hà", "ﬁ", "\u1100\u1161"]
    for text in samples:
        assert prepare(text) == reference(text), text


# Texts a page may hold next to each other: clean ones, and ones prepare() or folding must treat apart.
AWKWARD = ["", "Hà Nội\u00a0mưa", "Ha\u0300 Nội", "\u0301Nội đầu", "ΟΔΟΣ Nội", "İstanbul Nội", "Nội\n\nNội",
           "\u200bNội", "x\U0001d400 Nội", "Nội\u2028Nội", "\u1161 Nội", "Nội \u1100", "Å\u212b Nội", "xnội nội",
           "ahoa hoa", "Nội,", "nội-", "2.000"]


def test_texts_found_together_as_alone() -> None:
    """find_syllables_many gives each text what find_syllables gives it alone, whatever its neighbours."""
    rng = random.Random(29)
    pool = TRICKY + AWKWARD
    for _ in range(150):
        texts = [rng.choice(pool) for _ in range(rng.randint(1, 7))]
        joined = " ".join(texts)
        for wanted in _wanted_sets(joined, rng, 3) + [{"noi", "ha"}, set()]:
            finder = syllable_finder(wanted)
            for parts in (False, True):
                got = find_syllables_many(texts, wanted, finder, parts, known={})
                assert got == [find_syllables(t, wanted, finder, parts) for t in texts], (texts, wanted)


def test_quick_checks_of_joined_texts_hold_for_each() -> None:
    """What find_syllables_many relies on: a joined text clean as it is has clean parts, folded alike."""
    for a in TRICKY + AWKWARD:
        if is_prepared(a):
            assert prepare(a) == (a, None)
        folded = fold_lower_chars(a)
        if folded is not None:
            assert folded == fold_lower_text(a) and len(folded) == len(a)
        for b in TRICKY + AWKWARD:
            joined = a + "\n" + b
            if is_prepared(joined):
                assert is_prepared(a) and is_prepared(b)
            both = fold_lower_chars(joined)
            if both is not None:
                assert both == fold_lower_text(a) + "\n" + fold_lower_text(b)


def test_spaced_fold_is_the_fold_with_spaces_for_what_is_not_a_letter_or_digit(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Every character of the plane (tables filled as met, from fresh ones), and the texts above."""
    monkeypatch.setattr(text_module, "_char_folds", None)
    chars = [chr(c) for c in range(0x20, 0x10000) if not 0xD800 <= c < 0xE000]
    blocks = ["".join(chars[i: i + 400]) for i in range(0, len(chars), 400)]
    for text in blocks + [" ".join(block) for block in blocks] + TRICKY + AWKWARD + ["Hà Nội, 2.000 người", "a_b"]:
        folded = fold_lower_chars(text)
        spaced = spaced_fold(text)
        assert spaced == (None if folded is None else re.sub(r"[\W_]", " ", folded)), ascii(text[:40])
        prepared, got = prepared_and_folded(text, spaced=True)
        assert prepared == is_prepared(text)
        assert got == (spaced if prepared else None)


def _old_build_hit(fields: dict[str, str], h: Highlighter, chars: int) -> tuple[Snippet, Snippet]:
    """The former build_hit's passage and title: three snippets a hit, each text scanned alone."""
    best = None
    for zone in ("body", "lead"):
        text = fields.get(zone, "")[: caps.ANALYSED_CHARS]
        if not text:
            continue
        snip = _old_snippet(h, text, chars)
        if snip.highlights or best is None:
            if best is None or len(snip.highlights) > len(best.highlights):
                best = snip
    return best or Snippet(""), _old_snippet(h, fields.get("title", ""), whole=True)


@pytest.mark.parametrize("query", ["hà nội", "ha noi", "nội", "trí tuệ nhân tạo", "covid", "nội ngoại 2,5%", "a b",
                                   "khởi nghiệpp", "hoa"])
def test_hits_same_as_before(query: str) -> None:
    """build_hit (texts found together, the lead's passage made only when it could win) against the former one."""
    rng = random.Random(query)
    pool = TRICKY + AWKWARD + [" ".join(TRICKY), " ".join(TRICKY) * 2]
    h = Highlighter.for_query(parse_query(query))
    for _ in range(60):
        fields = {"id": "x", "title": rng.choice(pool)[:120], "body": rng.choice(pool + [""]),
                  "lead": rng.choice(pool + [""])[: rng.choice([80, 300, 2000])]}
        for chars in (40, 240):
            hit = build_hit(fields, 1.0, 1, h, chars)
            passage, title = _old_build_hit(fields, h, chars)
            assert (hit.snippet, hit.highlights) == (passage.text, passage.highlights), (query, fields)
            assert (hit.title, hit.title_highlights) == (title.text, title.highlights), (query, fields)


def test_found_in_many_texts_in_bounded_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Highlighter.found_in over more characters than one batch holds: each text's passage as found alone."""
    from vnsearch.search import highlight

    monkeypatch.setattr(highlight, "_TOGETHER_CHARS", 60)
    texts = TRICKY + AWKWARD + [" ".join(TRICKY)]
    for query in ("hà nội", "covid", "trí tuệ nhân tạo", "hoa"):
        h = Highlighter.for_query(parse_query(query))
        found = h.found_in(texts)
        assert len(found) == len(texts)
        for text, got in zip(texts, found):
            assert h.snippet(text, 240, found=got) == _old_snippet(h, text, 240), (query, text[:40])
            assert h.snippet(text, whole=True, found=got) == _old_snippet(h, text, whole=True)
