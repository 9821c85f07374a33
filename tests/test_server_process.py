"""The real ``vnsearch serve``: started on 127.0.0.1 on a free port, asked, and stopped with SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.server_corpus import build

pytest.importorskip("uvicorn", reason="vnsearch serve needs uvicorn (pip install -e .)")


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("serve") / "ix")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def get(url: str, timeout: float = 30) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


@contextmanager
def serving(index: Path, *args: str) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """``vnsearch serve`` on a free port, up once ``/health`` answers; SIGTERM at the end."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "vnsearch.cli", "serve", "-d", str(index), "--port", str(port),
                             *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, proc.communicate()[1]
            try:
                if get(base + "/health", timeout=2)[0] == 200:
                    break
            except (OSError, ValueError):
                pass
            assert time.monotonic() < deadline, "the server did not answer /health within 60 s"
            time.sleep(0.2)
        yield base, proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def test_serve_answers_and_stops_on_sigterm(index: Path) -> None:
    with serving(index, "--token", "tok") as (base, proc):
        status, body = get(base + "/search?q=viet+nam&limit=3")
        assert status == 200 and len(body["hits"]) == 3 and body["suggestion"] == "việt nam"
        assert get(base + "/nope")[0] == 404
        request = urllib.request.Request(base + "/articles", method="POST", data=b'[{"id":"p1","title":"Tin"}]',
                                         headers={"Authorization": "Bearer tok"})
        with urllib.request.urlopen(request, timeout=60) as r:
            assert json.loads(r.read())["added"] == 1
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert f"on {base}/" in err and "Traceback" not in err


def test_serve_with_workers(index: Path) -> None:
    with serving(index, "--workers", "2") as (base, proc):
        for _ in range(4):
            status, body = get(base + "/search?q=viet+nam&limit=1")
            assert status == 200 and body["hits"]
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "Traceback" not in err


def test_serve_without_an_index_says_so(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-m", "vnsearch.cli", "serve", "-d", str(tmp_path / "none"),
                          "--port", str(free_port())], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and out.stderr.startswith("error:") and len(out.stderr.strip().splitlines()) == 1
