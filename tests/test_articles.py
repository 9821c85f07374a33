"""Tests for vnsearch.ingest.articles: real seed files, real corpus slices, and every bad-input case."""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vnsearch.ingest.articles import (
    Article,
    ArticleError,
    LoadWarning,
    derive_title,
    iter_files,
    load_path,
    load_paths,
    parse_text_article,
)

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
SHARED = Path(__file__).resolve().parents[2] / "shared"
CORPUS = SHARED / "corpus"


def load(path) -> tuple[list[Article], list[LoadWarning]]:
    warnings: list[LoadWarning] = []
    return list(load_path(path, warnings.append)), warnings


def write_jsonl(path: Path, lines: list[str | bytes | dict]) -> Path:
    out = b""
    for line in lines:
        if isinstance(line, dict):
            line = json.dumps(line, ensure_ascii=False)
        out += (line if isinstance(line, bytes) else line.encode("utf-8")) + b"\n"
    path.write_bytes(out)
    return path


def good(i: int) -> dict:
    return {"id": f"a{i}", "title": f"Tin số {i}", "body": f"Nội dung bài {i}."}


def ids(articles: list[Article]) -> list[str]:
    return [a.id for a in articles]


# --- the seed .txt articles ------------------------------------------------


def test_seed_000_date_lead_credit():
    path = SEEDS / "000_025c0ae66d126e11.txt"
    articles, warnings = load(path)
    assert warnings == []
    (a,) = articles
    raw_lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert a.id == "000_025c0ae66d126e11"
    assert a.date == "2026-03-07"
    assert "2026-03-07" not in a.lead and not a.lead.startswith("date")
    assert a.lead == raw_lines[0].removeprefix("date 2026-03-07").strip()
    assert a.lead.startswith("Động thái trên diễn ra ngay sau khi Bắc Kinh")
    assert a.body == "\n".join(raw_lines[1:])
    assert a.body.endswith("\nTheo Reuters")  # the credit line stays in the text
    assert a.credit == "Reuters"
    assert a.headings == []
    assert a.origin == str(path)


def test_seed_002_headings_and_no_credit():
    path = SEEDS / "002_20d0de901ad3bd8e.txt"
    a = parse_text_article(path.read_text(encoding="utf-8"), "002_20d0de901ad3bd8e")
    assert a.id == "002_20d0de901ad3bd8e"
    assert a.date == ""
    assert a.lead.startswith('Từng được biết đến là "nơi khai sinh" Alibaba')
    assert a.lead.endswith("chiến lược AI của Trung Quốc…")
    assert a.body.startswith("Theo Wall Street Journal, vị thế của Hàng Châu")
    # "Theo Wall Street Journal, ..." opens a paragraph but is not a final credit line.
    assert a.credit == ""
    assert a.headings == [
        "HỆ SINH THÁI ĐỔI MỚI VÀ ĐỘNG LỰC TỪ NUÔI DƯỠNG NHÂN TÀI",
        "TRUNG QUỐC: CHIẾN LƯỢC QUỐC GIA - SỨC BẬT CHO ĐỊA PHƯƠNG",
        "HÀNG CHÂU CÓ THỂ ĐỦ SỨC CẠNH TRANH VỚI CÁC TRUNG TÂM CÔNG NGHỆ QUỐC TẾ",
    ]
    assert all(h in a.body.split("\n") for h in a.headings)


@pytest.mark.parametrize("name", ["000_025c0ae66d126e11.txt", "002_20d0de901ad3bd8e.txt"])
def test_seed_derived_title_is_a_prefix_of_the_first_sentence(name):
    (a,), _ = load(SEEDS / name)
    assert a.title_derived is True
    assert 0 < len(a.title) <= 120
    assert a.title.endswith("…")  # both first sentences are longer than 120 characters
    shown = a.title.removesuffix("…")
    assert a.lead.startswith(shown)
    assert a.lead[len(shown)] == " "  # cut on a word boundary
    first_sentence = a.lead.split(". ")[0]
    assert first_sentence.startswith(shown)


