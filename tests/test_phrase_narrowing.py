"""A quoted phrase reads its later syllables only where the phrase still stands: the same matches.

Why: ``Ranker.phrase`` checks positions; a long phrase whose first words are
rare together need not read its common later words ("của", "và") in every
article holding them all. This pins that the narrowed walk finds exactly the
documents the walk over every candidate found (the reference below is the
code before, verbatim), on phrases cut from articles and on made-up ones.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.conftest import read_corpus_lines
from vnsearch import SearchEngine
from vnsearch.lang.analysis import syllables
from vnsearch.search.proximity import KEY_SHIFT, position_keys
from vnsearch.search.query import Phrase
from vnsearch.search.ranking import Ranker


def reference_mask(ranker: Ranker, phrase: Phrase) -> np.ndarray:
    """The phrase's matches as the code before the narrowing found them."""
    units = [ranker.syllable(s) for s in phrase.syllables]
    mask = np.logical_and.reduce([u.mask for u in units])
    docs = np.flatnonzero(mask)
    if docs.size:
        starts = position_keys(units[0].postings, docs)
        for k, u in enumerate(units[1:], 1):
            following = position_keys(u.postings, docs)
            if not following.size:
                starts = following
                break
            wanted = starts + k
            at = np.minimum(np.searchsorted(following, wanted), following.size - 1)
            starts = starts[following[at] == wanted]
            if not starts.size:
                break
        mask[docs] = False
        mask[docs[starts >> KEY_SHIFT]] = True
    return mask


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Any:
    articles = read_corpus_lines("news.jsonl.gz", 0, 300)
    path: Path = tmp_path_factory.mktemp("phrases") / "ix"
    engine = SearchEngine(path)
    engine.add_articles(articles, jobs=1)
    yield engine, articles
    engine.close()


def phrases(articles: list[dict[str, Any]], rng: random.Random) -> list[list[str]]:
    out = []
    for article in rng.sample(articles, 60):
        words = [t.text for t in syllables(article.get("body") or "")]
        if len(words) < 8:
            continue
        for length in (3, 4, 6):
            start = rng.randrange(len(words) - length)
            out.append(words[start:start + length])
    common = ["của", "và", "là", "có", "người", "trong", "các", "những", "được", "cho"]
    for _ in range(60):  # common syllables strung together: many candidates, few or no matches
        out.append(rng.sample(common, rng.choice([3, 4, 5])))
    out += [["trí", "tuệ", "nhân", "tạo"], ["ha", "noi", "va"], ["thành", "phố", "hồ", "chí", "minh"]]
    return out


def test_narrowed_phrases_match_the_same_documents(corpus: Any) -> None:
    engine, articles = corpus
    rng = random.Random(5)
    matched = 0
    with engine._reading() as view:
        ranker: Ranker = view.ranker
        for words in phrases(articles, rng):
            phrase = Phrase(words, quoted=True)
            got = ranker.phrase(phrase).mask
            want = reference_mask(ranker, phrase)
            assert np.array_equal(got, want), words
            matched += bool(want.any())
    assert matched > 100  # most phrases cut from articles match somewhere


def test_keys_among_some_candidates_are_those_candidates_keys(corpus: Any) -> None:
    """``position_keys(..., among=)``: the keys of those candidates alone, numbered as over all of them."""
    engine, _ = corpus
    rng = random.Random(9)
    with engine._reading() as view:
        ranker: Ranker = view.ranker
        lists = [ranker.postings("text_f", t) for t in ("cua", "va", "nguoi", "hiem")]
        docs = np.array([d for d in range(ranker.size) if rng.random() < 0.6], dtype=np.int64)
        for postings in (lists[0], lists[3], (lists[1], lists[2]), (lists[3], lists[0], lists[1])):
            every = position_keys(postings, docs)
            for share in (0.0, 0.1, 0.5, 1.0):
                among = np.flatnonzero(np.array([rng.random() < share for _ in range(docs.size)]))
                want = every[np.isin(every >> KEY_SHIFT, among)]
                got = position_keys(postings, docs, among=among)
                assert np.array_equal(got, want)
            assert every.size  # the lists hold these candidates
