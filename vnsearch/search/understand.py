"""Reading a query as the user meant it: Telex/VNI with the input method off, typos, exact spelling.

Three questions about a parsed query, each answered from the index's own
vocabulary (a :class:`~vnsearch.store.snapshot.Snapshot`), never from a word
list of ours:

* **Was it typed in Telex or VNI with the input method off?** ``khowir
  nghieepj`` is "khởi nghiệp". A token is converted only when the index makes
  the converted syllable far likelier than the letters as typed, or when the
  converted syllables form a word the index holds; ``process``, ``css``,
  ``max`` are left alone because they are not Telex (``process``) or because
  the index holds them as typed often enough (``max`` in "Pro Max").
  :func:`understand` returns the rewritten query and says so, for a
  ``Showing results for: khởi nghiệp`` line.
* **Which syllables are slips of the finger?** A syllable the index does not
  hold at all (folded), with known syllables within reach
  (:mod:`vnsearch.lang.typos`), gets alternatives with weights; a
  correction that makes a word the index holds with a neighbour is
  preferred. The ranker scores an alternative like a syllable, times its
  weight (below 1, so an exact match always ranks above a corrected one):
  :func:`combine_alternatives`.
* **Exact spelling when asked** (``=bão``, or ``exact=True`` for every word):
  :func:`exact_mask` is the documents holding every exact form, for the
  ranker to intersect with its match mask, so totals, facets and date sorts
  count only those.

The vocabulary (:class:`~vnsearch.search.vocabulary.Vocabulary`: a
:class:`~vnsearch.lang.typos.TypoIndex` of the folded syllables and the folded
syllable pairs of the segmenter's words) is built once per snapshot and
cached: :func:`vocabulary`.
"""

from __future__ import annotations

import functools
import math
import re
import threading
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from vnsearch.lang.spelling import spellings, split_folded
from vnsearch.lang.telex import convert, tone_of
from vnsearch.lang.text import canonical, fold_all, fold_tone, has_diacritics
from vnsearch.lang.typos import Candidate, is_code, max_edits
from vnsearch.search.query import ParsedQuery, parse_query
from vnsearch.search.sets import Among, intersect_all, intersect_count, intersect_sorted
from vnsearch.search.vocabulary import Vocabulary
from vnsearch.store.snapshot import Snapshot

__all__ = ["vocabulary", "Alternative", "Understanding", "understand", "telex_rewrite",
           "corrections", "cooccurrence_corrections", "telex_slips", "exact_mask", "combine_alternatives",
           "TELEX_RATIO", "TELEX_PAIR_RATIO", "TELEX_TYPED_MAX", "CORRECTION_WEIGHT"]

# A Telex token is converted when the converted syllable is in this many times
# more documents than the letters as typed (TELEX_PAIR_RATIO when the converted
# syllables also make a word of the index with a neighbour).
TELEX_RATIO = 50.0
TELEX_PAIR_RATIO = 3.0
# Letters typed that this many documents hold are a word of the index ("sex",
# "max"): converted only when the converted syllables make a word with a neighbour.
TELEX_TYPED_MAX = 2
# How much a match on a corrected syllable counts against one on the syllable as
# typed (the best correction; the next ones less, see corrections()).
CORRECTION_WEIGHT = 0.8
# Co-occurrence corrections are looked for in queries of up to this many syllables,
# among this many candidates per syllable (the likeliest slips first; 15, 30 and 60
# measured alike on bench kw-typo, and each costs a posting list).
COOCCURRENCE_MAX_SYLLABLES = 6
COOCCURRENCE_CANDIDATES = 20
# Corrections offered per syllable, at most: the ranker tells them apart by the documents that hold
# them with the rest of the query (3, 6 and 10 gave .765, .780 and .784 on bench kw-typo, seed 11).
MAX_ALTERNATIVES = 6
# How much a correction that makes a known word with a neighbour is preferred.
PAIR_BONUS = 3.0
# The weight, at least, of a guess at a known syllable that makes a word of the index with a
# neighbour, or a headline's words with the rest of the query, where the syllable as typed makes
# neither (understand(suspect_known=); 0.6, 0.8, 0.95 measured alike on bench kw-typo).
PAIRED_GUESS_WEIGHT = 0.8
# A correction seen with the rest of the query scores log(1 + documents shared with it) / df ** this:
# the correction telling of those documents over a merely common syllable, but not only the rarest
# (0.25 measured best of 0, 0.1, 0.25, 0.5 on bench kw-typo, 5,000 articles 5000-9999, seed 11).
RARITY_POWER = 0.25
# The same for a known syllable that never goes with the rest of the query (cooccurrence_corrections): its
# candidates are the many real syllables around it, and the rarer, telling one is what was meant (0.25,
# 0.35, 0.5, 0.6, 0.75 gave .846, .845, .850, .849, .837 on bench kw-typo, seed 11).
COOCCURRENCE_RARITY_POWER = 0.5
# Readings offered for a lone consonant ("s" of "sứ"): its candidates are every syllable it starts, many of
# them real (6 and 10 gave .844 and .846 on bench kw-typo, seed 11, measured while the readings still
# counted as matches; they add to the score only since).
FRAGMENT_ALTERNATIVES = 10
# How much more a correction counts per log(1 + headlines it shares with the rest of the query).
TITLE_TOGETHER_WEIGHT = 1.0
# How much a correction counts that drops a tone or a letter mark the user typed ("mố" -> "moo", "căh" -> "cha"):
# a slip of the finger adds, drops or swaps letters, it does not move a mark typed onto another letter.
MARKS_LOST_FACTOR = 0.25

