"""One search, from options checked to results with a lazy suggestion.

:meth:`vnsearch.engine.SearchEngine.search` documents the options; this is
what it runs, on one :class:`~vnsearch.search.view.SnapshotView` for the whole
search. The suggestion (``results.suggestion``) is worked out when first read,
on whatever snapshot is current then (*reading* gives one), from the hits'
text kept here, never from a snapshot that may have closed since.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

from vnsearch.search import suggest as suggesting
from vnsearch.search.collect import collect, own_hits_fit
from vnsearch.search.query import ParsedQuery
from vnsearch.search.restore import DEFAULT_PARAMS
from vnsearch.search.results import SearchResults
from vnsearch.search.view import SnapshotView

__all__ = ["run_search"]


def run_search(reading: Callable[[], AbstractContextManager[SnapshotView]], parsed: ParsedQuery,
               typed: ParsedQuery, limit: int, offset: int, snippet_chars: int, sort: str, facets: bool,
               filters: dict[str, list[str]], decay: float | None, collapse: bool,
               suggest: bool, telex: bool, typos: bool) -> SearchResults:
    """The results of an already checked search (see ``search_options``)."""
    with reading() as view:
        understood = view.understand(parsed, telex=telex, typos=typos)
        parsed = understood.query
        results, shown = collect(view, parsed, limit, offset, snippet_chars, sort, facets, filters,
                                 decay, collapse, understood.ranked_alternatives, understood.corrections)
    results.query_cut = typed.cut
    results.rewritten = understood.rewritten
    results.corrections = understood.corrections
    if sort != "relevance":  # the index sorts by day; the stored times order a page's hits within a day
        from vnsearch.ingest.dates import order_within_days  # (email.utils and more: not for every search)

        results[:] = order_within_days(list(results), sort == "newest", lambda h: h.date, lambda h: h.time)
        for i, hit in enumerate(results):
            hit.rank = offset + i + 1
    if suggest and not understood.telex:  # a converted query is accented already
        # The hits' text is read for the restoration when they are the top
        # relevance hits for the query alone; otherwise it searches again.
        own = own_hits_fit(sort, offset, decay, filters, parsed, len(shown), limit, DEFAULT_PARAMS.context_hits)
        documents = shown if own else None

        def compute() -> str | None:
            with reading() as view:
                return suggesting.suggest(view, typed, documents=documents)

        results._compute_suggestion = compute
    return results
