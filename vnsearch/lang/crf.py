"""underthesea's word-segmentation CRF, decoded here from the model's own weights.

underthesea_core tags a sentence in two calls: ``CRFFeaturizer.process``
builds 43 feature strings per token ("T[-1,0].lower=hà nội", ...) as Python
objects, and ``CRFTagger.tag`` turns them back into attribute ids and runs
Viterbi. Building and handing over those strings is most of the cost of
indexing. The model has only two labels and 50,671 attributes, so the same
scores can be had much more cheaply: a token, a pair or a triple of
consecutive tokens always contributes the same weights at the same relative
positions, so each distinct one is scored once (cached) and a zone's
emission scores are sums of table rows (numpy); Viterbi runs in Python.

The result must be exactly underthesea's, so:

* what a token is (its lower case, ``isdigit``, ``istitle``, ``is_in_dict``)
  is asked of underthesea's own featurizer, once per distinct token;
* the rules for pairs and triples (joined with a space, their lower case the
  joined lower cases, ``is_in_dict`` a look-up of that in the model's
  dictionary, ``istitle`` true when every token's is) and for sentence
  boundaries (``BOS``/``EOS``) follow underthesea_core's featurizer, and
  :func:`features` rebuilds its strings from them so tests can compare the
  two on real text;
* our sums of weights are grouped differently from underthesea's, so they
  may differ in the last bits; whenever a Viterbi decision is closer than
  :data:`MARGIN`, far above any such rounding, the chunk is tagged by
  underthesea itself instead.
"""

from __future__ import annotations

import itertools
import re
import struct
from array import array
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, NamedTuple, cast

import numpy as np
from numpy.typing import NDArray

__all__ = ["FastTagger", "MARGIN", "Featurize", "Tag"]

# underthesea_core's CRFFeaturizer.process: sentences of tokens (each token a
# list of columns, here just its text) -> per sentence, per token, its feature
# strings ("T[-1,0].lower=hà nội", ...).
Featurize = Callable[[list[list[list[str]]]], list[list[list[str]]]]
# underthesea_core's CRFTagger.tag: one sentence's feature strings -> its labels ("B-W", "I-W").
Tag = Callable[[list[list[str]]], list[str]]
# Rows of (B-W, I-W) weight pairs, one row per token, pair or triple.
_Rows = NDArray[np.float64]

# A Viterbi decision closer than this is left to underthesea's tagger. Rounding
# differences between two summation orders of ~50 weights of magnitude < 10 are
# below 1e-12; this is a few orders of magnitude safer than needed, and so rare
# on real text that the fallback costs nothing.
MARGIN = 1e-7

_UNI = (-2, -1, 0, 1, 2)
_BI = (-2, -1, 0, 1)  # template T[a,a+1]
_TRI = (-2, -1, 0)  # template T[a,a+2]
# What props() takes of underthesea's features of a token alone: the position
# of each in FastTagger.TEMPLATES' order, and its text up to the value.
_PROP_HEADS = ("T[0].lower=", "T[0].isdigit=", "T[0].istitle=", "T[0].is_in_dict=")
_PROP_AT: tuple[int, ...] = ()  # set below the class
# A single-token attribute: "T[-1].lower=hà" -> offset, template kind, value.
_SINGLE = re.compile(r"T\[(-?\d+)\](\.[a-z_]+)?=(.*)", re.DOTALL)
_CACHE_LIMIT = 400_000  # token rows kept per process before the cache starts again
_PAIR_LIMIT = 50_000  # pair rows likewise (~200 bytes each: a dict entry, two ints, a row)
# A token's row: 2 × 5 weights (_UNI), then its flags (_uni_rows): istitle, its
# places in the model's triples (3), its lower case's in the dictionary's (3).
_UNI_WIDTH = 10
_TITLE, _TRIPLE, _IN_DICT = 0, 1, 4
_UNI_FLAGS = 7