_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)


_CACHE: weakref.WeakKeyDictionary[Snapshot, Vocabulary] = weakref.WeakKeyDictionary()
_CACHE_LOCK = threading.Lock()


def vocabulary(snapshot: Snapshot) -> Vocabulary:
    """The snapshot's :class:`Vocabulary`, made on first use and kept as long as the snapshot lives."""
    with _CACHE_LOCK:
        got = _CACHE.get(snapshot)
        if got is None:
            got = _CACHE[snapshot] = Vocabulary(snapshot, weak=True)
        return got


@dataclass(frozen=True)
class Alternative:
    """A likely correction of one typed syllable."""

    typed: str  # the syllable as in the query (exact tier)
    replacement: str  # what it likely was: an exact form when the typed one had diacritics, else folded
    weight: float  # how much a match on it counts, against 1.0 for the typed syllable
    distance: int
    evidence: float = 0.0  # the score it was chosen by, comparable within one kind of correction
    # Whether a document holding it matches the typed syllable (totals, facets, date sorts count it);
    # False for a mere guess at a known syllable (suspect_known), which only adds to the score.
    counted: bool = True
    # Whether it makes a word of the index with a neighbour, or stands in a headline with the rest of the
    # query, where the typed syllable does not: a title holding it holds what was meant (the ranker's
    # title bonus), even for a guess.
    telling: bool = False
    # Whether a document holding it holds the typed syllable for the score's coverage even where it does not
    # count as a match (`counted` false): a reading of a lone consonant ("sứ" of "đồ s") is what was typed, but
    # ten such readings would make totals count most of the index.
    covers: bool = False


@dataclass
class Understanding:
    """What :func:`understand` made of a query."""

    query: ParsedQuery  # with Telex/VNI tokens converted (the typed query if none was)
    rewritten: str | None = None  # the converted query text, to show; None when nothing was converted
    converted: dict[str, str] = field(default_factory=dict)  # typed token (lower) -> syllable
    alternatives: dict[str, list[Alternative]] = field(default_factory=dict)  # typed syllable -> corrections
    # Known syllables that the rest of the query never goes with, and what they likely were.
    cooccurring: dict[str, list[Alternative]] = field(default_factory=dict)
    # Known syllables of a short query that may be slips all the same (suspect_known): low-weight
    # guesses scored next to the typed syllable, not reported as corrections.
    suspected: dict[str, list[Alternative]] = field(default_factory=dict)

    @property
    def telex(self) -> bool:
        return self.rewritten is not None

    @property
    def ranked_alternatives(self) -> dict[str, list[Alternative]]:
        """Every alternative for the ranker to score next to its typed syllable."""
        return {**self.suspected, **self.cooccurring, **self.alternatives}

    @property
    def corrections(self) -> dict[str, list[str]]:
        """Typed syllable -> what was also searched for, to tell the user (suspected slips left out)."""
        return {typed: [a.replacement for a in alts]
                for typed, alts in {**self.cooccurring, **self.alternatives}.items()}

    def corrected_text(self) -> str | None:
        """The query text with each corrected syllable replaced by its best correction, or None if none."""
        if not self.alternatives and not self.cooccurring:
            return None
        text = self.rewritten or self.query.text
        best = {typed: alts[0].replacement for typed, alts in self.alternatives.items()}
        if self.cooccurring:
            # Only the one best of these: correcting every word that could be a slip would rewrite right ones.
            typed, alt = max(((t, a[0]) for t, a in self.cooccurring.items()), key=lambda ta: ta[1].evidence)
            best.setdefault(typed, alt.replacement)

        def sub(m: re.Match[str]) -> str:
            tok = m.group()
            got = best.get(canonical(tok))
            if got is None:
                return tok
            return got[:1].upper() + got[1:] if tok[:1].isupper() else got

        return _TOKEN.sub(sub, text)


# -- Telex / VNI --------------------------------------------------------------------


def _telex_tokens(text: str) -> list[tuple[str, str]]:
    """(token, conversion) for each whitespace token of *text* that converts to something else."""
    out = []
    for tok in text.split():
        core = tok.lstrip("-=").strip(".,;:!?()[]\"'")
        out.append((core, _telex_of(core)))
    return out


@functools.lru_cache(maxsize=1 << 16)
def _telex_of(core: str) -> str:
    """What the token *core* converts to as Telex or VNI, "" when nothing else.

    Kept: every query's every token is asked (tens of microseconds each), and
    queries share their words.
    """
    if not core or has_diacritics(core) or not core.isascii():
        return ""
    got = convert(core)
    return got if got is not None and got.lower() != core.lower() else ""


