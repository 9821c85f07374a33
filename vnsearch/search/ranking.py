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

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from vnsearch.lang.analysis import WORD_JOINER, _folded_lower, iter_ngrams
from vnsearch.lang.analysis import syllables as syllables_of
from vnsearch.lang.spelling import split_folded
from vnsearch.lang.text import fold_all, has_diacritics
from vnsearch.search.proximity import proximity
from vnsearch.search.query import ParsedQuery, Phrase
from vnsearch.search.scoring import RankParams, TermScorer, Unit, held_spellings
from vnsearch.search.ties import by_id_in_ties
from vnsearch.search.understand import Alternative, combine_alternatives, exact_mask
from vnsearch.store.postings import Postings

__all__ = ["Ranker", "Ranking", "RankParams"]  # RankParams lives in vnsearch.search.scoring

# Question words: an answer seldom holds them, so in a question they say
# little about which article answers it ("Tesla chết năm nào?").
INTERROGATIVES = frozenset("gì nào ai đâu sao bao nhiêu lâu mấy thế nào".split())


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
class FirstPhase:
    """A query's scores before the proximity step (:meth:`Ranker.first_phase`), per document."""

    base: np.ndarray  # float32: the groups' scores and the run bonuses, summed
    coverage: np.ndarray  # the share of the query's idf each document holds
    candidates: np.ndarray  # documents allowed and covering some of the query, ascending
    allowed: np.ndarray  # bool: allowed by filters, exclusions and quoted groups
    required: np.ndarray  # bool: allowed and holding every required group (``total``)
    title_all: np.ndarray | None  # bool: the title holds every query word (None: no title step or no groups)
    units: dict[str, Unit]  # each query syllable's unit (the proximity step reads their positions)
    params: RankParams

    def scores(self) -> np.ndarray:
        """The candidates' scores: the sum scaled by coverage, and raised where the title holds every word."""
        p = self.params
        scores: np.ndarray = self.base[self.candidates] * self.coverage[self.candidates] ** p.coverage_power
        if self.title_all is not None:
            # Known-item searches are mostly for words of a headline: a title
            # holding every one of them is the best evidence there is.
            scores = np.where(self.title_all[self.candidates], scores * (1 + p.title_all_weight), scores)
        return scores


class Ranker(TermScorer):
    """Ranks parsed queries against one :class:`~vnsearch.store.snapshot.Snapshot`: their units' scores
    (:class:`~vnsearch.search.scoring.TermScorer`) combined, re-ranked by proximity and titles, paged.

    Safe to share between threads reading the same snapshot (see TermScorer).
    """


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
        phase = self.first_phase(query, self.allowed(query, filters), p, question, alternatives)
        required, candidates, coverage = phase.required, phase.candidates, phase.coverage
        title_all, syllable_units = phase.title_all, phase.units
        total = int(np.count_nonzero(required))
        facet_counts = self.columns.facets(required) if facets else None
        if candidates.size == 0:
            return Ranking(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32), 0, 0, facet_counts)
        scores = phase.scores()
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
                           title_all[candidates[top]] if title_all is not None else None)
        if p.title_info_power and title_all is not None:
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

    def allowed(self, query: ParsedQuery, filters: Mapping[str, Sequence[str]] | None = None) -> np.ndarray:
        """Per document, whether *query* and *filters* let it match at all (live, filtered, not excluded)."""
        allowed: np.ndarray = self.live.copy()
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
        return allowed

    def first_phase(self, query: ParsedQuery, allowed: np.ndarray, p: RankParams, question: bool,
                    alternatives: Mapping[str, Sequence[Alternative]] | None = None,
                    observe: Callable[[np.ndarray, np.ndarray, float], None] | None = None) -> FirstPhase:
        """Every document's score before the proximity step: each group's score summed, and the run bonuses.

        *allowed* (:meth:`allowed`) is narrowed in place by the quoted groups.
        *observe*, where given, is called with each group's (score, the
        documents it covers, idf) as it is added, then with each run bonus
        (bonus, where it is not 0, 0.0): what ``bench/pruning.py`` measures
        pruning on, from this very code.
        """
        syllable_units: dict[str, Unit] = {}
        accented = any(has_diacritics(s) for s in query.syllables())

        def unit_for(ph: Phrase) -> Unit:
            if not ph.quoted and len(ph.syllables) == 1:
                s = ph.syllables[0]
                if s not in syllable_units:
                    unit = self.syllable(s, accented or ph.exact)
                    alts = alternatives.get(s) if alternatives and not ph.exact else None
                    syllable_units[s] = with_alternatives(self, unit, alts, accented) if alts else unit
                return syllable_units[s]
            return self.phrase(ph, accented)

        base = np.zeros(self.size, dtype=np.float32)
        covering = CoveredWeight(self.size)
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
            cover = np.logical_or.reduce(covers) if len(covers) > 1 else covers[0]
            covering.add(idf, cover)
            if observe is not None:
                observe(score, cover, idf)
            weight_total += idf
            if title_all is not None:
                title_all &= (np.logical_or.reduce([u.title_mask for u in units]) if len(units) > 1
                              else units[0].title_mask)
        for bonus in self._run_bonuses(query, alternatives):
            base += bonus
            if observe is not None:
                observe(bonus, bonus != 0, 0.0)
        covered = covering.total()
        coverage = covered / max(weight_total, 1e-9)
        candidates = np.flatnonzero(allowed & (coverage >= min(p.min_coverage, 1.0 - 1e-6)) & (covered > 0))
        return FirstPhase(base, coverage, candidates, allowed, required,
                          title_all if query.groups else None, syllable_units, p)

    def _run_bonuses(self, query: ParsedQuery,
                     alternatives: Mapping[str, Sequence[Alternative]] | None) -> Iterator[np.ndarray]:
        """Each bonus the query's runs earn where an article's segmenter found them as words, in order."""
        for run in query.runs:
            if alternatives and any(s in alternatives for s in run):
                bonus = corrected_word_bonus(self, run, alternatives)
                if bonus is not None:
                    yield bonus
            marked = [s for s in run if has_diacritics(s)]
            if not marked:
                # Words are indexed exact-only: an accentless run earns the bonus of the word it spells.
                bonus = accentless_word_bonus(self, run)
                if bonus is not None:
                    yield bonus
                continue
            for _, _, joined in iter_ngrams(run, (2, 3, 4)):
                bonus = self.word(joined.split(WORD_JOINER))
                if bonus is not None:
                    yield bonus


