"""Other sources' field names: aliases, user maps, and keys nobody asked for.

vnsearch's own records use ``id, title, sapo, body, date, source, url,
category``; crawlers and feed converters say ``published``, ``summary``,
``link`` or ``guid``.  Common names are recognised without being told; the
rest can be mapped (``--map published=date``), and a key that is neither is
reported once per file, because a silently dropped field is lost data the user
never learns about.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["FIELDS", "ALIASES", "FieldMap", "parse_map"]

# The fields an input record can fill, in the order records are written out.
# "credit" is who the article is credited to (an author, or "Theo Reuters").
FIELDS = ("id", "title", "sapo", "body", "date", "source", "url", "category", "credit")

# Names other sources use -> our field.  An alias never overrides the field's
# own name: {"sapo": "a", "summary": "b"} keeps "a".
ALIASES: dict[str, str] = {
    "lead": "sapo", "summary": "sapo", "description": "sapo", "abstract": "sapo", "excerpt": "sapo",
    "content": "body", "text": "body", "article": "body",
    "headline": "title",
    "published": "date", "pubdate": "date", "published_at": "date", "publish_date": "date",
    "datetime": "date", "time": "date", "created_at": "date", "updated": "date", "date_published": "date",
    "link": "url", "permalink": "url",
    "guid": "id", "_id": "id", "uuid": "id",
    "tags": "category", "tag": "category", "categories": "category", "section": "category",
    "author": "credit", "authors": "credit", "byline": "credit",
    "publisher": "source", "site": "source", "site_name": "source",
}
_IGNORE = ""  # a map target that drops the key on purpose: --map views=


@dataclass
class FieldMap:
    """How one source's keys become fields: the user's map first, then the aliases.

    ``mapping`` goes from the source's key to one of :data:`FIELDS` (``lead``
    is accepted for ``sapo``) or to ``""`` to ignore a key without a warning.
    """

    mapping: dict[str, str] = field(default_factory=dict)
    aliases: bool = True

    def resolve(self, record: Mapping[str, Any]) -> tuple[dict[str, Any], list[str], dict[str, str]]:
        """The record's values under our field names, the keys it did not know, and each value's key.

        A field's own name wins over a mapped key, which wins over an alias;
        among aliases the first in the record wins.  ``None`` counts as missing.
        """
        values: dict[str, Any] = {}
        keys: dict[str, str] = {}
        ranks: dict[str, int] = {}
        unknown: list[str] = []
        for key, value in record.items():
            target, rank = self._target(key)
            if target is None:
                unknown.append(key)
                continue
            if target == _IGNORE or value is None:
                continue
            if target not in ranks or rank < ranks[target]:
                values[target] = value
                keys[target] = key
                ranks[target] = rank
        return values, unknown, keys

    def _target(self, key: str) -> tuple[str | None, int]:
        if key in self.mapping:
            return self.mapping[key], 1
        if key in FIELDS:
            # A field mapped elsewhere by the user ("--map body=sapo") is not also itself.
            return key, 0
        if self.aliases:
            alias = ALIASES.get(key.lower()) or ALIASES.get(key.lower().replace("-", "_"))
            if alias is not None:
                return alias, 2
        return None, 0


def parse_map(pairs: Iterable[str]) -> dict[str, str]:
    """``["published=date", "summary=sapo", "views="]`` → a key map; ValueError on a bad pair.

    The target must be one of :data:`FIELDS` (or ``lead``, the same as
    ``sapo``); an empty target ignores the key.
    """
    mapping: dict[str, str] = {}
    for pair in pairs:
        key, sep, target = pair.partition("=")
        key, target = key.strip(), target.strip().lower()
        if not sep or not key:
            raise ValueError(f"bad map {pair!r}: expected KEY=FIELD, e.g. published=date")
        if target == "lead":
            target = "sapo"
        if target not in FIELDS and target != _IGNORE:
            raise ValueError(f"bad map {pair!r}: {target!r} is not a field (use one of {', '.join(FIELDS)}, "
                             f"or nothing after '=' to ignore the key)")
        mapping[key] = target
    return mapping
