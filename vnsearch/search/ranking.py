"""Ranking: BM25F over syllables in two diacritic tiers, with proximity.

Why our own scorer over Whoosh's postings rather than Whoosh's query objects:

* a query syllable is matched on two tiers at once (exact, folded), each with
  its own idf, so ``bàn`` prefers ``bàn`` but still finds ``ban``;
* the query is never segmented: each syllable is a clause, and consecutive
  syllables that stand next to each other in an article earn a proximity
  bonus, which rewards the same word sequence whatever the segmenter did;
* plain words are soft-AND: a document missing a word still ranks, scaled by
  the share of the query's weight it covers, so long natural-language
  questions work as well as two-word keyword queries;
* scoring whole posting lists with numpy is ~20× faster than Whoosh's
  per-posting matchers on common syllables.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from vnsearch import caps
from vnsearch.lang.analysis import WORD_JOINER, _folded_lower, iter_ngrams
from vnsearch.lang.analysis import syllables as syllables_of
from vnsearch.lang.spelling import spellings, split_folded, tone_variants
from vnsearch.lang.text import fold_all, fold_tone, has_diacritics
from vnsearch.search.columns import Columns
from vnsearch.search.query import ParsedQuery, Phrase
from vnsearch.search.ties import by_id_in_ties
from vnsearch.search.understand import Alternative, combine_alternatives, exact_mask
from vnsearch.store.postings import EMPTY, Postings
from vnsearch.store.schema import ZONE_OFFSET
from vnsearch.store.snapshot import Snapshot
from vnsearch.store.statistics import LocalStatistics, Statistics

__all__ = ["Ranker", "Ranking", "RankParams"]

# Question words: an answer seldom holds them, so in a question they say
# little about which article answers it ("Tesla chết năm nào?").
INTERROGATIVES = frozenset("gì nào ai đâu sao bao nhiêu lâu mấy thế nào".split())
# Postings a Ranker keeps decoded between queries (~12 bytes each, plus their
# positions still deflated): about 50 MB at most.
CACHE_POSTINGS = 3_000_000
# The fields the ranker scores: a snapshot's document frequency of a term there is a cheap, remembered
# lookup (the impacts directory), 0 exactly when the term has no postings to read.
SCORED_FIELDS = frozenset(("text", "text_f", "title_f"))
# Tiers of a syllable summed over several lists (its other tones, its spellings) are merged list by list
# while they hold fewer postings than 1/SPARSE_SHARE of the corpus; past that, a dense array costs less.
SPARSE_SHARE = 64


@dataclass(frozen=True)
class RankParams:
    """Weights found on the relevance benchmark (bench/relevance.py)."""

    b: float = 0.75
    k1: float = 1.2
    word_weight: float = 0.3  # a query word the segmenter also found in the article
    title_weight: float = 2.0  # BM25 of the title alone, on top of the whole article
    folded_weight: float = 0.35  # a folded-only match, for a query typed with diacritics
    tone_weight: float = 0.1  # the same letters with another tone, for a query typed with diacritics
    level_tone_weight: float = 0.8  # within that tier, the form with no tone mark
    coverage_power: float = 0.3
    pair_weight: float = 3.0  # adjacent query syllables, in order
    near_weight: float = 0.2  # within a few syllables
    chain_weight: float = 3.0  # per syllable of the longest in-order run beyond two
    near_window: int = 4
    rerank: int = 300
    min_coverage: float = 0.0  # share of the query's weight a partial match must hold
    # A query typed with diacritics somewhere: its unmarked syllables ("hoang"
    # in "dép hoang") were typed as meant, so they prefer the unmarked form.
    unmarked_exact: bool = True
    title_all_weight: float = 2.0  # score × (1 + this) where the title holds every query word
    # A query that ends with "?" is a question: its question words count this
    # much, and word order this much of the usual (a question rephrases its answer).
    question_weight: float = 0.2
    question_proximity: float = 0.5
    forms_max_share: float = 0.05  # spellings in more of the articles than this are left out of forms
    forms_weight: float = 0.15  # typed without diacritics: BM25 of each accented form found, own idf
    title_info_power: float = 1.0  # see title_information
    title_info_depth: int = 30
    title_order_weight: float = 0.5  # score × (1 + this) where it holds a run of them in the order typed


@dataclass
class Ranking:
    """Ranked global doc numbers, scores, and how many documents matched fully."""

    docs: np.ndarray
    scores: np.ndarray
    total: int  # documents matching every required part of the query
    matched: int  # documents matching any part
    facets: dict[str, dict[str, int]] | None = None  # counts over the `total` documents
    # rank(shard=True), for the merge of a sharded index: per doc, the score before the
    # proximity re-rank, and whether its title holds every query word.
    first: np.ndarray | None = None
    title_all: np.ndarray | None = None
    # The first *n* of the same order (offset 0), without scoring again; None where
    # a longer page would be ranked differently (past the re-rank window).
    more: Callable[[int], Ranking | None] | None = field(default=None, repr=False, compare=False)

    def extended(self, limit: int) -> Ranking | None:
        """The first *limit* documents of this ranking, or None if it must be ranked again.

        A page that folds near-copies, or drops the article itself, may need
        more than it asked for; within the re-rank window the longer page
        is the same ranking's order read further, not a second scoring of
        every matching document.
        """
        return self.more(limit) if self.more is not None else None


@dataclass
class _Unit:
    """One syllable (or phrase alternative) scored over all documents."""

    score: np.ndarray  # dense, per global doc number
    mask: np.ndarray  # bool, documents that match
    idf: float
    # Folded tier, with positions (for proximity); None for a phrase. A typed syllable with corrections
    # holds its own and theirs, first-come per document (see position_keys).
    postings: Postings | tuple[Postings, ...] | None
    title_mask: np.ndarray  # documents whose title holds it (all its syllables, for a phrase)
    # Documents that hold it for the score's coverage, where that is more than `mask` (the matches counted in
    # totals): those holding a reading of a lone consonant ("sứ" of "đồ s"), which totals do not count.
    cover: np.ndarray | None = None


# A position key: the candidate's index << _KEY_SHIFT | the position (positions
# stay below 4 zones × 2**22 < 2**25, so keys sort by candidate, then position,
# and a key ± a few positions never reaches another candidate's).
_KEY_SHIFT = 25
_POSITION_MASK = (1 << _KEY_SHIFT) - 1


def position_keys(postings: Postings | tuple[Postings, ...] | None, docs: np.ndarray,
                  cap: int | None = None) -> np.ndarray:
    """Sorted keys of every position, in *postings*, of each of *docs* (in their order; those absent have none).

    With *cap*, only each document's first *cap* positions: what proximity
    reads (:data:`vnsearch.caps.PROXIMITY_POSITIONS`), so its work does not
    grow with the length of the articles. Phrases pass no cap: they must be exact.
    Several postings (a typed syllable and its corrections): each document's
    positions from the first that holds it, so a correction stands where the
    typed syllable is missing.
    """
    if isinstance(postings, tuple):
        merged = position_keys(postings[0], docs, cap)
        for more in postings[1:]:
            missing = np.setdiff1d(np.arange(docs.size), np.unique(merged >> _KEY_SHIFT), assume_unique=True)
            if not missing.size:
                break
            got = position_keys(more, docs[missing], cap)
            if got.size:
                got = missing[got >> _KEY_SHIFT] << _KEY_SHIFT | (got & _POSITION_MASK)
                merged = np.sort(np.concatenate([merged, got]))
        return merged
    if postings is None:  # a phrase unit has no positions of its own
        return np.zeros(0, dtype=np.int64)
    pd = postings.docs
    if not len(pd) or not len(postings.values):
        return np.zeros(0, dtype=np.int64)
    idx = np.minimum(np.searchsorted(pd, docs), len(pd) - 1)
    found = np.flatnonzero(pd[idx] == docs)
    if not found.size:
        return np.zeros(0, dtype=np.int64)
    values: Any = postings.values  # Values, or the snapshot's guarded Values: both decode
    owner, positions = values.decode(idx[found])
    keys: np.ndarray = found[owner] << _KEY_SHIFT | positions
    if cap is not None and keys.size > cap:
        # Keys sort by document, then position: a key's rank within its document.
        first = np.searchsorted(keys, (keys >> _KEY_SHIFT) << _KEY_SHIFT)
        keys = keys[np.arange(keys.size) - first < cap]
    return keys


def proximity(runs: list[list[_Unit]], docs: np.ndarray, p: RankParams) -> tuple[np.ndarray, np.ndarray]:
    """Bonus for query syllables that stand together, in order, in each candidate.

    *runs* holds the units of each run of query words. Each adjacent pair of
    syllables found next to each other in a document earns ``pair_weight``
    × their mean idf (``near_weight`` where merely within ``near_window``),
    and the longest chain of consecutive query syllables earns
    ``chain_weight`` per syllable beyond two: six query syllables in a row
    are far stronger evidence than three scattered pairs.

    Each syllable's positions in every candidate are decoded in one go as
    sorted keys (:func:`position_keys`), so "x + 1 in the next list"
    and "within the window" are searches in sorted arrays, not a Python
    loop per candidate. Returns the bonus per candidate and whether some run
    of the query stands in the title (every syllable before ``ZONE_OFFSET``)
    in the order typed.
    """
    k = len(docs)
    owners = np.arange(k, dtype=np.int64)
    keys_of: dict[int, np.ndarray] = {}

    def keys(u: _Unit) -> np.ndarray:
        got = keys_of.get(id(u))
        if got is None:
            got = keys_of[id(u)] = position_keys(u.postings, docs, caps.PROXIMITY_POSITIONS)
        return got

    def following(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per key of *a*: whether key + 1 is in *b*, and where it would be."""
        if not b.size:
            return np.zeros(a.size, dtype=bool), np.zeros(a.size, dtype=np.int64)
        at = np.minimum(np.searchsorted(b, a + 1), b.size - 1)
        return b[at] == a + 1, at

    bonus = np.zeros(k, dtype=np.float64)
    ordered = np.zeros(k, dtype=bool)
    for run in runs:
        idf = [u.idf for u in run]
        lists = [keys(u) for u in run]
        longest = np.zeros(k, dtype=np.int64)
        chain_next = None  # chain lengths of the following syllable's keys
        for i in range(len(run) - 1, -1, -1):
            a = lists[i]
            if not a.size:
                chain_next = None
                continue
            chain = np.ones(a.size, dtype=np.int64)
            if i + 1 < len(run) and lists[i + 1].size:
                b = lists[i + 1]
                hit, at = following(a, b)
                if chain_next is not None:
                    chain += np.where(hit, chain_next[at], 0)
                pair_idf = (idf[i] + idf[i + 1]) / 2
                adjacent = np.zeros(k, dtype=bool)
                adjacent[a[hit] >> _KEY_SHIFT] = True
                lo = np.minimum(np.searchsorted(b, a - p.near_window), b.size - 1)
                near = np.zeros(k, dtype=bool)
                close = (b[lo] >= a - p.near_window) & (b[lo] <= a + p.near_window)
                near[a[close] >> _KEY_SHIFT] = True
                bonus += np.where(adjacent, pair_idf * p.pair_weight,
                                  np.where(near, pair_idf * p.near_weight, 0.0))
            np.maximum.at(longest, a >> _KEY_SHIFT, chain)
            chain_next = chain
        bonus += np.where(longest > 2, (longest - 2) * sum(idf) / len(idf) * p.chain_weight, 0.0)
        if p.title_order_weight and len(run) > 1:
            # Each syllable's first position after the previous one's, all in the title.
            last = np.full(k, -1, dtype=np.int64)
            alive = np.ones(k, dtype=bool)
            for a in lists:
                if not a.size:
                    alive[:] = False
                    break
                at = np.minimum(np.searchsorted(a, owners << _KEY_SHIFT | (last + 1)), a.size - 1)
                got = a[at]
                position = got & _POSITION_MASK
                alive &= (got >> _KEY_SHIFT == owners) & (position < ZONE_OFFSET) & (position > last)
                last = position
            ordered |= alive
    return bonus, ordered


