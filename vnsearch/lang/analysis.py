"""Vietnamese analysis: syllables with offsets, words from underthesea, matching tiers.

The pipeline, in the spirit of Whoosh's ``analysis`` package, is a few small
stages:

1. :func:`vnsearch.lang.text.prepare` — NFC, invisible characters out, offset map kept.
2. :func:`tokenize` — a regular expression splits syllables, numbers
   (``2.000``, ``14,6``, ``43%``) and mixed tokens (``COVID-19``) and keeps
   each token's character span in the *original* text.
3. :class:`Segmenter` — underthesea's CRF model says which syllables form one
   word (``Bắc Kinh``, ``trí tuệ``). It is the expensive stage, so it runs once
   per article at index time and never at query time.
4. :func:`analyze` — the syllables and words, each in exact and folded form,
   at positions that line up: a word sits at the position of its first
   syllable, so phrase and proximity checks work on syllables whatever the
   segmenter decided, and a whole-word match only adds to the score.

Only stage 3 imports underthesea; queries and snippets use stages 1–2.
"""

from __future__ import annotations

import itertools
import operator
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from vnsearch.lang.text import (
    canonical,
    fold_all,
    fold_lower_text,
    is_prepared,
    prepare,
    prepared_and_folded,
    spaced_fold,
)

__all__ = ["Token", "Analysis", "tokenize", "token_texts", "syllables", "Segmenter", "analyze", "analyze_texts",
           "add_terms", "add_zone_terms", "sentence_chunks", "sentence_chunks_of", "WORD_JOINER"]

# A number ("2.000", "14,6", "43%", dates and times "10/2", "19:30") unless
# letters follow ("19h30" stays whole);
# a word, possibly hyphenated or with an apostrophe ("COVID-19", "H'Mông");
# any other visible character is punctuation (kept for the segmenter only).
_TOKEN = re.compile(
    r"(?P<num>\d+(?:[.,/:]\d+)*%?(?![^\W_]))"
    r"|(?P<word>[^\W_]+(?:[-'’][^\W_]+)*)"
    r"|(?P<punct>[^\w\s]|_)"
)
# The same without punctuation: the tokens _TOKEN finds that are not
# punctuation, in order (a punctuation character matches neither of the two
# alternatives, so scanning steps over it as _TOKEN's third one consumes it).
_SYLLABLE = re.compile(
    r"\d+(?:[.,/:]\d+)*%?(?![^\W_])"
    r"|[^\W_]+(?:[-'’][^\W_]+)*"
)
_SYLLABLE_SPLIT = re.compile(f"({_SYLLABLE.pattern})")

# Joins the syllables of a multi-syllable word in its index term ("trí tuệ"):
# a space can never occur inside a syllable, so the two never collide.
WORD_JOINER = " "


class Token(NamedTuple):
    """One token of the original text; ``start``/``end`` index that text."""

    text: str  # canonical spelling, original case (the segmenter uses case)
    start: int
    end: int
    is_word: bool  # False for punctuation


def tokenize(text: str) -> list[Token]:
    """Split *text* into tokens whose offsets point into *text* itself."""
    clean, offsets = prepare(text)
    if offsets is not None:
        return _tokenize_mapped(text, clean, offsets)
    # Indexing tokenizes every zone of every article: one split finds the
    # tokens and the text between them, whose running lengths are the tokens'
    # offsets, and each distinct token's spelling and kind come from a cache,
    # instead of a match object and its methods for every token.
    pieces = _TOKEN_SPLIT.split(clean)  # text between tokens, a token, text between …
    texts = pieces[1::2]
    bounds = list(itertools.accumulate(map(len, pieces)))  # token i spans bounds[2i] to bounds[2i + 1]
    new = tuple.__new__
    return [new(Token, (form[0], start, end, form[1]))
            for form, start, end in zip(map(_token_form, texts), bounds[0::2], bounds[1::2])]


def token_texts(text: str) -> tuple[list[str], list[bool]]:
    """:func:`tokenize`'s token texts and whether each is a word, without offsets.

    Indexing needs no offsets (highlighting finds them again in the stored
    text): building a Token tuple and its offsets for every token of every
    article was a large part of tokenising.
    """
    clean, offsets = prepare(text)
    if offsets is not None:
        tokens = _tokenize_mapped(text, clean, offsets)
        return [t.text for t in tokens], [t.is_word for t in tokens]
    forms = list(map(_token_form, _TOKEN_SPLIT.split(clean)[1::2]))
    return list(map(_TEXT, forms)), list(map(_IS_WORD, forms))


