"""Accent restoration for queries typed without diacritics ("did you mean").

``tri tue nhan tao`` could be spelt in thousands of ways; the index knows
which of them Vietnamese news actually uses. Restoration is a Viterbi search
over a lattice whose columns are the query's syllables and whose rows are
each syllable's spellings (:func:`spellings`, generated from the folded
letters), scored only from the index's own statistics:

* **Unigram evidence** — each spelling's document frequency as a share of its
  folded syllable's: ``w1 · log((df(s) + α) / Σ (df(s') + α))``. "la" is
  "là" far more often than "lá".
* **Word evidence** — the exact field ``text`` also holds the segmenter's
  multi-syllable words ("trí tuệ", "thủ tướng", "hồ chí minh"). A reading of
  two (three) adjacent query syllables that is such a word earns
  ``w · log(1 + df(word) / (ρ · df(rarer syllable)))``: the bonus grows with
  the share of the rarer syllable's documents in which the segmenter found the
  word. It is a bonus only: pairs that are never words ("của việt", "bạn
  gái" — the segmenter keeps those apart) are not penalised for it.
* **Adjacency evidence** (optional, not in the index today) — in how many
  documents the two syllables stand next to each other. Function words are
  never part of words, so only this tells "của việt" from "cửa việt"; on
  held-out headlines it doubles whole-query accuracy (see bench/restore.py).

* **Context evidence** (:func:`context_evidence`, what the engine uses) — the
  folded query is searched first (the accent-insensitive field finds the
  right articles), and every run of consecutive query syllables found, folded,
  in the top hits' title, lead or body votes for the spellings written there,
  weighted by the run's length, the hit's rank and the zone. The votes re-weight
  each syllable's and each adjacent pair's readings and add any spelling the
  index-wide model did not list; where long runs cover a syllable only two
  other spellings are kept, which makes the lattice (and its lookups) smaller.
  The headline of an indexed article is read off the article itself (all of
  200 in bench/restore.py); a held-out one borrows the spellings of articles
  on the same subject (37.5% exact, 90.6% of syllables, against 20.5% and
  84.7% for the index-wide model alone).

The Viterbi state is the last two syllables, so three-syllable words score
exactly; the word bonuses are sparse, so a step costs O(K² + bonuses).
Forward and backward passes over the same lattice give the best path's share
of the total mass (:attr:`Restoration.confidence`) and each chosen syllable's
posterior (:attr:`Restoration.syllable_confidence`); both are roughly
calibrated on held-out headlines.

Nothing is precomputed: every statistic is a document-frequency lookup (a hash
lookup in the Whoosh term table, ~6 µs), cached for the call, and candidates
are capped per syllable, so a six-syllable query costs a few hundred lookups
(~2 ms on the 5,000-article index).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import product
from typing import Protocol

from vnsearch.lang.analysis import WORD_JOINER, query_syllables
from vnsearch.lang.analysis import syllables as syllables_of
from vnsearch.lang.spelling import spellings, tone_variants
from vnsearch.lang.text import FOLD_ALL_TABLE, canonical, fold_all, has_diacritics, prepare
from vnsearch.store.snapshot import Snapshot

__all__ = [
    "spellings",
    "tone_variants",
    "Restoration",
    "RestoreParams",
    "restore",
    "restore_text",
    "Context",
    "context_evidence",
    "index_df",
    "pair_document_frequencies",
    "Restorer",
]

# -- restoration ------------------------------------------------------------------


@dataclass(frozen=True)
class RestoreParams:
    """Scoring weights, tuned on bench/restore.py (held-out headlines, dev sample)."""

    w1: float = 1.0  # weight of the unigram log share log P(s | folded)
    alpha: float = 0.1  # add-α smoothing of the unigram share
    w2: float = 1.5  # weight of the 2-syllable word bonus
    rho2: float = 0.001  # a word's df is measured against rho × the df of its rarer syllable
    w3: float = 1.0  # weight of the 3-syllable word bonus
    rho3: float = 0.001
    wa: float = 1.5  # weight of the adjacency log ratio (only with an `adjacent` table)
    beta_a: float = 3.0  # Dirichlet prior mass of the adjacency model
    max_candidates: int = 12  # spellings kept per syllable: the most frequent with df > 0
    trigram_candidates: int = 4  # per syllable, for the 3-syllable word lookups
    temperature: float = 1.0  # of the path posterior reported as confidence
    temperature_adjacent: float = 1.5  # the same, when an adjacency table is given
    # Context evidence (:func:`context_evidence`): spellings read in the hits' own text.
    wc1: float = 0.5  # weight of the log share of a spelling among the hits' votes
    beta_c1: float = 1.0  # its add-β smoothing
    wc2: float = 2.0  # weight of the log share of a spelling pair among the hits' votes
    beta_c2: float = 0.3
    w2_context: float = 2.0  # w2 when there is context evidence
    run_power: float = 1.0  # a run of L matching syllables votes with weight L ** run_power
    rank_decay: float = 0.5  # the hit at rank r (0-based) votes with weight 1 / (1 + r) ** rank_decay
    title_weight: float = 8.0  # a run in a hit's title votes this many times over
    single_weight: float = 1.0  # a lone syllable (a run of one) votes this much
    whole_weight: float = 4.0  # and a run of the whole query (of two syllables or more) this many times
    context_hits: int = 10  # hits whose text is read
    context_chars: int = 20_000  # characters read of each hit's title, lead and body
    context_keep: int = 2  # where runs of the hits cover a syllable: its spellings they use + this many others
    context_cover: float = 16.0  # the pair votes (runs of 2 or more) at a syllable from which it counts as covered
    temperature_context: float = 1.5


DEFAULT_PARAMS = RestoreParams()


@dataclass
class Restoration:
    """The most likely accented query."""

    text: str  # the restored query, syllables joined by spaces
    syllables: list[str]
    confidence: float  # the best path's share of the lattice's probability mass, 0..1
    changed: bool  # whether any syllable differs from the (lower-cased, canonical) input
    # Per syllable: the posterior probability of the chosen spelling (forward-backward).
    syllable_confidence: list[float] = field(default_factory=list)
    # Per syllable: the spellings that were considered, most frequent first.
    candidates: list[list[str]] = field(default_factory=list, repr=False)
    # Characters of the text left unread, past vnsearch.caps.QUERY_CHARS (0: all read).
    cut: int = 0


def _d_variants(token: str, limit: int = 3) -> list[str]:
    """*token* with each of its first *limit* d's written d or đ, *token* itself first."""
    parts = token.split("d")
    if len(parts) - 1 > limit:
        return [token]
    out = []
    for letters in product("dđ", repeat=len(parts) - 1):
        out.append(parts[0] + "".join(letter + part for letter, part in zip(letters, parts[1:])))
    return out


