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