def test_seed_directory():
    articles, warnings = load(SEEDS)
    assert warnings == []
    assert ids(articles) == ["000_025c0ae66d126e11", "002_20d0de901ad3bd8e"]


# --- slices of the real corpus ---------------------------------------------


def corpus_slice(name: str, n: int = 20) -> list[str]:
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} is not available")
    with gzip.open(CORPUS / name, "rt", encoding="utf-8") as fh:
        return [next(fh) for _ in range(n)]


@pytest.mark.parametrize("name", ["news-b.jsonl.gz", "news.jsonl.gz"])
@pytest.mark.parametrize("compress", [False, True])
def test_corpus_slice(tmp_path, name, compress):
    lines = corpus_slice(name)
    data = "".join(lines).encode("utf-8")
    if compress:
        path = tmp_path / "slice.jsonl.gz"
        path.write_bytes(gzip.compress(data))
    else:
        path = tmp_path / "slice.jsonl"
        path.write_bytes(data)
    articles, warnings = load(path)
    assert warnings == []
    records = [json.loads(line) for line in lines]
    assert ids(articles) == [r["id"] for r in records]
    for n, (a, r) in enumerate(zip(articles, records), 1):
        assert a.origin == f"{path}:{n}"
        assert (a.lead, a.body, a.date, a.source, a.url, a.category) == (
            r["sapo"], r["body"], r["date"], r["source"], r["url"], r["category"]
        )
        if r["title"]:
            assert (a.title, a.title_derived) == (r["title"], False)
        else:
            assert a.title_derived is True
            assert 0 < len(a.title) <= 120
            source_text = r["sapo"] or r["body"]
            assert source_text.startswith(a.title.removesuffix("…"))


def test_corpus_news_b_dates_and_derived_titles():
    articles = [Article.from_dict(json.loads(line)) for line in corpus_slice("news-b.jsonl.gz")]
    assert all(len(a.date) == 10 for a in articles)
    assert articles[0].title == "Vinamilk lọt Top 1.000 thương hiệu hàng đầu châu Á"


# --- format details ---------------------------------------------------------


def test_txt_single_newlines_crlf_bom_and_control_chars():
    text = ("\ufeff date 2026-01-02 Câu mở đầu. Câu hai.\r\nĐoạn\x07 một.\r\n\r\n"
            "  TIÊU ĐỀ MỤC  \rĐoạn\t hai.\r\n(Theo VnExpress)\r\n")
    a = parse_text_article(text, "x")
    assert a.date == "2026-01-02"
    assert a.lead == "Câu mở đầu. Câu hai."
    assert a.body == "Đoạn một.\nTIÊU ĐỀ MỤC\nĐoạn\t hai.\n(Theo VnExpress)"
    assert a.headings == ["TIÊU ĐỀ MỤC"]
    assert a.credit == "VnExpress"
    assert (a.title, a.title_derived) == ("Câu mở đầu", True)


def test_txt_date_line_alone():
    a = parse_text_article("date 2025-12-31\n\nĐoạn đầu.\n\nĐoạn sau.", "x")
    assert (a.date, a.lead, a.body) == ("2025-12-31", "Đoạn đầu.", "Đoạn sau.")


def test_txt_without_date_keeps_first_line():
    a = parse_text_article("Ngày 2/3, mưa lớn.\nTheo đó, nhiều tuyến đường ngập.", "x")
    assert (a.date, a.lead, a.credit) == ("", "Ngày 2/3, mưa lớn.", "")


def test_one_letter_and_mixed_case_lines_are_not_headings():
    a = parse_text_article("Mở đầu.\nA\nCOVID-19 lan rộng\nVIỆT NAM - 2026\nx", "x")
    assert a.headings == ["VIỆT NAM - 2026"]


