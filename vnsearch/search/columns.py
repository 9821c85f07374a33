"""Per-snapshot document columns: dates, ages, facet values, and the filters built on them.

Each is built once per snapshot, on first use, from the keyword fields'
posting lists; a :class:`Columns` belongs to one :class:`~vnsearch.search.ranking.Ranker`
and is shared by the threads reading its snapshot (building one twice at once
is harmless: both results are equal).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

import numpy as np

from vnsearch.store.postings import Postings
from vnsearch.store.schema import facet_value
from vnsearch.store.snapshot import Snapshot
from vnsearch.store.statistics import LocalStatistics, Statistics, date_column, epoch_day

__all__ = ["Columns", "FACETS"]

_PUNCT = re.compile(r"[\W_]+")
FACETS = ("source", "category", "credit")


def _by_count(counts: dict[str, int]) -> dict[str, int]:
    """Most frequent first, then by name."""
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


class Columns:
    """Dates, ages, facets and filter masks of one snapshot's documents."""

    def __init__(self, snapshot: Snapshot, postings: Callable[[str, str], Postings],
                 stats: Statistics | None = None) -> None:
        self.snapshot = snapshot
        self.stats = stats or LocalStatistics(snapshot)  # the newest and oldest date of the corpus
        self.postings = postings  # the ranker's cached reader of posting lists
        self.size = snapshot.size
        self.live = snapshot.live
        self._dates: np.ndarray | None = None
        self._ages: np.ndarray | None = None
        self._facet_codes: dict[str, tuple[np.ndarray, list[str]]] = {}

    def _lexicon(self, fname: str) -> list[str]:
        return self.snapshot.lexicon(fname)

    def dates(self) -> np.ndarray:
        """Per global doc number: the date as YYYYMMDD, 0 when undated (built once per reader)."""
        if self._dates is None:
            self._dates = date_column(self.snapshot)
        return self._dates

    def ages(self) -> np.ndarray:
        """Per global doc number: days before the newest dated live article.

        Measured from the index's own newest article, not from today, so a
        recency-weighted search gives the same order tomorrow. Undated
        articles get the age of the oldest dated one (0 when none is dated).
        """
        if self._ages is None:
            dates = self.dates()
            ages = np.zeros(self.size, dtype=np.float64)
            dated = (dates > 0) & self.live
            values, inverse = np.unique(dates, return_inverse=True)
            days = np.array([epoch_day(int(v)) for v in values], dtype=np.float64)
            per_doc = days[inverse.reshape(-1)]
            newest, oldest = self.stats.date_span(float(per_doc[dated].max()) if dated.any() else None,
                                                  float(per_doc[dated].min()) if dated.any() else None)
            if newest is not None and oldest is not None:
                ages = np.where(dates > 0, newest - per_doc, newest - oldest)
                ages = np.maximum(ages, 0.0)  # a deleted article newer than every live one
            self._ages = ages
        return self._ages

    def recency(self, half_life_days: float) -> np.ndarray:
        """Per doc: ``0.5 ** (age_days / half_life_days)`` (see :meth:`ages`)."""
        return np.power(0.5, self.ages() / float(half_life_days)).astype(np.float32)

    def facet_codes(self, key: str) -> tuple[np.ndarray, list[str]]:
        """Per doc, an index into the display names of *key* (0 is "", none).

        Built once per reader from the folded keyword field, so it costs one
        posting list and one stored-field read per distinct value.
        """
        got = self._facet_codes.get(key)
        if got is None:
            codes = np.zeros(self.size, dtype=np.int32)
            names = [""]
            index = {"": 0}
            fname = key + "_k"
            for term in self._lexicon(fname):
                docs = self.snapshot.postings(fname, term).docs
                if not docs.size:
                    continue
                display = self.snapshot.stored(int(docs[0])).get(key) or term
                code = index.setdefault(display, len(names))
                if code == len(names):
                    names.append(display)
                codes[docs] = code
            got = self._facet_codes[key] = (codes, names)
        return got

    def facets(self, mask: np.ndarray) -> dict[str, dict[str, int]]:
        """Counts of the documents in *mask* per source, category, credit and month.

        Documents without a value count under "" so each facet sums to the
        number of documents in *mask*.
        """
        out: dict[str, dict[str, int]] = {}
        for key in FACETS:
            codes, names = self.facet_codes(key)
            counts = np.bincount(codes[mask], minlength=len(names))
            out[key] = _by_count({names[i]: int(c) for i, c in enumerate(counts) if c})
        months, counts = np.unique(self.dates()[mask] // 100, return_counts=True)
        out["month"] = _by_count({(f"{m // 100:04d}-{m % 100:02d}" if m else ""): int(c)
                                  for m, c in zip(months.tolist(), counts.tolist())})
        return out

    def date_mask(self, since: int | None, until: int | None) -> np.ndarray:
        """Dated documents within [since, until] (YYYYMMDD, inclusive)."""
        dates = self.dates()
        mask = dates > 0
        if since is not None:
            mask &= dates >= since
        if until is not None:
            mask &= dates <= until
        return mask

    def filter_mask(self, key: str, values: Iterable[str]) -> np.ndarray:
        """Documents whose source/category/credit contains one of *values*.

        Punctuation counts as a space on both sides, so ``kinh doanh`` finds
        the category slug ``kinh-doanh`` and ``dantri.com.vn`` the source
        ``Dân trí (dantri.com.vn)``.
        """
        fname = key + "_k"
        mask = np.zeros(self.size, dtype=bool)
        wanted = [" ".join(_PUNCT.sub(" ", facet_value(v)).split()) for v in values]
        for raw in self._lexicon(fname):
            term = " ".join(_PUNCT.sub(" ", raw).split())
            padded = f" {term} "
            if any(w and (w == term or f" {w} " in padded or w.replace(" ", "") in term.replace(" ", ""))
                   for w in wanted):
                p = self.postings(fname, raw)
                mask[p.docs] = True
        return mask