class Ranker:
    """Scores parsed queries against one :class:`~vnsearch.store.snapshot.Snapshot`.

    Safe to share between threads reading the same snapshot: its caches are
    filled under a lock or computed idempotently.
    """

    def __init__(self, snapshot: Snapshot, params: RankParams | None = None,
                 cache_postings: int = CACHE_POSTINGS, stats: Statistics | None = None) -> None:
        self.snapshot = snapshot
        self.params = params or RankParams()
        self.size = snapshot.size
        self.live = snapshot.live
        # Corpus-wide numbers: the snapshot's own, or a sharded index's merged ones.
        self.stats = stats or LocalStatistics(snapshot)
        self.doc_count = self.stats.doc_count
        self._cache_lock = threading.Lock()
        self._norms: dict[str, np.ndarray] = {}
        self._cache: OrderedDict[tuple[str, str], Postings] = OrderedDict()
        self._cache_budget = cache_postings
        self._cache_used = 0
        self.columns = Columns(snapshot, self.postings, self.stats)  # dates, facets, filters
        self._idf_cache: dict[str, float] = {}
        self.held: dict[str, list[tuple[str, int]]] = {}  # folded -> its spellings in `text`, with df

    # -- building blocks -------------------------------------------------

    def postings(self, fieldname: str, term: str) -> Postings:
        """The postings of *term*, from a cache of the most recently used lists.

        Queries share their common syllables (``của``, ``người``, ``Việt``),
        whose lists are the longest to read: a list read for one query is
        kept for the next, least recently used first out, within a budget of
        :data:`CACHE_POSTINGS` postings (each list counts one more, so many
        short lists cannot crowd the budget unseen). A term the snapshot
        holds in no document is not read at all.
        """
        key = (fieldname, term)
        cache = self._cache
        with self._cache_lock:
            got = cache.get(key)
            if got is not None:
                cache.move_to_end(key)
                return got
        if fieldname in SCORED_FIELDS and not self.snapshot.doc_frequency(fieldname, term):
            # Most of the tones, spellings and words a query looks for are held by no article: the snapshot's
            # remembered frequencies say so without a read, and they take no room in the cache.
            return EMPTY
        got = self.snapshot.postings(fieldname, term)
        cost = len(got.docs) + 1
        if cost <= self._cache_budget:
            with self._cache_lock:
                if key not in cache:
                    cache[key] = got
                    self._cache_used += cost
                    while self._cache_used > self._cache_budget:
                        self._cache_used -= len(cache.popitem(last=False)[1].docs) + 1
        return got

    def _norm(self, fieldname: str) -> np.ndarray:
        """Per document: BM25's length normalisation for *fieldname*."""
        norm = self._norms.get(fieldname)
        if norm is None:
            lengths = self.snapshot.field_lengths(fieldname)
            avg = self.stats.average_length(fieldname, lengths, self.live)
            b = self.params.b
            norm = (1.0 / (1 - b + b * lengths / max(avg, 1.0))).astype(np.float32)
            self._norms[fieldname] = norm
        return norm

    def idf(self, df: int) -> float:
        """BM25's idf of a term held by *df* documents."""
        n = max(self.doc_count, 1)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def _weights(self, fieldname: str, term: str) -> tuple[np.ndarray, np.ndarray, float, Postings]:
        """BM25 of *term* over the documents holding it: (their doc numbers, float32 scores, idf, postings).

        Sparse: the tiers a syllable adds to its score touch only their own
        documents (element by element the same float32 arithmetic as over
        dense arrays, where every other document adds 0), so a rare term costs
        what its list does, not what the corpus does.
        """
        p = self.postings(fieldname, term)
        df = self.stats.df(fieldname, term, len(p.docs))
        idf = self.idf(df) if df else 0.0  # a shard lacking the term still weighs it as the corpus does
        if not len(p.docs):
            return p.docs, p.freqs.astype(np.float32, copy=False), idf, p
        tf = p.freqs * self._norm(fieldname)[p.docs]
        # float32 as a dense score array would round it (an old segment's weights may come as float64).
        return p.docs, (idf * tf / (self.params.k1 + tf)).astype(np.float32, copy=False), idf, p

    def _score(self, fieldname: str, term: str) -> tuple[np.ndarray, np.ndarray, float, Postings]:
        """BM25 of *term* over all documents (dense), its match mask and idf."""
        docs, values, idf, p = self._weights(fieldname, term)
        score = np.zeros(self.size, dtype=np.float32)
        mask = np.zeros(self.size, dtype=bool)
        score[docs] = values
        mask[docs] = True
        return score, mask, idf, p

    def syllable(self, syllable: str, accented_query: bool = False) -> _Unit:
        """A query syllable, scored on up to three diacritic tiers.

        Typed with diacritics (``bàn``): the exact form counts fully, the same
        letters with another tone (``bán``, ``bạn``, ``ban``) count
        ``tone_weight``, and any form that folds alike (``bân``, ``bẩn``) counts
        ``folded_weight``. Typed without (``ban``): every form matches alike and
        the other signals decide, unless *accented_query* says the user typed
        diacritics elsewhere in the query: then ``hoang`` in ``dép hoang``
        is taken as written, and ``hoàng`` is another tone of it.

        Each tier is added where it is held only (adding 0 elsewhere changes no float).
        """
        folded = fold_all(syllable)
        score_f, mask, idf, postings = self._score("text_f", folded)
        title_docs, title_score = self._weights("title_f", folded)[:2]
        title_mask = np.zeros(self.size, dtype=bool)
        title_mask[title_docs] = True
        if self.params.title_weight:
            score_f[title_docs] += self.params.title_weight * title_score
        if not has_diacritics(syllable) and not (accented_query and self.params.unmarked_exact
                                                 and folded.isalpha()):
            if self.params.forms_weight and folded.isalpha():
                form_docs, form_score = self._forms(folded)
                score_f[form_docs] += self.params.forms_weight * form_score
            return _Unit(score_f, mask, idf, postings, title_mask)
        exact_docs, exact_score = self._weights("text", syllable)[:2]
        score = self.params.folded_weight * score_f
        score[exact_docs] += exact_score
        if self.params.tone_weight:
            tone_docs, tone_score = self._tone_tier(syllable)
            score[tone_docs] += self.params.tone_weight * tone_score
        return _Unit(score, mask, idf, postings, title_mask)

    def _forms(self, folded: str) -> tuple[np.ndarray, np.ndarray]:
        """Exact-tier BM25 of every accented form of *folded*, each with its own idf: (doc numbers, sums).

        An accentless query is a disjunction of the words it could spell: an
        article holding a rare spelling of it (``thai`` in ``có thai``) holds
        a more telling word than one holding a common one.
        """
        common = max(self.params.forms_max_share * self.doc_count, 100)  # a small index reads them all
        # A spelling most articles hold says little (its idf is low) and
        # costs the most to read: only the telling ones are scored.
        parts = [self._weights("text", form)[:2] for form, df in held_spellings(self, folded) if df <= common]
        return _summed(parts, self.size)

    def _tone_tier(self, syllable: str) -> tuple[np.ndarray, np.ndarray]:
        """BM25 over the other tones of *syllable*; a marked tone before the unmarked form.

        Someone who typed a tone mark is likelier to have mistyped the mark
        than to have meant none, so ``bàn`` ranks ``bán`` above ``ban``.
        Returns the documents holding another tone (ascending) and their scores.
        """
        level = fold_tone(syllable)
        norm = self._norm("text")
        parts = []
        for variant in tone_variants(syllable):
            if variant == syllable:
                continue
            p = self.postings("text", variant)
            if len(p.docs):
                weight = self.params.level_tone_weight if variant == level else 1.0
                parts.append((p.docs, weight * p.freqs * norm[p.docs]))
        docs, tf = _summed(parts, self.size)
        held = tf != 0
        if not held.all():
            docs, tf = docs[held], tf[held]
        if not docs.size:
            return docs, tf
        return docs, self.idf(self.stats.other_tones(syllable, docs.size)) * tf / (self.params.k1 + tf)

    def word(self, syllables: Sequence[str]) -> np.ndarray | None:
        """Bonus where the article's segmentation found this query run as one word."""
        term = WORD_JOINER.join(syllables)
        if not self.postings("text", term).docs.size:
            return None
        docs, values = self._weights("text", term)[:2]
        bonus = np.zeros(self.size, dtype=np.float32)
        bonus[docs] = self.params.word_weight * values
        return bonus

    # -- phrases and proximity --------------------------------------------

    def phrase(self, phrase: Phrase, accented_query: bool = False) -> _Unit:
        units = [self.syllable(s, accented_query) for s in phrase.syllables]
        if len(units) == 1:
            return units[0]
        mask = np.logical_and.reduce([u.mask for u in units])
        docs = np.flatnonzero(mask)
        if docs.size:
            # Every candidate's positions of every syllable, decoded in bulk
            # (:func:`position_keys`): a phrase starts at key x when syllable
            # k is at x + k, for each k.
            # Both key lists are sorted, so membership is a binary search (np.isin
            # sorts them again, np.unique hashes: 16 ms for a common pair on 35k articles).
            starts = position_keys(units[0].postings, docs)
            for k, u in enumerate(units[1:], 1):
                following = position_keys(u.postings, docs)
                if not following.size:
                    starts = following
                    break
                wanted = starts + k
                at = np.minimum(np.searchsorted(following, wanted), following.size - 1)
                starts = starts[following[at] == wanted]
                if not starts.size:
                    break
            mask[docs] = False
            mask[docs[starts >> _KEY_SHIFT]] = True
        score = np.where(mask, sum(u.score for u in units), 0).astype(np.float32)
        title_mask = np.logical_and.reduce([u.title_mask for u in units])  # near enough for the title bonus
        return _Unit(score, mask, sum(u.idf for u in units), None, title_mask)

    # -- filters ------------------------------------------------------------

    # -- the whole query ----------------------------------------------------

    def rank(self, query: ParsedQuery, limit: int = 10, offset: int = 0, sort: str = "relevance",
             facets: bool = False, filters: dict[str, list[str]] | None = None,
             half_life: float | None = None,
             alternatives: Mapping[str, Sequence[Alternative]] | None = None, shard: bool = False) -> Ranking:
        """The page [offset, offset + limit) of the matches of *query*.

        ``sort="newest"`` / ``"oldest"`` orders the documents matching every
        required part of the query (``total`` of them) by date, undated last,
        ties by score; ``"relevance"`` ranks partial matches too. *filters*
        (like ``query.filters``) must all hold as well. ``facets=True`` counts
        the ``total`` documents per source, category, credit and month.
        ``half_life`` (days, relevance order only) multiplies each score by
        ``0.5 ** (age / half_life)``, the age counted from the newest dated
        article in the index (see :meth:`recency`). *alternatives* (typed
        syllable -> likely corrections, :func:`vnsearch.search.understand.understand`)
        are scored next to their typed syllable, always below it
        (:func:`with_alternatives`). Exact parts (``=bão``) match only their
        exact spelling: every count, facet and sort sees those documents alone.
        ``shard=True`` (one shard of a sharded index): relevance order returns the
        whole re-rank window with ``first`` and ``title_all``, title step left to
        the merge (:mod:`vnsearch.search.sharded`).
        """
        p = self.params
        if sort not in ("relevance", "newest", "oldest"):
            raise ValueError(f"unknown sort {sort!r}")
        question = query.text.rstrip().endswith("?")
        if question and p.question_proximity != 1:
            p = replace(p, pair_weight=p.pair_weight * p.question_proximity,
                        chain_weight=p.chain_weight * p.question_proximity)
        allowed = self.live.copy()
        for filter_set in (query.filters, filters or {}):
            for key, values in filter_set.items():
                fmask = self.columns.filter_mask(key.lstrip("-"), values)
                allowed &= ~fmask if key.startswith("-") else fmask
        if query.has_date_filter:
            allowed &= self.columns.date_mask(query.since, query.until)
        for phrase in query.excluded:
            allowed &= ~self.phrase(phrase).mask
        exact = exact_mask(query, self.snapshot)
        if exact is not None:
            allowed &= exact

        syllable_units: dict[str, _Unit] = {}
        accented = any(has_diacritics(s) for s in query.syllables())

        def unit_for(ph: Phrase) -> _Unit:
            if not ph.quoted and len(ph.syllables) == 1:
                s = ph.syllables[0]
                if s not in syllable_units:
                    unit = self.syllable(s, accented or ph.exact)
                    alts = alternatives.get(s) if alternatives and not ph.exact else None
                    syllable_units[s] = with_alternatives(self, unit, alts, accented) if alts else unit
                return syllable_units[s]
            return self.phrase(ph, accented)

        base = np.zeros(self.size, dtype=np.float32)
        covered = np.zeros(self.size, dtype=np.float32)
        title_all = np.ones(self.size, dtype=bool) if p.title_all_weight else None
        weight_total = 0.0
        required = allowed.copy()
        for group in query.groups:
            units = [unit_for(ph) for ph in group]
            score = np.maximum.reduce([u.score for u in units]) if len(units) > 1 else units[0].score
            mask = np.logical_or.reduce([u.mask for u in units]) if len(units) > 1 else units[0].mask
            hard = any(ph.quoted for ph in group)
            if hard:
                allowed &= mask
            idf = max(u.idf for u in units)
            if question and len(group) == 1 and not group[0].quoted and group[0].syllables[0] in INTERROGATIVES:
                score = score * p.question_weight
                idf *= p.question_weight
            else:
                required &= mask
            base += score
            covers = [u.mask if u.cover is None else u.cover for u in units]
            covered += idf * (np.logical_or.reduce(covers) if len(covers) > 1 else covers[0])
            weight_total += idf
            if title_all is not None:
                title_all &= np.logical_or.reduce([u.title_mask for u in units])
        for run in query.runs:
            if alternatives and any(s in alternatives for s in run):
                bonus = corrected_word_bonus(self, run, alternatives)
                if bonus is not None:
                    base += bonus
            marked = [s for s in run if has_diacritics(s)]
            if not marked:
                # Words are indexed exact-only: an accentless run earns the bonus of the word it spells.
                bonus = accentless_word_bonus(self, run)
                if bonus is not None:
                    base += bonus
                continue
            for _, _, joined in iter_ngrams(run, (2, 3, 4)):
                bonus = self.word(joined.split(WORD_JOINER))
                if bonus is not None:
                    base += bonus
        coverage = covered / max(weight_total, 1e-9)
        candidates = np.flatnonzero(allowed & (coverage >= min(p.min_coverage, 1.0 - 1e-6)) & (covered > 0))
        total = int(np.count_nonzero(required))
        facet_counts = self.columns.facets(required) if facets else None
        if candidates.size == 0:
            return Ranking(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32), 0, 0, facet_counts)
        scores = base[candidates] * coverage[candidates] ** p.coverage_power
        if title_all is not None and query.groups:
            # Known-item searches are mostly for words of a headline: a title
            # holding every one of them is the best evidence there is.
            scores = np.where(title_all[candidates], scores * (1 + p.title_all_weight), scores)
        decay = None
        if half_life is not None and sort == "relevance":
            decay = self.columns.recency(half_life)
            scores = scores * decay[candidates]
        if sort != "relevance":
            # Every full match, by date; the score (without the proximity
            # bonus, which only reorders near the top) breaks ties.
            keep = required[candidates]
            docs, doc_scores = candidates[keep], scores[keep]
            dates = self.columns.dates()[docs].astype(np.int64)
            by_date = -dates if sort == "newest" else dates
            by = np.lexsort((docs, -doc_scores, by_date, dates == 0))

            def by_date_page(start: int, n: int) -> Ranking:
                order = by[by_id_in_ties(self.snapshot, docs[by], (by_date[by], doc_scores[by]), start, n)]
                order = order[start: start + n]
                return Ranking(docs[order], doc_scores[order], total, int(candidates.size), facet_counts,
                               more=lambda more_n: by_date_page(0, more_n))
            return by_date_page(offset, limit)
        # Proximity only changes the order near the top: check it there.
        k = min(candidates.size, max(p.rerank, offset + limit))
        top = np.argpartition(-scores, k - 1)[:k] if k < candidates.size else np.arange(candidates.size)
        runs = [[syllable_units[s] for s in run if s in syllable_units] for run in query.runs]
        runs = [r for r in runs if len(r) > 1]
        first = scores[top].copy() if shard else None
        if runs:
            docs = candidates[top]
            bonus, ordered = proximity(runs, docs, p)
            if bonus.any():
                # As float32 scores take it: bonus × coverage ** power (× decay).
                # (numpy's float32 power over an array may differ from its scalar
                # power in the last bit; scalars keep rankings as they were.)
                weights = np.array([c ** p.coverage_power for c in coverage[docs]], dtype=np.float32)
                scaled = bonus.astype(np.float32) * weights
                if decay is not None:
                    scaled = scaled * decay[docs]
                scores[top] += np.where(bonus != 0, scaled, np.float32(0))
            if p.title_order_weight and ordered.any():
                # Words remembered from a headline come in its order.
                scores[top] = np.where(ordered, scores[top] * (1 + p.title_order_weight), scores[top])
        if shard:
            return Ranking(candidates[top], scores[top], total, int(candidates.size), facet_counts, first,
                           title_all[candidates[top]] if title_all is not None and query.groups else None)
        if p.title_info_power and title_all is not None and query.groups:
            title_information(self, query, candidates, top, scores, title_all, p, alternatives)
        ranked = top[np.lexsort((candidates[top], -scores[top]))]

        def page(start: int, n: int) -> Ranking:
            order = ranked[by_id_in_ties(self.snapshot, candidates[ranked], (scores[ranked],), start, n)]
            order = order[start: start + n]
            return Ranking(candidates[order], scores[order], total, int(candidates.size), facet_counts,
                           more=longer)

        def longer(n: int) -> Ranking | None:
            # The same re-rank window (see k above), so the same order: read further.
            return page(0, n) if min(candidates.size, max(p.rerank, n)) == k else None
        return page(offset, limit)

    def folded_idf(self, term: str) -> float:
        """The idf of *term* in the folded field (cached)."""
        got = self._idf_cache.get(term)
        if got is None:
            if len(self._idf_cache) >= 100_000:
                self._idf_cache.clear()
            got = self._idf_cache[term] = self.idf(self.stats.doc_frequency("text_f", term))
        return got


