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
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from vnsearch import caps

__all__ = [
    "prepare",
    "canonical",
    "place_tone",
    "fold_tone",
    "fold_all",
    "fold_all_text",
    "has_diacritics",
    "is_tone_folded",
    "TONE_MARKS",
    "VOWEL_LETTERS",
    "toned_vowel",
    "FOLD_ALL_TABLE",
    "MAX_MARKS",
    "printable",
]

# -- the letters: the one copy of these tables in vnsearch.lang ------------------------

# The five Vietnamese tone marks, as combining characters, by tone number
# (tone 0, ngang, has no mark). spelling.py writes its spellings with them.
TONE_MARKS: Mapping[int, str] = {
    1: "\u0300",  # huyền (grave)
    2: "\u0301",  # sắc (acute)
    3: "\u0309",  # hỏi (hook above)
    4: "\u0303",  # ngã (tilde)
    5: "\u0323",  # nặng (dot below)
}
_TONE_OF_MARK = {mark: tone for tone, mark in TONE_MARKS.items()}

# The twelve vowel letters, without tone, lower case. The marks of ă â ê ô ơ ư
# (breve, circumflex, horn) are part of the letter, not of the tone.
VOWEL_LETTERS = "aăâeêioôơuưy"
_VOWELS = set(VOWEL_LETTERS + VOWEL_LETTERS.upper())
_QUALITY_VOWELS = set("ăâêôơư")
_VALID_FINALS = {"", "c", "ch", "m", "n", "ng", "nh", "p", "t"}

# Characters that carry no text: removed before anything else looks at it.
_INVISIBLE = "\u00ad\u180e\u200b\u200c\u200d\u2060\u2061\u2062\u2063\u2064\ufeff"
# Unusual spaces: treated as a plain space.
_ODD_SPACES = "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"
_NEEDS_SLOW_PATH = re.compile(
    "[" + _INVISIBLE + _ODD_SPACES + "\u0300-\u036f\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]"
)

# The most combining marks (non-starters) kept after one character. Unicode's
# Stream-Safe Text Format (UAX #15) allows 30; Vietnamese needs two. Longer runs
# ("a" + 30,000 U+0301) carry no text, and normalising them costs time growing
# with the square of the run (canonical reordering), so prepare() drops the rest.
MAX_MARKS = caps.MAX_MARKS


def _nonstarter_class() -> str:
    """A regex character class of every character with a non-zero combining class.

    Built from the running Python's Unicode database (no such character lies
    beyond U+1FFFF), which takes ~15 ms once (see _NONSTARTER_14).
    """
    ranges: list[tuple[int, int]] = []
    for cp in range(0x20000):
        if unicodedata.combining(chr(cp)):
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1] = (ranges[-1][0], cp)
            else:
                ranges.append((cp, cp))
    return "[" + "".join(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"
                         for a, b in ranges) + "]"


