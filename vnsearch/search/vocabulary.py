"""What an index holds, in the forms reading a query asks about: :class:`Vocabulary`, one per snapshot.

Document frequencies and posting lists of syllables, typo candidates (a
:class:`~vnsearch.lang.typos.TypoIndex` of the folded syllables, or lookups of
the term table on disk until it is built) and the syllable pairs of the
segmenter's words (:class:`PairCounts`, or :class:`WordPairs` counted around
the syllables asked about until they are built): what
:mod:`vnsearch.search.understand` judges a query's Telex, typos and slips by.
"""

from __future__ import annotations

import re
import string
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from typing import Literal

import numpy as np

from vnsearch.lang.text import fold_all, fold_all_text, has_diacritics
from vnsearch.lang.typos import DEFAULT_TOLERANCE, Candidate, TypoIndex, TypoLookup, is_code
from vnsearch.search.kept import Kept
from vnsearch.store.postings import Postings
from vnsearch.store.snapshot import Snapshot

__all__ = ["Vocabulary", "SortedTerms", "WordPairs", "PairCounts"]

# Syllables whose neighbours WordPairs looked for (a search of the whole lexicon each, ~5 ms on the whole
# corpus) before the whole pair tables are built instead (under a second, once).
PAIR_SCANS_BEFORE_TABLES = 200
# Neighbours of syllables kept by WordPairs (a dict entry each) before it forgets them all.
KEPT_NEIGHBOURS = 1_000_000
# Doc ids of candidates' posting lists kept between queries (Vocabulary.docs): 4 bytes each, ~24 MB. The
# 300-query mix of bench/speed.py reads 5.2 million ids of 3,400 lists on 35,000 articles (4.1 million of
# them the exact spellings of candidates): the 2 million ids kept before (8 bytes each) held a third of that,
# and a least-recently-used cache cycled through found almost none of it again.
DOCS_CACHE = 6_000_000
# Typo lookups asked of the term table on disk (TypoLookup, ~1-2 ms each) before the typo indexes are built
# instead (0.08 s on 5,000 articles, 0.2 s on 35,000; ~0.15 ms a lookup then): a process that has met this
# many new syllables (a long-lived engine without prepare()) will meet more.
LOOKUPS_BEFORE_INDEXES = 200
# Typo candidate lists kept between queries (Vocabulary.candidates; at most 100 candidates each, most far
# fewer), all forgotten when this many are kept.
CANDIDATES_KEPT = 20_000
# Marked spellings, held forms, unknown syllables and word expansions kept per vocabulary (each a Kept of
# vnsearch.search.understand's); each emptied when it holds this many (a long-lived engine meets ever new
# syllables).
SPELLINGS_KEPT = 200_000


