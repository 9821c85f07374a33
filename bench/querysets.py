"""Known-item query sets generated from the news articles, plus the XQuAD questions.

Each query has exactly one relevant document (its ``target``). Targets are sampled with
a seeded RNG per base kind, so a run is reproducible and the accented/unaccented
variants of a kind share the same targets (a paired comparison: the only difference
between ``headline`` and ``headline_noacc`` is the missing diacritics).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass

from textutil import strip_accents, syllables, title_words

NEWS_KINDS = ("headline", "headline_noacc", "two_rare", "two_rare_noacc", "lead6")
XQUAD_KIND = "xquad"
LEAD_LEN = 6


@dataclass(frozen=True)
class Query:
    qid: str
    kind: str
    text: str
    target: str

    def to_json(self) -> dict:
        return asdict(self)


def document_frequencies(docs: list[dict]) -> Counter:
    """DF of every lowercased syllable over title+sapo+body of ``docs``.

    Rarity is judged over the whole indexed text, because that is what makes a query
    word discriminative for a search engine.
    """
    df: Counter = Counter()
    for doc in docs:
        text = " ".join((doc["title"], doc["sapo"], doc["body"]))
        df.update({tok.lower() for tok in syllables(text)})
    return df


def two_rarest(title: str, df: Counter) -> list[str] | None:
    """The two lowest-DF distinct title words, in title order (ties: earlier word wins)."""
    words = list(dict.fromkeys(title_words(title)))  # dedupe, keep first occurrence
    if len(words) < 2:
        return None
    rarest = sorted(range(len(words)), key=lambda i: (df[words[i]], i))[:2]
    return [words[i] for i in sorted(rarest)]


def _sample(docs: list[dict], eligible: Callable[[dict], bool], n: int,
            rng: random.Random) -> list[dict]:
    """Up to ``n`` distinct eligible docs, in RNG order."""
    pool = [d for d in docs if eligible(d)]
    return rng.sample(pool, min(n, len(pool)))


def _rng(seed: int, kind: str) -> random.Random:
    """An independent RNG per base kind, so adding a kind never reshuffles the others."""
    return random.Random(f"{seed}:{kind}")


def headline_queries(docs: list[dict], n: int, seed: int) -> dict[str, list[Query]]:
    """Full title as typed, and the same title without diacritics."""
    picked = _sample(docs, lambda d: bool(syllables(d["title"])), n, _rng(seed, "headline"))
    return {
        "headline": [Query(f"headline-{i}", "headline", d["title"], d["id"])
                     for i, d in enumerate(picked)],
        "headline_noacc": [Query(f"headline_noacc-{i}", "headline_noacc",
                                 strip_accents(d["title"]), d["id"])
                           for i, d in enumerate(picked)],
    }


def two_rare_queries(docs: list[dict], n: int, seed: int,
                     df: Counter) -> dict[str, list[Query]]:
    """The two rarest title words: what a user half-remembers about a headline."""
    picked = _sample(docs, lambda d: two_rarest(d["title"], df) is not None, n,
                     _rng(seed, "two_rare"))
    texts = [(" ".join(two_rarest(d["title"], df)), d["id"]) for d in picked]
    return {
        "two_rare": [Query(f"two_rare-{i}", "two_rare", t, target)
                     for i, (t, target) in enumerate(texts)],
        "two_rare_noacc": [Query(f"two_rare_noacc-{i}", "two_rare_noacc",
                                 strip_accents(t), target)
                           for i, (t, target) in enumerate(texts)],
    }


def lead6_queries(docs: list[dict], n: int, seed: int) -> dict[str, list[Query]]:
    """Six consecutive lead syllables from a random offset: a remembered phrase, unquoted."""
    rng = _rng(seed, "lead6")
    picked = _sample(docs, lambda d: len(syllables(d["sapo"])) >= LEAD_LEN, n, rng)
    queries = []
    for i, doc in enumerate(picked):
        sylls = syllables(doc["sapo"])
        start = rng.randrange(len(sylls) - LEAD_LEN + 1)
        queries.append(Query(f"lead6-{i}", "lead6",
                             " ".join(sylls[start:start + LEAD_LEN]), doc["id"]))
    return {"lead6": queries}


def news_query_sets(docs: list[dict], per_kind: int, seed: int) -> dict[str, list[Query]]:
    """All news kinds, in NEWS_KINDS order."""
    df = document_frequencies(docs)
    sets = {**headline_queries(docs, per_kind, seed),
            **two_rare_queries(docs, per_kind, seed, df),
            **lead6_queries(docs, per_kind, seed)}
    return {kind: sets[kind] for kind in NEWS_KINDS}


def xquad_queries(questions: list[dict]) -> list[Query]:
    """Every XQuAD-vi question; the relevant document is its source passage."""
    return [Query(f"xquad-{q['qid']}", XQUAD_KIND, q["question"], q["passage_id"])
            for q in questions]
