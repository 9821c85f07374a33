"""Did-you-mean: the query with its diacritics restored, read off the index."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any

from vnsearch import caps
from vnsearch.lang.analysis import query_syllables, tokenize
from vnsearch.lang.text import has_diacritics
from vnsearch.search.query import ParsedQuery, Phrase
from vnsearch.search.restore import (
    DEFAULT_PARAMS,
    Restoration,
    RestoreParams,
    context_evidence,
    index_standalone,
    join_restorations,
    onto_text,
    query_breaks,
    restore,
)
from vnsearch.search.view import SnapshotView

__all__ = ["suggest", "restoration", "restore_text", "respell"]


def suggest(view: SnapshotView, parsed: ParsedQuery, min_confidence: float = 0.6,
            documents: Sequence[Mapping[str, Any]] | None = None) -> str | None:
    """See :meth:`vnsearch.engine.SearchEngine.suggest`; *documents*: the hits' stored fields, if read."""
    if parsed.excluded or parsed.filters or parsed.has_date_filter or any(len(g) != 1 for g in parsed.groups):
        return None
    run = parsed.syllables()
    if not run or any(has_diacritics(s) for s in run):
        return None
    restored = restoration(view, run, documents)
    if restored.changed and restored.confidence >= min_confidence:
        return respell(parsed.text, restored.syllables)
    return None


def restoration(view: SnapshotView, syllables: Sequence[str], documents: Sequence[Mapping[str, Any]] | None = None,
                params: RestoreParams | None = None, breaks: Collection[int] = ()) -> Restoration:
    """Restore *syllables*; *documents* are the hits' stored fields (None: search for them).

    *breaks*: positions after a comma or full stop of the text (:func:`~vnsearch.search.restore.query_breaks`).
    """
    p = params or DEFAULT_PARAMS
    df, total = view.df()
    context = None
    if syllables and not all(has_diacritics(s) for s in syllables):
        if documents is None:
            documents = context_documents(view, syllables, p.context_hits)
        if documents:
            context = context_evidence(syllables, documents[: p.context_hits], p, breaks)
    return restore(syllables, df, total, p, context=context, standalone=index_standalone(view.snapshot),
                   breaks=breaks)


def restore_text(reading: Callable[[], AbstractContextManager[SnapshotView]], text: str, context: bool = True,
                 params: RestoreParams | None = None) -> Restoration:
    """See :meth:`vnsearch.engine.SearchEngine.restoration`; *reading* gives the snapshot to read.

    Each clause is restored on its own ("Thu tuong tham Ha Noi, Da Nang."):
    its own hits vote, and no word is read across a comma. All clauses read
    one snapshot.
    """
    if not isinstance(text, str):
        raise TypeError(f"the text to restore must be a str, not {type(text).__name__}")
    cut = max(0, len(text) - caps.QUERY_CHARS)
    text = text[: caps.QUERY_CHARS]  # the documented cap; got.cut says what was left
    syllables = query_syllables(text)
    cuts = [0, *sorted(query_breaks(text, len(syllables))), len(syllables)]
    with reading() as view:
        parts = [restoration(view, syllables[a:b], None if context else (), params)
                 for a, b in zip(cuts, cuts[1:])]
    got = parts[0] if len(parts) == 1 else join_restorations(parts)
    if got.syllables:
        got.text = onto_text(text, got.syllables)
    got.cut = cut
    return got


def context_documents(view: SnapshotView, syllables: Sequence[str], limit: int) -> list[dict[str, Any]]:
    """Stored fields of the top *limit* hits of *syllables* as plain words."""
    parsed = ParsedQuery(groups=[[Phrase([s])] for s in syllables], runs=[list(syllables)],
                         text=" ".join(syllables))
    ranking = view.ranker.rank(parsed, limit=limit)
    return [view.snapshot.stored(int(d)) for d in ranking.docs]


def respell(text: str, syllables: Sequence[str]) -> str:
    """*text* with its syllables replaced by *syllables*, quotes and punctuation kept.

    ``'xoa "doc tu than"'`` → ``'xóa "dốc tử thần"'``; if the text's words do
    not line up one for one with *syllables*, just the syllables.
    """
    words = [t for t in tokenize(text) if t.is_word]
    if len(words) != len(syllables) or not text:
        return " ".join(syllables)
    out, last = [], 0
    for token, spelt in zip(words, syllables):
        out.append(text[last:token.start])
        out.append(spelt)
        last = token.end
    out.append(text[last:])
    return " ".join("".join(out).split())