def _lse(values: Sequence[float]) -> float:
    """log Σ exp(values)."""
    m = max(values)
    if m == -math.inf:
        return m
    return m + math.log(sum(math.exp(v - m) for v in values))


def _lse_plus(base: float, extra: Sequence[tuple[float, float]]) -> float:
    """log(exp(base) + Σ exp(x)·(exp(bonus) - 1)): a sum where a few terms got a bonus."""
    if not extra:
        return base
    m = max([base] + [x + b for x, b in extra])
    total = math.exp(base - m) + sum(math.exp(x - m) * math.expm1(b) for x, b in extra)
    return m + math.log(total)


@dataclass
class Context:
    """Spellings of the query's syllables as the hits' own text writes them.

    ``unary[i]`` maps a spelling of query syllable *i* to its votes;
    ``pair[i]`` (i ≥ 1) maps a spelling pair of syllables (i-1, i) to its
    votes. A vote comes from a run of consecutive query syllables found, folded,
    in a hit's text, weighted by the run's length and the hit's rank.
    """

    unary: list[dict[str, float]]
    pair: list[dict[tuple[str, str], float]]
    documents: int = 0  # how many documents were read

    @property
    def empty(self) -> bool:
        return not any(self.unary)


_ZONES = ("title", "lead", "body")


