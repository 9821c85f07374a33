"""Scoring the parts of a query: one syllable on its diacritic tiers, a word, a phrase.

:class:`TermScorer` turns each part of a query into a :class:`Unit` (a BM25F
score for every document, the documents that match, its idf);
:class:`~vnsearch.search.ranking.Ranker` builds on it to rank whole queries.
Kept apart because the tiers of one syllable (its exact spelling, its other
tones, its folded form, its accented forms) are where the ranking's knowledge
of Vietnamese spelling lives, while combining the parts, re-ranking the best
by proximity and titles, and paging are the ranker's.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from vnsearch.lang.analysis import WORD_JOINER
from vnsearch.lang.spelling import spellings, tone_variants
from vnsearch.lang.text import fold_all, fold_tone, has_diacritics
from vnsearch.search.cache import ListCache
from vnsearch.search.columns import Columns
from vnsearch.search.kept import Kept
from vnsearch.search.proximity import KEY_SHIFT, position_keys
from vnsearch.search.query import Phrase
from vnsearch.store.postings import EMPTY, Postings
from vnsearch.store.snapshot import Snapshot
from vnsearch.store.statistics import LocalStatistics, Statistics

__all__ = ["CACHE_POSTINGS", "RankParams", "TermScorer", "Unit", "held_spellings"]

# Postings a Ranker keeps decoded between queries (~16 bytes each with their BM25 weights, plus their
# positions' layout once read, 16 bytes a posting laid out), and as many in summed tiers (12 bytes each):
# ~120 MB on the whole corpus after the speed mix's passes (search RSS 643 MB, 521 MB with no cache).
CACHE_POSTINGS = 3_000_000
# The fields the ranker scores: a snapshot's document frequency of a term there is a cheap, remembered
# lookup (the impacts directory), 0 exactly when the term has no postings to read.
SCORED_FIELDS = frozenset(("text", "text_f", "title_f"))
# Terms whose other tones, held spellings or folded idf a ranker keeps (each memo emptied past this many).
KEPT_TERMS = 100_000
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
class Unit:
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


class TermScorer:
    """Scores of one query syllable, word or phrase against one :class:`~vnsearch.store.snapshot.Snapshot`.

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
        self._norms: dict[str, np.ndarray] = {}
        # Each list counts one more, so many short lists cannot crowd the budget unseen.
        self._cache: ListCache[tuple[str, str], Postings] = ListCache(cache_postings, _list_cost)
        # Each list's BM25 weights (the snapshot's norms, the ranker's idf: the same for every query), kept
        # as the lists are, within the same budget of postings.
        self._bm25: ListCache[tuple[str, str], np.ndarray] = ListCache(cache_postings, _weights_cost)
        # A syllable's tiers summed over several lists (its other tones, an accentless syllable's spellings):
        # (doc numbers, values), the same for every query, kept within the same budget.
        self._tiers: ListCache[tuple[str, str], tuple[np.ndarray, np.ndarray]] = ListCache(cache_postings,
                                                                                             _tier_cost)
        self.columns = Columns(snapshot, self.postings, self.stats)  # dates, facets, filters
        self._idf_cache: Kept[str, float] = Kept(KEPT_TERMS)
        self.held: Kept[str, list[tuple[str, int]]] = Kept(KEPT_TERMS)  # folded -> its spellings in `text`, with df
        self._tones: Kept[str, list[tuple[str, float]]] = Kept(KEPT_TERMS)  # syllable -> its other tones held

    # -- building blocks -------------------------------------------------

    def postings(self, fieldname: str, term: str) -> Postings:
        """The postings of *term*, from a cache of the most recently used lists.

        Queries share their common syllables (``của``, ``người``, ``Việt``),
        whose lists are the longest to read: a list read for one query is
        kept for the next within a budget of :data:`CACHE_POSTINGS` postings,
        least recently used first out, but a list pushes out only lists asked
        for no more often than it (:class:`~vnsearch.search.cache.ListCache`).
        A term the snapshot holds in no document is not read at all.
        """
        if fieldname in SCORED_FIELDS and not self.snapshot.doc_frequency(fieldname, term):
            # Most of the tones, spellings and words a query looks for are held by no article: the snapshot's
            # remembered frequencies say so without a read (or the lock), and they take no room in the cache.
            return EMPTY
        key = (fieldname, term)
        got = self._cache.get(key)
        if got is None:
            got = self.snapshot.postings(fieldname, term)
            self._cache.offer(key, got)
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
        return self._weights_of(self.postings(fieldname, term), fieldname, term)

    def _weights_of(self, p: Postings, fieldname: str, term: str) -> tuple[np.ndarray, np.ndarray, float, Postings]:
        """:meth:`_weights` of the postings *p* of *term* (``self.postings(fieldname, term)``), already read.

        The weights are kept for the next query (read-only): a list's
        weights depend on nothing a query brings, and working them out
        (a gather of norms, four passes) cost as much as adding them in.
        """
        idf = self._idf_of(fieldname, term, p)
        if not len(p.docs):
            return p.docs, p.freqs.astype(np.float32, copy=False), idf, p
        key = (fieldname, term)
        values = self._bm25.get(key)
        if values is None or len(values) != len(p.docs):
            values = self._bm25_of(p, fieldname, idf)
            values.setflags(write=False)  # shared by later queries
            self._bm25.offer(key, values)
        return p.docs, values, idf, p

    def _bm25_of(self, p: Postings, fieldname: str, idf: float) -> np.ndarray:
        """BM25 of the documents of *p* (float32), worked out over the list or, for a long one, the corpus."""
        if len(p.docs) * 2 < self.size or p.freqs.dtype != np.float32:
            return bm25(p.freqs, self._norm(fieldname)[p.docs], idf, self.params.k1)
        # Held by most documents (``của``, ``người``): the weights worked out over the whole corpus at
        # once (dense passes cost less than gathering most of the norms), each document's from its own
        # frequency and norm by the same float32 operations, so its documents' values are those of the list.
        score = np.zeros(self.size, dtype=np.float32)
        score[p.docs] = p.freqs
        held: np.ndarray = bm25(score, self._norm(fieldname), idf, self.params.k1)[p.docs]
        return held

    def _idf_of(self, fieldname: str, term: str, p: Postings) -> float:
        """*term*'s idf, from the statistics every shard ranks by (0 for a term no document holds)."""
        df = self.stats.df(fieldname, term, len(p.docs))
        return self.idf(df) if df else 0.0  # a shard lacking the term still weighs it as the corpus does

    def _score(self, fieldname: str, term: str) -> tuple[np.ndarray, np.ndarray, float, Postings]:
        """BM25 of *term* over all documents (dense), its match mask and idf.

        Every other document scores 0, as the weights worked out over the
        whole corpus give it (0 × norm × idf / k1).
        """
        docs, values, idf, p = self._weights(fieldname, term)
        score = np.zeros(self.size, dtype=np.float32)
        score[docs] = values
        mask = np.zeros(self.size, dtype=bool)
        mask[docs] = True
        return score, mask, idf, p

    def syllable(self, syllable: str, accented_query: bool = False) -> Unit:
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
            return Unit(score_f, mask, idf, postings, title_mask)
        exact_docs, exact_score = self._weights("text", syllable)[:2]
        score = self.params.folded_weight * score_f
        score[exact_docs] += exact_score
        if self.params.tone_weight:
            tone_docs, tone_score = self._tone_tier(syllable)
            score[tone_docs] += self.params.tone_weight * tone_score
        return Unit(score, mask, idf, postings, title_mask)

    def _forms(self, folded: str) -> tuple[np.ndarray, np.ndarray]:
        """Exact-tier BM25 of every accented form of *folded*, each with its own idf: (doc numbers, sums).

        An accentless query is a disjunction of the words it could spell: an
        article holding a rare spelling of it (``thai`` in ``có thai``) holds
        a more telling word than one holding a common one.
        """
        def summed() -> tuple[np.ndarray, np.ndarray]:
            common = max(self.params.forms_max_share * self.doc_count, 100)  # a small index reads them all
            # A spelling most articles hold says little (its idf is low) and
            # costs the most to read: only the telling ones are scored.
            parts = [self._weights("text", form)[:2] for form, df in held_spellings(self, folded) if df <= common]
            return _summed(parts, self.size)

        return self._kept_tier("forms", folded, summed)

    def _tone_tier(self, syllable: str) -> tuple[np.ndarray, np.ndarray]:
        """BM25 over the other tones of *syllable*; a marked tone before the unmarked form.

        Someone who typed a tone mark is likelier to have mistyped the mark
        than to have meant none, so ``bàn`` ranks ``bán`` above ``ban``.
        Returns the documents holding another tone (ascending) and their scores.
        """
        return self._kept_tier("tones", syllable, lambda: self._tones_summed(syllable))

    def _tones_summed(self, syllable: str) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`_tone_tier`, worked out."""
        norm = self._norm("text")
        parts = []
        for variant, weight in self._other_tones(syllable):
            p = self.postings("text", variant)
            if len(p.docs):
                parts.append((p.docs, weight * p.freqs * norm[p.docs]))
        if not parts:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        docs, tf = _summed(parts, self.size)
        held = tf != 0
        if not held.all():
            docs, tf = docs[held], tf[held]
        if not docs.size:
            return docs, tf
        return docs, self.idf(self.stats.other_tones(syllable, docs.size)) * tf / (self.params.k1 + tf)

    def _kept_tier(self, tier: str, term: str,
                   work_out: Callable[[], tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
        """A tier summed over several lists (*work_out*'s (doc numbers, values)), kept for the next query.

        Like a list's weights, a syllable's other tones or spellings summed
        depend on nothing a query brings; summing them again (a gather of
        norms a list, a merge) was a quarter of a syllable's cost on the
        whole corpus. The arrays are shared, so read-only.
        """
        key = (tier, term)
        got = self._tiers.get(key)
        if got is None:
            got = work_out()
            for array in got:
                array.setflags(write=False)
            self._tiers.offer(key, got)
        return got

    def _other_tones(self, syllable: str) -> list[tuple[str, float]]:
        """The other tones of *syllable* this snapshot holds (field ``text``), each with its weight (remembered).

        Of a syllable's five other tones, most are held by no article; the
        lookups (the tones spelt out, each one's frequency) are the same for
        every query typing it, and a snapshot never changes. A Vietnamese
        syllable has few spellings (a few thousand syllables in all), so the
        table stays small; it is emptied past 100,000 entries as ``held`` is.
        """
        def held() -> list[tuple[str, float]]:
            level = fold_tone(syllable)
            df = self.snapshot.doc_frequency
            return [(variant, self.params.level_tone_weight if variant == level else 1.0)
                    for variant in tone_variants(syllable) if variant != syllable and df("text", variant)]

        return self._tones.get_or(syllable, held)

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

    def phrase(self, phrase: Phrase, accented_query: bool = False) -> Unit:
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
            # Each syllable after the second is read only in the candidates where the phrase still stands,
            # so a long phrase whose first words are rare together reads little of its common later words.
            starts = position_keys(units[0].postings, docs)
            alive = None  # the candidates (indices into docs) still holding the phrase so far; None: all
            for k, u in enumerate(units[1:], 1):
                following = position_keys(u.postings, docs, among=alive)
                if not following.size:
                    starts = following
                    break
                wanted = starts + k
                at = np.minimum(np.searchsorted(following, wanted), following.size - 1)
                starts = starts[following[at] == wanted]
                if not starts.size:
                    break
                if k + 1 < len(units):
                    held = np.zeros(docs.size, dtype=bool)
                    held[starts >> KEY_SHIFT] = True
                    alive = np.flatnonzero(held)
            mask[docs] = False
            mask[docs[starts >> KEY_SHIFT]] = True
        score = np.where(mask, sum(u.score for u in units), 0).astype(np.float32)
        title_mask = np.logical_and.reduce([u.title_mask for u in units])  # near enough for the title bonus
        return Unit(score, mask, sum(u.idf for u in units), None, title_mask)

    def folded_idf(self, term: str) -> float:
        """The idf of *term* in the folded field (cached)."""
        return self._idf_cache.get_or(term, lambda: self.idf(self.stats.doc_frequency("text_f", term)))


def _list_cost(p: Postings) -> int:
    """What a list costs the postings cache: its postings, and one more."""
    return len(p.docs) + 1


def _weights_cost(values: np.ndarray) -> int:
    """What a list's weights cost their cache: as many as the list's postings, and one more."""
    return len(values) + 1


def _tier_cost(tier: tuple[np.ndarray, np.ndarray]) -> int:
    """What a summed tier costs its cache: as many as its documents, and one more."""
    return len(tier[0]) + 1


def bm25(freqs: np.ndarray, norms: np.ndarray, idf: float, k1: float) -> np.ndarray:
    """BM25's saturation ``idf × tf / (k1 + tf)`` of ``tf = freqs × norms``, as float32.

    The same float32 operations, in the same order, as the expression
    written out (product, product by idf, sum with k1, quotient), done in
    place in one scratch array and one more where the weights are float32;
    an old segment's float64 weights take the expression as written (it is
    rounded to float32 once, at the end).
    """
    if freqs.dtype != np.float32 or norms.dtype != np.float32:
        wide: np.ndarray = freqs * norms
        weights: np.ndarray = (idf * wide / (k1 + wide)).astype(np.float32, copy=False)
        return weights
    tf = np.multiply(freqs, norms)
    out: np.ndarray = np.multiply(tf, idf)  # a Python float is cast to float32 first, as in idf * tf
    np.add(tf, k1, out=tf)
    np.divide(out, tf, out=out)
    return out


def _summed(parts: Sequence[tuple[np.ndarray, np.ndarray]], size: int) -> tuple[np.ndarray, np.ndarray]:
    """The documents of any of *parts* (doc numbers, values) and their values summed in float32, in order.

    What a dense array of *size* documents summed them to, element by
    element (its other documents kept 0, which adds nothing): the parts
    merged where they are few, in a dense array where they are many (a
    merge costs more per posting, a dense array per document).
    """
    if not parts:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    if len(parts) == 1:
        docs, values = parts[0]
        total = np.zeros(docs.size, dtype=np.float32)
        total += values
        return docs, total
    if sum(d.size for d, _ in parts) * SPARSE_SHARE < size:
        return _merged(parts)
    dense = np.zeros(size, dtype=np.float32)
    for d, values in parts:
        dense[d] += values
    docs = np.flatnonzero(dense != 0)  # a document whose values sum to 0 adds nothing either way (a bool array
    # is scanned many times faster than a float one)
    return docs, dense[docs]


def _merged(parts: Sequence[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_summed` of a few short *parts* (each's doc numbers ascending, without repeats), in one merge.

    All the parts end to end, sorted once (stable: a document's values stay
    in the order of the parts) and added with one unbuffered ``np.add.at``,
    which adds them one by one in that order: the same float32 sums, bit
    for bit, as adding the parts one after another (each part holds a
    document once). Parts of other value types (an old segment's float64)
    are added part by part, as numpy promotes each sum; so are two parts.
    """
    values = [v for _, v in parts]
    if len(parts) < 3 or any(v.dtype != np.float32 for v in values):
        # Two parts: a union and two additions cost less than the sort and np.add.at's setting up.
        docs = _union([d for d, _ in parts])
        total = np.zeros(docs.size, dtype=np.float32)
        for d, v in parts:
            total[np.searchsorted(docs, d)] += v
        return docs, total
    every = np.concatenate([d for d, _ in parts])
    order = np.argsort(every, kind="stable")
    ranked = every[order]
    first = np.empty(ranked.size, dtype=bool)
    first[:1] = True
    np.not_equal(ranked[1:], ranked[:-1], out=first[1:])
    slot = np.cumsum(first)
    slot -= 1
    total = np.zeros(int(slot[-1]) + 1 if slot.size else 0, dtype=np.float32)
    np.add.at(total, slot, np.concatenate(values)[order])
    return ranked[first], total


def _union(parts: Sequence[np.ndarray]) -> np.ndarray:
    """The doc numbers in any of *parts* (each ascending, without repeats), ascending, each once."""
    if len(parts) <= 1:
        return parts[0] if parts else np.zeros(0, dtype=np.int64)
    merged = np.sort(np.concatenate(parts), kind="stable")  # sorted runs: a merge
    first = np.ones(merged.size, dtype=bool)
    np.not_equal(merged[1:], merged[:-1], out=first[1:])
    return merged[first]


def held_spellings(ranker: TermScorer, folded: str) -> list[tuple[str, int]]:
    """The spellings of *folded* that the index holds (field ``text``), with their document frequencies (cached)."""
    df = ranker.stats.doc_frequency
    return ranker.held.get_or(folded, lambda: [(form, n) for form in spellings(folded) if (n := df("text", form))])
