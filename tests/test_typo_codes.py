"""Slips on the letters of codes ("24g" for 24h, "kk50" for K50): issue 16's kw-typo misses.

On a tiny index built here: the codes of letters and digits get a typo index
of their own (:class:`~vnsearch.lang.typos.TypoIndex` with ``codes``), reached
by one slip on a letter, the digits kept.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from vnsearch import SearchEngine
from vnsearch.ingest.articles import Article
from vnsearch.lang.typos import TypoIndex, is_code, same_digits

ARTICLES = [
    Article(id="a24h", title="Trận chung kết của vua phá lưới trong 24h qua",
            body="Vua phá lưới ghi hai bàn, tin tức 24h về bóng đá."),
    Article(id="k50", title="Lenovo K50 bị tố nã giá bán", body="Điện thoại K50 tăng giá, người mua bị nã thêm tiền."),
    Article(id="toa8b", title="Cháy tòa 8B khu đô thị", body="Tòa 8B bốc cháy lúc 8h sáng, cư dân sơ tán."),
    Article(id="ca", title="Giá cá tăng mạnh", body="Lúc 8h sáng chợ cá đông người, tòa nhà bên cạnh vắng."),
    Article(id="vua", title="Nhà vua thăm trường", body="Nhà vua đến thăm trường học vào buổi sáng."),
]


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchEngine]:
    eng = SearchEngine(Path(tmp_path_factory.mktemp("codes")) / "ix")
    eng.add_articles(ARTICLES, jobs=1)
    yield eng
    eng.close()


def test_codes_are_told_from_words_and_numbers() -> None:
    assert is_code("24h") and is_code("u23") and is_code("lx570")
    assert not is_code("vua") and not is_code("2024") and not is_code("8,5") and not is_code("tòa")


def test_a_code_is_reached_by_one_slip_on_its_letters_only() -> None:
    ix = TypoIndex([("24h", 25), ("24k", 3), ("k50", 4), ("8b", 2), ("8h", 20), ("25h", 9), ("vua", 50)], codes=True)
    assert "vua" not in ix and len(ix) == 6
    assert [c.word for c in ix.candidates("24g")][:1] == ["24h"]  # g is next to h
    assert "25h" not in [c.word for c in ix.candidates("24h")]  # a digit is never slipped
    assert [c.word for c in ix.candidates("kk50")] == ["k50"]  # a doubled letter
    assert [(c.word, c.distance) for c in ix.candidates("8h")] == [("8h", 0), ("8b", 1)]
    assert same_digits("24g", "24h") and not same_digits("24h", "42h") and not same_digits("2h4", "24h")
    # The letter index holds no codes, as before.
    assert "24h" not in TypoIndex([("24h", 25), ("vua", 50)])


def test_a_slipped_code_finds_its_article(engine: SearchEngine) -> None:
    # As typed, only "vua" matches: the article about the king ranks first.
    assert [h.id for h in engine.search("24g vua", typos=False)][:1] == ["vua"]
    got = engine.search("24g vua")
    assert [h.id for h in got][:1] == ["a24h"]
    assert got.corrections.get("24g", [])[:1] == ["24h"]
    assert [h.id for h in engine.search("kk50 nã")][:1] == ["k50"]


def test_a_known_code_that_goes_with_nothing_else_is_read_as_its_slip(engine: SearchEngine) -> None:
    # "8h" is a code of the index (a time), but "tòa 8b" is what the article holds.
    assert [h.id for h in engine.search("tòa 8h")][:1] == ["toa8b"]
    # Typed right, the code is matched as typed.
    assert [h.id for h in engine.search("tòa 8b")][:1] == ["toa8b"]
