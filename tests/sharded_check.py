"""The equivalence check of a sharded index against one index (used by tests and bench/cluster.py)."""

from __future__ import annotations

import random
from typing import Any

from vnsearch.lang.text import fold_all
from vnsearch.store.schema import facet_value

# Options every query is also run with: each exercises another merged step.
OPTIONS: list[dict[str, Any]] = [{}, {"sort": "newest"}, {"facets": True}, {"recent": True},
                                 {"collapse": False, "offset": 3}, {"sort": "oldest", "limit": 5}]
FIXED = ["tri tue nhan tao", "bóng đá việt nam", "giá vàng hôm nay", '"thủ tướng" chính phủ', "covid -mỹ",
         "hà nội mưa lớn", "khoi nghiep", "tiấu thuyết", "bão số 3?", "xe điện vinfast", "=bão miền trung",
         "kinh tế OR chứng khoán", "source:vnexpress giáo dục", "ngân hàng since:2020", "hoc sinh thi dai hoc",
         "ddaauf tuw", "cá tháng tư", "bàn thắng", "chết năm nào?", "giá xăng tăng"]


def queries_for(corpus: list[dict], count: int, seed: int = 19) -> list[tuple[str, dict[str, Any]]]:
    """*count* queries of every kind: fixed ones, titles (known items), folded titles, title words; with options."""
    rng = random.Random(seed)
    titles = [a.get("title") or "" for a in corpus if a.get("title")]
    texts = list(FIXED)
    while len(texts) < count:
        title = rng.choice(titles)
        words = title.split()
        kind = rng.randrange(3)
        if kind == 0:
            texts.append(" ".join(words[:8]))
        elif kind == 1:
            texts.append(fold_all(" ".join(rng.sample(words, min(3, len(words))))))
        else:
            texts.append(" ".join(rng.sample(words, min(2, len(words)))))
    return [(q, OPTIONS[i % len(OPTIONS)]) for i, q in enumerate(texts[:count])]


def by_value(facets: dict[str, dict[str, int]] | None) -> dict[str, dict[str, int]] | None:
    """Facet counts keyed by the folded value (as the index files them), whatever spelling is shown."""
    if facets is None:
        return None
    out: dict[str, dict[str, int]] = {}
    for key, counts in facets.items():
        into = out.setdefault(key, {})
        for name, n in counts.items():
            into[facet_value(name)] = into.get(facet_value(name), 0) + n
    return out


def compare(one: Any, other: Any, queries: list[tuple[str, dict[str, Any]]],
            spelling: list[str] | None = None) -> list[str]:
    """Every query on which the two engines differ (ids, order, scores to 1e-9, totals, facets, suggestion, groups).

    Facets are compared by value; queries whose facets differ only in how a value is spelt are
    added to *spelling*, if given.
    """
    diffs = []
    for text, options in queries:
        a, b = one.search(text, **options), other.search(text, **options)
        problems = []
        if [h.id for h in a] != [h.id for h in b]:
            problems.append(f"ids {[h.id for h in a][:5]} vs {[h.id for h in b][:5]}")
        elif any(abs(x.score - y.score) > 1e-9 for x, y in zip(a, b)):
            problems.append("scores")
        if (a.total, a.matched) != (b.total, b.matched):
            problems.append(f"totals {a.total}/{a.matched} vs {b.total}/{b.matched}")
        if a.facets != b.facets:
            # A value spelt two ways (TASS, Tass) is shown as the first article holding it spells it; which
            # article is first is an index's own order, so a sharded index may show the other spelling.
            if by_value(a.facets) != by_value(b.facets):
                problems.append("facets")
            elif spelling is not None:
                spelling.append(text)
        if [h.similar_ids for h in a] != [h.similar_ids for h in b]:
            problems.append("near-duplicate groups")
        if a.corrections != b.corrections or a.rewritten != b.rewritten:
            problems.append("understanding")
        if a.suggestion != b.suggestion:
            problems.append(f"suggestion {a.suggestion!r} vs {b.suggestion!r}")
        if problems:
            diffs.append(f"{text!r} {options}: {'; '.join(problems)}")
    return diffs