# What _nonstarter_class() builds under Unicode 14.0.0 (Python 3.11), kept here
# because building it is most of this module's import, which every command
# pays (tests/test_cold_start.py checks the copy); another Unicode version
# builds its own.
_NONSTARTER_14 = (
    "[\u0300-\u034e\u0350-\u036f\u0483-\u0487\u0591-\u05bd\u05bf\u05c1-\u05c2\u05c4-\u05c5\u05c7\u0610-\u061a"
    "\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e4\u06e7-\u06e8\u06ea-\u06ed\u0711\u0730-\u074a\u07eb-\u07f3"
    "\u07fd\u0816-\u0819\u081b-\u0823\u0825-\u0827\u0829-\u082d\u0859-\u085b\u0898-\u089f\u08ca-\u08e1"
    "\u08e3-\u08ff\u093c\u094d\u0951-\u0954\u09bc\u09cd\u09fe\u0a3c\u0a4d\u0abc\u0acd\u0b3c\u0b4d\u0bcd\u0c3c"
    "\u0c4d\u0c55-\u0c56\u0cbc\u0ccd\u0d3b-\u0d3c\u0d4d\u0dca\u0e38-\u0e3a\u0e48-\u0e4b\u0eb8-\u0eba"
    "\u0ec8-\u0ecb\u0f18-\u0f19\u0f35\u0f37\u0f39\u0f71-\u0f72\u0f74\u0f7a-\u0f7d\u0f80\u0f82-\u0f84"
    "\u0f86-\u0f87\u0fc6\u1037\u1039-\u103a\u108d\u135d-\u135f\u1714-\u1715\u1734\u17d2\u17dd\u18a9"
    "\u1939-\u193b\u1a17-\u1a18\u1a60\u1a75-\u1a7c\u1a7f\u1ab0-\u1abd\u1abf-\u1ace\u1b34\u1b44\u1b6b-\u1b73"
    "\u1baa-\u1bab\u1be6\u1bf2-\u1bf3\u1c37\u1cd0-\u1cd2\u1cd4-\u1ce0\u1ce2-\u1ce8\u1ced\u1cf4\u1cf8-\u1cf9"
    "\u1dc0-\u1dff\u20d0-\u20dc\u20e1\u20e5-\u20f0\u2cef-\u2cf1\u2d7f\u2de0-\u2dff\u302a-\u302f\u3099-\u309a"
    "\ua66f\ua674-\ua67d\ua69e-\ua69f\ua6f0-\ua6f1\ua806\ua82c\ua8c4\ua8e0-\ua8f1\ua92b-\ua92d\ua953\ua9b3"
    "\ua9c0\uaab0\uaab2-\uaab4\uaab7-\uaab8\uaabe-\uaabf\uaac1\uaaf6\uabed\ufb1e\ufe20-\ufe2f\U000101fd"
    "\U000102e0\U00010376-\U0001037a\U00010a0d\U00010a0f\U00010a38-\U00010a3a\U00010a3f\U00010ae5-\U00010ae6"
    "\U00010d24-\U00010d27\U00010eab-\U00010eac\U00010f46-\U00010f50\U00010f82-\U00010f85\U00011046\U00011070"
    "\U0001107f\U000110b9-\U000110ba\U00011100-\U00011102\U00011133-\U00011134\U00011173\U000111c0\U000111ca"
    "\U00011235-\U00011236\U000112e9-\U000112ea\U0001133b-\U0001133c\U0001134d\U00011366-\U0001136c"
    "\U00011370-\U00011374\U00011442\U00011446\U0001145e\U000114c2-\U000114c3\U000115bf-\U000115c0\U0001163f"
    "\U000116b6-\U000116b7\U0001172b\U00011839-\U0001183a\U0001193d-\U0001193e\U00011943\U000119e0\U00011a34"
    "\U00011a47\U00011a99\U00011c3f\U00011d42\U00011d44-\U00011d45\U00011d97\U00016af0-\U00016af4"
    "\U00016b30-\U00016b36\U00016ff0-\U00016ff1\U0001bc9e\U0001d165-\U0001d169\U0001d16d-\U0001d172"
    "\U0001d17b-\U0001d182\U0001d185-\U0001d18b\U0001d1aa-\U0001d1ad\U0001d242-\U0001d244"
    "\U0001e000-\U0001e006\U0001e008-\U0001e018\U0001e01b-\U0001e021\U0001e023-\U0001e024"
    "\U0001e026-\U0001e02a\U0001e130-\U0001e136\U0001e2ae\U0001e2ec-\U0001e2ef\U0001e8d0-\U0001e8d6"
    "\U0001e944-\U0001e94a]"
)
_NONSTARTER = _NONSTARTER_14 if unicodedata.unidata_version == "14.0.0" else _nonstarter_class()
# A character and the non-starters that follow it: the unit that is normalised.
_CLUSTER = re.compile("(?s)." + _NONSTARTER + "*")
_LONG_MARK_RUN = re.compile(_NONSTARTER + "{" + str(MAX_MARKS + 1) + ",}")