def context_evidence(syllables: Sequence[str], documents: Iterable[object],
                     params: RestoreParams | None = None) -> Context:
    """Votes for the spellings of *syllables* from *documents*' text (best hit first).

    Each document is a mapping (or object) with ``title``, ``lead`` and
    ``body`` — the stored fields of the search hits for the folded query. Every
    maximal run of consecutive query syllables that occurs folded in a text
    votes, at each of its positions, for the spelling the text uses there (and,
    for each adjacent pair, for that pair of spellings), with weight
    ``L ** run_power / (1 + rank) ** rank_decay`` (× ``title_weight`` in a
    title). A headline of an indexed article is then read off its own title; a
    held-out one borrows spellings from articles on the same subject. Only the
    first ``context_chars`` of each zone are read.

    Fast because no text is tokenised or folded: one regular expression of
    the query's syllables, each letter a class of its accented forms, finds
    the only places worth reading (~0.1 ms for a 4,000-character article).
    """
    p = params or DEFAULT_PARAMS
    typed = [canonical(s) for s in syllables]
    n = len(typed)
    folded = [fold_all(s) for s in typed]
    unary: list[dict[str, float]] = [{} for _ in range(n)]
    pair: list[dict[tuple[str, str], float]] = [{} for _ in range(n)]
    where: dict[str, list[int]] = {}
    for i, f in enumerate(folded):
        if f:
            where.setdefault(f, []).append(i)
    if not where:
        return Context(unary, pair, 0)
    finder = _syllable_finder(tuple(sorted(where)))
    count = 0
    for rank, doc in enumerate(documents):
        count += 1
        doc_weight = 1.0 / (1.0 + rank) ** p.rank_decay
        for zone in _ZONES:
            text = _zone_text(doc, zone)
            if not text:
                continue
            matches = _find_syllables(text[: p.context_chars], finder)
            if not matches:
                continue
            weight = doc_weight * (p.title_weight if zone == "title" else 1.0)
            # Group the matches into chains of adjacent syllables, then find the
            # maximal runs of the query inside each chain.
            chain: list[tuple[str, str]] = []
            last_end = -2
            for start, end, f, spelt in matches:
                if start != last_end and chain:
                    _vote_chain(chain, folded, where, weight, p.run_power, p.whole_weight, p.single_weight, unary, pair)
                    chain = []
                chain.append((f, spelt))
                last_end = end
            if chain:
                _vote_chain(chain, folded, where, weight, p.run_power, p.whole_weight, p.single_weight, unary, pair)
    return Context(unary, pair, count)


def _zone_text(doc: object, zone: str) -> str:
    """*doc*'s text in *zone*: ``doc.get(zone)`` if it has ``get`` (a mapping), else its attribute; "" if none."""
    if hasattr(doc, "get"):
        text: str = doc.get(zone, "") or ""
    else:
        text = getattr(doc, zone, "") or ""
    return text


def _letter_classes() -> dict[str, str]:
    """For each ASCII letter, a regex class of every letter that folds to it ("d" → "[dđ]")."""
    variants: dict[str, set[str]] = {}
    for code, base in FOLD_ALL_TABLE.items():
        ch = chr(code)
        if ch == ch.lower():
            variants.setdefault(base.lower(), set()).add(ch)
    return {b: "[" + b + "".join(sorted(v)) + "]" for b, v in variants.items()}


_LETTER_CLASSES = _letter_classes()


