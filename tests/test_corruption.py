"""Issue 14's corruption test: random damage never changes an answer in silence, and check finds it.

Over an index of 200 articles of the shared corpus (two segments and a
deleted article; posting blocks of 16 postings, so that lists span many
blocks as in a large index), a seeded set of single-bit flips and zeroed 512-byte
blocks spread over every index file: each query (searches with phrase and
plain terms, ``get``, ``similar``, the count) answers exactly as on the
sound index or fails with the one-line damage error, and ``check`` reports
every corruption that changed any answer. ``bench/corruption.py`` runs the
same trials, many more of them.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from conftest import read_corpus_lines

ROOT = Path(__file__).resolve().parents[1]
TRIALS = 40


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("corruption", ROOT / "bench" / "corruption.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("corruption", module)  # its dataclass looks its module up
    spec.loader.exec_module(module)
    return module


def test_random_damage_is_never_a_silent_wrong_answer(tmp_path: Path) -> None:
    docs = read_corpus_lines("news.jsonl.gz", 0, 200)
    bench = _bench()
    sound = tmp_path / "sound"
    bench.build(sound, docs, block_limit=16)  # lists of many blocks, as in a large index
    ids = [d["id"] for d in docs[1:6]] + [docs[0]["id"]]
    tally = bench.run(sound, TRIALS, 14, tmp_path, ids)
    assert tally.tried == TRIALS
    assert tally.silent_wrong == 0, tally.cases
    assert tally.missed_by_check == 0, tally.cases
    assert tally.bad_errors == 0, tally.cases
    assert tally.failed > 0  # damage was reported, not only to bytes nothing reads