def telex_rewrite(text: str, vocab: Vocabulary) -> tuple[str, dict[str, str]] | None:
    """*text* with its Telex/VNI tokens converted, and the conversions; None when nothing converts.

    Judged token by token, with its neighbours: a conversion is taken when the
    converted syllable is in :data:`TELEX_RATIO` times as many documents as
    the letters typed (:data:`TELEX_PAIR_RATIO` when it makes a known word with
    a converted or plain neighbour). Letters as typed that the index holds as
    a Vietnamese syllable ("xoong") or in more than :data:`TELEX_TYPED_MAX`
    documents ("sex", "max") need that word evidence, or this: another token
    was converted, no document holds the query as decided so far, and some
    hold it with every Telex token converted ("bongr moon" is "bỏng môn").
    """
    tokens = _telex_tokens(text)
    if not any(conv for _, conv in tokens):
        return None
    forms = [conv.lower() if conv else tok.lower() for tok, conv in tokens]
    converted: dict[str, str] = {}
    for i, (tok, conv) in enumerate(tokens):
        if not conv:
            continue
        c = canonical(conv)
        df_conv = vocab.exact_frequency(c)
        if not df_conv:
            continue
        typed = tok.lower()
        df_typed = vocab.folded_frequency(typed)
        if df_typed:  # the letters as typed are in the index too: ask the neighbours
            paired = (i > 0 and vocab.pair(forms[i - 1], c, around=0) > 0) or \
                     (i + 1 < len(forms) and vocab.pair(c, forms[i + 1], around=1) > 0)
            if not paired and (split_folded(typed) is not None or df_typed > TELEX_TYPED_MAX):
                continue  # a real syllable as typed ("xoong", "boong"), or a word of the index ("sex")
            if df_conv < (TELEX_PAIR_RATIO if paired else TELEX_RATIO) * df_typed:
                continue
        converted[typed] = conv
    rejected = {tok.lower(): conv for tok, conv in tokens if conv and tok.lower() not in converted}
    if converted and rejected and len(tokens) <= COOCCURRENCE_MAX_SYLLABLES:
        # "bongr moon": "moon" is in some documents, but never with "bỏng", and
        # "môn" is: the query is in Telex elsewhere, so read it whole as Telex.
        def together(words: list[str]) -> int:
            docs: np.ndarray | None = None
            for w in words:
                got = _tier_docs(vocab, canonical(w))
                docs = got if docs is None else intersect_sorted(docs, got)
                if not docs.size:
                    return 0
            return 0 if docs is None else int(docs.size)

        decided = [converted.get(tok.lower(), tok) for tok, _ in tokens if tok]
        every = [conv or tok for tok, conv in tokens if tok]
        if not together(decided) and together(every):
            converted.update(rejected)
    if not converted:
        return None

    def sub(m: re.Match[str]) -> str:
        tok = m.group()
        conv = converted.get(tok.lower())
        if conv is None:
            return tok
        return convert(tok) or conv

    return re.sub(r"[^\W_]+", sub, text), converted


# -- typos ----------------------------------------------------------------------------


@functools.lru_cache(maxsize=1 << 16)
def _forms(folded: str) -> tuple[str, ...]:
    """The spellings of *folded* to look for: :func:`spellings`, and for letters that are no syllable,
    their "d"s as "đ" too ("gd" -> "gđ", "dh" -> "đh": abbreviations, "giám đốc", "đại học").

    Kept (a few hundred syllables' spellings are asked for per corrected query, the same ones again and again).
    """
    out = list(spellings(folded))
    if "d" in folded and split_folded(folded) is None:
        at = [i for i, c in enumerate(folded) if c == "d"]
        out += [folded[:i] + "đ" + folded[i + 1:] for i in at]
        if len(at) > 1:
            out.append(folded.replace("d", "đ"))
    return tuple(out)


def _marked(syllable: str) -> bool:
    """Whether *syllable* carries a tone or a vowel mark ("bđ", an abbreviation, carries neither)."""
    return has_diacritics(syllable.replace("đ", "d"))


def _with_marks_of(typed: str, folded: str, vocab: Vocabulary) -> str:
    """The spelling of *folded* closest to the marks the user typed on *typed* (it had diacritics).

    Same tone and same letter marks first (typed "tiấu" → "giấu"), then the
    fewest marks not typed ("htảm" → "thảm", not "thẩm"), then the most
    frequent spelling the index holds; *folded* itself if it holds none.
    Kept in the vocabulary (up to :data:`~vnsearch.search.vocabulary.SPELLINGS_KEPT`): a query's
    syllable is judged against the same candidates once per reading of it.
    """
    return vocab.spelt.get_or((typed, folded), lambda: _closest_marks(typed, folded, vocab))


def _closest_marks(typed: str, folded: str, vocab: Vocabulary) -> str:
    """:func:`_with_marks_of`, worked out."""
    tone = tone_of(typed)
    marks = {c for c in fold_tone(typed) if fold_all(c) != c}
    # A "d" the typed letters lack was dropped: "đ" or "d" alike ("ỡ" -> "đỡ").
    added_d = folded.count("d") > fold_all(typed).count("d")
    best, best_key = folded, (-1, -1, -99, -1)
    for s, df, s_tone, own in _held_forms(folded, vocab):
        if added_d and "đ" in own:
            own = own - {"đ"}
        key = (int(s_tone == tone), len(marks & own), -len(own - marks), df)  # no marks the user did not type
        if key > best_key:
            best, best_key = s, key
    return best


def _held_forms(folded: str, vocab: Vocabulary) -> tuple[tuple[str, int, int, frozenset[str]], ...]:
    """The spellings of *folded* (:func:`_forms`, in order) that the index holds: each with its document
    frequency, its tone and its letter marks.

    Kept in the vocabulary (up to :data:`~vnsearch.search.vocabulary.SPELLINGS_KEPT`): the candidates of
    every word typed with diacritics ask for them, of a dozen spellings or
    more each, most of which no document holds.
    """
    def held() -> tuple[tuple[str, int, int, frozenset[str]], ...]:
        out = []
        for s in _forms(folded):
            df = vocab.exact_frequency(s)
            if df:
                out.append((s, df, tone_of(s), frozenset(c for c in fold_tone(s) if fold_all(c) != c)))
        return tuple(out)

    return vocab.forms.get_or(folded, held)


