"""Running the app under uvicorn: one process, or ``workers`` processes each opening the index."""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Generator
from pathlib import Path
from types import FrameType

import uvicorn

from vnsearch.server.app import ENV_INDEX, ENV_TOKEN, create_app

_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class _Server(uvicorn.Server):
    """uvicorn's server, except that Ctrl-C and SIGTERM end in a clean exit (status 0).

    uvicorn re-raises the stopping signal after its graceful shutdown, so the
    process dies of it (status -15, or a KeyboardInterrupt). Stopping on
    request is not a failure: in-flight requests were answered and the index
    closed, so the command exits 0.
    """

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        previous = {sig: signal.signal(sig, self._stop) for sig in _STOP_SIGNALS}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _stop(self, sig: int, frame: FrameType | None) -> None:
        self.handle_exit(sig, frame)


def serve(index_dir: Path, host: str, port: int, workers: int = 1, token: str | None = None,
          access_log: bool = False) -> None:
    """Serve until stopped. Several workers get the index and token through the environment."""
    options = {"host": host, "port": port, "log_level": "warning", "access_log": access_log,
               "timeout_graceful_shutdown": 10}
    if workers > 1:
        os.environ[ENV_INDEX] = str(index_dir)
        if token:
            os.environ[ENV_TOKEN] = token
        uvicorn.run("vnsearch.server.app:app_from_env", factory=True, workers=workers, **options)  # type: ignore[arg-type]
    else:
        _Server(uvicorn.Config(create_app(index_dir, token), **options)).run()  # type: ignore[arg-type]