def _summed(parts: Sequence[tuple[np.ndarray, np.ndarray]], size: int) -> tuple[np.ndarray, np.ndarray]:
    """The documents of any of *parts* (doc numbers, values) and their values summed in float32, in order.

    What a dense array of *size* documents summed them to, element by
    element (its other documents kept 0, which adds nothing): the parts
    merged where they are few, in a dense array where they are many (a
    merge costs more per posting, a dense array per document).
    """
    if len(parts) == 1:
        docs, values = parts[0]
        total = np.zeros(docs.size, dtype=np.float32)
        total += values
        return docs, total
    if sum(d.size for d, _ in parts) * SPARSE_SHARE < size:
        docs = _union([d for d, _ in parts])
        total = np.zeros(docs.size, dtype=np.float32)
        for d, values in parts:
            total[np.searchsorted(docs, d)] += values
        return docs, total
    dense = np.zeros(size, dtype=np.float32)
    for d, values in parts:
        dense[d] += values
    docs = np.flatnonzero(dense != 0)  # a document whose values sum to 0 adds nothing either way
    return docs, dense[docs]


def _union(parts: Sequence[np.ndarray]) -> np.ndarray:
    """The doc numbers in any of *parts* (each ascending, without repeats), ascending, each once."""
    if len(parts) <= 1:
        return parts[0] if parts else np.zeros(0, dtype=np.int64)
    merged = np.sort(np.concatenate(parts), kind="stable")  # sorted runs: a merge
    first = np.ones(merged.size, dtype=bool)
    np.not_equal(merged[1:], merged[:-1], out=first[1:])
    return merged[first]