class Vocabulary:
    """What the index holds, in the forms this module asks about; one per snapshot, built as needed.

    Document frequencies are read from the snapshot as asked. The two tables
    that need a pass over a whole lexicon are built on first use only, so a
    query whose words are all known and not Telex costs nothing more:
    ``typos`` (a :class:`~vnsearch.lang.typos.TypoIndex` of the folded
    syllables of ``text_f``; about a second per 15,000 syllables) and the
    folded syllable pairs of the segmenter's words (``khoi nghiep`` from the
    word "khởi nghiệp" of ``text``), for :meth:`pair`.
    """

    def __init__(self, snapshot: Snapshot, tolerance: tuple[int, int] = DEFAULT_TOLERANCE, *,
                 weak: bool = False) -> None:
        # *weak* in the cache of vocabularies (:func:`vocabulary`): it is keyed weakly by
        # their snapshots, and a value holding its key would keep every snapshot a
        # long-lived engine opened, for good.
        self._snapshot: Callable[[], Snapshot | None] = weakref.ref(snapshot) if weak else (lambda: snapshot)
        self.doc_count = snapshot.doc_count
        self.tolerance = tolerance
        self._typos: TypoIndex | None = None
        self._codes: TypoIndex | None = None
        self._pairs: PairCounts | None = None
        self._exact_pairs: PairCounts | None = None
        # What a query asks of them, read from the term tables on disk as asked (see candidates, pair_count):
        # None until first needed, False where the snapshot cannot (the whole tables are built then).
        self._lookups: tuple[TypoLookup, TypoLookup] | Literal[False] | None = None
        self._word_pairs: tuple[WordPairs, WordPairs] | Literal[False] | None = None
        self._lock = threading.Lock()
        self._docs: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        self._docs_used = 0
        self._candidates: Kept[tuple[str, int, int], tuple[Candidate, ...]] = Kept(CANDIDATES_KEPT)
        self._looked_up = 0  # candidates() answered by the lookups (see LOOKUPS_BEFORE_INDEXES)
        # What vnsearch.search.understand works out of this snapshot alone, kept for the next queries:
        self.spelt: Kept[tuple[str, str], str] = Kept(SPELLINGS_KEPT)  # (typed, folded) -> _with_marks_of
        self.unknown: Kept[str, bool] = Kept(SPELLINGS_KEPT)  # syllable -> _unknown(syllable, self)
        self.forms: Kept[str, tuple[tuple[str, int, int, frozenset[str]], ...]] = Kept(SPELLINGS_KEPT)  # _held_forms
        # (word, accented) -> _expansions(word, accented, self)
        self.expanded: Kept[tuple[str, bool], tuple[tuple[Candidate, str, str, str, str, bool], ...]] = Kept(
            SPELLINGS_KEPT)
        self._reader: weakref.WeakMethod[Callable[[str, str], Postings]] | None = None  # see read_through

    @property
    def snapshot(self) -> Snapshot:
        """The snapshot read; alive while anyone can ask this vocabulary (its key in the cache)."""
        snapshot = self._snapshot()
        if snapshot is None:
            raise RuntimeError("the snapshot of this vocabulary is gone")
        return snapshot

    @property
    def typos(self) -> TypoIndex:
        return self._typo_indexes()[0]

    @property
    def codes(self) -> TypoIndex:
        """The codes of letters and digits the index holds ("24h", "u23"), for slips on their letters."""
        return self._typo_indexes()[1]

    def _typo_indexes(self) -> tuple[TypoIndex, TypoIndex]:
        with self._lock:
            if self._typos is None or self._codes is None:
                terms = list(self.snapshot.term_frequencies("text_f"))
                self._typos = TypoIndex(terms, tolerance=self.tolerance)
                self._codes = TypoIndex(terms, tolerance=self.tolerance, codes=True)
                self._lookups = False  # answered by the indexes from now on: the set of terms can go
            return self._typos, self._codes

    def candidates(self, folded: str, edits: int, limit: int) -> list[Candidate]:
        """Known syllables within *edits* of *folded*; for a code ("24g"), the codes one slip on a letter away.

        What :attr:`typos` and :attr:`codes` answer; within one edit, and
        until they are built (a long-lived engine builds them in the
        background, :meth:`SnapshotView.prepare`; any other once it has asked
        :data:`LOOKUPS_BEFORE_INDEXES`), asked of the term table on disk
        instead (:class:`~vnsearch.lang.typos.TypoLookup`, the same
        candidates): a new process reading a short query needs a few hundred
        lookups, not the whole vocabulary in memory.

        Kept (up to :data:`CANDIDATES_KEPT` lists): queries share syllables
        ("của", "người"), and a syllable's candidates, which every query of
        up to six syllables asks for, are the same in every query of this snapshot.
        """
        return list(self._candidates.get_or((folded, edits, limit),
                                            lambda: tuple(self._candidates_of(folded, edits, limit))))

    def _candidates_of(self, folded: str, edits: int, limit: int) -> list[Candidate]:
        """:meth:`candidates`, looked up."""
        code = is_code(folded)
        built = self._codes if code else self._typos
        if built is None and self._looked_up < LOOKUPS_BEFORE_INDEXES:
            lookups = self._typo_lookups()
            if lookups is not None and lookups[int(code)].reaches(folded, edits):
                self._looked_up += 1
                return lookups[int(code)].candidates(folded, edits=edits, limit=limit)
        if code:
            return self.codes.candidates(folded, limit=limit)
        return self.typos.candidates(folded, edits=edits, limit=limit)

    def _typo_lookups(self) -> tuple[TypoLookup, TypoLookup] | None:
        """Lookups of ``text_f`` for candidates(), or None when the snapshot has no cheap whole-field text."""
        got = self._lookups
        if got is None:
            read = _term_keys(self.snapshot, "text_f")
            if read is None:
                got = False
            else:
                keys, head = read
                # Every letter of the field (of its codes too) is a letter of some term: a superset of the
                # TypoIndex's, which costs lookups of strings no term holds, never a candidate.
                # (Capitals, which folded terms seldom hold, searched for as a class first: each letter no term
                # holds costs a search of the whole string.)
                upper = re.search("[A-Z]", keys) is not None
                letters = "".join(c for c in string.ascii_letters if (upper or c.islower()) and c in keys)
                # Most strings one edit away are no syllable: the terms' string answers those (a bisection of
                # the impacts directory in Python costs ~0.1 ms each, and a syllable has hundreds of them).
                held = SortedTerms(keys, head)

                def frequency(word: str) -> int:
                    return self.snapshot.doc_frequency("text_f", word) if word in held else 0

                got = (TypoLookup(frequency, letters, tolerance=self.tolerance),
                       TypoLookup(frequency, letters, tolerance=self.tolerance, codes=True))
            self._lookups = got
        return got if got is not False else None

    @property
    def pairs(self) -> PairCounts:
        """Folded syllable pairs side by side in a word of the index -> how many distinct words hold them."""
        return self._pair_tables()[0]

    @property
    def exact_pairs(self) -> PairCounts:
        """The same, spelt as the index holds them ("thổ", "nhĩ" from "thổ nhĩ kỳ")."""
        return self._pair_tables()[1]

    def _pair_tables(self) -> tuple[PairCounts, PairCounts]:
        with self._lock:
            if self._pairs is None or self._exact_pairs is None:
                read = _term_keys(self.snapshot, "text")  # a tenth of the time of lexicon()
                terms = read[0].split(read[1])[1:] if read is not None else self.snapshot.lexicon("text")
                words = [term for term in terms if " " in term]
                self._exact_pairs, self._pairs = PairCounts.of_words(words)
                self._word_pairs = False  # answered by the tables from now on: the lexicon's text can go
            return self._pairs, self._exact_pairs

    def read_through(self, reader: Callable[[str, str], Postings]) -> None:
        """Read lists through *reader* (a ranker's cached ``postings`` of this snapshot), while it lives.

        A query's reading weighs corrections by the lists that the ranking
        then scores: read through the ranker's cache, each is read once. Held
        weakly: the vocabulary outlives no ranker's cache.
        """
        self._reader = weakref.WeakMethod(reader)

    def docs(self, fieldname: str, term: str) -> np.ndarray:
        """The doc numbers holding *term*, from a cache of recently read lists (the ids only).

        Corrections test many candidates against the rest of the query, and
        queries share candidates ("cán", "tỷ"): the lists are kept, least
        recently used first out, within :data:`DOCS_CACHE` ids (as int32:
        doc numbers fit, and reading a query only counts and intersects them).
        """
        key = (fieldname, term)
        with self._lock:
            got = self._docs.get(key)
            if got is not None:
                self._docs.move_to_end(key)
                return got
        reader = self._reader() if self._reader is not None else None
        got = (reader or self.snapshot.postings)(fieldname, term).docs
        if got.dtype.itemsize > 4 and got.size and got[-1] < 1 << 31:
            got = got.astype(np.int32)  # kept at half the size: only counted and intersected
        with self._lock:
            if key not in self._docs:
                self._docs[key] = got
                self._docs_used += got.size + 1
                while self._docs_used > DOCS_CACHE:
                    self._docs_used -= self._docs.popitem(last=False)[1].size + 1
        return got

    def folded_frequency(self, folded: str) -> int:
        """Documents holding *folded* (any diacritics)."""
        return self.snapshot.doc_frequency("text_f", folded)

    def exact_frequency(self, syllable: str) -> int:
        """Documents holding exactly *syllable* (canonical, lower case)."""
        return self.snapshot.doc_frequency("text", syllable)

    def pair(self, a: str, b: str, around: int | None = None) -> int:
        """Whether the index holds a word with syllables *a* *b* side by side (> 0), folded unless both are marked.

        Two syllables typed with diacritics are looked up as the exact word
        (cheap); otherwise in the folded pairs table (the number of distinct
        words holding the pair). *around*: see :meth:`pair_count`.
        """
        if has_diacritics(a) and has_diacritics(b):
            return self.snapshot.doc_frequency("text", f"{a} {b}")
        return self.pair_count(fold_all(a), fold_all(b), exact=False, around=around)

    def pair_count(self, a: str, b: str, exact: bool, around: int | None = None) -> int:
        """``exact_pairs.get((a, b), 0)`` if *exact*, else ``pairs.get((a, b), 0)`` (*a*, *b* folded then).

        Until those tables are built (see :meth:`candidates`), counted around
        the syllables asked about, in the ``text`` lexicon's text
        (:class:`WordPairs`): a short query asks about a few syllables, and the
        whole tables cost a new process most of a second. *around* (0: *a*,
        1: *b*) names the query's own syllable, asked about again with other
        candidates: the one to look around when neither was (the answer is the same).
        """
        built = self._exact_pairs if exact else self._pairs
        if built is None:
            lookups = self._pair_lookups()
            if lookups is not None and lookups[0].scans + lookups[1].scans < PAIR_SCANS_BEFORE_TABLES:
                return lookups[int(exact)].get((a, b), 0, around)
            # A process that has met this many syllables (a long-lived engine without prepare()) will meet
            # more: the whole tables answer each at once from now on.
            built = self.exact_pairs if exact else self.pairs
        return built.get((a, b), 0)

    def _pair_lookups(self) -> tuple[WordPairs, WordPairs] | None:
        """(folded, exact) :class:`WordPairs` of ``text``, or None when the snapshot has no cheap whole-field text."""
        with self._lock:
            got = self._word_pairs
            if got is None:
                read = _term_keys(self.snapshot, "text")
                got = False if read is None else (WordPairs(*read, folded=True), WordPairs(*read))
                self._word_pairs = got
        return got if got is not False else None