_IS_WORD = operator.itemgetter(1)  # of _token_form's pair


def _tokenize_mapped(text: str, clean: str, offsets: list[int]) -> list[Token]:
    """:func:`tokenize` of a text that preparing changed: offsets mapped back through *offsets*."""
    tokens: list[Token] = []
    append = tokens.append
    new = tuple.__new__  # Token(...) without NamedTuple's Python-level __new__: this runs per token
    for m in _TOKEN.finditer(clean):
        start, end = m.span()
        start, end = offsets[start], _end_in_original(text, offsets[end - 1], offsets[end])
        tok = m.group()
        if m.lastgroup != "punct":
            append(new(Token, (_cased_canonical(tok), start, end, True)))
        else:
            append(new(Token, (tok, start, end, False)))
    return tokens


# _TOKEN's alternatives as one group, for re.split; a token matched by the
# punctuation one is a single character that this matches in full.
_TOKEN_SPLIT = re.compile(
    r"(\d+(?:[.,/:]\d+)*%?(?![^\W_])"
    r"|[^\W_]+(?:[-'’][^\W_]+)*"
    r"|[^\w\s]|_)"
)
_PUNCT = re.compile(r"[^\w\s]|_")


@lru_cache(maxsize=100_000)
def _token_form(tok: str) -> tuple[str, bool]:
    """A token's text as :func:`tokenize` gives it, and whether it is a word (not punctuation)."""
    if len(tok) == 1 and _PUNCT.fullmatch(tok):
        return tok, False
    return _cased_canonical(tok), True


def _end_in_original(text: str, last: int, limit: int) -> int:
    """End of the character cluster starting at *last* (base plus combining marks).

    *limit* is where the next character of the prepared text starts in *text*:
    the scan never passes it, so the scans of a whole text together visit each
    character at most once (a run of 30,000 marks once, not once per mark).
    """
    end = last + 1
    while end < limit and "\u0300" <= text[end] <= "\u036f":
        end += 1
    return end


@lru_cache(maxsize=100_000)
def _cased_canonical(tok: str) -> str:
    low = canonical(tok)
    if low == tok.lower():
        return tok
    # Tone moved (e.g. "Hoà" → "Hòa"): rebuild with the original letters' case.
    return "".join(c.upper() if o.isupper() else c for c, o in zip(low, tok)) if len(low) == len(tok) else low


JOINS = re.compile(r"[-'’]")  # what joins the parts of a token ("Covid-19", "e-mail")


def _has_wanted_part(folded: str, wanted: set[str]) -> bool:
    """Whether *folded*, a joined token ("covid-19"), has a part in *wanted*."""
    return any(part in wanted for part in JOINS.split(folded))


# Up to this many syllables (a title, a lead), folding each through _folded_lower's
# cache costs less than the whole-text fold's numpy set-up, and gives the same forms.
_FOLD_ONE_BY_ONE = 64


def matching_syllables(text: str, wanted: set[str], parts: bool = False) -> list[tuple[int, Token]]:
    """(position, token) for the syllables of *text* whose folded form is in *wanted*.

    The positions are those of :func:`syllables`; only candidates become
    tokens, which makes snippets cheap on long articles. With *parts*, a
    joined token ("Covid-19") one of whose parts is wanted is a candidate too
    (the index finds it by its parts), in the same pass over the text.

    Snippets call this for every zone of every hit, so nothing here runs in
    Python per syllable: the syllables are found by one ``findall``, folded
    together (:func:`~vnsearch.lang.text.fold_lower_text`), and only the
    candidates are located again for their offsets.
    """
    clean, offsets = prepare(text)
    pieces = _SYLLABLE_SPLIT.split(clean)  # text between syllables, a syllable, text between …
    words = pieces[1::2]
    if not words:
        return []
    if len(words) <= _FOLD_ONE_BY_ONE:
        folded = [_folded_lower(w) for w in words]
    else:
        folded = fold_lower_text("\x00".join(words)).split("\x00")
    if parts and ("-" in clean or "'" in clean or "’" in clean):
        hits = [i for i, f in enumerate(folded) if f in wanted or (
            ("-" in f or "'" in f or "’" in f) and _has_wanted_part(f, wanted))]
    else:
        hits = [i for i, f in enumerate(folded) if f in wanted]
    if not hits:
        return []
    ends = list(itertools.accumulate(map(len, pieces)))  # syllable i spans ends[2i] to ends[2i + 1]
    found = []
    for ordinal in hits:
        start, end = ends[2 * ordinal], ends[2 * ordinal + 1]
        if offsets is not None:
            start, end = offsets[start], _end_in_original(text, offsets[end - 1], offsets[end])
        found.append((ordinal, Token(_cased_canonical(words[ordinal]), start, end, True)))
    return found