def _within_plane(char_class: str) -> str:
    """The items of a character class (as _nonstarter_class writes it) inside the Basic Multilingual Plane."""
    kept = []
    for first, last in re.findall(r"(\\.|.)(?:-(\\.|.))?", char_class[1:-1], flags=re.DOTALL):
        if ord(first[-1]) < 0x10000:
            kept.append(first if not last else f"{first}-{last if ord(last[-1]) < 0x10000 else chr(0xFFFF)}")
    return "".join(kept)


# Every non-starter of the Basic Multilingual Plane, and any character beyond
# it: a superset of _NONSTARTER that a regex scans ~25 times faster (the full
# class's ranges beyond the plane are tried one by one for every character:
# ~110 ns a character, whatever the text). A text without one has no run of
# marks, which spares prepare() that scan of every hit's text at query time.
_MAYBE_NONSTARTER = re.compile("[" + _within_plane(_NONSTARTER) + "\\U00010000-\\U0010ffff]")
# What either of prepare()'s two checks looks for: a text without any (nearly
# every article) is scanned once, not twice.
_SUSPECT = re.compile(_NEEDS_SLOW_PATH.pattern[:-1] + _MAYBE_NONSTARTER.pattern[1:])


def _split_char(ch: str) -> tuple[str, int]:
    """A letter without its tone mark, and the tone's number (0 = none)."""
    decomposed = unicodedata.normalize("NFD", ch)
    tone = 0
    rest = []
    for c in decomposed:
        if c in _TONE_OF_MARK:
            tone = _TONE_OF_MARK[c]
        else:
            rest.append(c)
    return unicodedata.normalize("NFC", "".join(rest)), tone


def _build_tables() -> tuple[dict[str, tuple[str, int]], dict[tuple[str, int], str]]:
    split: dict[str, tuple[str, int]] = {}
    join: dict[tuple[str, int], str] = {}
    for base in VOWEL_LETTERS + VOWEL_LETTERS.upper():
        for tone, mark in [(0, "")] + sorted(TONE_MARKS.items()):
            ch = unicodedata.normalize("NFC", base + mark)
            if len(ch) == 1:
                split[ch] = (base, tone)
                join[(base, tone)] = ch
    return split, join


_SPLIT, _JOIN = _build_tables()


def toned_vowel(vowel: str, tone: int) -> str:
    """The precomposed letter for a vowel letter (of :data:`VOWEL_LETTERS`, either case) under *tone* 0–5.

    ``toned_vowel("ơ", 2)`` is ``"ớ"``; tone 0 gives *vowel* itself.
    """
    return _JOIN[(vowel, tone)]


def is_prepared(text: str) -> bool:
    """Whether :func:`prepare` leaves *text* as it is, by its quick checks (then it maps nothing).

    False for any text :func:`prepare` has to walk character by character.
    """
    if text.isascii() and text.isprintable():
        return True
    # No run of marks over MAX_MARKS: is_normalized (and NFC) stay linear.
    return bool((not _SUSPECT.search(text) or not _NEEDS_SLOW_PATH.search(text)
                 and not (_MAYBE_NONSTARTER.search(text) and _LONG_MARK_RUN.search(text)))
                and unicodedata.is_normalized("NFC", text))


def prepare(text: str) -> tuple[str, list[int] | None]:
    """NFC text with invisible characters removed, and a map back to the original.

    Returns ``(clean, offsets)``; ``offsets[i]`` is the index in *text* of
    ``clean[i]`` (with one extra entry for the end), or ``None`` when the two
    strings line up character for character, which is the common case and
    costs nothing to map. Highlighting needs the map to mark the reader's
    original text, not our normalised copy of it.

    Linear in the length of *text*, whatever it holds: a character keeps at
    most :data:`MAX_MARKS` combining marks, so normalising a cluster is bounded.
    """
    if is_prepared(text):
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
        if len(cluster) > MAX_MARKS + 1:
            cluster = cluster[: MAX_MARKS + 1]  # the rest carries no text (see MAX_MARKS)
        composed = unicodedata.normalize("NFC", cluster)
        for c in composed:
            out.append(c)
            offsets.append(start)
    offsets.append(len(text))
    return "".join(out), offsets


