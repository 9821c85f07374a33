"""Which failures mean "the index files cannot be decoded", and how that is said.

Only code in :mod:`vnsearch.store` that decodes index files (opening the table
of contents and segments, reading term tables, posting blocks, lengths,
stored fields and columns) runs inside :func:`decoding`; a ``TypeError`` raised
anywhere else, by search code or by a caller's mistake, surfaces as itself.
"""

from __future__ import annotations

import pickle
import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from whoosh import index as whoosh_index

from vnsearch.errors import IndexDamaged, IndexUnusable, VnsearchError

__all__ = ["DECODE_ERRORS", "decoding", "damaged", "damage_text", "rebuild_hint", "not_permitted"]

# What Whoosh and our codec raise on truncated, garbled or foreign files: at
# open, or only when a reader first touches the damaged part.
DECODE_ERRORS: tuple[type[BaseException], ...] = (
    OSError, EOFError, ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError,
    struct.error, zlib.error, pickle.UnpicklingError, UnicodeDecodeError, AssertionError,
    whoosh_index.IndexError,  # Whoosh's own: a table of contents it cannot read
)


def rebuild_hint(path: Path, from_index: bool = True) -> str:
    """The advice every damage message ends with.

    *from_index*: whether the index's own stored articles may still be read
    (``vnsearch reindex``); not when its table of contents is gone.
    """
    originals = f"vnsearch index --rebuild --index-dir {path} PATH…"
    if not from_index:
        return f"rebuild it from the original files with: {originals}"
    return (f"rebuild it from its stored articles with: vnsearch reindex --index-dir {path} "
            f"(or from the original files: {originals})")


def damage_text(exc: BaseException) -> str:
    """What went wrong, in a line (without the path or the advice)."""
    detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return f"the index is damaged and cannot be read ({detail})"


def not_permitted(path: Path, exc: PermissionError) -> IndexUnusable:
    """The error for an index file this process may not read or write: not damage, and no rebuild.

    Advising a rebuild would destroy a sound index that only needs its
    files' owner or mode fixed.
    """
    where = exc.filename or path
    return IndexUnusable(f"{path}: permission denied ({where}); the index is not damaged: "
                         f"check the owner and mode of its files")


def damaged(path: Path, exc: BaseException) -> IndexDamaged:
    """The :class:`IndexDamaged` for a decoding failure *exc* of the index at *path*."""
    return IndexDamaged(f"{path}: {damage_text(exc)}; {rebuild_hint(path)}")


@contextmanager
def decoding(path: Path) -> Iterator[None]:
    """Decode index files inside this block: what decoding raises becomes :class:`IndexDamaged`."""
    try:
        yield
    except VnsearchError:
        raise
    except PermissionError as exc:
        raise not_permitted(path, exc) from exc
    except DECODE_ERRORS as exc:
        raise damaged(path, exc) from exc