# Characters a token is made of (letters, digits, and what joins them in
# "COVID-19", "H'Mông", "2.000", "10/2", "43%"): a token never spans anything else.
_TOKEN_CHARS = re.compile(r"(?:[^\W_]|[-'’.,/:%])*")
_ALNUM = re.compile(r"[^\W_]")


# What _TOKEN_CHARS takes besides letters and digits.
_JOINERS = "-'’.,/:%"


def syllable_finder(wanted: Iterable[str]) -> re.Pattern[str] | None:
    """A regex finding the *wanted* folded syllables in a folded text (:func:`find_syllables`).

    When every wanted syllable is made of letters and digits only (nearly
    always), the regex is searched in the text's spaced fold
    (:func:`~vnsearch.lang.text.spaced_fold`: every character that is not
    a letter or digit a space) and finds the words from the space before
    them (its group 1 is the word): Python's ``re`` then looks for that
    one literal space and tries the words at each, never at the letters
    inside words, as a regex starting with the words' first letters did
    (which also found syllables ending longer words, "a" in "hoa", to
    drop; a third less to scan). The word at the very start of the text
    has no space before it and is looked up alone (:func:`_find_in`).
    Those words are written as a tree of their letters
    (:func:`_letter_tree`): a query of fifteen syllables made the scan
    try fifteen words at every candidate. Otherwise (a syllable such as
    "covid-19") the regex, searched in the folded text, has a lookbehind.
    """
    words = sorted({w for w in wanted if w}, key=len, reverse=True)
    if not words:
        return None
    if all(w.isalnum() for w in words):
        # Letters and digits only: a match is the whole run of letters and digits from
        # where it starts (the lookahead says so), so at most one word can match at a
        # place, and the words as a tree of their letters ("ng(?:a|o|ua)") find the same
        # matches as their list, without trying every word at every candidate.
        tree = _letter_tree(words) if len(words[0]) <= _TREE_DEPTH else "|".join(map(re.escape, words))
        return re.compile(_SPACED + "(" + tree + r")(?![^\W_])")
    alternatives = "(?:" + "|".join(map(re.escape, words)) + r")(?![^\W_])"
    return re.compile(r"(?<![^\W_])" + alternatives)


# How a finder searched in a spaced fold begins (syllable_finder).
_SPACED = " "
_SPAN = re.Match.span


# The longest word written as a tree (one nested group a letter); longer ones (a
# query of one endless "word") are listed as alternatives, which match the same.
_TREE_DEPTH = 64


def _letter_tree(words: Iterable[str]) -> str:
    """A regex matching exactly *words*, written as the tree of their common beginnings."""
    tree: dict[str, Any] = {}
    for word in words:
        node = tree
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}  # a word ends here

    def written(node: dict[str, Any]) -> str:
        branches = [re.escape(char) + written(node[char]) for char in sorted(node) if char]
        if not branches:
            return ""
        if "" in node:
            branches.append("")  # the word ending here: tried last
        return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"

    return written(tree)


