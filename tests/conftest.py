"""Shared fixtures: paths to the sample data and an index of seeds/ built once per session.

Word segmentation costs about 0.3 s per article, so indexes are built once and
shared by every test that only reads them. Tests that add, replace or delete
articles build their own small index in ``tmp_path`` instead.
"""

from __future__ import annotations

import gzip
import itertools
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
SHARED = Path(__file__).resolve().parents[2] / "shared"
CORPUS = SHARED / "corpus"

SEED_000 = "000_025c0ae66d126e11"  # Quảng Đông, "AI cộng", Reuters credit
SEED_002 = "002_20d0de901ad3bd8e"  # Hàng Châu, Alibaba, DeepSeek


class MemoryFile:
    """The few file methods vnsearch's table writers call, collecting the bytes in memory."""

    def __init__(self) -> None:
        self.data = bytearray()

    def write(self, b: bytes) -> None:
        self.data += b

    def tell(self) -> int:
        return len(self.data)

    def close(self) -> None:
        pass


def read_corpus_lines(name: str, start: int, stop: int) -> list[dict]:
    """Records ``start``..``stop-1`` of a corpus file (gzip JSON Lines), or skip the test."""
    path = CORPUS / name
    if not SHARED.is_dir() or not path.is_file():
        pytest.skip(f"shared corpus not available ({path})")
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in itertools.islice(fh, start, stop)]


@pytest.fixture(scope="session")
def seed_index_dir(tmp_path_factory) -> Path:
    """A directory holding an index of seeds/*.txt, built once per session."""
    from vnsearch import SearchEngine

    path = tmp_path_factory.mktemp("seed-index") / "ix"
    engine = SearchEngine(path)
    summary = engine.add_paths([SEEDS], jobs=1)
    assert summary.added == 2, str(summary)
    engine.close()
    return path


@pytest.fixture(scope="session")
def seed_engine(seed_index_dir):
    """The seeds index, opened read-only in spirit: tests must not modify it."""
    from vnsearch import SearchEngine

    engine = SearchEngine(seed_index_dir, create=False)
    yield engine
    engine.close()


@pytest.fixture(scope="session")
def segmenter():
    from vnsearch.lang.analysis import Segmenter

    return Segmenter.shared()
