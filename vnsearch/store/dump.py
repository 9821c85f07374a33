"""Reading every stored article of an index, whatever schema version wrote it.

Rebuilding an index from its own stored articles (``vnsearch reindex``) must
work exactly when the engine refuses to open the index: after a format change.
So this reads the Whoosh stored fields directly, without the engine's version
check; it needs only that the stored fields themselves can still be read.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from vnsearch.errors import IndexDamaged, IndexNotFound
from vnsearch.ingest.articles import Article, LoadWarning
from vnsearch.ingest.export import stored_article
from vnsearch.store.damage import DECODE_ERRORS, rebuild_hint
from vnsearch.store.directory import INDEX_NAME, LOCK_FILE, IndexStore, is_index_file, settled, write_lock
from vnsearch.store.files import ChecksumStorage
from vnsearch.store.indexing import IndexSummary
from vnsearch.store.updates import index_articles

__all__ = ["stored_articles", "replace_files", "reindex"]


def stored_articles(path: str | os.PathLike[str], indexname: str,
                    on_error: Callable[[int, BaseException], None] | None = None) -> Iterator[dict[str, Any]]:
    """The stored fields of every live document, segment by segment, streamed.

    The index is opened here, before the first article is asked for, so an
    index that cannot be opened raises at the call. A document whose stored
    fields cannot be read goes to *on_error* (its number and the exception)
    and the others are still read.
    """
    # A table of contents' checksum is verified if it has one (any format: reindex rescues what it can).
    ix = ChecksumStorage(str(path), require_footer=False).open_index(indexname)
    return _read_all(ix, on_error)


def _read_all(ix: Any, on_error: Callable[[int, BaseException], None] | None) -> Iterator[dict[str, Any]]:
    with ix.reader() as reader:
        for docnum in reader.all_doc_ids():
            try:
                yield dict(reader.stored_fields(docnum))
            except Exception as exc:  # a damaged stored-fields record: report it, read the rest
                if on_error is None:
                    raise
                on_error(docnum, exc)


def replace_files(new: Path, old: Path, is_index_file: Callable[[str], bool], keep: str) -> None:
    """Put the index files of directory *new* in place of those in *old*, then remove *new*.

    The old files (all but *keep*, the lock) are deleted only after the new
    index is complete, so a failure before this point leaves the old index as it was.
    """
    for p in old.iterdir():
        if p.is_file() and is_index_file(p.name) and p.name != keep:
            p.unlink()
    for p in new.iterdir():
        if p.is_file() and is_index_file(p.name) and p.name != keep:
            shutil.move(str(p), str(old / p.name))
    shutil.rmtree(new, ignore_errors=True)


def reindex(path: Path, jobs: int | None = None,
            on_progress: Callable[[Article], None] | None = None,
            on_warning: Callable[[LoadWarning], None] | None = None,
            wait: float | None = 60.0) -> IndexSummary:
    """Rebuild the index at *path* from its own stored articles (see ``SearchEngine.reindex``)."""
    hint = rebuild_hint(path, from_index=False)
    try:
        storage = ChecksumStorage(str(path), require_footer=False)
        exists = path.is_dir() and settled(storage, lambda: storage.index_exists(INDEX_NAME))
    except DECODE_ERRORS as exc:
        raise IndexDamaged(f"{path}: the index cannot be read ({type(exc).__name__}: {exc}); {hint}") from exc
    if not exists:
        raise IndexNotFound(f"no index at {path}")
    tmp = path.parent / f".{path.name}.reindex"
    if tmp.exists():
        shutil.rmtree(tmp)

    def unreadable(docnum: int, exc: BaseException) -> None:
        if on_warning:
            on_warning(LoadWarning(str(path), None, f"stored article #{docnum} cannot be read "
                                                    f"({type(exc).__name__}: {exc}); left out"))

    with write_lock(path, wait):
        try:
            stored = stored_articles(path, INDEX_NAME, unreadable)
        except DECODE_ERRORS as exc:
            raise IndexDamaged(f"{path}: its stored articles cannot be read ({type(exc).__name__}: {exc}); "
                               f"{hint}") from exc
        try:
            new = IndexStore(tmp, create=True, rebuild=False, wait=wait, on_wait=None)
            try:
                summary = index_articles(new, (stored_article(fields) for fields in stored), jobs=jobs,
                                         on_progress=on_progress, on_warning=on_warning)
            finally:
                new.close()
            replace_files(tmp, path, is_index_file, LOCK_FILE)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return summary
