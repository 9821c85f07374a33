"""A small dated, categorised index for the server and browser tests (not a test module itself).

Every 60th record of news-b (about 45 articles over several categories and
months), a few records of news.jsonl (another source), and hostile
articles: markup, script, control characters and a huge body.
"""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CORPUS

# $VNSEARCH_TEST_CORPUS points elsewhere (e.g. from a git worktree, where ../shared is not beside the checkout).
CORPUS_DIR = Path(os.environ.get("VNSEARCH_TEST_CORPUS") or CORPUS)

HOSTILE = [
    {"id": "hostile-markup", "title": "<script>alert('x')</script> Trí tuệ nhân tạo <b>đậm</b>",
     "body": "Bài viết về trí tuệ nhân tạo <img src=x onerror=alert(1)> và \"dấu ngoặc\" & ký hiệu.\n"
             "Đoạn thứ hai <iframe src='http://evil'></iframe> nhắc lại trí tuệ nhân tạo.",
     "date": "2021-04-02", "source": "<i>Nguồn</i> độc hại", "category": "khoa-hoc-cong-nghe",
     "url": "javascript:alert(1)"},
    {"id": "hostile-control", "title": "Điều khiển \x07\x1b[31m trí tuệ nhân tạo\x00",
     "body": "Ký tự điều khiển \x01\x02\x1b[0m giữa chữ trí tuệ nhân tạo.\u202e đảo chiều",
     "date": "2021-04-03", "source": "Nguồn thử", "category": "khoa-hoc-cong-nghe"},
    {"id": "hostile-huge", "title": "Bài rất dài về trí tuệ nhân tạo",
     "body": "trí tuệ nhân tạo và dữ liệu. " * 4000, "date": "2021-04-04", "source": "Nguồn thử",
     "category": "khoa-hoc-cong-nghe"},
]


def records() -> list[dict[str, Any]]:
    """The test corpus, or skip when the shared corpus is absent."""
    b, a = CORPUS_DIR / "news-b.jsonl.gz", CORPUS_DIR / "news.jsonl.gz"
    if not b.is_file() or not a.is_file():
        pytest.skip(f"shared corpus not available ({CORPUS_DIR})")
    out = []
    with gzip.open(b, "rt", encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            if i % 60 == 0:
                out.append(json.loads(line))
    with gzip.open(a, "rt", encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            if i >= 12:
                break
            out.append(json.loads(line))
    return out + HOSTILE


def build(path: Path) -> Path:
    from vnsearch import SearchEngine

    engine = SearchEngine(path)
    engine.add_articles(records(), jobs=1)
    engine.close()
    return path
