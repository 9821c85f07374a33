"""Storage: the only package that imports Whoosh, and the only owner of the byte format.

The field schema, the codec, every byte layout (:mod:`.format` describes them and
holds ``FORMAT_VERSION``), the bulk writer, commits and the write lock, the merge,
and the read-only :class:`~vnsearch.store.snapshot.Snapshot` that search works on.

Importing the package restricts every unpickling of Whoosh's to the format's
own classes (:mod:`.unpickle`), before any index can be opened.
"""

from vnsearch.store import unpickle as _unpickle

_unpickle.install()
