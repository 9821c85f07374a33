"""Slips of the finger: which known words a mistyped one could have been.

A :class:`TypoIndex` holds a vocabulary (words with how many documents hold
each) and answers "what is within reach of this typed word?". One edit away
(most lookups: syllables are short), the typed word's few hundred neighbours
are looked up in the vocabulary itself. Two edits away, the SymSpell way:
every word is stored under each string it leaves when up to *n* letters are
deleted, so a lookup deletes letters from the typed word too and meets the
candidates in a dictionary, with no scan of the vocabulary; those deletions
are made per word length, when first needed. Either way a candidate is at
most that many edits away by the true edit distance (insertions, deletions,
substitutions and transpositions of neighbours, each costing one).

How far to reach depends on length: most Vietnamese syllables are two to
five letters, and one edit from a three-letter syllable reaches dozens of
real ones ("can" → cam, cao, cán…), so :func:`max_edits` says how many
edits a word of each length may afford (measured on bench/, see the
report). Among candidates at the same distance, the slips a keyboard makes
(a key next to the right one, a doubled or dropped letter, two letters
swapped) are likelier than arbitrary edits: :func:`slip_weight` says how much.

It knows no index: the caller builds it from a lexicon (typically the
folded syllables of a snapshot, see :mod:`vnsearch.search.understand`) and
caches it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

__all__ = ["TypoIndex", "TypoLookup", "Candidate", "max_edits", "edit_distance", "slip_weight", "QWERTY_NEIGHBOURS",
           "DEFAULT_TOLERANCE", "is_code", "same_digits"]

_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")


def _neighbours() -> dict[str, frozenset[str]]:
    """Keys next to each letter key on a QWERTY keyboard (same row, and the touching keys above and below)."""
    pos = {c: (r, i) for r, row in enumerate(_ROWS) for i, c in enumerate(row)}
    out: dict[str, frozenset[str]] = {}
    for c, (r, i) in pos.items():
        near = set()
        for d, (r2, i2) in pos.items():
            if d == c or abs(r2 - r) > 1:
                continue
            if (r2 == r and abs(i2 - i) == 1) or (r2 < r and i2 - i in (0, 1)) or (r2 > r and i2 - i in (-1, 0)):
                near.add(d)
        out[c] = frozenset(near)
    return out


QWERTY_NEIGHBOURS = _neighbours()

# Edits allowed by word length: (shortest length allowed one edit, shortest allowed two).
# Measured on the bench sets (bench/understand_eval.py --tolerance): see max_edits.
DEFAULT_TOLERANCE = (3, 8)


def max_edits(length: int, tolerance: tuple[int, int] = DEFAULT_TOLERANCE) -> int:
    """How many edits a typed word of *length* letters may be corrected by (0, 1 or 2)."""
    one, two = tolerance
    return 2 if length >= two else 1 if length >= one else 0


def edit_distance(a: str, b: str, limit: int = 2) -> int:
    """Optimal-string-alignment distance (adjacent transposition costs one), or limit + 1 if beyond *limit*."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        best = cur[0]
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            v = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                v = min(v, prev2[j - 2] + 1)
            cur[j] = v
            best = min(best, v)
        if best > limit:
            return limit + 1
        prev2, prev = prev, cur
    return min(prev[len(b)], limit + 1)


def slip_weight(typed: str, meant: str) -> float:
    """How likely *typed* is as a keyboard slip for *meant* (one edit apart), 1.0 at best.

    A key next to the right one, a letter doubled or dropped, two neighbours
    swapped: 1.0. Any other substitution or inserted letter: 0.5. Words
    further apart: 0.25 (two slips are rarer than one).
    """
    if typed == meant:
        return 1.0
    lt, lm = len(typed), len(meant)
    if lt == lm:
        diff = [i for i in range(lt) if typed[i] != meant[i]]
        if len(diff) == 1:
            i = diff[0]
            return 1.0 if typed[i] in QWERTY_NEIGHBOURS.get(meant[i], ()) else 0.5
        if len(diff) == 2 and diff[1] == diff[0] + 1 and typed[diff[0]] == meant[diff[1]] \
                and typed[diff[1]] == meant[diff[0]]:
            return 1.0
        return 0.25
    if lt == lm + 1:  # a letter too many: doubled, or a neighbouring key hit as well
        for i in range(lt):
            if typed[:i] + typed[i + 1:] == meant:
                extra = typed[i]
                around = {typed[i - 1] if i else "", typed[i + 1] if i + 1 < lt else ""}
                if extra in around or any(extra in QWERTY_NEIGHBOURS.get(c, ()) for c in around if c):
                    return 1.0
                return 0.5
        return 0.25
    if lm == lt + 1:  # a letter dropped
        for i in range(lm):
            if meant[:i] + meant[i + 1:] == typed:
                return 1.0
        return 0.25
    return 0.25