def _keeps_marks(typed: str, replacement: str) -> bool:
    """Whether *replacement* carries the tone and every letter mark typed on *typed* ("kổ" -> "khổ", not "kỷ").

    A slip adds, drops, doubles or swaps letters: a mark the user typed was on
    the word meant (a slip on the marked letter itself drops the mark with it).
    """
    tone = tone_of(typed)
    if tone and tone_of(replacement) != tone:
        return False
    own = {c for c in fold_tone(replacement) if fold_all(c) != c}
    return all(c in own for c in fold_tone(typed) if fold_all(c) != c)


def _correctable(folded: str) -> bool:
    """Whether a folded syllable may be a slip: letters ("cáh"), or a code of letters and digits ("24g")."""
    return (folded.isalpha() and folded.isascii()) or is_code(folded)


def _unknown(syllable: str, vocab: Vocabulary) -> bool:
    """Whether the index holds *syllable* nowhere: folded, or, typed with diacritics, exactly.

    Kept in the vocabulary (up to :data:`~vnsearch.search.vocabulary.SPELLINGS_KEPT`): a query asks it of
    each of its words many times over (once per other word, for the rest of the query).
    """
    return vocab.unknown.get_or(syllable, lambda: _unknown_in(syllable, vocab))


def _unknown_in(syllable: str, vocab: Vocabulary) -> bool:
    """:func:`_unknown`, looked up."""
    f = fold_all(syllable)
    if not _correctable(f):
        return False
    if not vocab.folded_frequency(f):
        return True
    return has_diacritics(syllable) and not vocab.exact_frequency(syllable)


def corrections(syllables: Sequence[str], vocab: Vocabulary,
                rest: dict[str, np.ndarray] | None = None) -> dict[str, list[Alternative]]:
    """Likely corrections of the syllables of one query, by typed syllable.

    Only a syllable the index does not hold (folded; or exactly, when typed
    with diacritics: "khỏ") is corrected: every word of a query copied from
    an article is left as it is. Candidates come from the vocabulary's
    :class:`~vnsearch.lang.typos.TypoIndex`. Those found in some document
    together with the rest of the query (*rest*: per typed syllable, the docs
    holding all the other known syllables) come first, by slip likelihood ×
    log(1 + documents shared with the rest) / df ** :data:`RARITY_POWER` /
    edits (a syllable typed with diacritics: the documents of the spelling
    that keeps its marks); the others by slip likelihood × log document
    frequency / edits; times :data:`PAIR_BONUS` when the candidate makes
    a word the index holds with a neighbour. The best
    gets :data:`CORRECTION_WEIGHT`, the others less in proportion to their
    score (a quarter of that for candidates never seen with the rest).
    """
    out: dict[str, list[Alternative]] = {}
    folded: list[str] = []  # the syllables folded, made for the first unknown one (most queries have none)
    for i, s in enumerate(syllables):
        if s in out or not _unknown(s, vocab):
            continue
        folded = folded or [fold_all(w) for w in syllables]
        f = folded[i]
        others = rest.get(s) if rest else None
        with_rest = others is not None and bool(others.size)
        among = Among(others, _doc_numbers(vocab)) if with_rest and others is not None else None
        title_rest = _title_rest(syllables, i, vocab) if with_rest else None
        # Under three letters one edit floods (see lang.typos); with the rest of the query
        # to co-occur with, it does not, so a short syllable gets one edit then.
        edits = max(max_edits(len(f), vocab.tolerance), 1 if with_rest else 0)
        forced = edits > max_edits(len(f), vocab.tolerance)
        vietnamese = _marked(s) or split_folded(f) is not None
        marked = has_diacritics(s)
        scored: list[tuple[bool, float, str, Candidate]] = []
        for cand in vocab.candidates(f, edits, 100):
            if cand.distance == 0:
                continue
            if vietnamese and split_folded(cand.word) is None:
                continue  # a Vietnamese syllable mistyped is another one, not "bca" or "xy"
            replacement = _with_marks_of(s, cand.word, vocab) if marked else cand.word
            together = 0
            if among is not None:
                # Typed with diacritics: judged by the documents of the spelling that keeps the marks typed.
                docs = vocab.docs("text", replacement) if marked else np.zeros(0, dtype=np.int64)
                if not docs.size:
                    docs = vocab.docs("text_f", cand.word)
                together = among.count(docs)
            if forced and not together:
                continue
            if together:
                # Seen with the rest of the query: the correction most telling of those documents.
                score = cand.weight * math.log1p(together) / docs.size ** RARITY_POWER / cand.distance
                if not _folds_like_rest(cand.word, folded, i):
                    score *= _title_factor(cand.word, title_rest, vocab, docs if marked else None)
            else:
                score = cand.weight * math.log1p(cand.frequency) / cand.distance
            if (i and vocab.pair(folded[i - 1], cand.word, around=0)) or \
                    (i + 1 < len(folded) and vocab.pair(cand.word, folded[i + 1], around=1)):
                score *= PAIR_BONUS
            if marked and not _keeps_marks(s, replacement):
                score *= MARKS_LOST_FACTOR
            scored.append((together > 0, score, replacement, cand))
        if not scored:
            continue
        scored.sort(key=lambda sc: (not sc[0], -sc[1], sc[2]))
        alts = []
        seen_words: set[str] = set()
        for seen, score, replacement, cand in scored:
            if replacement in seen_words:
                continue
            seen_words.add(replacement)
            top = max(sc[1] for sc in scored if sc[0] == seen)
            weight = CORRECTION_WEIGHT * score / top
            if not seen and scored[0][0]:
                weight *= 0.25
            alts.append(Alternative(s, replacement, weight, cand.distance, score))
            if len(alts) == MAX_ALTERNATIVES:
                break
        out[s] = alts
    return out


