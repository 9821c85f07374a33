"""Text helpers shared by the query generators and the peer engines.

They are deliberately tiny and independent of vnsearch, so the benchmark measures
vnsearch against the same query text that every other engine sees.
"""

from __future__ import annotations

import re
import unicodedata

# Leading/trailing characters that are not letters or digits ("_" counts as punctuation).
_EDGE_PUNCT = re.compile(r"^[\W_]+|[\W_]+$")
_NON_WORD = re.compile(r"[\W_]+")
# đ/Đ are letters in their own right (no combining mark), so NFD does not split them.
_DSTROKE = str.maketrans({"đ": "d", "Đ": "D"})


def strip_accents(text: str) -> str:
    """Remove Vietnamese diacritics: NFD, drop combining marks, đ→d, Đ→D.

    This simulates a user typing without accents (very common on phones).
    """
    decomposed = unicodedata.normalize("NFD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", bare.translate(_DSTROKE))


def syllables(text: str) -> list[str]:
    """Whitespace tokens with surrounding punctuation stripped; empty tokens dropped.

    Vietnamese writes one syllable per whitespace token, so this is the natural unit a
    user would copy or retype. Inner punctuation (``6/2/2017``, ``U.23``) is kept.
    """
    tokens = (_EDGE_PUNCT.sub("", tok) for tok in unicodedata.normalize("NFC", text).split())
    return [tok for tok in tokens if tok]


def title_words(title: str) -> list[str]:
    """Lowercased syllables of a title, without digits-only tokens (years, counts).

    Digits-only tokens are excluded because a bare number is rarely what a user
    remembers about an article, yet it would often be the "rarest" token.
    """
    return [w for w in (s.lower() for s in syllables(title)) if not w.isdigit()]


def fold_tokens(text: str) -> list[str]:
    """Lowercase, strip accents and split on non-word characters (the bm25s tokenizer)."""
    return [tok for tok in _NON_WORD.split(strip_accents(text.lower())) if tok]


# -- typing as people do: Telex/VNI with the input method off, slips of the finger ----------

_TELEX_LETTERS = {"â": "aa", "ê": "ee", "ô": "oo", "ă": "aw", "ơ": "ow", "ư": "uw", "đ": "dd"}
_VNI_LETTERS = {"â": "a6", "ê": "e6", "ô": "o6", "ă": "a8", "ơ": "o7", "ư": "u7", "đ": "d9"}
# Combining tone marks → Telex key and VNI digit.
_TONE_KEYS = {"\u0301": ("s", "1"), "\u0300": ("f", "2"), "\u0309": ("r", "3"),
              "\u0303": ("x", "4"), "\u0323": ("j", "5")}


def _split_tone(word: str) -> tuple[str, str | None]:
    """(word without its tone mark, NFC; the tone's combining mark or None)."""
    decomposed = unicodedata.normalize("NFD", word)
    tone = next((c for c in decomposed if c in _TONE_KEYS), None)
    bare = "".join(c for c in decomposed if c not in _TONE_KEYS)
    return unicodedata.normalize("NFC", bare), tone


def _typed(word: str, letters: dict[str, str], tone_index: int) -> str:
    bare, tone = _split_tone(word)
    out = []
    for ch in bare:
        key = letters.get(ch.lower())
        if key is None:
            out.append(ch)
        else:
            out.append(key.upper() if ch.isupper() and len(word) > 1 and word.isupper() else
                       (key[0].upper() + key[1:] if ch.isupper() else key))
    typed = "".join(out).replace("uwow", "uow")  # "ươ" is typed "uow"
    return typed + (_TONE_KEYS[tone][tone_index] if tone else "")


def to_telex(word: str) -> str:
    """*word* as typed in Telex with the input method off: "khởi" → "khowir", tone key last."""
    return _typed(word, _TELEX_LETTERS, 0)


def to_vni(word: str) -> str:
    """*word* as typed in VNI with the input method off: "việt" → "vie6t5", tone digit last."""
    return _typed(word, _VNI_LETTERS, 1).replace("u7o7", "uo7")


# Neighbouring keys on a QWERTY keyboard (same row and the rows above and below).
_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")


def _neighbours() -> dict[str, str]:
    pos = {c: (r, i) for r, row in enumerate(_ROWS) for i, c in enumerate(row)}
    out: dict[str, str] = {}
    for c, (r, i) in pos.items():
        near = []
        for d, (r2, i2) in pos.items():
            if d != c and abs(r2 - r) <= 1 and (i2 - i) in ((-1, 0, 1) if r2 == r else ((0, 1) if r2 < r else (-1, 0))):
                near.append(d)
        out[c] = "".join(sorted(near))
    return out


QWERTY_NEIGHBOURS = _neighbours()
SLIPS = ("drop", "double", "swap", "adjacent")


def slip(word: str, rng) -> str:
    """*word* with one slip of the finger: a letter dropped, doubled, swapped with its
    neighbour, or a key next to it hit instead (on the letter's base key: "ệ" → "w").

    Works on NFC characters, so a slip on an accented letter loses or doubles the whole
    letter, as a keyboard with the input method on would. Never returns *word* itself
    unless it has no letter to slip on.
    """
    chars = list(unicodedata.normalize("NFC", word))
    letters = [i for i, c in enumerate(chars) if c.isalpha()]
    if not letters:
        return word
    for _ in range(20):
        kind = rng.choice(SLIPS)
        i = rng.choice(letters)
        out = list(chars)
        if kind == "drop" and len(letters) > 1:
            del out[i]
        elif kind == "double":
            out.insert(i, out[i])
        elif kind == "swap" and i + 1 < len(out) and out[i + 1].isalpha() and out[i + 1] != out[i]:
            out[i], out[i + 1] = out[i + 1], out[i]
        elif kind == "adjacent":
            base = strip_accents(out[i]).lower()
            near = QWERTY_NEIGHBOURS.get(base)
            if not near:
                continue
            key = rng.choice(near)
            out[i] = key.upper() if out[i].isupper() else key
        else:
            continue
        typed = "".join(out)
        if typed != word:
            return typed
    return word