def test_jsonl_credit_unknown_keys_nulls_and_blank_lines(tmp_path):
    record = {"id": " b1 ", "title": "", "sapo": None, "body": "Dòng một! Dòng hai.\nTheo Wall Street Journal",
              "tags": [1]}
    path = write_jsonl(tmp_path / "b.jsonl", ["", json.dumps(record), "   ", "\t"])
    (a,), warnings = load(path)
    # "tags" is read as the category; a list of numbers is not one, so it is left out, with a word.
    assert warnings == [LoadWarning(str(path), 2, "key 'tags' (read as category) is array, not a string; ignored")]
    assert (a.id, a.lead, a.credit, a.url) == ("b1", "", "Wall Street Journal", "")
    assert (a.title, a.title_derived) == ("Dòng một!", True)
    assert a.headings == []


def test_jsonl_bom_crlf_and_fields_kept_unnormalised(tmp_path):
    decomposed = "Tie\u0302\u0301ng Vie\u0323\u0302t"  # NFD: must reach the analyzer untouched
    path = tmp_path / "b.jsonl"
    path.write_bytes(
        b"\xef\xbb\xbf" + json.dumps({"id": "1", "title": decomposed, "body": "a\r\nb\u0000c"}).encode() + b"\r\n"
    )
    (a,), warnings = load(path)
    assert warnings == []
    assert (a.title, a.body) == (decomposed, "a\nbc")


def test_derive_title():
    assert derive_title("Giá vàng tăng. Người dân đổ xô mua.") == "Giá vàng tăng"
    assert derive_title("Vì sao giá vàng tăng? Chuyên gia giải thích.") == "Vì sao giá vàng tăng?"
    assert derive_title("Mưa lớn ở TP. HCM gây ngập. Nhiều tuyến đường tê liệt.") == "Mưa lớn ở TP. HCM gây ngập"
    assert derive_title("Chờ đợi… rồi thất vọng.") == "Chờ đợi…"
    assert derive_title("\n\nDòng đầu\nDòng hai") == "Dòng đầu"
    assert derive_title("") == ""
    long = " ".join(["nghìn"] * 40)
    title = derive_title(long)
    assert title.endswith("…") and len(title) <= 120 and long.startswith(title[:-1])
    assert title[:-1].split(" ")[-1] == "nghìn"
    assert derive_title("x" * 200, limit=10) == "x" * 9 + "…"
    assert derive_title("một hai, ba bốn", limit=10) == "một hai…"


def test_from_dict_and_to_dict():
    a = Article.from_dict({"id": "7", "sapo": "Mở đầu.", "body": "Thân.", "date": "2024-02-29"}, origin="f:3")
    assert a.to_dict() == {
        "id": "7", "title": "Mở đầu", "lead": "Mở đầu.", "body": "Thân.", "date": "2024-02-29",
        "source": "", "url": "", "category": "", "credit": "", "title_derived": True,
        "headings": [], "origin": "f:3", "time": "",
    }
    with pytest.raises(ArticleError, match="^record has no id$"):
        Article.from_dict({"title": "x"})


def test_load_warning_str():
    assert str(LoadWarning("a/b.jsonl", 4, "invalid JSON: x")) == "a/b.jsonl:4: invalid JSON: x"
    assert str(LoadWarning("a/b.txt", None, "empty file")) == "a/b.txt: empty file"


def test_directory_recursive_sorted_and_filtered(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "z.txt").write_text("Bài z.", encoding="utf-8")
    (tmp_path / "a.txt").write_text("Bài a.", encoding="utf-8")
    (tmp_path / "b" / "c.jsonl.gz").write_bytes(gzip.compress(json.dumps(good(1)).encode() + b"\n"))
    (tmp_path / "a-b.jsonl").write_text(json.dumps(good(2)) + "\n", encoding="utf-8")
    (tmp_path / "notes.md").write_text("# không phải bài", encoding="utf-8")
    (tmp_path / "data.json").write_text(json.dumps([good(4)]), encoding="utf-8")
    expected = [tmp_path / "a-b.jsonl", tmp_path / "a.txt", tmp_path / "b" / "c.jsonl.gz", tmp_path / "b" / "z.txt",
                tmp_path / "data.json"]
    assert list(iter_files(tmp_path)) == expected
    articles, warnings = load(tmp_path)
    assert warnings == []
    assert ids(articles) == ["a2", "a", "a1", "z", "a4"]
    assert ids(load_paths([tmp_path / "a.txt", tmp_path / "b"], lambda w: None)) == ["a", "a1", "z"]


