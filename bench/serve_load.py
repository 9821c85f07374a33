"""Load on ``vnsearch serve`` over HTTP, next to the library called in-process, in the same run.

Two scenarios, each measured twice (HTTP, then in-process):

- ``alone``: searches only;
- ``writing``: searches while a ``vnsearch index`` process adds ``--write-articles``
  new articles to the same index. Afterwards every one of them must be
  findable by id (over HTTP for the HTTP run, through the library for the
  in-process run): a missing one is a lost write. They are deleted again at
  the end, so the index is left as it was found.

``--clients`` threads each send searches back to back (one keep-alive
connection each) from a fixed query mix built from the corpus's headlines
(first words of a headline, half of them typed without diacritics), for
``--seconds`` or ``--max-requests`` requests, whichever comes first. The
in-process run calls ``SearchEngine.search`` from the same number of threads,
reading the suggestion and the hits' dicts as the server does. The server
listens on 127.0.0.1 only.

Reported per run: requests/s, p50/p95/p99 latency (ms), errors, lost writes.
The numbers go to stdout and bench/out/serve_load.json.

    python bench/serve_load.py --index index --corpus ../shared/corpus/news.jsonl.gz
    python bench/serve_load.py --index /tmp/ix --seconds 10 --write-articles 300   # a quick run
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vnsearch import SearchEngine  # noqa: E402
from vnsearch.lang.text import fold_all  # noqa: E402
from vnsearch.server.api import results_dict  # noqa: E402

OUT = ROOT / "bench" / "out"


@dataclass
class Run:
    """One measurement: who answered, under what load, and how."""

    scenario: str
    target: str  # "http" or "library"
    clients: int
    seconds: float = 0.0
    requests: int = 0
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list, repr=False)
    written: int | None = None  # articles the index run reported added
    expected_writes: int = 0
    lost_writes: int | None = None

    def summary(self) -> dict[str, Any]:
        lat = sorted(self.latencies_ms)

        def pct(p: float) -> float:
            return round(lat[min(len(lat) - 1, int(p / 100 * len(lat)))], 1) if lat else float("nan")

        d = {k: v for k, v in asdict(self).items() if k != "latencies_ms"}
        d.update(rps=round(self.requests / self.seconds, 1) if self.seconds else 0.0,
                 p50_ms=pct(50), p95_ms=pct(95), p99_ms=pct(99))
        return d


def headlines(corpus: Path, count: int, skip: int = 0) -> list[dict[str, Any]]:
    with gzip.open(corpus, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in itertools.islice(fh, skip, skip + count)]


def query_mix(records: list[dict[str, Any]], size: int) -> list[str]:
    """First 2-4 words of headlines; every other one without diacritics, as people type."""
    queries = []
    for i, r in enumerate(records):
        words = [w for w in str(r.get("title") or "").split() if any(c.isalpha() for c in w)]
        if len(words) < 2:
            continue
        q = " ".join(words[: 2 + i % 3]).strip("\"'“”:,.")
        queries.append(" ".join(fold_all(w) for w in q.split()) if i % 2 else q)
        if len(queries) == size:
            break
    return queries


def drive(run: Run, call: Callable[[int, str], None], queries: list[str], seconds: float,
          max_requests: int) -> None:
    """*run.clients* threads calling ``call(client, query)`` until time or count runs out."""
    lock = threading.Lock()
    counter = itertools.count()
    deadline = time.monotonic() + seconds

    def client(n: int) -> None:
        local: list[float] = []
        errors: list[str] = []
        for i in itertools.count(n * 7):
            if time.monotonic() >= deadline or next(counter) >= max_requests:
                break
            q = queries[i % len(queries)]
            t0 = time.perf_counter()
            try:
                call(n, q)
                local.append((time.perf_counter() - t0) * 1000)
            except Exception as exc:  # counted and sampled, never fatal to the run
                errors.append(f"{type(exc).__name__}: {exc}"[:200])
        with lock:
            run.latencies_ms.extend(local)
            run.requests += len(local) + len(errors)
            run.errors += len(errors)
            run.error_samples.extend(errors[: 5 - len(run.error_samples)])

    threads = [threading.Thread(target=client, args=(n,)) for n in range(run.clients)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    run.seconds = time.monotonic() - start


class Server:
    """``vnsearch serve`` on a free 127.0.0.1 port, stopped with SIGTERM."""

    def __init__(self, index: Path, workers: int) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.proc = subprocess.Popen([sys.executable, "-m", "vnsearch.cli", "serve", "-d", str(index),
                                      "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(workers)],
                                     env=env, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 120
        while True:
            if self.proc.poll() is not None:
                raise SystemExit(f"serve exited: {self.proc.communicate()[1]}")
            try:
                if self.get("/health")[0] == 200:
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise SystemExit("serve did not answer /health in 120 s")
            time.sleep(0.2)

    def get(self, path: str, conn: http.client.HTTPConnection | None = None) -> tuple[int, bytes]:
        c = conn or http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        c.request("GET", path)
        r = c.getresponse()
        body = r.read()
        if conn is None:
            c.close()
        return r.status, body

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        return self.proc.wait()


def http_search(server: Server, clients: int) -> Callable[[int, str], None]:
    conns = [http.client.HTTPConnection("127.0.0.1", server.port, timeout=60) for _ in range(clients)]

    def call(n: int, q: str) -> None:
        status, body = server.get("/search?" + urllib.parse.urlencode({"q": q, "limit": 10}), conns[n])
        if status != 200:
            raise RuntimeError(f"HTTP {status}: {body[:120]!r}")
    return call


def library_search(engine: SearchEngine) -> Callable[[int, str], None]:
    """The server's work without HTTP: the search, its suggestion and the hits' dicts (not JSON-encoded).

    All threads share the one engine, as the server's request threads do.
    """
    def call(n: int, q: str) -> None:
        results_dict(engine.search(q, limit=10))
    return call


class IndexRun:
    """``vnsearch index`` adding *records* (fresh ids) to *index* in another process."""

    def __init__(self, index: Path, records: list[dict[str, Any]], tag: str, workdir: Path) -> None:
        self.ids = [f"serve-load-{tag}-{r['id']}" for r in records]
        path = workdir / f"add-{tag}.jsonl"
        with path.open("w", encoding="utf-8") as fh:
            for new_id, r in zip(self.ids, records):
                fh.write(json.dumps({**r, "id": new_id}, ensure_ascii=False) + "\n")
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.proc = subprocess.Popen([sys.executable, "-m", "vnsearch.cli", "index", str(path), "-d", str(index),
                                      "-q", "-j", "1", "--wait", "600"], env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def finish(self, timeout: float) -> str:
        out, err = self.proc.communicate(timeout=timeout)
        if self.proc.returncode != 0:
            raise SystemExit(f"vnsearch index failed ({self.proc.returncode}): {err.strip()}")
        return out.strip()


def measure(scenario: str, target: str, args: argparse.Namespace, queries: list[str], index: Path,
            writes: list[dict[str, Any]] | None, workdir: Path) -> Run:
    run = Run(scenario, target, args.clients)
    server = Server(index, args.workers) if target == "http" else None
    engine = SearchEngine(index, create=False) if target == "library" else None
    try:
        if server is not None:
            call = http_search(server, args.clients)
        else:
            assert engine is not None
            call = library_search(engine)
        call(0, queries[0])  # warm: the first search loads the index's arrays
        indexer = IndexRun(index, writes, target, workdir) if writes else None
        if indexer:
            time.sleep(1.0)  # let it start writing
        drive(run, call, queries, args.seconds, args.max_requests)
        if indexer:
            summary = indexer.finish(timeout=args.write_timeout)
            run.written = int(summary.split()[0]) if summary[:1].isdigit() else None
            run.expected_writes = len(indexer.ids)
            if server is not None:
                quote = urllib.parse.quote
                missing = [i for i in indexer.ids if server.get("/articles/" + quote(i, safe=""))[0] != 200]
            else:
                assert engine is not None
                missing = [i for i in indexer.ids if engine.get(i) is None]
            run.lost_writes = len(missing)
    finally:
        if server is not None:
            code = server.stop()
            if code != 0:
                run.error_samples.append(f"serve exited with {code}")
        if engine is not None:
            engine.close()
    return run


def table(runs: list[Run]) -> str:
    lines = ["| scenario | target | clients | req/s | p50 ms | p95 ms | p99 ms | errors | lost writes |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in runs:
        s = r.summary()
        lost = "–" if s["lost_writes"] is None else f"{s['lost_writes']} of {r.expected_writes}"
        lines.append(f"| {r.scenario} | {r.target} | {r.clients} | {s['rps']} | {s['p50_ms']} | {s['p95_ms']} | "
                     f"{s['p99_ms']} | {r.errors} of {r.requests} | {lost} |")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--index", type=Path, required=True, help="an existing index (the articles are added and "
                    "deleted again in the writing scenario)")
    ap.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus" / "news.jsonl.gz",
                    help="JSON Lines (gz) for the headlines of the query mix and the articles written")
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--seconds", type=float, default=60.0, help="per measurement (bounded by --max-requests)")
    ap.add_argument("--max-requests", type=int, default=200_000, help="per measurement")
    ap.add_argument("--queries", type=int, default=200, help="size of the fixed query mix")
    ap.add_argument("--write-articles", type=int, default=1000, help="added by `vnsearch index` while searching")
    ap.add_argument("--write-from", type=int, default=-1,
                    help="corpus record the written articles start at (default: the last ones of the corpus)")
    ap.add_argument("--write-timeout", type=float, default=3600.0, help="seconds to wait for an index run")
    ap.add_argument("--workers", type=int, default=1, help="vnsearch serve --workers")
    ap.add_argument("--scenarios", default="alone,writing")
    args = ap.parse_args()
    if not (1 <= args.clients <= 256 and 0 < args.seconds <= 3600 and 0 < args.max_requests <= 10_000_000):
        ap.error("--clients 1..256, --seconds up to 3600, --max-requests up to 10,000,000")

    mix = query_mix(headlines(args.corpus, args.queries * 3), args.queries)
    writes: list[dict[str, Any]] = []
    if "writing" in args.scenarios:
        start = args.write_from
        if start < 0:
            with gzip.open(args.corpus, "rt", encoding="utf-8") as fh:
                start = max(0, sum(1 for _ in fh) - args.write_articles)
        writes = headlines(args.corpus, args.write_articles, start)
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="serve-load-") as tmp:
        try:
            for scenario in args.scenarios.split(","):
                for target in ("http", "library"):
                    print(f"{scenario} / {target}: {args.clients} clients, {args.seconds:g} s…", file=sys.stderr)
                    runs.append(measure(scenario, target, args, mix, args.index,
                                        writes if scenario == "writing" else None, Path(tmp)))
        finally:
            if writes:  # leave the index as it was found
                engine = SearchEngine(args.index, create=False, wait=600)
                engine.delete(f"serve-load-{t}-{r['id']}" for t in ("http", "library") for r in writes)
                engine.close()
    report = table(runs)
    print(report)
    for r in runs:
        if r.error_samples:
            print(f"{r.scenario}/{r.target} errors: {r.error_samples}")
    by = {(r.scenario, r.target): r.summary() for r in runs}
    for scenario in args.scenarios.split(","):
        h, lib = by.get((scenario, "http")), by.get((scenario, "library"))
        if h and lib and lib["rps"]:
            print(f"{scenario}: HTTP throughput {h['rps'] / lib['rps']:.0%} of the library's; "
                  f"p99/p50 over HTTP {h['p99_ms'] / h['p50_ms']:.1f}")
    OUT.mkdir(parents=True, exist_ok=True)
    with (OUT / "serve_load.json").open("w") as fh:
        json.dump({"config": {k: str(v) for k, v in vars(args).items()}, "cpus": os.cpu_count(),
                   "runs": [r.summary() for r in runs]}, fh, indent=1, ensure_ascii=False)
    return 0 if all(r.errors == 0 and not r.lost_writes for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
