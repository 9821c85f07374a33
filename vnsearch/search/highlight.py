"""Snippets: the best passage of the original text, with the query's words marked.

The index holds normalised, segmented, folded terms, but a reader wants to see
the article as it was written. Snippets are therefore cut from the stored
original text, whose syllables are found again with the cheap regular
expression of :func:`vnsearch.lang.analysis.syllables` (never the segmenter), and a
syllable is marked when it matches a query syllable on any tier.
"""

from __future__ import annotations

import bisect
import html
import itertools
import operator
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from vnsearch import caps
from vnsearch.lang.analysis import (
    JOINS,
    Token,
    find_syllables,
    find_syllables_many,
    matching_syllables,
    syllable_finder,
)
from vnsearch.lang.text import canonical, fold_all, has_diacritics
from vnsearch.search.query import ParsedQuery, parse_query

__all__ = ["Snippet", "Highlighter", "make_snippet"]

# From this many characters (a long lead, a body), finding the query's syllables in
# the folded text costs less than tokenizing it whole (matching_syllables), whose
# fixed costs are lower (measured: equal at ~150 characters).
_FIND_FROM = 160

# A (ordinal, token) pair's parts, and a token's text, start and end.
_ORDINAL = operator.itemgetter(0)
_TOKEN = operator.itemgetter(1)
_TEXT = operator.itemgetter(0)
_START = operator.itemgetter(1)
_END = operator.itemgetter(2)

# Token texts whose places in the query a Highlighter remembers (one query, its hits).
_PLACES_KEPT = 10_000

# Characters of texts found together (Highlighter.found_in): a page's hits, not a
# thousand whole articles in one buffer.
_TOGETHER_CHARS = 200_000

# Control characters (and ANSI escapes) and the bidirectional embeddings,
# overrides and isolates (U+202E turns "exe.txt" into "txt.exe" on screen)
# from an article must never reach a terminal or a page; replaced one for one
# by spaces so the highlight offsets hold. The direction marks (U+200E/F),
# which right-to-left text needs, stay; a terminal sees them escaped
# (vnsearch.lang.text.printable).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _clean(text: str) -> str:
    """Same length as *text*, so offsets stay valid: newlines and controls → spaces."""
    return _UNSAFE.sub(" ", text)


@dataclass
class Snippet:
    """A passage and the [start, end) offsets of its highlighted words."""

    text: str
    highlights: list[tuple[int, int]] = field(default_factory=list)

    def plain(self) -> str:
        return self.text

    def html(self, tag: str = "mark") -> str:
        """HTML-escaped text with ``<mark>`` around each highlight."""
        out, last = [], 0
        for start, end in self.highlights:
            out.append(html.escape(self.text[last:start]))
            out.append(f"<{tag}>{html.escape(self.text[start:end])}</{tag}>")
            last = end
        out.append(html.escape(self.text[last:]))
        return "".join(out)

    def marked(self, before: str, after: str, escape: Callable[[str], str] | None = None) -> str:
        """The text with *before*/*after* around each highlight (e.g. ANSI codes).

        *escape*, if given, is applied to each piece of the text (not to the
        marks), as a terminal sanitiser must be.
        """
        esc = escape or (lambda t: t)
        out, last = [], 0
        for start, end in self.highlights:
            out.append(esc(self.text[last:start]))
            out.append(before + esc(self.text[start:end]) + after)
            last = end
        out.append(esc(self.text[last:]))
        return "".join(out)

    def to_dict(self) -> dict[str, str | list[list[int]]]:
        return {"text": self.text, "highlights": [list(h) for h in self.highlights]}

    def __str__(self) -> str:
        return self.text


