"""The query language: words, "quoted phrases", -exclusions, =exact words, OR, field filters.

Quotes ask for the words together and in order, whatever their diacritics
(``"ha noi"`` finds "Hà Nội"); ``=`` asks for the spelling exactly as typed
(``=bão`` does not match "bao" or "báo"; ``="đà nẵng"`` both).

Parsing is deliberately forgiving: an unbalanced quote closes at the end of the
query, an unknown ``field:`` is searched as text, stray operators are ignored.
Only a query with nothing to search for is an error, and its message says so
in one line.
"""

from __future__ import annotations

import calendar
import datetime
import re
from dataclasses import dataclass, field
from typing import Literal

from vnsearch import caps
from vnsearch.errors import QueryError
from vnsearch.lang.analysis import query_syllables

__all__ = ["QueryError", "Phrase", "ParsedQuery", "parse_query", "FILTER_FIELDS", "DATE_FIELDS", "date_range",
           "SORTS"]

# Filters a user can write in a query, and the keyword each one matches.
FILTER_FIELDS = {"source": "source", "category": "category", "credit": "credit"}
# Date filters: date:P is the whole period P, since:P from its start, until:P to its end.
DATE_FIELDS = ("date", "since", "until")
# Result orders: by score, or by date (undated last, ties by score).
SORTS = ("relevance", "newest", "oldest")

_DATE = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")

_LEXER = re.compile(
    r"""(?P<neg>-)?(?P<eq>=)?(?:(?P<field>[^\W\d_]+):)?(?:"(?P<phrase>[^"]*)(?:"|$)|(?P<word>[^\s"]+))|(?P<quote>")""",
    re.UNICODE,
)


def date_range(value: str | datetime.date, what: str = "date") -> tuple[int, int]:
    """The first and last day of a period as YYYYMMDD integers.

    *value* is ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` (or a ``datetime.date``):
    ``"2020-10"`` is ``(20201001, 20201031)``. Anything else raises
    :class:`QueryError` naming *what* it was given for.
    """
    if isinstance(value, (datetime.date, datetime.datetime)):
        value = value.strftime("%Y-%m-%d")
    text = str(value).strip()
    m = _DATE.fullmatch(text)
    if not m:
        # A time ("2021-04-26T08:33", "26/04/2021 08:33", RFC 2822) names its day: filters are by day.
        from vnsearch.ingest.dates import DateError, parse_when

        try:
            text = parse_when(text).day
        except DateError:
            pass
        m = _DATE.fullmatch(text)
    problem = f"invalid {what} {text!r}: expected a real date as YYYY, YYYY-MM or YYYY-MM-DD (a time may follow)"
    if not m:
        raise QueryError(problem)
    year = int(m.group(1))
    try:
        if m.group(3):
            day = datetime.date(year, int(m.group(2)), int(m.group(3)))
            first = last = day
        elif m.group(2):
            month = int(m.group(2))
            first = datetime.date(year, month, 1)
            last = datetime.date(year, month, calendar.monthrange(year, month)[1])
        else:
            first, last = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    except ValueError:
        raise QueryError(problem) from None
    return _yyyymmdd(first), _yyyymmdd(last)


def _yyyymmdd(day: datetime.date) -> int:
    return day.year * 10000 + day.month * 100 + day.day


@dataclass
class Phrase:
    """A run of syllables. ``quoted`` ones must match as a phrase."""

    syllables: list[str]
    quoted: bool = False
    exact: bool = False  # match these exact spellings only (``=bão``, or parse_query(exact=True))

    def text(self) -> str:
        return " ".join(self.syllables)


@dataclass
class ParsedQuery:
    """A query as groups of alternatives.

    Each entry of ``groups`` is one requirement: a list of alternatives (more
    than one when the user wrote ``OR``). Plain words are single-syllable
    phrases, so a query needs no segmentation; ``runs`` keeps the user's
    consecutive plain words together for the proximity bonus.
    """

    groups: list[list[Phrase]] = field(default_factory=list)
    excluded: list[Phrase] = field(default_factory=list)
    filters: dict[str, list[str]] = field(default_factory=dict)
    runs: list[list[str]] = field(default_factory=list)
    text: str = ""
    since: int | None = None  # first day allowed, YYYYMMDD (date:, since:)
    until: int | None = None  # last day allowed, YYYYMMDD (date:, until:)
    exact_all: bool = False  # parsed with exact=True: every word exactly as typed
    # Characters of the query as typed left unread: it was longer than the
    # cap (vnsearch.caps.QUERY_CHARS); 0 when all of it was read.
    cut: int = 0

    @property
    def has_exact(self) -> bool:
        """Whether some part must match its exact spelling (see vnsearch.search.understand.exact_mask)."""
        return any(p.exact for group in self.groups for p in group)

    def restrict_dates(self, since: int | None = None, until: int | None = None) -> None:
        """Narrow the allowed dates to [since, until] as well (both YYYYMMDD, inclusive)."""
        if since is not None:
            self.since = since if self.since is None else max(self.since, since)
        if until is not None:
            self.until = until if self.until is None else min(self.until, until)

    @property
    def has_date_filter(self) -> bool:
        return self.since is not None or self.until is not None

    @property
    def is_empty(self) -> bool:
        return not self.groups

    def syllables(self) -> list[str]:
        """Every positive syllable, for highlighting."""
        return [s for group in self.groups for p in group for s in p.syllables]