# What must never reach a terminal raw: C0 and C1 control characters (ESC
# starts escape sequences, BEL ends some), DEL, the line and paragraph
# separators, and the bidirectional controls that reorder what is shown
# (U+202E makes "exe.txt" read "txt.exe").
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029" + _BIDI + "]")
_UNPRINTABLE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029" + _BIDI + "]")
_EXCESS_MARKS = re.compile("(" + _NONSTARTER + "{" + str(MAX_MARKS) + "})" + _NONSTARTER + "+")


def printable(text: str, lines: bool = False) -> str:
    """*text* safe to print on a terminal: the one sanitiser of everything vnsearch shows.

    Every control character, separator and bidirectional control is shown
    escaped (``\\x1b``, ``\\u202e``) instead of sent raw, and a run of more
    than :data:`MAX_MARKS` combining marks is cut to that many. With *lines*,
    newlines and tabs are kept (an article's body); without, they are
    escaped too (a one-line field: a title, an id, a query). Linear in the
    length of *text*.
    """
    pattern = _UNPRINTABLE if lines else _UNPRINTABLE_LINE
    text = pattern.sub(_escape, text)
    if len(text) > MAX_MARKS and _MAYBE_NONSTARTER.search(text):
        text = _EXCESS_MARKS.sub(r"\1", text)
    return text


def _escape(m: re.Match[str]) -> str:
    c = m.group()
    return f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}"


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


def _build_fold_tables() -> tuple[dict[int, str], dict[int, str]]:
    """``str.translate`` tables: tone marks off; and every Vietnamese mark off, đ → d."""
    tone_fold = {ord(ch): base for ch, (base, tone) in _SPLIT.items() if tone}
    all_fold = dict(tone_fold)
    for ch, (base, _tone) in _SPLIT.items():
        all_fold[ord(ch)] = unicodedata.normalize("NFD", base)[0]
    all_fold[ord("đ")] = "d"
    all_fold[ord("Đ")] = "D"
    return tone_fold, all_fold


_TONE_FOLD, _ALL_FOLD = _build_fold_tables()
# fold_all's table for Vietnamese letters: one character for one, so offsets in
# a folded text hold in the original (accent restoration relies on it).
FOLD_ALL_TABLE: Mapping[int, str] = _ALL_FOLD


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


def _fold_chars(text: str) -> str:
    """``fold_all`` of a lowercased text, whatever its length (not cached)."""
    folded = text.translate(_ALL_FOLD)
    if folded.isascii():
        return folded
    return "".join(c for c in unicodedata.normalize("NFD", folded) if not unicodedata.combining(c))


