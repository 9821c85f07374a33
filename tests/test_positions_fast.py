"""The positions read path made cheaper (issue 17), held to the code it replaced, bit for bit.

decode_buffer's single pass over the bytes (format.decode_shifted), the
gathered reads of positions lists (BlockValues/JoinedValues/Values.gather)
and the proximity step's one decoding call for every syllable
(proximity.position_keys_many) must give exactly what the earlier code gave:
its decode_buffer, position_keys and proximity are copied here verbatim
(from 775a4ad) as the references, and compared on random values (every
varint length, zone marks, empty values) and on an index of corpus articles
(with a deletion, so lists with left-out postings; joined lists of several
segments are compared on random values).
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from conftest import read_corpus_lines
from test_positions import _file

from vnsearch import SearchEngine, caps
from vnsearch.search import ranking
from vnsearch.search.proximity import KEY_SHIFT, POSITION_MASK, position_keys, position_keys_many, proximity
from vnsearch.search.scoring import RankParams, Unit
from vnsearch.store import format as fmt
from vnsearch.store.positions import JoinedValues, Positions
from vnsearch.store.postings import Postings, Values
from vnsearch.store.schema import ZONE_OFFSET

Int64s = npt.NDArray[np.int64]


# -- the references: the code before, verbatim ------------------------------------------

def old_decode_buffer(lengths: Int64s, data: npt.NDArray[np.uint8]) -> tuple[Int64s, Int64s]:
    """:func:`decode_many` of values given as their lengths and their bytes end to end (uint8).

    The varints are summed from their 7-bit groups, then a zero (a zone
    marker) makes the next number the new zone's head (position in zone << 2
    | zones skipped), and every other number is a gap: positions are running
    sums restarted at each head and each value.

    Work over every byte or number is a handful of passes: the bytes that
    continue a varint (a minority), the restarts (one per value and per zone
    head) and the zones are handled as short arrays of their own, and
    spread back over the numbers with one ``repeat`` each (a phrase of two
    common syllables decodes 300k bytes of positions).
    """
    if not lengths.size:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    first_byte = np.zeros(lengths.size, dtype=np.int64)
    np.cumsum(lengths[:-1], out=first_byte[1:])
    more = np.flatnonzero(data >= 0x80)  # bytes after which a varint goes on
    if not more.size:  # every varint one byte (short gaps, early zone heads)
        numbers = data.astype(np.int64)
        starts = first_byte  # each value's first number
    else:
        numbers = (data & 0x7F).astype(np.int64)
        run_start = np.ones(more.size, dtype=bool)  # a run of continued bytes starts a varint
        run_start[1:] = more[1:] != more[:-1] + 1
        later = more + 1  # the bytes folded into the varint's first
        if run_start.all():  # every varint at most two bytes
            numbers[more] += numbers[later] << 7
        else:
            run_first = np.flatnonzero(run_start)
            depth = np.arange(more.size) - run_first[np.cumsum(run_start) - 1]  # of the byte before, in its varint
            numbers[more[run_first]] += np.add.reduceat(numbers[later] << (7 * (depth + 1)), run_first)
        kept = np.ones(data.size, dtype=bool)
        kept[later] = False
        numbers = numbers[kept]
        starts = first_byte - np.searchsorted(later, first_byte)
    count = numbers.size
    marker = numbers == 0
    heads = np.flatnonzero(marker)
    heads += 1
    restart = np.zeros(count, dtype=bool)
    restart[starts] = True
    is_start = restart.copy()
    restart[heads] = True
    firsts = np.flatnonzero(restart)  # where each run of gaps starts: a value, or a zone head
    head_values = numbers[heads]
    step = numbers  # (numbers is not read again)
    step[heads] = head_values >> 2
    step[starts] -= 1  # a value's first position is its gap from -1
    total = np.cumsum(step)
    # Per run of gaps: its value, and the zones skipped before it within that value.
    run_is_start = is_start[firsts]
    skipped = np.zeros(firsts.size, dtype=np.int64)
    skipped[~run_is_start] = head_values & 3
    zones = np.cumsum(skipped)
    value_first = np.flatnonzero(run_is_start)
    run_owner = np.cumsum(run_is_start) - 1
    zones -= (zones[value_first] - skipped[value_first])[run_owner]
    run_lengths = np.diff(firsts, append=count)
    positions = total + np.repeat(zones * ZONE_OFFSET - (total[firsts] - step[firsts]), run_lengths)
    owner = np.repeat(run_owner, run_lengths)
    keep = ~marker
    return owner[keep], positions[keep]


def old_position_keys(postings: Postings | tuple[Postings, ...] | None, docs: np.ndarray,
                  cap: int | None = None) -> np.ndarray:
    """Sorted keys of every position, in *postings*, of each of *docs* (in their order; those absent have none).

    With *cap*, only each document's first *cap* positions: what proximity
    reads (:data:`vnsearch.caps.PROXIMITY_POSITIONS`), so its work does not
    grow with the length of the articles. Phrases pass no cap: they must be exact.
    Several postings (a typed syllable and its corrections): each document's
    positions from the first that holds it, so a correction stands where the
    typed syllable is missing.
    """
    if isinstance(postings, tuple):
        merged = old_position_keys(postings[0], docs, cap)
        for more in postings[1:]:
            # The documents no earlier postings placed (not np.setdiff1d/np.unique: the
            # first np.unique of a process imports numpy.ma, ~10 ms of a cold search).
            held = np.zeros(docs.size, dtype=bool)
            held[merged >> KEY_SHIFT] = True
            missing = np.flatnonzero(~held)
            if not missing.size:
                break
            got = old_position_keys(more, docs[missing], cap)
            if got.size:
                got = missing[got >> KEY_SHIFT] << KEY_SHIFT | (got & POSITION_MASK)
                merged = np.sort(np.concatenate([merged, got]))
        return merged
    if postings is None:  # a phrase unit has no positions of its own
        return np.zeros(0, dtype=np.int64)
    pd = postings.docs
    if not len(pd) or not len(postings.values):
        return np.zeros(0, dtype=np.int64)
    idx = np.minimum(np.searchsorted(pd, docs), len(pd) - 1)
    found = np.flatnonzero(pd[idx] == docs)
    if not found.size:
        return np.zeros(0, dtype=np.int64)
    values: Any = postings.values  # Values, or the snapshot's guarded Values: both decode
    owner, positions = values.decode(idx[found])
    keys: np.ndarray = found[owner] << KEY_SHIFT | positions
    if cap is not None and keys.size > cap:
        # Keys sort by document, then position: a key's rank within its document.
        first = np.searchsorted(keys, (keys >> KEY_SHIFT) << KEY_SHIFT)
        keys = keys[np.arange(keys.size) - first < cap]
    return keys


def old_proximity(runs: list[list[Unit]], docs: np.ndarray, p: RankParams) -> tuple[np.ndarray, np.ndarray]:
    """Bonus for query syllables that stand together, in order, in each candidate.

    *runs* holds the units of each run of query words. Each adjacent pair of
    syllables found next to each other in a document earns ``pair_weight``
    × their mean idf (``near_weight`` where merely within ``near_window``),
    and the longest chain of consecutive query syllables earns
    ``chain_weight`` per syllable beyond two: six query syllables in a row
    are far stronger evidence than three scattered pairs.

    Each syllable's positions in every candidate are decoded in one go as
    sorted keys (:func:`position_keys`), so "x + 1 in the next list"
    and "within the window" are searches in sorted arrays, not a Python
    loop per candidate. Returns the bonus per candidate and whether some run
    of the query stands in the title (every syllable before ``ZONE_OFFSET``)
    in the order typed.
    """
    k = len(docs)
    owners = np.arange(k, dtype=np.int64)
    keys_of: dict[int, np.ndarray] = {}

    def keys(u: Unit) -> np.ndarray:
        got = keys_of.get(id(u))
        if got is None:
            got = keys_of[id(u)] = old_position_keys(u.postings, docs, caps.PROXIMITY_POSITIONS)
        return got

    def following(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per key of *a*: whether key + 1 is in *b*, and where it would be."""
        if not b.size:
            return np.zeros(a.size, dtype=bool), np.zeros(a.size, dtype=np.int64)
        at = np.minimum(np.searchsorted(b, a + 1), b.size - 1)
        return b[at] == a + 1, at

    bonus = np.zeros(k, dtype=np.float64)
    ordered = np.zeros(k, dtype=bool)
    for run in runs:
        idf = [u.idf for u in run]
        lists = [keys(u) for u in run]
        longest = np.zeros(k, dtype=np.int64)
        chain_next = None  # chain lengths of the following syllable's keys
        for i in range(len(run) - 1, -1, -1):
            a = lists[i]
            if not a.size:
                chain_next = None
                continue
            chain = np.ones(a.size, dtype=np.int64)
            if i + 1 < len(run) and lists[i + 1].size:
                b = lists[i + 1]
                hit, at = following(a, b)
                if chain_next is not None:
                    chain += np.where(hit, chain_next[at], 0)
                pair_idf = (idf[i] + idf[i + 1]) / 2
                adjacent = np.zeros(k, dtype=bool)
                adjacent[a[hit] >> KEY_SHIFT] = True
                lo = np.minimum(np.searchsorted(b, a - p.near_window), b.size - 1)
                near = np.zeros(k, dtype=bool)
                close = (b[lo] >= a - p.near_window) & (b[lo] <= a + p.near_window)
                near[a[close] >> KEY_SHIFT] = True
                bonus += np.where(adjacent, pair_idf * p.pair_weight,
                                  np.where(near, pair_idf * p.near_weight, 0.0))
            np.maximum.at(longest, a >> KEY_SHIFT, chain)
            chain_next = chain
        bonus += np.where(longest > 2, (longest - 2) * sum(idf) / len(idf) * p.chain_weight, 0.0)
        if p.title_order_weight and len(run) > 1:
            # Each syllable's first position after the previous one's, all in the title.
            last = np.full(k, -1, dtype=np.int64)
            alive = np.ones(k, dtype=bool)
            for a in lists:
                if not a.size:
                    alive[:] = False
                    break
                at = np.minimum(np.searchsorted(a, owners << KEY_SHIFT | (last + 1)), a.size - 1)
                got = a[at]
                position = got & POSITION_MASK
                alive &= (got >> KEY_SHIFT == owners) & (position < ZONE_OFFSET) & (position > last)
                last = position
            ordered |= alive
    return bonus, ordered