def _read_crfsuite(path: Path) -> tuple[list[str], list[str], dict[int, list[float]], list[list[float]]]:
    """Labels, attributes, state weights by attribute id and transitions of a CRFsuite model file."""
    data = path.read_bytes()
    (magic, _size, kind, _version, _nfeat, nlabels, _nattrs, off_feat, off_labels, off_attrs,
     _off_lrefs, _off_arefs) = struct.unpack_from("<4sI4sIIIIIIIII", data, 0)
    if magic != b"lCRF" or kind != b"FOMC":
        raise ValueError(f"{path}: not a CRFsuite 1st-order model")

    def strings(offset: int) -> list[str]:
        cmagic, _csize, _flag, _order, count, backward = struct.unpack_from("<4sIIIII", data, offset)
        if cmagic != b"CQDB":
            raise ValueError(f"{path}: bad string table at {offset}")
        out = []
        for ident in range(count):
            (at,) = struct.unpack_from("<I", data, offset + backward + 4 * ident)
            got, size = struct.unpack_from("<II", data, offset + at)
            if got != ident:
                raise ValueError(f"{path}: string table out of order at {ident}")
            out.append(data[offset + at + 8: offset + at + 8 + size - 1].decode("utf-8"))
        return out

    labels = strings(off_labels)
    attrs = strings(off_attrs)
    fmagic, _fsize, count = struct.unpack_from("<4sII", data, off_feat)
    if fmagic != b"FEAT":
        raise ValueError(f"{path}: no feature chunk")
    state: dict[int, list[float]] = {}
    trans = [[0.0] * nlabels for _ in range(nlabels)]
    for kind_, src, dst, weight in struct.iter_unpack("<IIId", data[off_feat + 12: off_feat + 12 + 20 * count]):
        if kind_ == 0:
            state.setdefault(src, [0.0] * nlabels)[dst] += weight
        elif kind_ == 1:
            trans[src][dst] += weight
    return labels, attrs, state, trans


