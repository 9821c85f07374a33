"""Work on adversarial Unicode grows linearly with the input: counted, not timed.

Each text path (preparing, tokenising with offsets, analysing, highlighting,
restoring, and `similar`'s reading of an article) is run on an input of size
n and of size 4n, and its *work* is counted: every line of vnsearch's own
Python code executed (a trace function), plus, for the C code of
``unicodedata.normalize``, the square of the length of each string it is
given (canonical reordering is an insertion sort, quadratic in a run of
combining marks). Linear code does about four times the work on four times
the input; the quadratic scan this file was written against (one rescan of a
run of combining marks per mark) did sixteen times.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

import vnsearch
from vnsearch.lang import analysis, text

PACKAGE = str(Path(vnsearch.__file__).parent)

# Input shapes that have broken text processing elsewhere, each a function of n.
ADVERSARIAL: dict[str, Callable[[int], str]] = {
    "combining run": lambda n: "a" + "\u0301" * n,
    "alternating marks": lambda n: "a" + "\u0301\u0323" * (n // 2),  # two combining classes: reordering
    "marks on every letter": lambda n: "a\u0301\u0301\u0301 " * (n // 5),
    "long word": lambda n: "a" * n,
    "no spaces": lambda n: "tríTuệ" * (n // 6),
    "mixed scripts": lambda n: "việtΑβγабв中文ไทย\u05d0\u05b0\u05b8" * (n // 16),
    "digits and dots": lambda n: "1." * (n // 2) + "1a",
    "hyphen chain": lambda n: "a-" * (n // 2) + "a",
    "nfd text": lambda n: unicodedata.normalize("NFD", "Trí tuệ nhân tạo. ") * (n // 18),
}


def _clear_caches() -> None:
    """Forget every lru_cache of the text modules, so each run does its full work."""
    from vnsearch.lang import spelling
    from vnsearch.search import highlight, restore

    for module in (text, analysis, spelling, restore, highlight):
        for value in vars(module).values():
            clear = getattr(value, "cache_clear", None)
            if callable(clear):
                clear()


class Work:
    """Counts lines executed in vnsearch and the cost of normalisation in C."""

    def __init__(self) -> None:
        self.lines = 0
        self.normalising = 0

    @property
    def total(self) -> int:
        return self.lines + self.normalising


# Runs of characters with a non-zero combining class (what canonical reordering sorts).
_MARK_RUN = re.compile("[" + "".join(re.escape(chr(c)) for c in range(0x20000) if unicodedata.combining(chr(c)))
                       + "]+")


def _normalising_cost(s: str) -> int:
    """What normalising *s* costs: linear, plus the square of each run of combining marks (reordering)."""
    return len(s) // 16 + sum(len(run) ** 2 for run in _MARK_RUN.findall(s)) // 16


@contextmanager
def counting(monkeypatch: pytest.MonkeyPatch) -> Iterator[Work]:
    work = Work()
    real_normalize = unicodedata.normalize
    real_is_normalized = unicodedata.is_normalized

    def normalize(form: Any, s: str) -> str:
        work.normalising += _normalising_cost(s)
        return real_normalize(form, s)

    def is_normalized(form: Any, s: str) -> bool:
        work.normalising += _normalising_cost(s)
        return real_is_normalized(form, s)

    def local(frame: FrameType, event: str, arg: Any) -> Any:
        if event == "line":
            work.lines += 1
        return local

    def tracer(frame: FrameType, event: str, arg: Any) -> Any:
        if event == "call" and frame.f_code.co_filename.startswith((PACKAGE, __file__)):
            return local
        return None

    with monkeypatch.context() as m:
        m.setattr(unicodedata, "normalize", normalize)
        m.setattr(unicodedata, "is_normalized", is_normalized)
        previous = sys.gettrace()
        sys.settrace(tracer)
        try:
            yield work
        finally:
            sys.settrace(previous)


def growth(monkeypatch: pytest.MonkeyPatch, run: Callable[[str], object], make: Callable[[int], str],
           n: int) -> tuple[int, int]:
    """The work of ``run(make(n))`` and of ``run(make(4 * n))``, caches cleared before each."""
    counts = []
    for size in (n, 4 * n):
        data = make(size)
        _clear_caches()
        with counting(monkeypatch) as work:
            run(data)
        counts.append(work.total)
    return counts[0], counts[1]


def assert_linear(small: int, large: int, what: str) -> None:
    # Linear: ~4x (plus fixed costs, which only lower the ratio). Quadratic: ~16x.
    assert large <= 6 * max(small, 50), f"{what}: work {small} for n, {large} for 4n (not linear)"


@pytest.mark.parametrize("shape", sorted(ADVERSARIAL))
def test_prepare_and_tokenize_are_linear(monkeypatch: pytest.MonkeyPatch, shape: str) -> None:
    make = ADVERSARIAL[shape]
    assert_linear(*growth(monkeypatch, text.prepare, make, 2000), f"prepare, {shape}")
    assert_linear(*growth(monkeypatch, analysis.tokenize, make, 2000), f"tokenize, {shape}")
    assert_linear(*growth(monkeypatch, lambda t: analysis.matching_syllables(t, {"a", "tri"}), make, 2000),
                  f"matching_syllables, {shape}")


def test_the_quadratic_case_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """The counter sees the quadratic scan: yesterday's code (no cap on marks, no limit to the scan) fails."""
    def old_end(text_: str, last: int, limit: int = 0) -> int:
        end = last + 1
        while end < len(text_) and "\u0300" <= text_[end] <= "\u036f":
            end += 1
        return end

    monkeypatch.setattr(analysis, "_end_in_original", old_end)
    monkeypatch.setattr(text, "MAX_MARKS", 10**9, raising=False)
    monkeypatch.setattr(text, "_LONG_MARK_RUN", re.compile("(?!)"), raising=False)
    small, large = growth(monkeypatch, analysis.tokenize, ADVERSARIAL["combining run"], 400)
    assert large > 10 * small