# --- bad input: warn, skip the record, keep everything else ----------------


def test_missing_path(tmp_path):
    missing = tmp_path / "nope.jsonl"
    write_jsonl(tmp_path / "ok.jsonl", [good(1)])
    warnings: list[LoadWarning] = []
    articles = list(load_paths([missing, tmp_path / "ok.jsonl"], warnings.append))
    assert warnings == [LoadWarning(str(missing), None, "no such file or directory")]
    assert ids(articles) == ["a1"]


def test_unsupported_file_given_directly(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("id,title\n", encoding="utf-8")
    reason = "not a .txt, .json, .jsonl, .jsonl.gz, .ndjson, .ndjson.gz, .xml, .rss or .atom file; skipped"
    assert load(path) == ([], [LoadWarning(str(path), None, reason)])


def test_default_handler_writes_to_stderr(tmp_path, capsys):
    missing = tmp_path / "nope.txt"
    assert list(load_path(missing)) == []
    assert capsys.readouterr().err == f"warning: {missing}: no such file or directory\n"


def _deny(monkeypatch, method: str, denied: Path) -> None:
    """Simulate an unreadable file (chmod does not stop root, who may run the tests)."""
    original = getattr(Path, method)

    def guarded(self, *args, **kwargs):
        if self == denied:
            raise PermissionError(13, "Permission denied", str(self))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Path, method, guarded)


def test_unreadable_txt(tmp_path, monkeypatch):
    for name in ("a.txt", "b.txt", "c.txt"):
        (tmp_path / name).write_text(f"Bài {name}.", encoding="utf-8")
    _deny(monkeypatch, "read_bytes", tmp_path / "b.txt")
    articles, warnings = load(tmp_path)
    assert warnings == [LoadWarning(str(tmp_path / "b.txt"), None, "cannot read file: Permission denied")]
    assert ids(articles) == ["a", "c"]


def test_unreadable_jsonl(tmp_path, monkeypatch):
    write_jsonl(tmp_path / "a.jsonl", [good(1)])
    write_jsonl(tmp_path / "b.jsonl", [good(2)])
    write_jsonl(tmp_path / "c.jsonl", [good(3)])
    _deny(monkeypatch, "open", tmp_path / "b.jsonl")
    articles, warnings = load(tmp_path)
    assert warnings == [LoadWarning(str(tmp_path / "b.jsonl"), None, "cannot read file: Permission denied")]
    assert ids(articles) == ["a1", "a3"]


def test_invalid_utf8_txt_skips_the_file(tmp_path):
    (tmp_path / "a.txt").write_text("Bài a.", encoding="utf-8")
    (tmp_path / "b.txt").write_bytes("Dòng một.\nDòng hai ".encode() + b"\xff\xfe.\n")
    (tmp_path / "c.txt").write_bytes("Café Sài Gòn".encode("latin-1") + b"\n")
    (tmp_path / "d.txt").write_text("Bài d.", encoding="utf-8")
    articles, warnings = load(tmp_path)
    assert warnings == [
        LoadWarning(str(tmp_path / "b.txt"), 2, "not valid UTF-8 (byte 0xff); file skipped"),
        LoadWarning(str(tmp_path / "c.txt"), 1, "not valid UTF-8 (byte 0xe9); file skipped"),
    ]
    assert ids(articles) == ["a", "d"]


def test_invalid_utf8_jsonl_skips_only_the_line(tmp_path):
    latin1 = json.dumps({"id": "x", "body": "Việt"}, ensure_ascii=False).encode("utf-8").replace(b"\xe1", b"\xe1\x28")
    path = write_jsonl(tmp_path / "a.jsonl", [good(1), latin1, good(3)])
    articles, warnings = load(path)
    assert warnings == [LoadWarning(str(path), 2, "not valid UTF-8 (byte 0xe1); line skipped")]
    assert ids(articles) == ["a1", "a3"]
    assert str(warnings[0]) == f"{path}:2: not valid UTF-8 (byte 0xe1); line skipped"


