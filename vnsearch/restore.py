"""Accent restoration for queries typed without diacritics ("did you mean").

``tri tue nhan tao`` could be spelt in thousands of ways; the index knows
which of them Vietnamese news actually uses. Restoration is a small Viterbi
search over a lattice whose columns are the query's syllables and whose rows
are each syllable's spellings (:func:`spellings`), scored only from the
index's own statistics:

* **Unigram evidence** — how often each spelling occurs, as a share of all
  spellings of the same folded syllable: ``P(s | f) = (df(s) + α) / Σ``.
  "la" is "là" far more often than "lá".
* **Word evidence** — the exact field ``text`` also holds the segmenter's
  multi-syllable words ("trí tuệ", "thủ tướng", "hồ chí minh"). For adjacent
  query syllables, the document frequencies of the candidate words give a
  distribution over the accented readings of that folded pair (or triple),
  Dirichlet-smoothed towards the unigram model. Its ratio to the unigram
  model is the log-score bonus (or penalty): a pair whose readings are never a
  word changes nothing; one with a strong word reading ("chính phủ" against
  "chinh phu") pulls both syllables towards it.

The path score is ``Σ log P(s_i | f_i) + w2 Σ log R2 + w3 Σ log R3``; the
state of the Viterbi is the last two syllables, so trigram words score exactly.
A forward pass over the same lattice gives the best path's share of the total
mass, reported as :attr:`Restoration.confidence`.

Nothing is precomputed: every statistic is a document-frequency lookup (a hash
lookup in the Whoosh term table, ~7 µs), cached for the call, and candidates
are capped per syllable, so a six-syllable query costs a few hundred lookups.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import product
from typing import Callable, Sequence

from .analysis import WORD_JOINER, query_syllables
from .text import canonical, fold_all, fold_tone, has_diacritics

__all__ = [
    "spellings",
    "tone_variants",
    "Restoration",
    "RestoreParams",
    "restore",
    "restore_text",
    "index_df",
]

# -- spellings: every well-formed syllable that folds to a given string -------------

# Combining tone marks by tone number: 1 huyền, 2 sắc, 3 hỏi, 4 ngã, 5 nặng.
_TONE_MARK = {1: "\u0300", 2: "\u0301", 3: "\u0309", 4: "\u0303", 5: "\u0323"}
_STOP_FINALS = ("c", "ch", "p", "t")  # only sắc and nặng go with these
_VOWEL_LETTERS = set("aăâeêioôơuưy")

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


def _split_folded(folded: str) -> tuple[str, str] | None:
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
            marked = unicodedata.normalize("NFC", ch + _TONE_MARK[tone])
            return canonical(letters[:i] + marked + letters[i + 1:])
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
    split = _split_folded(folded)
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
    if _split_folded(fold_all(base)) is None:
        return [base]  # not a Vietnamese syllable ("usd", "19")
    out: list[str] = []
    for tone in range(6):
        s = _with_tone(base, tone)
        if s not in out:
            out.append(s)
    return out


# -- restoration ------------------------------------------------------------------


@dataclass(frozen=True)
class RestoreParams:
    """Scoring weights, tuned on bench/restore.py (held-out headlines)."""

    model: str = "share"  # word evidence: "share" (bonus) or "ratio" (Dirichlet pair model)
    w1: float = 1.0  # weight of the unigram log share
    rho2: float = 0.01  # "share": a pair word's df relative to its rarer syllable's, scaled by 1/rho
    rho3: float = 0.01
    alpha: float = 0.5  # add-α smoothing of the unigram share P(s | folded)
    beta2: float = 1.0  # Dirichlet prior mass of the pair-word model
    beta3: float = 1.0  # Dirichlet prior mass of the triple-word model
    w2: float = 1.0  # weight of the pair-word log ratio
    w3: float = 1.0  # weight of the triple-word log ratio
    wa: float = 1.0  # weight of the adjacency log ratio (only with an `adjacent` table)
    beta_a: float = 1.0
    max_candidates: int = 8  # spellings kept per syllable (the most frequent with df > 0)
    trigram_candidates: int = 4  # per syllable, for the 3-syllable word lookups
    temperature: float = 1.0  # of the path posterior reported as confidence


DEFAULT_PARAMS = RestoreParams()


@dataclass
class Restoration:
    """The most likely accented query."""

    text: str  # the restored query, syllables joined by spaces
    syllables: list[str]
    confidence: float  # the best path's share of the lattice's probability mass, 0..1
    changed: bool  # whether any syllable differs from the (lower-cased) input
    candidates: list[list[str]] = field(default_factory=list, repr=False)  # per syllable, as searched


def _logsumexp(values: Sequence[float]) -> float:
    m = max(values)
    if m == -math.inf:
        return m
    return m + math.log(sum(math.exp(v - m) for v in values))


def restore(syllables: Sequence[str], df: Callable[[str], int], total_docs: int,
            params: RestoreParams | None = None,
            adjacent: Callable[[str], int] | None = None) -> Restoration:
    """The most likely accented spelling of a query's *syllables*.

    *df* gives the document frequency of a term of the exact ``text`` field
    (a canonical syllable, or a multi-syllable word joined by a space);
    *total_docs* is the index size. Syllables typed with any diacritic are
    kept as typed; tokens that are not Vietnamese syllables are kept as they are.
    """
    p = params or DEFAULT_PARAMS
    typed = [canonical(s) for s in syllables]
    n = len(typed)
    if n == 0:
        return Restoration("", [], 1.0, False, [])

    cache: dict[str, int] = {}

    def freq(term: str) -> int:
        got = cache.get(term)
        if got is None:
            got = cache[term] = int(df(term))
        return got

    # Candidates per position, most frequent first, and their unigram shares.
    cands: list[list[str]] = []
    probs: list[list[float]] = []
    freqs: list[list[int]] = []
    for tok in typed:
        if has_diacritics(tok) or not tok:
            options = [tok]
        else:
            options = spellings(fold_all(tok))
            if tok not in options:
                options = options + [tok]  # "top", "hot": not Vietnamese, maybe English
        if len(options) == 1:
            cands.append(options)
            probs.append([1.0])
            freqs.append([freq(options[0])])
            continue
        scored = sorted(((freq(s), i, s) for i, s in enumerate(options)), key=lambda t: (-t[0], t[1]))
        kept = [(f, s) for f, _, s in scored[: p.max_candidates] if f > 0]
        if not kept:
            cands.append([tok])  # never seen in any spelling: leave it as typed
            probs.append([1.0])
            freqs.append([0])
            continue
        total = sum(f for f, _ in kept) + p.alpha * len(kept)
        cands.append([s for _, s in kept])
        probs.append([(f + p.alpha) / total for f, _ in kept])
        freqs.append([f for f, _ in kept])

    logp = [[p.w1 * math.log(x) for x in row] for row in probs]

    # Word scores per adjacent position pair: pair[i][a][b] for (i-1, i).
    pair: list[list[list[float]] | None] = [None] * n
    for i in range(1, n):
        ca, cb = cands[i - 1], cands[i]
        if len(ca) == 1 and len(cb) == 1:
            continue
        counts = [[freq(a + WORD_JOINER + b) for b in cb] for a in ca]
        s2 = sum(map(sum, counts))
        if s2 == 0:
            continue
        if p.model == "share":
            fa, fb = freqs[i - 1], freqs[i]
            pair[i] = [[p.w2 * math.log1p(counts[x][y] / (p.rho2 * max(1, min(fa[x], fb[y]))))
                        for y in range(len(cb))] for x in range(len(ca))]
            continue
        pa, pb = probs[i - 1], probs[i]
        denom = s2 + p.beta2
        pair[i] = [[p.w2 * math.log((counts[x][y] + p.beta2 * pa[x] * pb[y]) / (denom * pa[x] * pb[y]))
                    for y in range(len(cb))] for x in range(len(ca))]

    # Adjacency evidence (optional): how often the two syllables stand next to
    # each other in the indexed text, as a distribution over the readings of
    # the folded pair, smoothed towards the unigram shares.
    if adjacent is not None and p.wa:
        for i in range(1, n):
            ca, cb = cands[i - 1], cands[i]
            if len(ca) == 1 and len(cb) == 1:
                continue
            counts = [[adjacent(a + WORD_JOINER + b) for b in cb] for a in ca]
            s2 = sum(map(sum, counts))
            if s2 == 0:
                continue
            pa, pb = probs[i - 1], probs[i]
            denom = s2 + p.beta_a
            row = pair[i] or [[0.0] * len(cb) for _ in ca]
            for x in range(len(ca)):
                for y in range(len(cb)):
                    q = pa[x] * pb[y]
                    row[x][y] += p.wa * math.log((counts[x][y] + p.beta_a * q) / (denom * q))
            pair[i] = row

    # Word scores for (i-2, i-1, i), over the top candidates only;
    # readings outside them count as never seen.
    triple: list[dict[tuple[int, int, int], float] | None] = [None] * n
    default3: list[float] = [0.0] * n
    k3 = p.trigram_candidates
    for i in range(2, n):
        sizes = [min(len(cands[j]), k3) for j in (i - 2, i - 1, i)]
        if sizes == [1, 1, 1] or not p.w3:
            continue  # one reading only: the ratio is 1
        counts3 = {}
        for x, y, z in product(range(sizes[0]), range(sizes[1]), range(sizes[2])):
            c = freq(WORD_JOINER.join((cands[i - 2][x], cands[i - 1][y], cands[i][z])))
            if c:
                counts3[(x, y, z)] = c
        if not counts3:
            continue
        table = {}
        if p.model == "share":
            for (x, y, z), c in counts3.items():
                m = max(1, min(freqs[i - 2][x], freqs[i - 1][y], freqs[i][z]))
                table[(x, y, z)] = p.w3 * math.log1p(c / (p.rho3 * m))
            triple[i] = table
            continue
        s3 = sum(counts3.values())
        denom = s3 + p.beta3
        # Unseen readings: (0 + β·q) / (denom·q) = β / denom, whatever q is.
        default3[i] = p.w3 * math.log(p.beta3 / denom)
        for (x, y, z), c in counts3.items():
            q = probs[i - 2][x] * probs[i - 1][y] * probs[i][z]
            table[(x, y, z)] = p.w3 * math.log((c + p.beta3 * q) / (denom * q))
        triple[i] = table

    # Viterbi and forward passes over states (candidate at i-1, candidate at i).
    t = p.temperature
    if n == 1:
        scores = logp[0]
        best_j = max(range(len(scores)), key=lambda j: (scores[j], -j))
        logz = _logsumexp([s / t for s in scores])
        best_path = [best_j]
        best_score = scores[best_j]
    else:
        # Position 1: states (a, b).
        delta: dict[tuple[int, int], float] = {}
        alpha_: dict[tuple[int, int], float] = {}
        back: list[dict[tuple[int, int], int]] = [{}, {}]
        for a in range(len(cands[0])):
            for b in range(len(cands[1])):
                s = logp[0][a] + logp[1][b] + (pair[1][a][b] if pair[1] else 0.0)
                delta[(a, b)] = s
                alpha_[(a, b)] = s / t
        for i in range(2, n):
            new_delta: dict[tuple[int, int], float] = {}
            new_alpha: dict[tuple[int, int], float] = {}
            bp: dict[tuple[int, int], int] = {}
            pr, tr, d3 = pair[i], triple[i], default3[i]
            nb, nc = len(cands[i - 1]), len(cands[i])
            na = len(cands[i - 2])
            for b in range(nb):
                for c in range(nc):
                    local = logp[i][c] + (pr[b][c] if pr else 0.0)
                    best_s, best_a = -math.inf, 0
                    fw = []
                    for a in range(na):
                        s3 = tr.get((a, b, c), d3) if tr is not None else 0.0
                        s = delta[(a, b)] + s3
                        if s > best_s:
                            best_s, best_a = s, a
                        fw.append(alpha_[(a, b)] + s3 / t)
                    new_delta[(b, c)] = best_s + local
                    bp[(b, c)] = best_a
                    new_alpha[(b, c)] = _logsumexp(fw) + local / t
            delta, alpha_ = new_delta, new_alpha
            back.append(bp)
        (b, c), best_score = max(delta.items(), key=lambda kv: (kv[1], -kv[0][0], -kv[0][1]))
        logz = _logsumexp(list(alpha_.values()))
        path = [c, b]
        for i in range(n - 1, 1, -1):
            a = back[i][(path[-1], path[-2])]
            path.append(a)
        best_path = path[::-1]

    restored = [cands[i][j] for i, j in enumerate(best_path)]
    confidence = math.exp(best_score / t - logz) if logz > -math.inf else 1.0
    confidence = min(1.0, max(0.0, confidence))
    changed = any(r != s for r, s in zip(restored, typed))
    return Restoration(" ".join(restored), restored, confidence, changed, cands)


# -- conveniences --------------------------------------------------------------------


def index_df(reader, fieldname: str = "text", cache_size: int = 200_000) -> tuple[Callable[[str], int], int]:
    """A cached document-frequency function over *reader*'s exact field, and its doc count.

    Works on a Whoosh reader (``searcher.reader()``); the cache lives as long
    as the function, so build a new one when the index changes.
    """
    cache: dict[str, int] = {}
    doc_frequency = reader.doc_frequency

    def df(term: str) -> int:
        got = cache.get(term)
        if got is None:
            if len(cache) >= cache_size:
                cache.clear()
            got = cache[term] = doc_frequency(fieldname, term)
        return got

    return df, reader.doc_count()


def restore_text(engine, text: str, params: RestoreParams | None = None) -> Restoration:
    """Restore a raw query string against an open :class:`~vnsearch.engine.SearchEngine`."""
    searcher, _ = engine._current()
    reader = searcher.reader()
    df, total = index_df(reader)
    return restore(query_syllables(text), df, total, params)