class FastTagger:
    """Word starts for token sequences, equal to underthesea's CRF tagging them.

    *featurize* and *tag* are underthesea_core's ``CRFFeaturizer.process``
    and ``CRFTagger.tag`` for the same model: the first describes each new
    token, the second tags any chunk whose decision is too close to call.
    """

    # The feature templates the scoring below implements (underthesea's features.bin).
    TEMPLATES = [
        "T[-2]", "T[-1]", "T[0]", "T[1]", "T[2]", "T[-2,-1]", "T[-1,0]", "T[0,1]", "T[1,2]", "T[-2,0]",
        "T[-1,1]", "T[0,2]", "T[-2].lower", "T[-1].lower", "T[0].lower", "T[1].lower", "T[2].lower",
        "T[-2,-1].lower", "T[-1,0].lower", "T[0,1].lower", "T[1,2].lower", "T[-1].isdigit", "T[0].isdigit",
        "T[1].isdigit", "T[-2].istitle", "T[-1].istitle", "T[0].istitle", "T[1].istitle", "T[2].istitle",
        "T[0,1].istitle", "T[0,2].istitle", "T[-2].is_in_dict", "T[-1].is_in_dict", "T[0].is_in_dict",
        "T[1].is_in_dict", "T[2].is_in_dict", "T[-2,-1].is_in_dict", "T[-1,0].is_in_dict", "T[0,1].is_in_dict",
        "T[1,2].is_in_dict", "T[-2,0].is_in_dict", "T[-1,1].is_in_dict", "T[0,2].is_in_dict",
    ]

    def __init__(self, model_dir: Path, dictionary: set[str], featurize: Featurize, tag: Tag) -> None:
        labels, attrs, state, trans = _read_crfsuite(Path(model_dir) / "models.bin")
        if labels != ["B-W", "I-W"]:
            raise ValueError(f"unexpected labels {labels}")
        self._w = {attrs[a]: (w[0], w[1]) for a, w in state.items()}
        self._trans = trans
        self._dictionary = dictionary
        self._featurize = featurize
        self._tag = tag
        # token -> (lower, isdigit, istitle, is_in_dict) as underthesea writes them
        self._props: dict[str, tuple[str, str, str, str]] = {}
        self._uni = _Table(_UNI_WIDTH + _UNI_FLAGS)
        self._pairs = _Table(8, _PAIR_LIMIT)
        self._pairs_of = 0  # the token table's generation the pairs' keys belong to
        self._value_rows = _single_token_tables(self._w)
        self._edges = self._boundary_rows()
        # The twelve columns of (B, I) weights side by side, uni then bi then tri
        # (see _emission): each one's offset, width, and BOS / EOS weights.
        kinds = (("uni", _UNI, 0), ("bi", _BI, 1), ("tri", _TRI, 2))
        self._columns = _Columns(
            np.array([[a for _, offsets, _ in kinds for a in offsets]]),
            np.array([[width for _, offsets, width in kinds for _ in offsets]]),
            np.array([self._edges[kind, edge, a] for edge in ("BOS", "EOS") for kind, offsets, _ in kinds
                      for a in offsets]))
        self._pieces()
        self.fallbacks = 0  # chunks handed to underthesea (for tests and curiosity)

    # -- what underthesea says about one token ---------------------------------------

    def props(self, token: str) -> tuple[str, str, str, str]:
        got = self._props.get(token)
        if got is None:
            feats = self._featurize([[[token]]])[0][0]
            # The features come in the templates' order; each is checked to be
            # the one expected before its value is taken (a dict of all 43 otherwise).
            picked = [feats[i] if i < len(feats) else "" for i in _PROP_AT]
            if all(f.startswith(head) for f, head in zip(picked, _PROP_HEADS)):
                lower, digit, title, in_dict = (f[len(head):] for f, head in zip(picked, _PROP_HEADS))
            else:
                value = {f[: f.index("=")]: f[f.index("=") + 1:] for f in feats}
                lower, digit, title, in_dict = (value[head[:-1]] for head in _PROP_HEADS)
            got = self._props[token] = (lower, digit, title, in_dict)
        return got

    # -- rebuilding underthesea's feature strings (for checking the rules) -----------------

    def features(self, tokens: Sequence[str]) -> list[list[str]]:
        """The feature strings underthesea's featurizer would build for *tokens*."""
        n = len(tokens)
        props = [self.props(t) for t in tokens]

        def edge(i: int, a: int, b: int) -> str | None:
            return "BOS" if i + a < 0 else "EOS" if i + b >= n else None

        out = []
        for i in range(n):
            f = []
            for k in _UNI:
                f.append(f"T[{k}]={edge(i, k, k) or tokens[i + k]}")
            for a, b in ((-2, -1), (-1, 0), (0, 1), (1, 2), (-2, 0), (-1, 1), (0, 2)):
                f.append(f"T[{a},{b}]={edge(i, a, b) or ' '.join(tokens[i + a: i + b + 1])}")
            for k in _UNI:
                f.append(f"T[{k}].lower={edge(i, k, k) or props[i + k][0]}")
            for a, b in ((-2, -1), (-1, 0), (0, 1), (1, 2)):
                f.append(f"T[{a},{b}].lower={edge(i, a, b) or ' '.join(p[0] for p in props[i + a: i + b + 1])}")
            for k in (-1, 0, 1):
                f.append(f"T[{k}].isdigit={edge(i, k, k) or props[i + k][1]}")
            for k in _UNI:
                f.append(f"T[{k}].istitle={edge(i, k, k) or props[i + k][2]}")
            for a, b in ((0, 1), (0, 2)):
                f.append(f"T[{a},{b}].istitle={edge(i, a, b) or self._all_title(props[i + a: i + b + 1])}")
            for k in _UNI:
                f.append(f"T[{k}].is_in_dict={edge(i, k, k) or props[i + k][3]}")
            for a, b in ((-2, -1), (-1, 0), (0, 1), (1, 2), (-2, 0), (-1, 1), (0, 2)):
                f.append(f"T[{a},{b}].is_in_dict={edge(i, a, b) or self._in_dict(props[i + a: i + b + 1])}")
            out.append(f)
        return out

    @staticmethod
    def _all_title(props: Sequence[tuple[str, str, str, str]]) -> str:
        return str(all(p[2] == "True" for p in props))

    def _in_dict(self, props: Sequence[tuple[str, str, str, str]]) -> str:
        return str(" ".join(p[0] for p in props) in self._dictionary)

    # -- weights of the pieces -----------------------------------------------------------

    def _sum(self, attrs: Sequence[str]) -> tuple[float, float]:
        b = i = 0.0
        for attr in attrs:
            w = self._w.get(attr)
            if w is not None:
                b += w[0]
                i += w[1]
        return b, i

    def _uni_rows(self, tokens: Sequence[str]) -> _Rows:
        """The token rows (B, I for each of T[-2] … T[2]) of tokens not seen before.

        A token's row is the weights of its five single-token attributes at
        each offset: its text, its lower case, and its ``istitle``,
        ``is_in_dict`` and ``isdigit`` values (:meth:`props`), each looked up
        in a table of every value the model has for that template.
        """
        props = [self.props(t) for t in tokens]
        weights = self._value_rows[""].of(tokens)
        for name, at in ((".lower", 0), (".isdigit", 1), (".istitle", 2), (".is_in_dict", 3)):
            weights += self._value_rows[name].of([p[at] for p in props])
        # Flags after the weights: istitle, then whether the token may be the first,
        # second, third token of one of the model's triples, then the same of its
        # lower case and the dictionary's three-syllable entries.
        flags = np.zeros((len(tokens), _UNI_FLAGS))
        flags[:, _TITLE] = [p[2] == "True" for p in props]
        for place, known in enumerate(self._triple_parts):
            flags[:, _TRIPLE + place] = [t in known for t in tokens]
        for place, known in enumerate(self._dict_parts):
            flags[:, _IN_DICT + place] = [p[0] in known for p in props]
        return np.concatenate([weights, flags], axis=1)

    def _pair_rows_of(self, keys: list[int], tokens: Sequence[str], at: NDArray[np.int64]) -> _Rows:
        """Rows of pairs not seen before, by their keys (*at*: the zone's pair keys, by position).

        A pair's row is the weights of its text, of its lower case, and of
        whether that lower case is in the dictionary (its ``istitle`` depends
        only on its tokens' and is added per zone).
        """
        first = dict(zip(at.tolist(), range(len(at))))  # a position of each key
        props, dictionary = self._props, self._dictionary
        where = [first[k] for k in keys]
        pairs = [f"{tokens[i]} {tokens[i + 1]}" for i in where]
        lower = [f"{props[tokens[i]][0]} {props[tokens[i + 1]][0]}" for i in where]
        pair_ids, lpair_ids = self._pair_ids, self._lpair_ids
        rows: _Rows = (self._pair_rows_table[[pair_ids.get(p, 0) for p in pairs]]
                       + self._lpair_rows[[lpair_ids.get(p, 0) for p in lower]]
                       + self._pair_dict[np.array([p in dictionary for p in lower], dtype=np.int64)])
        return rows

    def _boundary_rows(self) -> dict[tuple[str, str, int], tuple[float, float]]:
        """Weights of each template's BOS / EOS value: (kind, value, a) -> (B, I)."""
        rows: dict[tuple[str, str, int], tuple[float, float]] = {}
        for edge in ("BOS", "EOS"):
            for k in _UNI:
                attrs = [f"T[{k}]={edge}", f"T[{k}].lower={edge}", f"T[{k}].istitle={edge}",
                         f"T[{k}].is_in_dict={edge}"]
                if -1 <= k <= 1:
                    attrs.append(f"T[{k}].isdigit={edge}")
                rows["uni", edge, k] = self._sum(attrs)
            for a in _BI:
                t = f"T[{a},{a + 1}]"
                attrs = [f"{t}={edge}", f"{t}.lower={edge}", f"{t}.is_in_dict={edge}"]
                if a == 0:
                    attrs.append(f"T[0,1].istitle={edge}")
                rows["bi", edge, a] = self._sum(attrs)
            for a in _TRI:
                t = f"T[{a},{a + 2}]"
                attrs = [f"{t}={edge}", f"{t}.is_in_dict={edge}"]
                if a == 0:
                    attrs.append(f"T[0,2].istitle={edge}")
                rows["tri", edge, a] = self._sum(attrs)
        return rows

    # -- tagging ---------------------------------------------------------------------------

    def _pieces(self) -> None:
        """Tables for pairs and triples: most never occur in an attribute, so only their
        ``is_in_dict`` and ``istitle`` values (two each) count, and the few that do
        are looked up by their text."""
        def table(offsets: Sequence[int], width: int, suffix: str = "") -> tuple[dict[str, int], _Rows]:
            ids: dict[str, int] = {}
            rows: list[list[float]] = [[0.0] * (2 * len(offsets))]  # row 0: no attribute
            for col, a in enumerate(offsets):
                head = f"T[{a},{a + width}]{suffix}="
                for attr, (b, i) in self._w.items():
                    if attr.startswith(head):
                        value = attr[len(head):]
                        if " " not in value:  # BOS / EOS: see _boundary_rows
                            continue
                        row = ids.get(value)
                        if row is None:
                            row = ids[value] = len(rows)
                            rows.append([0.0] * (2 * len(offsets)))
                        rows[row][2 * col] += b
                        rows[row][2 * col + 1] += i
            return ids, np.array(rows)

        self._pair_ids, self._pair_rows_table = table(_BI, 1)
        self._lpair_ids, self._lpair_rows = table(_BI, 1, ".lower")
        self._triple_ids, self._triple_rows = table(_TRI, 2)
        w = self._w

        def flag_rows(names: Sequence[str]) -> _Rows:
            """Row [False, True] of (B, I) weights for each template name."""
            out = np.zeros((2, 2 * len(names)))
            for col, name in enumerate(names):
                for value in (0, 1):
                    if name:
                        out[value, 2 * col: 2 * col + 2] = w.get(f"{name}={value == 1}", (0.0, 0.0))
            return out

        self._pair_dict = flag_rows([f"T[{a},{a + 1}].is_in_dict" for a in _BI])
        self._pair_title = flag_rows(["", "", "T[0,1].istitle", ""])
        self._triple_dict = flag_rows([f"T[{a},{a + 2}].is_in_dict" for a in _TRI])
        self._triple_title = flag_rows(["", "", "T[0,2].istitle"])

        def parts(keys: Iterable[str]) -> tuple[set[str], set[str], set[str]]:
            """The tokens that stand first, second, third in the three-token *keys*."""
            places: tuple[set[str], set[str], set[str]] = (set(), set(), set())
            for key in keys:
                if key.count(" ") == 2:
                    a, b, c = key.split(" ")
                    places[0].add(a)
                    places[1].add(b)
                    places[2].add(c)
            return places

        self._triple_parts = parts(self._triple_ids)
        self._dict_parts = parts(self._dictionary)

    def word_starts(self, chunks: Sequence[Sequence[str]]) -> list[bool]:
        """For each token of each chunk (a sentence), whether it begins a word.

        Tokens never contain a space (pairs and triples are joined with one).
        """
        tokens = [t for chunk in chunks for t in chunk]
        n = len(tokens)
        if not n:
            return []
        # Where each position's chunk starts and ends.
        start = np.empty(n, dtype=np.int64)
        end = np.empty(n, dtype=np.int64)
        at = 0
        for chunk in chunks:
            m = len(chunk)
            start[at: at + m] = at
            end[at: at + m] = at + m
            at += m
        uni_ids = self._uni.ids(tokens, self._uni_rows)
        got = self._uni.array[uni_ids]
        uni = got[:, :_UNI_WIDTH]
        flags = got[:, _UNI_WIDTH:] > 0.5  # see _uni_rows
        titles = np.concatenate([flags[:, _TITLE], [False, False]])
        # (kind, rows by first position, template offsets, width) of pairs and triples
        pieces: list[tuple[str, _Rows, tuple[int, ...], int]] = []
        if n > 1:
            if self._pairs_of != self._uni.generation:  # token row numbers begin again
                self._pairs = _Table(8, _PAIR_LIMIT)
                self._pairs_of = self._uni.generation
            # A pair is known by its tokens' row numbers.
            keys = np.array(uni_ids[:-1], dtype=np.int64) << 32 | np.array(uni_ids[1:], dtype=np.int64)
            pair_ids = self._pairs.ids(keys.tolist(), lambda new: self._pair_rows_of(new, tokens, keys))
            rows = (self._pairs.array[pair_ids]  # (after ids(), which may grow the array)
                    + self._pair_title[(titles[:n - 1] & titles[1:n]).astype(np.int64)])
            pieces.append(("bi", rows, _BI, 1))
        if n > 2:
            # Only triples whose every token may stand at its place in one of the
            # model's triples, or of the dictionary's, are spelt out and looked up.
            triple_ids, dictionary, props = self._triple_ids, self._dictionary, self._props
            ids = np.zeros(n - 2, dtype=np.int64)
            at = np.flatnonzero(flags[:-2, _TRIPLE] & flags[1:-1, _TRIPLE + 1] & flags[2:, _TRIPLE + 2]).tolist()
            ids[at] = [triple_ids.get(f"{tokens[i]} {tokens[i + 1]} {tokens[i + 2]}", 0) for i in at]
            in_dict = np.zeros(n - 2, dtype=np.int64)
            at = np.flatnonzero(flags[:-2, _IN_DICT] & flags[1:-1, _IN_DICT + 1] & flags[2:, _IN_DICT + 2]).tolist()
            in_dict[at] = [f"{props[tokens[i]][0]} {props[tokens[i + 1]][0]} {props[tokens[i + 2]][0]}" in dictionary
                           for i in at]
            rows = (self._triple_rows[ids]
                    + self._triple_dict[in_dict]
                    + self._triple_title[(titles[:n - 2] & titles[1:n - 1] & titles[2:n]).astype(np.int64)])
            pieces.append(("tri", rows, _TRI, 2))
        # A zone too short for pairs or triples still has their BOS / EOS values.
        if n <= 1:
            pieces.append(("bi", np.zeros((1, 8)), _BI, 1))
        if n <= 2:
            pieces.append(("tri", np.zeros((1, 6)), _TRI, 2))
        emission = _emission(uni, pieces, start, end, self._columns)
        # Viterbi needs only each position's I-W score less its B-W score.
        gaps = (emission[:, 1] - emission[:, 0]).tolist()
        starts: list[bool] = []
        at = 0
        for chunk in chunks:
            m = len(chunk)
            decoded = _viterbi(self._trans, gaps[at: at + m])
            if decoded is None:
                self.fallbacks += 1
                starts.extend(tag != "I-W" for tag in self._tag(self._featurize([[[t] for t in chunk]])[0]))
            else:
                starts.extend(decoded)
            at += m
        return starts

