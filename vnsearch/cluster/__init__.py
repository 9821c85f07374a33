"""Running a sharded index on Dask distributed (the ``vnsearch[cluster]`` extra).

Nothing here is imported unless a cluster is asked for (``--cluster``,
``SearchEngine(dir, cluster=…)``), so vnsearch without the extra never
imports Dask. :mod:`~vnsearch.cluster.connect` makes the client,
:mod:`~vnsearch.cluster.search` fans queries out to workers keeping their
shards open, :mod:`~vnsearch.cluster.indexing` sends raw article batches to
one writer per shard.
"""
