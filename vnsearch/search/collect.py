"""From a ranking to hits: stored fields, snippets, and near-duplicates folded together."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from vnsearch import caps
from vnsearch.search.highlight import Highlighter, Snippet
from vnsearch.search.query import ParsedQuery
from vnsearch.search.ranking import Ranking
from vnsearch.search.results import Hit, SearchResults
from vnsearch.search.understand import Alternative
from vnsearch.search.view import SnapshotView
from vnsearch.store.format import SIGNATURE_BYTES
from vnsearch.store.signature import (
    MINHASH_BANDS,
    NEAR_DUPLICATE,
    band_rows,
    estimated_jaccard,
    signature_of,
)
from vnsearch.store.snapshot import Snapshot

__all__ = ["build_hit", "collapse", "collect"]


def collect(view: SnapshotView, parsed: ParsedQuery, limit: int, offset: int, snippet_chars: int, sort: str,
            facets: bool, filters: dict[str, list[str]], half_life: float | None,
            collapse_copies: bool, alternatives: Mapping[str, Sequence[Alternative]] | None = None,
            corrections: Mapping[str, Sequence[str]] | None = None,
            ) -> tuple[SearchResults, list[dict[str, Any]]]:
    """The page of hits for *parsed* on *view*, and the hits' stored fields (for suggestions).

    *alternatives*: likely corrections of typed syllables, scored next to them (see ``Ranker.rank``);
    *corrections*: those told to the user, highlighted too.
    """
    snapshot, ranker = view.snapshot, view.ranker
    highlighter = Highlighter.for_query(parsed, corrections)
    hits = []
    shown: list[dict[str, Any]] = []  # the hits' stored fields
    ranking: Ranking
    if not collapse_copies:
        ranking = ranker.rank(parsed, limit=limit, offset=offset, sort=sort, facets=facets, filters=filters,
                              half_life=half_life, alternatives=alternatives)
        for i, (doc, score) in enumerate(zip(ranking.docs, ranking.scores)):
            fields = snapshot.stored(int(doc))
            shown.append(fields)
            hits.append(build_hit(fields, float(score), offset + i + 1, highlighter, snippet_chars))
    else:
        fetch = (offset + limit) * 2 + 20
        ranking = ranker.rank(parsed, limit=fetch, offset=0, sort=sort, facets=facets, filters=filters,
                              half_life=half_life, alternatives=alternatives)
        while True:
            groups = collapse(snapshot, ranking.docs, offset + limit)
            if len(groups) >= offset + limit or len(ranking.docs) < fetch:
                break
            fetch *= 4  # many copies among the matches: look further down
            ranking = ranking.extended(fetch) or ranker.rank(
                parsed, limit=fetch, offset=0, sort=sort, facets=facets, filters=filters, half_life=half_life,
                alternatives=alternatives)
        position = {int(d): float(s) for d, s in zip(ranking.docs, ranking.scores)}
        for i, (doc, fields, copies) in enumerate(groups[offset: offset + limit]):
            shown.append(fields)
            hit = build_hit(fields, position[doc], offset + i + 1, highlighter, snippet_chars)
            # Only the copies' ids are shown: read from the id column, not each copy's whole stored article
            # (a story re-issued nine times cost nine inflated articles a hit).
            hit.similar_ids = snapshot.field_texts("id", copies) if copies else []
            hits.append(hit)
    results = SearchResults(hits, ranking.total, ranking.matched, parsed, offset, sort, ranking.facets)
    return results, shown


def collapse(snapshot: Snapshot, docs: np.ndarray, wanted: int) -> list[tuple[int, dict[str, Any], list[int]]]:
    """Walk ranked *docs*, folding near-copies into the best-ranked of each group.

    Returns up to *wanted* groups as (doc, stored fields, copies). A later
    match is a copy of a group's first doc when they share a MinHash band
    and their signatures estimate a 5-shingle Jaccard ≥ ``NEAR_DUPLICATE``.
    Only documents in *docs* are considered, so their signatures are read
    (one fixed-width value per doc) and compared here, in memory: every
    pair at once in numpy (:func:`_near_pairs`), for the few dozen documents
    a page fetches.
    """
    order = [int(d) for d in docs]
    pairwise = len(order) <= _PAIRWISE_DOCS and len(set(order)) == len(order)
    rows = snapshot.fixed_rows("minhash", order) if pairwise else None
    if rows is not None:  # the signatures read as one array (a format of fixed-width columns: every one)
        near = _near_rows(rows)
    else:
        column = snapshot.column("minhash")
        raw = column.values(order) if column is not None else [None] * len(order)
        if not pairwise:
            return _collapse_by_bands(snapshot, order, [signature_of(r) for r in raw], wanted)
        near = _near_pairs(raw)
    absorbed = [False] * len(order)
    groups = []
    for i, doc in enumerate(order):
        if absorbed[i]:
            continue
        copies = []
        if near is not None:
            for j in near[i]:
                if not absorbed[j]:
                    absorbed[j] = True
                    copies.append(order[j])
        groups.append((doc, snapshot.stored(doc), copies))
        if len(groups) >= wanted:
            break
    return groups


# Up to this many ranked documents, collapse compares every pair at once (an n × n × 32 array).
_PAIRWISE_DOCS = 256


def _near_pairs(raw: Sequence[bytes | None]) -> list[list[int]] | None:
    """:func:`_near_rows` of signatures read value by value (a value of another width is none)."""
    rows = np.zeros((len(raw), SIGNATURE_BYTES), dtype=np.uint8)
    for k, r in enumerate(raw):
        if r and len(r) == SIGNATURE_BYTES:  # as signature_of
            rows[k] = np.frombuffer(r, dtype=np.uint8)
    return _near_rows(rows)


def _near_rows(rows: np.ndarray) -> list[list[int]] | None:
    """For each document, the later ones (by index) it would absorb: sharing a band, and near enough.

    *rows*: the documents' signatures, the rows of one uint8 array
    (``Snapshot.fixed_rows``). The same pairs as grouping the bands in a
    dict and comparing each candidate's signature (``_collapse_by_bands``):
    two documents share a band when its ``MINHASH_ROWS`` hashes are equal
    (every pair compared by one 64-bit key per band, then the few pairs
    found hash by hash), and the Jaccard estimate, worked out for those
    pairs only, is the same mean of equal hashes.
    None when no document has a signature.
    """
    if rows.ndim != 2 or rows.shape[1] != SIGNATURE_BYTES:
        return None
    have = np.flatnonzero(rows.any(axis=1)).tolist()  # a signature of zeros is none, as signature_of says
    if not have:
        return None
    stack = np.ascontiguousarray(rows[have]).view(np.uint32)
    # One 64-bit key per band: equal bands have equal keys (equal keys of unequal
    # bands, were there any, are told apart by the exact check below).
    words = stack.view(np.uint64).reshape(len(have), MINHASH_BANDS, -1)
    keys = words[:, :, 0].copy()
    for w in range(1, words.shape[2]):
        keys = keys * np.uint64(0x9E3779B97F4A7C15) + words[:, :, w]
    share = np.zeros((len(have), len(have)), dtype=bool)
    for band in range(MINHASH_BANDS):
        share |= keys[:, band, None] == keys[None, :, band]
    first, second = np.nonzero(np.triu(share, 1))
    if len(first):
        equal = stack[first] == stack[second]
        shared = equal.reshape(len(first), MINHASH_BANDS, -1).all(axis=2).any(axis=1)
        first, second, equal = first[shared], second[shared], equal[shared]
    near: list[list[int]] = [[] for _ in range(len(rows))]
    if len(first):
        estimate = equal.mean(axis=1)
        for a, b, e in zip(first.tolist(), second.tolist(), estimate.tolist()):
            if e >= NEAR_DUPLICATE:
                near[have[a]].append(have[b])
    return near


def _collapse_by_bands(snapshot: Snapshot, order: list[int], signature_list: list[np.ndarray | None],
                       wanted: int) -> list[tuple[int, dict[str, Any], list[int]]]:
    """:func:`collapse` for many documents: bands grouped in a dict, candidates compared one by one."""
    rank = {doc: i for i, doc in enumerate(order)}
    signatures = dict(zip(order, signature_list))
    sharing: dict[tuple[int, bytes], list[int]] = {}  # band -> docs holding it, in rank order
    for doc in order:
        sig = signatures[doc]
        if sig is not None:
            for band in band_rows(sig):
                sharing.setdefault(band, []).append(doc)
    absorbed: set[int] = set()
    groups = []
    for doc in order:
        if doc in absorbed:
            continue
        fields = snapshot.stored(doc)
        copies = []
        sig = signatures[doc]
        if sig is not None:
            candidates: set[int] = set()
            for band in band_rows(sig):
                holders = sharing[band]
                if len(holders) > 1:  # most bands are this doc's alone
                    candidates.update(holders)
            later = sorted((rank[c], c) for c in candidates
                           if c != doc and c not in absorbed and rank[c] > rank[doc])
            for _, c in later:
                other = signatures[c]
                if other is not None and estimated_jaccard(sig, other) >= NEAR_DUPLICATE:
                    absorbed.add(c)
                    copies.append(c)
        groups.append((doc, fields, copies))
        if len(groups) >= wanted:
            break
    return groups


def _hit_texts(fields: Mapping[str, Any]) -> tuple[str, str, str]:
    """The texts a hit's snippets are cut from: body, lead (only their indexed part can hold a match), title."""
    return (fields.get("body", "")[: caps.ANALYSED_CHARS], fields.get("lead", "")[: caps.ANALYSED_CHARS],
            fields.get("title", ""))


