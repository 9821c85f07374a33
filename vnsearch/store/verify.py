"""``vnsearch check``'s full read: every byte a search can touch, checksums verified and everything decoded.

Why: ``check`` used to read only the stored articles, so a flipped bit in a
posting list changed search answers while ``check`` said the index was
sound (issue 14). Here every segment is read whole: every file's checksum
footer (format 9, the files a search verifies only block by block
included), the term table (every block), every posting list (every block,
every document number, weight and position decoded), every stored
article, every column and every field's lengths. Searches read the same
bytes through the same decoders, so what this accepts they read alike.

A segment of format 7 or 8 has no checksums: it is decoded all the same,
and :func:`verify_segments` says so in a note (its damage can only be found
by decoding, not by checksum).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from vnsearch.store.damage import DECODE_ERRORS, damage_text
from vnsearch.store.files import CheckedCompound
from vnsearch.store.format import IMPACT_FIELDS, decode_buffer, decode_many
from vnsearch.store.impacts import Impacts
from vnsearch.store.positions import Positions
from vnsearch.store.postings import _read_leaf, block_weights, leaf_blocks, length_bytes, segments_of

__all__ = ["verify_segments", "NO_CHECKSUMS"]

NO_CHECKSUMS = "no checksums in format {version}: reindex to get them (vnsearch reindex --index-dir {path})"


def verify_segments(reader: Any, storage: Any) -> tuple[list[str], int]:
    """(problems found, segments without checksums) of every segment of *reader* (a Whoosh reader)."""
    problems: list[str] = []
    unchecked = 0
    for seg in segments_of(reader):
        leaf = seg.reader
        segment = leaf.segment()
        name = segment.segment_id()
        try:
            if getattr(leaf.codec(), "checksums", False):
                problems += [f"segment {name}: {bad}" for bad in _footers(segment, storage)]
            else:
                unchecked += 1
            problems += [f"segment {name}: {p}" for p in _decode_all(leaf, seg.doc_count)]
            if seg.impacts is not None:
                problems += [f"segment {name}: {p}" for p in _impacts(leaf, seg.impacts)]
            if seg.positions is not None:
                problems += [f"segment {name}: {p}" for p in _positions(leaf, seg.positions)]
        except DECODE_ERRORS as exc:
            problems.append(f"segment {name}: {damage_text(exc)}")
    return problems, unchecked


def _footers(segment: Any, storage: Any) -> list[str]:
    """Every file of a format-9 segment verified against its footer."""
    compound = segment.open_compound_file(storage)
    try:
        return compound.verify() if isinstance(compound, CheckedCompound) else []
    finally:
        compound.close()


def _decode_all(leaf: Any, doc_count: int) -> list[str]:
    problems = _postings(leaf, doc_count)
    perdoc = leaf._perdoc
    for docnum in range(doc_count):
        if not leaf.is_deleted(docnum):
            fields = perdoc.stored_fields(docnum)
            if not isinstance(fields, dict):
                problems.append(f"document #{docnum}'s stored fields are not a record")
    schema = leaf.schema
    for fieldname, field in schema.items():
        if field.scorable:
            length_bytes(perdoc, fieldname, doc_count)
        if field.column_type and leaf.has_column(fieldname):
            column = leaf.column_reader(fieldname, field.column_type, translate=False)
            for docnum in range(doc_count):
                column[docnum]
    return problems


def _postings(leaf: Any, doc_count: int) -> list[str]:
    """Every term's list decoded; its document numbers must ascend within the segment and match its count."""
    problems: list[str] = []
    terms = leaf._terms
    for (fieldname, tbytes), info in terms.items():
        if info.is_inlined():
            ids, weights, values = info.inlined_postings()
            docs = np.asarray(ids, dtype=np.int64)
            if values and any(values):
                decode_many([v or b"" for v in values])
        else:
            parts = []
            for count, gaps, weights, values in leaf_blocks(terms, info):
                if len(gaps) != count:
                    raise ValueError(f"a block of {fieldname}:{tbytes!r} holds {len(gaps)} postings, not {count}")
                parts.append(np.cumsum(gaps, dtype=np.int64))
                block_weights(count, weights)
                if values is not None and len(values):
                    _decode_values(values)
            docs = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
        if len(docs) != info.doc_frequency():
            problems.append(f"{fieldname}:{tbytes!r} lists {len(docs)} documents, its count says "
                            f"{info.doc_frequency()}")
        elif len(docs) and (docs.min() < 0 or docs.max() >= doc_count or (np.diff(docs) <= 0).any()):
            problems.append(f"{fieldname}:{tbytes!r} lists documents out of order or not in the segment")
    return problems


def _decode_values(values: Sequence[bytes]) -> None:
    """Every position of a block decoded (as a phrase check would)."""
    decode_many(list(values))


def _impacts(leaf: Any, impacts: Impacts) -> list[str]:
    """Format 10: every list of the impacts file read (its checksum verified) and equal to the one in ``.pst``.

    A search reads a list's documents and weights from the impacts file and
    its positions from ``.pst``: the two must hold the same postings.
    """
    problems: list[str] = []
    terms = leaf._terms
    listed = set()
    for fieldname, tbytes, _ in impacts.items():
        listed.add((fieldname, tbytes))
        got = impacts.read(fieldname, tbytes)
        try:
            info = terms.term_info(fieldname, tbytes)
        except Exception:  # TermNotFound, or a field the term table lacks
            problems.append(f"the impacts file lists {fieldname}:{tbytes!r}, which the term table lacks")
            continue
        ids, freqs, _ = _read_leaf(terms, info)
        if got is None or not np.array_equal(got[0], ids) or not np.array_equal(got[1], freqs):
            problems.append(f"{fieldname}:{tbytes!r} differs between the impacts file and the postings")
    for (fieldname, tbytes), _ in terms.items():
        if fieldname in IMPACT_FIELDS and (fieldname, tbytes) not in listed:
            problems.append(f"{fieldname}:{tbytes!r} is missing from the impacts file")
    return problems


def _positions(leaf: Any, positions: Positions) -> list[str]:
    """Format 11: every list of the positions file read (every block's checksum verified) and decoded.

    Each must belong to a list the term table keeps as blocks in ``.pst``,
    with as many postings; and every such list of a field with positions
    must be there (a search would find its positions missing).
    """
    problems: list[str] = []
    terms = leaf._terms
    schema = leaf.schema
    listed = set()
    for fieldname, tbytes, values in positions.items():
        listed.add((fieldname, tbytes))
        lengths, data = values.arrays()
        decode_buffer(lengths, data)
        try:
            info = terms.term_info(fieldname, tbytes)
        except Exception:  # TermNotFound, or a field the term table lacks
            problems.append(f"the positions file lists {fieldname}:{tbytes!r}, which the term table lacks")
            continue
        if info.is_inlined() or info.doc_frequency() != len(values):
            problems.append(f"{fieldname}:{tbytes!r} has {len(values)} postings in the positions file, "
                            f"{info.doc_frequency()} in the term table")
    for (fieldname, tbytes), info in terms.items():
        if (not info.is_inlined() and fieldname in schema and schema[fieldname].format.fixed_value_size() != 0
                and (fieldname, tbytes) not in listed):
            problems.append(f"{fieldname}:{tbytes!r} is missing from the positions file")
    return problems
