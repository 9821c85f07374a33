"""Segmenter's chunk cache: a remembered chunk gives exactly the word starts decoding gives.

The CRF's tags for a sentence chunk depend only on the chunk's token texts,
so ``Segmenter.word_starts`` keeps the last few thousand chunks' tags and
decodes only the others. These tests hold the cache to that: the same starts
with and without it, on news, on re-issued news (the same sentences in
another order, as bench/archive10x.py writes them) and on random chunks made
of a small vocabulary (so that chunks repeat, alone or among new ones); and
the least recently used chunk is the one evicted.
"""

from __future__ import annotations

import random

import pytest
from conftest import SEEDS, read_corpus_lines

from vnsearch.lang.analysis import ChunkCache, Segmenter, analyze, tokenize


@pytest.fixture(scope="module")
def plain() -> Segmenter:
    """A segmenter that remembers nothing: every chunk is decoded."""
    return Segmenter(cache_size=0)


def test_lru_keeps_the_most_recently_used() -> None:
    cache = ChunkCache(size=2)
    a, b, c = ("a",), ("b",), ("c",)
    assert cache.get(a) is None
    cache.put(a, [True])
    cache.put(b, [False])
    assert cache.get(a) == (True,)  # a is now the most recently used
    cache.put(c, [True])  # evicts b, not a
    assert len(cache) == 2
    assert cache.get(b) is None
    assert cache.get(a) == (True,)
    assert cache.get(c) == (True,)
    assert (cache.hits, cache.misses) == (3, 2)


def test_size_zero_remembers_nothing() -> None:
    cache = ChunkCache(size=0)
    assert cache.put(("x", "y"), [True, False]) == (True, False)
    assert len(cache) == 0
    assert cache.get(("x", "y")) is None


def test_same_starts_as_decoding_on_news_and_reissues(plain: Segmenter) -> None:
    cached = Segmenter(cache_size=64)  # small, so eviction happens too
    texts = [path.read_text("utf-8") for path in sorted(SEEDS.glob("*.txt"))]
    for record in read_corpus_lines("news.jsonl.gz", 200, 260):
        texts += [record.get("title", ""), record.get("sapo", ""), record.get("body", "")]
    rng = random.Random(7)
    for text in list(texts):
        paragraphs = text.split("\n")
        for _ in range(2):  # two re-issues: the paragraphs in another order
            rng.shuffle(paragraphs)
            texts.append("\n".join(paragraphs))
    for text in texts:
        tokens = tokenize(text)
        assert cached.word_starts(tokens) == plain.word_starts(tokens), text[:80]
    assert cached.chunks.hits > 100  # the re-issues were not decoded again
    assert len(cached.chunks) == 64
    # The words analyze() builds from them are the same too.
    for text in texts[:20]:
        assert analyze(text, cached).words == analyze(text, plain).words


def test_same_starts_on_random_repeating_chunks(plain: Segmenter) -> None:
    """Chunks from a small vocabulary repeat, alone, twice in one call, and among new ones."""
    cached = Segmenter(cache_size=200)
    vocabulary = ["Hà", "Nội", "bóng", "đá", "Việt", "Nam", "thủ", "tướng", "2024", ",", "COVID-19", "ông",
                  "cho", "biết", "người", "dân"]
    rng = random.Random(11)
    seen: list[str] = []
    for _ in range(300):
        parts = []
        for _ in range(rng.randint(1, 4)):
            if seen and rng.random() < 0.5:
                parts.append(rng.choice(seen))
            else:
                sentence = " ".join(rng.choice(vocabulary) for _ in range(rng.randint(1, 14))) + " ."
                seen.append(sentence)
                parts.append(sentence)
        tokens = tokenize(" ".join(parts))
        assert cached.word_starts(tokens) == plain.word_starts(tokens), parts
    assert cached.chunks.hits > 0 and cached.chunks.misses > 0
    assert cached.word_starts([]) == []


def test_the_shared_segmenter_caches() -> None:
    assert Segmenter.shared().chunks.size > 0