@dataclass(frozen=True)
class Candidate:
    """A known word within reach of the typed one."""

    word: str
    distance: int
    frequency: int  # documents holding it
    weight: float  # slip_weight(typed, word)


def is_code(word: str) -> bool:
    """Whether *word* is a code of letters and digits ("24h", "u23", "lx570"): ASCII, at least one of each."""
    return word.isascii() and word.isalnum() and not word.isalpha() and not word.isdigit()


def same_digits(typed: str, meant: str) -> bool:
    """Whether *typed* is *meant* with a slip on its letters only: the same digits, none swapped with a letter."""
    if [c for c in typed if c.isdigit()] != [c for c in meant if c.isdigit()]:
        return False
    if len(typed) == len(meant):
        diff = [i for i in range(len(typed)) if typed[i] != meant[i]]
        return not any(typed[i].isdigit() or meant[i].isdigit() for i in diff)
    return True


class TypoIndex:
    """Deletion neighbourhoods of a vocabulary, for bounded typo lookups.

    Built once (a few hundred thousand dictionary entries for a news index's
    syllables) and then read by any number of threads. Only alphabetic
    words of up to ``max_length`` letters are held: numbers are not typos of
    each other. With ``codes`` it holds the codes instead ("24h", "u23",
    "lx570": :func:`is_code`), reached by one slip on their letters only
    ("24g" → 24h, "kk50" → k50): a digit is a fact the user typed (a time, a
    model number), a letter next to it is a key that may have slipped.
    """

    def __init__(self, vocabulary: Iterable[tuple[str, int]], tolerance: tuple[int, int] = DEFAULT_TOLERANCE,
                 max_length: int = 20, min_frequency: int = 1, codes: bool = False) -> None:
        self.tolerance = tolerance
        self.max_length = max_length
        self.codes = codes
        self.frequency: dict[str, int] = {}
        self._deletes: dict[str, list[str]] = {}
        # Words by length, their deletions made on the first lookup that can reach that length: a slip on
        # a syllable of four letters needs the words of three to five, not the long ones, whose deletions
        # (two edits each) are most of the work (about 4 s of CPU for the 46,000 of a 35,000-article index).
        self._by_length: dict[int, list[str]] = {}
        self._letters = ""  # every letter of the words held, for the one-edit neighbours of a typed word
        self._lock = threading.Lock()
        # Filtered in one comprehension each: this runs in every new process that meets a short query.
        if codes:
            self.frequency = {w: df for w, df in vocabulary if df >= min_frequency and len(w) <= max_length
                              and w.isascii() and w.isalnum() and not w.isalpha() and not w.isdigit()}
            for word in self.frequency:  # letters deleted only (one slip): the digits stay
                for d in _letter_deletions(word):
                    self._deletes.setdefault(d, []).append(word)
        else:
            self.frequency = {w: df for w, df in vocabulary if df >= min_frequency and len(w) <= max_length
                              and w.isascii() and w.isalpha()}
            for word in self.frequency:
                self._by_length.setdefault(len(word), []).append(word)
            self._letters = "".join(sorted(set("".join(self.frequency))))

    def _reach(self, shortest: int, longest: int) -> None:
        """Make the deletions of the words of *shortest* to *longest* letters, those not made yet."""
        if all(n not in self._by_length for n in range(shortest, longest + 1)):
            return
        with self._lock:
            for n in range(shortest, longest + 1):
                for word in self._by_length.get(n, ()):
                    for d in _deletions(word, max_edits(n + 2, self.tolerance)):
                        self._deletes.setdefault(d, []).append(word)
                # Only once made: a lookup that finds the length gone reads every deletion of it.
                self._by_length.pop(n, None)

    def __len__(self) -> int:
        return len(self.frequency)

    def __contains__(self, word: object) -> bool:
        return word in self.frequency

    def candidates(self, typed: str, edits: int | None = None, limit: int = 20) -> list[Candidate]:
        """Known words within *edits* (default :func:`max_edits` of its length) of *typed*, best first.

        Best first: fewest edits, then likeliest slip, then most documents. The
        typed word itself, if known, is a candidate at distance 0. At most *limit*.
        """
        if self.codes:
            return self._code_candidates(typed, limit)
        if edits is None:
            edits = max_edits(len(typed), self.tolerance)
        if not typed.isalpha() or not typed.isascii():
            return []
        if len(typed) > self.max_length + edits:
            # No word held is that close (every one has at most max_length
            # letters), and the deletions of a long word grow with the cube of
            # its length: a 1,600-letter "word" took 34 s.
            return []
        found: dict[str, int] = {}
        if edits <= 1:
            # One edit: the typed word's few hundred neighbours looked up directly. No deletions of the
            # vocabulary needed, so a new process answers at once (they took seconds on a large index).
            for word in _neighbours_of(typed, self._letters) if edits else ():
                if word in self.frequency:
                    found[word] = 1
            return self._ranked(typed, found, limit)
        self._reach(len(typed) - edits, len(typed) + edits)  # a word further in length is further in edits
        for d in _deletions(typed, edits) | {typed}:
            for word in self._deletes.get(d, ()):
                if word not in found:
                    dist = edit_distance(typed, word, edits)
                    if dist <= edits:
                        found[word] = dist
        return self._ranked(typed, found, limit)

    def _ranked(self, typed: str, found: dict[str, int], limit: int) -> list[Candidate]:
        """*found* (word -> edits), and *typed* itself if held, as candidates best first (see :meth:`candidates`)."""
        if typed in self.frequency:
            found[typed] = 0
        out = [Candidate(w, dist, self.frequency[w], slip_weight(typed, w)) for w, dist in found.items()]
        out.sort(key=lambda c: (c.distance, -c.weight, -c.frequency, c.word))
        return out[:limit]

    def _code_candidates(self, typed: str, limit: int) -> list[Candidate]:
        """Codes one slip on the letters away from *typed* (a code too), best first (as :meth:`candidates`)."""
        if not is_code(typed) or len(typed) > self.max_length + 1:
            return []
        found: dict[str, int] = {}
        for d in _letter_deletions(typed):
            for word in self._deletes.get(d, ()):
                if word not in found and same_digits(typed, word):
                    dist = 0 if word == typed else edit_distance(typed, word, 1)
                    if dist <= 1:
                        found[word] = dist
        out = [Candidate(w, dist, self.frequency[w], slip_weight(typed, w)) for w, dist in found.items()]
        out.sort(key=lambda c: (c.distance, -c.weight, -c.frequency, c.word))
        return out[:limit]


