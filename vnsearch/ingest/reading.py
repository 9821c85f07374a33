"""Reading input files in bounded pieces: regular files only, records of a bounded size.

Input comes from anywhere, so nothing in it may decide how much memory a
load takes or whether it ends: a 50 MB line once took 2 GB, a ``.jsonl``
symlink to ``/dev/zero`` grew until ``MemoryError``, and a FIFO named
``*.jsonl`` hung ``vnsearch index`` for good while it held the write lock.

* Only regular files are read (:func:`open_regular`); a FIFO, a device or
  a socket is reported and skipped, without being opened for long enough
  to block.
* JSON Lines are read a chunk at a time (:func:`iter_lines`); a line longer
  than :data:`vnsearch.caps.RECORD_BYTES` is skipped (its bytes are read and dropped,
  never held), and so is a ``.txt`` article of that size.
* A document read whole (a ``.json`` array, an RSS or Atom feed) may be at
  most :data:`vnsearch.caps.DOCUMENT_BYTES`.
* A gzip file is checked to its end (CRC and length) before any of its
  records is used (:func:`gzip_problem`): a file damaged in the middle
  would otherwise yield garbled records before its checksum fails. One
  that merely ends early is read as far as it goes, as a plain file is.

Line breaks are ``\\n``, ``\\r\\n`` and a lone ``\\r`` (old Mac files), as in
Python's universal newlines.
"""

from __future__ import annotations

import gzip
import os
import stat
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Protocol

from vnsearch import caps

__all__ = ["NotRegularFile", "open_regular", "read_capped", "iter_lines", "gzip_problem", "special_kind",
           "size_text"]

CHUNK_BYTES = 1024 * 1024  # what one read asks for


class Readable(Protocol):
    """A binary stream (a file, a GzipFile, standard input)."""

    def read(self, size: int = ..., /) -> bytes: ...


class NotRegularFile(OSError):
    """A path that is a FIFO, a device, a socket or a directory where a file was expected."""


def special_kind(mode: int) -> str | None:
    """What a non-regular file is ("a FIFO (named pipe)", …), or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a directory"
    return "not a regular file"


def size_text(n: int) -> str:
    return f"{n / (1024 * 1024):g} MiB" if n >= 1024 * 1024 else f"{n:,} bytes"


def open_regular(path: str | os.PathLike[str]) -> BinaryIO:
    """*path* opened for reading in binary, if it is a regular file (a symlink followed).

    Opened non-blocking first, so a FIFO with no writer cannot hang the open;
    raises :class:`NotRegularFile` (an OSError whose ``strerror`` says what the
    file is) for anything but a regular file.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        kind = special_kind(os.fstat(fd).st_mode)
        if kind is not None:
            raise NotRegularFile(0, f"{kind}, not a regular file", str(path))
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_capped(stream: Readable, cap: int) -> bytes | None:
    """All of *stream*, or None if it holds more than *cap* bytes (only cap + 1 are ever read)."""
    data = stream.read(cap + 1)
    return None if len(data) > cap else data


def iter_lines(stream: Readable, cap: int | None = None) -> Iterator[tuple[int, bytes | None]]:
    """(line number from 1, line without its line break) for each line; None for a line over *cap* bytes.

    Memory stays within *cap* (default :data:`vnsearch.caps.RECORD_BYTES`) plus one
    chunk however long a line is: the bytes of a line found too long are
    dropped as they are read.
    """
    cap = caps.RECORD_BYTES if cap is None else cap
    parts: list[bytes] = []
    size = 0
    dropping = False
    after_cr = False  # the last chunk ended with "\r": a "\n" starting the next one belongs to it
    lineno = 0
    # read1: what one read of the source gives, so the lines of a gzip file that ends
    # early are all had before the EOFError (read(n) would drop the last n bytes' worth).
    read = getattr(stream, "read1", stream.read)
    while True:
        chunk = read(CHUNK_BYTES)
        if not chunk:
            break
        if after_cr and chunk.startswith(b"\n"):
            chunk = chunk[1:]
        after_cr = chunk.endswith(b"\r")
        for piece in chunk.splitlines(keepends=True):
            if piece.endswith(b"\r\n"):
                body, ended = piece[:-2], True
            elif piece.endswith((b"\n", b"\r")):
                body, ended = piece[:-1], True
            else:
                body, ended = piece, False
            if not dropping:
                if size + len(body) > cap:
                    dropping, parts, size = True, [], 0
                else:
                    parts.append(body)
                    size += len(body)
            if ended:
                lineno += 1
                yield lineno, None if dropping else b"".join(parts)
                parts, size, dropping = [], 0, False
    if parts or dropping:
        yield lineno + 1, None if dropping else b"".join(parts)


def gzip_problem(path: Path) -> str | None:
    """Why the gzip file at *path* cannot be trusted (read to its end, CRCs checked), or None.

    A file that merely ends early (a download cut short: ``EOFError``) is
    not a problem here: what it holds decodes exactly as written, like a
    plain file cut short, and the reader reports where it ends. A CRC or
    length that does not match, or data that is not valid deflate, means
    damage somewhere before that point, so nothing of the file can be
    trusted.
    """
    try:
        with open_regular(path) as raw, gzip.GzipFile(fileobj=raw, mode="rb") as fh:
            while fh.read(CHUNK_BYTES):
                pass
    except EOFError:
        return None
    except (gzip.BadGzipFile, zlib.error) as e:
        return f"corrupt gzip data ({e})"
    except OSError as e:
        return f"cannot read file: {e.strerror or e}"
    return None