def title_information(ranker: Ranker, query: ParsedQuery, candidates: np.ndarray, top: np.ndarray,
                  scores: np.ndarray, title_all: np.ndarray, p: RankParams,
                  alternatives: Mapping[str, Sequence[Alternative]] | None = None) -> None:
    """Among the best titles holding every query word, favour those the query sums up.

    Someone searching for a headline types its telling words: of two
    titles holding them, the one with fewer other rare words is the
    likelier to be meant. The share of the title's information (idf of
    its distinct folded syllables) that the query's words carry scales
    the title bonus: ``1 + title_all_weight × share ** title_info_power``.
    Read from the stored titles of the ``title_info_depth`` best such
    candidates only (and of any tied with the last of them: at most the
    re-rank window).
    """
    wanted = {fold_all(s) for s in query.syllables()}
    if alternatives:  # a title holding a correction holds what was meant ("lão" for "lãk")
        wanted |= {fold_all(a.replacement) for alts in alternatives.values() for a in alts if a.counted}
    docs = candidates[top]
    holders = np.flatnonzero(title_all[docs])
    if holders.size < 2:
        return
    held = scores[top[holders]]
    order = np.argsort(-held, kind="stable")
    depth = p.title_info_depth
    if order.size > depth:
        # Those tied with the last one read go too: equal articles (a story and
        # its re-issues) must not score apart by where the partition put them.
        depth += int(np.count_nonzero(held[order[depth:]] == held[order[depth - 1]]))
    holders = holders[order[:depth]]
    for h in holders.tolist():
        factor = title_factor(ranker, ranker.snapshot.stored(int(docs[h])).get("title") or "", wanted, p)
        if factor is not None:
            scores[top[h]] *= factor