@pytest.mark.parametrize("shape", ["combining run", "alternating marks", "long word", "mixed scripts", "nfd text"])
def test_analysis_with_the_segmenter_is_linear(monkeypatch: pytest.MonkeyPatch, segmenter: Any, shape: str) -> None:
    make = ADVERSARIAL[shape]
    assert_linear(*growth(monkeypatch, lambda t: analysis.analyze(t, segmenter), make, 1000), f"analyze, {shape}")


@pytest.mark.parametrize("shape", sorted(ADVERSARIAL))
def test_highlighting_is_linear(monkeypatch: pytest.MonkeyPatch, shape: str) -> None:
    from vnsearch.search.highlight import Highlighter
    from vnsearch.search.query import parse_query

    highlighter = Highlighter.for_query(parse_query("tri tue a"))
    make = ADVERSARIAL[shape]
    assert_linear(*growth(monkeypatch, lambda t: highlighter.snippet(t, 240), make, 2000), f"snippet, {shape}")


def test_highlighting_reads_a_bounded_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past caps.SNIPPET_SCAN_CHARS, a longer text costs no more to highlight."""
    from vnsearch import caps
    from vnsearch.search.highlight import Highlighter
    from vnsearch.search.query import parse_query

    highlighter = Highlighter.for_query(parse_query("kéo dài"))
    unit = "Giá vàng kéo dài đà tăng. "
    small, large = growth(monkeypatch, lambda t: highlighter.snippet(t, 240),
                          lambda n: unit * (n // len(unit)), caps.SNIPPET_SCAN_CHARS)
    assert large <= small * 1.2, (small, large)


@pytest.mark.parametrize("shape", ["combining run", "alternating marks", "long word", "no spaces", "mixed scripts"])
def test_restoring_is_linear_and_capped(monkeypatch: pytest.MonkeyPatch, seed_engine: Any, shape: str) -> None:
    from vnsearch import caps

    make = ADVERSARIAL[shape]
    assert_linear(*growth(monkeypatch, seed_engine.restoration, make, 300), f"restoration, {shape}")
    # Past the cap, more input costs nothing more.
    small, large = growth(monkeypatch, seed_engine.restoration, make, caps.QUERY_CHARS)
    assert large <= small * 1.2 + 1000, (shape, small, large)


@pytest.mark.parametrize("shape", ["combining run", "alternating marks", "no spaces"])
def test_searching_is_linear_and_capped(monkeypatch: pytest.MonkeyPatch, seed_engine: Any, shape: str) -> None:
    from vnsearch import caps

    make = ADVERSARIAL[shape]
    assert_linear(*growth(monkeypatch, lambda q: seed_engine.search(q, suggest=False), make, 100),
                  f"search, {shape}")
    small, large = growth(monkeypatch, lambda q: seed_engine.search(q, suggest=False), make, caps.QUERY_CHARS)
    assert large <= small * 1.2 + 1000, (shape, small, large)