# Lookups of a SortedTerms answered by bisecting its string before a set of its terms is made.
BISECTIONS_BEFORE_SET = 2_000


class SortedTerms:
    """Whether a term is one of a field's terms, asked of their sorted string (:meth:`Snapshot.term_keys`).

    A set of a whole folded lexicon's terms costs a new process a few
    hundredths of a second, more than the few hundred lookups of a short
    query's typo candidates: the first :data:`BISECTIONS_BEFORE_SET` are
    answered by bisecting the string (terms sorted, each after *head*, no term
    holding a 0 character), the rest by a set made then.
    """

    def __init__(self, keys: str, head: str) -> None:
        self._keys = keys
        self._head = head
        self._set: frozenset[str] | None = None
        self._asked = 0

    def __contains__(self, word: object) -> bool:
        if self._set is not None:
            return word in self._set
        if not isinstance(word, str):
            return False
        self._asked += 1
        if self._asked > BISECTIONS_BEFORE_SET:
            self._set = frozenset(self._keys.split(self._head)[1:])
            return word in self._set
        return self._bisect(word)

    def _bisect(self, word: str) -> bool:
        keys, skip = self._keys, len(self._head) - 1  # a term ends where the next head starts: its 0, less this
        # Offsets: every term starting before lo sorts below word, every one starting at hi or after above it.
        lo, hi = 0, len(keys) + 1
        while lo < hi:
            mid = (lo + hi) // 2
            start = keys.rfind("\x00", 0, mid + 1) + 1  # the term at or before mid
            if start < lo or not start:  # (before lo, known below word; or mid is in the first head)
                start = keys.find("\x00", mid) + 1  # the next term
                if not start or start >= hi:
                    return False
            end = keys.find("\x00", start)
            end = len(keys) if end < 0 else end - skip
            term = keys[start:end]
            if term == word:
                return True
            if term < word:
                lo = end + 1
            else:
                hi = start
        return False


