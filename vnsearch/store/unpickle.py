"""Unpickling that can never run code: every pickle read from an index goes through here.

Why: the table of contents (Whoosh's schema and segment list), the compound
file directory of older segments, stored fields, inline postings and posting
block headers of formats 7 and 8 are Python pickles, and ``pickle.loads``
calls whatever callable a pickle names. An index received from anywhere
could run ``os.system`` when opened. :class:`SafeUnpickler` resolves only
the exact classes and functions the format uses (:func:`allowed`; built from
:data:`vnsearch.store.format.PICKLED_CLASSES` and Whoosh's own, see
:data:`WHOOSH_CLASSES`), and refuses anything else with
``pickle.UnpicklingError`` before it is imported, let alone called; the
damage guard (:mod:`vnsearch.store.damage`) reports that as a damaged index.

Whoosh unpickles in several places of its own (``whoosh.index`` reading the
table of contents, ``StructFile.read_pickle`` under the compound file
directory and column headers, ``whoosh.codec.whoosh3`` for term infos and
blocks, ``whoosh.columns``): :func:`install` points each of those at the
restricted functions. It runs when :mod:`vnsearch.store` is imported, before
any index can be opened, and only this package imports Whoosh.
"""

from __future__ import annotations

import codecs
import importlib
import io
import pickle
from collections.abc import Callable
from functools import cache
from types import SimpleNamespace
from typing import IO, Any

__all__ = ["SafeUnpickler", "loads", "load", "install", "allowed", "WHOOSH_CLASSES"]

# Whoosh's classes that the table of contents pickles (the schema's fields,
# formats, analyzers and columns; the segment class), pinned with
# whoosh-reloaded==2.7.5.
WHOOSH_CLASSES = (
    "whoosh.fields.Schema",
    "whoosh.fields.ID",
    "whoosh.fields.STORED",
    "whoosh.fields.COLUMN",
    "whoosh.formats.Existence",
    "whoosh.columns.FixedBytesColumn",
    "whoosh.columns.VarBytesColumn",
    "whoosh.analysis.analyzers.CompositeAnalyzer",
    "whoosh.analysis.tokenizers.IDTokenizer",
    "whoosh.analysis.tokenizers.RegexTokenizer",
    "whoosh.analysis.filters.LowercaseFilter",
    "whoosh.codec.whoosh3.W3Segment",
    "whoosh.codec.whoosh3.W3Codec",  # segments written by Whoosh's own codec (still read and merged)
)
# Plain values, and the two helpers Python's own pickles of the schema name:
# re._compile (a tokenizer's compiled pattern) and collections.defaultdict
# (a segment's per-field lengths, with int as its factory).
_BUILTINS = ("list", "dict", "tuple", "set", "frozenset", "bytes", "bytearray", "int", "float", "str",
             "bool", "complex")


@cache
def allowed() -> tuple[frozenset[tuple[str, str]], dict[str, str]]:
    """The (module, name) pairs a pickle may name, and the old module paths mapped to new ones.

    (Built on first use: :mod:`vnsearch.store.format`, which holds
    ``PICKLED_CLASSES``, reads its own pickles through this module.)
    """
    from vnsearch.store.format import LEGACY_MODULES, PICKLED_CLASSES

    pairs = [path.rsplit(".", 1) for path in PICKLED_CLASSES + WHOOSH_CLASSES]
    names = frozenset([(module, name) for module, name in pairs]
                      + [("builtins", name) for name in _BUILTINS]
                      + [("collections", "defaultdict"), ("collections", "OrderedDict"), ("re", "_compile")])
    return names, dict(LEGACY_MODULES)


def _latin1_encode(text: str, encoding: str = "utf-8", errors: str = "strict") -> bytes:
    """``_codecs.encode`` as protocol-2 pickles use it for bytes (latin-1), and nothing else."""
    if encoding.replace("-", "").replace("_", "").lower() != "latin1" or not isinstance(text, str):
        raise pickle.UnpicklingError(f"refusing _codecs.encode with {encoding!r}")
    return codecs.encode(text, "latin-1", errors)


class SafeUnpickler(pickle.Unpickler):
    """An unpickler that resolves only :func:`allowed` names (old module paths mapped to new ones)."""

    def find_class(self, module: str, name: str) -> Any:
        if module == "_codecs" and name == "encode":
            return _latin1_encode
        names, legacy = allowed()
        module = legacy.get(module, module)
        if (module, name) not in names:
            raise pickle.UnpicklingError(f"the index names {module}.{name}, which is not part of the format")
        return getattr(importlib.import_module(module), name)

    def persistent_load(self, pid: Any) -> Any:
        raise pickle.UnpicklingError("persistent ids are not part of the format")


class _Buffer(io.BytesIO):
    """The bytes of one pickle, as a file the unpickler can look ahead in.

    Why: an unpickler reading a file without ``peek`` asks it for each
    opcode and each argument apart (a pickle of protocol 3, as the stored
    articles are, has no frames): a stored article's ~90 reads cost a third
    of unpickling it. With ``peek`` it takes the rest of the bytes at once.
    """

    def peek(self, size: int = 0) -> bytes:
        return self.getvalue()[self.tell():]


def loads(data: bytes | bytearray | memoryview, **_: Any) -> Any:
    """``pickle.loads`` restricted to the format's classes."""
    return SafeUnpickler(_Buffer(data)).load()


def load(file: IO[bytes], **_: Any) -> Any:
    """``pickle.load`` restricted to the format's classes."""
    return SafeUnpickler(file).load()


def install() -> None:
    """Point every unpickling of Whoosh's at :func:`loads` / :func:`load` (idempotent)."""
    from whoosh import columns, compat, index
    from whoosh.codec import whoosh3
    from whoosh.filedb import compound, fileindex, filetables, structfile

    safe_pickle = SimpleNamespace(loads=loads, load=load, dumps=pickle.dumps, dump=pickle.dump,
                                  PicklingError=pickle.PicklingError, UnpicklingError=pickle.UnpicklingError)
    patches: list[tuple[Any, str, Callable[..., Any] | SimpleNamespace]] = [
        (index, "pickle", safe_pickle),
        (fileindex, "pickle", safe_pickle),
        (structfile, "load_pickle", load),
        (whoosh3, "loads", loads),
        (columns, "loads", loads),
        # And at the source, for any Whoosh module imported later (``from whoosh.compat import loads``).
        (compat, "loads", loads),
        (compat, "load", load),
    ]
    for module, name, value in patches:
        if hasattr(module, name):
            setattr(module, name, value)
    # Tables of contents older than Whoosh 2.x (version -110) were read with an
    # unrestricted unpickler of their own; vnsearch never wrote one.
    index.toc_loaders = {}
    del compound, filetables  # both read pickles through StructFile.read_pickle (structfile's load_pickle)
