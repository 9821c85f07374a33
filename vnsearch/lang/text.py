"""Vietnamese text normalisation: one canonical spelling for index and query alike.

Users and publishers write the same Vietnamese word in several ways: precomposed
(NFC) or decomposed (NFD) Unicode, with the tone mark on either vowel of "oa",
"oe", "uy" ("hoà"/"hòa", "thuỷ"/"thủy", "khoẻ"/"khỏe"), with or without
zero-width characters pasted in from the web. Matching must not care, so both
sides pass through :func:`prepare` (whole text, keeps offsets) and
:func:`canonical` (one syllable).

Three matching tiers are derived from a canonical syllable:

* exact:  ``trường``  (canonical, lower case)
* tone-folded: ``trương`` (the five tone marks removed; ă â ê ô ơ ư đ kept)
* folded: ``truong``  (every diacritic removed, đ → d)

A query typed with diacritics prefers the exact tier; one typed without
diacritics matches on the folded tier.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = [
    "prepare",
    "canonical",
    "place_tone",
    "fold_tone",
    "fold_all",
    "has_diacritics",
    "is_tone_folded",
]

# The five Vietnamese tone marks, as combining characters.
_TONE_MARKS = {
    "\u0300": 1,  # huyền (grave)
    "\u0301": 2,  # sắc (acute)
    "\u0309": 3,  # hỏi (hook above)
    "\u0303": 4,  # ngã (tilde)
    "\u0323": 5,  # nặng (dot below)
}
_TONE_BY_NUMBER = {v: k for k, v in _TONE_MARKS.items()}
# Vowel-quality marks (ă â ê ô ơ ư): part of the letter, not of the tone.
_QUALITY_MARKS = {"\u0306", "\u0302", "\u031b"}

_BASE_VOWELS = "aăâeêioôơuưy"
_VOWELS = set(_BASE_VOWELS + _BASE_VOWELS.upper())
_QUALITY_VOWELS = set("ăâêôơư")
_VALID_FINALS = {"", "c", "ch", "m", "n", "ng", "nh", "p", "t"}

# Characters that carry no text: removed before anything else looks at it.
_INVISIBLE = "\u00ad\u180e\u200b\u200c\u200d\u2060\u2061\u2062\u2063\u2064\ufeff"
# Unusual spaces: treated as a plain space.
_ODD_SPACES = "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"
_NEEDS_SLOW_PATH = re.compile(
    "[" + _INVISIBLE + _ODD_SPACES + "\u0300-\u036f\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]"
)
_CLUSTER = re.compile(r"(?s).[\u0300-\u036f]*")


def _split_char(ch: str) -> tuple[str, int]:
    """A letter without its tone mark, and the tone's number (0 = none)."""
    decomposed = unicodedata.normalize("NFD", ch)
    tone = 0
    rest = []
    for c in decomposed:
        if c in _TONE_MARKS:
            tone = _TONE_MARKS[c]
        else:
            rest.append(c)
    return unicodedata.normalize("NFC", "".join(rest)), tone


def _build_tables() -> tuple[dict[str, tuple[str, int]], dict[tuple[str, int], str]]:
    split: dict[str, tuple[str, int]] = {}
    join: dict[tuple[str, int], str] = {}
    for base in _BASE_VOWELS + _BASE_VOWELS.upper():
        for tone, mark in [(0, "")] + sorted(_TONE_BY_NUMBER.items()):
            ch = unicodedata.normalize("NFC", base + mark)
            if len(ch) == 1:
                split[ch] = (base, tone)
                join[(base, tone)] = ch
    return split, join


_SPLIT, _JOIN = _build_tables()
_TONED = {ch for ch, (_, tone) in _SPLIT.items() if tone}


def prepare(text: str) -> tuple[str, list[int] | None]:
    """NFC text with invisible characters removed, and a map back to the original.

    Returns ``(clean, offsets)``; ``offsets[i]`` is the index in *text* of
    ``clean[i]`` (with one extra entry for the end), or ``None`` when the two
    strings line up character for character, which is the common case and
    costs nothing to map. Highlighting needs the map to mark the reader's
    original text, not our normalised copy of it.
    """
    if text.isascii() and text.isprintable():
        return text, None
    if not _NEEDS_SLOW_PATH.search(text) and unicodedata.is_normalized("NFC", text):
        return text, None
    out: list[str] = []
    offsets: list[int] = []
    for m in _CLUSTER.finditer(text):
        cluster = m.group()
        start = m.start()
        first = cluster[0]
        if first in _INVISIBLE:
            continue
        if first in _ODD_SPACES:
            out.append(" ")
            offsets.append(start)
            continue
        if first < " " and first not in "\n\t" or first == "\x7f":
            out.append(" ")  # control characters would end up in snippets
            offsets.append(start)
            continue
        if len(cluster) == 1:
            out.append(cluster)
            offsets.append(start)
            continue
        composed = unicodedata.normalize("NFC", cluster)
        for c in composed:
            out.append(c)
            offsets.append(start)
    offsets.append(len(text))
    return "".join(out), offsets


