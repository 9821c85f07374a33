"""Loading news articles from plain-text files and JSON Lines.

Corpora arrive hand-made, scraped or half-downloaded, so a bad record must never
stop a load: every problem becomes a :class:`LoadWarning` (path, line, message)
and the loader moves on to the next record.  Text is kept as the source wrote it
(no Unicode normalisation) because highlighting needs the original characters;
the analyzer normalises its own copy.

Supported inputs: ``.txt`` (one article per file), ``.jsonl``/``.ndjson``
(``.gz`` too; one JSON object per line), ``.json`` (an array of articles or
one article), RSS and Atom feeds (``.xml``, ``.rss``, ``.atom``), standard
input (``-``: JSON Lines), and directories holding them (see
:mod:`vnsearch.ingest.walking` for what a walk skips).  Field names of other
sources are read through :mod:`vnsearch.ingest.fields`, dates through
:mod:`vnsearch.ingest.dates`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import gzip
import json
import os
import re
import sys
import zlib
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from vnsearch import caps
from vnsearch.errors import ArticleError
from vnsearch.ingest.dates import DateError, parse_when, zone
from vnsearch.ingest.fields import FIELDS, FieldMap
from vnsearch.ingest.reading import (
    gzip_problem,
    iter_lines,
    open_regular,
    read_capped,
    size_text,
    special_kind,
)

__all__ = [
    "Article",
    "ArticleError",
    "LoadOptions",
    "LoadWarning",
    "derive_title",
    "parse_text_article",
    "load_path",
    "load_paths",
    "iter_files",
]

_BOM = "\ufeff"
# Control characters (C0, DEL, C1) except \t and \n, plus lone surrogates that
# a JSON "\ud800" escape can produce and that no encoder can write back out.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_TEXT_FIELDS = FIELDS
# " date 2026-03-07 First paragraph..." at the top of a .txt article.
_DATE_LINE = re.compile(r"date\s+(\d{4}-\d{2}-\d{2})(?:\s+(.*))?", re.IGNORECASE | re.DOTALL)
# "Theo Reuters" / "(Theo VnExpress)": a short credit line, not a sentence
# that happens to start with "Theo" ("Theo đó, ...").
_CREDIT = re.compile(r"(\()?Theo\s+([^,;:!?()\n]{1,80}?)\.?(?(1)\))\.?")
# Sentence ends for titles: ". ", "? ", "! " or an ellipsis anywhere.
_SENTENCE_END = re.compile(r"[.?!](?=\s)|…")
# Words before a "." that do not end a sentence ("TP. HCM", "PGS. TS. ...").
_ABBREVIATIONS = {"TP", "Tp", "PGS", "GS", "TS", "ThS", "BS", "NXB", "TT", "Mr", "Mrs", "Ms", "Dr", "St", "Jr"}
_JSON_TYPES = {dict: "object", list: "array", str: "string", bool: "boolean", int: "number", float: "number"}
_JSONL_SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz")
_FEED_SUFFIXES = (".xml", ".rss", ".atom")
_SUFFIXES = (".txt", ".json", *_JSONL_SUFFIXES, *_FEED_SUFFIXES)
STDIN = "-"


@dataclass
class LoadWarning:
    """One problem found while loading, precise enough for the user to fix it."""

    path: str
    line: int | None
    message: str
    fatal: bool = field(default=True, compare=False)  # False: the record was kept (a numeric id, a dropped date)
    item: int | None = field(default=None, compare=False)  # a feed's item number (from 1), feeds having no lines

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        if self.item is not None:
            where += f": item {self.item}"
        return f"{where}: {self.message}"


WarningHandler = Callable[[LoadWarning], None]


@dataclass
class LoadOptions:
    """How to read other sources: their field names and the zone of their times.

    ``fields`` maps a source's keys to ours (``FieldMap({"published": "date"})``);
    ``tz`` is the IANA zone naive times are read in and every time is
    converted to (Asia/Ho_Chi_Minh by default).
    """

    fields: FieldMap = field(default_factory=FieldMap)
    tz: str | None = None
    # Ids of feed items read so far in one load: the same item in two feeds is read once.
    seen_ids: set[str] = field(default_factory=set, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.zone = zone(self.tz)  # raises DateError for an unknown zone, before any file is read


_DEFAULT_OPTIONS = LoadOptions()


@dataclass
class Article:
    """One news article, as the indexer and the result display need it."""

    id: str
    title: str = ""
    lead: str = ""
    body: str = ""
    date: str = ""  # "YYYY-MM-DD" or "" (the day in the index's zone)
    source: str = ""
    url: str = ""
    category: str = ""
    credit: str = ""
    title_derived: bool = False
    headings: list[str] = field(default_factory=list)
    origin: str = ""  # "path:line" where it came from, for messages
    time: str = ""  # "YYYY-MM-DDTHH:MM:SS+07:00" when the source gave a time, else ""

    @classmethod
    def from_dict(
        cls,
        d: Mapping[str, Any],
        origin: str = "",
        warn: Callable[[str], None] | None = None,
        options: LoadOptions | None = None,
        unknown: Callable[[list[str]], None] | None = None,
    ) -> Article:
        """Build an article from a JSON-style record (``sapo`` is the lead).

        One validation path for every source, so a .txt article, a JSONL
        record and a feed item obey the same rules.  Keys are read through
        ``options.fields`` (the user's map, then common aliases such as
        ``published`` or ``summary``); the keys neither knows go to
        ``unknown``.  Fatal problems raise :class:`ArticleError`; problems the
        record survives (a numeric id, a bad date) go to ``warn``, and only
        once the record is known to be accepted.  ``null`` counts as a missing key.
        """
        if not isinstance(d, Mapping):
            raise ArticleError(f"expected a JSON object, got {_json_type(d)}")
        options = options or _DEFAULT_OPTIONS
        raw, unknown_keys, keys = options.fields.resolve(d)
        notes: list[str] = []
        values: dict[str, str] = {}
        for key in _TEXT_FIELDS:
            value = raw.get(key)
            if value is None:
                value = ""
            elif key == "id" and type(value) is int:
                notes.append(f"id is a number ({value}); converted to the string {str(value)!r}")
                value = str(value)
            elif key == "date" and isinstance(value, (int, float)) and not isinstance(value, bool):
                value = repr(value)  # epoch seconds; read below
            elif key in ("category", "credit") and isinstance(value, list) and all(isinstance(v, str) for v in value):
                value = ", ".join(v.strip() for v in value if v.strip())  # tags, authors
            elif not isinstance(value, str):
                if keys[key] == key:
                    raise ArticleError(f"field {key!r} must be a string, got {_json_type(value)}")
                # Another source's key read as ours ("tags" as category): its shape is theirs to choose.
                notes.append(f"key {keys[key]!r} (read as {key}) is {_json_type(value)}, not a string; ignored")
                value = ""
            if key == "id":
                value = _checked_id(value)
            values[key] = _clean(value)
        if not values["id"]:
            raise ArticleError("record has no id")
        length = sum(len(v) for v in values.values())
        if length > caps.ARTICLE_CHARS:  # see vnsearch.caps
            raise ArticleError(f"article is {length:,} characters long, more than the {caps.ARTICLE_CHARS:,} "
                               f"an article may have")
        if not (values["title"] or values["sapo"] or values["body"]):
            raise ArticleError("record has no text (title, sapo and body are all empty)")
        date = time = ""
        if values["date"]:
            try:
                when = parse_when(values["date"], options.zone)
                date, time = when.day, when.time
            except DateError as e:
                notes.append(f"{e}; date dropped")
        if warn is not None:
            for note in notes:
                warn(note)
        if unknown is not None and unknown_keys:
            unknown(unknown_keys)

        title, lead, body = values["title"], values["sapo"], values["body"]
        credit = values["credit"] or derive_credit(body)
        return cls(
            id=values["id"],
            title=title or derive_title(lead or body),
            lead=lead,
            body=body,
            date=date,
            time=time,
            source=values["source"],
            url=values["url"],
            category=values["category"],
            credit=credit,
            title_derived=not title,
            origin=origin,
        )

    def revalidated(self) -> Article:
        """This article passed through :meth:`from_dict` again: checked and cleaned as a loaded one.

        For articles built in code.  Its time (if any) is read in its own
        offset, so an article loaded with another ``--tz`` keeps its day.
        """
        data = self.to_dict()
        data["sapo"] = data.pop("lead", "")
        data["date"] = self.time or self.date
        options = LoadOptions(FieldMap(aliases=False))
        if self.time:
            with contextlib.suppress(ValueError):
                options.zone = datetime.datetime.fromisoformat(self.time).tzinfo or options.zone
        return Article.from_dict(data, origin=self.origin, warn=lambda message: None, options=options)

    def to_dict(self) -> dict[str, Any]:
        """All fields as a plain JSON-serialisable dict (for storage and debugging).

        ``dataclasses.asdict``'s result, built directly: asdict copies every
        value through a recursive deep copy, a tenth of the parent's work per
        article when an indexing run revalidates what it is given.
        """
        return {f.name: list(value) if isinstance(value := getattr(self, f.name), list) else value
                for f in _ARTICLE_FIELDS}


_ARTICLE_FIELDS = dataclasses.fields(Article)


def derive_credit(body: str) -> str:
    """Who the body credits in its last line ("Theo Reuters" → "Reuters"), or ""."""
    body_lines = [line.strip() for line in body.split("\n") if line.strip()]
    credit = _CREDIT.fullmatch(body_lines[-1]) if body_lines else None
    return credit.group(2).strip() if credit else ""


def derive_title(text: str, limit: int = 120) -> str:
    """A display title for an article that has none: its first sentence, kept short.

    Result lists need one line per hit; the lead's first sentence is the
    closest thing to a headline.  The title (minus a trailing "…" added here)
    is always a prefix of ``text``'s first line, so it reads as quoted text.
    """
    if limit < 2:
        raise ValueError("limit must be at least 2")
    first_line = next((line.strip() for line in text.split("\n") if line.strip()), "")
    sentence = first_line
    for m in _SENTENCE_END.finditer(first_line):
        if m.group() == "." and _is_abbreviation(first_line[: m.start()]):
            continue
        sentence = first_line[: m.end()]
        break
    if sentence.endswith(".") and not sentence.endswith(".."):
        sentence = sentence[:-1]
    if len(sentence) <= limit:
        return sentence
    cut = sentence[: limit - 1]
    if not sentence[limit - 1].isspace():
        boundary = re.search(r"\s\S*$", cut)
        if boundary and boundary.start() > 0:
            cut = cut[: boundary.start()]
    return cut.rstrip().rstrip(",;:-–—").rstrip() + "…"


def parse_text_article(
    text: str,
    article_id: str,
    origin: str = "",
    warn: Callable[[str], None] | None = None,
    options: LoadOptions | None = None,
) -> Article:
    """Parse one .txt article (the format of ``seeds/*.txt``).

    Every non-empty line is a paragraph because writers separate paragraphs
    with blank lines or not at all.  An optional leading ``date YYYY-MM-DD`` is
    metadata, not prose, so it leaves the text.  The first paragraph is the
    lead; the rest is the body.  All-caps body lines are section headings and
    are also listed in ``headings``.  Raises :class:`ArticleError` if no text is left.
    """
    text = _clean(text.removeprefix(_BOM))
    paragraphs = [line.strip() for line in text.split("\n") if line.strip()]
    date = ""
    if paragraphs and (m := _DATE_LINE.fullmatch(paragraphs[0])):
        date = m.group(1)
        paragraphs[0:1] = [m.group(2)] if m.group(2) else []
    if not paragraphs:
        raise ArticleError("no text")
    record = {"id": article_id, "sapo": paragraphs[0], "body": "\n".join(paragraphs[1:]), "date": date}
    article = Article.from_dict(record, origin=origin, warn=warn, options=options)
    # Only here: in scraped JSONL bodies all-caps lines are mostly bylines ("VOV", "M.P").
    article.headings = [line for line in paragraphs[1:] if _is_heading(line)]
    return article


def iter_files(path: str | os.PathLike[str], on_warning: WarningHandler | None = None) -> Iterator[Path]:
    """The files :func:`load_path` would read, so callers can count or list them first.

    A directory is walked recursively in sorted order (stable ids and test
    output), leaving out hidden, build and tool folders and files of other
    types (:func:`vnsearch.ingest.walking.walk` also says how many of which).
    A file given directly is yielded only if its type is supported.
    """
    from vnsearch.ingest.walking import walk

    root = Path(path)
    if root.is_dir():
        yield from walk(root, on_warning or _print_warning).files
    elif _is_supported(root.name) and _regular(root, on_warning or _print_warning):
        yield root


def _regular(path: Path, report: WarningHandler) -> bool:
    """Whether *path* is a regular file (symlinks followed); a FIFO, a device or a socket is reported."""
    try:
        kind = special_kind(path.stat().st_mode)
    except OSError:
        return False  # gone, or a broken symlink: the reader says so
    if kind is not None:
        report(LoadWarning(str(path), None, f"{kind}, not a regular file; skipped"))
        return False
    return True


def load_path(path: str | os.PathLike[str], on_warning: WarningHandler | None = None,
              options: LoadOptions | None = None) -> Iterator[Article]:
    """Yield every good article in a file or directory (``"-"``: standard input); report the bad ones.

    Without ``on_warning`` each warning is printed to stderr as
    ``warning: path:line: message`` so problems are never silently lost.
    ``options`` carries a field map and a time zone (see :class:`LoadOptions`).
    """
    report = on_warning or _print_warning
    options = options or _DEFAULT_OPTIONS
    if options is _DEFAULT_OPTIONS:
        options = LoadOptions()  # a load's own set of feed ids seen
    if str(path) == STDIN:
        yield from _load_stream(sys.stdin.buffer, "<stdin>", report, options)
        return
    p = Path(path)
    if not p.exists():
        report(LoadWarning(str(path), None, "no such file or directory"))
        return
    if not p.is_dir() and not _regular(p, report):
        return
    if not p.is_dir() and not _is_supported(p.name):
        report(LoadWarning(str(path), None, f"not a {_kinds()} file; skipped"))
        return
    for file in iter_files(p, report):
        yield from _load_file(file, report, options)


def load_paths(paths: Iterable[str | os.PathLike[str]], on_warning: WarningHandler | None = None,
               options: LoadOptions | None = None) -> Iterator[Article]:
    """:func:`load_path` over several inputs, in the order given (a feed item in two of them read once)."""
    options = dataclasses.replace(options or _DEFAULT_OPTIONS, seen_ids=set())
    for path in paths:
        yield from load_path(path, on_warning, options)


# --- readers ---------------------------------------------------------------


def _load_file(file: Path, report: WarningHandler, options: LoadOptions) -> Iterator[Article]:
    lower = file.name.lower()
    if lower.endswith(".txt"):
        article = _load_text_file(file, report, options)
        if article is not None:
            yield article
    elif lower.endswith(_FEED_SUFFIXES):
        from vnsearch.ingest.feeds import load_feed

        yield from load_feed(file, report, options)
    elif lower.endswith(".json"):
        from vnsearch.ingest.jsonfile import load_json

        yield from load_json(file, report, options)
    else:
        yield from _load_jsonl(file, report, options)


class UnknownKeys:
    """Reports each key a file's records use that is neither a field, an alias nor mapped: once per file."""

    def __init__(self, name: str, report: WarningHandler) -> None:
        self.name = name
        self.report = report
        self.seen: set[str] = set()

    def at(self, line: int | None, item: int | None = None) -> Callable[[list[str]], None]:
        def note(keys: list[str]) -> None:
            new = [k for k in keys if k not in self.seen]
            if new:
                self.seen.update(new)
                listed = ", ".join(repr(k) for k in new)
                self.report(LoadWarning(self.name, line, f"unknown key(s) {listed} ignored in this file; "
                                                         f"map with --map KEY=FIELD (or KEY= to ignore)",
                                        fatal=False, item=item))
        return note


def record_to_article(record: Any, name: str, line: int | None, report: WarningHandler, options: LoadOptions,
                      unknown: UnknownKeys, item: int | None = None) -> Article | None:
    """One decoded record as an article, or None after a warning naming file and line (or item)."""
    origin = f"{name}:{line}" if line is not None else (f"{name}#{item}" if item is not None else name)
    try:
        return Article.from_dict(
            record, origin=origin, options=options, unknown=unknown.at(line, item),
            warn=lambda m: report(LoadWarning(name, line, m, fatal=False, item=item)),
        )
    except ArticleError as e:
        report(LoadWarning(name, line, f"{e}; record skipped", item=item))
        return None


def _load_text_file(path: Path, report: WarningHandler, options: LoadOptions) -> Article | None:
    name = str(path)
    try:
        with open_regular(path) as fh:
            capped = read_capped(fh, caps.RECORD_BYTES)
    except OSError as e:
        report(LoadWarning(name, None, f"cannot read file: {_reason(e)}"))
        return None
    if capped is None:
        report(LoadWarning(name, None, f"file larger than {size_text(caps.RECORD_BYTES)}, the most one article "
                                       f"may take; skipped"))
        return None
    data = capped.removeprefix(_BOM.encode())
    if not data.strip():
        report(LoadWarning(name, None, "empty file"))
        return None
    if b"\x00" in data:
        report(LoadWarning(name, None, "binary file (contains NUL bytes); skipped"))
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        report(LoadWarning(name, line, f"not valid UTF-8 (byte 0x{data[e.start]:02x}); file skipped"))
        return None
    stem = path.name[: -len(".txt")]
    try:
        return parse_text_article(text, stem, origin=name,
                                  warn=lambda m: report(LoadWarning(name, None, m, fatal=False)), options=options)
    except ArticleError as e:
        report(LoadWarning(name, None, f"{e}; file skipped"))
        return None


def _load_jsonl(path: Path, report: WarningHandler, options: LoadOptions) -> Iterator[Article]:
    name = str(path)
    gz = path.name.lower().endswith(".gz")
    if gz:
        # Checked to its end first: damage in the middle of a member shows only in
        # its CRC at the end, after the garbled records it decoded to.
        problem = gzip_problem(path)
        if problem:
            report(LoadWarning(name, None, f"{problem}; file skipped, none of its records indexed"))
            return
    with contextlib.closing(_read_lines(path, gz)) as lines:
        yield from _parse_lines(lines, name, report, options)


def _load_stream(stream: BinaryIO, name: str, report: WarningHandler, options: LoadOptions) -> Iterator[Article]:
    """JSON Lines from a pipe; a stream whose first character is ``[`` is one JSON array."""
    first = stream.peek(64)[:64] if hasattr(stream, "peek") else b""
    if first.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"["):
        from vnsearch.ingest.jsonfile import parse_json_text

        data = read_capped(stream, caps.DOCUMENT_BYTES)
        if data is None:
            report(LoadWarning(name, None, f"a JSON array larger than {size_text(caps.DOCUMENT_BYTES)}; skipped "
                                           f"(send JSON Lines instead: one article per line)"))
            return
        yield from parse_json_text(data, name, report, options)
        return
    yield from _parse_lines(iter_lines(stream), name, report, options)


def _parse_lines(lines: Iterator[tuple[int, bytes | None]], name: str, report: WarningHandler,
                 options: LoadOptions) -> Iterator[Article]:
    lineno = 0
    unknown = UnknownKeys(name, report)
    while True:
        # Only reading is guarded: a damaged file ends the loop, keeping what came before.
        try:
            lineno, raw = next(lines)
        except StopIteration:
            return
        except (gzip.BadGzipFile, EOFError, zlib.error) as e:
            report(LoadWarning(name, lineno + 1, f"corrupt or truncated gzip data ({e}); rest of file skipped"))
            return
        except OSError as e:
            report(LoadWarning(name, lineno + 1 if lineno else None, f"cannot read file: {_reason(e)}"))
            return
        if raw is None:
            report(LoadWarning(name, lineno, f"line longer than {size_text(caps.RECORD_BYTES)}, the most one record "
                                             f"may take; skipped"))
            continue
        article = _parse_json_line(raw, name, lineno, report, options, unknown)
        if article is not None:
            yield article


def _read_lines(path: Path, gz: bool) -> Generator[tuple[int, bytes | None], None, None]:
    with open_regular(path) as raw:
        if gz:
            with gzip.GzipFile(fileobj=raw, mode="rb") as fh:
                yield from iter_lines(fh)
        else:
            yield from iter_lines(raw)


def _parse_json_line(raw: bytes, name: str, lineno: int, report: WarningHandler, options: LoadOptions,
                     unknown: UnknownKeys) -> Article | None:
    raw = raw.rstrip(b"\r\n")
    if lineno == 1:
        raw = raw.removeprefix(_BOM.encode())
    if not raw.strip():
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        report(LoadWarning(name, lineno, f"not valid UTF-8 (byte 0x{raw[e.start]:02x}); line skipped"))
        return None
    try:
        # strict=False: a raw tab inside a string is a common producer slip, not worth a lost record.
        record = json.loads(text, strict=False)
    except json.JSONDecodeError as e:
        report(LoadWarning(name, lineno, f"invalid JSON: {e.msg} (column {e.colno})"))
        return None
    except (ValueError, RecursionError) as e:  # e.g. an integer too long, nesting too deep
        report(LoadWarning(name, lineno, f"invalid JSON: {e}"))
        return None
    return record_to_article(record, name, lineno, report, options, unknown)


# --- helpers ---------------------------------------------------------------


def _checked_id(value: str) -> str:
    """An id as given, or :class:`ArticleError` if cleaning it would make it another record's id.

    Text fields lose control characters and unpaired surrogates (:func:`_clean`);
    an id that did would collide silently with another ("a\\x01b", "a\\x07b\\ud800"
    and "ab" all became "ab", and two articles were lost). Such a record is
    skipped with a warning instead. (Spaces around an id are dropped, as
    around every field; an id that then repeats one read before replaces it,
    as the summary's count of replaced articles says.)
    """
    bad = _CONTROL.search(value)
    if bad:
        raise ArticleError(f"id {value!r} holds U+{ord(bad.group()):04X} (a control character or an unpaired "
                           f"surrogate), which ids may not")
    return value


def _clean(value: str) -> str:
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", value).strip()


def _is_heading(line: str) -> bool:
    letters = [c for c in line if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


def _is_abbreviation(before: str) -> bool:
    word = re.search(r"\w+$", before)
    if word is None:
        return False
    return word.group() in _ABBREVIATIONS or (len(word.group()) == 1 and word.group().isupper())


def _is_supported(name: str) -> bool:
    return name.lower().endswith(_SUFFIXES)


def _kinds() -> str:
    return ", ".join(_SUFFIXES[:-1]) + " or " + _SUFFIXES[-1]


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    return _JSON_TYPES.get(type(value), type(value).__name__)


def _reason(e: OSError) -> str:
    return e.strerror or str(e)


def _print_warning(w: LoadWarning) -> None:
    print(f"warning: {w}", file=sys.stderr)