class TypoLookup:
    """The lookups of a :class:`TypoIndex` that need no pass over the vocabulary, asked of a lookup function.

    One edit from a typed word (and, with ``codes``, one slip on a code's
    letters) is a few hundred strings to look up: answered from *frequency*
    (documents holding a word, 0 when none; a snapshot's term table, on
    disk), it costs milliseconds, where a :class:`TypoIndex` first reads the
    whole vocabulary into memory (a third of a second of CPU on a 35,000-article
    index; a command-line search is a new process each time). The candidates
    are those a :class:`TypoIndex` of the same vocabulary, tolerance,
    ``max_length`` and ``min_frequency`` gives, in the same order. Two edits
    (:meth:`reaches` is False) need the deletions of the vocabulary: build
    the :class:`TypoIndex` for them.

    *letters* must hold every letter of the words held (more letters only
    cost lookups): the one-edit neighbours are made of them.
    """

    def __init__(self, frequency: Callable[[str], int], letters: str, tolerance: tuple[int, int] = DEFAULT_TOLERANCE,
                 max_length: int = 20, min_frequency: int = 1, codes: bool = False) -> None:
        if min_frequency < 1:
            raise ValueError("a lookup holds the words some document holds: min_frequency must be at least 1")
        self._frequency = frequency
        self._letters = "".join(sorted(set(letters)))
        self.tolerance = tolerance
        self.max_length = max_length
        self.min_frequency = min_frequency
        self.codes = codes

    def frequency(self, word: str) -> int:
        """Documents holding *word* if the matching :class:`TypoIndex` would hold it, else 0."""
        if len(word) > self.max_length or not word.isascii():
            return 0
        if not (is_code(word) if self.codes else word.isalpha()):
            return 0
        df = self._frequency(word)
        return df if df >= self.min_frequency else 0

    def reaches(self, typed: str, edits: int | None = None) -> bool:
        """Whether :meth:`candidates` can answer for *typed* within *edits* (one edit at most, or codes)."""
        return self.codes or (max_edits(len(typed), self.tolerance) if edits is None else edits) <= 1

    def candidates(self, typed: str, edits: int | None = None, limit: int = 20) -> list[Candidate]:
        """:meth:`TypoIndex.candidates` within one edit (see :meth:`reaches`), best first."""
        if not self.reaches(typed, edits):
            raise ValueError(f"a lookup reaches one edit, not {edits}: use a TypoIndex")
        found: dict[str, int] = {}
        if self.codes:
            if not is_code(typed) or len(typed) > self.max_length + 1:
                return []
            for d in _letter_deletions(typed):
                # The codes d is a letter deletion of: d itself, or d with a letter put back anywhere.
                for word in {d} | {d[:i] + c + d[i:] for i in range(len(d) + 1) for c in self._letters}:
                    if word not in found and same_digits(typed, word) and self.frequency(word):
                        dist = 0 if word == typed else edit_distance(typed, word, 1)
                        if dist <= 1:
                            found[word] = dist
            return self._ranked(typed, found, limit)
        if edits is None:
            edits = max_edits(len(typed), self.tolerance)
        if not typed.isalpha() or not typed.isascii() or len(typed) > self.max_length + edits:
            return []
        for word in _neighbours_of(typed, self._letters) if edits else ():
            if self.frequency(word):
                found[word] = 1
        if self.frequency(typed):
            found[typed] = 0
        return self._ranked(typed, found, limit)

    def _ranked(self, typed: str, found: dict[str, int], limit: int) -> list[Candidate]:
        out = [Candidate(w, dist, self.frequency(w), slip_weight(typed, w)) for w, dist in found.items()]
        out.sort(key=lambda c: (c.distance, -c.weight, -c.frequency, c.word))
        return out[:limit]