def _gz_records(n: int) -> tuple[list[str], bytes]:
    rng = random.Random(1)  # incompressible-ish text so the stream spans many blocks
    records = [{"id": f"r{i}", "body": "".join(rng.choice("abcdefghiklmnopqrstuvxy ") for _ in range(300))}
               for i in range(n)]
    data = "".join(json.dumps(r) + "\n" for r in records).encode()
    return [r["id"] for r in records], gzip.compress(data)


def test_truncated_gzip_keeps_records_before_the_damage(tmp_path):
    all_ids, blob = _gz_records(400)
    path = tmp_path / "t.jsonl.gz"
    path.write_bytes(blob[: len(blob) // 2])
    write_jsonl(tmp_path / "u.jsonl", [good(1)])
    articles, warnings = load(tmp_path)
    kept = ids(articles)[:-1]
    assert ids(articles)[-1] == "a1"  # the next file is still read
    assert 0 < len(kept) < len(all_ids) and kept == all_ids[: len(kept)]
    assert warnings == [
        LoadWarning(
            str(path),
            len(kept) + 1,
            "corrupt or truncated gzip data (Compressed file ended before the end-of-stream marker was reached); "
            "rest of file skipped",
        )
    ]


def test_corrupt_gzip_keeps_records_before_the_damage(tmp_path):
    all_ids, blob = _gz_records(400)
    middle = len(blob) // 2
    path = tmp_path / "t.jsonl.gz"
    path.write_bytes(blob[:middle] + bytes(500) + blob[middle + 500 :])
    articles, warnings = load(path)
    # Damaged deflate data may decode to some garbage before zlib (or the CRC check)
    # notices, so only the records well before the damage are certain.
    assert ids(articles)[:100] == all_ids[:100]
    w = warnings[-1]
    assert (w.path, w.line > 100) == (str(path), True)
    assert w.message.startswith("corrupt or truncated gzip data (")
    assert w.message.endswith("); rest of file skipped")


def test_gzip_crc_error_keeps_every_record(tmp_path):
    all_ids, blob = _gz_records(50)
    damaged = bytearray(blob)
    damaged[-8] ^= 0xFF  # the CRC32 in the trailer
    path = tmp_path / "t.jsonl.gz"
    path.write_bytes(bytes(damaged))
    articles, warnings = load(path)
    assert ids(articles) == all_ids
    (w,) = warnings
    assert (w.path, w.line) == (str(path), 51)
    assert w.message.startswith("corrupt or truncated gzip data (CRC check failed ")


def test_not_a_gzip_file(tmp_path):
    path = write_jsonl(tmp_path / "plain.jsonl.gz", [good(1)])
    articles, warnings = load(path)
    assert articles == []
    assert warnings == [
        LoadWarning(str(path), 1, "corrupt or truncated gzip data (Not a gzipped file (b'{\"')); rest of file skipped")
    ]


def test_malformed_json(tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", [good(1), '{"id": "x", "body": "thiếu ngoặc"', good(3), "[[[" * 100_000])
    articles, warnings = load(path)
    assert [(w.line, w.message) for w in warnings[:1]] == [(2, "invalid JSON: Expecting ',' delimiter (column 34)")]
    assert [w.line for w in warnings] == [2, 4]
    assert warnings[1].message.startswith("invalid JSON: ")
    assert ids(articles) == ["a1", "a3"]


@pytest.mark.parametrize(
    "line, kind",
    [("[1, 2]", "array"), ('"một chuỗi"', "string"), ("42", "number"), ("null", "null"), ("true", "boolean")]
)
def test_json_value_not_an_object(tmp_path, line, kind):
    path = write_jsonl(tmp_path / "a.jsonl", [good(1), line, good(3)])
    articles, warnings = load(path)
    assert warnings == [LoadWarning(str(path), 2, f"expected a JSON object, got {kind}; record skipped")]
    assert ids(articles) == ["a1", "a3"]


@pytest.mark.parametrize("record", [{"title": "Không id"}, {"id": "", "title": "x"}, {"id": "  \t", "title": "x"},
                                    {"id": None, "body": "x"}])
def test_record_without_id(tmp_path, record):
    path = write_jsonl(tmp_path / "a.jsonl", [good(1), record, good(3)])
    articles, warnings = load(path)
    assert warnings == [LoadWarning(str(path), 2, "record has no id; record skipped")]
    assert ids(articles) == ["a1", "a3"]


@pytest.mark.parametrize("record", [{"id": "x"}, {"id": "x", "title": " ", "sapo": "", "body": "\n\n", "url": "http://a"}])
def test_record_without_text(tmp_path, record):
    path = write_jsonl(tmp_path / "a.jsonl", [good(1), record, good(3)])
    articles, warnings = load(path)
    assert warnings == [
        LoadWarning(str(path), 2, "record has no text (title, sapo and body are all empty); record skipped")
    ]
    assert ids(articles) == ["a1", "a3"]


@pytest.mark.parametrize(
    "record, message",
    [
        ({"id": "x", "body": ["đoạn 1", "đoạn 2"]}, "field 'body' must be a string, got array"),
        ({"id": "x", "title": {"vi": "Tin"}}, "field 'title' must be a string, got object"),
        ({"id": "x", "body": "b", "date": [2026, 3, 7]}, "field 'date' must be a string, got array"),
        ({"id": True, "body": "b"}, "field 'id' must be a string, got boolean"),
        ({"id": 1.5, "body": "b"}, "field 'id' must be a string, got number"),
    ],
)
def test_field_of_wrong_type(tmp_path, record, message):
    path = write_jsonl(tmp_path / "a.jsonl", [good(1), record, good(3)])
    articles, warnings = load(path)
    assert warnings == [LoadWarning(str(path), 2, f"{message}; record skipped")]
    assert ids(articles) == ["a1", "a3"]


def test_integer_id_is_converted_with_a_warning(tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", [good(1), {"id": 42, "body": "Nội dung."}, good(3)])
    articles, warnings = load(path)
    assert warnings == [LoadWarning(str(path), 2, "id is a number (42); converted to the string '42'")]
    assert ids(articles) == ["a1", "42", "a3"]


def test_integer_id_warning_not_given_for_a_skipped_record(tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", [{"id": 42}])
    assert load(path)[1] == [
        LoadWarning(str(path), 1, "record has no text (title, sapo and body are all empty); record skipped")
    ]


_EXPECTED_FORMS = ("(expected ISO 8601 such as 2021-04-26T08:33:41+07:00, RFC 2822, dd/mm/yyyy [HH:MM] "
                   "or epoch seconds); date dropped")


@pytest.mark.parametrize("date", ["2026-13-45", "2026-02-29", "2026-3-7", "31/02/2026", "2026-03-07T25:00", "hôm qua"])
def test_invalid_date_keeps_record_without_date(tmp_path, date):
    path = write_jsonl(tmp_path / "a.jsonl", [good(1), {"id": "x", "body": "b", "date": date}, good(3)])
    articles, warnings = load(path)
    assert warnings == [LoadWarning(str(path), 2, f"invalid date {date!r} {_EXPECTED_FORMS}")]
    assert ids(articles) == ["a1", "x", "a3"]
    assert articles[1].date == ""


def test_invalid_date_in_txt(tmp_path):
    path = tmp_path / "b.txt"
    path.write_text(" date 2026-13-45 Đoạn mở đầu.\n\nThân bài.", encoding="utf-8")
    (a,), warnings = load(path)
    assert warnings == [
        LoadWarning(str(path), None, f"invalid date '2026-13-45' {_EXPECTED_FORMS}")
    ]
    assert (a.date, a.lead, a.body) == ("", "Đoạn mở đầu.", "Thân bài.")


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"  \n\r\n\t\n"])
def test_empty_txt(tmp_path, content):
    (tmp_path / "a.txt").write_text("Bài a.", encoding="utf-8")
    (tmp_path / "b.txt").write_bytes(content)
    (tmp_path / "c.txt").write_text("Bài c.", encoding="utf-8")
    articles, warnings = load(tmp_path)
    assert warnings == [LoadWarning(str(tmp_path / "b.txt"), None, "empty file")]
    assert ids(articles) == ["a", "c"]


def test_txt_with_only_a_date_line(tmp_path):
    path = tmp_path / "b.txt"
    path.write_text(" date 2026-03-07\n\n", encoding="utf-8")
    assert load(path) == ([], [LoadWarning(str(path), None, "no text; file skipped")])


def test_binary_txt(tmp_path):
    (tmp_path / "a.txt").write_text("Bài a.", encoding="utf-8")
    (tmp_path / "b.txt").write_bytes("Tiếng Việt".encode("utf-16"))
    (tmp_path / "c.txt").write_text("Bài c.", encoding="utf-8")
    articles, warnings = load(tmp_path)
    assert warnings == [LoadWarning(str(tmp_path / "b.txt"), None, "binary file (contains NUL bytes); skipped")]
    assert ids(articles) == ["a", "c"]


def test_control_characters_are_removed_silently(tmp_path):
    # Not from an id: "x\u0001" would become "x", another record's id (see test_trust_text).
    record = {"id": "x", "title": "Tin\u0000 nóng\u007f", "body": "Dòng\u0085 một\n\tDòng\u001b hai",
              "category": "\u0002"}
    path = write_jsonl(tmp_path / "a.jsonl", [record])
    (a,), warnings = load(path)
    assert warnings == []
    assert (a.id, a.title, a.body, a.category) == ("x", "Tin nóng", "Dòng một\n\tDòng hai", "")
    b = parse_text_article("Mở\u0000 đầu\u0008.\n\nThân\u000b bài.", "t")
    assert (b.lead, b.body) == ("Mở đầu.", "Thân bài.")


def test_every_bad_case_in_one_file_keeps_all_good_records(tmp_path):
    lines = [
        good(1), "{bad", good(2), "[]", good(3), {"title": "no id"}, good(4), {"id": "e"},
        good(5), {"id": "l", "body": [1]}, good(6), {"id": 7, "body": "ok"}, good(8),
        {"id": "d", "body": "ok", "date": "2026-13-45"}, good(9), b"\xc3(", good(10), "",
    ]
    path = write_jsonl(tmp_path / "mixed.jsonl", lines)
    articles, warnings = load(path)
    assert ids(articles) == ["a1", "a2", "a3", "a4", "a5", "a6", "7", "a8", "d", "a9", "a10"]
    assert [w.line for w in warnings] == [2, 4, 6, 8, 10, 12, 14, 16]


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=300) | st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_arbitrary_bytes_never_raise(tmp_path_factory, data):
    folder = tmp_path_factory.mktemp("fuzz")
    (folder / "x.txt").write_bytes(data)
    (folder / "x.jsonl").write_bytes(data)
    (folder / "x.jsonl.gz").write_bytes(data)
    (folder / "y.jsonl.gz").write_bytes(gzip.compress(data))
    warnings: list[LoadWarning] = []
    for article in load_path(folder, warnings.append):
        assert article.id and (article.title or article.lead or article.body)
        assert len(article.title) <= 120 or not article.title_derived
    assert all(isinstance(w, LoadWarning) and str(w).startswith(str(folder)) for w in warnings)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=5,
)
records = st.dictionaries(
    st.sampled_from(["id", "title", "sapo", "body", "date", "source", "url", "category", "extra"]),
    json_values | st.text(max_size=200),
)


@settings(max_examples=200, deadline=None)
@given(record=records)
def test_from_dict_accepts_or_raises_article_error(record):
    notes: list[str] = []
    try:
        a = Article.from_dict(record, warn=notes.append)
    except ArticleError:
        return
    assert a.id and (a.title or a.lead or a.body)
    assert a.date == "" or len(a.date) == 10
    json.dumps(a.to_dict())
