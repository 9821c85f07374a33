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
                  cap: int | None = None, among: np.ndarray | None = None) -> np.ndarray:
    """Sorted keys of every position, in *postings*, of each of *docs* (in their order; those absent have none).

    With *cap*, only each document's first *cap* positions: what proximity
    reads (:data:`vnsearch.caps.PROXIMITY_POSITIONS`), so its work does not
    grow with the length of the articles. Phrases pass no cap: they must be exact.
    Several postings (a typed syllable and its corrections): each document's
    positions from the first that holds it, so a correction stands where the
    typed syllable is missing. With *among* (indices into *docs*, ascending),
    only those candidates are read, their keys still numbered by *docs*: a
    phrase reads its later syllables only where it still stands.
    """
    return position_keys_many([postings], docs, cap, among)[0]


def position_keys_many(postings_list: Sequence[Postings | tuple[Postings, ...] | None], docs: np.ndarray,
                       cap: int | None = None, among: np.ndarray | None = None) -> list[np.ndarray]:
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
            if among is not None:
                held[:] = True
                held[among] = False
            for one in postings:
                missing = np.flatnonzero(~held)
                if not missing.size:
                    break
                got = batch.add(one, missing if mine or among is not None else None)
                if got is not None:
                    mine.append(got)
                    held[batch.placed[got]] = True
            parts.append(mine)
        else:
            got = batch.add(postings, among)
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
    # The candidates in document order (each one's bonus is its own, whatever the order): the lists'
    # postings, blocks and bytes are then read in the order they lie.
    order = np.argsort(docs, kind="stable")
    bonus, ordered = _proximity(runs, docs[order], p)
    out_bonus = np.empty_like(bonus)
    out_bonus[order] = bonus
    out_ordered = np.empty_like(ordered)
    out_ordered[order] = ordered
    return out_bonus, out_ordered


def _proximity(runs: list[list[Unit]], docs: np.ndarray, p: RankParams) -> tuple[np.ndarray, np.ndarray]:
    """:func:`proximity` of candidates *docs* in ascending order."""
    k = len(docs)
    owners = np.arange(k, dtype=np.int64)
    firsts = owners << KEY_SHIFT  # each candidate's first key
    # Every syllable's keys, read in one go (a syllable in several runs once).
    units = list({id(u): u for run in runs for u in run}.values())
    keys_of = dict(zip(map(id, units), position_keys_many([u.postings for u in units], docs,
                                                          caps.PROXIMITY_POSITIONS)))

    def keys(u: Unit) -> np.ndarray:
        return keys_of[id(u)]

    window = p.near_window
    bonus = np.zeros(k, dtype=np.float64)
    ordered = np.zeros(k, dtype=bool)
    for run in runs:
        idf = [u.idf for u in run]
        lists = [keys(u) for u in run]
        longest = np.zeros(k, dtype=np.int64)  # only where a chain is longer than two (no other earns)
        chain_next = None  # chain lengths of the following syllable's keys
        for i in range(len(run) - 1, -1, -1):
            a = lists[i]
            if not a.size:
                chain_next = None
                continue
            if i + 1 < len(run) and lists[i + 1].size:
                b = lists[i + 1]
                # Per key of a: whether key + 1 is in b, and where it would be.
                after = a + 1
                at = np.searchsorted(b, after)
                np.minimum(at, b.size - 1, out=at)
                hit = b[at] == after
                if chain_next is not None:
                    chain = np.where(hit, chain_next[at], 0)
                    chain += 1
                else:
                    chain = np.ones(a.size, dtype=np.int64)
                pair_idf = (idf[i] + idf[i + 1]) / 2
                # Per candidate: pair_weight where adjacent, else near_weight where within the window.
                lo = np.searchsorted(b, a - window)
                np.minimum(lo, b.size - 1, out=lo)
                gap = b[lo] - a
                close = np.abs(gap, out=gap) <= window
                earned = np.zeros(k, dtype=np.float64)
                earned[a[close] >> KEY_SHIFT] = pair_idf * p.near_weight
                earned[a[hit] >> KEY_SHIFT] = pair_idf * p.pair_weight
                bonus += earned
                long = chain > 2
                if long.any():
                    np.maximum.at(longest, a[long] >> KEY_SHIFT, chain[long])
            else:
                chain = np.ones(a.size, dtype=np.int64)
            chain_next = chain
        if longest.any():
            bonus += np.where(longest > 2, (longest - 2) * sum(idf) / len(idf) * p.chain_weight, 0.0)
        if p.title_order_weight and len(run) > 1:
            # Each syllable's first position after the previous one's, all in the title.
            last = np.full(k, -1, dtype=np.int64)
            alive = np.ones(k, dtype=bool)
            for a in lists:
                if not a.size:
                    alive[:] = False
                    break
                at = np.searchsorted(a, firsts | (last + 1))
                np.minimum(at, a.size - 1, out=at)
                got = a[at]
                position = got & POSITION_MASK
                alive &= (got >> KEY_SHIFT == owners) & (position < ZONE_OFFSET) & (position > last)
                if not alive.any():  # (no candidate left: nothing more to find)
                    break
                last = position
            ordered |= alive
    return bonus, ordered