_PROP_AT = tuple(FastTagger.TEMPLATES.index(head[:-1]) for head in _PROP_HEADS)


class _Columns(NamedTuple):
    """The twelve columns of (B, I) weights of a position: uni, bi, then tri templates."""

    shift: NDArray[np.int64]  # (1, 12): each column's offset
    width: NDArray[np.int64]  # (1, 12): its pieces' width (0 a token, 1 a pair, 2 a triple)
    edge_pairs: _Rows  # (24, 2): each column's BOS weights, then each one's EOS weights


def _single_token_tables(weights: dict[str, tuple[float, float]]) -> dict[str, _Values]:
    """For each single-token template kind ("", ".lower", ...), its values' weights at each offset.

    Each (offset, kind, value) is one attribute of the model, so each cell
    is set once; built in arrays, not a list of floats per value, since
    every indexing worker builds them.
    """
    ids: dict[str, dict[str, int]] = {name: {} for name in ("", ".lower", ".isdigit", ".istitle", ".is_in_dict")}
    cells: dict[str, tuple[array[int], array[int], array[float], array[float]]] = {
        name: (array("l"), array("l"), array("d"), array("d")) for name in ids}
    for attr, (b, i) in weights.items():
        m = _SINGLE.match(attr)
        if m is None:
            continue
        k, name, value = int(m.group(1)), m.group(2) or "", m.group(3)
        if name not in ids or k not in _UNI:
            continue
        known = ids[name]
        row = known.setdefault(value, len(known) + 1)  # row 0: a value the model lacks
        rows, cols, bs, is_ = cells[name]
        rows.append(row)
        cols.append(2 * _UNI.index(k))
        bs.append(b)
        is_.append(i)
    tables = {}
    for name, (rows, cols, bs, is_) in cells.items():
        rows_of = np.zeros((len(ids[name]) + 1, 2 * len(_UNI)))
        at = np.array(rows, dtype=np.int64)
        col = np.array(cols, dtype=np.int64)
        rows_of[at, col] = bs
        rows_of[at, col + 1] = is_
        tables[name] = _Values(ids[name], rows_of)
    return tables


