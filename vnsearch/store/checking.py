"""``vnsearch check``: everything a search can touch, read once, and what is wrong with it.

Kept apart from :class:`~vnsearch.store.directory.IndexStore`, which opens,
reads and writes an index: checking reads the whole of it, through the
same storage, and reports instead of raising. :mod:`vnsearch.store.verify`
checks the bytes of each segment; this module adds what only the whole
index can tell (ids stored twice, counts that disagree, files a failed
write left behind).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from vnsearch.errors import IndexDamaged
from vnsearch.store.damage import damage_text, decoding
from vnsearch.store.locking import holder_of

if TYPE_CHECKING:
    from vnsearch.store.directory import IndexStore

__all__ = ["check"]


def check(store: IndexStore) -> tuple[list[str], int]:
    """Problems found in *store*'s index (none: it is sound), and how many segments had no checksums.

    Reads the schema version, every stored document (each must have an id,
    and no id may appear twice), the document count against the ids, the id
    terms, and every segment whole (:func:`vnsearch.store.verify.verify_segments`:
    every checksum, every posting list, column and length). Segments without
    checksums (formats 7 and 8) cannot be verified; they are counted, not
    reported as damage.
    """
    from vnsearch.store.verify import verify_segments

    problems = []
    unchecked = 0
    schema = store.schema_problem()
    if schema:
        problems.append(schema)
    try:
        searcher = store.searcher()
        try:
            with decoding(store.path):
                problems += _check_reader(searcher)
                found, unchecked = verify_segments(searcher.reader(), store.storage)
                problems += found
        finally:
            searcher.close()
    except IndexDamaged as exc:
        cause = exc.__cause__
        problems.append(damage_text(cause) if cause is not None else str(exc))
    problems += _orphan_problem(store)
    return problems, unchecked


def _orphan_problem(store: IndexStore) -> list[str]:
    """Files a failed or killed write left, when no writer is at work (its files are not orphans yet)."""
    from vnsearch.store.directory import LOCK_FILE, ORPHANS

    lock = store.path / LOCK_FILE
    if holder_of(lock) is not None:
        return []
    try:
        names = store.orphans()
    except (OSError, IndexDamaged):
        return []  # reported above as damage
    if not names or holder_of(lock) is not None:
        return []
    size = sum(_size(store.path / name) for name in names)
    shown = ", ".join(names[:3]) + ("…" if len(names) > 3 else "")
    return [f"{ORPHANS} ({len(names)}, {size / 1e6:.1f} MB: {shown}), left by a write that failed or "
            f"was killed; the next write to the index deletes them"]


def _size(path: Path) -> int:
    try:
        if path.is_dir():
            return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
        return path.stat().st_size
    except OSError:
        return 0


def _check_reader(searcher: Any) -> list[str]:
    problems = []
    reader = searcher.reader()
    seen: dict[str, int] = {}
    stored = 0
    for docnum in reader.all_doc_ids():
        stored += 1
        fields = reader.stored_fields(docnum)
        article_id = fields.get("id")
        if not article_id:
            problems.append(f"document #{docnum} has no id")
            continue
        seen[article_id] = seen.get(article_id, 0) + 1
    twice = sorted(i for i, n in seen.items() if n > 1)
    if twice:
        problems.append(f"{len(twice)} id(s) stored more than once: {', '.join(twice[:5])}")
    count = searcher.doc_count()
    if count != stored:
        problems.append(f"the index counts {count} documents but {stored} can be read")
    if count != sum(seen.values()):
        problems.append(f"the index counts {count} documents but holds {sum(seen.values())} ids")
    terms = sum(1 for _ in reader.lexicon("id"))
    if terms < len(seen):
        problems.append(f"{len(seen) - terms} stored id(s) cannot be found by id")
    return problems
