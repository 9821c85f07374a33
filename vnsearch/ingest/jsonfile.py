"""``.json`` files: an array of articles, or one article.

A JSON array is decoded element by element (``raw_decode`` from each
element's start), so every record's warning names the line it starts on, and
a record with bad fields costs only itself.  Broken JSON syntax ends the file
at that point: what came before is kept.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from vnsearch import caps
from vnsearch.ingest.articles import Article, LoadOptions, LoadWarning, UnknownKeys, WarningHandler, record_to_article
from vnsearch.ingest.reading import open_regular, read_capped, size_text

__all__ = ["load_json", "parse_json_text"]

_BOM = b"\xef\xbb\xbf"
_DECODER = json.JSONDecoder(strict=False)
_SPACE = " \t\r\n"


def load_json(path: Path, report: WarningHandler, options: LoadOptions) -> Iterator[Article]:
    """The articles of one ``.json`` file, each bad one reported with its line."""
    try:
        with open_regular(path) as fh:
            data = read_capped(fh, caps.DOCUMENT_BYTES)
    except OSError as e:
        report(LoadWarning(str(path), None, f"cannot read file: {e.strerror or e}"))
        return
    if data is None:
        report(LoadWarning(str(path), None, f"a .json file larger than {size_text(caps.DOCUMENT_BYTES)}; skipped "
                                            f"(write it as JSON Lines: one article per line, read a line at a time)"))
        return
    yield from parse_json_text(data, str(path), report, options)


def parse_json_text(data: bytes, name: str, report: WarningHandler, options: LoadOptions) -> Iterator[Article]:
    """Articles from the bytes of a JSON document: an array of objects or one object."""
    try:
        text = data.removeprefix(_BOM).decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        report(LoadWarning(name, line, f"not valid UTF-8 (byte 0x{data[e.start]:02x}); file skipped"))
        return
    unknown = UnknownKeys(name, report)
    pos = _skip(text, 0)
    if pos == len(text):
        report(LoadWarning(name, None, "empty file"))
        return
    if text[pos] != "[":
        record, end = _decode(text, pos, name, report)
        if end is None:
            return
        if _skip(text, end) != len(text):
            report(LoadWarning(name, _line(text, end), "extra data after the JSON value; ignored"))
        article = record_to_article(record, name, _line(text, pos), report, options, unknown)
        if article is not None:
            yield article
        return
    pos = _skip(text, pos + 1)
    if text.startswith("]", pos):
        return
    while pos < len(text):
        record, end = _decode(text, pos, name, report)
        if end is None:
            return
        if end - pos > caps.RECORD_BYTES:
            report(LoadWarning(name, _line(text, pos), f"array element longer than {caps.RECORD_BYTES:,} characters, "
                                                        f"the most one record may take; skipped"))
            article = None
        else:
            article = record_to_article(record, name, _line(text, pos), report, options, unknown)
        if article is not None:
            yield article
        pos = _skip(text, end)
        if text.startswith(",", pos):
            pos = _skip(text, pos + 1)
        elif text.startswith("]", pos):
            return
        else:
            report(LoadWarning(name, _line(text, pos), "invalid JSON: expected ',' or ']' after an array element; "
                                                        "rest of file skipped"))
            return
    report(LoadWarning(name, _line(text, pos), "invalid JSON: the array is not closed (truncated file?)"))


def _decode(text: str, pos: int, name: str, report: WarningHandler) -> tuple[object, int | None]:
    try:
        return _DECODER.raw_decode(text, pos)
    except json.JSONDecodeError as e:
        report(LoadWarning(name, e.lineno, f"invalid JSON: {e.msg} (column {e.colno}); rest of file skipped"))
    except (ValueError, RecursionError) as e:
        report(LoadWarning(name, _line(text, pos), f"invalid JSON: {e}; rest of file skipped"))
    return None, None


def _skip(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in _SPACE:
        pos += 1
    return pos


def _line(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1