class _CharFolds:
    """Per character of the Basic Multilingual Plane: what :func:`_fold_chars` makes of it, filled in as met.

    A numpy table lookup folds a whole article in one step, where
    ``str.translate`` with a dict costs a lookup per character. Codes:
    the folded character, :data:`DROP` (a lone combining mark, which folding
    removes), :data:`MANY` (it folds to several characters: the caller takes
    the slow path) or :data:`UNKNOWN` (not met yet).
    """

    UNKNOWN = 0xFFFFFFFF
    DROP = 0xFFFFFFFE
    MANY = 0xFFFFFFFD
    SUSPECT = 0xFFFFFFFC  # (prepared_fold's gates)

    def __init__(self) -> None:
        import numpy as np

        self.np = np
        # One entry past the plane stands for every character beyond it (``take``
        # clips their codes to it): MANY, so that they take the slow path.
        table = np.full(0x10001, self.UNKNOWN, dtype=np.uint32)
        table[:0x80] = np.arange(0x80, dtype=np.uint32)
        table[0x10000] = self.MANY
        self.table = table
        # The same of each character's lower case, for a text not lowered yet: MANY where
        # lowering is not one character for one (İ), or depends on the letters around
        # it (Σ, the one such letter of str.lower).
        lowering = table.copy()
        lowering[ord("A"):ord("Z") + 1] += ord("a") - ord("A")
        self.lowering = lowering
        # The same with every folded character that is not a letter or digit a space (spaced_fold).
        spacing = lowering.copy()
        spacing[:0x80] = [c if chr(c).isalnum() else 0x20 for c in lowering[:0x80].tolist()]
        self.spacing = spacing
        self.suspect: Any = None  # (prepared_fold)
        # prepared_fold's one lookup of the common case, by spaced: the fold where the character
        # is one _SUSPECT does not match, else SUSPECT (or UNKNOWN: not met yet, MANY, DROP).
        self.gates: dict[bool, Any] = {}

    def _fill(self, table: Any, code: int, lowering: bool) -> None:
        char = chr(code)
        if lowering:
            char = char.lower()
            if len(char) != 1 or code == 0x3A3:
                table[code] = self.MANY
                return
        folded = _fold_chars(char)
        if len(folded) == 1 and table is self.spacing and not folded.isalnum():
            folded = " "
        table[code] = ord(folded) if len(folded) == 1 else self.DROP if not folded else self.MANY

    def fold(self, text: str, lowering: bool = False) -> str | None:
        """*text* (lower case, or any with *lowering*) folded, or None when a character needs the slow path."""
        np = self.np
        table = self.lowering if lowering else self.table
        codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
        # Snippets fold three texts of every hit: the common case (every character
        # known, one for one, within the plane) costs one lookup and one maximum.
        out = table.take(codes, mode="clip")
        if not len(out) or int(out.max()) < self.MANY:
            folded: str = out.tobytes().decode("utf-32-le")
            return folded
        if int(codes.max()) >= 0x10000:
            return None
        if (out == self.UNKNOWN).any():
            for code in set(codes[out == self.UNKNOWN].tolist()):  # (np.unique would import numpy.ma: 0.1 s)
                self._fill(table, code, lowering)
            out = table[codes]
        if (out >= self.MANY).any():
            if (out == self.MANY).any():
                return None
            out = out[out != self.DROP]
        folded = out.tobytes().decode("utf-32-le")
        return folded


    def fold_one_for_one(self, text: str, spaced: bool = False) -> str | None:
        """*text* lowered and folded when each character folds to one of its own (by the table), else None.

        *spaced*: every folded character that is not a letter or digit a space (:func:`spaced_fold`).
        """
        return self._one_for_one(self.np.frombuffer(text.encode("utf-32-le"), dtype=self.np.uint32), spaced)

    def prepared_fold(self, text: str, spaced: bool = False) -> tuple[bool, str | None]:
        """:func:`prepared_and_folded` of a text that is not ASCII."""
        np = self.np
        try:
            data = text.encode("utf-32-le")
        except UnicodeEncodeError:  # a lone surrogate: checked, then folded (which raises) as before
            return (True, self.fold_one_for_one(text, spaced)) if is_prepared(text) else (False, None)
        # The common case, every character met before, none _SUSPECT matches, each folding to
        # one and leaving a text NFC (_nfc_safe): one lookup in the gate, its table of both
        # answers, gives the fold (what the two lookups below give then), and the text is prepared.
        gate = self.gates.get(spaced)
        if gate is None:
            gate = self.gates[spaced] = np.full(0x10001, self.UNKNOWN, dtype=np.uint32)
        out = gate.take(np.frombuffer(data, dtype=np.uint32), mode="clip")
        top = int(out.max()) if len(out) else 0
        if top < self.SUSPECT:
            folded: str = out.tobytes().decode("utf-32-le")
            return True, folded
        got = self._prepared_fold(text, data, spaced)
        if top == self.UNKNOWN:  # the characters met for the first time, now in both tables
            table = self.spacing if spaced else self.lowering
            codes = np.minimum(np.frombuffer(data, dtype=np.uint32), 0x10000)
            for code in set(codes[out == self.UNKNOWN].tolist()):
                flag, fold = int(self.suspect[code]), int(table[code])
                if flag != 2 and fold != self.UNKNOWN:  # (both known: not so when the text was not prepared)
                    gate[code] = fold if flag == 0 and _nfc_safe(code) else self.SUSPECT
        return got

    def _prepared_fold(self, text: str, data: bytes, spaced: bool) -> tuple[bool, str | None]:
        """:meth:`prepared_fold` by its two lookups: _SUSPECT's table, then the fold's."""
        np = self.np
        # As indices (numpy would otherwise cast the codes for each of the two lookups).
        codes = np.frombuffer(data, dtype=np.uint32).astype(np.intp)
        if self.suspect is None:
            # 1 where _SUSPECT matches the character, 0 where not, 2 not looked at yet; one entry
            # past the plane stands for every character beyond it (take clips their codes to it),
            # all of which _SUSPECT matches.
            suspect = np.full(0x10001, 2, dtype=np.uint8)
            suspect[0x10000] = 1
            self.suspect = suspect
        flags = self.suspect.take(codes, mode="clip")
        top = int(flags.max()) if len(flags) else 0
        if top == 2:
            for code in set(codes[flags == 2].tolist()):
                self.suspect[code] = 1 if _SUSPECT.match(chr(code)) else 0
            top = int(self.suspect.take(codes, mode="clip").max())
        # No character _SUSPECT matches: is_prepared is then whether the text is NFC.
        prepared = is_prepared(text) if top else unicodedata.is_normalized("NFC", text)
        return (True, self._one_for_one(codes, spaced)) if prepared else (False, None)

    def _one_for_one(self, codes: Any, spaced: bool = False) -> str | None:
        table = self.spacing if spaced else self.lowering
        out = table.take(codes, mode="clip")
        if len(out) and int(out.max()) >= self.MANY:
            unknown = out == self.UNKNOWN
            if unknown.any():
                for code in set(codes[unknown].tolist()):
                    if code < 0x10000:
                        self._fill(table, code, True)
                out = table.take(codes, mode="clip")
            if int(out.max()) >= self.MANY:
                return None
        folded: str = out.tobytes().decode("utf-32-le")
        return folded


