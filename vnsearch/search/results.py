"""What a search returns: :class:`Hit` and :class:`SearchResults`.

Plain data, no index behind them: a :class:`SearchResults` stays usable after
the engine has moved on to a newer commit (its lazy ``suggestion`` keeps the
snapshot it came from until it is worked out).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from vnsearch.search.highlight import Snippet
from vnsearch.search.query import ParsedQuery

if TYPE_CHECKING:
    from vnsearch.store.indexing import IndexSummary

__all__ = ["Hit", "SearchResults", "IndexSummary"]


def __getattr__(name: str) -> Any:
    """``IndexSummary``, still importable from here, without loading the indexing code with every search."""
    if name == "IndexSummary":
        from vnsearch.store.indexing import IndexSummary

        return IndexSummary
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass
class Hit:
    """One search result. ``snippet`` is plain text; ``snippet_obj`` has the offsets."""

    id: str
    score: float
    rank: int
    title: str
    date: str
    source: str
    credit: str
    url: str
    category: str
    snippet: str
    highlights: list[tuple[int, int]]
    title_highlights: list[tuple[int, int]]
    title_derived: bool = False
    similar_ids: list[str] = field(default_factory=list)  # near-copies collapsed into this hit
    time: str = ""  # "2021-04-26T08:33:41+07:00" when the source gave a time

    @property
    def snippet_obj(self) -> Snippet:
        return Snippet(self.snippet, self.highlights)

    @property
    def title_snippet(self) -> Snippet:
        return Snippet(self.title, self.title_highlights)

    def snippet_html(self) -> str:
        return self.snippet_obj.html()

    @property
    def display_source(self) -> str:
        """Who published it: the source, else the credited original."""
        return self.source or self.credit

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "score": round(self.score, 4),
            "title": self.title,
            "date": self.date,
            **({"time": self.time} if self.time else {}),
            "source": self.display_source,
            "url": self.url,
            "snippet": self.snippet,
            "highlights": [list(h) for h in self.highlights],
            **({"similar_ids": list(self.similar_ids)} if self.similar_ids else {}),
        }


class SearchResults(list[Hit]):
    """A list of :class:`Hit`, best first, with the query's totals."""

    def __init__(self, hits: Iterable[Hit] = (), total: int = 0, matched: int = 0,
                 query: ParsedQuery | None = None, offset: int = 0, sort: str = "relevance",
                 facets: dict[str, dict[str, int]] | None = None) -> None:
        super().__init__(hits)
        self.total = total  # documents matching every word of the query (after filters)
        self.matched = matched  # documents matching at least one word
        self.query = query
        self.offset = offset
        self.sort = sort  # type: ignore[method-assign,assignment]  # the order's name (shadows list.sort)
        # With facets=True: {"source"|"category"|"credit"|"month": {name: count}}
        # over the `total` documents; "" counts those without a value.
        self.facets = facets
        self._suggestion: str | None = None
        self._compute_suggestion: Callable[[], str | None] | None = None
        self.near_duplicates = 0  # similar(): near-copies of the article left out
        # The query as searched when it was typed in Telex/VNI with the input method off ("khởi nghiệp").
        self.rewritten: str | None = None
        # Typed syllable -> the corrections also searched for, ranked below it ({"tiấu": ["giấu"]}).
        self.corrections: dict[str, list[str]] = {}
        # Characters of the query left unread, past vnsearch.caps.QUERY_CHARS (0: all read).
        self.query_cut = query.cut if query is not None else 0

    @property
    def suggestion(self) -> str | None:
        """The query with its diacritics restored, if likely (see :meth:`SearchEngine.suggest`).

        Worked out when first read, from the hits' own text: restoring costs
        about as much again as the search, and most callers never ask.
        """
        compute = self._compute_suggestion
        if compute is not None:
            self._compute_suggestion = None
            self._suggestion = compute()
        return self._suggestion

    @suggestion.setter
    def suggestion(self, value: str | None) -> None:
        self._compute_suggestion = None
        self._suggestion = value