class CoveredWeight:
    """Per document, the summed idf of the query's groups it holds: ``covered += idf * mask``, group by group.

    Each of those sums is numpy's: the float32 total widened to float64,
    the group's idf added, the sum rounded back to float32 (a document
    without the group keeps its total). So a document's total depends only
    on which groups it holds: with up to :data:`TABLE_GROUPS` groups, the
    groups held are kept as one bit each per document (a byte of the
    corpus per group, where the sum wrote a float64 array), every
    combination's total is worked out by the very same additions in a
    table of ``2 ** groups`` entries, and each document reads its own.
    More groups are summed as written.
    """

    TABLE_GROUPS = 8

    def __init__(self, size: int) -> None:
        self.size = size
        self.idfs: list[float] = []
        self.held: np.ndarray | None = None  # per document: bit g set when it holds group g
        self.sum: np.ndarray | None = None  # past TABLE_GROUPS groups: the totals, summed as written

    def add(self, idf: float, mask: np.ndarray) -> None:
        """One group more: *idf* (its weight) for the documents of *mask* (bool, per document)."""
        group = len(self.idfs)
        self.idfs.append(idf)
        if self.sum is not None:
            self.sum += idf * mask
        elif group < self.TABLE_GROUPS:
            bit = mask.view(np.uint8) * np.uint8(1 << group)  # (a product of bytes is ten times a shift's speed)
            if self.held is None:
                self.held = bit
            else:
                self.held |= bit
        else:
            self.sum = self.total()
            self.sum += idf * mask

    def total(self) -> np.ndarray:
        """The totals (float32), each as the additions group by group would have left it."""
        if self.sum is not None:
            return self.sum
        if self.held is None:
            return np.zeros(self.size, dtype=np.float32)
        combos = np.arange(1 << len(self.idfs), dtype=np.uint8 if len(self.idfs) <= 8 else np.uint16)
        table = np.zeros(combos.size, dtype=np.float32)
        for group, idf in enumerate(self.idfs):
            table += idf * ((combos >> group) & 1).astype(bool)
        got: np.ndarray = table[self.held]
        return got


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
    titles = ranker.snapshot.field_texts("title", docs[holders].tolist())
    for h, title in zip(holders.tolist(), titles):
        factor = title_factor(ranker, title, wanted, p)
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


def with_alternatives(ranker: Ranker, unit: Unit, alternatives: Sequence[Alternative], accented: bool) -> Unit:
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
    return Unit(score, mask, unit.idf or scored[0][1].idf, postings, title_mask, cover)


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
