"""vnsearch.lang.crf.FastTagger must tag exactly as underthesea's featurizer + tagger do.

The fast decoder rebuilds underthesea's features from rules (pairs and triples
joined by spaces, BOS/EOS at sentence edges, ...); these tests compare both
the feature strings and the resulting word starts with underthesea itself,
on real articles and on short, odd sequences where the edge rules matter most.
"""

from __future__ import annotations

import random

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
