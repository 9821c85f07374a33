"""A Dask client for ``--cluster``: a scheduler's address, or ``local`` (a cluster on this machine)."""

from __future__ import annotations

import logging
from typing import Any

__all__ = ["connect", "Connection", "LOCAL_WORKERS"]

LOCAL_WORKERS = 2


class Connection:
    """A Dask client and, for ``local``, the cluster it started (closed with it)."""

    def __init__(self, client: Any, cluster: Any = None, owned: bool = True) -> None:
        self.client = client
        self.cluster = cluster
        self.owned = owned

    def close(self) -> None:
        if not self.owned:
            return
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def connect(cluster: Any, workers: int = LOCAL_WORKERS) -> Connection:
    """A connection to *cluster*: ``"local"``, ``"tcp://HOST:8786"``, or a ``distributed.Client`` (kept open).

    ``local`` starts *workers* worker processes of one thread each, bound to
    127.0.0.1 only, without a dashboard. Raises a one-line error without
    the ``vnsearch[cluster]`` extra.
    """
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - depends on the extra
        raise RuntimeError("a cluster needs Dask: pip install 'vnsearch[cluster]'") from exc
    if isinstance(cluster, Client):
        return Connection(cluster, owned=False)
    if cluster == "local":
        local = LocalCluster(host="127.0.0.1", n_workers=workers, threads_per_worker=1,
                             dashboard_address="127.0.0.1:0", processes=True, silence_logs=logging.ERROR)
        return Connection(Client(local), local)
    if not isinstance(cluster, str) or "://" not in cluster:
        raise ValueError(f"--cluster takes 'local' or a scheduler address like tcp://HOST:8786, not {cluster!r}")
    return Connection(Client(cluster, timeout=30))