def find_syllables(text: str, wanted: set[str], finder: re.Pattern[str] | None,
                   parts: bool = False, known: dict[str, str] | None = None) -> list[tuple[int, Token]] | None:
    """:func:`matching_syllables`' tokens, found without tokenizing the whole text; None where it cannot tell.

    The text is folded whole (one numpy lookup) and *finder*
    (``syllable_finder(wanted)``) looks for the wanted syllables in it, so
    only the stretches of token characters around its matches are
    tokenized and checked exactly. The numbers paired with the tokens are
    not their positions among the text's syllables but keep what snippets
    need of them: increasing, and consecutive exactly where no syllable
    stands between two tokens. Returns None (the caller then uses
    :func:`matching_syllables`) where folding the text whole does not fold
    each token as alone: when it changes the text's length, or holds a
    capital sigma (whose lower case depends on the letters around it); with
    a spaced finder, also where a character is beyond the plane (the spaced
    fold is a table's, :func:`~vnsearch.lang.text.spaced_fold`).

    Most matches are a word standing alone (between spaces, or before a
    comma or full stop and a space): that word is then the stretch's one
    token, taken as it is rather than tokenized again.
    """
    clean, offsets = prepare(text)
    if finder is None:
        return []
    if "Σ" in clean:
        return None
    if finder.pattern.startswith(_SPACED):
        folded = spaced_fold(clean)  # (None also where a character beyond the plane folds to one: rare)
        if folded is None:
            return None
    else:
        folded = fold_lower_text(clean)
        if len(folded) != len(clean):
            return None
    return _find_in(text, clean, folded, offsets, 0, len(clean), wanted, finder, parts, known)


def find_syllables_many(texts: Sequence[str], wanted: set[str], finder: re.Pattern[str] | None,
                        parts: bool = False, known: dict[str, str] | None = None
                        ) -> list[list[tuple[int, Token]] | None]:
    """:func:`find_syllables` of each of *texts* (the same lists), the texts prepared and folded together.

    A page of hits has three texts a hit, most of them short: preparing
    and folding each alone cost more in fixed costs (numpy's set-up) than
    in characters. The texts are joined by newlines, which neither join
    nor compose with anything: when the joined text is clean as it is
    (:func:`~vnsearch.lang.text.prepare` maps nothing) so is each text,
    and when it folds one character for one, each text's fold is its
    stretch of the joined fold. Each text is then scanned within its own
    stretch, seeing nothing beyond it, as alone. Otherwise (a text with
    invisible characters, decomposed marks, Σ …) each is found alone.
    """
    if finder is None:
        return [[] for _ in texts]
    joined = "\n".join(texts)
    # (is_prepared, then fold_lower_chars or spaced_fold)
    prepared, folded = prepared_and_folded(joined, spaced=finder.pattern.startswith(_SPACED))
    if not prepared:
        # Some text needs preparing (a no-break space, a decomposed mark …): the others are still found together.
        plain = [i for i, text in enumerate(texts) if is_prepared(text)]
        if len(plain) == len(texts):  # (it cannot be so; were it, each alone)
            plain = []
        found: list[list[tuple[int, Token]] | None] = [None] * len(texts)
        for i, got in zip(plain, find_syllables_many([texts[i] for i in plain], wanted, finder, parts, known)):
            found[i] = got
        taken = set(plain)
        for i, text in enumerate(texts):
            if i not in taken:
                found[i] = find_syllables(text, wanted, finder, parts, known)
        return found
    if folded is None:
        return [find_syllables(text, wanted, finder, parts, known) for text in texts]
    found = []
    lo = 0
    for text in texts:
        hi = lo + len(text)
        found.append(_find_in(joined, joined, folded, None, lo, hi, wanted, finder, parts, known, lo))
        lo = hi + 1
    return found