@lru_cache(maxsize=256)
def _syllable_finder(folded: tuple[str, ...]) -> re.Pattern[str]:
    """A regex for any of the *folded* syllables, spelt any way, as a whole token, and the separator after it.

    Each letter matches its accented forms ("viet" matches "việt", "Viết"),
    so the text needs no folding: the regex engine scans it once in C.
    """
    def spelt(f: str) -> str:
        return "".join(_LETTER_CLASSES.get(c, re.escape(c)) for c in f)

    alternation = "|".join(spelt(f) for f in sorted(folded, key=len, reverse=True))
    # Not inside a longer token: no letter or digit next to it, nor a hyphen or
    # apostrophe joining it to one ("H'Mông", "COVID-19"); a quote is fine.
    return re.compile(rf"(?<!\w)(?<!\w[-'’])({alternation})(?!\w|[-'’]\w)[^\w\n]*", re.IGNORECASE)


def _find_syllables(text: str, finder: re.Pattern[str]) -> list[tuple[int, int, str, str]]:
    """(start, end, folded, spelt) of each query syllable in *text*, in order.

    *end* includes the separator after the syllable, so two matches are
    adjacent in the text when one ends where the next starts (only spaces or
    punctuation, no line break, between them). The spelling is the text's
    own, canonical and lower case.
    """
    text = prepare(text)[0]  # NFC, linear however many marks a letter carries
    out = []
    for m in finder.finditer(text):
        spelt = canonical(m.group(1))
        out.append((m.start(), m.end(), fold_all(spelt), spelt))
    return out


def _vote_chain(chain: list[tuple[str, str]], folded: list[str], where: dict[str, list[int]], weight: float,
                power: float, whole: float, single: float, unary: list[dict[str, float]],
                pair: list[dict[tuple[str, str], float]]) -> None:
    """Add the votes of every maximal run of the query inside *chain* (adjacent syllables of a text)."""
    n = len(folded)
    for j, (f, _) in enumerate(chain):
        for i in where.get(f, ()):
            if i and j and chain[j - 1][0] == folded[i - 1]:
                continue  # inside a longer run, counted from its start
            length = 1
            while i + length < n and j + length < len(chain) and chain[j + length][0] == folded[i + length]:
                length += 1
            w = weight * (length ** power * (whole if length == n > 1 else 1.0) if length > 1 else single)
            for k in range(length):
                spelt = chain[j + k][1]
                unary[i + k][spelt] = unary[i + k].get(spelt, 0.0) + w
                if k:
                    key = (chain[j + k - 1][1], spelt)
                    pair[i + k][key] = pair[i + k].get(key, 0.0) + w