def title_factor(ranker: Ranker, title: str, wanted: set[str], p: RankParams) -> float | None:
    """What :func:`title_information` multiplies a holder's score by (None: leave it)."""
    syllables = {_folded_lower(t.text) for t in syllables_of(title)}
    total = sum(ranker.folded_idf(t) for t in syllables)
    if total <= 0:
        return None
    share = min(sum(ranker.folded_idf(t) for t in syllables & wanted) / total, 1.0)
    # The title bonus, 1 + title_all_weight, becomes 1 + title_all_weight × share ** power.
    return float((1 + p.title_all_weight * share ** p.title_info_power) / (1 + p.title_all_weight))


# What a syllable typed with diacritics that no article holds so spelt ("ỡ") counts where the index holds
# it only folded ("ở", "o"), against 1.0 for a syllable held as typed (its corrections count up to 0.8).
UNSPELT_WEIGHT = 0.25


def with_alternatives(ranker: Ranker, unit: _Unit, alternatives: Sequence[Alternative], accented: bool) -> _Unit:
    """*unit* (a typed syllable) with its likely corrections scored next to it.

    Each correction is scored as any syllable (:meth:`Ranker.syllable`: an
    accented replacement on its own tiers), times its weight (below 1):
    a document holding the typed syllable keeps its score, one holding only a
    correction gets the best weighted correction's
    (:func:`~vnsearch.search.understand.combine_alternatives`), so an exact
    match always ranks above a corrected one. Proximity reads, per document,
    the typed syllable's positions, else those of its best correction there.
    A correction that is only a guess at a known syllable (``counted`` false)
    adds to the score of the documents holding it, but they do not match the
    typed syllable for that: totals, facets and date sorts stay as typed.
    """
    scored = [(a.weight, ranker.syllable(a.replacement, accented)) for a in alternatives]
    # A guess at a known syllable (not `counted`) adds to the score only: the typed word's matches,
    # and so the totals, stay as they were.
    none = np.zeros(ranker.size, dtype=bool)
    typed_score, keep = unit.score, unit.mask
    typed = alternatives[0].typed
    if has_diacritics(typed) and alternatives[0].counted and not ranker.stats.doc_frequency("text", typed):
        # No article holds the syllable as typed ("ỡ"): its matches are other spellings that fold alike
        # ("ở"), no likelier than its corrections ("đỡ"), which then compete in every document.
        typed_score, keep = unit.score * UNSPELT_WEIGHT, none
    elif has_diacritics(typed) and alternatives[0].counted:
        # A slip onto a real syllable ("mố" for "mối", never with "trump"): the typed syllable stands
        # where an article spells it so; where only a form folding alike does ("mô"), its corrections compete.
        keep = _holders(ranker, typed)
    # A correction spelt with diacritics counts where its article spells it so ("mối"), not where another
    # spelling folds alike ("mới", in every other article about Trump): a guess on a guess says little.
    # Titles are indexed folded: a title holding "moi" holds "mối" only if its article spells it anywhere.
    spelt = [_holders(ranker, a.replacement) if has_diacritics(a.replacement) else None for a in alternatives]
    score, mask = combine_alternatives(typed_score, unit.mask,
                                       [(w, u.score if held is None else u.score * held,
                                         none if not a.counted else u.mask if held is None else u.mask & held)
                                        for a, (w, u), held in zip(alternatives, scored, spelt)],
                                       keep)
    title_mask = unit.title_mask.copy()
    cover = None
    for a, (_, u), held in zip(alternatives, scored, spelt):
        if a.counted or a.telling:  # a mere guess does not make a title hold the query's words
            title_mask |= u.title_mask if held is None else u.title_mask & held
        if a.covers and not a.counted:
            cover = mask.copy() if cover is None else cover
            cover |= u.mask if held is None else u.mask & held
    # Positions: the typed syllable's where a document holds it, else its best correction's there.
    postings = tuple(p for p in (unit.postings, *(u.postings for _, u in scored)) if isinstance(p, Postings))
    return _Unit(score, mask, unit.idf or scored[0][1].idf, postings, title_mask, cover)