def _find_in(text: str, clean: str, folded: str, offsets: list[int] | None, lo: int, size: int,
             wanted: set[str], finder: re.Pattern[str], parts: bool, known: dict[str, str] | None,
             base: int = 0) -> list[tuple[int, Token]]:
    """:func:`find_syllables` over ``clean[lo:size]`` (prepared, *folded* alike) as if it were the whole text.

    Offsets of the tokens are less *base*; *known* (token text -> its
    canonical spelling if wanted, else "") may be shared by the calls of one
    query, whose hits' texts share most of their words. With a spaced
    finder (see :func:`syllable_finder`) *folded* is the spaced fold.
    """
    found: list[tuple[int, Token]] = []
    append = found.append
    new = tuple.__new__
    ordinal = -2
    done = lo  # text before this was tokenized already
    previous_end = lo
    joiners = _JOINERS
    if known is None:
        known = {}
    spans: Iterable[tuple[int, int]]
    if finder.pattern.startswith(_SPACED):
        # The words after a space (group 1), and the one at *lo*, which has none before it.
        spans = map(_SPAN, finder.finditer(folded, lo, size), itertools.repeat(1))
        if lo < size and folded[lo] != " ":
            first = folded.find(" ", lo, size)
            first = size if first < 0 else first
            if folded[lo:first] in wanted:
                spans = itertools.chain(((lo, first),), spans)
    else:
        spans = map(_SPAN, finder.finditer(folded, lo, size))
    for start, end in spans:
        if start < done or start > lo and folded[start - 1].isalnum():
            continue  # inside a stretch already read, or the end of a longer word
        before = clean[start - 1] if start > lo else " "
        after = clean[end] if end < size else " "
        stop = end
        if after != " " and (after.isalnum() or after in joiners):
            # A comma or full stop and then no token character ends the stretch as a space does.
            beyond = clean[end + 1] if end + 1 < size else " "
            if after in ".,/:" and (beyond == " " or not (beyond.isalnum() or beyond in joiners)):
                stop = end + 1
            else:
                stop = -1
        if stop >= 0 and (before == " " or not (before.isalnum() or before in joiners)):
            tok = clean[start:end]
            if tok.isalnum():  # then the stretch is this one token, whatever its letters and digits
                cased = known.get(tok)
                if cased is None:  # its spelling if wanted, else ""
                    cased = known[tok] = _cased_canonical(tok) if _folded_lower(tok) in wanted else ""
                if cased:
                    # Neighbours when only a space, or nothing that is a letter or digit, stands between.
                    # (Most words apart have a letter or digit just before this one's neighbour.)
                    gap = start - previous_end
                    ordinal += 1 if found and (gap == 1 and clean[previous_end] == " " or not (
                        gap > 1 and clean[start - 2].isalnum())
                        and _ALNUM.search(clean, previous_end, start) is None) else 2
                    s, e = start, end
                    previous_end = end
                    if offsets is not None:
                        s, e = offsets[s], _end_in_original(text, offsets[e - 1], offsets[e])
                    append((ordinal, new(Token, (cased, s - base, e - base, True))))
                done = stop
                continue
        while start > done and _TOKEN_CHARS.match(clean, start - 1, start).end() == start:  # type: ignore[union-attr]
            start -= 1
        end = _TOKEN_CHARS.match(clean, end, size).end()  # type: ignore[union-attr]
        for t in _SYLLABLE.finditer(clean, start, end):
            tok = t.group()
            f = _folded_lower(tok)
            if f not in wanted and not (parts and ("-" in tok or "'" in tok or "’" in tok)
                                        and _has_wanted_part(f, wanted)):
                continue
            s, e = t.span()
            ordinal += 1 if found and _ALNUM.search(clean, previous_end, s) is None else 2
            previous_end = e
            if offsets is not None:
                s, e = offsets[s], _end_in_original(text, offsets[e - 1], offsets[e])
            append((ordinal, new(Token, (_cased_canonical(tok), s - base, e - base, True))))
        done = end
    return found


@lru_cache(maxsize=200_000)
def _folded_lower(tok: str) -> str:
    return fold_all(canonical(tok))


def syllables(text: str) -> list[Token]:
    """The indexable tokens of *text* (no punctuation), in position order.

    Position *i* in the index is ``syllables(text)[i]``; highlighting relies on
    that to map matches back to the original text without re-segmenting.
    """
    return [t for t in tokenize(text) if t.is_word]


def sentence_chunks(tokens: Sequence[Token]) -> list[list[str]]:
    """The token texts cut after sentence punctuation, as the segmenter takes them.

    Sentences are independent for the model; short chunks keep it linear.
    A chunk ends at ``.!?;`` once it holds at least 8 tokens.
    """
    chunks: list[list[str]] = []
    chunk: list[str] = []
    for tok in tokens:
        chunk.append(tok.text)
        if not tok.is_word and tok.text in ".!?;" and len(chunk) >= 8:
            chunks.append(chunk)
            chunk = []
    if chunk:
        chunks.append(chunk)
    return chunks


def sentence_chunks_of(texts: Sequence[str], is_word: Sequence[bool]) -> list[list[str]]:
    """:func:`sentence_chunks` of tokens given as their texts and word flags (see :func:`token_texts`).

    Only punctuation can end a chunk, so only punctuation tokens are looked
    at, not every token.
    """
    chunks: list[list[str]] = []
    start = 0
    for i in itertools.compress(range(len(texts)), map(operator.not_, is_word)):
        if texts[i] in ".!?;" and i + 1 - start >= 8:
            chunks.append(list(texts[start: i + 1]))
            start = i + 1
    if start < len(texts):
        chunks.append(list(texts[start:]))
    return chunks


