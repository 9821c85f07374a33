"""Loading the shared benchmark corpus (read-only; never copied into the repo)."""

from __future__ import annotations

import gzip
import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

DEFAULT_CORPUS_DIR = Path(__file__).resolve().parents[2] / "shared" / "corpus"
ARTICLE_KEYS = ("id", "title", "sapo", "body", "date", "source", "url", "category")


@dataclass(frozen=True)
class Collection:
    """A set of documents indexed by every engine; ``name`` keys caches (e.g. ``news-5000``)."""

    name: str
    docs: list[dict]


def read_jsonl_gz(path: Path) -> Iterator[dict]:
    """Yield one JSON object per line of a gzip-compressed JSON Lines file."""
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def load_news(corpus_dir: Path, limit: int, skip: int = 0) -> Collection:
    """``limit`` articles of news.jsonl.gz after the first ``skip`` (records are sorted by numeric id).

    ``skip`` gives a slice of its own (e.g. articles 5000-10000) for tuning on other
    articles than the hidden benchmark's.
    """
    docs = list(itertools.islice(read_jsonl_gz(corpus_dir / "news.jsonl.gz"), skip, skip + limit))
    name = f"news-{len(docs)}" if not skip else f"news-{skip}+{len(docs)}"
    return Collection(name=name, docs=docs)


def load_xquad(corpus_dir: Path) -> tuple[Collection, list[dict]]:
    """XQuAD-vi passages as articles, plus the questions.

    The passage ``title`` is an English Wikipedia article name; indexing it would give
    engines an unfair, non-Vietnamese signal, so it is blanked and only ``body`` is used.
    """
    docs = [
        {"id": p["id"], "title": "", "sapo": "", "body": p["body"], "date": "",
         "source": "xquad-vi", "url": "", "category": ""}
        for p in read_jsonl_gz(corpus_dir / "xquad-vi-passages.jsonl.gz")
    ]
    questions = list(read_jsonl_gz(corpus_dir / "xquad-vi-qa.jsonl.gz"))
    return Collection(name=f"xquad-{len(docs)}", docs=docs), questions
