#!/usr/bin/env python3
"""Build vnsearch/stored.zdict: the preset deflate dictionary of stored articles.

    python bench/make_zdict.py [--corpus DIR] [--start 30000] [--count 2000]

A stored article is deflated on its own, so deflate starts every article with
no history; a preset dictionary gives it the history of typical text. This one
is the most common syllables and runs of two and three syllables (by count ×
length) of news articles well after the first 5,000 (the benchmark's), most
common last (closest to the data, cheapest to refer to), 32 kB (deflate's
window), preceded by the stored-field names. Changing it changes the stored
format: bump ``STORED_FORMAT`` in vnsearch/codec.py when you do.
"""

from __future__ import annotations

import argparse
import collections
import itertools
import pickle
from pathlib import Path

from corpus import DEFAULT_CORPUS_DIR, read_jsonl_gz

OUT = Path(__file__).resolve().parents[1] / "vnsearch" / "stored.zdict"
SIZE = 32 * 1024
FIELDS = ("id", "title", "lead", "body", "date", "source", "credit", "category", "url", "title_derived", "digest")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS_DIR)
    ap.add_argument("--start", type=int, default=30000)
    ap.add_argument("--count", type=int, default=2000)
    args = ap.parse_args()
    counts: collections.Counter[str] = collections.Counter()
    records = itertools.islice(read_jsonl_gz(args.corpus / "news.jsonl.gz"), args.start, args.start + args.count)
    for record in records:
        for zone in ("title", "sapo", "body"):
            words = (record.get(zone) or "").split()
            for n in (1, 2, 3):
                for i in range(len(words) - n + 1):
                    counts[" ".join(words[i: i + n])] += 1
    head = pickle.dumps({name: "" for name in FIELDS}, 3)
    chosen, size = [], len(head)
    ranked = sorted(((c * len(s), s) for s, c in counts.items() if c >= 5), reverse=True)
    for _, phrase in ranked:
        piece = (phrase + " ").encode("utf-8")
        if size + len(piece) > SIZE:
            continue
        chosen.append(piece)
        size += len(piece)
    OUT.write_bytes(head + b"".join(reversed(chosen)))
    print(f"wrote {OUT} ({size} bytes, {len(chosen)} phrases)")


if __name__ == "__main__":
    main()