def _rests(syllables: Sequence[str], vocab: Vocabulary, max_syllables: int = 6) -> dict[str, np.ndarray]:
    """Per syllable of a short query: the docs holding every other known syllable (absent when there is none)."""
    words = list(dict.fromkeys(syllables))
    if len(words) < 2 or len(words) > max_syllables or not any(_unknown(w, vocab) for w in words):
        return {}
    docs = {w: _tier_docs(vocab, w) for w in words if not _unknown(w, vocab)}
    out: dict[str, np.ndarray] = {}
    for w in words:
        others = [d for o, d in docs.items() if o != w]
        if not others:
            continue
        acc = others[0]
        for d in others[1:]:
            acc = intersect_sorted(acc, d)
        out[w] = acc
    return out


def _doc_numbers(vocab: Vocabulary) -> int:
    """How many doc numbers the vocabulary's snapshot has (0 when a stand-in for one does not say)."""
    return int(getattr(vocab.snapshot, "size", 0))


def _tier_docs(vocab: Vocabulary, syllable: str) -> np.ndarray:
    """Doc numbers holding *syllable* as the ranker first matches it: exactly if typed with diacritics, else folded."""
    if has_diacritics(syllable):
        return vocab.docs("text", syllable)
    return vocab.docs("text_f", fold_all(syllable))


def cooccurrence_corrections(syllables: Sequence[str], vocab: Vocabulary,
                             max_syllables: int = COOCCURRENCE_MAX_SYLLABLES,
                             always: bool = False, weight: float = CORRECTION_WEIGHT) -> dict[str, list[Alternative]]:
    """Corrections of syllables the index holds, but not together with the rest of the query.

    A slip often lands on another real syllable ("cán" typed "cá"), which no
    vocabulary check can catch. The index can: when no document holds every
    syllable of the query, and every one but syllable *i* is held together
    somewhere, then *i* may be the slip; its candidates within one edit (any
    length: the co-occurrence test keeps short syllables from flooding) are
    kept when some of those documents hold them, scored by slip likelihood ×
    log(1 + documents holding it with the rest) / (documents holding it) **
    :data:`COOCCURRENCE_RARITY_POWER`, which favours the correction telling of these
    documents over a merely common syllable. A syllable typed with diacritics
    is corrected to the spelling that keeps them ("cá" → "cán", not "căn"),
    judged by that spelling's documents. A query copied from an article always has a document
    holding all its syllables, so it is never changed.
    """
    evidence = _cooccurrence_evidence(syllables, vocab, max_syllables, always)
    return {} if evidence is None else _cooccurrence_alternatives(evidence, always, weight)


# Per word of the query that some candidates co-occur with the rest: (the word, whether it is a fragment,
# its candidates as (score, replacement, candidate, telling)), in the query's order.
_Evidence = list[tuple[str, bool, list[tuple[float, str, Candidate, bool]]]]


def _cooccurrence_evidence(syllables: Sequence[str], vocab: Vocabulary, max_syllables: int,
                           always: bool) -> _Evidence | None:
    """The scored candidates of :func:`cooccurrence_corrections`, before they are weighed into alternatives.

    None when the query is not one to correct (too short or long, an unknown
    syllable; or, unless *always*, some document holds every syllable). The
    scores do not depend on *always* beyond that: :func:`understand` weighs
    one query's evidence both as corrections and as guesses (``suspect_known``)
    without scoring every candidate twice.
    """
    words = [s for s in dict.fromkeys(syllables) if _correctable(fold_all(s))]
    if len(words) < 2 or len(words) > max_syllables:
        return None
    accented = any(has_diacritics(s) for s in words)
    docs = [_tier_docs(vocab, s) for s in words]
    if any(not d.size for d in docs):
        return None  # an unknown syllable: corrections() deals with it
    n = len(words)
    if not always:
        # Most queries are copied or remembered whole: some document holds every syllable, and nothing
        # is corrected. Learnt from the rarest list up, stopping at the first empty intersection.
        every = intersect_all(docs)
        if every is not None and every.size:
            return None
    prefix = [docs[0]]
    for d in docs[1:]:
        prefix.append(intersect_sorted(prefix[-1], d))
    suffix = [docs[-1]]
    for d in reversed(docs[:-1]):
        suffix.append(intersect_sorted(suffix[-1], d))
    suffix.reverse()
    evidence: _Evidence = []
    folded_words = [fold_all(w) for w in words]
    size = _doc_numbers(vocab)
    for i, s in enumerate(words):
        if i == 0:
            rest = suffix[1]
        elif i == n - 1:
            rest = prefix[n - 2]
        else:
            rest = intersect_sorted(prefix[i - 1], suffix[i + 1])
        if not rest.size:
            continue
        among = Among(rest, size)
        f = folded_words[i]
        scored: list[tuple[float, str, Candidate, bool]] = []
        # What tells a slip: a correction that makes a word of the index with a neighbour ("tổ nhĩ" ->
        # "thổ nhĩ"), or stands in a headline with the rest of the query, where the typed syllable does not.
        typed_paired = _paired(vocab, words, i, s)
        title_rest = _title_rest(words, i, vocab)
        typed_headlined = _title_factor(f, title_rest, vocab) > 1.0
        fragment = len(f) <= 2 and _fragment(f)
        for cand, replacement, fieldname, term, folded_replacement, keeps in _expansions(s, accented, vocab):
            held = vocab.docs(fieldname, term)
            together = among.count(held)
            if not together:
                continue
            headlined = 1.0 if _folds_like_rest(cand.word, folded_words, i) else \
                _title_factor(folded_replacement, title_rest, vocab, held)
            score = cand.weight * math.log1p(together) / held.size ** COOCCURRENCE_RARITY_POWER * headlined
            telling = (headlined > 1.0 and not typed_headlined) or \
                (not typed_paired and _paired(vocab, words, i, replacement))
            if telling:
                score *= PAIR_BONUS
            if not keeps:
                score *= MARKS_LOST_FACTOR
            scored.append((score, replacement, cand, telling))
        if scored:
            scored.sort(key=lambda sc: (-sc[0], sc[1]))
            evidence.append((s, fragment, scored))
    return evidence


