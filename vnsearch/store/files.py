"""Format 9's files: a checksum after every file, verified when it is read.

Why: one flipped bit in a posting list made a search silently miss its best
match, and ``check`` called the index sound (issue 14). As Lucene does with
the CRC-32 footer of every file, every file vnsearch writes ends with a
footer (:func:`vnsearch.store.format.footer`), whatever its kind, so a file
kind added later is covered without a line here:

* the table of contents gets its footer when Whoosh renames it into place
  (:class:`ChecksumStorage`), verified every time it is read;
* a segment's files are copied into its segment file each with a footer
  (:meth:`CheckedSegment.create_compound_file`), behind a directory with a
  checksum of its own; :class:`CheckedCompound` verifies a file when it is
  first opened, except the big ones whose blocks and records carry their own
  checksums, verified as each is read (:data:`~vnsearch.store.format.BLOCK_CHECKED_EXTS`:
  verifying them whole at every open would make every search read the whole
  index); :meth:`CheckedCompound.verify` checks every footer, for ``vnsearch check``.

A failed checksum raises :class:`~vnsearch.store.format.ChecksumError` (a
``ValueError``), which the damage guard reports as a damaged index.
"""

from __future__ import annotations

import io
import mmap
import os
from typing import Any

from whoosh.codec.whoosh3 import W3Segment
from whoosh.filedb.compound import CompoundStorage
from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.structfile import BufferFile

from vnsearch.store.format import (
    FOOTER,
    FOOTER_MAGIC,
    SEGMENT_MAGIC,
    ChecksumError,
    checked_ext,
    crc32,
    footer,
    has_footer,
    read_segment_directory,
    segment_trailer,
    verify_footer,
)

__all__ = ["ChecksumStorage", "CheckedSegment", "CheckedCompound", "TOC_EXT"]

TOC_EXT = ".toc"
_COPY = 1 << 20  # bytes copied at a time into a segment file


class ViewFile(BufferFile):
    """A file of a segment: a view of the mapped segment file, copied only if read as a stream.

    Whoosh's ``BufferFile`` copies its whole buffer into a ``BytesIO`` when it
    is made, and opening a segment opens every file in it (postings, terms,
    columns, stored articles: the whole index): a search process copied the
    index before its first query (~0.05 s of CPU on 5,000 articles, growing
    with the archive). Everything that reads an index reads by position
    (``get``, ``get_array`` and the rest, on the view); the ``BytesIO`` is made
    the first time something reads the file as a stream (``read``, ``seek``).
    """

    def __init__(self, buf: Any, name: str | None = None, onclose: Any = None) -> None:
        self._buf = buf
        self._name = name
        self.onclose = onclose
        self.is_real = False
        self.is_closed = False
        self._stream: io.BytesIO | None = None

    @property
    def file(self) -> io.BytesIO:
        if self._stream is None:
            self._stream = io.BytesIO(self._buf)
        return self._stream

    def close(self) -> None:
        if self.is_closed:
            raise ValueError("This file is already closed")
        if self.onclose:
            self.onclose(self)
        if self._stream is not None:
            self._stream.close()
        self.is_closed = True


class ChecksumStorage(FileStorage):
    """The index directory, whose tables of contents carry a footer.

    *require_footer*: a table of contents without one is damage (an index of
    format 9); otherwise (formats 7 and 8) it is read as it is, and verified
    if it has one (written here by a newer vnsearch).
    """

    def __init__(self, path: str, require_footer: bool = True) -> None:
        super().__init__(path)
        self.require_footer = require_footer

    def rename_file(self, oldname: str, newname: str, safe: bool = False) -> None:
        if newname.endswith(TOC_EXT):  # Whoosh writes a table of contents aside, then renames it into place
            with open(self._fpath(oldname), "r+b") as f:
                data = f.read()
                f.write(footer(data))
        super().rename_file(oldname, newname, safe=safe)

    def open_file(self, name: str, **kwargs: Any) -> Any:
        if not name.endswith(TOC_EXT):
            return super().open_file(name, **kwargs)
        with open(self._fpath(name), "rb") as f:
            data = f.read()
        if has_footer(data) or self.require_footer:
            verify_footer(data, f"the table of contents {name}")
            data = data[:-FOOTER.size]
        return BufferFile(data, name=name)


