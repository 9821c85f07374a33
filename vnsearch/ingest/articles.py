"""Loading news articles from plain-text files and JSON Lines.

Corpora arrive hand-made, scraped or half-downloaded, so a bad record must never
stop a load: every problem becomes a :class:`LoadWarning` (path, line, message)
and the loader moves on to the next record.  Text is kept as the source wrote it
(no Unicode normalisation) because highlighting needs the original characters;
the analyzer normalises its own copy.

Supported inputs: ``.txt`` (one article per file), ``.jsonl`` and
``.jsonl.gz`` (one JSON object per line), and directories holding them.
"""

from __future__ import annotations

import contextlib
import datetime
import gzip
import json
import os
import re
import sys
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from vnsearch.errors import ArticleError

__all__ = [
    "Article",
    "ArticleError",
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
_TEXT_FIELDS = ("id", "title", "sapo", "body", "date", "source", "url", "category")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
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
_SUFFIXES = (".jsonl.gz", ".jsonl", ".txt")


@dataclass
class LoadWarning:
    """One problem found while loading, precise enough for the user to fix it."""

    path: str
    line: int | None
    message: str
    fatal: bool = field(default=True, compare=False)  # False: the record was kept (a numeric id, a dropped date)

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: {self.message}"


WarningHandler = Callable[[LoadWarning], None]


@dataclass
class Article:
    """One news article, as the indexer and the result display need it."""

    id: str
    title: str = ""
    lead: str = ""
    body: str = ""
    date: str = ""  # "YYYY-MM-DD" or ""
    source: str = ""
    url: str = ""
    category: str = ""
    credit: str = ""
    title_derived: bool = False
    headings: list[str] = field(default_factory=list)
    origin: str = ""  # "path:line" where it came from, for messages

    @classmethod
    def from_dict(
        cls,
        d: Mapping[str, Any],
        origin: str = "",
        warn: Callable[[str], None] | None = None,
    ) -> Article:
        """Build an article from a JSON-style record (``sapo`` is the lead).

        One validation path for every source, so a .txt article and a JSONL
        record obey the same rules.  Fatal problems raise :class:`ArticleError`;
        problems the record survives (a numeric id, a bad date) go to ``warn``,
        and only once the record is known to be accepted.  ``null`` counts as
        a missing key; unknown keys are ignored.
        """
        if not isinstance(d, Mapping):
            raise ArticleError(f"expected a JSON object, got {_json_type(d)}")
        notes: list[str] = []
        values: dict[str, str] = {}
        for key in _TEXT_FIELDS:
            value = d.get(key)
            if value is None:
                value = ""
            elif key == "id" and type(value) is int:
                notes.append(f"id is a number ({value}); converted to the string {str(value)!r}")
                value = str(value)
            elif not isinstance(value, str):
                raise ArticleError(f"field {key!r} must be a string, got {_json_type(value)}")
            values[key] = _clean(value)
        if not values["id"]:
            raise ArticleError("record has no id")
        if not (values["title"] or values["sapo"] or values["body"]):
            raise ArticleError("record has no text (title, sapo and body are all empty)")
        date = values["date"]
        if date and not _is_real_date(date):
            notes.append(f"invalid date {date!r} (expected a real YYYY-MM-DD date); date dropped")
            date = ""
        if warn is not None:
            for note in notes:
                warn(note)

        title, lead, body = values["title"], values["sapo"], values["body"]
        body_lines = [line.strip() for line in body.split("\n") if line.strip()]
        credit = _CREDIT.fullmatch(body_lines[-1]) if body_lines else None
        return cls(
            id=values["id"],
            title=title or derive_title(lead or body),
            lead=lead,
            body=body,
            date=date,
            source=values["source"],
            url=values["url"],
            category=values["category"],
            credit=credit.group(2).strip() if credit else "",
            title_derived=not title,
            origin=origin,
        )

    def to_dict(self) -> dict[str, Any]:
        """All fields as a plain JSON-serialisable dict (for storage and debugging)."""
        return asdict(self)


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
    article = Article.from_dict(record, origin=origin, warn=warn)
    # Only here: in scraped JSONL bodies all-caps lines are mostly bylines ("VOV", "M.P").
    article.headings = [line for line in paragraphs[1:] if _is_heading(line)]
    return article


def iter_files(path: str | os.PathLike[str], on_warning: WarningHandler | None = None) -> Iterator[Path]:
    """The files :func:`load_path` would read, so callers can count or list them first.

    A directory is walked recursively in sorted order (stable ids and test
    output); files of other types are ignored.  A file given directly is
    yielded only if its type is supported.
    """
    root = Path(path)
    if root.is_dir():
        report = on_warning or _print_warning

        def walk_error(e: OSError) -> None:
            report(LoadWarning(str(e.filename or root), None, f"cannot read directory: {_reason(e)}"))

        found = [
            Path(dirpath, name)
            for dirpath, _dirs, names in os.walk(root, onerror=walk_error)
            for name in names
            if _is_supported(name)
        ]
        yield from sorted(found, key=lambda p: p.relative_to(root).parts)
    elif root.is_file() and _is_supported(root.name):
        yield root


def load_path(path: str | os.PathLike[str], on_warning: WarningHandler | None = None) -> Iterator[Article]:
    """Yield every good article in a file or directory; report the bad ones and go on.

    Without ``on_warning`` each warning is printed to stderr as
    ``warning: path:line: message`` so problems are never silently lost.
    """
    report = on_warning or _print_warning
    p = Path(path)
    if not p.exists():
        report(LoadWarning(str(path), None, "no such file or directory"))
        return
    if not p.is_dir() and not _is_supported(p.name):
        report(LoadWarning(str(path), None, "not a .txt, .jsonl or .jsonl.gz file; skipped"))
        return
    for file in iter_files(p, report):
        if file.name.lower().endswith(".txt"):
            article = _load_text_file(file, report)
            if article is not None:
                yield article
        else:
            yield from _load_jsonl(file, report)


def load_paths(paths: Iterable[str | os.PathLike[str]], on_warning: WarningHandler | None = None) -> Iterator[Article]:
    """:func:`load_path` over several inputs, in the order given."""
    for path in paths:
        yield from load_path(path, on_warning)


# --- readers ---------------------------------------------------------------


def _load_text_file(path: Path, report: WarningHandler) -> Article | None:
    name = str(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        report(LoadWarning(name, None, f"cannot read file: {_reason(e)}"))
        return None
    data = data.removeprefix(_BOM.encode())
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
                                  warn=lambda m: report(LoadWarning(name, None, m, fatal=False)))
    except ArticleError as e:
        report(LoadWarning(name, None, f"{e}; file skipped"))
        return None


def _load_jsonl(path: Path, report: WarningHandler) -> Iterator[Article]:
    name = str(path)
    with contextlib.closing(_read_lines(path, path.name.lower().endswith(".gz"))) as lines:
        yield from _parse_lines(lines, name, report)


def _parse_lines(lines: Iterator[tuple[int, bytes]], name: str, report: WarningHandler) -> Iterator[Article]:
    lineno = 0
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
        article = _parse_json_line(raw, name, lineno, report)
        if article is not None:
            yield article


def _read_lines(path: Path, gz: bool) -> Iterator[tuple[int, bytes]]:
    with (gzip.open(path, "rb") if gz else path.open("rb")) as fh:
        for lineno, raw in enumerate(fh, 1):
            yield lineno, raw


def _parse_json_line(raw: bytes, name: str, lineno: int, report: WarningHandler) -> Article | None:
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
    try:
        return Article.from_dict(
            record, origin=f"{name}:{lineno}", warn=lambda m: report(LoadWarning(name, lineno, m, fatal=False))
        )
    except ArticleError as e:
        report(LoadWarning(name, lineno, f"{e}; record skipped"))
        return None


# --- helpers ---------------------------------------------------------------


def _clean(value: str) -> str:
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", value).strip()


def _is_real_date(value: str) -> bool:
    if not _ISO_DATE.fullmatch(value):
        return False
    try:
        datetime.date(int(value[:4]), int(value[5:7]), int(value[8:]))
    except ValueError:
        return False
    return True


def _is_heading(line: str) -> bool:
    letters = [c for c in line if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


def _is_abbreviation(before: str) -> bool:
    word = re.search(r"\w+$", before)
    return bool(word) and (word.group() in _ABBREVIATIONS or (len(word.group()) == 1 and word.group().isupper()))


def _is_supported(name: str) -> bool:
    return name.lower().endswith(_SUFFIXES)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    return _JSON_TYPES.get(type(value), type(value).__name__)


def _reason(e: OSError) -> str:
    return e.strerror or str(e)


def _print_warning(w: LoadWarning) -> None:
    print(f"warning: {w}", file=sys.stderr)
