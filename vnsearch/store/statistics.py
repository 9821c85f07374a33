"""Corpus statistics for ranking: one index's own, or a sharded index's merged ones.

The ranker reads every number that depends on the whole corpus through one
:class:`Statistics` object: the live document count, document frequencies
(exact forms and words in ``text``, folded syllables in ``text_f``, title
syllables in ``title_f``), the number of articles holding *another* tone of a
syllable, average field lengths, and the newest and oldest date. An ordinary
index uses :class:`LocalStatistics` (its own snapshot, read as before); each
shard of a sharded index uses :class:`GlobalStatistics`, merged from every
shard after each indexing run, so a shard ranks its articles exactly as one
index holding the whole corpus would.

Why the tone count is exported on its own: the ranker's tone tier counts the
articles holding any *other* tone of a syllable (a union), which the forms'
document frequencies cannot give, but a sum over shards can (each article is
in one shard). Lengths are summed as float64, exact for any realistic corpus.

The merged statistics are one file, ``statistics-NNNNNN.npz`` in the sharded
directory (layout in :mod:`vnsearch.store.format`'s sharded-index section),
named by a version number the manifest points to.
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from vnsearch.lang.spelling import tone_variants
from vnsearch.lang.text import fold_tone
from vnsearch.store.snapshot import Snapshot

__all__ = ["Statistics", "LocalStatistics", "GlobalStatistics", "Partial", "partial_statistics", "as_partial",
           "merge_partials", "STATISTICS_VERSION", "DF_FIELDS", "LENGTH_FIELDS", "date_column", "epoch_day"]

STATISTICS_VERSION = 1
DF_FIELDS = ("text", "text_f", "title_f")  # every field the ranker and the query reader ask frequencies of
LENGTH_FIELDS = ("text", "text_f", "title_f")  # every field the ranker normalises lengths of
_EPOCH = date(1970, 1, 1).toordinal()


def epoch_day(yyyymmdd: int) -> int:
    """Days since 1970-01-01 of a YYYYMMDD date (0 for one that is not a real day)."""
    try:
        return date(yyyymmdd // 10000, yyyymmdd // 100 % 100, yyyymmdd % 100).toordinal() - _EPOCH
    except ValueError:
        return 0


class Statistics:
    """What the ranker asks of the corpus; this base reads one snapshot (see :class:`LocalStatistics`).

    Methods given the number the caller already holds from its own snapshot
    (*held*) return it as is for one index, and the corpus-wide number for
    a shard: the single index's path costs nothing more.
    """

    doc_count: int

    def df(self, fieldname: str, term: str, held: int) -> int:
        """Documents holding *term* in *fieldname*; *held*: how many this snapshot's postings hold."""
        raise NotImplementedError

    def doc_frequency(self, fieldname: str, term: str) -> int:
        """Documents holding *term* in *fieldname* (a lookup)."""
        raise NotImplementedError

    def other_tones(self, syllable: str, held: int) -> int:
        """Documents holding some other tone of *syllable* (``bán``, ``ban`` for ``bàn``); *held*: this snapshot's."""
        raise NotImplementedError

    def average_length(self, fieldname: str, lengths: np.ndarray, live: np.ndarray) -> float:
        """Mean length of *fieldname* over live documents; *lengths*/*live*: this snapshot's."""
        raise NotImplementedError

    def date_span(self, newest: float | None, oldest: float | None) -> tuple[float | None, float | None]:
        """(newest, oldest) dated live article, as days since 1970; the arguments are this snapshot's."""
        raise NotImplementedError


def mean_length(lengths: np.ndarray, live: np.ndarray) -> float:
    """The live documents' mean length, summed in float64 (a float32 sum is exact only below 2**24)."""
    count = int(np.count_nonzero(live))
    if not count:
        return 1.0
    return float(lengths[live].sum(dtype=np.float64)) / count


class LocalStatistics(Statistics):
    """One index's own statistics, read from its snapshot (the default)."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.doc_count = snapshot.doc_count

    def df(self, fieldname: str, term: str, held: int) -> int:
        return held

    def doc_frequency(self, fieldname: str, term: str) -> int:
        return self.snapshot.doc_frequency(fieldname, term)

    def other_tones(self, syllable: str, held: int) -> int:
        return held

    def average_length(self, fieldname: str, lengths: np.ndarray, live: np.ndarray) -> float:
        return mean_length(lengths, live)

    def date_span(self, newest: float | None, oldest: float | None) -> tuple[float | None, float | None]:
        return newest, oldest


@dataclass
class Partial:
    """One shard's share of the statistics; shares add up (:func:`merge_partials`)."""

    doc_count: int = 0
    dfs: dict[str, dict[str, int]] = field(default_factory=dict)  # field -> term -> documents
    tones: dict[str, int] = field(default_factory=dict)  # held syllable -> documents with another tone of it
    families: dict[str, int] = field(default_factory=dict)  # level form -> documents with any tone of it
    length_sums: dict[str, float] = field(default_factory=dict)  # field -> live lengths summed (float64)
    newest: float | None = None  # days since 1970 of the newest dated live article
    oldest: float | None = None


