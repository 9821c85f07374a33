"""The Whoosh schema: what an indexed article holds.

Each text zone (title, lead, body) is indexed twice, at the same positions:
``<zone>`` holds the exact canonical syllables and words and stores the
original text (for display and snippets); ``<zone>_f`` holds their
accent-folded forms, so ``ha noi`` finds ``Hà Nội`` with one posting list.
The zones are analysed once, outside Whoosh (see :mod:`vnsearch.indexing`),
and handed to the fields as ready-made term → positions maps, so the costly
word segmentation never runs twice for one article.
"""

from __future__ import annotations

from typing import Iterator, Mapping, Sequence

from whoosh import fields, formats
from whoosh.analysis import LowercaseFilter, RegexTokenizer

from .text import fold_all

__all__ = ["ZONES", "SCHEMA_VERSION", "PreAnalyzedText", "make_schema", "facet_value"]

ZONES = ("title", "lead", "body")
# Bumped whenever the analysis or the fields change: an index written by another
# version must be rebuilt, and we say so instead of returning wrong results.
SCHEMA_VERSION = 1


class PreAnalyzedText(fields.FieldType):
    """A positional text field whose value is a ``{term: [positions]}`` map.

    Whoosh normally runs the field's analyzer inside ``add_document``; our
    analysis (segmentation included) happens earlier, once per article, in
    worker processes, so the field only encodes what it is given.
    """

    def __init__(self, stored: bool = False) -> None:
        self.format = formats.Positions()
        self.vector = None
        self.scorable = True
        self.stored = stored
        self.unique = False
        self.analyzer = RegexTokenizer() | LowercaseFilter()  # for Whoosh tools only
        self.multitoken_query = "default"
        self.spelling = False
        self.sortable_typecode = None
        self.column_type = None

    def index(self, value: Mapping[str, Sequence[int]], **kwargs) -> Iterator[tuple[bytes, int, float, bytes]]:
        if isinstance(value, str):
            raise TypeError("PreAnalyzedText takes a term → positions map; analyse the text first")
        encode = self.format.encode
        for term, positions in value.items():
            yield term.encode("utf-8"), len(positions), float(len(positions)), encode(positions)


def facet_value(value: str) -> str:
    """How a source or category is matched: case- and accent-insensitive."""
    return " ".join(fold_all(value.lower()).split())


def make_schema() -> fields.Schema:
    zone_fields = {}
    for zone in ZONES:
        zone_fields[zone] = PreAnalyzedText(stored=True)
        zone_fields[zone + "_f"] = PreAnalyzedText(stored=False)
    return fields.Schema(
        id=fields.ID(stored=True, unique=True),
        date=fields.ID(stored=True, sortable=True),
        source=fields.STORED(),
        credit=fields.STORED(),
        category=fields.STORED(),
        url=fields.STORED(),
        title_derived=fields.STORED(),
        digest=fields.STORED(),
        # Folded copies for filtering (source:, category:), one term each.
        source_k=fields.ID(),
        category_k=fields.ID(),
        credit_k=fields.ID(),
        **zone_fields,
    )
