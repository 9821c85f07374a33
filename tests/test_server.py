"""The HTTP API and the search page, in-process through Starlette's TestClient.

Every endpoint, every option and every error status, with hostile input.
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("httpx", reason="Starlette's TestClient needs httpx (pip install -e '.[test]')")

from starlette.testclient import TestClient

from tests.server_corpus import build
from vnsearch import SearchEngine, caps
from vnsearch.server import Limits, create_app

TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="session")
def server_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("server") / "ix")


@pytest.fixture(scope="module")
def client(server_index: Path) -> Iterator[TestClient]:
    with TestClient(create_app(server_index, token=TOKEN)) as c:
        yield c


@pytest.fixture
def writable(server_index: Path, tmp_path: Path) -> Path:
    """A copy of the index a test may change."""
    return Path(shutil.copytree(server_index, tmp_path / "ix"))


def error_of(response) -> str:  # type: ignore[no-untyped-def]
    assert response.headers["content-type"].startswith("application/json"), response.text[:200]
    body = response.json()
    assert set(body) >= {"error"} and isinstance(body["error"], str) and body["error"]
    assert "Traceback" not in body["error"]
    return str(body["error"])


# -- reading ------------------------------------------------------------------


def test_health_and_stats(client: TestClient) -> None:
    r = client.get("/health")
    assert r.status_code == 200 and r.json() == {"status": "ok", "articles": 60}
    stats = client.get("/stats").json()
    assert stats["articles"] == 60 and stats["first_date"] <= stats["last_date"] and "path" not in stats


def test_search_hits_mirror_the_library(client: TestClient, server_index: Path) -> None:
    body = client.get("/search", params={"q": "viet nam", "limit": 5}).json()
    engine = SearchEngine(server_index, create=False)
    expected = engine.search("viet nam", limit=5)
    assert body["total"] == expected.total and body["matched"] == expected.matched
    assert body["suggestion"] == "việt nam" == expected.suggestion
    assert [h["id"] for h in body["hits"]] == [h.id for h in expected]
    for hit, lib in zip(body["hits"], expected):
        assert {k: hit[k] for k in lib.to_dict()} == lib.to_dict()
        assert hit["rank"] == lib.rank and hit["category"] == lib.category
        assert hit["title_highlights"] == [list(h) for h in lib.title_highlights]
    assert "facets" not in body
    engine.close()


def test_search_paging(client: TestClient) -> None:
    first = client.get("/search", params={"q": "viet nam", "limit": 4}).json()["hits"]
    page2 = client.get("/search", params={"q": "viet nam", "limit": 2, "page": 2}).json()
    offset = client.get("/search", params={"q": "viet nam", "limit": 2, "offset": 2}).json()
    assert [h["id"] for h in page2["hits"]] == [h["id"] for h in first[2:4]] == [h["id"] for h in offset["hits"]]
    assert page2["offset"] == 2 and [h["rank"] for h in page2["hits"]] == [3, 4]


def test_search_filters_sort_and_facets(client: TestClient) -> None:
    body = client.get("/search", params={"q": "viet nam", "facets": "true", "limit": 50}).json()
    facets = body["facets"]
    assert set(facets) >= {"source", "category", "month"} and sum(facets["category"].values()) == body["total"]
    category = next(c for c in facets["category"] if c)
    only = client.get("/search", params={"q": "viet nam", "category": category, "limit": 50}).json()
    assert only["total"] == facets["category"][category] and all(h["category"] == category for h in only["hits"])
    dated = client.get("/search", params={"q": "viet nam", "since": "2021-04", "until": "2021-04",
                                          "limit": 50}).json()
    assert dated["total"] == facets["month"]["2021-04"]
    assert all(h["date"].startswith("2021-04") for h in dated["hits"])
    newest = client.get("/search", params={"q": "viet nam", "sort": "newest", "limit": 50}).json()["hits"]
    dates = [h["date"] for h in newest if h["date"]]
    assert dates == sorted(dates, reverse=True)
    source = client.get("/search", params={"q": "tri tue", "source": "Nguồn thử"}).json()
    assert {h["id"] for h in source["hits"]} == {"hostile-control", "hostile-huge"}
    two = client.get("/search", params=[("q", "tri tue"), ("source", "Nguồn thử"), ("source", "<i>Nguồn</i> độc hại")])
    assert "hostile-markup" in {h["id"] for h in two.json()["hits"]}


def test_search_flags(client: TestClient) -> None:
    recent = client.get("/search", params={"q": "viet nam", "recent": "1", "half_life": "30"})
    assert recent.status_code == 200 and recent.json()["hits"]
    plain = client.get("/search", params={"q": "viet nam", "suggest": "false"}).json()
    assert plain["suggestion"] is None
    short = client.get("/search", params={"q": "viet nam", "snippet_chars": "40"}).json()
    assert all(len(h["snippet"]) <= 60 for h in short["hits"])
    every = client.get("/search", params={"q": "viet nam", "collapse": "false", "limit": 50}).json()
    assert len(every["hits"]) >= len(client.get("/search", params={"q": "viet nam", "limit": 50}).json()["hits"])


@pytest.mark.parametrize(("params", "status", "words"), [
    ({}, 400, "'q' is required"),
    ({"q": "   "}, 400, "'q' is required"),
    ({"q": "a" * (caps.QUERY_CHARS + 1)}, 414, f"limit is {caps.QUERY_CHARS}"),
    ({"q": "x", "limit": "-1"}, 400, "limit must be from 0 to 100"),
    ({"q": "x", "limit": "101"}, 400, "limit must be from 0 to 100"),
    ({"q": "x", "limit": "ten"}, 400, "whole number"),
    ({"q": "x", "page": "0"}, 400, "page must be at least 1"),
    ({"q": "x", "page": "101"}, 400, "past 1000"),
    ({"q": "x", "offset": "995"}, 400, "past 1000"),
    ({"q": "x", "page": "2", "offset": "3"}, 400, "not both"),
    ({"q": "x", "sort": "sideways"}, 400, "unknown sort"),
    ({"q": "x", "since": "yesterday"}, 400, "since"),
    ({"q": "x", "since": "2021-05", "until": "2021-04"}, 400, "empty"),
    ({"q": "x", "facets": "maybe"}, 400, "true or false"),
    ({"q": "x", "recent": "1", "half_life": "-3"}, 400, "half_life"),
    ({"q": "x", "recent": "1", "half_life": "abc"}, 400, "number"),
    ({"q": "x", "recent": "1", "sort": "newest"}, 400, "relevance"),
    ({"q": "x", "snippet_chars": "5000"}, 400, "snippet_chars"),
    ({"q": "x", "lmit": "3"}, 400, "unknown parameter 'lmit'"),
    ({"q": "-alone"}, 400, ""),
])
def test_search_errors(client: TestClient, params: dict[str, str], status: int, words: str) -> None:
    r = client.get("/search", params=params)
    assert r.status_code == status, r.text
    assert words in error_of(r)


def test_hostile_queries_answer_json(client: TestClient) -> None:
    for q in ["<script>alert(1)</script>", "tri\x00tue\x07 \x1b[31m", "\"unclosed", "OR OR OR", "((((",
              "source:", "category:<b>", "\u202e tri tue", "😀" * 100, "a" * 500, "-"]:
        r = client.get("/search", params={"q": q})
        assert r.status_code in (200, 400), (q, r.status_code)
        if r.status_code == 400:
            assert "\x00" not in error_of(r)
        else:
            json.dumps(r.json())


def test_article_similar_restore(client: TestClient) -> None:
    article = client.get("/articles/hostile-markup").json()
    assert article["title"].startswith("<script>") and "origin" not in article  # JSON carries the text as is
    missing = client.get("/articles/no-such-id")
    assert missing.status_code == 404 and "no-such-id" in error_of(missing)
    assert client.get("/articles/" + "x" * 600).status_code == 404
    related = client.get("/articles/hostile-markup/similar", params={"limit": 3}).json()
    assert related["id"] == "hostile-markup" and 0 < len(related["hits"]) <= 3 and related["terms"]
    assert "hostile-markup" not in {h["id"] for h in related["hits"]}
    assert client.get("/articles/nope/similar").status_code == 404
    assert client.get("/articles/hostile-markup/similar", params={"limit": "0"}).status_code == 400
    assert client.get("/articles/hostile-markup/similar", params={"n": "3"}).status_code == 400
    restored = client.get("/restore", params={"text": "tri tue nhan tao"}).json()
    assert restored["text"] == "trí tuệ nhân tạo" and restored["changed"] and 0 < restored["confidence"] <= 1
    assert client.get("/restore").status_code == 400
    assert client.get("/restore", params={"text": "a" * (caps.QUERY_CHARS + 1)}).status_code == 414


def test_unknown_paths_and_methods_are_json(client: TestClient) -> None:
    for r, status in [(client.get("/nope"), 404), (client.get("/articles"), 405), (client.put("/search"), 405),
                      (client.post("/health"), 405), (client.get("/static/missing.css"), 404)]:
        assert r.status_code == status
        error_of(r)
        assert r.headers["content-security-policy"].startswith("default-src 'none'")


def test_openapi_describes_every_route_and_limit(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    assert set(doc["paths"]) == {"/search", "/articles", "/articles/{article_id}", "/articles/{article_id}/similar",
                                 "/restore", "/stats", "/health", "/check"}
    names = {p["name"] for p in doc["paths"]["/search"]["get"]["parameters"]}
    from vnsearch.server.params import SEARCH_PARAMS
    assert names == set(SEARCH_PARAMS)
    assert f"{caps.QUERY_CHARS} characters" in json.dumps(doc) and "16777216 bytes" in json.dumps(doc)
    assert set(doc["paths"]["/articles/{article_id}"]) == {"get", "delete"}


# -- writing -------------------------------------------------------------------


def test_writes_need_the_token(writable: Path) -> None:
    with TestClient(create_app(writable)) as open_server:
        r = open_server.post("/articles", json=[{"id": "n1", "title": "Tin mới"}], headers=AUTH)
        assert r.status_code == 401 and "--token" in error_of(r) and r.headers["www-authenticate"] == "Bearer"
    with TestClient(create_app(writable, token=TOKEN)) as c:
        for headers in [{}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN},
                        {"Authorization": f"Basic {TOKEN}"}]:
            assert c.post("/articles", json=[{"id": "n1", "title": "Tin"}], headers=headers).status_code == 401
            assert c.delete("/articles/hostile-markup", headers=headers).status_code == 401
        assert c.get("/check").status_code == 401
        check = c.get("/check", headers=AUTH).json()
        assert check == {"ok": True, "problems": []}
        assert c.get("/health").json()["articles"] == 60


def test_post_array_and_ndjson_with_problems(writable: Path) -> None:
    with TestClient(create_app(writable, token=TOKEN)) as c:
        r = c.post("/articles", headers=AUTH, json=[
            {"id": "new-1", "title": "Hội nghị thượng đỉnh về năng lượng tái tạo", "date": "2021-06-01"},
            {"title": "no id"}, 42, {"id": "new-2", "body": "Năng lượng mặt trời ở Ninh Thuận"}])
        body = r.json()
        assert r.status_code == 200 and body["added"] == 2 and body["skipped"] == 2
        assert [p["index"] for p in body["problems"]] == [1, 2] and "no id" in body["problems"][0]["error"]
        found = c.get("/search", params={"q": "nang luong tai tao"}).json()
        assert found["hits"][0]["id"] == "new-1"  # searchable at once
        ndjson = "\n".join([json.dumps({"id": "new-3", "title": "Xe điện VinFast"}), "{broken",
                            "", json.dumps({"id": "new-1", "title": "Hội nghị thượng đỉnh năng lượng (sửa)"}),
                            json.dumps({"id": "x", "title": 5})])
        r = c.post("/articles", headers={**AUTH, "Content-Type": "application/x-ndjson"}, content=ndjson)
        body = r.json()
        assert (body["added"], body["replaced"]) == (1, 1)
        assert [p["line"] for p in body["problems"]] == [2, 5] and "invalid JSON" in body["problems"][0]["error"]
        assert c.get("/articles/new-1").json()["title"].endswith("(sửa)")
        bad = c.post("/articles", headers=AUTH, content="{nope\n[1")
        assert bad.status_code == 400 and bad.json()["problems"][0]["line"] == 1
        assert c.post("/articles", headers=AUTH, content="").status_code == 400
        assert c.post("/articles", headers=AUTH, content="[1, 2").status_code == 400
        assert c.post("/articles", headers=AUTH, content=b"\xff\xfe").status_code == 400
        deleted = c.delete("/articles/new-3", headers=AUTH)
        assert deleted.status_code == 200 and deleted.json() == {"deleted": 1}
        assert c.get("/articles/new-3").status_code == 404
        assert c.delete("/articles/new-3", headers=AUTH).status_code == 404
        assert c.get("/health").json()["articles"] == 62


def test_hostile_article_over_http(writable: Path) -> None:
    with TestClient(create_app(writable, token=TOKEN)) as c:
        record = {"id": "evil\u202e", "title": "<svg onload=alert(1)>\x00 Bão số 9", "body": "x\x1b" * 50_000}
        assert c.post("/articles", headers=AUTH, json=[record]).json()["added"] == 1
        page = c.get("/?q=bao so 9").text
        assert "<svg" not in page and "&lt;svg onload=alert(1)&gt;" in page
        assert "\x00" not in page and "\x1b" not in page and "\u202e" not in page


def test_body_too_large(writable: Path) -> None:
    with TestClient(create_app(writable, token=TOKEN, limits=Limits(body_bytes=1000))) as c:
        r = c.post("/articles", headers=AUTH, json=[{"id": "big", "body": "x" * 2000}])
        assert r.status_code == 413 and "1000" in error_of(r)

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted while read
            for _ in range(5):
                yield b"x" * 400

        assert c.post("/articles", headers=AUTH, content=chunks()).status_code == 413


def test_busy_index_answers_503_with_retry_after(writable: Path) -> None:
    started, release = threading.Event(), threading.Event()
    other = SearchEngine(writable, create=False)

    def slow() -> Iterator[dict[str, str]]:  # the writer holds the lock while it reads these
        started.set()
        release.wait(30)
        yield {"id": "slow", "title": "Ghi chậm"}

    thread = threading.Thread(target=lambda: other.add_articles(slow(), jobs=1))
    thread.start()
    try:
        assert started.wait(30)
        with TestClient(create_app(writable, token=TOKEN, limits=Limits(write_wait=0.3))) as c:
            r = c.post("/articles", headers=AUTH, json=[{"id": "n", "title": "Tin"}])
            assert r.status_code == 503 and r.headers["retry-after"] == "5" and error_of(r)
            assert c.delete("/articles/hostile-markup", headers=AUTH).status_code == 503
            assert c.get("/search", params={"q": "viet nam"}).status_code == 200  # reads never wait
    finally:
        release.set()
        thread.join(60)
        other.close()


# -- the page ---------------------------------------------------------------------


def test_page_without_query(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "<script" not in r.text and 'name="viewport"' in r.text and 'href="/static/style.css"' in r.text
    assert "'unsafe-inline'" not in r.headers["content-security-policy"]
    css = client.get("/static/style.css")
    assert css.status_code == 200 and "mark" in css.text


def test_page_results(client: TestClient) -> None:
    page = client.get("/", params={"q": "viet nam"}).text
    assert "<mark>" in page and 'id="did-you-mean"' in page and "việt nam" in page
    assert 'data-facet="category"' in page and 'data-facet="month"' in page and 'rel="next"' in page
    assert "/related" in page
    page2 = client.get("/", params={"q": "viet nam", "page": "2"}).text
    assert 'start="11"' in page2 and 'rel="prev"' in page2
    filtered = client.get("/", params={"q": "viet nam", "since": "2021-04", "until": "2021-04",
                                       "sort": "newest"}).text
    assert "Filtered" not in filtered and 'value="newest" selected' in filtered


def test_page_escapes_everything(client: TestClient) -> None:
    page = client.get("/", params={"q": "<script>alert(1)</script> tri tue \x00\x07\u202e"})
    assert page.status_code == 200
    text = page.text
    assert "<script>alert" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "\x00" not in text and "\x07" not in text and "\u202e" not in text
    hits = client.get("/", params={"q": "tri tue nhan tao"}).text
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in hits and "<img" not in hits
    article = client.get("/a/hostile-markup").text
    assert "<iframe" not in article and "&lt;iframe" in article and "javascript:" not in article
    assert "&lt;i&gt;Nguồn&lt;/i&gt;" in article
    control = client.get("/a/hostile-control").text
    assert "\x1b" not in control and "\u202e" not in control


def test_page_errors_are_shown_in_the_page(client: TestClient) -> None:
    r = client.get("/", params={"q": "viet nam", "since": "yesterday"})
    assert r.status_code == 400 and 'class="error"' in r.text and "<form" in r.text
    assert client.get("/", params={"q": "x" * (caps.QUERY_CHARS + 100)}).status_code == 414
    assert client.get("/", params={"q": "viet nam", "page": "500"}).status_code == 400
    missing = client.get("/a/<b>nope")
    assert missing.status_code == 404 and "&lt;b&gt;nope" in missing.text
    assert client.get("/a/nope/related").status_code == 404


def test_article_and_related_pages(client: TestClient) -> None:
    article = client.get("/a/hostile-markup")
    assert article.status_code == 200 and 'id="related"' in article.text and "/a/" in article.text
    related = client.get("/a/hostile-markup/related")
    assert related.status_code == 200 and 'class="hits"' in related.text


def test_serve_is_not_imported_by_the_library() -> None:
    import subprocess
    import sys

    code = ("import sys, vnsearch, vnsearch.cli; "
            "print(any(m.split('.')[0] in ('starlette', 'uvicorn', 'jinja2') or m.startswith('vnsearch.server') "
            "for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