# -- random values -----------------------------------------------------------------------

def _positions(rng: random.Random) -> list[int]:
    """One value's positions: any zones, gaps of every varint length (1 to 4 bytes), or none."""
    count = rng.choice([0, 1, 1, 2, 3, 5, 9, 40])
    scale = rng.choice([3, 100, 130, 20_000, 3_000_000, ZONE_OFFSET])
    zones = rng.sample(range(4), rng.randint(1, 4))
    return sorted({z * ZONE_OFFSET + rng.randrange(scale) for z in zones for _ in range(count)})


def _random_values(rng: random.Random, n: int, empty: bool = False) -> list[bytes]:
    values = [fmt.encode_positions(p) for p in (_positions(rng) for _ in range(n)) if p or empty]
    return values or [b"\x01"]


def _buffer(values: list[bytes]) -> tuple[Int64s, npt.NDArray[np.uint8]]:
    lengths = np.array([len(v) for v in values], dtype=np.int64)
    return lengths, np.frombuffer(b"".join(values), dtype=np.uint8)


@pytest.mark.parametrize("seed", range(40))
def test_decode_buffer_gives_what_it_gave(seed: int) -> None:
    rng = random.Random(seed)
    values = _random_values(rng, rng.choice([1, 2, 7, 60, 400]))
    lengths, data = _buffer(values)
    owner, positions = fmt.decode_buffer(lengths, data)
    want_owner, want_positions = old_decode_buffer(lengths, data)
    assert np.array_equal(owner, want_owner) and owner.dtype == want_owner.dtype
    assert np.array_equal(positions, want_positions) and positions.dtype == want_positions.dtype
    assert positions.tolist() == [x for v in values for x in fmt.decode_positions(v)]


