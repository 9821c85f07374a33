"""A bounded memo of what every query of one snapshot would work out alike."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["Kept"]

K = TypeVar("K")
V = TypeVar("V")


class Kept(dict[K, V], Generic[K, V]):
    """What is worked out once for every query of a snapshot, forgotten all at once past *limit* entries.

    Why one class: reading and ranking a query keep several such memos
    (typo candidates, marked spellings, held forms, unknown syllables, word
    expansions; other tones, held spellings, folded idfs), each the same
    get, work out, empty when full, keep. A snapshot never changes, so
    nothing kept goes stale; a long-lived engine meets ever new syllables,
    so each memo is bounded.
    """

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def get_or(self, key: K, make: Callable[[], V]) -> V:
        """The value kept for *key*, else ``make()``'s, kept (emptying the memo first when it is full)."""
        got = self.get(key)
        if got is None:
            got = make()
            if len(self) >= self.limit:
                self.clear()
            self[key] = got
        return got