# One candidate spelling of a word for _cooccurrence_evidence: (the candidate, the spelling judged, the field and
# term of its documents, the spelling folded, whether it keeps the marks typed).
_Expansion = tuple[Candidate, str, str, str, str, bool]


def _expansions(s: str, accented: bool, vocab: Vocabulary) -> tuple[_Expansion, ...]:
    """The spellings :func:`_cooccurrence_evidence` judges for the word *s* of a query (*accented*: some word of
    it has diacritics), in its order: each candidate within one edit (a lone consonant's longer ones only),
    each of its spellings by :func:`_spelt`.

    The same in every query of the snapshot that holds *s*: kept in the vocabulary (up to
    :data:`~vnsearch.search.vocabulary.SPELLINGS_KEPT` words), its documents asked of the vocabulary's
    cache of lists each time.
    """
    return vocab.expanded.get_or((s, accented), lambda: _expanded(s, accented, vocab))


def _expanded(s: str, accented: bool, vocab: Vocabulary) -> tuple[_Expansion, ...]:
    """:func:`_expansions`, worked out."""
    f = fold_all(s)
    marked = has_diacritics(s)
    fragment = len(f) <= 2 and _fragment(f)
    out: list[_Expansion] = []
    for cand in vocab.candidates(f, 1, COOCCURRENCE_CANDIDATES):
        # Any word of the index ("fan" for "ran"): the rest of the query judges it.
        if cand.distance == 0 or (fragment and len(cand.word) <= len(f)):
            continue  # a lone consonant is what is left of a syllable whose vowel was dropped
        for replacement, fieldname, term in _spelt_terms(s, cand.word, vocab, marked or accented):
            out.append((cand, replacement, fieldname, term, fold_all(replacement),
                        not marked or _keeps_marks(s, replacement)))
    return tuple(out)


def _cooccurrence_alternatives(evidence: _Evidence, always: bool, weight: float) -> dict[str, list[Alternative]]:
    """:func:`cooccurrence_corrections`' alternatives from its evidence, weighed (a guess when *always*)."""
    out: dict[str, list[Alternative]] = {}
    for s, fragment, scored in evidence:
        top = scored[0][0]
        alts: list[Alternative] = []
        for score, replacement, cand, telling in scored:
            if any(a.replacement == replacement for a in alts):
                continue
            w = max(weight, PAIRED_GUESS_WEIGHT) if always and telling else weight
            alts.append(Alternative(s, replacement, w * score / top, cand.distance, score,
                                    # A guess never counts, a lone consonant's readings neither: "đồ s" would
                                    # otherwise "match" ten common syllables (4,189 of 5,000 articles).
                                    counted=not always,
                                    telling=telling, covers=fragment))
            if len(alts) == (FRAGMENT_ALTERNATIVES if fragment else MAX_ALTERNATIVES):
                break
        out[s] = alts
    return out


def _title_rest(words: Sequence[str], i: int, vocab: Vocabulary) -> Among | None:
    """The docs whose title holds every other known syllable of *words* (folded); None if there is none.

    As an :class:`~vnsearch.search.sets.Among`: every candidate for the *i*-th is counted against them.
    """
    acc: np.ndarray | None = None
    for j, w in enumerate(words):
        if j == i or _unknown(w, vocab):
            continue
        got = vocab.docs("title_f", fold_all(w))
        if has_diacritics(w):
            # Titles are indexed folded: "doi" with "bo" is "đời" or "đội" as often as the "đồi" typed; only
            # articles spelling the word as typed hold it (anywhere: an approximation, as for corrections).
            got = intersect_sorted(got, vocab.docs("text", w))
        acc = got if acc is None else intersect_sorted(acc, got)
    return None if acc is None else Among(acc, _doc_numbers(vocab))


def _folds_like_rest(folded: str, words: Sequence[str], i: int) -> bool:
    """Whether *folded* folds like another word of the query than the *i*-th (all folded).

    Titles are indexed folded: a title holding "an" holds "án" with "ẩn" for
    :func:`_title_factor` though it holds one of them at most ("ẩn ál" is
    "ẩn lá"); such a correction's headlines tell nothing.
    """
    return any(w == folded for j, w in enumerate(words) if j != i)