def test_decode_buffer_of_single_byte_varints_and_long_ones() -> None:
    cases = [[0], [5], [0, 1, 2], [126], [127], [128], [ZONE_OFFSET], [ZONE_OFFSET + 31], [ZONE_OFFSET + 32],
             [3 * ZONE_OFFSET + ZONE_OFFSET - 1], [0, ZONE_OFFSET - 1], [16383, 16384, 2_097_151, 2_097_152],
             [1, 2 * ZONE_OFFSET + 5, 3 * ZONE_OFFSET], [ZONE_OFFSET + 4000, 3 * ZONE_OFFSET + 4_000_000]]
    values = [fmt.encode_positions(p) for p in cases]
    for chosen in ([values[0]], [values[1], values[2]], values, values[::-1], [values[7]] * 3):
        lengths, data = _buffer(chosen)
        got, want = fmt.decode_buffer(lengths, data), old_decode_buffer(lengths, data)
        assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])
    lengths, data = _buffer(values)
    assert fmt.decode_buffer(lengths, data)[1].tolist() == [x for p in cases for x in p]


def test_empty_values_hold_no_positions() -> None:
    """The earlier decoder miscounted owners after an empty value (never written); now each keeps its own."""
    rng = random.Random(7)
    values = _random_values(rng, 200, empty=True)
    values[:0] = [b""]
    values.append(b"")
    assert any(not v for v in values[1:-1])
    owner, positions = fmt.decode_many(values)
    assert positions.tolist() == [x for v in values for x in fmt.decode_positions(v)]
    assert owner.tolist() == [i for i, v in enumerate(values) for _ in fmt.decode_positions(v)]
    assert all(a.size == 0 for a in fmt.decode_many([b"", b""]))


