"""Telex and VNI typed with the input method off, read back as Vietnamese."""

from __future__ import annotations

import pytest

from vnsearch.lang.telex import convert, convert_text, from_telex, from_vni, tone_of


@pytest.mark.parametrize("typed, expected", [
    ("khowir", "khởi"), ("nghieepj", "nghiệp"), ("ddaf", "đà"), ("nawngx", "nẵng"),
    ("vieejt", "việt"), ("nam", "nam"), ("thwowng", "thương"), ("nguowif", "người"),
    ("uwowcs", "ước"), ("duongw", "dương"), ("thuowr", "thuở"), ("giuwax", "giữa"),
    ("quyeenf", "quyền"), ("tieengs", "tiếng"), ("gif", "gì"), ("hoaf", "hòa"), ("thuyr", "thủy"),
    ("tw", "tư"), ("nhw", "như"), ("wf", "ừ"), ("asn", "án"), ("tuaans", "tuấn"), ("baox", "bão"),
    ("hocj", "học"), ("hojc", "học"), ("Ddaf", "Đà"), ("Nawngx", "Nẵng"), ("VIEEJT", "VIỆT"),
    ("toans", "toán"), ("hoaz", "hoa"),
])
def test_telex_syllables(typed: str, expected: str) -> None:
    assert from_telex(typed) == expected


@pytest.mark.parametrize("typed", [
    "process", "css", "address", "window", "html", "json", "python", "sql", "for", "www",
    "new", "iphone", "covid", "19", "", "khởi", "stress", "class", "pass", "mass", "xyzzy",
    "hocf",  # huyền on a stop final is not Vietnamese
])
def test_not_telex(typed: str) -> None:
    assert from_telex(typed) is None


@pytest.mark.parametrize("typed, expected", [
    ("vie6t5", "việt"), ("d9a2", "đà"), ("nguo7i2", "người"), ("thu7o7ng", "thương"),
    ("thuong7", "thương"), ("hoa2", "hòa"), ("a8n", "ăn"), ("khoi3", "khỏi"),
    ("kho7i3", "khởi"), ("nghie6p5", "nghiệp"), ("D9a2", "Đà"), ("na8ng4", "nẵng"), ("nam", "nam"),
])
def test_vni_syllables(typed: str, expected: str) -> None:
    assert from_vni(typed) == expected


@pytest.mark.parametrize("typed", ["19", "covid19", "h5", "mp3", "a1b2", "2020", "hoc2", "d9d9a"])
def test_not_vni(typed: str) -> None:
    assert from_vni(typed) is None


def test_convert_text_whole_queries() -> None:
    assert convert_text("khowir nghieepj") == "khởi nghiệp"
    assert convert_text("Ddaf Nawngx") == "Đà Nẵng"
    assert convert_text("vieejt nam") == "việt nam"
    assert convert_text("vie6t5 nam") == "việt nam"
    assert convert_text("css process") is None


def test_convert_picks_vni_for_digits() -> None:
    assert convert("vie6t5") == "việt"
    assert convert("vieejt") == "việt"
    assert convert("mp3") is None


def test_canonical_tone_placement() -> None:
    # The tone sits where vnsearch.lang.text.canonical puts it, whatever key order was typed.
    assert from_telex("hoaf") == "hòa" and from_telex("hofa") == "hòa"
    assert from_telex("khoer") == "khỏe"
    assert tone_of("nghiệp") == 5 and tone_of("nam") == 0
