#!/usr/bin/env python3
"""A ten times larger news archive made from the shared corpus, for scaling runs.

    python bench/archive10x.py --out /tmp/news-10x.jsonl.gz [--copies 10] [--corpus DIR]

News archives run to millions of articles; the shared corpus has 34,924. This
writes every article of ``news.jsonl.gz`` followed by ``--copies - 1``
re-issues of it, each made deterministically (the same bytes on every run):

* id ``<id>~r<k>`` for the k-th re-issue (k = 1 … copies - 1);
* the body's paragraphs (``\\n``-separated) in another order, shuffled by a
  generator seeded with ``"<id>/<k>"``; a body of one paragraph has its
  sentences shuffled instead (split after ``. ``, ``! ``, ``? ``), so the
  text, the vocabulary and the lengths stay those of real news while no two
  copies have the same word order across the cuts;
* a date shifted by ``7 × k`` days (an undated article stays undated);
* title, lead, source, category and URL as in the original (the URL gets
  ``#r<k>``): the same story run again later, as wires and aggregators do.

The statistics of the archive differ from a real one of that size: every
term's document frequency is ten times the original, and the collapse of
near-duplicates finds ten copies of each story. Query latency, the figure
it is made for, depends on the lengths of the posting lists and the number
of documents, which it scales as a real archive would.

The output is a gzip-compressed JSON Lines file of 349,240 articles (69 MB:
the copies of an article follow each other, so deflate finds most of them
again); it must be written outside the project (never committed) and is
refused inside it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import random
import re
import sys
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from corpus import DEFAULT_CORPUS_DIR, read_jsonl_gz  # noqa: E402

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
SHIFT_DAYS = 7


def reordered(body: str, rng: random.Random) -> str:
    """*body* with its paragraphs (or, for a single paragraph, its sentences) shuffled."""
    paragraphs = body.split("\n")
    if len(paragraphs) > 1:
        rng.shuffle(paragraphs)
        return "\n".join(paragraphs)
    sentences = _SENTENCE_END.split(body)
    if len(sentences) > 1:
        rng.shuffle(sentences)
    return " ".join(sentences)


def shifted(date: str, days: int) -> str:
    """An ISO day (or the day part of an ISO date-time) *days* later; anything else as it was."""
    try:
        day = dt.date.fromisoformat(date[:10])
    except ValueError:
        return date
    return (day + dt.timedelta(days=days)).isoformat() + date[10:]


def reissue(article: dict, k: int) -> dict:
    """The k-th re-issue of *article* (k ≥ 1)."""
    rng = random.Random(f"{article['id']}/{k}")
    out = dict(article)
    out["id"] = f"{article['id']}~r{k}"
    out["body"] = reordered(article.get("body", ""), rng)
    if article.get("date"):
        out["date"] = shifted(article["date"], SHIFT_DAYS * k)
    if article.get("url"):
        out["url"] = f"{article['url']}#r{k}"
    return out


def archive(corpus: Path, copies: int) -> Iterator[dict]:
    """Every article, then its re-issues, in corpus order."""
    for article in read_jsonl_gz(corpus / "news.jsonl.gz"):
        yield article
        for k in range(1, copies):
            yield reissue(article, k)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, required=True, help="the .jsonl.gz to write (outside the project)")
    ap.add_argument("--copies", type=int, default=10, help="copies of each article, the original included")
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS_DIR)
    args = ap.parse_args(argv)
    out = args.out.resolve()
    if out.is_relative_to(HERE.parent):
        ap.error(f"{out} is inside the project; write the archive elsewhere (it is never committed)")
    if args.copies < 1:
        ap.error("--copies must be at least 1")
    count = 0
    # mtime=0: the same bytes on every run.
    with open(out, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
        for article in archive(args.corpus, args.copies):
            gz.write((json.dumps(article, ensure_ascii=False) + "\n").encode("utf-8"))
            count += 1
    print(f"wrote {count:,} articles to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