def _holders(ranker: Ranker, term: str) -> np.ndarray:
    """Per document: whether it holds *term* exactly (field ``text``)."""
    mask = np.zeros(ranker.size, dtype=bool)
    mask[ranker.postings("text", term).docs] = True
    return mask


# An accentless run's word forms: at most this many combinations of its syllables' spellings are looked up.
MAX_WORD_FORMS = 64
# Accentless runs longer than this get no word bonus: a copied headline is found by proximity already,
# and each n-gram costs up to MAX_WORD_FORMS lookups.
MAX_WORD_RUN = 4


def held_spellings(ranker: Ranker, folded: str) -> list[tuple[str, int]]:
    """The spellings of *folded* that the index holds (field ``text``), with their document frequencies (cached)."""
    got = ranker.held.get(folded)
    if got is None:
        if len(ranker.held) >= 100_000:
            ranker.held.clear()
        df = ranker.stats.doc_frequency
        got = ranker.held[folded] = [(form, n) for form in spellings(folded) if (n := df("text", form))]
    return got


def word_forms(ranker: Ranker, folded: Sequence[str]) -> list[str]:
    """The words of the index (field ``text``) that the accentless Vietnamese syllables *folded* spell.

    Each syllable's spellings the index holds (:func:`spellings`), combined
    and looked up as a word; none when there would be more than
    :data:`MAX_WORD_FORMS` combinations to look up.
    """
    options: list[list[str]] = [[]]
    if any(split_folded(f) is None for f in folded):
        return []  # "trump chan": not a Vietnamese word typed without its marks ("trump chặn" is the segmenter's slip)
    for f in folded:
        held = [form for form, _ in held_spellings(ranker, f)]
        if not held or len(options) * len(held) > MAX_WORD_FORMS:
            return []
        options = [o + [form] for o in options for form in held]
    out = []
    for o in options:
        term = WORD_JOINER.join(o)
        if ranker.stats.doc_frequency("text", term):
            out.append(term)
    return out


