"""Proximity: where query syllables stand in each candidate, decoded in bulk as sorted keys.

Consecutive query syllables that stand next to each other in an article earn a
bonus whatever its segmenter did; a phrase must stand exactly so. Both read the
positions of a few hundred candidates at once, as one sorted array of keys per
syllable, so "the next position is in the next list" is a search in sorted
arrays rather than a Python loop per candidate.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from vnsearch import caps
from vnsearch.store.postings import Postings
from vnsearch.store.schema import ZONE_OFFSET

if TYPE_CHECKING:
    from vnsearch.search.scoring import RankParams, Unit

__all__ = ["KEY_SHIFT", "POSITION_MASK", "position_keys", "proximity"]

# A position key: the candidate's index << KEY_SHIFT | the position (positions
# stay below 4 zones × 2**22 < 2**25, so keys sort by candidate, then position,
# and a key ± a few positions never reaches another candidate's).
KEY_SHIFT = 25
POSITION_MASK = (1 << KEY_SHIFT) - 1


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
            # The documents no earlier postings placed (not np.setdiff1d/np.unique: the
            # first np.unique of a process imports numpy.ma, ~10 ms of a cold search).
            held = np.zeros(docs.size, dtype=bool)
            held[merged >> KEY_SHIFT] = True
            missing = np.flatnonzero(~held)
            if not missing.size:
                break
            got = position_keys(more, docs[missing], cap)
            if got.size:
                got = missing[got >> KEY_SHIFT] << KEY_SHIFT | (got & POSITION_MASK)
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
    keys: np.ndarray = found[owner] << KEY_SHIFT | positions
    if cap is not None and keys.size > cap:
        # Keys sort by document, then position: a key's rank within its document.
        first = np.searchsorted(keys, (keys >> KEY_SHIFT) << KEY_SHIFT)
        keys = keys[np.arange(keys.size) - first < cap]
    return keys


def proximity(runs: list[list[Unit]], docs: np.ndarray, p: RankParams) -> tuple[np.ndarray, np.ndarray]:
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

    def keys(u: Unit) -> np.ndarray:
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
                adjacent[a[hit] >> KEY_SHIFT] = True
                lo = np.minimum(np.searchsorted(b, a - p.near_window), b.size - 1)
                near = np.zeros(k, dtype=bool)
                close = (b[lo] >= a - p.near_window) & (b[lo] <= a + p.near_window)
                near[a[close] >> KEY_SHIFT] = True
                bonus += np.where(adjacent, pair_idf * p.pair_weight,
                                  np.where(near, pair_idf * p.near_weight, 0.0))
            np.maximum.at(longest, a >> KEY_SHIFT, chain)
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
                at = np.minimum(np.searchsorted(a, owners << KEY_SHIFT | (last + 1)), a.size - 1)
                got = a[at]
                position = got & POSITION_MASK
                alive &= (got >> KEY_SHIFT == owners) & (position < ZONE_OFFSET) & (position > last)
                last = position
            ordered |= alive
    return bonus, ordered
