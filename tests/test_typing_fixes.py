"""Rough edges a new user hit (issue 16): highlighting inside joined tokens, restore keeping the text's form."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from vnsearch.cli import main
from vnsearch.search.highlight import make_snippet
from vnsearch.search.restore import onto_text


@pytest.mark.parametrize("query, expected", [
    ("covid", "Dịch [Covid]-19 lan nhanh, số ca [COVID]-19 tăng"),
    ("covid 19", "Dịch [Covid-19] lan nhanh, số ca [COVID-19] tăng"),
    ("Covid-19", "Dịch [Covid-19] lan nhanh, số ca [COVID-19] tăng"),
    ("19", "Dịch Covid-[19] lan nhanh, số ca COVID-[19] tăng"),
])
def test_a_part_of_a_joined_token_is_highlighted(query, expected):
    assert make_snippet("Dịch Covid-19 lan nhanh, số ca COVID-19 tăng", query).marked("[", "]") == expected


def test_joined_tokens_without_a_wanted_part_stay_unmarked():
    assert make_snippet("Người H'Mông ở Hà Giang", "hà giang").marked("[", "]") == "Người H'Mông ở [Hà Giang]"


def test_restored_syllables_keep_the_typed_case_and_punctuation():
    original = "Thu tuong tham Ha Noi, Da Nang."
    restored = ["thủ", "tướng", "thăm", "hà", "nội", "đà", "nẵng"]
    assert onto_text(original, restored) == "Thủ tướng thăm Hà Nội, Đà Nẵng."
    assert onto_text("HA NOI  va  TP.HCM!", ["hà", "nội", "và", "tp", "hcm"]) == "HÀ NỘI  và  TP.HCM!"
    assert onto_text("a b", ["x"]) == "x"  # not one for one: the syllables as they are


def test_restore_command_keeps_capitals_and_punctuation(seed_index_dir):
    result = CliRunner().invoke(main, ["restore", "-d", str(seed_index_dir), "Hang Chau, Quang Dong."])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == "Hàng Châu, Quảng Đông."
    as_json = CliRunner().invoke(main, ["restore", "-d", str(seed_index_dir), "--json", "Hang Chau, Quang Dong."])
    assert json.loads(as_json.stdout)["text"] == "Hàng Châu, Quảng Đông."


# -- restore: a syllable standing alone, and clauses (issue 16: "tham" -> "thăm") -------------

# Document frequencies as on 5,000 news articles: "tham" is nearly always inside "tham gia", "tham dự"…
_DF = {"ông": 2000, "hà": 1100, "tham": 1288, "thăm": 379, "thẩm": 341, "thảm": 147, "thâm": 104,
       "tham gia": 1200, "tham dự": 352, "thăm dò": 51, "thăm hỏi": 35, "thẩm quyền": 300, "thảm họa": 120}


def _df(term: str) -> int:
    return _DF.get(term, 0)


def _starts(syllable: str) -> int:
    return sum(n for w, n in _DF.items() if w.startswith(syllable + " "))


def test_a_syllable_no_neighbour_makes_a_word_with_is_weighed_outside_its_words():
    from vnsearch.search.restore import restore

    typed = ["ong", "tham", "ha"]
    assert restore(typed, _df, 5000).syllables == ["ông", "tham", "hà"]  # by documents alone
    assert restore(typed, _df, 5000, standalone=_starts).syllables == ["ông", "thăm", "hà"]
    # Inside a word the word decides, as before; at an end of the query the word may go on outside it.
    assert restore(["ong", "tham", "gia"], _df, 5000, standalone=_starts).syllables == ["ông", "tham", "gia"]
    assert restore(["ong", "tham"], _df, 5000, standalone=_starts).syllables == ["ông", "tham"]


def test_no_word_or_vote_spans_a_comma():
    from vnsearch.search.restore import context_evidence, query_breaks

    assert query_breaks("Thu tuong tham Ha Noi, Da Nang.", 7) == {5}
    assert query_breaks("Ha Noi Da Nang", 4) == frozenset()
    hits = [{"title": "Hà Nội: Đã xong tuyến đường", "lead": "", "body": ""}]
    syllables = ["ha", "noi", "da", "nang"]
    assert ("nội", "đã") in context_evidence(syllables, hits).pair[2]
    assert not context_evidence(syllables, hits, breaks={2}).pair[2]
