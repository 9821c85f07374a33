"""Did-you-mean: the query with its diacritics restored, read off the index."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from vnsearch.lang.analysis import tokenize
from vnsearch.lang.text import has_diacritics
from vnsearch.search.query import ParsedQuery, Phrase
from vnsearch.search.restore import (
    DEFAULT_PARAMS,
    Restoration,
    RestoreParams,
    context_evidence,
    index_standalone,
    restore,
)
from vnsearch.search.view import SnapshotView

__all__ = ["suggest", "restoration", "respell"]


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