def _term_keys(snapshot: Snapshot, fieldname: str) -> tuple[str, str] | None:
    """:meth:`Snapshot.term_keys` decoded, and its head (the field's name and a 0 character); None where the
    snapshot cannot (or a stand-in for one lacks the method: tests, benches)."""
    read = getattr(snapshot, "term_keys", None)
    keys = read(fieldname) if read is not None else None
    return None if keys is None else (keys, fieldname + "\x00")


class WordPairs:
    """:class:`PairCounts` of one lexicon, counted only around the syllables asked about.

    *keys* is the ``text`` field's terms, each after *head* (the field's name
    and a 0 character, which no term holds: :meth:`Snapshot.term_keys`,
    decoded); *folded* reads them folded (:func:`fold_all_text`, per
    character, so the terms fold as :meth:`PairCounts.of_words` folds their
    syllables). Asked for a pair, it finds every occurrence of one of its
    syllables as a whole syllable of a term (a substring search in C), and
    counts the syllables on either side of it; a query's own syllables are
    asked about again and again (with each candidate correction), so their
    neighbours are kept. The counts are those of the same words' :class:`PairCounts`.
    """

    def __init__(self, keys: str, head: str, folded: bool = False) -> None:
        self._keys = keys
        self._head = head
        self._folded = folded
        self._lock = threading.Lock()
        self._right: dict[str, dict[str, int]] = {}  # syllable -> the syllables after it in a term, counted
        self._left: dict[str, dict[str, int]] = {}
        self._kept = 0  # neighbours kept, all syllables together
        self.scans = 0  # searches of the lexicon made

    def _text(self) -> str:
        if self._folded:
            with self._lock:
                if self._folded:
                    self._keys = fold_all_text(self._keys)
                    self._folded = False
        return self._keys

    def get(self, pair: tuple[str, str], default: int = 0, around: int | None = None) -> int:
        """How many times a term of the lexicon holds *pair* side by side, else *default*.

        *around* (0 or 1): the syllable of *pair* to look around when neither
        was yet (the query's own, asked about again with other candidates);
        None: both.
        """
        a, b = pair
        if any(c in s for s in pair for c in " \x00"):
            return default  # no syllable of a word holds a separator (PairCounts.of_words)
        right, left = self._right.get(a), self._left.get(b)
        if right is not None:
            got = right.get(b, 0)
        elif left is not None:
            got = left.get(a, 0)
        else:
            # Neither seen yet: one of them is likely the query's, asked about again with other candidates.
            if around == 1:
                got = self._neighbours(b)[1].get(a, 0)
            else:
                got = self._neighbours(a)[0].get(b, 0)
                if around is None:
                    self._neighbours(b)
        return got or default

    def _neighbours(self, syllable: str) -> tuple[dict[str, int], dict[str, int]]:
        """(syllables after *syllable* in a term, those before it), each with how often; kept."""
        kept, kept_left = self._right.get(syllable), self._left.get(syllable)
        if kept is not None and kept_left is not None:
            return kept, kept_left
        keys, head = self._text(), self._head
        name = len(head) - 1  # a term ends where the next one's head does: its 0, less the field's name
        lit = re.escape(syllable)
        # The syllable whole: found by its literal (the search's fast path), then after a space or a head,
        # before a space, the next head or the end.
        pattern = f"{lit}(?<=[ \\x00]{lit})(?= |{re.escape(head)}|\\Z)"
        right: dict[str, int] = {}
        left: dict[str, int] = {}
        size = len(keys)
        for m in re.finditer(pattern, keys):
            start, end = m.start(), m.end()
            if end < size and keys[end] == " ":
                stop = min(_found(keys.find(" ", end + 1)), _found(keys.find("\x00", end + 1)) - name, size)
                after = keys[end + 1: stop]
                right[after] = right.get(after, 0) + 1
            if keys[start - 1] == " ":
                begin = max(keys.rfind(" ", 0, start - 1), keys.rfind("\x00", 0, start - 1)) + 1
                before = keys[begin: start - 1]
                left[before] = left.get(before, 0) + 1
        with self._lock:
            self.scans += 1
            if self._kept > KEPT_NEIGHBOURS:  # a long-lived engine meets ever new syllables: start afresh
                self._right.clear()
                self._left.clear()
                self._kept = 0
            self._right[syllable], self._left[syllable] = right, left
            self._kept += len(right) + len(left) + 1
        return right, left


