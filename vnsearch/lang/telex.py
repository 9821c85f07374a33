"""Syllables typed in Telex or VNI with the input method switched off.

Someone whose Vietnamese keyboard is off still types the keys they always
type: ``khowir nghieepj`` for "khởi nghiệp", ``vie6t5 nam`` for "việt nam".
This module turns such a token back into the syllable it spells, or says it
cannot (``None``). It only knows the orthography (:mod:`vnsearch.lang.spelling`)
and nothing of any index: whether ``max`` was "mã" typed in Telex or the
English word is for the caller to decide from what the index holds.

Telex: ``aa ee oo`` → â ê ô, ``aw ow uw`` → ă ơ ư (``uow`` → ươ), ``w`` alone
→ ư, ``dd`` → đ; one tone key ``s f r x j`` (sắc huyền hỏi ngã nặng) or ``z``
(none) anywhere after the first vowel; a ``w`` typed after the final consonant
("duongw") still marks the vowels, as Unikey allows.
VNI: ``6`` circumflex, ``7`` horn, ``8`` breve, ``9`` đ on the nearest
fitting letter before the digit; ``1``–``5`` the tones sắc huyền hỏi ngã
nặng, ``0`` none.

The result is checked against the spelling rules: only a well-formed syllable
comes back, with the tone mark where :func:`vnsearch.lang.text.canonical`
puts it, and the case of the typed token (``Ddaf`` → "Đà").
"""

from __future__ import annotations

import unicodedata

from vnsearch.lang.spelling import spellings, split_folded
from vnsearch.lang.text import fold_all, fold_tone

__all__ = ["from_telex", "from_vni", "convert", "convert_text", "tone_of"]

# Tone numbers as in vnsearch.lang.text: 1 huyền, 2 sắc, 3 hỏi, 4 ngã, 5 nặng.
_TELEX_TONES = {"s": 2, "f": 1, "r": 3, "x": 4, "j": 5, "z": 0}
_VNI_TONES = {"1": 2, "2": 1, "3": 3, "4": 4, "5": 5, "0": 0}
_TONE_BY_MARK = {"\u0300": 1, "\u0301": 2, "\u0309": 3, "\u0303": 4, "\u0323": 5}
_CIRCUMFLEX = {"a": "â", "e": "ê", "o": "ô"}
_HORN_BREVE = {"a": "ă", "o": "ơ", "u": "ư"}
_PLAIN_VOWELS = "aeiouy"
_ALL_VOWELS = set("aăâeêioôơuưy")


def tone_of(syllable: str) -> int:
    """The tone number of *syllable* (0 none, 1 huyền … 5 nặng)."""
    for ch in unicodedata.normalize("NFD", syllable):
        if ch in _TONE_BY_MARK:
            return _TONE_BY_MARK[ch]
    return 0


def _with_case(typed: str, syllable: str) -> str:
    """*syllable* in the case the user typed *typed* in."""
    letters = [c for c in typed if c.isalpha()]
    if len(letters) > 1 and all(c.isupper() for c in letters):
        return syllable.upper()
    if letters and letters[0].isupper():
        return syllable[:1].upper() + syllable[1:]
    return syllable


def _toned(letters: str, tone: int) -> str | None:
    """The well-formed syllable with these letter marks and this tone, canonically placed, or None."""
    folded = fold_all(letters)
    if not folded.isalpha() or split_folded(folded) is None:
        return None
    for candidate in spellings(folded):
        if fold_tone(candidate) == letters and tone_of(candidate) == tone:
            return candidate
    return None


def _first_valid(variants: list[str], tone: int) -> str | None:
    for letters in variants:
        got = _toned(letters, tone)
        if got is not None:
            return got
    return None


def _horn_variants(letters: str) -> list[str]:
    """"uơ" is usually "ươ" (Unikey writes it so); keep "uơ" for "thuở", "huơ"."""
    if "uơ" in letters:
        return [letters.replace("uơ", "ươ"), letters]
    return [letters]


def _vowel_group(chars: list[str]) -> tuple[int, int]:
    """[start, end) of the last run of vowel letters in *chars* (-1, -1 if none)."""
    end = len(chars)
    while end and chars[end - 1] not in _ALL_VOWELS:
        end -= 1
    start = end
    while start and chars[start - 1] in _ALL_VOWELS:
        start -= 1
    return (start, end) if end else (-1, -1)


