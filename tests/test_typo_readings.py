"""Which reading of a slip wins, and how it ranks: issue 16's kw-typo misses after the first rounds.

On tiny indexes built here: a correction must keep the marks the user typed
("căh" is "căn", not "cha"); a correction spelt with diacritics counts where its
article spells it so ("mối", not the "mới" folded alike); a correction that folds
like another word of the query gets nothing from the (folded) headlines; a lone
consonant's readings make up the query's coverage (not its totals), for one
letter or two ("l", "mc").
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from vnsearch import SearchEngine
from vnsearch.ingest.articles import Article


def _engine(tmp_path: Path, articles: list[Article]) -> SearchEngine:
    eng = SearchEngine(tmp_path / "ix")
    eng.add_articles(articles, jobs=1)
    return eng


MARKS = [
    *(Article(id=f"cha{i}", title=f"Chuyện gia đình số {i}", body="Người cha sống rất nghèo, nuôi con ăn học.")
      for i in range(3)),
    Article(id="can", title="Nhà ở xã hội giá rẻ", body="Một căn hộ cho người nghèo ở thành phố."),
    Article(id="x", title="Tin thời tiết", body="Trời nắng nóng."),
]


def test_a_correction_keeps_the_marks_typed(tmp_path: Path) -> None:
    # "căh": "cha" (two letters swapped) goes with "nghèo" in three articles, "căn" (h next to n) in one;
    # but the user typed "ă", and a slip does not take a mark off a letter it leaves alone.
    with _engine(tmp_path, MARKS) as eng:
        got = eng.search("căh nghèo")
        assert got.corrections["căh"][0] == "căn"
        assert [h.id for h in got][:1] == ["can"]


SPELT = [
    Article(id="moi", title="Ông Trump và những nỗi lo có thực",
            body="Ông Trump và những mối lo có thực, từ kinh tế đến đối ngoại, trong nhiệm kỳ đầu tiên."),
    *(Article(id=f"new{i}", title=f"Trump ký sắc lệnh mới số {i}",
              body="Trump ký sắc lệnh mới. Lệnh mới, quy định mới, luật mới của Trump.") for i in range(3)),
    Article(id="x", title="Tin thời tiết", body="Trời nắng nóng."),
]


def test_a_correction_spelt_with_diacritics_counts_where_its_article_spells_it(tmp_path: Path) -> None:
    # "mốj" is "mối" (j next to i). Folded, "mối" is "moi", which every "mới" of the Trump articles is,
    # headlines too: only the article spelling "mối" holds the correction (its headline does not).
    with _engine(tmp_path, SPELT) as eng:
        got = eng.search("trump mốj")
        assert got.corrections["mốj"][0] == "mối"
        assert [h.id for h in got][:1] == ["moi"]


FOLDED_ALIKE = [
    *(Article(id=f"an{i}", title=f"Vụ án ẩn khuất số {i}", body="Vụ án ẩn khuất chưa có lời giải.")
      for i in range(3)),
    Article(id="la", title="Ẩn ý lá thư", body="Ẩn ý trong lá thư gửi bạn."),
    Article(id="x", title="Tin thời tiết", body="Trời nắng nóng."),
]


def test_a_correction_folding_like_another_word_gets_nothing_from_headlines(tmp_path: Path) -> None:
    # "ál" is "lá" (swapped) or "án" (l for n). Every headline holding "ẩn" holds "an" folded, so the
    # folded titles would say "án" stands with "ẩn" in three headlines: they cannot tell.
    with _engine(tmp_path, FOLDED_ALIKE) as eng:
        got = eng.search("ẩn ál")
        assert got.corrections["ál"][0] == "lá"
        assert [h.id for h in got][:1] == ["la"]


FRAGMENTS = [
    Article(id="le", title="Sinh viên khó tìm việc", body="Trường khó đảm bảo tỷ lệ sinh viên có việc làm."),
    *(Article(id=f"dam{i}", title=f"Đảm bảo an toàn trường học số {i}",
              body="Nhà trường đảm bảo an toàn, đảm bảo chất lượng, đảm bảo học phí, đảm bảo chỗ ở.")
      for i in range(3)),
    Article(id="l", title="Cỡ áo L", body="Áo cỡ L và XL, đảm bảo vừa người."),
    Article(id="muc", title="Chuyến đi xa", body="Mục tiêu của đoàn: đích đến là học hỏi."),
    *(Article(id=f"dich{i}", title=f"Về đích số {i}", body="Vận động viên về đích, về đích sớm, về đích đầu tiên.")
      for i in range(3)),
    Article(id="mc", title="MC dẫn chương trình", body="MC dẫn chương trình đến đích cuối."),
    Article(id="x", title="Tin thời tiết", body="Trời nắng nóng."),
]


@pytest.fixture(scope="module")
def fragments(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchEngine]:
    eng = _engine(Path(tmp_path_factory.mktemp("fragments")), FRAGMENTS)
    yield eng
    eng.close()


def test_a_lone_consonants_reading_makes_up_the_querys_coverage(fragments: SearchEngine) -> None:
    # "l" is in one article (size L), with "đảm"; "lệ" is read for it. The article holding "đảm" and "lệ"
    # holds the query for the score's coverage, above those holding "đảm" alone, however often.
    got = fragments.search("đảm l")
    ids = [h.id for h in got]
    assert "l" in ids[:2]  # the letter as typed
    assert ids.index("le") < min(ids.index(f"dam{i}") for i in range(3))
    # Totals stay as typed: the readings do not count as matches.
    assert got.total == fragments.search("đảm l", typos=False).total == 1


def test_two_letters_without_a_vowel_are_read_like_a_lone_consonant(fragments: SearchEngine) -> None:
    # "mc" of "mục": the "MC" article holds both words as typed; the one holding "mục" and "đích" is found
    # next to it, above the articles holding "đích" alone.
    got = fragments.search("mc đích")
    ids = [h.id for h in got]
    assert "mc" in ids[:2]
    assert ids.index("muc") < min(ids.index(f"dich{i}") for i in range(3))
    assert got.total == 1


HILLS = [
    Article(id="bo", title="Bò chết trên đồi", body="Đàn bò chết trên đồi cỏ."),
    *(Article(id=f"life{i}", title=f"Bé và cuộc đời số {i}", body="Bé kể chuyện cuộc đời mình.") for i in range(3)),
    *(Article(id=f"tea{i}", title=f"Tin vắn số {i}", body="Bé đi chơi đồi chè cùng mẹ.") for i in range(3)),
    Article(id="x", title="Tin thời tiết", body="Trời nắng nóng."),
]


def test_the_rest_of_the_query_stands_in_a_headline_only_where_its_article_spells_it(tmp_path: Path) -> None:
    # "b đồi": folded, "đồi" is "doi", which every "cuộc đời" headline holds with "bé"; only the "bò" article's
    # headline holds "đồi" as typed. "bé" goes with "đồi" in three articles, but in no headline.
    from vnsearch.search.query import parse_query
    from vnsearch.search.understand import understand

    with _engine(tmp_path, HILLS) as eng:
        assert [h.id for h in eng.search("b đồi")][:1] == ["bo"]
        snapshot = eng._current()[0]
        try:
            u = understand(parse_query("b đồi"), snapshot)
        finally:
            snapshot.release()
    got = {a.replacement: a for a in u.alternatives["b"]}
    assert list(got)[:1] == ["bo"]  # folded: "b" was typed without marks
    assert got["bo"].evidence > got["be"].evidence


STANDS = [
    Article(id="moi", title="Ông Trump và những mối lo", body="Ông Trump và những mối lo về quy mô nội các."),
    Article(id="quymo", title="Quy mô nội các ông Trump", body="Quy mô nội các ông Trump lớn, quy mô chưa từng có."),
    Article(id="cau", title="Cây cầu mới", body="Mố cầu được gia cố."),
    Article(id="x", title="Tin thời tiết", body="Trời nắng nóng."),
]


def test_a_typed_syllable_that_goes_with_nothing_stands_only_where_spelt(tmp_path: Path) -> None:
    # "mố" is in the index, never with "trump": "mối" is read for it. The article holding "mối" holds "mô" too
    # ("quy mô"), which folds like "mố": that is no reason to score it as typed rather than as corrected.
    with _engine(tmp_path, STANDS) as eng:
        got = eng.search("trump mố")
        assert "mối" in got.corrections.get("mố", [])
        assert [h.id for h in got][:1] == ["moi"]
