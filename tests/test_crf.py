"""vnsearch.lang.crf.FastTagger must tag exactly as underthesea's featurizer + tagger do.

The fast decoder rebuilds underthesea's features from rules (pairs and triples
joined by spaces, BOS/EOS at sentence edges, ...); these tests compare both
the feature strings and the resulting word starts with underthesea itself,
on real articles and on short, odd sequences where the edge rules matter most.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from conftest import SEEDS, read_corpus_lines

from vnsearch.lang import crf
from vnsearch.lang.analysis import sentence_chunks, tokenize


def chunks_of(text: str) -> list[list[str]]:
    """The chunks Segmenter.word_starts hands to the model."""
    return sentence_chunks(tokenize(text))


def underthesea_starts(segmenter, chunks: list[list[str]]) -> list[bool]:
    return [start for chunk in chunks for start in segmenter._segment(chunk)]


def test_the_shipped_model_is_decoded_fast(segmenter):
    assert segmenter._fast is not None


def test_features_and_tags_equal_underthesea_on_seed_articles(segmenter):
    fast = segmenter._fast
    for path in sorted(SEEDS.glob("*.txt")):
        chunks = chunks_of(path.read_text("utf-8"))
        assert chunks
        for chunk in chunks:
            assert fast.features(chunk) == segmenter._featurize([[[t] for t in chunk]])[0]
        assert fast.word_starts(chunks) == underthesea_starts(segmenter, chunks)


def test_short_and_odd_sequences(segmenter):
    """One- and two-token zones, BOS/EOS as real tokens, digits, capitals, punctuation."""
    fast = segmenter._fast
    vocabulary = ["Duy", "Nguyễn", "Hà", "Nội", ",", ".", "2024", "1,5", "bóng", "đá", "Việt", "Nam",
                  "x", "BOS", "EOS", "ĐÀ", "COVID-19", "(", ")", "H'Mông", "²"]
    rng = random.Random(3)
    for n in range(1, 10):
        for _ in range(60):
            chunks = [[rng.choice(vocabulary) for _ in range(rng.randint(1, n))] for _ in range(rng.randint(1, 3))]
            for chunk in chunks:
                assert fast.features(chunk) == segmenter._featurize([[[t] for t in chunk]])[0], chunk
            assert fast.word_starts(chunks) == underthesea_starts(segmenter, chunks), chunks


def test_tags_equal_underthesea_on_news(segmenter):
    fast = segmenter._fast
    for record in read_corpus_lines("news.jsonl.gz", 3000, 3060):
        for zone in ("title", "sapo", "body"):
            chunks = chunks_of(record.get(zone) or "")
            if chunks:
                assert fast.word_starts(chunks) == underthesea_starts(segmenter, chunks), (record["id"], zone)


def test_close_decisions_go_to_underthesea(segmenter, monkeypatch):
    """With every decision 'too close', each chunk is tagged by underthesea itself."""
    fast = segmenter._fast
    chunks = chunks_of("Bác sĩ bây giờ có thể thản nhiên báo tin bệnh nhân bị ung thư. Hà Nội mưa lớn.")
    expected = underthesea_starts(segmenter, chunks)
    monkeypatch.setattr(crf, "MARGIN", float("inf"))
    before = fast.fallbacks
    assert fast.word_starts(chunks) == expected
    assert fast.fallbacks == before + len(chunks)


def test_other_models_are_refused(tmp_path):
    (tmp_path / "models.bin").write_bytes(b"not a model at all" * 4)
    with pytest.raises(ValueError):
        crf.FastTagger(tmp_path, set(), lambda x: x, lambda x: x)


# -- the fast paths against the straightforward code they replaced ---------------------

def _reference_uni_row(fast, token: str) -> list[float]:
    """A token's row as one sum per offset over its attribute strings (the code _uni_rows replaced)."""
    low, digit, title, in_dict = fast.props(token)
    row: list[float] = []
    for k in crf._UNI:
        attrs = [f"T[{k}]={token}", f"T[{k}].lower={low}", f"T[{k}].istitle={title}",
                 f"T[{k}].is_in_dict={in_dict}"]
        if -1 <= k <= 1:
            attrs.append(f"T[{k}].isdigit={digit}")
        row.extend(fast._sum(attrs))
    return row


