"""Highlighter.marks, snippet and _build against their former code, on a corpus slice and tricky text.

The former methods are kept below verbatim in substance (a Highlighter
subclass): a hit built with them and with the current ones must have the
same passage, highlights, title and title highlights, for queries typed
with diacritics, without, decomposed (NFD) and with old-style tones.
"""

from __future__ import annotations

import itertools
import random
import unicodedata
from collections.abc import Sequence

import pytest
from conftest import read_corpus_lines

from vnsearch import caps
from vnsearch.lang.analysis import Token, syllables
from vnsearch.lang.text import (
    _nfc_safe,
    fold_all,
    fold_lower_chars,
    is_prepared,
    prepared_and_folded,
    spaced_fold,
)
from vnsearch.search.collect import build_hit
from vnsearch.search.highlight import Highlighter, Snippet, _clean, _cut, _matching_with_parts
from vnsearch.search.query import parse_query


def _old_build(text: str, start: int, end: int, hits: Sequence[tuple[int, Token]]) -> Snippet:
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    body = _clean(text[start:end])
    spans: list[tuple[int, int]] = []
    shift = len(prefix) - start
    joined = prefix + body
    for _, tok in hits:
        if tok.start < start or tok.end > end:
            continue
        s, e = tok.start + shift, tok.end + shift
        if spans and joined[spans[-1][1]:s].strip() == "":
            spans[-1] = (spans[-1][0], e)
        else:
            spans.append((s, e))
    return Snippet(joined + suffix, spans)