def _emission(uni: _Rows, pieces: Sequence[tuple[str, _Rows, tuple[int, ...], int]],
              start: NDArray[np.int64], end: NDArray[np.int64], columns: _Columns) -> _Rows:
    """Each position's (B, I) score: the sum of its twelve columns' weights.

    Column *j* of position *i* is the row of the piece starting at ``i + a``
    (the column's offset) in its kind's table, or the column's BOS / EOS
    weights where that piece leaves the chunk. The tables are laid side by
    side with two zero rows above and below, so that every column is one
    shifted slice for all positions; only positions next to a chunk's edge
    (two tokens from its start or its end, a few per sentence) are then
    summed again with their BOS / EOS weights, by one gather.
    """
    n = len(uni)
    cols = columns.shift.shape[1]
    side = np.zeros((n + 4, 2 * cols))
    side[2: 2 + n, : uni.shape[1]] = uni
    at = uni.shape[1]
    for _, table, _, _ in pieces:
        side[2: 2 + table.shape[0], at: at + table.shape[1]] = table
        at += table.shape[1]
    emission = np.zeros((n, 2))
    for j, a in enumerate(columns.shift[0].tolist()):
        emission += side[2 + a: 2 + a + n, 2 * j: 2 * j + 2]
    pos = np.arange(n)
    from_start = pos - start  # tokens of the chunk before each position
    to_end = end - pos  # each position's token and those after it in the chunk
    edge = np.flatnonzero((from_start < 2) | (to_end <= 2))
    column = np.arange(cols)[None, :]
    shift = columns.shift
    boundary = (n + 4) * cols  # where the BOS, then the EOS, weights follow the table
    index = np.where(shift < -from_start[edge, None], boundary + column,
                     np.where(shift + columns.width >= to_end[edge, None], boundary + cols + column,
                              (edge[:, None] + shift + 2) * cols + column))
    weights = np.concatenate([side.reshape(-1, 2), columns.edge_pairs])
    emission[edge] = weights[index].sum(axis=1)
    return emission