def _reference_emission(fast, uni, pieces, start, end):
    """Each column's weights placed position by position, BOS / EOS by masks (the code _emission replaced)."""
    n = len(uni)
    pos = np.arange(n)
    emission = np.zeros((n, 2))
    for kind, table, offsets, width in (("uni", uni, crf._UNI, 0), *pieces):
        for col, a in enumerate(offsets):
            first = pos + a
            bos = first < start
            eos = ~bos & (first + width >= end)
            inside = ~(bos | eos)
            got = np.zeros((n, 2))
            got[inside] = table[first[inside], 2 * col: 2 * col + 2]
            got[bos] = fast._edges[kind, "BOS", a]
            got[eos] = fast._edges[kind, "EOS", a]
            emission += got
    return emission


ODD = ["Duy", "Nguyễn", ",", ".", "2024", "1,5", "BOS", "EOS", "ĐÀ", "COVID-19", "(", "H'Mông", "²", "=", "a=b", "Ⅻ"]


def test_token_rows_and_props_equal_the_attribute_sums(segmenter):
    """_uni_rows (value tables) and props (features picked by position) on news tokens and odd ones."""
    fast = segmenter._fast
    tokens = set(ODD)
    for record in read_corpus_lines("news.jsonl.gz", 3100, 3130):
        for zone in ("title", "sapo", "body"):
            tokens.update(t.text for t in tokenize(record.get(zone) or ""))
    tokens = sorted(tokens)
    for token in tokens:
        feats = segmenter._featurize([[[token]]])[0][0]
        value = {f[: f.index("=")]: f[f.index("=") + 1:] for f in feats}
        assert fast.props(token) == (value["T[0].lower"], value["T[0].isdigit"], value["T[0].istitle"],
                                     value["T[0].is_in_dict"]), token
    got = fast._uni_rows(tokens)[:, :crf._UNI_WIDTH]
    expected = np.array([_reference_uni_row(fast, t) for t in tokens])
    assert got.shape == expected.shape
    assert np.abs(got - expected).max() < 1e-12


def test_emission_equals_the_masked_columns(segmenter, monkeypatch):
    fast = segmenter._fast
    seen = []
    real = crf._emission

    def spy(uni, pieces, start, end, columns):
        got = real(uni, pieces, start, end, columns)
        seen.append(np.abs(got - _reference_emission(fast, uni, pieces, start, end)).max())
        return got

    monkeypatch.setattr(crf, "_emission", spy)
    rng = random.Random(5)
    for record in read_corpus_lines("news.jsonl.gz", 3130, 3150):
        for zone in ("title", "sapo", "body"):
            chunks = chunks_of(record.get(zone) or "")
            if chunks:
                fast.word_starts(chunks)
    for n in range(1, 8):  # zones of one, two, three tokens; one-token chunks
        fast.word_starts([[rng.choice(ODD) for _ in range(rng.randint(1, n))] for _ in range(rng.randint(1, 3))])
    assert len(seen) > 40
    assert max(seen) < 1e-12


def test_props_fall_back_to_all_features_when_the_order_is_not_the_expected(segmenter, monkeypatch):
    fast = segmenter._fast
    expected = {t: fast.props(t) for t in ODD}
    monkeypatch.setattr(crf, "_PROP_AT", (0, 1, 2, 3))  # positions of other features: every check fails
    monkeypatch.setattr(fast, "_props", {})
    assert {t: fast.props(t) for t in ODD} == expected


def _reference_pieces(fast, tokens):
    """Pair and triple rows spelt out and looked up at every position (the code the caches replaced)."""
    n = len(tokens)
    props = [fast.props(t) for t in tokens]
    lows = [p[0] for p in props]
    titles = np.array([p[2] == "True" for p in props] + [False, False])
    pieces = []
    if n > 1:
        lpairs = [f"{a} {b}" for a, b in zip(lows, lows[1:])]
        pieces.append(fast._pair_rows_table[[fast._pair_ids.get(f"{a} {b}", 0) for a, b in zip(tokens, tokens[1:])]]
                      + fast._lpair_rows[[fast._lpair_ids.get(p, 0) for p in lpairs]]
                      + fast._pair_dict[np.array([p in fast._dictionary for p in lpairs], dtype=np.int64)]
                      + fast._pair_title[(titles[:n - 1] & titles[1:n]).astype(np.int64)])
    if n > 2:
        ltriples = [f"{a} {b}" for a, b in zip(lpairs, lows[2:])]
        pieces.append(fast._triple_rows[[fast._triple_ids.get(f"{a} {b} {c}", 0)
                                         for a, b, c in zip(tokens, tokens[1:], tokens[2:])]]
                      + fast._triple_dict[np.array([t in fast._dictionary for t in ltriples], dtype=np.int64)]
                      + fast._triple_title[(titles[:n - 2] & titles[1:n - 1] & titles[2:n]).astype(np.int64)])
    return pieces


