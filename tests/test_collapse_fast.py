"""collapse() compares every pair of signatures at once: the same groups as the band-by-band walk."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest

from vnsearch.search.collect import _collapse_by_bands, collapse
from vnsearch.store.format import SIGNATURE_BYTES
from vnsearch.store.signature import MINHASH_BANDS, MINHASH_ROWS, signature_of

HASHES = MINHASH_BANDS * MINHASH_ROWS


class FakeColumn:
    def __init__(self, raw: dict[int, bytes]) -> None:
        self.raw = raw

    def __getitem__(self, doc: int) -> bytes:
        return self.raw.get(doc, bytes(SIGNATURE_BYTES))

    def values(self, docs: Any) -> list[bytes]:
        return [self[int(d)] for d in docs]


class FakeSnapshot:
    """What collapse reads of a snapshot: the minhash column (value by value, or as rows) and stored fields."""

    def __init__(self, raw: dict[int, bytes] | None, rows: bool = False) -> None:
        self._column = FakeColumn(raw) if raw is not None else None
        self._rows = rows

    def column(self, name: str) -> FakeColumn | None:
        assert name == "minhash"
        return self._column

    def fixed_rows(self, name: str, docs: Any) -> np.ndarray | None:
        assert name == "minhash"
        if not self._rows or self._column is None:
            return None
        values = [self._column[int(d)] for d in docs]  # a fixed-width column holds no value of another width:
        values = [v if len(v) == SIGNATURE_BYTES else bytes(SIGNATURE_BYTES) for v in values]  # none is zeros
        return np.frombuffer(b"".join(values), dtype=np.uint8).reshape(len(values), SIGNATURE_BYTES)

    def stored(self, doc: int) -> dict[str, Any]:
        return {"id": f"a{doc}"}


def _near_copy(sig: np.ndarray, rng: random.Random, changed: int) -> np.ndarray:
    copy: np.ndarray = sig.copy()
    for i in rng.sample(range(HASHES), changed):
        copy[i] = rng.getrandbits(32)
    return copy


def _signatures(rng: random.Random, n: int) -> tuple[list[int], dict[int, bytes]]:
    """*n* docs: families of near copies (from 0 to 16 hashes changed: either side of 0.7), and odd ones."""
    raw: dict[int, bytes] = {}
    docs = rng.sample(range(10_000), n)
    base = np.array([rng.getrandbits(32) for _ in range(HASHES)], dtype=np.uint32)
    for doc in docs:
        kind = rng.random()
        if kind < 0.1:
            continue  # indexed without a signature (all zero bytes)
        if kind < 0.15:
            raw[doc] = b"\x01" * 7  # a value of the wrong width: no signature either
            continue
        if kind < 0.3:  # a new family
            base = np.array([rng.getrandbits(32) for _ in range(HASHES)], dtype=np.uint32)
        sig = _near_copy(base, rng, rng.choice([0, 1, 4, 8, 9, 10, 12, 16, 32]))
        if kind > 0.9:  # a copy that shares bands only: same first band, the rest new
            fresh = [rng.getrandbits(32) for _ in range(HASHES - MINHASH_ROWS)]
            sig = np.concatenate([base[:MINHASH_ROWS], np.array(fresh, dtype=np.uint32)])
        raw[doc] = sig.astype(np.uint32).tobytes()
    return docs, raw


@pytest.mark.parametrize("rows", [False, True])
@pytest.mark.parametrize("seed", range(30))
def test_collapse_same_as_band_walk(seed: int, rows: bool) -> None:
    rng = random.Random(seed)
    n = rng.choice([1, 2, 5, 20, 40, 120])
    order, raw = _signatures(rng, n)
    snapshot = FakeSnapshot(raw, rows)
    column = FakeColumn(raw)
    for wanted in (1, 3, 10, n):
        fast = collapse(snapshot, np.array(order), wanted)  # type: ignore[arg-type]
        slow = _collapse_by_bands(snapshot, list(order), [signature_of(column[d]) for d in order],  # type: ignore[arg-type]
                                  wanted)
        assert fast == slow


@pytest.mark.parametrize("rows", [False, True])
def test_collapse_folds_near_copies_and_keeps_others(rows: bool) -> None:
    rng = random.Random(1)
    base = np.array([rng.getrandbits(32) for _ in range(HASHES)], dtype=np.uint32)
    other = np.array([rng.getrandbits(32) for _ in range(HASHES)], dtype=np.uint32)
    raw = {5: base.tobytes(), 7: _near_copy(base, rng, 4).tobytes(), 9: other.tobytes(),
           11: _near_copy(base, rng, 16).tobytes()}  # 16 of 32 changed: under 0.7
    groups = collapse(FakeSnapshot(raw, rows), np.array([5, 9, 7, 11]), 10)  # type: ignore[arg-type]
    assert [(doc, copies) for doc, _, copies in groups] == [(5, [7]), (9, []), (11, [])]
    assert groups[0][1] == {"id": "a5"}


def test_collapse_without_signatures() -> None:
    groups = collapse(FakeSnapshot(None), np.array([3, 1, 2]), 2)  # type: ignore[arg-type]
    assert [(doc, copies) for doc, _, copies in groups] == [(3, []), (1, [])]


def test_many_documents_take_the_band_walk() -> None:
    rng = random.Random(3)
    order, raw = _signatures(rng, 400)
    snapshot = FakeSnapshot(raw)
    groups = collapse(snapshot, np.array(order), 50)  # type: ignore[arg-type]
    assert len(groups) == 50
    assert any(copies for _, _, copies in groups)