def partial_statistics(snapshot: Snapshot) -> Partial:
    """*snapshot*'s share of the statistics (about a second per 5,000 articles, mostly the tone unions)."""
    out = Partial(doc_count=snapshot.doc_count)
    for fname in DF_FIELDS:
        out.dfs[fname] = dict(snapshot.term_frequencies(fname))
    for fname in LENGTH_FIELDS:
        lengths = snapshot.field_lengths(fname)
        out.length_sums[fname] = float(lengths[snapshot.live].sum(dtype=np.float64))
    # The tone unions: per family of syllables (the same letters, any tone) held in `text`, as the
    # ranker's tone tier reads them (the canonical spellings of tone_variants only).
    by_level: dict[str, list[str]] = {}
    for term in out.dfs.get("text", {}):
        if " " not in term and term.isalpha():
            by_level.setdefault(fold_tone(term), []).append(term)
    for terms in by_level.values():
        variants = tone_variants(terms[0])
        members = [t for t in terms if t in variants] if len(variants) > 1 else []
        if not members:
            continue
        docs = {m: snapshot.postings("text", m).docs for m in members}
        union, counts = np.unique(np.concatenate(list(docs.values())), return_counts=True)
        out.families[variants[0]] = int(union.size)
        for m, held in docs.items():
            alone = int(np.count_nonzero(counts[np.searchsorted(union, held)] == 1)) if held.size else 0
            out.tones[m] = int(union.size) - alone
    days = _dated_days(snapshot)
    if days.size:
        out.newest, out.oldest = float(days.max()), float(days.min())
    return out


def date_column(snapshot: Snapshot) -> np.ndarray:
    """Per doc number: the date as YYYYMMDD, 0 when undated (the ranker's date column, and the statistics' dates).

    Each day's posting list is read directly: one list per day would crowd a query cache.
    """
    dates = np.zeros(snapshot.size, dtype=np.int32)
    for term in snapshot.lexicon("date"):
        try:
            value = int(term.replace("-", ""))
        except ValueError:
            continue
        dates[snapshot.postings("date", term).docs] = value
    return dates


def _dated_days(snapshot: Snapshot) -> np.ndarray:
    """Days since 1970 of every dated live document (as the ranker's date column reads them)."""
    dates = date_column(snapshot)
    dated = (dates > 0) & snapshot.live
    values = np.unique(dates[dated])
    return np.array([epoch_day(int(v)) for v in values], dtype=np.float64)


def as_partial(stats: GlobalStatistics) -> Partial:
    """*stats* (one shard's, as saved) as a share to merge again."""
    return Partial(stats.doc_count, stats.dfs, stats.tones, stats.families, stats.length_sums, stats.newest,
                   stats.oldest)


def merge_partials(partials: Iterable[Partial], version: int = 0) -> GlobalStatistics:
    """The corpus-wide statistics of shards whose shares are *partials*."""
    stats = GlobalStatistics(version=version)
    newest: list[float] = []
    oldest: list[float] = []
    partials = list(partials)
    # A syllable one shard lacks: every article there holding a tone of it holds another one.
    levels = {m: tone_variants(m)[0] for part in partials for m in part.tones}
    for part in partials:
        for m, level in levels.items():
            n = part.tones.get(m, part.families.get(level, 0))
            if n:
                stats.tones[m] = stats.tones.get(m, 0) + n
            else:
                stats.tones.setdefault(m, 0)
        stats.doc_count += part.doc_count
        for fname, table in part.dfs.items():
            into = stats.dfs.setdefault(fname, {})
            for term, n in table.items():
                into[term] = into.get(term, 0) + n
        for level, n in part.families.items():
            stats.families[level] = stats.families.get(level, 0) + n
        for fname, total in part.length_sums.items():
            stats.length_sums[fname] = stats.length_sums.get(fname, 0.0) + total
        if part.newest is not None and part.oldest is not None:
            newest.append(part.newest)
            oldest.append(part.oldest)
    stats.newest = max(newest) if newest else None
    stats.oldest = min(oldest) if oldest else None
    return stats