# What the lexer finds, as (kind, value).
_Item = (
    tuple[Literal["run"], list[str]]  # consecutive plain words' syllables
    | tuple[Literal["phrase", "exclude", "exact"], Phrase]  # a quoted phrase; an -excluded one; an =exact word
    | tuple[Literal["filter"], tuple[str, str]]  # (field, or -field when negated; value)
    | tuple[Literal["date"], tuple[bool, str, str]]  # (negated, date field, value)
    | tuple[Literal["or"], None]
)


def _lex(text: str) -> list[_Item]:
    """The query as a list of (kind, value): run, phrase, exclude, filter, date, or."""
    items: list[_Item] = []
    for m in _LEXER.finditer(text):
        if m.group("quote"):
            continue
        neg = bool(m.group("neg"))
        eq = bool(m.group("eq"))
        fname = (m.group("field") or "").lower()
        phrase_text = m.group("phrase")
        word = m.group("word")
        if fname in DATE_FIELDS:
            value = (phrase_text if phrase_text is not None else word or "").strip()
            items.append(("date", (neg, fname, value)))
            continue
        if fname in FILTER_FIELDS:
            value = (phrase_text if phrase_text is not None else word or "").strip()
            if value:
                items.append(("filter", (("-" if neg else "") + FILTER_FIELDS[fname], value)))
            continue
        if fname:  # unknown field: search its text like any other words
            word = f"{fname} {word}" if word else fname
        if phrase_text is None and word == "OR" and not neg:
            items.append(("or", None))
            continue
        sylls = query_syllables(phrase_text if phrase_text is not None else word or "")
        if not sylls:
            continue
        last = items[-1] if items else None
        if neg:
            items.append(("exclude", Phrase(sylls, quoted=True)))
        elif phrase_text is not None and len(sylls) > 1:
            items.append(("phrase", Phrase(sylls, quoted=True, exact=eq)))
        elif eq:
            items.extend(("exact", Phrase([s], exact=True)) for s in sylls)
        elif last is not None and last[0] == "run":
            last[1].extend(sylls)
        else:
            items.append(("run", list(sylls)))
    return items


def parse_query(text: str, max_length: int = caps.QUERY_CHARS, exact: bool = False) -> ParsedQuery:
    """Parse *text*; raises :class:`QueryError` when nothing is left to search.

    Only the first *max_length* characters are read (the documented cap,
    :data:`vnsearch.caps.QUERY_CHARS`); ``cut`` of the result says how many
    were not.

    *exact* marks every word and phrase as ``=word`` does (``--exact``).

    ``OR`` joins the units on either side of it: a quoted phrase, or the whole
    run of unquoted words, since Vietnamese words span syllables and users do
    not quote them (``hà nội OR đà nẵng``).
    """
    if not isinstance(text, str):
        raise QueryError("the query must be text")
    cut = max(0, len(text) - max_length)
    text = text[:max_length]
    parsed = ParsedQuery(text=text, exact_all=exact, cut=cut)
    # Units: each a list of alternative phrases; runs stay whole until we know
    # whether an OR touches them.
    units: list[list[Phrase]] = []
    pending_or = False
    for item in _lex(text):
        if item[0] == "filter":
            key, val = item[1]
            parsed.filters.setdefault(key, []).append(val)
        elif item[0] == "date":
            neg, fname, val = item[1]
            if neg:
                raise QueryError(f"-{fname}: cannot be negated; use since: and until: for a date range")
            first, last = date_range(val, f"{fname}:")
            parsed.restrict_dates(first if fname in ("date", "since") else None,
                                  last if fname in ("date", "until") else None)
        elif item[0] == "exclude":
            parsed.excluded.append(item[1])
        elif item[0] == "or":
            pending_or = bool(units)
        else:
            phrase = Phrase(item[1], quoted=False) if item[0] == "run" else item[1]
            if pending_or:
                units[-1].append(phrase)
            else:
                units.append([phrase])
            pending_or = False
    for alternatives in units:
        if len(alternatives) > 1:
            parsed.groups.append([Phrase(p.syllables, quoted=len(p.syllables) > 1, exact=p.exact)
                                  for p in alternatives])
            continue
        phrase = alternatives[0]
        if phrase.quoted:
            parsed.groups.append([phrase])
        else:
            parsed.groups.extend([Phrase([s], exact=phrase.exact)] for s in phrase.syllables)
            parsed.runs.append(list(phrase.syllables))
    if exact:
        for group in parsed.groups:
            for p in group:
                p.exact = True
    if parsed.is_empty:
        if parsed.excluded or parsed.filters or parsed.has_date_filter:
            raise QueryError("the query only excludes or filters; add a word to search for")
        raise QueryError("the query is empty; type some words to search for")
    return parsed
