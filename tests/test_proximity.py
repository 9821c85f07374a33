"""The proximity bonus computed for all candidates at once, against its per-document definition.

vnsearch.search.proximity.proximity works on sorted numpy keys for speed; the plain
Python here is the definition it must agree with, document by document
(the bonus to the last bit, since it reorders near-ties).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from vnsearch.search.proximity import proximity
from vnsearch.search.scoring import RankParams, Unit
from vnsearch.store.postings import Postings, Values, decode_positions
from vnsearch.store.schema import ZONE_OFFSET, encode_positions


def in_order(positions: Sequence[list[int] | None], limit: int) -> bool:
    """Whether each syllable occurs before *limit* (in the title), in the given order."""
    last = -1
    for pos in positions:
        if not pos:
            return False
        nxt = next((x for x in pos if x > last), None)
        if nxt is None or nxt >= limit:
            return False
        last = nxt
    return True


def near(a: list[int], b: list[int], window: int) -> bool:
    for x in a:
        j = bisect_left(b, x - window)
        if j < len(b) and b[j] <= x + window:
            return True
    return False


def reference(runs: list[list[list[int] | None]], idfs: list[list[float]], p: RankParams) -> float:
    """The bonus of one document: pairs adjacent (or near), and the longest chain beyond two."""
    bonus = 0.0
    for positions, idf in zip(runs, idfs):
        chain_next: dict[int, int] = {}
        next_set: set[int] = set()
        longest = 0
        for i in range(len(positions) - 1, -1, -1):
            pos = positions[i]
            if not pos:
                chain_next, next_set = {}, set()
                continue
            current = {x: 1 + chain_next.get(x + 1, 0) for x in pos}
            longest = max(longest, max(current.values()))
            following = positions[i + 1] if i + 1 < len(positions) else None
            if following:
                pair_idf = (idf[i] + idf[i + 1]) / 2
                if any(x + 1 in next_set for x in pos):
                    bonus += pair_idf * p.pair_weight
                elif near(pos, following, p.near_window):
                    bonus += pair_idf * p.near_weight
            chain_next, next_set = current, set(pos)
        if longest > 2:
            bonus += (longest - 2) * sum(idf) / len(idf) * p.chain_weight
    return bonus


def unit(per_doc: dict[int, list[int]], idf: float) -> Unit:
    docs = sorted(per_doc)
    postings = Postings(np.array(docs, dtype=np.int64), np.ones(len(docs), dtype=np.float32),
                        Values([[encode_positions(per_doc[d]) for d in docs]]) if docs else ())
    return Unit(np.zeros(0), np.zeros(0, dtype=bool), idf, postings, np.zeros(0, dtype=bool))


# Positions crowded into a few spots of each zone, so adjacency, nearness and chains all happen.
_position = st.tuples(st.integers(0, 2), st.integers(0, 12)).map(lambda zr: zr[0] * ZONE_OFFSET + zr[1])
_doc_positions = st.lists(_position, min_size=1, max_size=6).map(lambda xs: sorted(set(xs)))


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_the_bulk_bonus_is_the_per_document_bonus(data):
    n_docs = data.draw(st.integers(1, 8))
    n_units = data.draw(st.integers(1, 5))
    units = []
    for _ in range(n_units):
        per_doc = {d: data.draw(_doc_positions) for d in range(n_docs) if data.draw(st.booleans())}
        units.append(unit(per_doc, data.draw(st.floats(0.1, 9.0))))
    # Runs over the units, a unit repeated where the query repeats a syllable.
    runs = [[units[data.draw(st.integers(0, n_units - 1))] for _ in range(data.draw(st.integers(2, 5)))]
            for _ in range(data.draw(st.integers(1, 2)))]
    # Candidates in score order (not by number), some in no list at all.
    docs = np.array(data.draw(st.permutations(sorted(data.draw(st.sets(st.integers(0, n_docs + 1), min_size=1))))),
                    dtype=np.int64)
    p = RankParams()
    bonus, ordered = proximity(runs, docs, p)
    for j, doc in enumerate(docs.tolist()):
        per_run = []
        for run in runs:
            pl = []
            for u in run:
                where = np.flatnonzero(u.postings.docs == doc)
                pl.append(decode_positions(u.postings.values[int(where[0])]) if where.size else None)
            per_run.append(pl)
        assert bonus[j] == reference(per_run, [[u.idf for u in r] for r in runs], p)
        assert ordered[j] == any(in_order(r, ZONE_OFFSET) for r in per_run)


def test_in_order_needs_every_syllable_in_the_title_in_order():
    p = RankParams()
    cases = [([{0: [1, 7]}, {0: [3]}], True), ([{0: [5]}, {0: [3]}], False),
             ([{0: [1]}, {}], False), ([{0: [1]}, {0: [ZONE_OFFSET + 2]}], False)]
    for lists, expected in cases:
        units = [unit(d, 1.0) for d in lists]
        assert proximity([units], np.array([0]), p)[1].tolist() == [expected], lists
    # Next to each other: the pair bonus; three in a row: a chain of three.
    a, b, c = unit({0: [4]}, 2.0), unit({0: [5]}, 2.0), unit({0: [6]}, 2.0)
    bonus = proximity([[a, b, c]], np.array([0]), p)[0][0]
    assert bonus == 2 * 2.0 * p.pair_weight + 1 * 2.0 * p.chain_weight
