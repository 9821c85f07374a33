"""Reading news as it really arrives: date forms, other sources' keys, .ndjson/.json/stdin, RSS and Atom, walks.

Each form has a record that should fail next to good ones: the warning names
the file and line (or feed item), and the good records around it are kept.
"""

from __future__ import annotations

import datetime
import io
import json
import socket
from pathlib import Path

import pytest

from vnsearch.ingest.articles import Article, LoadOptions, LoadWarning, load_path, load_paths
from vnsearch.ingest.dates import DateError, order_within_days, parse_when, zone
from vnsearch.ingest.feeds import html_text, link_id
from vnsearch.ingest.fields import FieldMap, parse_map
from vnsearch.ingest.walking import walk

DATA = Path(__file__).parent / "data"
RSS = DATA / "vnexpress.rss"
ATOM = DATA / "baothu.atom"
FORMS = "(expected ISO 8601 such as 2021-04-26T08:33:41+07:00, RFC 2822, dd/mm/yyyy [HH:MM] or epoch seconds)"


def load(path, options: LoadOptions | None = None) -> tuple[list[Article], list[LoadWarning]]:
    warnings: list[LoadWarning] = []
    return list(load_path(path, warnings.append, options)), warnings


def write_lines(path: Path, records: list) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n"
                            for r in records), encoding="utf-8")
    return path


# -- dates ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("value, day, time", [
    ("2021-04-26", "2021-04-26", ""),
    ("2021-04-26T08:33:41+07:00", "2021-04-26", "2021-04-26T08:33:41+07:00"),
    ("2021-04-26T08:33:41.123456+07:00", "2021-04-26", "2021-04-26T08:33:41+07:00"),
    ("2021-04-25T20:00:00Z", "2021-04-26", "2021-04-26T03:00:00+07:00"),  # UTC evening: next day in Vietnam
    ("2021-04-26 08:33", "2021-04-26", "2021-04-26T08:33:00+07:00"),  # naive: read as Vietnam time
    ("Mon, 26 Apr 2021 08:33:41 +0700", "2021-04-26", "2021-04-26T08:33:41+07:00"),
    ("Sun, 25 Apr 2021 22:05:00 GMT", "2021-04-26", "2021-04-26T05:05:00+07:00"),
    ("26/04/2021", "2021-04-26", ""),
    ("6/4/2021", "2021-04-06", ""),
    ("26/04/2021 08:33", "2021-04-26", "2021-04-26T08:33:00+07:00"),
    ("26/04/2021 08:33:41", "2021-04-26", "2021-04-26T08:33:41+07:00"),
    ("1619400821", "2021-04-26", "2021-04-26T08:33:41+07:00"),
    (1619400821, "2021-04-26", "2021-04-26T08:33:41+07:00"),
    (1619400821000, "2021-04-26", "2021-04-26T08:33:41+07:00"),  # milliseconds
])
def test_date_forms(value, day, time):
    assert parse_when(value) == (parse_when(value).__class__(day, time))


@pytest.mark.parametrize("value", ["2026-13-45", "2021-02-29", "31/02/2021", "26/04/21", "hôm qua", "20210426",
                                   20210426, -5, True, "2021-04-26T25:00", "Mon, 32 Apr 2021 08:00:00 +0700", ""])
def test_bad_dates_raise(value):
    with pytest.raises(DateError):
        parse_when(value)


def test_time_zone_option_reads_naive_times_and_files_days_there():
    utc = zone("UTC")
    assert parse_when("2021-04-26 23:30", utc) == parse_when("2021-04-26T23:30:00+00:00", utc)
    assert parse_when("2021-04-26T23:30:00+00:00", utc).day == "2021-04-26"
    assert parse_when("2021-04-26T23:30:00+00:00").day == "2021-04-27"  # the default zone is UTC+7
    with pytest.raises(DateError, match="unknown time zone 'Mars/Base'"):
        LoadOptions(tz="Mars/Base")