@pytest.mark.parametrize("seed", range(20))
def test_decode_shifted_gives_the_keys_of_owner_and_position(seed: int) -> None:
    rng = random.Random(100 + seed)
    values = _random_values(rng, rng.choice([1, 30, 300]))
    lengths, data = _buffer(values)
    starts = np.cumsum(lengths) - lengths
    offsets = np.array(sorted(rng.sample(range(10_000), len(values))), dtype=np.int64) << KEY_SHIFT
    keys, ends = fmt.decode_shifted(starts, data, offsets)
    owner, positions = old_decode_buffer(lengths, data)
    assert np.array_equal(keys, offsets[owner] | positions)
    # Each key's last byte lies in its own value's bytes.
    assert np.array_equal(np.searchsorted(starts, ends, side="right") - 1, owner)


# -- gathered reads ------------------------------------------------------------------------

@pytest.mark.parametrize("seed", range(6))
def test_a_gather_is_the_values_asked_for(seed: int) -> None:
    rng = random.Random(200 + seed)
    first, second, third = (_random_values(rng, n) for n in (700, 130, 5))
    pos = Positions(_file({"a": first, "b": second}))
    a, b = pos.values("text_f", b"a"), pos.values("text_f", b"b")
    assert a is not None and b is not None
    plain = Values([third])
    joined = JoinedValues([a, b, plain])
    both = first + second + third
    for picks in (rng.sample(range(len(both)), 200), [len(both) - 1, 0, 701], list(range(len(first), len(both))),
                  [3]):
        lengths, data = joined.gather(picks)
        assert lengths.tolist() == [len(both[i]) for i in picks]
        assert data.dtype == np.uint8 and data.tobytes() == b"".join(both[i] for i in picks)
        owner, positions = joined.decode(picks)
        want = old_decode_buffer(lengths, data)
        assert np.array_equal(owner, want[0]) and np.array_equal(positions, want[1])
    keep = np.array([rng.random() < 0.3 for _ in range(len(first))])
    taken = a.take(keep)
    picks = rng.sample(range(len(taken)), min(50, len(taken)))
    assert taken.gather(picks)[1].tobytes() == b"".join(taken[i] for i in picks)
    assert all(x.size == 0 for x in a.gather([]))


