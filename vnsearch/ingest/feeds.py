"""RSS 2.0 and Atom feeds: each item an article.

Parsed by ``feedparser`` (a well-kept parser that copes with the malformed
feeds real sites serve) from the file's bytes, so nothing is ever fetched:
feedparser only goes to the network when handed a URL.  An item becomes a
record in our field names: title, summary → sapo, content → body, link → url
and an id made from it (the same link in two feeds is the same article),
published/updated → date, tags → category, author → credit, and the feed's
title → source.  The record then takes the same path as a JSON record.
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Iterator, Mapping
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import feedparser

from vnsearch import caps
from vnsearch.ingest.articles import Article, LoadOptions, LoadWarning, UnknownKeys, WarningHandler, record_to_article
from vnsearch.ingest.reading import open_regular, read_capped, size_text

__all__ = ["load_feed", "feed_records", "link_id", "html_text"]

_BLOCKS = {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr",
           "table", "section", "article", "figure", "figcaption", "pre", "hr"}
_SKIP = {"script", "style", "noscript"}


def link_id(link: str) -> str:
    """A stable id for an article known by its link: ``host-`` and 16 hex digits of the link's hash.

    The fragment is dropped and the host lower-cased, so the same page linked
    from two feeds gets one id.
    """
    parts = urlsplit(link.strip())
    host = parts.netloc.lower().removeprefix("www.")
    canonical = urlunsplit((parts.scheme.lower(), host, parts.path or "/", parts.query, ""))
    digest = hashlib.blake2b(canonical.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()
    return f"{host or 'feed'}-{digest}"


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skipping += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_text(value: str) -> str:
    """The text of an HTML fragment: tags gone, entities decoded, one paragraph per line."""
    if "<" not in value:
        return html.unescape(value).strip()
    parser = _TextParser()
    parser.feed(value)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).split("\n"))
    return "\n".join(line for line in lines if line)


def feed_records(data: bytes) -> tuple[str, list[dict[str, Any]], str | None]:
    """The feed's title, one record per item, and the parse problem if the XML is not well formed."""
    parsed = feedparser.parse(data, sanitize_html=True, resolve_relative_uris=False)
    problem = None
    if parsed.get("bozo"):
        exc = parsed.get("bozo_exception")
        line = getattr(exc, "getLineNumber", lambda: None)()
        problem = f"{exc}" + (f" (line {line})" if line and f"line {line}" not in str(exc) else "")
    feed_title = html_text(str(parsed.feed.get("title", "")))
    records = [_record(entry, feed_title) for entry in parsed.entries]
    return feed_title, records, problem


def _record(entry: Mapping[str, Any], feed_title: str) -> dict[str, Any]:
    link = str(entry.get("link") or "").strip()
    if not link.lower().startswith(("http://", "https://")):
        link = ""  # feedparser falls back on a non-URL guid ("tag:…") for an entry without a link
    guid = str(entry.get("id") or "").strip()
    content = entry.get("content") or []
    body = "\n".join(html_text(str(c.get("value", ""))) for c in content if c.get("value"))
    summary = html_text(str(entry.get("summary") or ""))
    if body and summary and body.startswith(summary):
        summary = ""  # RSS readers fill the summary with the content's start: not a separate lead
    if not body and summary and not content:
        # RSS 2.0 with only <description>: that is the article's text as the feed gives it.
        body, summary = summary, ""
    tags = [str(t.get("term", "")).strip() for t in entry.get("tags") or [] if t.get("term")]
    date = entry.get("published") or entry.get("updated") or entry.get("created") or ""
    return {
        "id": link_id(link) if link else guid,
        "title": html_text(str(entry.get("title") or "")),
        "sapo": summary,
        "body": body,
        "date": str(date),
        "source": feed_title,
        "url": link,
        "category": tags[0] if tags else "",
        "credit": html_text(str(entry.get("author") or "")),
    }


def load_feed(path: Path, report: WarningHandler, options: LoadOptions) -> Iterator[Article]:
    """The articles of one RSS or Atom file; a bad item is reported by its number and skipped.

    An item already read from another feed in the same load (same id) is
    left out quietly: aggregated feeds repeat each other.
    """
    name = str(path)
    try:
        with open_regular(path) as fh:
            data = read_capped(fh, caps.DOCUMENT_BYTES)
    except OSError as e:
        report(LoadWarning(name, None, f"cannot read file: {e.strerror or e}"))
        return
    if data is None:
        report(LoadWarning(name, None, f"feed larger than {size_text(caps.DOCUMENT_BYTES)}; skipped"))
        return
    _title, records, problem = feed_records(data)
    if not records:
        why = f" ({problem})" if problem else ""
        report(LoadWarning(name, None, f"not an RSS or Atom feed, or one with no items{why}; skipped"))
        return
    if problem:
        report(LoadWarning(name, None, f"not well-formed XML ({problem}); read leniently", fatal=False))
    unknown = UnknownKeys(name, report)
    for item, record in enumerate(records, 1):
        if record["id"] and record["id"] in options.seen_ids:
            continue
        article = record_to_article(record, name, None, report, options, unknown, item=item)
        if article is not None:
            options.seen_ids.add(article.id)
            yield article