def test_every_date_form_in_a_file_with_a_bad_one_between(tmp_path):
    path = write_lines(tmp_path / "dates.jsonl", [
        {"id": "iso", "title": "Một", "date": "2021-04-26T08:33:41+07:00"},
        {"id": "rfc", "title": "Hai", "date": "Mon, 26 Apr 2021 09:00:00 +0700"},
        {"id": "bad", "title": "Ba", "date": "thứ hai"},
        {"id": "dmy", "title": "Bốn", "date": "26/04/2021 10:15"},
        {"id": "epoch", "title": "Năm", "date": 1619400821},
        {"id": "day", "title": "Sáu", "date": "2021-04-25"},
    ])
    articles, warnings = load(path)
    assert [a.id for a in articles] == ["iso", "rfc", "bad", "dmy", "epoch", "day"]
    assert warnings == [LoadWarning(str(path), 3, f"invalid date 'thứ hai' {FORMS}; date dropped")]
    assert [(a.date, a.time) for a in articles] == [
        ("2021-04-26", "2021-04-26T08:33:41+07:00"), ("2021-04-26", "2021-04-26T09:00:00+07:00"), ("", ""),
        ("2021-04-26", "2021-04-26T10:15:00+07:00"), ("2021-04-26", "2021-04-26T08:33:41+07:00"),
        ("2021-04-25", ""),
    ]
    articles, _ = load(path, LoadOptions(tz="UTC"))
    assert articles[3].time == "2021-04-26T10:15:00+00:00" and articles[0].time == "2021-04-26T01:33:41+00:00"


def test_order_within_days_uses_the_time_and_keeps_days_in_place():
    items = [("2021-04-26", "2021-04-26T08:00:00+07:00"), ("2021-04-26", ""),
             ("2021-04-26", "2021-04-26T09:00:00+07:00"),
             ("2021-04-25", "2021-04-25T01:00:00+07:00"), ("", "")]
    newest = order_within_days(items, True, lambda x: x[0], lambda x: x[1])
    assert newest == [items[2], items[0], items[1], items[3], items[4]]
    oldest = order_within_days(items, False, lambda x: x[0], lambda x: x[1])
    assert oldest == [items[0], items[2], items[1], items[3], items[4]]


# -- other sources' keys --------------------------------------------------------------------------

@pytest.mark.parametrize("alias, field, value, expect", [
    ("published", "date", "2021-04-26T08:00:00+07:00", "2021-04-26"),
    ("pubDate", "date", "Mon, 26 Apr 2021 08:00:00 +0700", "2021-04-26"),
    ("summary", "lead", "Tóm tắt.", "Tóm tắt."),
    ("description", "lead", "Mô tả.", "Mô tả."),
    ("lead", "lead", "Mở đầu.", "Mở đầu."),
    ("content", "body", "Nội dung.", "Nội dung."),
    ("link", "url", "https://a.vn/x", "https://a.vn/x"),
    ("guid", "id", "g-1", "g-1"),
    ("category", "category", "Thể thao", "Thể thao"),
    ("tags", "category", ["Thể thao", "Bóng đá"], "Thể thao, Bóng đá"),
    ("author", "credit", "Lê Hoa", "Lê Hoa"),
])
def test_common_aliases_are_read(tmp_path, alias, field, value, expect):
    record = {"id": "a1", "title": "Tiêu đề", alias: value}
    if alias == "guid":
        del record["id"]
    path = write_lines(tmp_path / "a.jsonl", [{"id": "bad", "tags": 3}, record])
    (article,), warnings = load(path)
    assert getattr(article, field) == expect
    assert warnings == [LoadWarning(str(path), 1, "record has no text (title, sapo and body are all empty); "
                                                 "record skipped")]


def test_own_name_wins_over_an_alias_and_a_bad_alias_value_is_dropped_with_a_warning(tmp_path):
    path = write_lines(tmp_path / "a.jsonl", [
        {"id": "a", "title": "x", "sapo": "riêng", "summary": "bí danh", "published": {"y": 1}},
    ])
    (article,), warnings = load(path)
    assert article.lead == "riêng" and article.date == ""
    assert warnings == [LoadWarning(str(path), 1, "key 'published' (read as date) is object, not a string; ignored")]


def test_unknown_keys_reported_once_per_file_with_the_first_line(tmp_path):
    path = write_lines(tmp_path / "a.jsonl", [
        {"id": "a", "title": "Một", "views": 10},
        {"id": "b", "title": "Hai", "views": 11, "likes": 3},
        {"id": "c", "views": 12},  # no text: skipped, its keys not counted
        {"id": "d", "title": "Bốn", "views": 13, "likes": 4},
    ])
    articles, warnings = load(path)
    assert [a.id for a in articles] == ["a", "b", "d"]
    hint = "ignored in this file; map with --map KEY=FIELD (or KEY= to ignore)"
    assert [str(w) for w in warnings] == [
        f"{path}:1: unknown key(s) 'views' {hint}",
        f"{path}:2: unknown key(s) 'likes' {hint}",
        f"{path}:3: record has no text (title, sapo and body are all empty); record skipped",
    ]
    other = write_lines(tmp_path / "b.jsonl", [{"id": "e", "title": "Năm", "views": 1}])
    _, warnings = load(other)
    assert len(warnings) == 1  # reported again for another file