def build_hit(fields: Mapping[str, Any], score: float, rank: int, highlighter: Highlighter,
              snippet_chars: int) -> Hit:
    """A :class:`Hit` of a document's stored *fields*, with its snippet and title highlighted.

    The query's syllables are found in the body, lead and title together
    (``Highlighter.found_in``: one text prepared, folded and searched, not
    three), and the lead's passage is made only when it could win: when
    it has more candidates than the body's passage has highlights.
    """
    body, lead, title = texts = _hit_texts(fields)
    found = highlighter.found_in(texts)
    # The passage comes from the body if the query is found there, else the lead.
    best = None
    for text, candidates in ((body, found[0]), (lead, found[1])):
        if not text:
            continue
        if best is not None and len(candidates) <= len(best.highlights):
            continue  # a passage has at most a highlight a candidate: it cannot have more
        snip = highlighter.snippet(text, snippet_chars, found=candidates)
        if snip.highlights or best is None:
            if best is None or len(snip.highlights) > len(best.highlights):
                best = snip
    best = best or Snippet("")
    title_snip = highlighter.snippet(title, whole=True, found=found[2])
    return Hit(
        id=fields["id"], score=score, rank=rank, title=title_snip.text, date=fields.get("date", "") or "",
        source=fields.get("source", ""), credit=fields.get("credit", ""), url=fields.get("url", ""),
        category=fields.get("category", ""), snippet=best.text, highlights=best.highlights,
        title_highlights=title_snip.highlights, title_derived=bool(fields.get("title_derived", False)),
        time=fields.get("time", "") or "",
    )


def own_hits_fit(sort: str, offset: int, half_life: float | None, filters: Mapping[str, Sequence[str]],
                 parsed: ParsedQuery, shown: int, limit: int, context_hits: int) -> bool:
    """Whether the hits shown are the top relevance hits of the query alone (so a suggestion may read them)."""
    return (sort == "relevance" and not offset and half_life is None and not filters
            and not parsed.has_date_filter and (shown >= context_hits or shown < limit))