def _found(i: int) -> int:
    """*i* from ``str.find``, -1 (not found) as a position past any."""
    return i if i >= 0 else 1 << 62


class PairCounts:
    """How many words hold each pair of syllables side by side, as sorted numpy keys (read like a dict).

    Built in every new process that meets a short query, from the whole
    ``text`` lexicon (600,000 pairs for 35,000 articles): syllables numbered
    once and int64 pair keys counted by ``np.unique`` take a fraction of
    what a dict of string tuples filled pair by pair did.
    """

    def __init__(self, ids: dict[str, int], keys: np.ndarray, counts: np.ndarray) -> None:
        self._ids = ids
        self._keys = keys
        self._counts = counts

    @classmethod
    def of_words(cls, words: Sequence[str]) -> tuple[PairCounts, PairCounts]:
        """The pairs of *words* (syllables split by single spaces) as spelt, and folded (:func:`fold_all`)."""
        parts = " \n ".join(words).split(" ")
        names = list(dict.fromkeys(parts))  # each syllable once, numbered in C
        ids = {name: i for i, name in enumerate(names)}
        inverse = np.fromiter(map(ids.__getitem__, parts), dtype=np.int64, count=len(parts))
        inside = np.ones(max(len(parts) - 1, 0), dtype=bool)  # pair k is parts k and k + 1
        cut = ids.get("\n")
        if cut is not None:
            breaks = np.flatnonzero(inverse == cut)
            inside[breaks[breaks < inside.size]] = False
            inside[breaks[breaks > 0] - 1] = False
            del ids["\n"]
        exact = cls._counted(ids, (inverse[:-1] << 32 | inverse[1:])[inside])
        folded_ids: dict[str, int] = {}
        to_folded = np.fromiter((folded_ids.setdefault(fold_all(name), len(folded_ids)) for name in names),
                                dtype=np.int64, count=len(names))
        folded_ids.pop("\n", None)
        folded_inverse = to_folded[inverse]
        folded = cls._counted(folded_ids, (folded_inverse[:-1] << 32 | folded_inverse[1:])[inside])
        return exact, folded

    @classmethod
    def _counted(cls, ids: dict[str, int], pair_keys: np.ndarray) -> PairCounts:
        keys, counts = np.unique(pair_keys, return_counts=True)
        return cls(ids, keys, counts)

    def get(self, pair: tuple[str, str], default: int = 0) -> int:
        """How many words hold *pair* side by side, else *default*."""
        a, b = self._ids.get(pair[0]), self._ids.get(pair[1])
        if a is None or b is None:
            return default
        key = a << 32 | b
        i = int(self._keys.searchsorted(key))
        return int(self._counts[i]) if i < self._keys.size and self._keys[i] == key else default

    def __len__(self) -> int:
        return int(self._keys.size)

    def items(self) -> Iterable[tuple[tuple[str, str], int]]:
        """Every pair and its count (for tests and benchmarks: slow)."""
        names = {i: name for name, i in self._ids.items()}
        for key, count in zip(self._keys.tolist(), self._counts.tolist()):
            yield (names[key >> 32], names[key & 0xFFFFFFFF]), count