def test_a_map_renames_and_ignores_keys(tmp_path):
    path = write_lines(tmp_path / "crawl.jsonl", [
        {"article_id": "x1", "headline_vi": "Tin nóng", "tom_tat": "Mở đầu.", "ngay": "26/04/2021 07:00", "views": 5},
        {"article_id": "x2", "headline_vi": "Tin hai", "ngay": "hôm nay"},
    ])
    options = LoadOptions(FieldMap(parse_map(["article_id=id", "headline_vi=title", "tom_tat=lead", "ngay=date",
                                              "views="])))
    articles, warnings = load(path, options)
    assert [(a.id, a.title, a.lead, a.time) for a in articles] == [
        ("x1", "Tin nóng", "Mở đầu.", "2021-04-26T07:00:00+07:00"), ("x2", "Tin hai", "", "")]
    assert [str(w) for w in warnings] == [f"{path}:2: invalid date 'hôm nay' {FORMS}; date dropped"]


@pytest.mark.parametrize("pair, message", [
    ("published", "expected KEY=FIELD"), ("=date", "expected KEY=FIELD"), ("x=headline", "'headline' is not a field"),
])
def test_bad_maps(pair, message):
    with pytest.raises(ValueError, match=message):
        parse_map([pair])


# -- .ndjson, .json, stdin ------------------------------------------------------------------------

def test_ndjson_file(tmp_path):
    path = write_lines(tmp_path / "a.ndjson", [{"id": "1", "title": "Một"}, "{oops", {"id": "3", "title": "Ba"}])
    articles, warnings = load(path)
    assert [a.id for a in articles] == ["1", "3"]
    assert [str(w) for w in warnings] == [f"{path}:2: invalid JSON: Expecting property name enclosed in double "
                                          f"quotes (column 2)"]


def test_json_array_warns_with_each_records_line(tmp_path):
    path = tmp_path / "a.json"
    path.write_text('[\n  {"id": "1", "title": "Một"},\n  {"id": "2"},\n  {"id": "3",\n   "title": "Ba",'
                    '\n   "date": "xx"}\n]\n', encoding="utf-8")
    articles, warnings = load(path)
    assert [a.id for a in articles] == ["1", "3"]
    assert [str(w) for w in warnings] == [
        f"{path}:3: record has no text (title, sapo and body are all empty); record skipped",
        f"{path}:4: invalid date 'xx' {FORMS}; date dropped",
    ]


def test_json_single_object_and_broken_array(tmp_path):
    one = tmp_path / "one.json"
    one.write_text('{"id": "o", "title": "Một bài"}', encoding="utf-8")
    assert [a.id for a in load(one)[0]] == ["o"]
    broken = tmp_path / "broken.json"
    broken.write_text('[{"id": "1", "title": "Một"},\n {"id": "2", "title": "Hai"},\n {"id": "3", "ti',
                      encoding="utf-8")
    articles, warnings = load(broken)
    assert [a.id for a in articles] == ["1", "2"]  # what came before the damage is kept
    assert [str(w) for w in warnings] == [
        f"{broken}:3: invalid JSON: Unterminated string starting at (column 14); rest of file skipped"]


def test_stdin_json_lines_and_array(monkeypatch):
    lines = b'{"id": "s1", "title": "M\xe1\xbb\x99t"}\nnot json\n{"id": "s2", "title": "Hai"}\n'
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BufferedReader(io.BytesIO(lines))))
    articles, warnings = load("-")
    assert [a.id for a in articles] == ["s1", "s2"] and articles[0].title == "Một"
    assert [str(w) for w in warnings] == ["<stdin>:2: invalid JSON: Expecting value (column 1)"]
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BufferedReader(io.BytesIO(b' [{"id": "a", "body": "x"}]'))))
    assert [a.id for a in load("-")[0]] == ["a"]


# -- RSS and Atom ---------------------------------------------------------------------------------