class Before(Highlighter):
    """The Highlighter with marks and snippet as they were (06b5428)."""

    def marks(self, found: Sequence[tuple[int, Token]]) -> list[tuple[int, Token]]:
        if not found:
            return []
        marked: dict[int, Token] = {}
        by_ordinal = dict(found)
        places = {o: self._places_of(t.text) for o, t in found}
        for which, seq in enumerate(self.sequences):
            hits = {o: p[which] for o, p in places.items()}
            if len(seq) == 1:
                marked.update((o, by_ordinal[o]) for o, h in hits.items() if h)
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
                marked.update((o, by_ordinal[o]) for o, h in hits.items() if h)
        return sorted(marked.items())

    def snippet(self, text: str, max_chars: int = 240, whole: bool = False,
                found: Sequence[tuple[int, Token]] | None = None) -> Snippet:
        if not text:
            return Snippet("")
        scanned = text[: caps.SNIPPET_SCAN_CHARS]
        if found is None:
            found = _matching_with_parts(scanned, self._wanted, self._finder, self._known)
        hits = self.marks(found)
        if whole or len(text) <= max_chars:
            return _old_build(text, 0, len(scanned), hits)
        if not hits:
            return _old_build(text, 0, _cut(text, 0, max_chars), [])
        best, best_score = 0, -1.0
        j = 0
        forms = [fold_all(t.text.lower()) for _, t in hits]
        ends = [t.end for _, t in hits]
        adjacent_before = [0, *itertools.accumulate(int(b == a + 1) for (a, _), (b, _) in zip(hits, hits[1:]))]
        for i, (_, first) in enumerate(hits):
            limit = first.start + max_chars
            j = max(j, i)
            while j + 1 < len(hits) and ends[j + 1] <= limit:
                j += 1
            distinct = len(set(forms[i: j + 1]))
            adjacent = adjacent_before[j] - adjacent_before[i]
            score = distinct * 4 + adjacent * 2 + (j + 1 - i)
            if score > best_score:
                best, best_score = i, score
        first_start = hits[best][1].start
        start = max(0, first_start - max_chars // 5)
        if start > 0:
            space = text.find(" ", start, first_start)
            start = space + 1 if space != -1 else first_start
        return _old_build(text, start, _cut(text, start, max_chars), hits)


# Old-style tone placement ("hoà", "thuý"), which the analyzer reads as "hòa", "thúy".
_OLD_STYLE = {"òa": "oà", "óa": "oá", "ỏa": "oả", "õa": "oã", "ọa": "oạ", "òe": "oè", "óe": "oé",
              "ùy": "uỳ", "úy": "uý", "ủy": "uỷ", "ũy": "uỹ", "ụy": "uỵ"}


def _old_style(text: str) -> str:
    for new, old in _OLD_STYLE.items():
        text = text.replace(new, old).replace(new.capitalize(), old.capitalize())
    return text


def _queries(words: list[str], rng: random.Random) -> list[str]:
    """Queries from an article's words: as written, folded, decomposed, old-style, phrases, repeats."""
    out = []
    for _ in range(4):
        at = rng.randrange(len(words))
        run = words[at: at + rng.randint(1, 6)]
        text = " ".join(run)
        out += [text, fold_all(text.lower()), unicodedata.normalize("NFD", text), _old_style(text)]
    pick = rng.sample(words, min(len(words), 3))
    out += [f'"{" ".join(words[:2])}"', " ".join(pick), " ".join(pick + pick[:1])]
    return [q.replace('"', "") if q.count('"') % 2 else q for q in out]


TRICKY_BODIES = [
    "Đà Nẵng, đà nẵng; ĐÀ NẴNG! Đà-Nẵng đà.nẵng Đà Nẵng",
    "Ha\u0300 No\u0302\u0323i, thủ đô Hà Nội. Hà Nội Hà Nội Hà",
    "hoà bình hòa bình HOÀ BÌNH, thuý thúy Thuý; hoà",
    "Covid-19, covid 19, COVID-19's 2.000 đồng 2,5% 10/2 Nội: Nội",
    "nội" + " nội" * 300 + ", ngoại" * 50 + " nội.",
    "x" * 500 + " Hà Nội " + "y " * 200 + "Hà Nội",
    "tab\tHà\nNội\u00a0Hà\u200bNội \u202eHà Nội\x07",
]


def _compare(fields: dict[str, str], queries: list[str]) -> None:
    for query in queries:
        parsed = parse_query(query)
        now, before = Highlighter.for_query(parsed), Before.for_query(parsed)
        for chars in (60, 240):
            a = build_hit(fields, 1.0, 1, now, chars)
            b = build_hit(fields, 1.0, 1, before, chars)
            assert (a.snippet, a.highlights, a.title, a.title_highlights) == (
                b.snippet, b.highlights, b.title, b.title_highlights), (query, fields["id"])
        for text in (fields["body"], fields["title"]):
            found = now.found_in([text])[0]
            assert now.marks(found) == before.marks(found), (query, fields["id"])


def test_hits_same_as_before_on_tricky_text() -> None:
    rng = random.Random(7)
    for i, body in enumerate(TRICKY_BODIES):
        words = [t.text for t in syllables(body)]
        fields = {"id": str(i), "title": body[:90], "body": body, "lead": body[:200]}
        _compare(fields, _queries(words, rng) + ["hà nội", "ha noi", "đà nẵng", "da nang", "hoà bình",
                                                 "covid 19", "nội nội", "hà nội hà nội"])


def test_hits_same_as_before_on_corpus_slice() -> None:
    rng = random.Random(17)
    for record in read_corpus_lines("news.jsonl.gz", 0, 120):
        fields = {"id": record["id"], "title": record.get("title", ""), "body": record.get("body", ""),
                  "lead": record.get("sapo", "")}
        words = [t.text for t in syllables(fields["title"] or fields["body"][:300])]
        if words:
            _compare(fields, _queries(words, rng))


def _prepared_then_folded(text: str) -> tuple[bool, str | None]:
    """What find_syllables_many did before prepared_and_folded: is_prepared, then fold_lower_chars."""
    if not is_prepared(text):
        return False, None
    return True, fold_lower_chars(text)


def test_prepared_and_folded_as_is_prepared_then_fold_lower_chars() -> None:
    rng = random.Random(29)
    # Characters from every corner: ASCII and its controls, Vietnamese in both cases, marks
    # (combining, alone, in long runs), invisible and odd spaces, Σ and İ, Hangul jamo
    # (which compose), other scripts, beyond the plane, and random ones of the plane.
    pool = (list("aAzZ09 \n\t\x00\x07\x1f\x7f-'’.,/:%Σσİ") + list("đĐàÀảẢãÃáÁạẠăằẳẵắặâầẩẫấậ")
            + ["\u0300", "\u0301", "\u0323", "\u0345", "\u034f", "\u00ad", "\u200b", "\u200d", "\ufeff",
               "\u00a0", "\u2003", "\u202e", "\u1100", "\u1161", "\u11a8", "\uac00", "é", "ﬁ", "ẞ",
               "\u0cd5", "\U0001f600", "\U00010400", "\u3000", "Ω", "\u2126"]
            + [chr(rng.randrange(0x80, 0x10000)) for _ in range(400)])
    pool = [c for c in pool if not 0xD800 <= ord(c) < 0xE000]
    texts = TRICKY_BODIES + ["\n".join(TRICKY_BODIES), "Hà Nội", "ha noi\nhà nội", "", "\n"]
    for _ in range(600):
        size = rng.choice([1, 2, 5, 40, 300])
        texts.append("".join(rng.choice(pool) for _ in range(size)))
    for _ in range(2):  # (the second time, every character has been met: prepared_fold's one lookup)
        for text in texts:
            assert prepared_and_folded(text) == _prepared_then_folded(text), ascii(text)
            prepared, _folded = _prepared_then_folded(text)
            assert prepared_and_folded(text, spaced=True) == (prepared, spaced_fold(text) if prepared else None)
    # A lone surrogate: both fail the same way.
    for text in ("Hà\ud800Nội", "ha\udfff"):
        with pytest.raises(UnicodeEncodeError):
            _prepared_then_folded(text)
        with pytest.raises(UnicodeEncodeError):
            prepared_and_folded(text)


def test_texts_of_nfc_safe_characters_are_nfc() -> None:
    """What prepared_fold's one lookup relies on: a text of characters _nfc_safe says so of is NFC."""
    safe = [chr(c) for c in range(0x10000) if not 0xD800 <= c < 0xE000 and _nfc_safe(c)]
    assert all(_nfc_safe(ord(c)) for c in "Hà Nội, đường “Lê Lợi” – 2.000 người… ĐẶNG Ωμέγα Юг")
    rng = random.Random(31)
    for _ in range(20_000):
        text = "".join(rng.choice(safe) for _ in range(rng.randint(1, 6)))
        assert unicodedata.is_normalized("NFC", text), ascii(text)
    latin = [c for c in safe if ord(c) < 0x300 or 0x1E00 <= ord(c) < 0x1F00]  # every pair of these
    for a in latin:
        assert all(unicodedata.is_normalized("NFC", a + b) for b in latin), ascii(a)


def test_prepared_and_folded_on_corpus_pages() -> None:
    records = read_corpus_lines("news.jsonl.gz", 0, 300)
    for a, b, c in zip(records, records[1:], records[2:]):
        texts = [r.get("body", "") for r in (a, b, c)] + [a.get("sapo", ""), b.get("title", "")]
        joined = "\n".join(texts)
        assert prepared_and_folded(joined) == _prepared_then_folded(joined)


@pytest.mark.parametrize("kept", [0, 10_000])
def test_marks_same_as_before_with_places_forgotten_and_many_sequences(kept: int,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """marks() gathers the candidates' places by map: the same when none is remembered, for several sequences."""
    monkeypatch.setattr("vnsearch.search.highlight._PLACES_KEPT", kept)
    corrections = {"noi": ["nội"], "hoa": ["hòa", "hoà"], "nẵngg": ["nẵng"]}
    for query in ['hà noi "hà nội" nội', "hoa bình hoà", "đà nẵngg đà", '"covid 19" covid', "nội nội ngoại"]:
        parsed = parse_query(query)
        now, before = Highlighter.for_query(parsed, corrections), Before.for_query(parsed, corrections)
        assert len(now.sequences) >= 2 or query == "nội nội ngoại"
        for text in TRICKY_BODIES:
            found = now.found_in([text])[0]
            assert now.marks(found) == before.marks(found), (query, text[:30])
