"""tokenize and add_terms' fast paths give what the straightforward code they replaced gave.

Both run for every token of every article at index time, so they were made
cheaper (tokenize: one split and a cache of each distinct token's form;
add_terms: weights laid out as a list, forms mapped in C). The references
below are that straightforward code; on real articles the tokens, and the
term maps down to their insertion order and every float's bits, must match.
"""

from __future__ import annotations

import pickle
import re

from conftest import read_corpus_lines

from vnsearch.lang import analysis
from vnsearch.lang.analysis import (
    WORD_PART_WEIGHT,
    Analysis,
    Segmenter,
    TermMap,
    Token,
    add_terms,
    analyze,
    tokenize,
)
from vnsearch.lang.text import fold_all, prepare
from vnsearch.store.schema import ZONE_OFFSET, ZONE_WEIGHTS

_TOKEN = re.compile(
    r"(?P<num>\d+(?:[.,/:]\d+)*%?(?![^\W_]))"
    r"|(?P<word>[^\W_]+(?:[-'’][^\W_]+)*)"
    r"|(?P<punct>[^\w\s]|_)"
)


def reference_tokenize(text: str) -> list[Token]:
    clean, offsets = prepare(text)
    tokens = []
    for m in _TOKEN.finditer(clean):
        start, end = m.span()
        if offsets is not None:
            start, end = offsets[start], analysis._end_in_original(text, offsets[end - 1], offsets[end])
        if m.lastgroup != "punct":
            tokens.append(Token(analysis._cased_canonical(m.group()), start, end, True))
        else:
            tokens.append(Token(m.group(), start, end, False))
    return tokens


def reference_add_terms(result: Analysis, exact: TermMap, folded: TermMap, weight: float = 1.0, offset: int = 0,
                        title: TermMap | None = None) -> None:
    in_words: set[int] = set()
    for pos, n in result.words:
        in_words.update(range(pos, pos + n))
    for pos, tok in enumerate(result.syllables):
        term = tok.text.lower()
        fterm = fold_all(term)
        analysis._add(exact, term, weight * WORD_PART_WEIGHT if pos in in_words else weight)
        analysis._add(folded, fterm, weight, offset + pos)
        for part in analysis.token_parts(fterm):
            analysis._add(folded, part, weight, offset + pos)
        if title is not None:
            analysis._add(title, fterm, 1.0)
    for pos, n in result.words:
        analysis._add(exact, result.word_text(pos, n), weight)


ODD_TEXTS = [
    "", "   ", "_", "a", "%", "5", "43%", "2.000 người, 14,6 tỷ; 10/2 lúc 19:30, 19h30.",
    "COVID-19 ở H'Mông — Hoà/Hòa “trích dẫn” __init__ a_b e-mail 3-4-5 'quoted' ’x’",
    "Cafe\u0301 Hà\u200bNội\u00a0mới", "ＡＢＣ ① ² Ⅻ … ‰", "Σίσυφος ΣΑΣ",
]


def test_tokenize_equals_the_match_by_match_reference() -> None:
    texts = list(ODD_TEXTS)
    for record in read_corpus_lines("news.jsonl.gz", 200, 260):
        texts.extend(record.get(zone) or "" for zone in ("title", "sapo", "body"))
    for text in texts:
        assert tokenize(text) == reference_tokenize(text), text[:80]
    assert any(prepare(t)[1] is not None for t in texts)  # the mapped path ran too


def test_add_terms_equals_the_reference_bit_for_bit() -> None:
    segmenter = Segmenter.shared()
    records = read_corpus_lines("news.jsonl.gz", 260, 290)
    texts = [[record.get(zone) or "" for zone in ("title", "sapo", "body")] for record in records]
    texts.append(ODD_TEXTS[6:9])
    for zones in texts:
        got: tuple[TermMap, TermMap, TermMap] = ({}, {}, {})
        expected: tuple[TermMap, TermMap, TermMap] = ({}, {}, {})
        for i, text in enumerate(zones):
            if not text:
                continue
            result = analyze(text, segmenter)
            for fn, maps in ((add_terms, got), (reference_add_terms, expected)):
                fn(result, maps[0], maps[1], ZONE_WEIGHTS[i], i * ZONE_OFFSET, title=maps[2] if i == 0 else None)
        assert got[1], zones[0][:80]
        # pickle keeps the order of insertion and each float's exact value
        assert pickle.dumps(got) == pickle.dumps(expected), zones[0][:80]
