#!/usr/bin/env python3
"""Random damage to an index: every query answers exactly as before or says the index is damaged.

Issue 14's acceptance: over the current format, for many random single-bit
flips and zeroed 512-byte blocks in every index file, each query of a fixed
set either returns exactly what the sound index returns or fails with the
one-line damage error, and ``check`` reports every corruption that changes
any answer. This builds a small index (200 articles of the shared corpus, in
two runs and a deletion, so it holds two segments and a deleted article),
records the sound answers (search hits with ids, scores and titles, phrase
and proximity queries, ``get`` of some articles, ``similar``), then for each
corruption (seeded, deterministic) copies the index, damages one file,
asks every query again and runs ``check``. It prints:

* corruptions tried (each changes at least one byte);
* silent wrong answers: a query that answered differently without an
  error (must be 0);
* missed by check: a corruption that changed an answer (or made a query
  fail) while ``check`` said the index was sound (must be 0);
* and, for information, how many corruptions changed nothing a query sees,
  and how many made queries fail.

    python bench/corruption.py [--trials 1000] [--seed 1] [--articles 200] [--block-limit 16]

``tests/test_corruption.py`` runs a smaller seeded subset of the same trials.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from vnsearch import SearchEngine  # noqa: E402
from vnsearch.errors import IndexUnusable, VnsearchError  # noqa: E402

QUERIES = ("giá vàng", "\"thành phố hồ chí minh\"", "hà nội", "bóng đá", "kinh tế", "tp hcm", "covid 19",
           "chính phủ", "\"việt nam\"", "học sinh", "xe máy", "thị trường chứng khoán", "ngân hàng nhà nước")
BLOCK = 512


def build(path: Path, docs: list[dict[str, Any]], block_limit: int | None = None) -> None:
    """The index under test: most articles, then a few more (a second segment), then one deleted.

    *block_limit*: postings per block (the format's own, 1,024, if None); a small one makes
    the lists of a small index span many blocks, as a large index's do.
    """
    from vnsearch.store import directory
    from vnsearch.store.codec import CheckedCodec

    if block_limit is not None:  # the codec a writer gets (it is recorded with each segment, and read back)
        setattr(directory, "CheckedCodec", partial(CheckedCodec, blocklimit=block_limit))  # noqa: B010 (typed)
    engine = SearchEngine(path)
    try:
        cut = len(docs) - max(2, len(docs) // 20)
        engine.add_articles(docs[:cut], jobs=1)
        engine.add_articles(docs[cut:], jobs=1)
        engine.delete([docs[0]["id"]])
    finally:
        engine.close()
        setattr(directory, "CheckedCodec", CheckedCodec)  # noqa: B010 (typed)


def answers(path: Path, ids: list[str]) -> dict[str, Any]:
    """Every query's answer, or the error it failed with (as ``("error", class name, one-line message)``)."""
    out: dict[str, Any] = {}

    def ask(key: str, fn: Callable[[SearchEngine], Any]) -> None:
        try:
            out[key] = fn(engine)
        except VnsearchError as exc:
            out[key] = ("error", type(exc).__name__, str(exc))

    try:
        engine = SearchEngine(path, create=False)
    except VnsearchError as exc:
        return {"open": ("error", type(exc).__name__, str(exc))}
    try:
        for query in QUERIES:
            ask(f"search {query}", partial(_search, query=query))
        for article_id in ids:
            ask(f"get {article_id}", partial(_get, article_id=article_id))
        ask(f"similar {ids[1]}", lambda e: [(h.id, round(h.score, 5)) for h in e.similar(ids[1], limit=5)])
        ask("count", lambda e: len(e))
    finally:
        try:
            engine.close()
        except VnsearchError:
            pass
    return out


def _search(engine: SearchEngine, query: str) -> Any:
    results = engine.search(query, limit=10, telex=False, typos=False)
    return (results.total, [(h.id, round(h.score, 5), h.title) for h in results])


def _get(engine: SearchEngine, article_id: str) -> Any:
    article = engine.get(article_id)
    return None if article is None else article.to_dict()


def is_error(answer: Any) -> bool:
    return isinstance(answer, tuple) and len(answer) == 3 and answer[0] == "error"


def one_line_damage(answer: Any) -> bool:
    """A failure as the issue allows it: IndexDamaged (or another IndexUnusable), one line, with the advice."""
    _, kind, message = answer
    return (kind in {c.__name__ for c in _unusable()} and "\n" not in message and "rebuild" in message)


def _unusable() -> list[type[IndexUnusable]]:
    found: list[type[IndexUnusable]] = []
    todo: list[type[IndexUnusable]] = [IndexUnusable]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


def check(path: Path) -> list[str]:
    """``check``'s problems ([] when it says the index is sound; an error opening it is a problem)."""
    try:
        engine = SearchEngine(path, create=False)
    except VnsearchError as exc:
        return [str(exc)]
    try:
        return engine.check()
    except VnsearchError as exc:
        return [str(exc)]
    finally:
        try:
            engine.close()
        except VnsearchError:
            pass


@dataclass
class Tally:
    tried: int = 0
    silent_wrong: int = 0
    missed_by_check: int = 0
    unchanged: int = 0
    failed: int = 0
    bad_errors: int = 0
    cases: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (f"corruptions tried: {self.tried}; silent wrong answers: {self.silent_wrong}; "
                f"missed by check: {self.missed_by_check}; errors that are not the one-line damage error: "
                f"{self.bad_errors} (answers unchanged: {self.unchanged}, queries failed: {self.failed})")


def index_files(path: Path) -> list[str]:
    return sorted(p.name for p in path.iterdir() if p.is_file() and p.name != "MAIN_WRITELOCK")


def corrupt(data: bytearray, rng: random.Random) -> str | None:
    """One random corruption of *data* in place: a flipped bit or a zeroed 512-byte block (None: no change)."""
    if not data:
        return None
    if rng.random() < 0.5:
        at = rng.randrange(len(data))
        bit = rng.randrange(8)
        data[at] ^= 1 << bit
        return f"bit {bit} of byte {at}"
    start = rng.randrange(0, len(data), BLOCK) if len(data) > BLOCK else 0
    end = min(len(data), start + BLOCK)
    if not any(data[start:end]):
        return None
    data[start:end] = bytes(end - start)
    return f"zeroed bytes {start}-{end}"


def run(sound: Path, trials: int, seed: int, work: Path, ids: list[str],
        progress: Callable[[int, Tally], None] | None = None) -> Tally:
    """*trials* corruptions of copies of the index at *sound* (files chosen in turn, places at random)."""
    want = answers(sound, ids)
    assert not any(is_error(a) for a in want.values()), want
    files = index_files(sound)
    rng = random.Random(seed)
    tally = Tally()
    n = 0
    while tally.tried < trials:
        name = files[n % len(files)]
        n += 1
        data = bytearray((sound / name).read_bytes())
        what = corrupt(data, rng)
        if what is None:
            continue
        target = work / f"t{n}"
        shutil.copytree(sound, target)
        (target / name).write_bytes(bytes(data))
        got = answers(target, ids)
        problems = check(target)
        tally.tried += 1
        case = f"{name}: {what}"
        changed = False
        for key, value in want.items():
            answer = got.get("open", got.get(key))
            if answer == value:
                continue
            changed = True
            if is_error(answer):
                if not one_line_damage(answer):
                    tally.bad_errors += 1
                    tally.cases.append(f"{case}: {key}: not the damage error: {answer}")
            else:
                tally.silent_wrong += 1
                tally.cases.append(f"{case}: {key}: silently answered {str(answer)[:200]}")
        if changed:
            tally.failed += any(is_error(a) for a in got.values())
            if not problems:
                tally.missed_by_check += 1
                tally.cases.append(f"{case}: changed an answer, check said sound")
        else:
            tally.unchanged += 1
        shutil.rmtree(target, ignore_errors=True)
        if progress:
            progress(n, tally)
    return tally


def main() -> int:
    from corpus import DEFAULT_CORPUS_DIR, load_news

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--block-limit", type=int, default=None,
                        help="postings per block (default: the format's 1,024; try 16 for lists of many blocks)")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS_DIR)
    args = parser.parse_args()
    docs = load_news(args.corpus, args.articles).docs
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        sound = Path(tmp) / "sound"
        build(sound, docs, args.block_limit)
        ids = [d["id"] for d in docs[1:6]] + [docs[0]["id"]]
        sizes = ", ".join(f"{n} {(sound / n).stat().st_size:,} B" for n in index_files(sound))
        print(f"index of {len(docs)} articles: {sizes}")

        def progress(n: int, tally: Tally) -> None:
            if tally.tried % 100 == 0:
                print(f"  {tally.line()} ({time.monotonic() - started:.0f} s)", flush=True)

        tally = run(sound, args.trials, args.seed, Path(tmp), ids, progress)
    for case in tally.cases[:30]:
        print("  " + case)
    print(tally.line())
    print(f"{time.monotonic() - started:.0f} s")
    return 1 if tally.silent_wrong or tally.missed_by_check or tally.bad_errors else 0


if __name__ == "__main__":
    sys.exit(main())