# Chunks whose word starts a Segmenter remembers: about 180 articles'
# sentences (news averages ~23 chunks an article), ~11 MB with the keys'
# strings (measured on the corpus); enough for the re-issues and the
# repeated boilerplate of nearby articles. On the plain corpus 2% of chunks
# hit and indexing costs the same; on re-issued news (bench/archive10x.py)
# 83% hit and an article costs 0.73x the CPU (bench/chunk_cache.py).
CHUNK_CACHE_SIZE = 4096


class ChunkCache:
    """Word starts of recently segmented chunks, the least recently used evicted first.

    Keys are the chunks' token texts; values the tags the model gave them,
    which depend on nothing else, so a hit gives exactly what decoding would.
    """

    def __init__(self, size: int = CHUNK_CACHE_SIZE) -> None:
        self.size = max(0, size)
        self.hits = 0
        self.misses = 0
        # dicts keep insertion order: the first key is the least recently used.
        self._items: dict[tuple[str, ...], tuple[bool, ...]] = {}

    def __len__(self) -> int:
        return len(self._items)

    def get(self, chunk: tuple[str, ...]) -> tuple[bool, ...] | None:
        """The remembered starts of *chunk* (now the most recently used), or None."""
        got = self._items.pop(chunk, None)
        if got is None:
            self.misses += 1
            return None
        self._items[chunk] = got
        self.hits += 1
        return got

    def put(self, chunk: tuple[str, ...], starts: Sequence[bool]) -> tuple[bool, ...]:
        """Remember *starts* for *chunk*, evicting the least recently used beyond the size."""
        value = tuple(starts)
        if self.size:
            items = self._items
            items[chunk] = value
            while len(items) > self.size:
                del items[next(iter(items))]
        return value


class Segmenter:
    """underthesea's word-segmentation CRF, loaded once and fed our own tokens.

    We call the model directly rather than ``underthesea.word_tokenize`` so the
    tokens keep their offsets (``word_tokenize`` rewrites the text it returns)
    and so we skip its second tokenisation pass. The model is decoded by
    :class:`vnsearch.lang.crf.FastTagger`, which gives underthesea's tags at a
    fraction of the cost of its feature strings; should the model ever not
    be the one it knows (other feature templates or labels), underthesea's
    featurizer and tagger do the work as before.
    """

    _shared: Segmenter | None = None

    def __init__(self, cache_size: int = CHUNK_CACHE_SIZE) -> None:
        self.chunks = ChunkCache(cache_size)
        import struct
        from os.path import dirname, join

        import joblib
        import underthesea.pipeline.word_tokenize as word_tokenize
        from underthesea_core import CRFFeaturizer, CRFTagger

        from vnsearch.lang.crf import FastTagger, Featurize, Tag

        # What underthesea's FastCRFSequenceTagger.load does, keeping the
        # dictionary (FastTagger needs it too; unpickling it takes 0.1 s).
        path = join(dirname(word_tokenize.__file__), "models", "ws_crf_vlsp2013_20230727")
        estimator = CRFTagger()
        estimator.load(join(path, "models.bin"))
        features = joblib.load(join(path, "features.bin"))
        dictionary = joblib.load(join(path, "dictionary.bin"))
        self._featurize: Featurize = CRFFeaturizer(features, dictionary).process
        self._tag: Tag = estimator.tag
        self._fast: FastTagger | None = None
        if features == FastTagger.TEMPLATES:
            try:
                self._fast = FastTagger(Path(path), dictionary, self._featurize, self._tag)
            except (ValueError, OSError, struct.error):  # not a model file FastTagger can read
                self._fast = None

    @classmethod
    def shared(cls) -> Segmenter:
        """One model per process: loading it takes a quarter of a second."""
        if cls._shared is None:
            cls._shared = cls()
        return cls._shared

    def word_starts(self, tokens: Sequence[Token]) -> list[bool]:
        """For each token, whether it begins a new word.

        A chunk's tags depend only on its token texts, so those of a chunk
        seen recently come from :attr:`chunks` (news repeats captions, credits
        and boilerplate; an archive's re-issues repeat whole sentences); the
        others are decoded together, as before.
        """
        if not tokens:
            return []
        return self._starts([tuple(chunk) for chunk in sentence_chunks(tokens)])

    def word_starts_of(self, texts: Sequence[str], is_word: Sequence[bool]) -> list[bool]:
        """:meth:`word_starts` of tokens given as their texts and word flags (see :func:`token_texts`)."""
        if not texts:
            return []
        return self._starts(list(map(tuple, sentence_chunks_of(texts, is_word))))

    def _starts(self, chunks: list[tuple[str, ...]]) -> list[bool]:
        """The word starts of the chunks' tokens, end to end."""
        cache = self.chunks
        known = [cache.get(chunk) for chunk in chunks]
        missing = [chunk for chunk, got in zip(chunks, known) if got is None]
        if missing:
            if self._fast is not None:
                flat = self._fast.word_starts(missing)
            else:
                flat = [start for chunk in missing for start in self._segment(chunk)]
            at = 0
            fresh = iter(missing)
            for i, got in enumerate(known):
                if got is None:
                    chunk = next(fresh)
                    known[i] = cache.put(chunk, flat[at: at + len(chunk)])
                    at += len(chunk)
        return [start for got in known if got is not None for start in got]

    def _segment(self, chunk: Sequence[str]) -> list[bool]:
        """underthesea's own featurizer and tagger on one chunk of token texts."""
        features = self._featurize([[[t] for t in chunk]])[0]
        return [tag != "I-W" for tag in self._tag(features)]