class Highlighter:
    """Decides which syllables of a text to mark for a query.

    A syllable typed with diacritics marks only that exact syllable; one typed
    without marks any accented form of it. Within a run of query words, only
    syllables that stand next to each other in the text as in the query are
    marked ("trí tuệ nhân tạo" marks that phrase, not every "tạo" in
    "đào tạo"), unless the text holds no such sequence at all.
    """

    def __init__(self, sequences: Iterable[Sequence[str]]) -> None:
        self.sequences = [list(seq) for seq in sequences if seq]
        # Folded forms of every query syllable: the only text syllables worth a closer look.
        self._wanted = {fold_all(q) for seq in self.sequences for q in seq}
        self._finder = syllable_finder(self._wanted)
        # Per sequence: where a syllable can stand in it (a syllable may repeat), by
        # (typed with diacritics, form): the exact form if so, else the folded one.
        self._slots: list[dict[tuple[bool, str], list[int]]] = []
        for seq in self.sequences:
            slots: dict[tuple[bool, str], list[int]] = {}
            for k, q in enumerate(seq):
                slots.setdefault((has_diacritics(q), q), []).append(k)
            self._slots.append(slots)
        # Token text -> its places in each sequence: the same words recur in every hit.
        self._places: dict[str, tuple[list[int], ...]] = {}
        # Token text -> its canonical spelling if a query syllable, else "" (find_syllables).
        self._known: dict[str, str] = {}

    @classmethod
    def for_query(cls, parsed: ParsedQuery, corrections: Mapping[str, Sequence[str]] | None = None) -> Highlighter:
        """From a :class:`~vnsearch.search.query.ParsedQuery`: its word runs and phrases.

        *corrections* (typed syllable -> corrections searched for too): each
        run is also highlighted with its typed syllables replaced by their
        first correction ("khởi nghiệpp" marks "khởi nghiệp").
        """
        in_runs = {s for run in parsed.runs for s in run}
        seqs: list[list[str]] = [list(run) for run in parsed.runs]
        for run in parsed.runs if corrections else ():
            assert corrections is not None
            fixed = [corrections[s][0] if corrections.get(s) else s for s in run]
            if fixed != run:
                seqs.append(fixed)
        for group in parsed.groups:
            for phrase in group:
                if phrase.quoted or phrase.syllables[0] not in in_runs:
                    seqs.append(list(phrase.syllables))
        return cls(seqs)

    def _places_of(self, text: str) -> tuple[list[int], ...]:
        """Where a token of this text can stand in each sequence (remembered for the query)."""
        got = self._places.get(text)
        if got is None:
            exact = canonical(text)
            folded = fold_all(exact)
            got = tuple(slots.get((True, exact), []) + slots.get((False, folded), []) for slots in self._slots)
            if len(self._places) < _PLACES_KEPT:
                self._places[text] = got
        return got

    def marks(self, found: Sequence[tuple[int, Token]]) -> list[tuple[int, Token]]:
        """The tokens to highlight, from the candidate (ordinal, token) pairs, in order.

        *found* comes in increasing order of ordinals (as every finder gives
        it), so the marked pairs are picked from it in its order rather
        than gathered in a dict and sorted; each sequence looks only at the
        candidates that can stand in it.
        """
        if not found:
            return []
        known = self._places.get
        places = [(o, known(t.text) or self._places_of(t.text)) for o, t in found]
        marked: set[int] = set()
        for which, seq in enumerate(self.sequences):
            hits = {o: p[which] for o, p in places if p[which]}
            if len(seq) == 1:
                marked.update(hits)
                continue
            any_run = False
            size = len(seq)
            for o, ks in hits.items():
                for k in ks:
                    j = 1
                    while k + j < size and (k + j) in hits.get(o + j, ()):
                        j += 1
                    if j >= 2:
                        marked.update(range(o, o + j))
                        any_run = True
            if not any_run:
                marked.update(hits)
        if len(marked) == len(found):
            return list(found)
        return [pair for pair in found if pair[0] in marked]

    def found_in(self, texts: Sequence[str]) -> list[list[tuple[int, Token]]]:
        """The candidates :meth:`snippet` would find in each of *texts*, found together.

        A page of hits has a body, a lead and a title each: scanned one by
        one, each paid the fixed costs of preparing, folding and searching
        a text, more than most titles and leads cost by their characters.
        Here they are prepared, folded and searched together
        (:func:`~vnsearch.lang.analysis.find_syllables_many`), each still
        as alone: pass each text's list to :meth:`snippet` as *found*.
        """
        windows = [(text or "")[: caps.SNIPPET_SCAN_CHARS] for text in texts]
        if len(self._known) > _PLACES_KEPT:
            self._known.clear()
        found: list[list[tuple[int, Token]] | None] = []
        first = chars = 0
        for i, window in enumerate(windows):
            chars += len(window)
            if chars >= _TOGETHER_CHARS or i == len(windows) - 1:
                found += find_syllables_many(windows[first: i + 1], self._wanted, self._finder, parts=True,
                                             known=self._known)
                first, chars = i + 1, 0
        return [_with_parts(got if got is not None else matching_syllables(window, self._wanted, parts=True),
                            self._wanted)
                for window, got in zip(windows, found)]

    def snippet(self, text: str, max_chars: int = 240, whole: bool = False,
                found: Sequence[tuple[int, Token]] | None = None) -> Snippet:
        """The passage of *text* that holds the most distinct query syllables.

        ``whole=True`` keeps all of *text* (titles). Only syllables that could
        match are looked at closely, and only in the first
        :data:`vnsearch.caps.SNIPPET_SCAN_CHARS` characters: however long the
        article, a snippet costs one regex pass over that window (a match
        further in is still found and ranked by the index; the snippet is then
        taken from the window). *found*: this text's candidates from
        :meth:`found_in`, when the texts of many were found together.
        """
        if not text:
            return Snippet("")
        scanned = text[: caps.SNIPPET_SCAN_CHARS]
        if found is None:
            found = _matching_with_parts(scanned, self._wanted, self._finder, self._known)
        hits = self.marks(found)
        if whole or len(text) <= max_chars:
            return _build(text, 0, len(scanned), hits)
        if not hits:
            return _build(text, 0, _cut(text, 0, max_chars), [])
        best, best_score = 0, -1
        j = 0
        count = len(hits)
        # Each hit's folded form, start, end and ordinal, mapped in C rather than unpacked hit by hit.
        tokens = list(map(_TOKEN, hits))
        forms = list(map(fold_all, map(str.lower, map(_TEXT, tokens))))
        starts = list(map(_START, tokens))
        ends = list(map(_END, tokens))
        ordinals = list(map(_ORDINAL, hits))
        # adjacent_before[k]: how many hits before hit k follow their predecessor directly.
        adjacent_before = [0, *itertools.accumulate(map(operator.eq, map(operator.sub, ordinals[1:], ordinals),
                                                        itertools.repeat(1)))]
        for i in range(count):
            # The window starts at this hit and spans max_chars of text.
            limit = starts[i] + max_chars
            if j < i:
                j = i
            while j + 1 < count and ends[j + 1] <= limit:
                j += 1
            score = len(set(forms[i: j + 1])) * 4 + (adjacent_before[j] - adjacent_before[i]) * 2 + (j + 1 - i)
            if score > best_score:
                best, best_score = i, score
        # Give a little context before the first hit, starting at a word.
        first_start = starts[best]
        start = max(0, first_start - max_chars // 5)
        if start > 0:
            space = text.find(" ", start, first_start)
            start = space + 1 if space != -1 else first_start
        return _build(text, start, _cut(text, start, max_chars), hits, bisect.bisect_left(starts, start, 0, best))




def _matching_with_parts(text: str, wanted: set[str], finder: re.Pattern[str] | None = None,
                         known: dict[str, str] | None = None) -> list[tuple[int, Token]]:
    """:func:`matching_syllables`, and joined tokens holding a wanted part ("Covid" in "Covid-19").

    With *finder* (``syllable_finder(wanted)``) the tokens are looked for
    in the text rather than the text tokenized whole
    (:func:`~vnsearch.lang.analysis.find_syllables`): their numbers then
    only tell which tokens stand next to each other, all that snippets use.

    The index finds "Covid-19" for ``covid`` (its parts are indexed at its
    position), so the snippet must mark it too: the part alone, or the whole
    token when every part is wanted (``covid 19``). The token's text becomes
    its first wanted part, which is what the query's syllables are matched with.
    """
    # A short text (a title, most leads) costs less tokenized whole than the finder's fixed costs.
    found = (find_syllables(text, wanted, finder, parts=True, known=known)
             if finder is not None and len(text) > _FIND_FROM else None)
    return _with_parts(found if found is not None else matching_syllables(text, wanted, parts=True), wanted)


def _with_parts(found: list[tuple[int, Token]], wanted: set[str]) -> list[tuple[int, Token]]:
    """The candidates *found*, each joined token holding a wanted part as that part (see _matching_with_parts)."""
    spelled_all = "".join(map(_TEXT, map(_TOKEN, found)))
    if "-" not in spelled_all and "'" not in spelled_all and "’" not in spelled_all:
        return found  # nearly always: no token has parts
    out: list[tuple[int, Token]] = []
    for ordinal, tok in found:
        spelled = tok.text
        if "-" not in spelled and "'" not in spelled and "’" not in spelled:
            out.append((ordinal, tok))  # no parts: found because the whole of it is wanted
            continue
        whole = fold_all(canonical(spelled))
        if whole in wanted:
            out.append((ordinal, tok))
            continue
        parts = JOINS.split(whole)
        pieces = JOINS.split(tok.text)
        first = next(i for i, part in enumerate(parts) if part in wanted)
        if all(part in wanted for part in parts) or tok.end - tok.start != len(tok.text):
            out.append((ordinal, Token(pieces[first], tok.start, tok.end, True)))
            continue
        at = sum(len(piece) + 1 for piece in pieces[:first])  # each join is one character
        out.append((ordinal, Token(pieces[first], tok.start + at, tok.start + at + len(pieces[first]), True)))
    return out


def _cut(text: str, start: int, max_chars: int) -> int:
    """An end offset at most *max_chars* after *start*, on a word boundary."""
    end = min(len(text), start + max_chars)
    if end < len(text):
        space = text.rfind(" ", start + max_chars // 2, end)
        if space > 0:
            end = space
    return end


def _build(text: str, start: int, end: int, hits: Sequence[tuple[int, Token]], first: int = 0) -> Snippet:
    """The passage ``text[start:end]`` with the *hits* inside it highlighted.

    *hits* are in the order of the text; *first*: the index of the first
    that may start at or after *start* (those before it start before it).
    """
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    body = _clean(text[start:end])
    spans: list[tuple[int, int]] = []
    shift = len(prefix) - start
    joined = prefix + body
    for _, tok in itertools.islice(hits, first, None):
        if tok.start >= end:
            break  # this one and every later one start beyond the passage
        if tok.start < start or tok.end > end:
            continue
        s, e = tok.start + shift, tok.end + shift
        # Merge with the previous span when only spaces separate them.
        if spans and joined[spans[-1][1]:s].strip() == "":
            spans[-1] = (spans[-1][0], e)
        else:
            spans.append((s, e))
    return Snippet(joined + suffix, spans)


def make_snippet(text: str, query: str, max_chars: int = 240) -> Snippet:
    """Convenience: the best snippet of *text* for a query string."""
    return Highlighter.for_query(parse_query(query)).snippet(text, max_chars)