def _title_factor(folded: str, title_rest: Among | None, vocab: Vocabulary,
                  spelt: np.ndarray | None = None) -> float:
    """1 + :data:`TITLE_TOGETHER_WEIGHT` × log(1 + headlines holding *folded* with the rest of the query).

    Headlines are where an article's telling words stand together, and what a
    searcher remembers: a correction that makes the query a headline's words
    is the likelier reading (the ranker favours such titles the same way).
    *spelt*, the documents of the spelling judged, narrows the headlines to
    those of articles holding that spelling: a title's folded "to" with the
    rest of the query is as likely "tổ" or "to" as the "tờ" judged (the index
    has no accented title field; this took kw-typo .829 -> .844 on seed 11).
    """
    if title_rest is None or not title_rest.ids.size:
        return 1.0
    titles = vocab.docs("title_f", folded)
    if spelt is None:
        return 1.0 + TITLE_TOGETHER_WEIGHT * math.log1p(title_rest.count(titles))
    # The headlines with the rest first: the fewest ids, where the title's list and the spelling's may be long.
    held = title_rest.common(titles)
    # The spelling's own documents: a title holding "to" with the rest may hold "tổ", not "tờ".
    return 1.0 + TITLE_TOGETHER_WEIGHT * math.log1p(intersect_count(held, spelt) if held.size else 0)


def _fragment(folded: str) -> bool:
    """Whether *folded* is letters without a vowel ("t", "ch"): what a dropped accented vowel leaves."""
    return folded.isalpha() and folded.isascii() and not any(c in "aeiouy" for c in folded)


def _paired(vocab: Vocabulary, words: Sequence[str], i: int, syllable: str) -> bool:
    """Whether *syllable* at position *i* of *words* makes a word of the index with a neighbour.

    As spelt when either has diacritics ("thổ" "nhĩ"), else folded.
    """
    pairs = [(words[i - 1], syllable, 0)] if i > 0 else []  # (the query's own neighbour is looked around)
    if i + 1 < len(words):
        pairs.append((syllable, words[i + 1], 1))
    for a, b, around in pairs:
        if has_diacritics(a) or has_diacritics(b):
            if vocab.pair_count(a, b, exact=True, around=around):
                return True
        elif vocab.pair_count(fold_all(a), fold_all(b), exact=False, around=around):
            return True
    return False


def _spelt(typed: str, folded: str, vocab: Vocabulary, marked: bool) -> list[tuple[str, np.ndarray]]:
    """The forms a candidate *folded* is judged by, each with the documents holding it.

    Typed with diacritics: the spelling that keeps the marks typed ("cá" -> "cán",
    not "căn"). A fragment typed in a query with diacritics ("t" of "cắt tờ"): each
    spelling the index holds, judged by its own documents (the folded syllable,
    common in any spelling, would drown the rare one meant). Otherwise the folded
    candidate itself.
    """
    return [(replacement, vocab.docs(fieldname, term))
            for replacement, fieldname, term in _spelt_terms(typed, folded, vocab, marked)]


def _spelt_terms(typed: str, folded: str, vocab: Vocabulary, marked: bool) -> list[tuple[str, str, str]]:
    """:func:`_spelt`'s forms, each with the field and term of its documents."""
    if not marked or is_code(folded):
        return [(folded, "text_f", folded)]
    if has_diacritics(typed):
        replacement = _with_marks_of(typed, folded, vocab)
        return [(replacement, "text", replacement)] if vocab.docs("text", replacement).size else []
    return [(form, "text", form) for form, _, _, _ in _held_forms(folded, vocab)]


# -- the whole query --------------------------------------------------------------------


