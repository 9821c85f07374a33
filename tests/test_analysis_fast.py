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
    add_zone_terms,
    analyze,
    analyze_texts,
    sentence_chunks,
    sentence_chunks_of,
    token_texts,
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


def test_the_indexing_path_without_tokens_gives_the_same_syllables_words_and_terms() -> None:
    """token_texts, sentence_chunks_of, analyze_texts and add_zone_terms (indexing's path: texts and flags, no
    Token tuples or offsets) give tokenize's texts, sentence_chunks' chunks, analyze's syllables and words, and
    add_terms' maps bit for bit, on news and odd texts (the mapped path of prepared text included)."""
    segmenter = Segmenter.shared()
    texts = list(ODD_TEXTS) + ["A. B. C. D. E. F. G. H. I; j k l m n o p q. r", "x. " * 20, ". ! ? ;" * 5]
    for record in read_corpus_lines("news.jsonl.gz", 290, 330):
        texts.extend(record.get(zone) or "" for zone in ("title", "sapo", "body"))
    for i, text in enumerate(texts):
        tokens = tokenize(text)
        words, flags = token_texts(text)
        assert (words, flags) == ([t.text for t in tokens], [t.is_word for t in tokens]), text[:80]
        assert sentence_chunks_of(words, flags) == sentence_chunks(tokens), text[:80]
        assert segmenter.word_starts_of(words, flags) == segmenter.word_starts(tokens), text[:80]
        for seg in (None, segmenter):  # the segmenter last: its words feed the term maps below
            result = analyze(text, seg)
            syllables, multi = analyze_texts(text, seg)
            assert (syllables, multi) == ([t.text for t in result.syllables], result.words), text[:80]
        got: tuple[TermMap, TermMap, TermMap] = ({}, {}, {})
        expected: tuple[TermMap, TermMap, TermMap] = ({}, {}, {})
        zone = i % 3
        add_zone_terms(syllables, multi, got[0], got[1], ZONE_WEIGHTS[zone], zone * ZONE_OFFSET, title=got[2])
        add_terms(result, expected[0], expected[1], ZONE_WEIGHTS[zone], zone * ZONE_OFFSET, title=expected[2])
        assert pickle.dumps(got) == pickle.dumps(expected), text[:80]