def _nfc_safe(code: int) -> bool:
    """Whether a text made of characters like *code* is NFC: one that is NFC alone, combines
    with nothing before it, and is of a block where only combining marks compose with the
    character before them (Latin, Greek, Cyrillic, Vietnamese's letters, punctuation)."""
    char = chr(code)
    return (code < 0x300 or 0x370 <= code < 0x483 or 0x1E00 <= code < 0x20D0) and (
        not unicodedata.combining(char) and unicodedata.normalize("NFC", char) == char)


_char_folds: _CharFolds | None = None


def _folds() -> _CharFolds:
    """The character tables (built on first use: a process that folds no long non-ASCII text never builds them)."""
    global _char_folds
    if _char_folds is None:
        _char_folds = _CharFolds()
    return _char_folds


def fold_lower_chars(text: str) -> str | None:
    """:func:`fold_lower_text` of *text* where it folds each character alone to one character, else None.

    Then the fold of texts joined is the fold of each joined, and has
    their length: what snippets need to fold a page's texts together. A
    capital sigma (lowered by its neighbours), a character lowered or folded
    to several or to none, one beyond the plane: None.
    """
    if text.isascii():
        return text.lower()
    return _folds().fold_one_for_one(text)


def prepared_and_folded(text: str, spaced: bool = False) -> tuple[bool, str | None]:
    """:func:`is_prepared` of *text*, and if so :func:`fold_lower_chars` of it (else None), in one pass.

    Snippets check and fold every page's texts. The check's first step,
    a regex over every character looking for one that needs preparing
    (``_SUSPECT``), cost more than the fold itself; here it is a lookup
    in a table of those characters over the codes the fold decodes anyway
    (one numpy ``take``), the table filled by that same regex for each
    character as first met. The answers are the two functions' own.

    *spaced*: the fold is :func:`spaced_fold`'s (the same lookup, in another table).
    """
    if text.isascii():
        if not is_prepared(text):
            return False, None
        return True, text.lower().translate(_ASCII_SPACED) if spaced else text.lower()
    return _folds().prepared_fold(text, spaced)