def _viterbi(trans: list[list[float]], gaps: list[float]) -> list[bool] | None:
    """Whether each token begins a word (the best labels' B-W), or None if a decision is within MARGIN.

    With two labels, Viterbi needs only the difference *s* of the two
    best scores so far (I-W's less B-W's): the best way into B-W comes
    from I-W when ``s > t00 - t10``, into I-W when ``s > t01 - t11``, and
    the next difference follows from *s*, the transitions and the next
    gap. The decisions are those of the two scores themselves, each
    closeness as measured there (``|a - b|`` is ``|s - (t00 - t10)|``).
    """
    (t00, t01), (t10, t11) = trans
    into_b, into_i = t00 - t10, t01 - t11
    margin = MARGIN
    s = gaps[0]
    back: list[int] = []  # per step: 1 if B-W came from I-W, + 2 if I-W did
    append = back.append
    for gap in itertools.islice(gaps, 1, None):
        if -margin < s - into_b < margin or -margin < s - into_i < margin:
            return None
        # underthesea keeps the first of equal scores (strict >); ties never reach here.
        if s > into_b:
            if s > into_i:
                append(3)
                s = (s + t11) - (s + t10) + gap
            else:
                append(1)
                s = t01 - (s + t10) + gap
        elif s > into_i:
            append(2)
            s = (s + t11) - t00 + gap
        else:
            append(0)
            s = t01 - t00 + gap
    if -margin < s < margin:
        return None
    inside = s > 0  # the last token's label: I-W
    starts = [not inside]
    for step in reversed(back):
        inside = bool(step & 2) if inside else bool(step & 1)
        starts.append(not inside)
    starts.reverse()
    return starts




