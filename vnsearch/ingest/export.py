"""Getting the archive back out: stored articles as input records, in the input's own keys.

An export must load back into the same articles (``vnsearch export |
vnsearch index -``), so it writes what a source would: ``sapo`` for the lead,
the time when there is one (else the day) as ``date``, no title when the
index made it up (a re-import makes the same one), and ``credit`` only when
the body's last line would not give it back by itself.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from vnsearch.lang.text import fold_all

if TYPE_CHECKING:
    from vnsearch.ingest.articles import Article

# The article loader (dates, zones, the email package's date parser) is
# imported by the functions that read articles: `vnsearch search --json`
# writes its lines with json_line alone.

__all__ = ["ArticleFilter", "export_record", "export_records", "stored_article", "write_jsonl"]

_PUNCT = re.compile(r"[\W_]+")


def _key(value: str) -> str:
    return " ".join(_PUNCT.sub(" ", fold_all(value.lower())).split())


def _part_of(wanted: str, have: str) -> bool:
    return bool(wanted) and (f" {wanted} " in f" {have} " or wanted.replace(" ", "") in have.replace(" ", ""))


@dataclass
class ArticleFilter:
    """Which stored articles an export keeps: a day range (YYYYMMDD, inclusive) and names.

    A source or category matches when the wanted name is part of it, ignoring
    case, diacritics and punctuation, as the search filters do.
    """

    since: int | None = None
    until: int | None = None
    sources: Sequence[str] | None = None
    categories: Sequence[str] | None = None

    def __call__(self, stored: Mapping[str, Any]) -> bool:
        if self.since is not None or self.until is not None:
            day = str(stored.get("date") or "").replace("-", "")
            if not day.isdigit():
                return False
            if (self.since is not None and int(day) < self.since) or (self.until is not None and int(day) > self.until):
                return False
        for wanted, key in ((self.sources, "source"), (self.categories, "category")):
            if wanted:
                have = _key(str(stored.get(key) or ""))
                if not any(_part_of(_key(w), have) for w in wanted):
                    return False
        return True


def export_record(stored: Mapping[str, Any]) -> dict[str, str]:
    """One article's input record from its stored fields (the keys of ``news.jsonl``).

    Keys: ``id``, ``title`` (left out when derived), ``sapo``, ``body``,
    ``date``, ``source``, ``url``, ``category``, and ``credit`` when it does
    not come from the body.  Empty values are kept, so every record has the
    same keys.
    """
    from vnsearch.ingest.articles import derive_credit

    body = str(stored.get("body") or "")
    record: dict[str, str] = {"id": str(stored["id"])}
    if not stored.get("title_derived"):
        record["title"] = str(stored.get("title") or "")
    record["sapo"] = str(stored.get("lead") or stored.get("sapo") or "")
    record["body"] = body
    record["date"] = str(stored.get("time") or stored.get("date") or "")
    for key in ("source", "url", "category"):
        record[key] = str(stored.get(key) or "")
    credit = str(stored.get("credit") or "")
    if credit and credit != derive_credit(body):
        record["credit"] = credit
    return record


def stored_article(stored: Mapping[str, Any]) -> Article:
    """The article an index stored, checked as a loaded one, its time kept in its own zone.

    For rebuilding an index from itself: reading the record back with the
    default zone would move the days of an index built with another ``--tz``.
    """
    from vnsearch.ingest.articles import Article, LoadOptions
    from vnsearch.ingest.fields import FieldMap

    record = export_record(stored)
    options = LoadOptions(FieldMap(aliases=False))
    if stored.get("time"):
        with contextlib.suppress(ValueError):
            options.zone = datetime.datetime.fromisoformat(str(stored["time"])).tzinfo or options.zone
    return Article.from_dict(record, origin=str(stored.get("id", "")), options=options)


def export_records(stored: Iterable[Mapping[str, Any]]) -> Iterator[dict[str, str]]:
    """:func:`export_record` over stored articles, streamed."""
    for fields in stored:
        yield export_record(fields)


# What json.dumps(ensure_ascii=False) leaves raw that a line reader splits on
# (U+2028, U+2029) or a terminal acts on (C1 controls, bidirectional
# embeddings, overrides and isolates): written as \u escapes, the same data.
_JSON_RAW = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def json_line(record: Any) -> str:
    """One JSON object as one line: Vietnamese as it is, everything a terminal or line reader acts on escaped."""
    return _JSON_RAW.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(record, ensure_ascii=False))


def write_jsonl(records: Iterable[Mapping[str, Any]], out: IO[bytes]) -> int:
    """Write one JSON object per line (UTF-8, characters as they are); returns the count.

    ``ensure_ascii=False`` keeps Vietnamese readable; JSON escapes every
    control character, so a line break inside a text never splits a record,
    and :func:`json_line` the separators, C1 controls and bidirectional
    overrides too.
    """
    count = 0
    for record in records:
        out.write(json_line(record).encode("utf-8", "surrogatepass") + b"\n")
        count += 1
    return count