def test_rss_items(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("a feed file must be read without the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    articles, warnings = load(RSS)
    assert [a.title for a in articles] == ["Bão số 5 đổ bộ vào Quảng Ngãi", "Giá xăng giảm lần thứ ba liên tiếp",
                                           "Một bài có ngày hỏng", "Học sinh Hà Nội đi học trở lại"]
    storm = articles[0]
    assert storm.id == link_id("https://baothu.example.vn/thoi-su/bao-so-5-do-bo-quang-ngai.html")
    assert storm.url == "https://baothu.example.vn/thoi-su/bao-so-5-do-bo-quang-ngai.html"
    assert storm.body == ("Chiều nay, bão số 5 đổ bộ vào Quảng Ngãi với sức gió cấp 12.\n"
                          "Hàng nghìn hộ dân đã được sơ tán đến nơi an toàn & lực lượng cứu hộ túc trực.")
    assert (storm.source, storm.category, storm.credit) == ("Tin mới - Báo Thử Nghiệm", "Thời sự", "Nguyễn Văn An")
    assert storm.time == "2021-04-26T08:33:41+07:00"
    assert articles[1].time == "2021-04-26T08:10:00+07:00"  # GMT, in Vietnam time
    assert articles[3].date == "2021-04-26"  # 22:05 UTC on the 25th
    assert [str(w) for w in warnings] == [
        f"{RSS}: item 3: invalid date 'thứ hai tuần trước' {FORMS}; date dropped",
        f"{RSS}: item 4: record has no id; record skipped",
    ]


def test_atom_entries_and_duplicates_across_feeds():
    articles, warnings = load(ATOM)
    assert len(articles) == 4
    satellite = articles[1]
    assert satellite.time == "2021-04-26T09:15:00+07:00" and satellite.category == "Khoa học"
    assert satellite.body.startswith("Vệ tinh nặng 50 kg") and "\nĐây là vệ tinh thứ hai" in satellite.body
    assert articles[3].id == "tag:baothu.example.vn,2021:rong"  # no link: the entry's id
    assert [str(w) for w in warnings] == [f"{ATOM}: item 4: invalid date '2021-13-45T99:00:00+07:00' {FORMS}; "
                                          f"date dropped"]
    both = list(load_paths([RSS, ATOM], lambda w: None))
    ids = [a.id for a in both]
    assert len(ids) == len(set(ids)) == 4 + 4 - 1  # the storm story is in both feeds: read once


def test_not_a_feed(tmp_path):
    path = tmp_path / "sitemap.xml"
    path.write_text("<urlset><url><loc>https://a.vn/</loc></url></urlset>", encoding="utf-8")
    articles, warnings = load(path)
    assert articles == [] and len(warnings) == 1
    assert warnings[0].message.startswith("not an RSS or Atom feed, or one with no items")


def test_html_text_and_link_ids():
    assert html_text("<p>Một &amp; hai</p><script>x()</script><p>ba <b>bốn</b></p>") == "Một & hai\nba bốn"
    assert link_id("https://www.A.vn/x#c") == link_id("https://a.vn/x") != link_id("https://a.vn/y")


# -- walking a directory --------------------------------------------------------------------------

def test_walk_skips_hidden_and_build_folders_and_counts(tmp_path):
    good = {"id": "g", "title": "Tin"}
    for folder in (".git", "__pycache__", "vnsearch.egg-info", "node_modules", "build", "dist", ".hidden"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "x.txt").write_text("Không phải bài.", encoding="utf-8")
    (tmp_path / "news").mkdir()
    write_lines(tmp_path / "news" / "a.jsonl", [good])
    write_lines(tmp_path / "news" / "b.ndjson", [{"id": "h", "title": "Tin"}])
    (tmp_path / "news" / "c.txt").write_text("Bài c.", encoding="utf-8")
    (tmp_path / "README.md").write_text("# đọc tôi", encoding="utf-8")
    (tmp_path / ".DS_Store").write_bytes(b"\x00")
    result = walk(tmp_path)
    assert [p.name for p in result.files] == ["a.jsonl", "b.ndjson", "c.txt"]
    assert result.summary("in") == ("in: read 3 file(s) (1 .jsonl, 1 .ndjson, 1 .txt); skipped 9 "
                                    "(7 hidden or build folder, 1 .md, 1 hidden file)")
    articles, warnings = load(tmp_path)
    assert [a.id for a in articles] == ["g", "h", "c"] and warnings == []


def test_a_hidden_directory_given_itself_is_read(tmp_path):
    root = tmp_path / ".data"
    root.mkdir()
    (root / "a.txt").write_text("Bài a.", encoding="utf-8")
    assert [a.id for a in load(root)[0]] == ["a"]


def test_revalidated_keeps_a_time_in_its_own_zone():
    a = Article.from_dict({"id": "x", "title": "t", "date": "2021-04-26 23:30"}, options=LoadOptions(tz="UTC"))
    again = a.revalidated()
    assert (again.date, again.time) == ("2021-04-26", "2021-04-26T23:30:00+00:00")
    assert datetime.datetime.fromisoformat(again.time).utcoffset() == datetime.timedelta(0)
