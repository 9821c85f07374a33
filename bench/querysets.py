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

from textutil import slip, strip_accents, syllables, title_words, to_telex, to_vni

NEWS_KINDS = ("headline", "headline_noacc", "two_rare", "two_rare_noacc", "lead6")
# Queries as people really type them (issue 16): Telex/VNI with the input method off, slips.
TYPING_KINDS = ("kw-telex", "kw-vni", "kw-typo", "title-typo")
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


def typing_queries(docs: list[dict], n: int, seed: int) -> dict[str, list[Query]]:
    """The two rarest headline words typed with Telex/VNI off or with one slip; the headline with two.

    Targets are sampled with RNGs of their own (``kw-*`` share theirs, so kw-telex,
    kw-vni and kw-typo ask for the same articles), so these kinds never reshuffle the
    others. A word that needs no Vietnamese key ("iphone") is typed as it is.
    """
    df = document_frequencies(docs)
    picked = _sample(docs, lambda d: two_rarest(d["title"], df) is not None, n, _rng(seed, "kw-typing"))
    slips = _rng(seed, "kw-typo-slips")
    telex, vni, typo = [], [], []
    for i, d in enumerate(picked):
        words = two_rarest(d["title"], df)
        telex.append(Query(f"kw-telex-{i}", "kw-telex", " ".join(to_telex(w) for w in words), d["id"]))
        vni.append(Query(f"kw-vni-{i}", "kw-vni", " ".join(to_vni(w) for w in words), d["id"]))
        which = slips.randrange(2)
        typed = [slip(w, slips) if j == which else w for j, w in enumerate(words)]
        typo.append(Query(f"kw-typo-{i}", "kw-typo", " ".join(typed), d["id"]))
    rng = _rng(seed, "title-typo")
    titled = _sample(docs, lambda d: len(syllables(d["title"])) >= 2, n, rng)
    title_typo = []
    for i, d in enumerate(titled):
        words = syllables(d["title"])
        for j in sorted(rng.sample([k for k, w in enumerate(words) if any(c.isalpha() for c in w)]
                                   or list(range(len(words))), 2)):
            words[j] = slip(words[j], rng)
        title_typo.append(Query(f"title-typo-{i}", "title-typo", " ".join(words), d["id"]))
    return {"kw-telex": telex, "kw-vni": vni, "kw-typo": typo, "title-typo": title_typo}


def xquad_queries(questions: list[dict]) -> list[Query]:
    """Every XQuAD-vi question; the relevant document is its source passage."""
    return [Query(f"xquad-{q['qid']}", XQUAD_KIND, q["question"], q["passage_id"])
            for q in questions]