def _mark_group(chars: list[str], table: dict[str, str]) -> bool:
    """Put a deferred mark on the last vowel group: ``uo`` → ươ, else its last markable letter."""
    start, end = _vowel_group(chars)
    if start < 0:
        return False
    group = "".join(chars[start:end])
    if table is _HORN_BREVE and "uo" in group:
        i = start + group.index("uo")
        chars[i], chars[i + 1] = "ư", "ơ"
        return True
    for i in range(end - 1, start - 1, -1):
        if chars[i] in table:
            chars[i] = table[chars[i]]
            return True
    return False


def from_telex(token: str) -> str | None:
    """The syllable *token* spells in Telex, or None if it spells none.

    ``khowir`` → "khởi", ``nghieepj`` → "nghiệp", ``Ddaf`` → "Đà", ``nam`` →
    "nam" (a plain syllable is its own Telex); ``process``, ``css`` → None.
    """
    low = token.lower()
    if not low or not low.isascii() or not low.isalpha():
        return None
    first_vowel = next((i for i, c in enumerate(low) if c in _PLAIN_VOWELS or c == "w"), -1)
    if first_vowel < 0:
        return None
    keys = [i for i, c in enumerate(low) if i > first_vowel and c in _TELEX_TONES]
    if len(keys) > 1:
        return None  # two tone keys: not one syllable typed once
    tone = _TELEX_TONES[low[keys[0]]] if keys else 0
    rest = "".join(c for i, c in enumerate(low) if not keys or i != keys[0])
    chars: list[str] = []
    i = 0
    if rest.startswith("dd"):
        chars.append("đ")
        i = 2
    while i < len(rest):
        c = rest[i]
        if c in _CIRCUMFLEX and i + 1 < len(rest) and rest[i + 1] == c:
            chars.append(_CIRCUMFLEX[c])
            i += 2
            continue
        if c == "w":
            if chars and chars[-1] in _HORN_BREVE:
                chars[-1] = _HORN_BREVE[chars[-1]]
            elif not (chars and chars[-1] not in _ALL_VOWELS and _mark_group(chars, _HORN_BREVE)):
                if chars and chars[-1] in _ALL_VOWELS:
                    return None  # "ew", "iw": w cannot mark these
                chars.append("ư")
            i += 1
            continue
        chars.append(c)
        i += 1
    return _convert_letters(token, "".join(chars), tone)


def _convert_letters(token: str, letters: str, tone: int) -> str | None:
    got = _first_valid(_horn_variants(letters), tone)
    return None if got is None else _with_case(token, got)


def from_vni(token: str) -> str | None:
    """The syllable *token* spells in VNI, or None: ``vie6t5`` → "việt", ``d9a2`` → "đà"."""
    low = token.lower()
    if not low or not low.isascii() or not low.isalnum() or not any(c.isalpha() for c in low):
        return None
    if not low[0].isalpha():
        return None
    chars: list[str] = []
    tone: int | None = None
    for c in low:
        if c.isalpha():
            chars.append(c)
        elif c in _VNI_TONES:
            if tone is not None or not any(ch in _ALL_VOWELS for ch in chars):
                return None
            tone = _VNI_TONES[c]
        elif c == "9":
            at = next((i for i, ch in enumerate(chars) if ch == "d"), -1)
            if at != 0:
                return None
            chars[0] = "đ"
        elif c == "6":
            if not _mark_group(chars, _CIRCUMFLEX):
                return None
        elif c == "7":
            start, end = _vowel_group(chars)
            group = "".join(chars[start:end]) if start >= 0 else ""
            if "uo" in group:
                j = start + group.index("uo")
                chars[j], chars[j + 1] = "ư", "ơ"
            elif not _mark_group(chars, {"o": "ơ", "u": "ư"}):
                return None
        elif c == "8":
            if not _mark_group(chars, {"a": "ă"}):
                return None
    return _convert_letters(token, "".join(chars), tone or 0)


def convert(token: str) -> str | None:
    """*token* read as Telex, else as VNI; None when it is neither.

    A token with digits is read as VNI only; a plain syllable ("nam") comes
    back as itself, so a caller tells a conversion by comparing.
    """
    if any(c.isdigit() for c in token):
        return from_vni(token)
    return from_telex(token)


def convert_text(text: str) -> str | None:
    """Every whitespace-separated token of *text* converted, or None if one of them cannot be."""
    out: list[str] = []
    for tok in text.split():
        got = convert(tok)
        if got is None:
            return None
        out.append(got)
    return " ".join(out)
