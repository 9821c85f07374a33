"""How the ranker reads a corrected syllable (issue 16, kw-typo): positions, words, titles."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from vnsearch.search.proximity import KEY_SHIFT, position_keys
from vnsearch.search.ranking import corrected_word_bonus
from vnsearch.search.understand import Alternative


class _Values:
    """Positions per posting (the part of store.postings' Values that position_keys reads)."""

    def __init__(self, positions: list[list[int]]) -> None:
        self.positions = positions

    def __len__(self) -> int:
        return len(self.positions)

    def decode(self, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        owner = [k for k, i in enumerate(indices) for _ in self.positions[i]]
        flat = [p for i in indices for p in self.positions[i]]
        return np.array(owner, dtype=np.int64), np.array(flat, dtype=np.int64)


def postings(holding: dict[int, list[int]]) -> SimpleNamespace:
    docs = sorted(holding)
    return SimpleNamespace(docs=np.array(docs, dtype=np.int64), values=_Values([holding[d] for d in docs]))


def test_positions_of_a_corrected_syllable_are_the_typed_ones_else_the_corrections():
    typed = postings({5: [3]})
    correction = postings({5: [9], 7: [1, 4]})
    keys = position_keys((typed, correction), np.array([5, 7], dtype=np.int64))  # type: ignore[arg-type]
    # Doc 5 holds the typed syllable: its own position only; doc 7 only the correction: the correction's.
    assert [(int(k) >> KEY_SHIFT, int(k) & ((1 << KEY_SHIFT) - 1)) for k in keys] == [(0, 3), (1, 1), (1, 4)]


class _Ranker:
    """Word bonuses of a few words (the part of Ranker that corrected_word_bonus reads)."""

    def __init__(self, words: dict[str, list[float]]) -> None:
        self.words = words

    def word(self, syllables: list[str]) -> np.ndarray | None:
        got = self.words.get(" ".join(syllables))
        return None if got is None else np.array(got, dtype=np.float32)


def test_a_corrected_run_earns_the_word_it_makes_times_the_correction_weight():
    ranker = _Ranker({"lão nông": [0.0, 2.0, 1.0]})
    alternatives = {"lãk": [Alternative("lãk", "lão", 0.8, 1), Alternative("lãk", "lãi", 0.3, 1)]}
    got = corrected_word_bonus(ranker, ["lãk", "nông"], alternatives)  # type: ignore[arg-type]
    assert got is not None and got.tolist() == pytest.approx([0.0, 1.6, 0.8])
    assert corrected_word_bonus(ranker, ["lãk", "dân"], alternatives) is None  # type: ignore[arg-type]