def understand(parsed: ParsedQuery, snapshot: Snapshot, *, telex: bool = True, typos: bool = True,
               suspect_known: float = 0.0) -> Understanding:
    """Telex/VNI conversion and typo alternatives for *parsed*, judged by *snapshot*'s vocabulary.

    The query is re-parsed from its converted text when something converted,
    so its groups, runs, filters and exact marks stay as the parser makes them.
    Quoted phrases and exact words (``=bão``) are taken as typed: no
    corrections for them, nor for a query with more unknown words than known
    ones (one unknown word alone is corrected). *suspect_known* (a weight, 0 = off) also offers,
    for queries of up to three syllables, corrections of known syllables that
    co-occur with the rest: only for a ranker that keeps the typed syllable
    (:func:`combine_alternatives`), never for a text rewrite.
    """
    vocab = vocabulary(snapshot)
    result = Understanding(parsed)
    if telex:
        got = telex_rewrite(parsed.text, vocab)
        if got is not None:
            text, converted = got
            reparsed = parse_query(text, exact=parsed.exact_all)
            result = Understanding(reparsed, text, converted)
    if typos:
        exact = _exact_syllables(result.query)
        plain = [s for run in result.query.runs for s in run if s not in exact]
        distinct = set(plain)
        unknown = sum(_unknown(w, vocab) for w in distinct)
        if unknown <= max(1, len(distinct) // 2):
            # More unknown words than known ones is a query about what the index does not
            # hold ("chim cánh cụt" in two articles about AI), not a query with slips in it.
            result.alternatives = corrections(plain, vocab, _rests(plain, vocab))
        if not result.alternatives and not unknown:
            # (cooccurrence_corrections, in two steps: the candidates scored for the corrections are
            # those the guesses below are weighed from.)
            evidence = _cooccurrence_evidence(plain, vocab, COOCCURRENCE_MAX_SYLLABLES, False)
            if evidence is not None:
                result.cooccurring = _cooccurrence_alternatives(evidence, False, CORRECTION_WEIGHT)
            if not result.cooccurring and suspect_known and len(set(plain)) <= 3:
                # Known syllables may be slips too ("cá" for "cán"): for a ranker that keeps the
                # typed syllable, offer what co-occurs with the rest, at a low weight.
                if evidence is None:
                    evidence = _cooccurrence_evidence(plain, vocab, COOCCURRENCE_MAX_SYLLABLES, True)
                if evidence is not None:
                    result.suspected = _cooccurrence_alternatives(evidence, True, suspect_known)
        for typed, alts in telex_slips(result.converted, plain, vocab).items():
            # Both readings side by side: the Telex one as the query, the slip's next to it.
            merged = sorted([*alts, *result.cooccurring.get(typed, [])], key=lambda a: -a.weight)
            result.cooccurring[typed] = merged[:MAX_ALTERNATIVES]
    return result


def telex_slips(converted: dict[str, str], plain: Sequence[str], vocab: Vocabulary) -> dict[str, list[Alternative]]:
    """Typo readings of tokens read as Telex that the rest of the query never goes with, by converted syllable.

    "caj tù" reads as "cạ tù" in Telex, but no article holds "cạ" with "tù":
    the "j" was a slip of the finger next to "m" ("cam tù"). The letters as
    typed get the corrections a slip would (within one edit, every spelling the
    index holds, judged by the documents it shares with the rest of the query),
    to be scored next to the converted syllable.
    """
    out: dict[str, list[Alternative]] = {}
    for typed, conv in converted.items():
        c = canonical(conv.lower())
        if c not in plain or not typed.isalpha() or not typed.isascii():
            continue
        i = plain.index(c)
        rest: np.ndarray | None = None
        for j, w in enumerate(plain):
            if j != i and not _unknown(w, vocab):
                got = _tier_docs(vocab, w)
                rest = got if rest is None else intersect_sorted(rest, got)
        if rest is None or not rest.size or intersect_count(_tier_docs(vocab, c), rest):
            continue  # nothing to judge by, or the Telex reading goes with the rest
        title_rest = _title_rest(plain, i, vocab)
        scored: list[tuple[float, str, Candidate]] = []
        for cand in vocab.candidates(typed, 1, COOCCURRENCE_CANDIDATES):  # letters only: never a code
            if cand.distance == 0 or split_folded(cand.word) is None:
                continue
            for replacement, held in _spelt(typed, cand.word, vocab, True):
                together = intersect_count(held, rest)
                if together:
                    score = cand.weight * math.log1p(together) / held.size ** RARITY_POWER
                    scored.append((score * _title_factor(cand.word, title_rest, vocab), replacement, cand))
        if not scored:
            continue
        scored.sort(key=lambda sc: (-sc[0], sc[1]))
        top = scored[0][0]
        out[c] = [Alternative(c, replacement, CORRECTION_WEIGHT * score / top, cand.distance, score)
                  for score, replacement, cand in scored[:MAX_ALTERNATIVES]]
    return out


def _exact_syllables(parsed: ParsedQuery) -> set[str]:
    return {s for group in parsed.groups for p in group if p.exact for s in p.syllables}


# -- exact spelling ---------------------------------------------------------------------


def _holding(snapshot: Snapshot, syllables: Iterable[str]) -> np.ndarray:
    """Per doc number: whether the document holds every one of *syllables* exactly (field ``text``)."""
    mask: np.ndarray = np.array(snapshot.live, dtype=bool)
    for s in syllables:
        docs = snapshot.postings("text", s).docs
        held = np.zeros(snapshot.size, dtype=bool)
        held[docs] = True
        mask &= held
    return mask


def exact_mask(parsed: ParsedQuery, snapshot: Snapshot) -> np.ndarray | None:
    """Documents that hold the exact spelling of every exact part of *parsed*; None if it has none.

    A group (alternatives joined by OR) is satisfied by any alternative: an
    exact one by holding each of its syllables as typed, one that is not exact
    by anything. A quoted exact phrase needs its syllables exactly and, as for
    any phrase, in order: the ranker's phrase check (on the folded positions)
    does the latter, this mask the former. The ranker intersects its match mask
    with this, before counting totals and facets and sorting by date.
    """
    if not _exact_syllables(parsed):
        return None
    mask: np.ndarray = np.array(snapshot.live, dtype=bool)
    for group in parsed.groups:
        if not any(p.exact for p in group):
            continue
        either = np.zeros(snapshot.size, dtype=bool)
        for p in group:
            if p.exact:
                either |= _holding(snapshot, p.syllables)
            else:
                either |= snapshot.live
        mask &= either
    return mask


def combine_alternatives(score: np.ndarray, mask: np.ndarray,
                         alternatives: Sequence[tuple[float, np.ndarray, np.ndarray]],
                         keep: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A typed syllable's dense score and match mask, with its corrections' folded in.

    *alternatives* are ``(weight, score, mask)`` of each correction, scored
    the way the ranker scores any syllable (``Ranker.syllable``): a document
    counts the best of its typed score and each correction's score × weight,
    so one holding the typed syllable is never outranked on this clause by one
    holding only a correction (weights are below 1), and a document holding a
    correction matches the clause. *keep* (default *mask*) is where the typed
    score stands whatever the corrections score; elsewhere the best counts.
    """
    out = score.copy()
    matched = mask.copy()
    free = ~(mask if keep is None else keep)
    for weight, alt_score, alt_mask in alternatives:
        # np.maximum(out, weighted, out=out, where=~kept), without the masked ufunc (several times the
        # cost of the arithmetic over a whole index's documents): the maximum differs from *out* only
        # where the weighted score is above it, where either is a NaN, and where they are equal zeros of
        # different signs (np.maximum returns its second argument of two equal ones): there it is taken.
        weighted = weight * alt_score
        change = weighted <= out
        np.logical_not(change, out=change)
        zeros = np.signbit(weighted)
        zeros ^= np.signbit(out)
        zeros &= weighted == out
        change |= zeros
        change &= free
        at = np.flatnonzero(change)
        out[at] = np.maximum(out[at], weighted[at])
        matched |= alt_mask
    return out, matched