def spaced_fold(text: str) -> str | None:
    """:func:`fold_lower_chars` of *text* with every character that is not a letter or digit a space.

    In such a text every word but the first has a space just before it,
    so the query's words are found from those spaces
    (:func:`vnsearch.lang.analysis.syllable_finder`): a regular expression
    with a literal first character is searched for that character alone,
    and the letters inside words are never tried. None where folding is
    not one character for one (see :func:`fold_lower_chars`).
    """
    if text.isascii():
        return text.lower().translate(_ASCII_SPACED)
    return _folds().fold_one_for_one(text, spaced=True)


# ASCII characters that are not letters or digits, as spaces (spaced_fold).
_ASCII_SPACED = {c: " " for c in range(0x80) if not chr(c).isalnum()}


def fold_lower_text(text: str) -> str:
    """``fold_all(canonical(w))`` for every token *w* of *text* at once (not cached).

    Lower case, every Vietnamese mark off, đ → d, other accents off: per
    character, so tokens joined by a separator that is neither a letter nor
    a mark come out joined by it, folded as each alone would be (where
    :func:`canonical` moves a tone mark, folding removes it anyway). Snippets
    fold every syllable of every hit's text: one table lookup in numpy over
    the whole text rather than a call per syllable.
    """
    if text.isascii():
        return text.lower()
    folds = _folds()
    # Lowered and folded in one lookup (lowering a long Vietnamese text costs as much as folding it) …
    got = folds.fold(text, lowering=True)
    if got is not None:
        return got
    # … or lowered first where a character lowers to several, or as its neighbours say (Σ).
    lowered = text.lower()
    got = folds.fold(lowered)
    return got if got is not None else _fold_chars(lowered)


def fold_all_text(text: str) -> str:
    """:func:`fold_all` of a long *text* (not lowered), character by character, at numpy's pace.

    Folding is per character (a mark that decomposition leaves is dropped
    wherever it stands), so any string of terms joined by spaces or line
    feeds folds to the same terms folded alone, joined the same way: a whole
    field's vocabulary (millions of characters) folds in a few hundredths of
    a second, where ``str.translate`` takes a fifth of one. Each character
    met is folded once by :func:`fold_all` itself.
    """
    if text.isascii():
        return text
    import numpy as np

    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    seen = np.zeros(int(codes.max()) + 1, dtype=bool)  # (np.bincount casts to int64 first: six times slower)
    seen[codes] = True
    present = np.flatnonzero(seen[0x80:]) + 0x80
    table = np.arange(seen.size, dtype=np.uint32)
    # A character folding to nothing (a lone combining mark) becomes a control character the text lacks,
    # removed at the end.
    unused = [c for c in range(1, 0x20) if c >= seen.size or not seen[c]]
    dropped = False
    for code in present.tolist():
        folded = fold_all(chr(code))
        if len(folded) == 1:
            table[code] = ord(folded)
        elif not folded and unused:
            table[code] = unused[0]
            dropped = True
        else:  # one character to several (rare): the slow way, the same result
            return text.translate({c: fold_all(chr(c)) for c in present.tolist()})
    out = table[codes]
    if int(out.max()) < 0x100:  # most often: one byte a character
        folded_text = bytes(out.astype(np.uint8).tobytes()).decode("latin-1")
    else:
        folded_text = bytes(out.astype("<u4", copy=False).tobytes()).decode("utf-32-le")
    return folded_text.replace(chr(unused[0]), "") if dropped else folded_text


def has_diacritics(token: str) -> bool:
    """Whether the user typed any diacritic (then the exact tier should win)."""
    return fold_all(token) != token


def is_tone_folded(token: str) -> bool:
    """Whether a token carries letter marks (ư, đ…) but no tone mark."""
    return fold_tone(token) == token and fold_all(token) != token