def test_pair_and_triple_rows_equal_the_lookups_at_every_position(segmenter, monkeypatch):
    """Pairs cached by their tokens' row numbers, triples filtered by their tokens' places: same rows, same bits."""
    fast = segmenter._fast
    seen = []
    real = crf._emission

    def spy(uni, pieces, start, end, columns):
        seen.append([table for _, table, _, _ in pieces])
        return real(uni, pieces, start, end, columns)

    monkeypatch.setattr(crf, "_emission", spy)
    zones = []
    for record in read_corpus_lines("news.jsonl.gz", 3150, 3175):
        zones.extend(chunks_of(record.get(zone) or "") for zone in ("title", "sapo", "body"))
    zones.append([["Hà", "Nội"], ["Hà", "Nội", "và", "Thành", "phố", "Hồ", "Chí", "Minh"]])
    zones.append([["BOS", "EOS", "BOS"]])
    zones = [z for z in zones if z]
    for zone in zones * 2:  # twice: pairs then come from the cache
        fast.word_starts(zone)
    assert len(seen) == 2 * len(zones)
    for zone, got in zip(zones * 2, seen):
        tokens = [t for chunk in zone for t in chunk]
        expected = _reference_pieces(fast, tokens)
        assert len(got) >= len(expected)
        for a, b in zip(got, expected):
            assert a.tobytes() == b.tobytes()


def test_caches_start_again_when_full(segmenter, monkeypatch):
    """A full token table empties, and the pairs keyed by its row numbers go with it: tags unchanged."""
    fast = segmenter._fast
    chunks = chunks_of("Bác sĩ bây giờ có thể thản nhiên báo tin bệnh nhân bị ung thư. Hà Nội mưa lớn.")
    expected = underthesea_starts(segmenter, chunks)
    monkeypatch.setattr(fast._uni, "limit", 3)
    generation = fast._uni.generation
    for _ in range(3):
        assert fast.word_starts(chunks) == expected
    assert fast._uni.generation > generation and fast._pairs_of == fast._uni.generation


def _reference_viterbi(trans, emission):
    """Two-label Viterbi on the two scores themselves (the code the one-difference form replaced)."""
    (t00, t01), (t10, t11) = trans
    s0, s1 = emission[0]
    back = []
    for e0, e1 in emission[1:]:
        a, b = s0 + t00, s1 + t10
        c, d = s0 + t01, s1 + t11
        if abs(a - b) < crf.MARGIN or abs(c - d) < crf.MARGIN:
            return None
        p0, p1 = (1 if b > a else 0), (1 if d > c else 0)
        s0, s1 = (b if p0 else a) + e0, (d if p1 else c) + e1
        back.append((p0, p1))
    if abs(s0 - s1) < crf.MARGIN:
        return None
    label = 1 if s1 > s0 else 0
    labels = [label]
    for p0, p1 in reversed(back):
        label = p1 if label else p0
        labels.append(label)
    return [label == 0 for label in reversed(labels)]


def test_viterbi_on_score_differences_equals_viterbi_on_both_scores(segmenter):
    fast = segmenter._fast
    rng = random.Random(11)
    decided = 0
    for _ in range(3000):
        emission = [[rng.gauss(0, 6), rng.gauss(0, 6)] for _ in range(rng.randint(1, 40))]
        expected = _reference_viterbi(fast._trans, emission)
        got = crf._viterbi(fast._trans, [e1 - e0 for e0, e1 in emission])
        assert got == expected, emission
        decided += got is not None
    assert decided > 2900
    # Scores that tie exactly go to underthesea in both.
    tie = (fast._trans[0][0] - fast._trans[1][0])
    assert crf._viterbi(fast._trans, [tie, 1.0]) is None
    assert _reference_viterbi(fast._trans, [[0.0, tie], [0.0, 1.0]]) is None
