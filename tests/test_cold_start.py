"""A `vnsearch search` process loads only what a search needs (issue 17: a cold search's CPU).

No timing here (a shared machine makes timed tests flaky): what keeps the cold
process cheap is checked as what it imports. Each search runs in a new
process, as a user's command does, and reports at exit which modules it
loaded, its environment's BLAS setting and its thread count; the figures
themselves are measured by bench/cold_cli.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Run as the installed `vnsearch` script does (the package's own main); at exit
# the process prints what it loaded as the last line of stderr.
_PROBE = """
import atexit, functools, gc, json, os, sys
def _report():
    whoosh_reading = sys.modules.get("whoosh.reading")
    print(json.dumps({
        "modules": sorted(sys.modules),
        "blas": os.environ.get("OPENBLAS_NUM_THREADS"),
        "threads": len(os.listdir("/proc/self/task")) if os.path.isdir("/proc/self/task") else None,
        "functools_cached_property": whoosh_reading is not None
            and whoosh_reading.cached_property is functools.cached_property,
        "cached_property_module": getattr(sys.modules.get("cached_property"), "__file__", None),
        "urllib_request_module": getattr(sys.modules.get("urllib.request"), "__file__", None),
        "gc_enabled": gc.isenabled(),
        "gc_frozen": gc.get_freeze_count(),
    }), file=sys.stderr)
