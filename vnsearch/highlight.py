"""Snippets: the best passage of the original text, with the query's words marked.

The index holds normalised, segmented, folded terms, but a reader wants to see
the article as it was written. Snippets are therefore cut from the stored
original text, whose syllables are found again with the cheap regular
expression of :func:`vnsearch.analysis.syllables` (never the segmenter), and a
syllable is marked when it matches a query syllable on any tier.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Iterable, Sequence

from .analysis import syllables
from .query import parse_query
from .text import canonical, fold_all, has_diacritics

__all__ = ["Snippet", "Highlighter", "make_snippet"]

# Control characters (and ANSI escapes) from an article must never reach a terminal.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


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

    def marked(self, before: str, after: str) -> str:
        """The text with *before*/*after* around each highlight (e.g. ANSI codes)."""
        out, last = [], 0
        for start, end in self.highlights:
            out.append(self.text[last:start])
            out.append(before + self.text[start:end] + after)
            last = end
        out.append(self.text[last:])
        return "".join(out)

    def to_dict(self) -> dict:
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

    @classmethod
    def for_query(cls, parsed) -> "Highlighter":
        """From a :class:`~vnsearch.query.ParsedQuery`: its word runs and phrases."""
        in_runs = {s for run in parsed.runs for s in run}
        seqs: list[list[str]] = [list(run) for run in parsed.runs]
        for group in parsed.groups:
            for phrase in group:
                if phrase.quoted or phrase.syllables[0] not in in_runs:
                    seqs.append(list(phrase.syllables))
        return cls(seqs)

    def marks(self, tokens: Sequence) -> list[int]:
        """Indexes of the tokens to highlight, in order."""
        marked: set[int] = set()
        exact = [canonical(t.text) for t in tokens]
        folded = [fold_all(e) for e in exact]
        for seq in self.sequences:
            # Where each token can stand in the sequence (a syllable may repeat).
            slots: dict[tuple[bool, str], list[int]] = {}
            for k, q in enumerate(seq):
                slots.setdefault((has_diacritics(q), q), []).append(k)
            hits = [slots.get((True, e), []) + slots.get((False, f), []) for e, f in zip(exact, folded)]
            if len(seq) == 1:
                marked.update(i for i, h in enumerate(hits) if h)
                continue
            found = False
            for i, ks in enumerate(hits):
                for k in ks:
                    j = 1
                    while i + j < len(tokens) and k + j < len(seq) and (k + j) in hits[i + j]:
                        j += 1
                    if j >= 2:
                        marked.update(range(i, i + j))
                        found = True
            if not found:
                marked.update(i for i, h in enumerate(hits) if h)
        return sorted(marked)

    def snippet(self, text: str, max_chars: int = 240, whole: bool = False) -> Snippet:
        """The passage of *text* that holds the most distinct query syllables.

        ``whole=True`` keeps all of *text* (titles).
        """
        if not text:
            return Snippet("")
        tokens = syllables(text)
        hits = self.marks(tokens)
        if whole or len(text) <= max_chars:
            return _build(text, 0, len(text), tokens, hits)
        if not hits:
            end = _cut(text, 0, max_chars)
            return _build(text, 0, end, tokens, [])
        best_start, best_score = hits[0], -1.0
        j = 0
        for i, first in enumerate(hits):
            # The window starts at this hit and spans max_chars of text.
            limit = tokens[first].start + max_chars
            j = max(j, i)
            while j + 1 < len(hits) and tokens[hits[j + 1]].end <= limit:
                j += 1
            window = hits[i: j + 1]
            distinct = len({fold_all(tokens[k].text.lower()) for k in window})
            adjacent = sum(1 for a, b in zip(window, window[1:]) if b == a + 1)
            score = distinct * 4 + adjacent * 2 + len(window)
            if score > best_score:
                best_start, best_score = first, score
        # Give a little context before the first hit, starting at a word.
        start = tokens[best_start].start
        back = max(0, best_start - 4)
        while back < best_start and start - tokens[back].start > max_chars // 4:
            back += 1
        start = tokens[back].start if back > 0 else 0
        end = _cut(text, start, max_chars)
        return _build(text, start, end, tokens, hits)


def _cut(text: str, start: int, max_chars: int) -> int:
    """An end offset at most *max_chars* after *start*, on a word boundary."""
    end = min(len(text), start + max_chars)
    if end < len(text):
        space = text.rfind(" ", start + max_chars // 2, end)
        if space > 0:
            end = space
    return end


def _build(text: str, start: int, end: int, tokens, hits: list[int]) -> Snippet:
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    body = _clean(text[start:end])
    spans: list[tuple[int, int]] = []
    shift = len(prefix) - start
    for i in hits:
        tok = tokens[i]
        if tok.start < start or tok.end > end:
            continue
        s, e = tok.start + shift, tok.end + shift
        # Merge with the previous span when only spaces separate them.
        if spans and (prefix + body)[spans[-1][1]:s].strip() == "":
            spans[-1] = (spans[-1][0], e)
        else:
            spans.append((s, e))
    return Snippet(prefix + body + suffix, spans)


def make_snippet(text: str, query: str, max_chars: int = 240) -> Snippet:
    """Convenience: the best snippet of *text* for a query string."""
    return Highlighter.for_query(parse_query(query)).snippet(text, max_chars)
