"""Proximity: where query syllables stand in each candidate, decoded in bulk as sorted keys.

Consecutive query syllables that stand next to each other in an article earn a
bonus whatever its segmenter did; a phrase must stand exactly so. Both read the
positions of a few hundred candidates at once, as one sorted array of keys per
syllable, so "the next position is in the next list" is a search in sorted
arrays rather than a Python loop per candidate.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from vnsearch import caps
from vnsearch.store.format import decode_shifted
from vnsearch.store.postings import Postings
from vnsearch.store.schema import ZONE_OFFSET

if TYPE_CHECKING:
    from vnsearch.search.scoring import RankParams, Unit

__all__ = ["KEY_SHIFT", "POSITION_MASK", "position_keys", "position_keys_many", "proximity"]

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
    return position_keys_many([postings], docs, cap)[0]


def position_keys_many(postings_list: Sequence[Postings | tuple[Postings, ...] | None], docs: np.ndarray,
                       cap: int | None = None) -> list[np.ndarray]:
    """:func:`position_keys` of each of *postings_list*, their values decoded in one call.

    Why: a list's positions for a few hundred candidates are a few thousand
    bytes, and decoding them is some forty numpy calls whatever their size;
    the proximity step reads every syllable of the query for the same
    candidates, so it gathers each list's values and decodes them all at
    once, each value's positions offset by its candidate's key
    (:func:`vnsearch.store.format.decode_shifted`).
    """
    batch = _Batch(docs)
    parts: list[list[int]] = []  # per entry, its reads in the batch
    for postings in postings_list:
        if isinstance(postings, tuple):
            # A typed syllable and its corrections: each document from the first postings that holds it.
            mine: list[int] = []
            held = np.zeros(docs.size, dtype=bool)
            for one in postings:
                missing = np.flatnonzero(~held)
                if not missing.size:
                    break
                got = batch.add(one, missing if mine else None)
                if got is not None:
                    mine.append(got)
                    held[batch.placed[got]] = True
            parts.append(mine)
        else:
            got = batch.add(postings, None)
            parts.append([] if got is None else [got])
    keys = batch.keys(cap)
    out = []
    for mine in parts:
        if not mine:
            out.append(_NO_KEYS)
        elif len(mine) == 1:
            out.append(keys[mine[0]])
        else:
            out.append(np.sort(np.concatenate([keys[i] for i in mine])))
    return out


_NO_KEYS = np.zeros(0, dtype=np.int64)


class _Batch:
    """Reads of several postings' values for the same candidates, decoded together."""

    def __init__(self, docs: np.ndarray) -> None:
        self.docs = docs
        self.placed: list[np.ndarray] = []  # per read, the candidates (indices in docs) it has positions of
        self._ready: dict[int, np.ndarray] = {}  # reads decoded alone (values without gather)
        self._lengths: list[np.ndarray] = []
        self._data: list[np.ndarray] = []
        self._gathered: list[int] = []

    def add(self, postings: Postings | None, among: np.ndarray | None) -> int | None:
        """Read *postings* for the candidates *among* (indices in docs; None: all); its read's number, or None."""
        if postings is None:  # a phrase unit has no positions of its own
            return None
        pd = postings.docs
        if not len(pd) or not len(postings.values):
            return None
        docs = self.docs if among is None else self.docs[among]
        idx = np.minimum(np.searchsorted(pd, docs), len(pd) - 1)
        found = np.flatnonzero(pd[idx] == docs)
        if not found.size:
            return None
        values: Any = postings.values  # Values, or the snapshot's guarded Values: both decode
        gather = getattr(values, "gather", None)
        if gather is None:  # a plain sequence of values: decoded alone
            owner, positions = values.decode(idx[found])
            keys = found[owner] << KEY_SHIFT | positions
            if not keys.size:
                return None
            if among is not None:
                keys = among[keys >> KEY_SHIFT] << KEY_SHIFT | (keys & POSITION_MASK)
            self._ready[len(self.placed)] = keys
            self.placed.append(keys >> KEY_SHIFT)
            return len(self.placed) - 1
        lengths, data = gather(idx[found])
        if not lengths.all():  # an empty value holds no position
            full = np.flatnonzero(lengths)
            found, lengths = found[full], lengths[full]
            if not found.size:
                return None
        self._gathered.append(len(self.placed))
        self.placed.append(found if among is None else among[found])
        self._lengths.append(lengths)
        self._data.append(data)
        return len(self.placed) - 1

    def keys(self, cap: int | None) -> list[np.ndarray]:
        """Each read's sorted keys (with *cap*, each candidate's first *cap*)."""
        out = [_NO_KEYS] * len(self.placed)
        for i, keys in self._ready.items():
            out[i] = _capped(keys, cap)
        reads = self._gathered
        if not reads:
            return out
        one = len(reads) == 1
        lengths = self._lengths[0] if one else np.concatenate(self._lengths)
        starts = np.zeros(lengths.size, dtype=np.int64)  # each value's first byte
        np.cumsum(lengths[:-1], out=starts[1:])
        offsets = [self.placed[i] << KEY_SHIFT for i in reads]
        keys, ends = decode_shifted(starts, self._data[0] if one else np.concatenate(self._data),
                                    offsets[0] if one else np.concatenate(offsets))
        # Where each read's keys begin: the first key that ends in its first value's bytes.
        first_value = np.zeros(len(reads), dtype=np.int64)
        np.cumsum([a.size for a in self._lengths[:-1]], out=first_value[1:])
        bounds = np.searchsorted(ends, starts[first_value]).tolist()
        bounds.append(keys.size)
        for i, lo, hi in zip(reads, bounds, bounds[1:]):
            out[i] = _capped(keys[lo:hi], cap)
        return out


def _capped(keys: np.ndarray, cap: int | None) -> np.ndarray:
    """*keys* (sorted), but only each document's first *cap* (all without a cap)."""
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
    # Every syllable's keys, read in one go (a syllable in several runs once).
    units = list({id(u): u for run in runs for u in run}.values())
    keys_of = dict(zip(map(id, units), position_keys_many([u.postings for u in units], docs,
                                                          caps.PROXIMITY_POSITIONS)))

    def keys(u: Unit) -> np.ndarray:
        return keys_of[id(u)]

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
