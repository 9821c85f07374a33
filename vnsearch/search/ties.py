"""Equal scores broken by article id, so one index and a sharded one agree on the order.

Doc numbers are an index's own (the order articles were written in), and a
sharded index has none across its shards; the article id is the same
everywhere. Only the runs of equal keys that reach into the page asked for
are read (from the id column, or one stored-field read per tied document in
an index older than format 12): ties are rare, but near copies of one
article score alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

__all__ = ["by_id_in_ties"]


class _Ids(Protocol):
    def field_texts(self, name: str, docnums: Sequence[int]) -> list[str]: ...


def by_id_in_ties(snapshot: _Ids, docs: np.ndarray, keys: Sequence[np.ndarray], offset: int,
                  limit: int) -> np.ndarray:
    """A permutation of *docs* (already in order of *keys*) putting each run of equal keys in id order.

    Only runs overlapping positions [offset, offset + limit) are reordered;
    the others keep their places.
    """
    n = len(docs)
    perm = np.arange(n)
    if n < 2 or not keys:
        return perm
    same = np.ones(n - 1, dtype=bool)
    for key in keys:
        same &= key[1:] == key[:-1]
    if not same.any():
        return perm
    end = min(n, offset + limit)
    starts = np.flatnonzero(np.concatenate(([True], ~same)))
    ends = np.append(starts[1:], n)
    for a, b in zip(starts.tolist(), ends.tolist()):
        if b - a < 2 or b <= offset or a >= end:
            continue
        ids = snapshot.field_texts("id", docs[a:b].tolist())
        perm[a:b] = a + np.array(sorted(range(b - a), key=ids.__getitem__), dtype=np.int64)
    return perm
