#!/usr/bin/env python3
"""Whether two index directories hold the same bytes, the random segment names aside.

    python bench/index_bytes.py DIR_A DIR_B

Two builds of the same articles differ only in the segments' random names
(``MAIN_<name>.seg``), which the table of contents and the compound file's
directory spell out, and in the CRC32 footers (vnsearch.store.files) that
cover those names. This maps each segment of A onto the segment of B at the
same place in the table of contents, replaces the names in A's bytes, and
compares every file with the other's, footer excluded: a change that alters
any written byte other than a name shows up. Exit status 0 when every file
is the same, 1 otherwise.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from zlib import crc32

from vnsearch.store.format import FOOTER, SEGMENT_TRAILER, footer

_SEGMENT = re.compile(r"MAIN_(\w+)\.seg")


def checksummed_again(name: str, data: bytes) -> bytes:
    """*data* of file *name* with the CRC-32 its names feed into computed again."""
    if name.endswith(".toc"):
        body = data[:-FOOTER.size]
        return body + footer(body)
    if name.endswith(".seg") and len(data) > SEGMENT_TRAILER.size:
        offset, length, _, magic = SEGMENT_TRAILER.unpack(data[-SEGMENT_TRAILER.size:])
        body = data[offset: offset + length]
        return data[:offset + length] + SEGMENT_TRAILER.pack(offset, length, crc32(body), magic)
    return data


def segment_names(index: Path) -> list[str]:
    """The segments' names, in the order the newest table of contents lists them."""
    tocs = sorted(index.glob("_MAIN_*.toc"), key=lambda p: int(p.stem.rsplit("_", 1)[1]))
    if not tocs:
        raise SystemExit(f"{index}: no table of contents (_MAIN_*.toc); not an index")
    toc = tocs[-1].read_bytes()
    names = [m.group(1) for p in index.glob("MAIN_*.seg") if (m := _SEGMENT.fullmatch(p.name))]
    return sorted(names, key=lambda n: toc.find(n.encode()))


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: index_bytes.py DIR_A DIR_B", file=sys.stderr)
        return 2
    a, b = Path(args[0]), Path(args[1])
    names_a, names_b = segment_names(a), segment_names(b)
    if len(names_a) != len(names_b):
        print(f"DIFFERENT: {len(names_a)} segments in {a}, {len(names_b)} in {b}")
        return 1
    mapping = dict(zip(names_a, names_b))

    def renamed(name: str) -> str:
        return _SEGMENT.sub(lambda m: f"MAIN_{mapping.get(m.group(1), m.group(1))}.seg", name)

    files_a = sorted(p.name for p in a.iterdir() if p.is_file() and p.name != "MAIN_WRITELOCK")
    files_b = {p.name for p in b.iterdir() if p.is_file() and p.name != "MAIN_WRITELOCK"}
    same = {renamed(n) for n in files_a} == files_b
    if not same:
        print(f"DIFFERENT file sets: {sorted({renamed(n) for n in files_a} ^ files_b)}")
    for name in files_a:
        other = b / renamed(name)
        if not other.is_file():
            continue
        data_a, data_b = (a / name).read_bytes(), other.read_bytes()
        for old, new in mapping.items():
            data_a = data_a.replace(old.encode(), new.encode())
        ok = checksummed_again(name, data_a) == data_b
        same &= ok
        print(f"{'same' if ok else 'DIFFERENT'}  {name} ({len(data_a):,} bytes)  {other.name}")
    print("IDENTICAL apart from segment names" if same else "DIFFERENT")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
