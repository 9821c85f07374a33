"""The OpenAPI 3.1 description of the JSON API, written by hand from the routes and the limits."""

from __future__ import annotations

from typing import Any

from vnsearch.server.limits import Limits


def _param(name: str, description: str, schema: dict[str, Any], required: bool = False,
           where: str = "query") -> dict[str, Any]:
    return {"name": name, "in": where, "required": required, "description": description, "schema": schema}


def _errors(*codes: int) -> dict[str, Any]:
    text = {400: "Bad query or option", 401: "Missing or wrong token (or writes disabled)",
            404: "Unknown id", 413: "Body too large", 414: "Query too long",
            503: "Index busy (see Retry-After) or unreadable"}
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    return {str(c): {"description": text[c], "content": error} for c in codes}


def _ok(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"200": {"description": description, "content": {"application/json": {"schema": schema}}}}


def openapi(limits: Limits, version: str) -> dict[str, Any]:
    """The description served at ``/openapi.json``; its numbers are the server's actual limits."""
    string, integer, boolean, number = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}, {"type": "number"}
    article_id = _param("article_id", f"Article id (at most {limits.ids_chars} characters)", string, True, "path")
    hit = {"type": "object", "required": ["id", "rank", "score", "title", "snippet", "highlights"], "properties": {
        "id": string, "rank": integer, "score": number, "title": string,
        "title_highlights": {"type": "array", "items": {"type": "array", "items": integer},
                             "description": "[start, end) offsets of matched words in title"},
        "date": string, "source": string, "credit": string, "category": string, "url": string,
        "snippet": string,
        "highlights": {"type": "array", "items": {"type": "array", "items": integer},
                       "description": "[start, end) offsets of matched words in snippet"},
        "similar_ids": {"type": "array", "items": string, "description": "near-copies collapsed into this hit"},
    }}
    search_params = [
        _param("q", f"The query (words, \"phrases\", -excluded, OR, source:/category: filters); "
               f"at most {limits.query_chars} characters, else 414", string, True),
        _param("limit", f"Hits per page, 0..{limits.max_limit} (0: totals and facets only)",
               {**integer, "default": 10}),
        _param("page", "Page from 1 (offset = (page-1) × limit); not with offset", integer),
        _param("offset", f"Results to skip; offset + limit ≤ {limits.max_depth}", integer),
        _param("since", "YYYY, YYYY-MM or YYYY-MM-DD: from the start of that period", string),
        _param("until", "YYYY, YYYY-MM or YYYY-MM-DD: to the end of that period", string),
        _param("sort", "Order", {"type": "string", "enum": ["relevance", "newest", "oldest"], "default": "relevance"}),
        _param("source", "Keep these sources (repeat for any of several)", {"type": "array", "items": string}),
        _param("category", "Keep these categories (repeat for any of several)", {"type": "array", "items": string}),
        _param("facets", "Add counts per source, category, credit and month", {**boolean, "default": False}),
        _param("recent", "Favour newer articles (relevance order only)", {**boolean, "default": False}),
        _param("half_life", "Days for recent ranking to halve a score", {**number, "default": 180}),
        _param("collapse", "One hit per group of near-duplicates", {**boolean, "default": True}),
        _param("suggest", "Work out a did-you-mean suggestion", {**boolean, "default": True}),
        _param("exact", "Match every word only as spelt (as =word does for one word)", {**boolean, "default": False}),
        _param("snippet_chars", f"Snippet length, 20..{limits.snippet_chars}", {**integer, "default": 240}),
    ]
    results = {"type": "object", "required": ["total", "matched", "suggestion", "offset", "hits"], "properties": {
        "total": {**integer, "description": "articles matching every word (after filters)"},
        "matched": {**integer, "description": "articles matching at least one word"},
        "suggestion": {"type": ["string", "null"], "description": "the query with diacritics restored, if likely"},
        "rewritten": {"type": ["string", "null"],
                      "description": "the query as searched, when it was typed in Telex/VNI with the input method off"},
        "corrections": {"type": "object", "description": "typed syllable -> corrections also searched for",
                        "additionalProperties": {"type": "array", "items": string}},
        "offset": integer,
        "hits": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"}},
        "facets": {"type": "object", "description": "{source|category|credit|month: {value: count}}; "
                   "\"\" counts articles without a value",
                   "additionalProperties": {"type": "object", "additionalProperties": integer}},
    }}
    article = {"type": "object", "properties": {k: string for k in (
        "id", "title", "lead", "body", "date", "source", "url", "category", "credit")} | {
        "title_derived": boolean, "headings": {"type": "array", "items": string}}}
    record = {"type": "object", "required": ["id"], "description": "As in a JSON Lines file: id and at least one "
              "of title, sapo, body; date (YYYY-MM-DD), source, url, category optional", "properties": {
                  k: string for k in ("id", "title", "sapo", "body", "date", "source", "url", "category")}}
    auth: list[dict[str, list[str]]] = [{"bearer": []}]
    return {
        "openapi": "3.1.0",
        "info": {"title": "vnsearch", "version": version,
                 "description": "Full-text search for Vietnamese news over HTTP: one endpoint per call of the "
                                "vnsearch library, with the same option names. Limits: query "
                                f"{limits.query_chars} characters (414), limit {limits.max_limit}, results "
                                f"depth {limits.max_depth} (400), body {limits.body_bytes} bytes (413). Writes "
                                f"need the server's token; a write that cannot get the index lock in "
                                f"{limits.write_wait:g} s answers 503 with Retry-After. Every error is "
                                "{\"error\": \"…\"}."},
        "paths": {
            "/search": {"get": {"summary": "Search (SearchEngine.search)", "parameters": search_params,
                                "responses": {**_ok({"$ref": "#/components/schemas/Results"}),
                                              **_errors(400, 414, 503)}}},
            "/articles": {"post": {
                "summary": "Add or replace articles (SearchEngine.index_articles)", "security": auth,
                "requestBody": {"required": True, "description": f"At most {limits.body_bytes} bytes",
                                "content": {"application/json": {"schema": {"type": "array", "items": record}},
                                            "application/x-ndjson": {"schema": record}}},
                "responses": {**_ok({"type": "object", "properties": {
                    "added": integer, "replaced": integer, "unchanged": integer, "skipped": integer,
                    "warnings": {"type": "array", "items": string},
                    "problems": {"type": "array", "items": {"type": "object", "properties": {
                        "line": {**integer, "description": "NDJSON line, from 1"},
                        "index": {**integer, "description": "array index, from 0"}, "error": string}}}}}),
                    **_errors(400, 401, 413, 503)}}},
            "/articles/{article_id}": {
                "get": {"summary": "One article (SearchEngine.get)", "parameters": [article_id],
                        "responses": {**_ok({"$ref": "#/components/schemas/Article"}), **_errors(404)}},
                "delete": {"summary": "Delete an article (SearchEngine.delete)", "security": auth,
                           "parameters": [article_id],
                           "responses": {**_ok({"type": "object", "properties": {"deleted": integer}}),
                                         **_errors(401, 404, 503)}}},
            "/articles/{article_id}/similar": {"get": {
                "summary": "Related articles (SearchEngine.similar)",
                "parameters": [article_id, _param("limit", f"1..{limits.max_limit}", {**integer, "default": 10})],
                "responses": {**_ok({"type": "object", "properties": {
                    "id": string, "terms": string, "near_duplicates": integer,
                    "hits": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"}}}}),
                    **_errors(400, 404)}}},
            "/restore": {"get": {
                "summary": "Restore diacritics (SearchEngine.restoration)",
                "parameters": [_param("text", f"Text, at most {limits.query_chars} characters", string, True)],
                "responses": {**_ok({"type": "object", "properties": {
                    "text": string, "confidence": number, "changed": boolean,
                    "syllables": {"type": "array", "items": string},
                    "syllable_confidence": {"type": "array", "items": number}}}), **_errors(400, 414)}}},
            "/stats": {"get": {"summary": "Index figures (SearchEngine.stats)", "responses": _ok({
                "type": "object", "properties": {"articles": integer, "size_bytes": integer, "dated": integer,
                                                 "first_date": {"type": ["string", "null"]},
                                                 "last_date": {"type": ["string", "null"]}}})}},
            "/health": {"get": {"summary": "200 while the index can be read", "responses": {
                **_ok({"type": "object", "properties": {"status": string, "articles": integer}}),
                **_errors(503)}}},
            "/check": {"get": {"summary": "Read the whole index for problems (SearchEngine.check)",
                               "security": auth, "responses": {**_ok({"type": "object", "properties": {
                                   "ok": boolean, "problems": {"type": "array", "items": string}}}),
                                   **_errors(401)}}},
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": {"type": "object", "required": ["error"], "properties": {"error": string}},
                        "Hit": hit, "Results": results, "Article": article},
        },
    }