atexit.register(_report)
from vnsearch.cli import main
sys.exit(main())
"""

# Modules a search must not load: the server stack, Dask, the word segmenter
# (its model, and the CRF code that runs it), Whoosh's query language and
# searcher, indexing (worker processes), input reading, merging, checking, and
# the standard-library stacks Whoosh imports for nothing a search runs, and numpy.ma
# (np.unique imports it on its first call: ~10 ms).
FORBIDDEN = [
    "vnsearch.server", "starlette", "uvicorn", "jinja2",
    "vnsearch.cluster", "dask", "distributed", "vnsearch.search.sharded",  # (an index of one shard)
    "underthesea", "underthesea_core", "vnsearch.lang.crf",
    "whoosh.qparser", "whoosh.query", "whoosh.searching", "whoosh.writing",
    "vnsearch.store.indexing", "vnsearch.store.updates", "vnsearch.store.merge", "vnsearch.store.dump",
    "vnsearch.store.verify", "multiprocessing", "concurrent.futures.process",
    "vnsearch.ingest.articles", "vnsearch.ingest.dates", "feedparser", "email.utils",
    "numpy.random", "numpy.ma",
    "asyncio", "urllib.request", "http.client", "ssl",
]


def _search(index: Path, *args: str, env: dict[str, str] | None = None) -> tuple[subprocess.CompletedProcess[str],
                                                                                   dict[str, object]]:
    run_env = {k: v for k, v in os.environ.items()
               if k not in ("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS")}
    run_env["PYTHONPATH"] = str(ROOT)
    run_env.update(env or {})
    proc = subprocess.run([sys.executable, "-c", _PROBE, "search", "-d", str(index), *args],
                          capture_output=True, text=True, env=run_env, cwd="/", timeout=120)
    assert proc.returncode in (0, 1), proc.stderr
    report = json.loads(proc.stderr.strip().splitlines()[-1])
    return proc, report


def _loaded(report: dict[str, object], name: str) -> bool:
    modules = report["modules"]
    assert isinstance(modules, list)
    return any(m == name or m.startswith(name + ".") for m in modules)


@pytest.mark.parametrize("query", [
    ["trí", "tuệ", "nhân", "tạo"],  # with diacritics
    ["tri", "tue", "nhan", "tao"],  # without: the suggestion (restoration) path too
    ["khowir", "nghieepj"],  # Telex typed with the input method off: the query-reading path
    ['"Quảng Đông"', "-Alibaba"],  # a phrase and an exclusion
])
def test_a_search_loads_no_module_it_does_not_need(seed_index_dir, query):
    proc, report = _search(seed_index_dir, *query)
    loaded = [name for name in FORBIDDEN if _loaded(report, name)]
    assert loaded == [], f"a search loaded {loaded}"
    assert _loaded(report, "numpy") and _loaded(report, "whoosh.reading")  # the probe saw a real search


def test_json_output_loads_no_article_reader(seed_index_dir):
    proc, report = _search(seed_index_dir, "--json", "Quảng Đông")
    assert proc.stdout.strip() and json.loads(proc.stdout.splitlines()[0])["id"]
    loaded = [name for name in FORBIDDEN if _loaded(report, name)]
    assert loaded == [], f"a --json search loaded {loaded}"


def test_one_blas_thread_unless_the_user_chose(seed_index_dir):
    _, report = _search(seed_index_dir, "Quảng Đông")
    assert report["blas"] == "1"
    if report["threads"] is not None:
        assert report["threads"] == 1  # no OpenBLAS worker threads
    _, report = _search(seed_index_dir, "Quảng Đông", env={"OPENBLAS_NUM_THREADS": "2"})
    assert report["blas"] == "2"
    _, report = _search(seed_index_dir, "Quảng Đông", env={"OMP_NUM_THREADS": "2"})
    assert report["blas"] is None  # OMP_NUM_THREADS set: OpenBLAS reads that


def test_the_program_freezes_what_it_imported_and_keeps_the_collector_on(seed_index_dir):
    _, report = _search(seed_index_dir, "Quảng Đông")
    assert report["gc_enabled"] is True
    assert isinstance(report["gc_frozen"], int) and report["gc_frozen"] > 10_000  # the modules, frozen


def test_importing_the_cli_leaves_the_collector_as_it_was():
    """A program that imports vnsearch.cli (tests do) keeps its collector: on, or off if it was off; nothing frozen."""
    probe = ("import gc, sys\nwas = sys.argv[1] == 'on'\nif not was:\n    gc.disable()\n"
             "import vnsearch.cli\n"
             "assert gc.isenabled() is was, gc.isenabled()\nassert gc.get_freeze_count() == 0\n")
    for state in ("on", "off"):
        proc = subprocess.run([sys.executable, "-c", probe, state], capture_output=True, text=True, cwd="/",
                              env=dict(os.environ, PYTHONPATH=str(ROOT)), timeout=120)
        assert proc.returncode == 0, proc.stderr


def test_whooshs_stand_ins_are_gone_after_the_import(seed_index_dir):
    """The CLI imports Whoosh with stand-ins for two modules; afterwards the real ones import as usual."""
    _, report = _search(seed_index_dir, "Quảng Đông")
    assert report["functools_cached_property"]  # whoosh.reading was given functools' cached_property
    assert report["cached_property_module"] is None and report["urllib_request_module"] is None
    probe = ("import sys\nfrom vnsearch import cli\nimport urllib.request, cached_property\n"
             "from whoosh import compat\n"
             "assert urllib.request.__file__ and callable(urllib.request.urlopen)\n"
             "assert cached_property.__file__ and hasattr(cached_property, 'threaded_cached_property')\n"
             "assert compat.urlretrieve is cli._lazy_urlretrieve\n")
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd="/",
                          env=dict(os.environ, PYTHONPATH=str(ROOT)), timeout=120)
    assert proc.returncode == 0, proc.stderr


def test_the_library_import_is_lazy_and_leaves_blas_alone():
    probe = ("import os, sys\nimport vnsearch\nassert 'numpy' not in sys.modules, 'numpy'\n"
             "assert 'vnsearch.engine' not in sys.modules\n"
             "from vnsearch import SearchEngine, IndexBusy, load_path\n"
             "assert SearchEngine.__module__ == 'vnsearch.engine' and callable(load_path)\n"
             "assert 'SearchEngine' in dir(vnsearch)\n"
             "assert os.environ.get('OPENBLAS_NUM_THREADS') is None\n"
             "try:\n    vnsearch.NoSuchName\nexcept AttributeError:\n    pass\nelse:\n    raise SystemExit(1)\n")
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd="/",
                          env=dict(env, PYTHONPATH=str(ROOT)), timeout=120)
    assert proc.returncode == 0, proc.stderr


def test_the_kept_nonstarter_class_is_what_unicodedata_builds():
    from vnsearch.lang import text

    if unicodedata.unidata_version == "14.0.0":
        assert text._NONSTARTER_14 == text._nonstarter_class()
    assert text._NONSTARTER == text._nonstarter_class()


def test_minhash_salts_unchanged():
    """Made on first use now; the same salts as before (signatures are stored in indexes)."""
    import numpy as np

    from vnsearch.store import signature

    rng = np.random.default_rng(20261122)
    expected = rng.integers(0, np.iinfo(np.uint64).max, size=32, dtype=np.uint64, endpoint=True)
    assert np.array_equal(signature._salts(), expected)


@pytest.mark.parametrize("version", ["v7", "v8", "v9", "seeds"])
def test_a_fields_terms_read_from_the_blocks_are_whooshs(version, seed_index_dir, tmp_path):
    """Snapshot.lexicon / term_frequencies read the term table's blocks; Whoosh's reader gives the same."""
    import shutil

    from vnsearch import SearchEngine

    source = seed_index_dir if version == "seeds" else ROOT / "tests" / "fixtures" / version / "index"
    shutil.copytree(source, tmp_path / "ix")
    with SearchEngine(tmp_path / "ix", create=False) as engine, engine._reading() as view:
        snapshot = view.snapshot
        for field in ("text_f", "text", "title_f", "id"):
            fast = (list(snapshot.term_frequencies(field)), snapshot.lexicon(field))
            assert snapshot._field_frequencies(field) is not None  # the fast path was taken
            reader = snapshot._reader
            slow = ([(t.decode("utf-8"), int(info.doc_frequency())) for t, info in reader.iter_field(field)],
                    [t.decode("utf-8") for t in reader.lexicon(field)])
            assert fast == slow and fast[0], field


def test_a_segments_files_are_read_in_place(seed_index_dir, monkeypatch):
    """Opening an index and searching it copies no segment file into memory: no BytesIO of a mapped file."""
    import io

    from whoosh.filedb import structfile

    from vnsearch import SearchEngine
    from vnsearch.store import files

    copied: list[int] = []

    class CountingBytesIO(io.BytesIO):
        def __init__(self, initial: bytes | memoryview = b"") -> None:
            if isinstance(initial, memoryview):  # a view of the mapped segment file
                copied.append(len(initial))
            super().__init__(initial)

    monkeypatch.setattr(structfile, "BytesIO", CountingBytesIO)  # Whoosh's BufferFile
    monkeypatch.setattr(files.io, "BytesIO", CountingBytesIO)  # ViewFile's stream, made only if asked for
    with SearchEngine(seed_index_dir, create=False) as engine:
        hits = engine.search("Quảng Đông")
        assert hits and engine.get(hits[0].id) is not None
    assert copied == []


def test_a_view_file_reads_as_a_stream_too():
    from vnsearch.store.files import ViewFile

    data = bytes(range(256)) * 4
    f = ViewFile(memoryview(data)[10:100], name="x")
    assert f.get(0, 5) == data[10:15] and f.get_byte(3) == data[13]
    assert f._stream is None  # nothing copied for reads by position
    f.seek(5)
    assert f.read(3) == data[15:18] and f.tell() == 8
    f.close()
    assert f.is_closed
    g = ViewFile(memoryview(data), name="y")
    g.close()  # closing a file never read as a stream makes no stream
    assert g._stream is None