class CheckedSegment(W3Segment):
    """A segment of format 9: its files in one segment file, each with a footer (see the module docstring)."""

    def create_compound_file(self, storage: Any) -> None:
        names = sorted(self.list_files(storage))
        assert not any(name.endswith(self.COMPOUND_EXT) for name in names)
        out = self.create_file(storage, self.COMPOUND_EXT)
        out.write(SEGMENT_MAGIC)
        position = len(SEGMENT_MAGIC)
        directory: dict[str, tuple[int, int]] = {}
        for name in names:
            length = 0
            crc = 0
            source = storage.open_file(name)
            try:
                while chunk := source.read(_COPY):
                    out.write(chunk)
                    crc = crc32(chunk, crc)
                    length += len(chunk)
            finally:
                source.close()
            out.write(FOOTER.pack(FOOTER_MAGIC, crc))
            directory[name] = (position, length)
            position += length + FOOTER.size
        out.write(segment_trailer(directory, position))
        out.close()
        for name in names:
            storage.delete_file(name)
        self.compound = True

    def open_compound_file(self, storage: Any) -> CheckedCompound:
        return CheckedCompound(storage.open_file(self.make_filename(self.COMPOUND_EXT)))


class CheckedCompound(CompoundStorage):
    """A format-9 segment file opened as a read-only storage of its files (mapped into memory)."""

    def __init__(self, dbfile: Any) -> None:
        self.is_closed = False
        self._locks: dict[str, Any] = {}
        self._file: Any = dbfile
        self._source: Any = None
        dbfile.seek(0, os.SEEK_END)
        size = dbfile.tell()
        try:
            self._source = mmap.mmap(dbfile.fileno(), 0, access=mmap.ACCESS_READ) if size else None
        except (OSError, ValueError, AttributeError):
            self._source = None
        if self._source is not None:
            view = memoryview(self._source)
            self._dir = read_segment_directory(lambda at, n: view[at: at + n], size)
            view.release()
            dbfile.close()
            self._file = None
        else:
            self._dir = read_segment_directory(dbfile.get, size)
        self._options: dict[str, Any] = {}
        self._verified: set[str] = set()

    def _bytes(self, offset: int, length: int) -> Any:
        if self._source is not None:
            return memoryview(self._source)[offset: offset + length]
        return self._file.get(offset, length)

    def verify_file(self, name: str) -> None:
        """Raise :class:`ChecksumError` unless *name*'s bytes match its footer."""
        offset, length = self.range(name)
        data = self._bytes(offset, length + FOOTER.size)
        try:
            verify_footer(data, name)
        finally:
            if isinstance(data, memoryview):
                data.release()

    def verify(self) -> list[str]:
        """Every file whose footer does not match (for ``vnsearch check``: the big files included)."""
        bad = []
        for name in sorted(self._dir):
            try:
                self.verify_file(name)
            except ChecksumError as exc:
                bad.append(str(exc))
        return bad

    def range(self, name: str) -> tuple[int, int]:
        try:
            return self._dir[name]
        except KeyError:
            raise NameError(f"Unknown file {name!r}") from None

    def open_file(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if self.is_closed:
            raise ChecksumError("the segment file was closed")
        offset, length = self.range(name)
        if name not in self._verified and not checked_ext(name):
            self.verify_file(name)
            self._verified.add(name)
        if self._source is not None:
            return ViewFile(memoryview(self._source)[offset: offset + length], name=name)
        return self._file.subset(offset, length, name=name)

    def list(self) -> list[str]:
        return list(self._dir)

    def file_exists(self, name: str) -> bool:
        return name in self._dir

    def file_length(self, name: str) -> int:
        return self.range(name)[1]

    def file_modified(self, name: str) -> float:
        return 0.0


def segment_file_buffer(storage: Any, segment: Any, ext: str) -> Any | None:
    """The bytes of *segment*'s file with extension *ext* in *storage* (mapped where it is), or None without one.

    The per-segment files vnsearch adds to Whoosh's (impacts, positions) are
    optional: a segment of an older format has none, and its reader falls
    back to the posting file.
    """
    name = segment.make_filename(ext)
    try:
        if not storage.file_exists(name):
            return None
        f = storage.open_file(name)
    except (OSError, NameError, KeyError):
        return None
    buf = getattr(f, "_buf", None)
    return f.read() if buf is None else buf