def restore(syllables: Sequence[str], df: Callable[[str], int], total_docs: int,
            params: RestoreParams | None = None,
            adjacent: Callable[[str], int] | None = None, context: Context | None = None) -> Restoration:
    """The most likely accented spelling of a query's *syllables*.

    *df* gives the document frequency of a term of the exact ``text`` field (a
    canonical syllable, or a multi-syllable word joined by a space);
    *total_docs* is the index size (kept for the API; the model only compares
    spellings of the same folded syllable, so it needs no absolute scale).
    Syllables typed with any diacritic are kept as typed; tokens that are not
    Vietnamese syllables ("usd", "2017") are kept as they are, and so is a
    syllable none of whose spellings the index has seen.

    *adjacent*, if given, is an extra statistic the index does not hold today:
    in how many documents two syllables ("của việt") stand next to each other;
    it disambiguates the function words that words alone cannot.

    *context*, if given (:func:`context_evidence`), holds the spellings the
    search hits' own text uses for runs of the query's syllables: each
    syllable's and each adjacent pair's readings are re-weighted towards the
    hits' votes (a Dirichlet mixture with the index-wide model), and spellings
    found there join the candidates.
    """
    p = params or DEFAULT_PARAMS
    typed = [canonical(s) for s in syllables]
    n = len(typed)
    if n == 0:
        return Restoration("", [], 1.0, False, [], [])

    cache: dict[str, int] = {}

    def freq(term: str) -> int:
        got = cache.get(term)
        if got is None:
            got = cache[term] = int(df(term))
        return got

    # Candidates per position, most frequent first, with their df and unigram score.
    cands: list[list[str]] = []
    freqs: list[list[int]] = []
    unary: list[list[float]] = []
    for tok in typed:
        options = [tok] if not tok or has_diacritics(tok) else spellings(fold_all(tok))
        if tok not in options:
            options.append(tok)  # "top", "hot": not Vietnamese, perhaps English
        elif options == [tok] and "d" in tok and not has_diacritics(tok):
            options = _d_variants(tok)  # abbreviations: "hdnd" → "hđnd", "cdv" → "cđv"
        if context is not None and not has_diacritics(tok):
            # Spellings the hits' text uses join in ("nội-hải", a hyphenated pair).
            options = options + [s for s in context.unary[len(cands)] if s not in options]
        if len(options) == 1:
            cands.append(options)
            freqs.append([freq(tok)])
            unary.append([0.0])
            continue
        scored = sorted(((freq(s), i, s) for i, s in enumerate(options)), key=lambda t: (-t[0], t[1]))
        # The most frequent spellings, and whatever the hits' text writes; where
        # the hits cover the syllable, fewer others (each costs word lookups).
        at = len(cands)
        seen_here = context.unary[at] if context is not None else {}
        covered = context is not None and (sum(context.pair[at].values())
                                           + (sum(context.pair[at + 1].values()) if at + 1 < n else 0.0)
                                           >= p.context_cover)
        cap = min(p.max_candidates, p.context_keep) if covered else p.max_candidates
        kept = [(f, s) for rank, (f, _, s) in enumerate(scored) if (rank < cap and f > 0) or s in seen_here]
        if not kept:  # no spelling in the index: leave it as typed
            cands.append([tok])
            freqs.append([0])
            unary.append([0.0])
            continue
        total = sum(f for f, _ in kept) + p.alpha * len(kept)
        cands.append([s for _, s in kept])
        freqs.append([f for f, _ in kept])
        unary.append([p.w1 * math.log((f + p.alpha) / total) for f, _ in kept])
        if context is not None and p.wc1:
            votes = context.unary[len(cands) - 1]
            v_total = sum(votes.get(s, 0.0) for _, s in kept)
            if v_total:
                # The hits' own distribution of spellings, add-β smoothed: a
                # second opinion next to the index-wide share, not a ratio to it
                # (a ratio would favour a rare misspelling with one vote).
                unary[-1] = [u + p.wc1 * math.log((votes.get(s, 0.0) + p.beta_c1) / (v_total + p.beta_c1))
                             for u, (_, s) in zip(unary[-1], kept)]

    # Pair factors for positions (i-1, i): 2-syllable words, plus adjacency if known.
    pair: list[list[list[float]] | None] = [None] * n
    for i in range(1, n):
        ca, cb = cands[i - 1], cands[i]
        if len(ca) == 1 and len(cb) == 1:
            continue  # one reading: a constant, whatever it is
        rows = None
        w2 = p.w2_context if context is not None and not context.empty else p.w2
        if w2:
            fa, fb = freqs[i - 1], freqs[i]
            counts = [[freq(a + WORD_JOINER + b) for b in cb] for a in ca]
            if any(map(any, counts)):
                # The bonus grows with the share of the rarer syllable's documents
                # in which the segmenter found the pair as one word.
                rows = [[w2 * math.log1p(counts[x][y] / (p.rho2 * max(1, min(fa[x], fb[y]))))
                         for y in range(len(cb))] for x in range(len(ca))]
        if adjacent is not None and p.wa:
            counts = [[adjacent(a + WORD_JOINER + b) for b in cb] for a in ca]
            s2 = sum(map(sum, counts))
            if s2:
                # A distribution over the readings of the folded pair, smoothed
                # towards the unigram model; the factor is its ratio to that model.
                pa = [math.exp(u / p.w1) if p.w1 else 1.0 / len(ca) for u in unary[i - 1]]
                pb = [math.exp(u / p.w1) if p.w1 else 1.0 / len(cb) for u in unary[i]]
                rows = rows or [[0.0] * len(cb) for _ in ca]
                denom = s2 + p.beta_a
                for x in range(len(ca)):
                    for y in range(len(cb)):
                        q = pa[x] * pb[y]
                        rows[x][y] += p.wa * math.log((counts[x][y] + p.beta_a * q) / (denom * q))
        if context is not None and p.wc2 and context.pair[i]:
            votes2 = context.pair[i]
            counts2 = [[votes2.get((a, b), 0.0) for b in cb] for a in ca]
            v2 = sum(sum(row) for row in counts2)
            if v2:
                rows = rows or [[0.0] * len(cb) for _ in ca]
                denom = v2 + p.beta_c2
                for x in range(len(ca)):
                    for y in range(len(cb)):
                        rows[x][y] += p.wc2 * math.log((counts2[x][y] + p.beta_c2) / denom)
        pair[i] = rows

    # Triple factors for (i-2, i-1, i): 3-syllable words ("hồ chí minh"), looked
    # up among each syllable's top candidates only. Sparse: {(a, b): {c: bonus}}.
    triple: list[dict[tuple[int, int], dict[int, float]] | None] = [None] * n
    k3 = p.trigram_candidates
    if p.w3:
        for i in range(2, n):
            sizes = [min(len(cands[j]), k3) for j in (i - 2, i - 1, i)]
            if sizes == [1, 1, 1]:
                continue
            table: dict[tuple[int, int], dict[int, float]] = {}
            for x, y, z in product(range(sizes[0]), range(sizes[1]), range(sizes[2])):
                c = freq(WORD_JOINER.join((cands[i - 2][x], cands[i - 1][y], cands[i][z])))
                if c:
                    m = max(1, min(freqs[i - 2][x], freqs[i - 1][y], freqs[i][z]))
                    table.setdefault((x, y), {})[z] = p.w3 * math.log1p(c / (p.rho3 * m))
            triple[i] = table or None

    temperature = (p.temperature_context if context is not None and not context.empty
                   else p.temperature if adjacent is None else p.temperature_adjacent)
    path, best, marginals, logz = _decode(cands, unary, pair, triple, temperature)
    restored = [cands[i][j] for i, j in enumerate(path)]
    confidence = min(1.0, max(0.0, math.exp(best - logz))) if logz > -math.inf else 1.0
    changed = any(r != s for r, s in zip(restored, typed))
    syllable_conf = [min(1.0, marginals[i][j]) for i, j in enumerate(path)]
    return Restoration(" ".join(restored), restored, confidence, changed, syllable_conf, cands)