# -- keys and proximity on an index of corpus articles ---------------------------------------

@pytest.fixture(scope="module")
def corpus_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """240 news articles in two runs, one deleted: lists with a left-out posting."""
    articles = read_corpus_lines("news.jsonl.gz", 400, 640)
    path = tmp_path_factory.mktemp("positions-fast") / "ix"
    engine = SearchEngine(path)
    try:
        engine.add_articles(articles[:150], jobs=1)
        engine.add_articles(articles[150:], jobs=1)
        assert engine.delete([articles[3]["id"]]) == 1
    finally:
        engine.close()
    return path


def _common_terms(snapshot: Any, rng: random.Random, n: int) -> list[str]:
    """Syllables of the folded field, most of them common (long lists) and some rare."""
    counted = sorted(snapshot.term_frequencies("text_f"), key=lambda tc: -tc[1])
    common = [t for t, _ in counted[:150]]
    rest = [t for t, _ in counted[150:]]
    return rng.sample(common, n // 2) + rng.sample(rest, n - n // 2)


def test_keys_and_proximity_as_before_on_corpus_articles(corpus_index: Path) -> None:
    engine = SearchEngine(corpus_index, create=False)
    try:
        snapshot = engine._store.snapshot()  # type: ignore[union-attr]
        try:
            assert any(s.deleted is not None for s in snapshot.segments)
            rng = random.Random(11)
            size = snapshot.size
            lists = [snapshot.postings("text_f", t) for t in _common_terms(snapshot, rng, 40)]
            assert sum(len(p.docs) > 128 for p in lists) >= 5  # lists of several blocks
            for _trial in range(30):
                docs = np.array(rng.sample(range(size), rng.choice([1, 10, 120, size])), dtype=np.int64)
                chosen: list[Any] = rng.sample(lists, 6)
                chosen.append(tuple(rng.sample(lists, 3)))  # a typed syllable and its corrections
                chosen.append(None)
                cap = rng.choice([None, caps.PROXIMITY_POSITIONS, 2, 7])
                many = position_keys_many(chosen, docs, cap)
                for postings, got in zip(chosen, many):
                    want = old_position_keys(postings, docs, cap)
                    assert np.array_equal(got, want) and got.dtype == want.dtype
                    assert np.array_equal(position_keys(postings, docs, cap), want)
                p = RankParams()
                units = [Unit(np.zeros(size, np.float32), np.ones(size, bool), rng.uniform(0.5, 5.0), postings,
                              np.zeros(size, bool)) for postings in chosen[:7]]
                runs = [units[:3], units[2:5], units[4:7]]
                bonus, ordered = proximity(runs, docs, p)
                want_bonus, want_ordered = old_proximity(runs, docs, p)
                assert np.array_equal(bonus, want_bonus) and np.array_equal(ordered, want_ordered)
        finally:
            snapshot.release()
    finally:
        engine.close()


def test_searches_rank_as_with_the_earlier_proximity(corpus_index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Whole searches: the same ids and scores as with the earlier proximity step (and its decoding)."""
    articles = read_corpus_lines("news.jsonl.gz", 400, 640)
    rng = random.Random(3)
    queries = []
    for article in rng.sample(articles, 25):
        words = article["title"].split()
        at = rng.randrange(max(1, len(words) - 4))
        queries.append(" ".join(words[at: at + rng.choice([2, 3, 5])]))
    queries += ["việt nam", "thành phố hồ chí minh", "bóng đá việt nam", '"hà nội"', "chinh phu viet nam"]

    def ranked() -> list[list[tuple[str, float]]]:
        engine = SearchEngine(corpus_index, create=False)
        try:
            return [[(h.id, h.score) for h in engine.search(q, limit=10)] for q in queries]
        finally:
            engine.close()

    now = ranked()
    monkeypatch.setattr(ranking, "proximity", old_proximity)
    before = ranked()
    assert now == before and any(now)
