"""Getting the archive back out: export | index - gives the same articles; reindex rebuilds from the index.

Also: feeds indexed and searched end to end, re-indexing them adds nothing,
times order a day's hits, and an index made before times were stored still
takes timed articles.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import SEED_000, SEEDS, read_corpus_lines
from test_hostile import HOSTILE

from vnsearch import SearchEngine
from vnsearch.cli import main
from vnsearch.ingest.export import export_record
from vnsearch.store import schema as schema_module

DATA = Path(__file__).parent / "data"


@pytest.fixture(autouse=True)
def _no_ambient_index(monkeypatch):
    monkeypatch.delenv("VNSEARCH_INDEX", raising=False)


def run(*args, **kw):
    return CliRunner().invoke(main, [str(a) for a in args], **kw)


def articles_of(path: Path) -> dict[str, dict]:
    """Every stored article as the library returns it (origin aside: where it was loaded from)."""
    with SearchEngine(path, create=False) as engine:
        out = {}
        for article_id in engine.ids():
            article = engine.get(article_id)
            assert article is not None
            data = article.to_dict()
            data.pop("origin")
            out[article_id] = data
        return out


def round_trip(source: Path, target: Path) -> str:
    exported = run("export", "-d", source)
    assert exported.exit_code == 0, exported.output
    loaded = run("index", "-j", "1", "-d", target, "-", input=exported.stdout_bytes)
    assert loaded.exit_code == 0, loaded.output
    assert loaded.stderr == "", loaded.stderr  # not one warning: the export is valid input
    again = run("export", "-d", target)
    assert again.stdout_bytes == exported.stdout_bytes
    return exported.stdout


def test_round_trip_seeds(tmp_path, seed_index_dir):
    text = round_trip(seed_index_dir, tmp_path / "copy")
    assert articles_of(tmp_path / "copy") == articles_of(seed_index_dir)
    record = next(json.loads(line) for line in text.splitlines() if json.loads(line)["id"] == SEED_000)
    assert "lead" not in record and record["sapo"] and record["date"] == "2026-03-07"
    shown = run("show", "-d", seed_index_dir, "--json", SEED_000)
    assert json.loads(shown.stdout) == record  # show --json writes what export does


def test_round_trip_news_b_sample_and_hostile_text(tmp_path):
    records = read_corpus_lines("news-b.jsonl.gz", 0, 60)
    timed = [{"id": "t1", "title": "Giờ", "sapo": "Có giờ.", "date": "2021-04-26T08:33:41+07:00",
              "author": "Lê Hoa", "body": "Thân bài.\nTheo Reuters"},
             {"id": "t2", "body": "Không tiêu đề. Chỉ có thân bài.", "date": "Mon, 26 Apr 2021 01:00:00 GMT"}]
    source = tmp_path / "source"
    with SearchEngine(source) as engine:
        summary = engine.index_articles([*records, *HOSTILE, *timed], jobs=1)
        assert summary.written == len(records) + len(HOSTILE) + len(timed), str(summary)
    round_trip(source, tmp_path / "copy")
    before, after = articles_of(source), articles_of(tmp_path / "copy")
    assert after == before
    assert before["t1"]["time"] == "2021-04-26T08:33:41+07:00" and before["t1"]["credit"] == "Lê Hoa"
    assert before["t2"]["title_derived"] and before["t2"]["time"] == "2021-04-26T08:00:00+07:00"
    for record in records:  # the corpus's own records come back key for key (an empty title: made up, left out)
        expected = {k: v for k, v in record.items() if k != "title" or v}
        assert export_record(dict(_stored(source, record["id"]))) == expected


def _stored(path: Path, article_id: str) -> dict:
    with SearchEngine(path, create=False) as engine:
        stored = engine._current()[0].stored_by_id(article_id)
        assert stored is not None
        return stored


def test_export_filters(tmp_path):
    path = tmp_path / "ix"
    with SearchEngine(path) as engine:
        engine.add_articles([
            {"id": "a", "title": "Một", "date": "2021-04-26T08:00:00+07:00", "source": "Dân trí",
             "category": "thoi-su"},
            {"id": "b", "title": "Hai", "date": "2021-05-01", "source": "VnExpress", "category": "Kinh doanh"},
            {"id": "c", "title": "Ba", "source": "Dân Trí (dantri.com.vn)"},
        ], jobs=1)
        assert [r["id"] for r in engine.export(since="2021-05")] == ["b"]
        assert [r["id"] for r in engine.export(until="2021-04-26T23:00")] == ["a"]
        assert sorted(r["id"] for r in engine.export(source="dan tri")) == ["a", "c"]
        assert [r["id"] for r in engine.export(category="thời sự")] == ["a"]
        assert sorted(r["id"] for r in engine.export()) == ["a", "b", "c"]
    result = run("export", "-d", path, "--source", "vnexpress")
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == ["b"]
    assert result.stderr == "1 articles exported.\n"
    bad = run("export", "-d", path, "--since", "hôm qua")
    assert bad.exit_code == 2 and bad.stderr.startswith("error: invalid since 'hôm qua'")


def test_reindex_rebuilds_from_stored_articles_even_from_another_version(tmp_path, seed_index_dir):
    path = tmp_path / "ix"
    first = run("index", "-j", "1", "-d", path, SEEDS, DATA)
    assert first.exit_code == 0, first.output
    before = articles_of(path)
    meta = path / "vnsearch.json"
    meta.write_text(json.dumps({"schema_version": 1}), encoding="utf-8")  # as if an older vnsearch wrote it
    refused = run("search", "-d", path, "bão")
    assert refused.exit_code == 2
    assert f"rebuild it from its stored articles with: vnsearch reindex --index-dir {path}" in refused.stderr
    rebuilt = run("reindex", "-j", "1", "-d", path)
    assert rebuilt.exit_code == 0, rebuilt.output
    assert rebuilt.stdout.startswith(f"rebuilt {path} from its stored articles: {len(before)} articles, 0 skipped")
    assert json.loads(meta.read_text())["schema_version"] == schema_module.SCHEMA_VERSION
    assert articles_of(path) == before
    assert run("search", "-d", path, "bão số 5").exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ix"]  # the work directory is gone
    missing = run("reindex", "-d", tmp_path / "none")
    assert missing.exit_code == 2 and "no index at" in missing.stderr


def test_feeds_index_search_and_reindexing_adds_nothing(tmp_path):
    path = tmp_path / "ix"
    feeds = [DATA / "vnexpress.rss", DATA / "baothu.atom"]
    first = run("index", "-j", "1", "-d", path, *feeds)
    assert first.exit_code == 0, first.output
    assert first.stdout.startswith("7 added, 0 replaced, 1 skipped")
    assert f"{feeds[0]}: item 4: record has no id; record skipped" in first.stderr
    again = run("index", "-j", "1", "-d", path, *feeds)
    assert again.stdout.startswith("0 added, 0 replaced, 7 unchanged, 1 skipped"), again.output
    hits = [json.loads(line) for line in run("search", "-d", path, "--json", "bao so 5").stdout.splitlines()]
    assert hits[0]["title"] == "Bão số 5 đổ bộ vào Quảng Ngãi" and hits[0]["time"] == "2021-04-26T08:33:41+07:00"
    newest = run("search", "-d", path, "--sort", "newest", "--json", "-n", "4", "bão OR xăng OR vệ OR học")
    order = [" ".join(json.loads(line)["title"].split()[:2]) for line in newest.stdout.splitlines()]
    # All four on 2021-04-26: by time within the day (09:15, 08:33, 08:10, 05:05), not by score.
    assert order == ["Ra mắt", "Bão số", "Giá xăng", "Học sinh"]
    oldest = run("search", "-d", path, "--sort", "oldest", "--json", "-n", "4", "--since", "2021-04-26",
                 "bão OR xăng OR vệ OR học")
    assert [" ".join(json.loads(line)["title"].split()[:2]) for line in oldest.stdout.splitlines()] == order[::-1]
    shown = run("search", "-d", path, "--no-color", "xăng")
    assert "2021-04-26 08:10 · Tin mới - Báo Thử Nghiệm" in shown.stdout


def test_cli_map_tz_and_stdin(tmp_path):
    path = tmp_path / "ix"
    lines = "\n".join(json.dumps(r, ensure_ascii=False) for r in [
        {"ma": "m1", "tieu_de": "Tin một", "ngay": "26/04/2021 23:30", "luot_xem": 5},
        {"ma": "m2", "tieu_de": "Tin hai", "ngay": "không rõ"},
    ]) + "\n"
    result = run("index", "-j", "1", "-d", path, "--map", "ma=id", "--map", "tieu_de=title", "--map", "ngay=date",
                 "--tz", "UTC", "-", input=lines)
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        "warning: <stdin>:1: unknown key(s) 'luot_xem' ignored in this file; map with --map KEY=FIELD "
        "(or KEY= to ignore)",
        "warning: <stdin>:2: invalid date 'không rõ' (expected ISO 8601 such as 2021-04-26T08:33:41+07:00, "
        "RFC 2822, dd/mm/yyyy [HH:MM] or epoch seconds); date dropped",
    ]
    with SearchEngine(path, create=False) as engine:
        article = engine.get("m1")
        assert article is not None and (article.date, article.time) == ("2021-04-26", "2021-04-26T23:30:00+00:00")
    for args, message in [(["--map", "x=headline"], "error: bad map 'x=headline'"),
                          (["--tz", "Mars/Base"], "error: unknown time zone 'Mars/Base'"),
                          (["-", "-"], "error: standard input (-) can be read only once")]:
        bad = run("index", "-d", path, *args, *([] if "-" in args else ["-"]), input="")
        assert bad.exit_code == 2 and bad.stderr.startswith(message), bad.output


def test_an_index_made_before_times_were_stored_keeps_the_day(tmp_path, monkeypatch):
    make = schema_module.make_schema

    def without_time():
        s = make()
        s.remove("time")
        return s

    path = tmp_path / "old"
    import vnsearch.store.directory as engine_module  # where new indexes get their schema

    monkeypatch.setattr(engine_module, "make_schema", without_time)
    with SearchEngine(path) as engine:
        engine.add_articles([{"id": "a", "title": "Cũ", "date": "2021-04-26"}], jobs=1)
    monkeypatch.setattr(engine_module, "make_schema", make)
    with SearchEngine(path) as engine:
        summary = engine.index_articles([{"id": "b", "title": "Mới", "date": "2021-04-26T08:00:00+07:00"},
                                         {"id": "a", "title": "Cũ hơn", "date": "2021-04-25T08:00:00+07:00"}],
                                        jobs=1)
        assert (summary.added, summary.replaced) == (1, 1)
        b, a = engine.get("b"), engine.get("a")
        assert b is not None and a is not None
        assert (b.date, b.time, a.date) == ("2021-04-26", "", "2021-04-25")
        assert [h.id for h in engine.search("Mới", since="2021-04-26")] == ["b"]


def test_reindex_keeps_times_of_another_zone_and_refuses_a_damaged_index(tmp_path):
    path = tmp_path / "ix"
    with SearchEngine(path) as engine:
        engine.add_paths([DATA / "baothu.atom"], tz="UTC", jobs=1, on_warning=lambda w: None)
        before = articles_of(path)
    assert before["baothu.example.vn-a84fc3b6c922fbec"]["time"] == "2021-04-26T02:15:00+00:00"
    summary = SearchEngine.reindex(path, jobs=1)
    assert summary.written == len(before)
    assert articles_of(path) == before  # not moved to Vietnam time
    for toc in path.glob("_MAIN_*.toc"):
        toc.write_bytes(b"not a table of contents")
    damaged = run("reindex", "-d", path)
    assert damaged.exit_code == 2 and damaged.stderr.startswith(f"error: {path}: ")
    assert "vnsearch index --rebuild" in damaged.stderr and "Traceback" not in damaged.output