def _decode(cands: list[list[str]], unary: list[list[float]], pair: list[list[list[float]] | None],
            triple: list[dict[tuple[int, int], dict[int, float]] | None],
            temperature: float) -> tuple[list[int], float, list[list[float]], float]:
    """Viterbi, forward and backward over states (candidate at i-1, candidate at i).

    Factors are scaled by 1/temperature (which leaves the best path alone).
    Triple factors are sparse bonuses, so a step costs O(K² + bonuses), not O(K³).
    Returns (best path, its scaled score, per-position marginals, log partition).
    """
    t = temperature
    n = len(cands)
    u = [[v / t for v in row] for row in unary]
    if n == 1:
        logz = _lse(u[0])
        best_j = max(range(len(u[0])), key=lambda j: (u[0][j], -j))
        return [best_j], u[0][best_j], [[math.exp(v - logz) for v in u[0]]], logz

    def local(i: int, b: int, c: int) -> float:
        row = pair[i]
        return u[i][c] + (row[b][c] / t if row is not None else 0.0)

    # Position 1: states (a, b) over positions 0 and 1.
    sizes = [len(c) for c in cands]
    delta = [[u[0][a] + local(1, a, b) for b in range(sizes[1])] for a in range(sizes[0])]
    fwd = [delta]  # fwd[i-1][a][b]: log-sum over paths ending in state (a, b) at position i
    backs: list[list[list[int]]] = []  # backs[i-2][b][c]: best a for state (b, c) at position i
    vit = delta
    for i in range(2, n):
        na, nb, nc = sizes[i - 2], sizes[i - 1], sizes[i]
        tri = triple[i] or {}
        prev_f, prev_v = fwd[-1], vit
        new_f = [[0.0] * nc for _ in range(nb)]
        new_v = [[0.0] * nc for _ in range(nb)]
        bp = [[0] * nc for _ in range(nb)]
        for b in range(nb):
            col_f = [prev_f[a][b] for a in range(na)]
            col_v = [prev_v[a][b] for a in range(na)]
            base_f = _lse(col_f)
            best_a = max(range(na), key=lambda a: (col_v[a], -a))
            # Which a's earn a triple bonus for (a, b, c), per c.
            bonus_by_c: dict[int, list[tuple[int, float]]] = {}
            for a in range(min(na, len(col_f))):
                for c, bonus in tri.get((a, b), {}).items():
                    bonus_by_c.setdefault(c, []).append((a, bonus / t))
            for c in range(nc):
                extra = bonus_by_c.get(c, ())
                lc = local(i, b, c)
                new_f[b][c] = _lse_plus(base_f, [(col_f[a], bo) for a, bo in extra]) + lc
                va, vs = best_a, col_v[best_a]
                for a, bo in extra:
                    if col_v[a] + bo > vs:
                        va, vs = a, col_v[a] + bo
                new_v[b][c] = vs + lc
                bp[b][c] = va
        fwd.append(new_f)
        backs.append(bp)
        vit = new_v
    last = fwd[-1]
    logz = _lse([v for row in last for v in row])
    # Best final state and the path back.
    b, c = max(((b, c) for b in range(sizes[n - 2]) for c in range(sizes[n - 1])),
               key=lambda s: (vit[s[0]][s[1]], -s[0], -s[1]))
    best = vit[b][c]
    path = [c, b]
    for i in range(n - 1, 1, -1):
        a = backs[i - 2][path[-1]][path[-2]]
        path.append(a)
    path.reverse()
    # Backward pass: bwd[i-1][a][b] for state (a, b) at position i.
    bwd: list[list[list[float]]] = [[] for _ in range(n - 1)]  # each layer set below, last first
    bwd[n - 2] = [[0.0] * sizes[n - 1] for _ in range(sizes[n - 2])]
    for i in range(n - 1, 1, -1):
        na, nb, nc = sizes[i - 2], sizes[i - 1], sizes[i]
        tri = triple[i] or {}
        nxt = bwd[i - 1]
        cur = [[0.0] * nb for _ in range(na)]
        for b in range(nb):
            terms = [local(i, b, c) + nxt[b][c] for c in range(nc)]
            base = _lse(terms)
            for a in range(na):
                bonuses = tri.get((a, b))
                cur[a][b] = _lse_plus(base, [(terms[c], bo / t) for c, bo in bonuses.items()]) if bonuses else base
        bwd[i - 2] = cur
    # Marginals: position 0 from the first state layer, position i >= 1 from layer i-1.
    marg = [[0.0] * s for s in sizes]
    first_f, first_b = fwd[0], bwd[0]
    for a in range(sizes[0]):
        marg[0][a] = math.exp(_lse([first_f[a][b] + first_b[a][b] for b in range(sizes[1])]) - logz)
    for i in range(1, n):
        f_, b_ = fwd[i - 1], bwd[i - 1]
        for c in range(sizes[i]):
            marg[i][c] = math.exp(_lse([f_[b][c] + b_[b][c] for b in range(sizes[i - 1])]) - logz)
    return path, best, marg, logz