@lru_cache(maxsize=200_000)
def place_tone(syllable: str) -> str:
    """Put the tone mark where the dominant (older) convention puts it.

    "hoà" → "hòa", "thuỷ" → "thủy", "khoẻ" → "khỏe"; "hoàng", "quý",
    "giữa", "thuyền" are already canonical. Anything that does not look like a
    single Vietnamese syllable (English words, "café") is returned unchanged.
    """
    tone_at = -1
    tone = 0
    bases = []
    for i, ch in enumerate(syllable):
        split = _SPLIT.get(ch)
        if split is None:
            bases.append(ch)
            continue
        base, t = split
        if t:
            if tone:
                return syllable  # two tone marks: not a Vietnamese syllable
            tone, tone_at = t, i
        bases.append(base)
    if not tone:
        return syllable
    low = [b.lower() for b in bases]
    n = len(low)
    start = 0
    while start < n and low[start] not in _VOWELS:
        start += 1
    if start >= n:
        return syllable
    # "qu" and "gi" + vowel: the u / i belongs to the initial consonant.
    marked_at = tone_at
    if start == 1 and low[0] in "qg" and low[1] == ("u" if low[0] == "q" else "i") and n > 2 and low[2] in _VOWELS:
        start = 2
        if tone_at == 1:  # "qúa", "gìa": the mark sits on the consonant's letter
            tone_at = 2
    end = start
    while end < n and low[end] in _VOWELS:
        end += 1
    if "".join(low[end:]) not in _VALID_FINALS or not start <= tone_at < end or end - start > 3:
        return syllable
    quality = [i for i in range(start, end) if low[i] in _QUALITY_VOWELS]
    if quality:
        target = quality[-1]
    elif end - start == 1:
        target = start
    elif end < n:
        target = end - 1  # closed syllable: "hoàng", "toán"
    elif end - start == 3:
        target = start + 1  # "ngoài", "khuya"
    else:
        target = start  # open two-vowel syllable: "hòa", "thủy", "mùa"
    if target == marked_at:
        return syllable
    chars = list(syllable)
    chars[marked_at] = bases[marked_at]
    chars[target] = _JOIN[(bases[target], tone)]
    return "".join(chars)


@lru_cache(maxsize=200_000)
def canonical(token: str) -> str:
    """The exact-tier form of a token: canonical tone placement, lower case."""
    return place_tone(unicodedata.normalize("NFC", token)).lower()


_TONE_FOLD = {ord(ch): base for ch, (base, tone) in _SPLIT.items() if tone}
_ALL_FOLD = dict(_TONE_FOLD)
for _ch, (_base, _tone) in _SPLIT.items():
    _plain = unicodedata.normalize("NFD", _base)[0]
    _ALL_FOLD[ord(_ch)] = _plain
_ALL_FOLD[ord("đ")] = "d"
_ALL_FOLD[ord("Đ")] = "D"


@lru_cache(maxsize=200_000)
def fold_tone(token: str) -> str:
    """Remove the five tone marks, keep the letters ă â ê ô ơ ư đ."""
    return token.translate(_TONE_FOLD)


@lru_cache(maxsize=200_000)
def fold_all(token: str) -> str:
    """Remove every Vietnamese diacritic and write đ as d, as accentless typing does."""
    folded = token.translate(_ALL_FOLD)
    if folded.isascii():
        return folded
    # Other scripts' accents (é, ü, ñ) fold too, so "café" matches "cafe".
    decomposed = unicodedata.normalize("NFD", folded)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def has_diacritics(token: str) -> bool:
    """Whether the user typed any diacritic (then the exact tier should win)."""
    return fold_all(token) != token


def is_tone_folded(token: str) -> bool:
    """Whether a token carries letter marks (ư, đ…) but no tone mark."""
    return fold_tone(token) == token and fold_all(token) != token