@dataclass(slots=True)
class Analysis:
    """A text's syllables (by position) and its multi-syllable words."""

    syllables: list[Token] = field(default_factory=list)
    # (position of first syllable, number of syllables) for each word of 2+ syllables
    words: list[tuple[int, int]] = field(default_factory=list)

    def exact(self, pos: int) -> str:
        return self.syllables[pos].text.lower()

    def word_text(self, pos: int, n: int) -> str:
        return WORD_JOINER.join(self.exact(p) for p in range(pos, pos + n))


def analyze(text: str, segmenter: Segmenter | None = None) -> Analysis:
    """Syllables and words of *text*; words come from the segmenter if given."""
    tokens = tokenize(text)
    result = Analysis(syllables=[t for t in tokens if t.is_word])
    if segmenter is None or len(result.syllables) < 2:
        return result
    starts = segmenter.word_starts(tokens)
    pos = -1
    word_pos = word_len = 0
    for tok, start in zip(tokens, starts):
        if not tok.is_word:
            if word_len > 1:
                result.words.append((word_pos, word_len))
            word_len = 0
            continue
        pos += 1
        if start or word_len == 0:
            if word_len > 1:
                result.words.append((word_pos, word_len))
            word_pos, word_len = pos, 1
        else:
            word_len += 1
    if word_len > 1:
        result.words.append((word_pos, word_len))
    return result


def analyze_texts(text: str, segmenter: Segmenter | None = None) -> tuple[list[str], list[tuple[int, int]]]:
    """:func:`analyze` as indexing needs it: the syllables' texts (no Token tuples, no offsets) and the words.

    The same syllables and words as :func:`analyze`'s (tests compare them).
    """
    texts, is_word = token_texts(text)
    syllable_texts = list(itertools.compress(texts, is_word))
    words: list[tuple[int, int]] = []
    if segmenter is None or len(syllable_texts) < 2:
        return syllable_texts, words
    starts = segmenter.word_starts_of(texts, is_word)
    pos = -1
    word_pos = word_len = 0
    for word, start in zip(is_word, starts):
        if not word:
            if word_len > 1:
                words.append((word_pos, word_len))
            word_len = 0
            continue
        pos += 1
        if start or word_len == 0:
            if word_len > 1:
                words.append((word_pos, word_len))
            word_pos, word_len = pos, 1
        else:
            word_len += 1
    if word_len > 1:
        words.append((word_pos, word_len))
    return syllable_texts, words


# term -> [weight (float), count (int), positions (a list of int; () where none are kept)].
# A list, updated in place, because add_terms runs for every syllable of every
# article; its items differ in type, so it is typed as list[Any].
TermMap = dict[str, list[Any]]

# Exact-tier weight of a syllable that is part of a multi-syllable word.
WORD_PART_WEIGHT = 0.6