# -- conveniences --------------------------------------------------------------------


def index_df(snapshot: Snapshot, fieldname: str = "text", cache_size: int = 200_000,
             preload: bool = False) -> tuple[Callable[[str], int], int]:
    """A document-frequency function over *snapshot*'s exact field, and its doc count.

    Works on a :class:`~vnsearch.store.snapshot.Snapshot`. Lookups go to the term
    table (~6 µs each) and are cached; ``preload=True`` instead reads the whole
    field's term table into a dict once (~0.4 s and ~10 MB for 5,000 articles),
    after which a lookup costs ~0.1 µs — for a long-lived server. Either way
    the function describes this snapshot: build a new one for a newer commit.
    Safe to call from several threads at once.
    """
    if preload:
        table: dict[str, int] = dict(snapshot.term_frequencies(fieldname))
        get = table.get
        return (lambda term: get(term, 0)), snapshot.doc_count

    cache: dict[str, int] = {}
    doc_frequency = snapshot.doc_frequency

    def df(term: str) -> int:
        got = cache.get(term)
        if got is None:
            if len(cache) >= cache_size:
                cache.clear()
            got = cache[term] = doc_frequency(fieldname, term)
        return got

    return df, snapshot.doc_count


def onto_text(original: str, restored: Sequence[str]) -> str:
    """*original* with its syllables replaced by *restored*, keeping its case, punctuation and spacing.

    :func:`restore` works on lower-case syllables; a reader wants their own
    text back: "Thu tuong tham Ha Noi, Da Nang." → "Thủ tướng thăm Hà Nội,
    Đà Nẵng.". *restored* must be :func:`vnsearch.lang.analysis.syllables`
    of *original*, one for one (as :func:`query_syllables` gives them);
    otherwise *restored* is returned joined by spaces.
    """
    tokens = syllables_of(original)
    if len(tokens) != len(restored):
        return " ".join(restored)
    out: list[str] = []
    last = 0
    for tok, new in zip(tokens, restored):
        typed = original[tok.start:tok.end]
        out.append(original[last:tok.start])
        if len(typed) == len(new):
            new = "".join(c.upper() if t.isupper() else c for c, t in zip(new, typed))
        elif typed[:1].isupper():
            new = new[:1].upper() + new[1:]
        out.append(new)
        last = tok.end
    out.append(original[last:])
    return "".join(out)