class GlobalStatistics(Statistics):
    """The merged statistics of a sharded index: every shard's searcher ranks by these."""

    def __init__(self, version: int = 0) -> None:
        self.version = version
        self.doc_count = 0
        self.dfs: dict[str, dict[str, int]] = {}
        self.tones: dict[str, int] = {}
        self.families: dict[str, int] = {}
        self.length_sums: dict[str, float] = {}
        self.newest: float | None = None
        self.oldest: float | None = None
        self._family_lock = threading.Lock()

    def df(self, fieldname: str, term: str, held: int) -> int:
        return self.dfs.get(fieldname, {}).get(term, 0)

    def doc_frequency(self, fieldname: str, term: str) -> int:
        return self.dfs.get(fieldname, {}).get(term, 0)

    def other_tones(self, syllable: str, held: int) -> int:
        got = self.tones.get(syllable)
        if got is not None:
            return got
        # Not held anywhere: every document holding a tone of it holds another one.
        variants = tone_variants(syllable)
        return self.families.get(variants[0], 0) if variants else 0

    def average_length(self, fieldname: str, lengths: np.ndarray, live: np.ndarray) -> float:
        if not self.doc_count:
            return 1.0
        return self.length_sums.get(fieldname, 0.0) / self.doc_count

    def date_span(self, newest: float | None, oldest: float | None) -> tuple[float | None, float | None]:
        if self.newest is None or self.oldest is None:
            return newest, oldest
        return self.newest, self.oldest

    def term_frequencies(self, fieldname: str) -> list[tuple[str, int]]:
        """(term, documents) of every term of *fieldname*, in term order."""
        return sorted(self.dfs.get(fieldname, {}).items())

    # -- the file ----------------------------------------------------------------

    def save(self, path: Path) -> None:
        """Write the statistics to *path* (the caller renames it into place)."""
        header = {"format": "vnsearch-statistics", "version": STATISTICS_VERSION, "snapshot": self.version,
                  "doc_count": self.doc_count, "length_sums": self.length_sums,
                  "newest": self.newest, "oldest": self.oldest, "fields": list(self.dfs)}
        arrays: dict[str, np.ndarray] = {"header": _blob(json.dumps(header))}
        tables = {**{f"df.{k}": v for k, v in self.dfs.items()}, "tones": self.tones, "families": self.families}
        for name, table in tables.items():
            terms = sorted(table)
            arrays[f"{name}.terms"] = _blob("\n".join(terms))
            arrays[f"{name}.counts"] = np.array([table[t] for t in terms], dtype=np.int64)
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **arrays)  # type: ignore[arg-type]
        path.write_bytes(buffer.getvalue())

    @classmethod
    def load(cls, path: Path) -> GlobalStatistics:
        """The statistics in *path*; ValueError for a file this version cannot read."""
        try:
            with np.load(path, allow_pickle=False) as data:
                header = json.loads(_text(data["header"]))
                if header.get("format") != "vnsearch-statistics" or header.get("version") != STATISTICS_VERSION:
                    raise ValueError(f"{path}: not a statistics file of version {STATISTICS_VERSION}")
                stats = cls(int(header["snapshot"]))
                stats.doc_count = int(header["doc_count"])
                stats.length_sums = {k: float(v) for k, v in header["length_sums"].items()}
                stats.newest, stats.oldest = header["newest"], header["oldest"]
                for fname in header["fields"]:
                    stats.dfs[fname] = _table(data, f"df.{fname}")
                stats.tones = _table(data, "tones")
                stats.families = _table(data, "families")
        except Exception as exc:
            import zipfile  # (imported by np.load when it read the file; not by every process that imports this)

            if not isinstance(exc, (OSError, KeyError, zipfile.BadZipFile, json.JSONDecodeError)):
                raise
            raise ValueError(f"{path}: unreadable statistics ({exc})") from exc
        return stats


def _blob(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-8"), dtype=np.uint8)


def _text(array: Any) -> str:
    return bytes(np.asarray(array, dtype=np.uint8)).decode("utf-8")


def _table(data: Mapping[str, Any], name: str) -> dict[str, int]:
    text = _text(data[f"{name}.terms"])
    counts = np.asarray(data[f"{name}.counts"]).tolist()
    terms = text.split("\n") if text else []
    if len(terms) != len(counts):
        raise ValueError(f"statistics table {name}: {len(terms)} terms for {len(counts)} counts")
    return dict(zip(terms, counts))