def accentless_word_bonus(ranker: Ranker, run: Sequence[str]) -> np.ndarray | None:
    """The word bonus of an accentless run: per document, the best of the words its n-grams spell.

    ``khoi nghiep`` earns what ``khởi nghiệp`` typed with diacritics would
    (:meth:`Ranker.word`) in the articles whose segmenter found that word,
    whichever accented word it is (the best scoring one per document).
    """
    folded = [fold_all(s) for s in run]
    if not 2 <= len(folded) <= MAX_WORD_RUN or not all(f.isalpha() for f in folded):
        return None
    total: np.ndarray | None = None
    for start, length, _ in iter_ngrams(folded, (2, 3)):
        best: np.ndarray | None = None
        for term in word_forms(ranker, folded[start:start + length]):
            got = ranker.word(term.split(WORD_JOINER))
            if got is not None:
                best = got if best is None else np.maximum(best, got)
        if best is not None:
            total = best if total is None else total + best
    return total


def corrected_word_bonus(ranker: Ranker, run: Sequence[str],
                         alternatives: Mapping[str, Sequence[Alternative]]) -> np.ndarray | None:
    """The word bonus a run would earn with one syllable corrected, times the correction's weight.

    ``lãk nông`` read as ``lão nông`` earns, in the articles whose segmenter
    found the word "lão nông", what that word typed would (the best of the
    corrections per document), so a correction that makes a word with its
    neighbours ranks as that word does, a little below it.
    """
    if len(run) > MAX_WORD_RUN:
        return None
    best: np.ndarray | None = None
    for i, typed in enumerate(run):
        for alt in alternatives.get(typed, ()):
            variant = [*run[:i], alt.replacement, *run[i + 1:]]
            for start, length, joined in iter_ngrams(variant, (2, 3)):
                if not start <= i < start + length:
                    continue
                part = variant[start:start + length]
                if all(has_diacritics(s) for s in part):
                    terms = [joined]
                else:
                    folded = [fold_all(s) for s in part]
                    terms = word_forms(ranker, folded) if all(f.isalpha() for f in folded) else []
                for term in terms:
                    got = ranker.word(term.split(WORD_JOINER))
                    if got is not None:
                        got = alt.weight * got
                        best = got if best is None else np.maximum(best, got)
    return best