class _Table:
    """Rows of weights for distinct keys, grown on demand, emptied when too large.

    A key's row number stays the same until the table is emptied, which
    ``generation`` counts (tables keyed by row numbers start again with it).
    """

    def __init__(self, width: int, limit: int = _CACHE_LIMIT) -> None:
        self.width = width
        self.limit = limit
        self.generation = 0
        self._ids: dict[Any, int] = {}
        self.array = np.zeros((1024, width))

    def ids(self, keys: Sequence[Any], make: Callable[[list[Any]], _Rows]) -> list[int]:
        """The row number of each key; *make* gives the rows of keys not in the table yet."""
        ids = self._ids
        if len(ids) > self.limit:
            ids.clear()
            self.generation += 1
        known = list(map(ids.get, keys))
        if None not in known:
            return cast(list[int], known)
        missing = [k for k in dict.fromkeys(keys) if k not in ids]
        first = len(ids)
        need = first + len(missing)
        if need > len(self.array):
            grown = np.zeros((max(need, 2 * len(self.array)), self.width))
            grown[:first] = self.array[:first]
            self.array = grown
        self.array[first:need] = make(missing)
        for i, k in enumerate(missing, first):
            ids[k] = i
        return list(map(ids.__getitem__, keys))


class _Values:
    """Weights of one template kind's values: value -> its row (row 0, zeros: a value the model lacks)."""

    def __init__(self, ids: dict[str, int], rows: _Rows) -> None:
        self._ids = ids
        self._rows = rows

    def of(self, values: Sequence[str]) -> _Rows:
        get = self._ids.get
        rows: _Rows = self._rows[[get(v, 0) for v in values]]
        return rows