class Restorer(Protocol):
    """What :func:`restore_text` needs of an engine: search does not import the engine."""

    def restoration(self, text: str, context: bool = ..., params: RestoreParams | None = ...) -> Restoration: ...


def restore_text(engine: Restorer, text: str, params: RestoreParams | None = None, context: bool = True) -> Restoration:
    """Restore a raw query string against an open :class:`~vnsearch.engine.SearchEngine`.

    The same as ``engine.restoration(text)``: the hits of the folded text vote
    for spellings (*context*), the index-wide model fills in the rest.
    """
    return engine.restoration(text, context=context, params=params)


def pair_document_frequencies(texts_per_document: Iterable[Iterable[str | None]]) -> Counter[str]:
    """In how many documents each pair of adjacent syllables occurs ("của việt").

    The statistic for :func:`restore`'s *adjacent*: pass ``table.get``-like
    lookups (``lambda term: table.get(term, 0)``). Each document is given as
    its texts (title, lead, body); pairs never span two texts.
    """
    table: Counter[str] = Counter()
    for texts in texts_per_document:
        seen: set[str] = set()
        for text in texts:
            syl = query_syllables(text or "")
            seen.update(a + WORD_JOINER + b for a, b in zip(syl, syl[1:]))
        table.update(seen)
    return table
