"""Tests for vnsearch.search.query: the query language and its error messages."""

from __future__ import annotations

import unicodedata

import pytest

from vnsearch.search.query import Phrase, QueryError, parse_query


def groups(q: str) -> list[list[tuple[list[str], bool]]]:
    """The parsed groups as plain (syllables, quoted) pairs, easy to compare."""
    return [[(p.syllables, p.quoted) for p in group] for group in parse_query(q).groups]


# --- words and phrases -----------------------------------------------------------------


def test_plain_words_are_single_syllable_requirements_kept_as_one_run():
    parsed = parse_query("trí tuệ nhân tạo")
    assert groups("trí tuệ nhân tạo") == [[(["trí"], False)], [(["tuệ"], False)], [(["nhân"], False)],
                                          [(["tạo"], False)]]
    assert parsed.runs == [["trí", "tuệ", "nhân", "tạo"]]
    assert parsed.excluded == [] and parsed.filters == {}


def test_query_words_are_normalised():
    assert parse_query("TRÍ TUỆ").syllables() == ["trí", "tuệ"]
    assert parse_query(unicodedata.normalize("NFD", "trí tuệ")).syllables() == ["trí", "tuệ"]
    assert parse_query("hoà thuỷ").syllables() == ["hòa", "thủy"]
    assert parse_query("tri tue").syllables() == ["tri", "tue"]


def test_quoted_phrase():
    assert groups('"trí tuệ" nhân tạo') == [[(["trí", "tuệ"], True)], [(["nhân"], False)], [(["tạo"], False)]]
    assert parse_query('"trí tuệ" nhân tạo').runs == [["nhân", "tạo"]]


def test_quoted_single_word_is_a_plain_word():
    assert groups('"AI"') == [[(["ai"], False)]]


def test_phrase_punctuation_inside_quotes_is_ignored():
    assert groups('"Hà Nội, Việt Nam"') == [[(["hà", "nội", "việt", "nam"], True)]]


def test_unbalanced_quote_closes_at_end():
    assert groups('"trí tuệ nhân') == [[(["trí", "tuệ", "nhân"], True)]]
    assert groups('AI "cộng đồng') == [[(["ai"], False)], [(["cộng", "đồng"], True)]]


def test_stray_quote_is_ignored():
    assert parse_query('AI " ').syllables() == ["ai"]


# --- exclusion --------------------------------------------------------------------------


def test_exclusion_of_word_and_phrase():
    parsed = parse_query('AI -Alibaba -"Bắc Kinh"')
    assert parsed.syllables() == ["ai"]
    assert [(p.syllables, p.quoted) for p in parsed.excluded] == [(["alibaba"], True), (["bắc", "kinh"], True)]


def test_hyphen_inside_a_word_is_not_exclusion():
    parsed = parse_query("COVID-19 Thanh-Hóa")
    assert parsed.excluded == []
    assert parsed.syllables() == ["covid-19", "thanh-hóa"]


# --- OR ----------------------------------------------------------------------------------


def test_or_between_runs_of_words():
    assert groups("hà nội OR đà nẵng") == [[(["hà", "nội"], True), (["đà", "nẵng"], True)]]
    assert parse_query("hà nội OR đà nẵng").runs == []


def test_or_between_single_words_and_phrase():
    assert groups('AI OR "trí tuệ"') == [[(["ai"], False), (["trí", "tuệ"], True)]]
    assert groups("apple OR samsung OR xiaomi") == [[(["apple"], False), (["samsung"], False), (["xiaomi"], False)]]


def test_or_keeps_other_requirements():
    assert groups('"giá vàng" OR "tỷ giá" tăng') == [[(["giá", "vàng"], True), (["tỷ", "giá"], True)],
                                                    [(["tăng"], False)]]


def test_lower_case_or_is_a_word():
    assert parse_query("mưa or nắng").syllables() == ["mưa", "or", "nắng"]
    assert len(parse_query("mưa or nắng").groups) == 3


def test_dangling_or_is_ignored():
    assert groups("OR bão") == [[(["bão"], False)]]
    assert groups("bão OR") == [[(["bão"], False)]]


# --- filters --------------------------------------------------------------------------------


def test_filters():
    parsed = parse_query('source:VnExpress category:"Kinh doanh" credit:Reuters lãi suất')
    assert parsed.filters == {"source": ["VnExpress"], "category": ["Kinh doanh"], "credit": ["Reuters"]}
    assert parsed.syllables() == ["lãi", "suất"]


def test_negative_filter_and_repeated_filter():
    parsed = parse_query("-source:dantri source:vnexpress source:tuoitre bão")
    assert parsed.filters == {"-source": ["dantri"], "source": ["vnexpress", "tuoitre"]}
    assert parsed.excluded == []


def test_filter_field_name_is_case_insensitive():
    assert parse_query("Source:VNE bão").filters == {"source": ["VNE"]}


def test_unknown_field_is_searched_as_text():
    parsed = parse_query("author:Nguyễn bão")
    assert parsed.filters == {}
    assert parsed.syllables() == ["author", "nguyễn", "bão"]


def test_time_like_word_is_not_a_field():
    parsed = parse_query("họp lúc 19:30")
    assert parsed.filters == {}
    assert parsed.syllables() == ["họp", "lúc", "19:30"]  # times stay whole


# --- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize("q", ["", "   ", "\t\n", '"', '""', "OR", "- -", "!!! ???", "\u200b"])
def test_empty_query_raises(q):
    with pytest.raises(QueryError) as info:
        parse_query(q)
    message = str(info.value)
    assert message and "\n" not in message
    assert "empty" in message


@pytest.mark.parametrize("q", ["-bão", '-"Bắc Kinh"', "source:VnExpress", "-source:dantri -lũ"])
def test_exclusion_or_filter_only_query_raises(q):
    with pytest.raises(QueryError) as info:
        parse_query(q)
    message = str(info.value)
    assert message and "\n" not in message
    assert "exclude" in message or "filter" in message


def test_query_error_is_a_value_error():
    assert issubclass(QueryError, ValueError)
    with pytest.raises(QueryError):
        parse_query(None)  # type: ignore[arg-type]


def test_very_long_query_is_truncated_not_rejected():
    parsed = parse_query("bão " * 5000)
    assert 0 < len(parsed.syllables()) <= 500


def test_phrase_text():
    assert Phrase(["trí", "tuệ"], quoted=True).text() == "trí tuệ"
