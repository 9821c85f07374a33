"""Vietnamese spelling rules: every well-formed syllable that folds to a string.

One copy of the orthography (onsets, rhymes, which tones a stop final takes) for
everyone who needs it: the ranker scores an accentless syllable as each spelling
it could be, and accent restoration chooses among the same spellings. It knows
nothing of indexes.
"""

from __future__ import annotations

from functools import lru_cache

from vnsearch.lang.text import VOWEL_LETTERS, canonical, fold_all, fold_tone, toned_vowel

__all__ = ["spellings", "tone_variants", "split_folded"]

# -- spellings: every well-formed syllable that folds to a given string -------------

# Tones by number, as text.TONE_MARKS: 0 none, 1 huyền, 2 sắc, 3 hỏi, 4 ngã, 5 nặng.
_STOP_FINALS = ("c", "ch", "p", "t")  # only sắc and nặng go with these
_VOWEL_LETTERS = frozenset(VOWEL_LETTERS)

# Initial consonants, longest first so "ngh" wins over "ng" over "n".
_ONSETS = ("ngh", "ng", "nh", "ch", "gh", "gi", "kh", "ph", "qu", "th", "tr",
           "b", "c", "d", "đ", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "x", "")

# Rhymes (vowel nucleus + final), without tone. Generous rather than strict: a
# spelling that is never used costs one lookup with df = 0 and is dropped.
_RHYMES = """
a e ê i y o ô ơ u ư
ai ao au âu ay ây eo êu ia iu oa oe oi ôi ơi ua uê ui uy ưa ưi ưu uơ
oai oay oao oeo uây uôi ươi ươu uya uyu iêu yêu
ac ach am an ang anh ap at
ăc ăm ăn ăng ăp ăt
âc âm ân âng âp ât
ec em en eng ep et
êch êm ên êng ênh êp êt
ich im in inh ip it
oc om on ong op ot ooc oong
ôc ôm ôn ông ôp ôt
ơm ơn ơp ơt
uc um un ung up ut
ưc ưm ưn ưng ưt
iêc iêm iên iêng iêp iêt
yêm yên yêt
oac oach oam oan oang oanh oap oat
oăc oăm oăn oăng oăt
oen oet
uân uâng uât
uêch uênh
uych uyn uynh uyp uyt
uôc uôm uôn uông uôt
ươc ươm ươn ương ươp ươt
uyên uyêt
ych yn ynh yt yu
ak ăk
""".split()


def _build_rhymes() -> dict[str, list[str]]:
    table: dict[str, list[str]] = {}
    for rhyme in _RHYMES:
        table.setdefault(fold_all(rhyme), []).append(rhyme)
    return table


_RHYMES_BY_FOLD = _build_rhymes()


def _onset_variants(onset: str) -> tuple[str, ...]:
    return ("d", "đ") if onset == "d" else (onset,)


def split_folded(folded: str) -> tuple[str, str] | None:
    """(onset, folded rhyme) of an accentless syllable, or None if it is not one."""
    for onset in _ONSETS:
        if not folded.startswith(onset) or onset == "đ":
            continue
        rest = folded[len(onset):]
        if onset in ("gi", "qu") and not (rest and rest[0] in "aeiouy"):
            continue  # "gìn" is g + in, "qu" needs a vowel after it
        if rest in _RHYMES_BY_FOLD:
            return onset, rest
        if onset == "gi" and "i" + rest in _RHYMES_BY_FOLD:
            return onset, rest  # "giếng" = gi + iêng, written with one i
    return None


def _with_tone(letters: str, tone: int) -> str:
    """*letters* (no tone) with *tone* placed by :func:`place_tone`'s rules."""
    if not tone:
        return letters
    for i, ch in enumerate(letters):
        if ch in _VOWEL_LETTERS:
            return canonical(letters[:i] + toned_vowel(ch, tone) + letters[i + 1:])
    return letters


def _final(rhyme: str) -> str:
    i = len(rhyme)
    while i and rhyme[i - 1] not in _VOWEL_LETTERS:
        i -= 1
    return rhyme[i:]


@lru_cache(maxsize=20_000)
def _spellings(folded: str) -> tuple[str, ...]:
    if not folded.isascii() or not folded.isalpha() or folded != folded.lower():
        return (folded,)
    split = split_folded(folded)
    if split is None:
        return (folded,)
    onset, frhyme = split
    rhymes = list(_RHYMES_BY_FOLD.get(frhyme, ()))
    if onset == "gi":
        # After gi the rhyme may also be an i-rhyme with its i merged ("giếng").
        rhymes += [r[1:] for r in _RHYMES_BY_FOLD.get("i" + frhyme, ()) if r[1:] not in rhymes]
    out: list[str] = []
    seen: set[str] = set()
    for rhyme in rhymes:
        tones = (2, 5) if _final(rhyme) in _STOP_FINALS else (0, 1, 2, 3, 4, 5)
        for first in _onset_variants(onset):
            for tone in tones:
                s = _with_tone(first + rhyme, tone)
                if s not in seen and fold_all(s) == folded:
                    seen.add(s)
                    out.append(s)
    return tuple(out) if out else (folded,)


def spellings(folded: str) -> list[str]:
    """Every well-formed syllable whose :func:`fold_all` is *folded* (lower case).

    Canonical tone placement ("hòa", "thủy"), in a fixed order: letter
    variants as listed in the rhyme table, then tones none, huyền, sắc, hỏi,
    ngã, nặng. Stop finals (-c, -ch, -p, -t) take sắc or nặng only. A token
    that is not a Vietnamese syllable (digits, "usd", "covid") is returned
    alone.

    >>> spellings("tri")
    ['tri', 'trì', 'trí', 'trỉ', 'trĩ', 'trị']
    """
    return list(_spellings(folded.lower()))


def tone_variants(syllable: str) -> list[str]:
    """*syllable*'s letters under each of the six tones, canonical placement.

    ``tone_variants("bàn")`` → ``["ban", "bàn", "bán", "bản", "bãn", "bạn"]``.
    Letter marks (ă â ê ô ơ ư đ) are kept; a token that is not a Vietnamese
    syllable is returned alone, without its tone.
    """
    base = fold_tone(canonical(syllable))
    if split_folded(fold_all(base)) is None:
        return [base]  # not a Vietnamese syllable ("usd", "19")
    out: list[str] = []
    for tone in range(6):
        s = _with_tone(base, tone)
        if s not in out:
            out.append(s)
    return out