_PART_SPLIT = re.compile(r"[-/:'’]")


def token_parts(term: str) -> list[str]:
    """The pieces of a joined token, indexed at its position too.

    "10/2" is also "10" and "2", "covid-19" also "covid" and "19", so a query
    for one piece finds the whole, while the whole still matches best.
    """
    if not _PART_SPLIT.search(term):
        return []
    return [p for p in _PART_SPLIT.split(term) if p]


def add_terms(analysis: Analysis, exact: TermMap, folded: TermMap, weight: float = 1.0, offset: int = 0,
              title: TermMap | None = None) -> None:
    """Add one zone's terms to the article's term maps.

    Exact terms are syllables and whole words (weights only); folded terms
    are syllables with positions, shifted by the zone's *offset*; *title*, if
    given, collects folded syllables for the title-only field.

    This runs for every syllable of every article, so :func:`_add` is inlined
    and each distinct syllable's forms are computed once (:func:`_forms`);
    the additions happen in the same order as before, so weights (sums of
    floats) come out bit for bit the same.
    """
    add_zone_terms(list(map(_TEXT, analysis.syllables)), analysis.words, exact, folded, weight, offset, title)


def add_zone_terms(syllables: Sequence[str], words: Sequence[tuple[int, int]], exact: TermMap, folded: TermMap,
                   weight: float = 1.0, offset: int = 0, title: TermMap | None = None) -> None:
    """:func:`add_terms` of a zone given as its syllables' texts and its words (see :func:`analyze_texts`)."""
    # Each syllable's exact-tier weight: a syllable inside a longer word ("bát"
    # in "lục bát") says less about its own meaning than one standing as a word.
    weights = [weight] * len(syllables)
    part_weight = weight * WORD_PART_WEIGHT
    for pos, n in words:
        weights[pos: pos + n] = [part_weight] * n
    exact_get = exact.get
    folded_get = folded.get
    position = offset
    forms = list(map(_forms, syllables))
    for (term, fterm, parts), w in zip(forms, weights):
        entry = exact_get(term)
        if entry is None:
            exact[term] = [w, 1, ()]
        else:
            entry[0] += w
            entry[1] += 1
        entry = folded_get(fterm)
        if entry is None:
            folded[fterm] = [weight, 1, [position]]
        elif entry[2][-1] != position:
            entry[0] += weight
            entry[1] += 1
            entry[2].append(position)
        if parts:
            for ft in parts:
                _add(folded, ft, weight, position)
        position += 1
    if title is not None:
        for _, fterm, _ in forms:
            _add(title, fterm, 1.0)
    if words:
        terms = [form[0] for form in forms]  # each syllable's exact term: Analysis.exact
        for pos, n in words:
            _add(exact, WORD_JOINER.join(terms[pos: pos + n]), weight)  # Analysis.word_text


_TEXT = operator.itemgetter(0)  # a Token's text


@lru_cache(maxsize=200_000)
def _forms(text: str) -> tuple[str, str, tuple[str, ...]]:
    """A syllable's exact term, folded term and folded parts (see :func:`token_parts`)."""
    term = text.lower()
    fterm = fold_all(term)
    return term, fterm, tuple(token_parts(fterm))


def _add(terms: TermMap, term: str, weight: float, position: int | None = None) -> None:
    """Count one occurrence of *term* (at *position*, for positional maps)."""
    entry = terms.get(term)
    if entry is None:
        terms[term] = [weight, 1, () if position is None else [position]]
    elif position is None:
        entry[0] += weight
        entry[1] += 1
    elif entry[2][-1] != position:  # a token's parts share its position: count once
        entry[0] += weight
        entry[1] += 1
        entry[2].append(position)


def query_syllables(text: str) -> list[str]:
    """A query's syllables in exact-tier form; no segmenter needed."""
    return [t.text.lower() for t in syllables(text)]


def iter_ngrams(items: Sequence[str], sizes: Iterable[int] = (2, 3, 4)) -> Iterable[tuple[int, int, str]]:
    """(start, length, joined) for each run of *sizes* consecutive items.

    Queries are not segmented; instead every short run of syllables is looked
    up as a possible word of the index, so a query matches whole words however
    the article's segmentation split them.
    """
    for n in sizes:
        for i in range(len(items) - n + 1):
            yield i, n, WORD_JOINER.join(items[i : i + n])
