"""Related articles and near-duplicates: folded syllables, shingles, MinHash.

Everything here works on the stored text re-tokenised with
:func:`vnsearch.lang.analysis.syllables` (the token regex, never the segmenter), so
it is cheap enough to run on every candidate at query time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Sequence
from functools import cache
from typing import Any

import numpy as np

from vnsearch.lang.analysis import _folded_lower, syllables
from vnsearch.store.format import SIGNATURE_BYTES, signature_bytes, signature_of
from vnsearch.store.schema import ZONES, utf8_all

__all__ = ["SHINGLE", "NEAR_DUPLICATE", "folded_syllables", "article_text", "shingles", "jaccard",
           "MINHASH_BANDS", "MINHASH_ROWS", "minhash", "syllables_minhash", "band_rows", "estimated_jaccard",
           "signature_bytes", "signature_of"]

SHINGLE = 5  # syllables per shingle
NEAR_DUPLICATE = 0.7  # shingle Jaccard from which two articles are near-duplicates


def article_text(fields: Any) -> str:
    """Title, lead and body of a stored article (or an Article), one per line."""
    get = fields.get if hasattr(fields, "get") else (lambda k, d="": getattr(fields, k, d))
    return "\n".join(t for t in (get(z, "") or "" for z in ZONES) if t)


def folded_syllables(text: str) -> list[str]:
    """The syllables of *text*, lower case and accent-folded, as ``text_f`` indexes them."""
    return [_folded_lower(t.text) for t in syllables(text)]


def shingles(folded: Sequence[str], k: int = SHINGLE) -> set[str]:
    """Runs of *k* consecutive syllables (the whole text if it is shorter)."""
    if len(folded) < k:
        return {" ".join(folded)} if folded else set()
    return {" ".join(folded[i: i + k]) for i in range(len(folded) - k + 1)}


def jaccard(a: set[str], b: set[str]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


# -- MinHash --------------------------------------------------------------------------

MINHASH_BANDS = 8
MINHASH_ROWS = 4
_HASHES = MINHASH_BANDS * MINHASH_ROWS
_EMPTY = np.iinfo(np.uint64).max
assert SIGNATURE_BYTES == _HASHES * 4


@cache
def _salts() -> np.ndarray:
    """The hash functions' salts; fixed: signatures must agree across processes and runs.

    Made on first use: only indexing computes signatures (searching compares
    stored ones), and numpy.random is a fifth of numpy's import.
    """
    rng = np.random.default_rng(20261122)
    salts: np.ndarray = rng.integers(0, np.iinfo(np.uint64).max, size=_HASHES, dtype=np.uint64, endpoint=True)
    return salts


def _base_hashes(items: Iterable[bytes]) -> np.ndarray:
    """Each item's 64-bit BLAKE2b hash as a little-endian integer (the digests read by numpy in one go)."""
    digests = b"".join([hashlib.blake2b(item, digest_size=8).digest() for item in items])
    return np.frombuffer(digests, dtype="<u8").astype(np.uint64)


def _signature(items: Collection[bytes]) -> np.ndarray:
    """The minimum hashes of *items* (the shingles' UTF-8 bytes), as :func:`minhash` describes."""
    if not items:
        return np.full(_HASHES, _EMPTY, dtype=np.uint64)
    x = _base_hashes(items)
    with np.errstate(over="ignore"):
        smallest: np.ndarray = _mix(x[:, None] ^ _salts()[None, :]).min(axis=0)
    return smallest


def _mix(x: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finaliser (a bijection, wrapping uint64 arithmetic)."""
    x = x ^ (x >> np.uint64(33))
    x = x * np.uint64(0xFF51AFD7ED558CCD)
    x = x ^ (x >> np.uint64(33))
    x = x * np.uint64(0xC4CEB9FE1A85EC53)
    mixed: np.ndarray = x ^ (x >> np.uint64(33))
    return mixed


def minhash(shingle_set: set[str]) -> np.ndarray:
    """``MINHASH_BANDS × MINHASH_ROWS`` minimum hashes of the shingles.

    Hash *i* of a shingle is the finaliser of its 64-bit BLAKE2b hash XOR a
    fixed salt: one independent-looking permutation per salt, all in one
    numpy pass.
    """
    return _signature([s.encode("utf-8") for s in shingle_set])


def syllables_minhash(folded: Sequence[str], k: int = SHINGLE) -> np.ndarray:
    """``minhash(shingles(folded, k))``, the shingles made as UTF-8 bytes.

    Why: indexing signs every article; joining each shingle's syllables as
    text and encoding it again cost as much as hashing it. The syllables are
    encoded once here and each shingle joined from their bytes: the same
    bytes (UTF-8 of the joined text), so the same hashes and signature.
    """
    encoded = utf8_all(folded)
    if len(encoded) < k:
        items: set[bytes] = {b" ".join(encoded)} if encoded else set()
    else:
        items = set(map(b" ".join, zip(*(encoded[i: len(encoded) - k + 1 + i] for i in range(k)))))
    return _signature(items)


def band_rows(signature: np.ndarray) -> list[tuple[int, bytes]]:
    """The bands of *signature* as ``(band, bytes)``, ``MINHASH_ROWS`` hashes each.

    Two signatures sharing a band are a candidate pair; the bytes serve as a
    dict key as they are, for grouping signatures in memory.
    """
    raw = signature.tobytes()
    step = len(raw) // MINHASH_BANDS
    return [(band, raw[band * step: (band + 1) * step]) for band in range(MINHASH_BANDS)]


def estimated_jaccard(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean(a == b))