def _neighbours_of(word: str, letters: str) -> set[str]:
    """Every string one edit from *word* (a letter deleted, two neighbours swapped, one replaced or inserted).

    Each is at optimal-string-alignment distance exactly one, the word itself left out.
    """
    cuts = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    out = {a + b[1:] for a, b in cuts if b}
    out.update(a + b[1] + b[0] + b[2:] for a, b in cuts if len(b) > 1)
    out.update(a + c + b[1:] for a, b in cuts if b for c in letters)
    out.update(a + c + b for a, b in cuts for c in letters)
    out.discard(word)
    return out


def _letter_deletions(word: str) -> set[str]:
    """*word*, and what deleting one of its letters (not digits) leaves."""
    return {word} | {word[:i] + word[i + 1:] for i, c in enumerate(word) if c.isalpha()}


def _deletions(word: str, n: int) -> set[str]:
    """Every string left by deleting up to *n* letters of *word* (the word itself included)."""
    if n == 1:
        return {word[:i] + word[i + 1:] for i in range(len(word))} | {word}
    out = {word}
    frontier = {word}
    for _ in range(n):
        nxt = set()
        for w in frontier:
            for i in range(len(w)):
                nxt.add(w[:i] + w[i + 1:])
        nxt -= out
        out |= nxt
        frontier = nxt
    return out
