"""Ranking signals tuned on bench/relevance.py, each pinned on a small real-looking case.

* A query typed with diacritics takes its unmarked syllables as written.
* A title holding every query word, and holding them in the order typed, is
  the strongest evidence of a known-item search.
* In a question, question words (gì, nào, ai…) say little about the answer.
* Typed without diacritics, a syllable is every spelling it could be, each
  with its own rarity.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from vnsearch import SearchEngine
from vnsearch.search.ranking import INTERROGATIVES, RankParams


def engine_with(tmp_path: Path, articles: list[dict]) -> SearchEngine:
    engine = SearchEngine(tmp_path / "ix")
    assert engine.index_articles(articles, jobs=1).added == len(articles)
    return engine


def ids(results) -> list[str]:
    return [h.id for h in results]


def test_an_accented_query_takes_its_unmarked_syllables_as_written(tmp_path):
    engine = engine_with(tmp_path, [
        {"id": "hoang", "title": "Mẹ hoang mang vì cô giáo dùng dép đánh con"},
        {"id": "hoàng", "title": "Vợ chồng Hoàng Bách đi dép lê dạo phố"},
    ])
    # "dép" is typed with its mark, so "hoang" means hoang, not Hoàng.
    assert ids(engine.search("dép hoang")) == ["hoang", "hoàng"]
    # Typed without any mark, both spellings are equally possible readings.
    assert set(ids(engine.search("dep hoang"))) == {"hoang", "hoàng"}
    engine.close()


def test_a_title_holding_every_query_word_ranks_first(tmp_path):
    engine = engine_with(tmp_path, [
        # The words many times in the body, only one of them in the title.
        {"id": "body", "title": "Mẹo hay giúp phụ huynh",
         "body": "Mẹo dạy trẻ hư: mẹo nhỏ, trẻ hư bớt hẳn. Trẻ hư cần mẹo. Mẹo hư."},
        {"id": "title", "title": "Trị trẻ hư cho mẹ: một mẹo hay",
         "body": "Nhiều phụ huynh lo lắng khi biết tin. " * 3},
    ])
    assert ids(engine.search("mẹo hư")) == ["title", "body"]
    # Without the title bonus the body's many occurrences would win.
    ranker = engine._current()[1]
    ranker.params = replace(RankParams(), title_all_weight=0.0)
    assert ids(engine.search("mẹo hư")) == ["body", "title"]
    engine.close()


def test_a_title_holding_the_words_in_the_order_typed_ranks_above_the_reverse(tmp_path):
    engine = engine_with(tmp_path, [
        {"id": "reverse", "title": "Ngôi làng treo xác chết trên vách đá"},
        {"id": "order", "title": "Chết trong tư thế treo cổ ở phòng tạm giữ"},
    ])
    assert ids(engine.search("chết treo")) == ["order", "reverse"]
    assert ids(engine.search("treo chết")) == ["reverse", "order"]
    engine.close()


def test_question_words_say_little_in_a_question(tmp_path):
    engine = engine_with(tmp_path, [
        # Holds the (here rare) question word "nào" but says nothing of Tesla's death.
        {"id": "noise", "body": "Nhà phát minh nào cũng nể Tesla."},
        {"id": "answer", "body": "Tesla qua đời năm 1943 tại New York."},
        {"id": "other", "body": "Năm nay trời mưa nhiều."},
    ])
    assert ids(engine.search("Tesla chết năm nào?"))[0] == "answer"
    # Counted as a full word, "nào" would pick the wrong article.
    engine._current()[1].params = replace(RankParams(), question_weight=1.0)
    assert ids(engine.search("Tesla chết năm nào?"))[0] == "noise"
    assert "nào" in INTERROGATIVES and "gì" in INTERROGATIVES
    engine.close()


def test_a_question_word_is_not_required_for_the_total(tmp_path):
    engine = engine_with(tmp_path, [
        {"id": "a", "body": "Tesla chết năm 1943 tại New York."},
    ])
    results = engine.search("Tesla chết năm nào?")
    assert results.total == 1 and ids(results) == ["a"]
    # A keyword query needs every word (as typed: with typos on, "nào" has corrections in the article).
    assert engine.search("Tesla chết năm nào", typos=False).total == 0
    engine.close()


def test_an_accentless_syllable_prefers_the_rarer_spelling_a_little(tmp_path):
    common = [{"id": f"c{i}", "body": f"Bài {i}: thái độ phục vụ tốt."} for i in range(6)]
    engine = engine_with(tmp_path, common + [
        {"id": "rare", "body": "Những biện pháp đơn giản để nhanh có thai, rất đơn giản."},
    ])
    # "thai" (rare here) says more than "thái" (in every other article),
    # though the longer article would lose on length alone.
    assert ids(engine.search("thai", limit=20))[0] == "rare"
    engine._current()[1].params = replace(RankParams(), forms_weight=0.0)
    assert ids(engine.search("thai", limit=20))[-1] == "rare"
    # A syllable typed with its marks still prefers that spelling.
    engine._current()[1].params = RankParams()
    assert ids(engine.search("thái", limit=20))[-1] == "rare"
    engine.close()


def test_the_defaults_carry_every_signal():
    p = RankParams()
    assert p.unmarked_exact and p.title_all_weight > 0 and p.title_order_weight > 0
    assert 0 < p.question_weight < 1 and 0 < p.question_proximity < 1 and p.forms_weight > 0
    assert p.title_info_power > 0 and p.title_info_depth > 0


def test_of_two_titles_holding_the_words_the_one_they_sum_up_ranks_first(tmp_path):
    filler = [{"id": f"f{i}", "title": f"Tin số {i}", "body": "Mưa kéo dài ở miền Bắc tới cuối tuần này nữa."}
              for i in range(8)]
    engine = engine_with(tmp_path, filler + [
        # Shorter, but full of other rare words the searcher did not type.
        {"id": "rare", "title": "Rét đậm ở Sa Pa, băng tuyết phủ Fansipan", "body": "Du khách lên núi."},
        {"id": "plain", "title": "Rét đậm kéo dài ở miền Bắc tới cuối tuần này", "body": "Du khách lên núi."},
    ])
    assert ids(engine.search("rét đậm", limit=2)) == ["plain", "rare"]
    engine._current()[1].params = replace(RankParams(), title_info_power=0.0)
    assert ids(engine.search("rét đậm", limit=2)) == ["rare", "plain"]  # length alone
    engine.close()
