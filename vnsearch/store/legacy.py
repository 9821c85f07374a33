"""Old module paths that indexes already on disk name in their pickles.

Whoosh pickles the schema (and each segment's codec) into the table of
contents, so every index written before the storage package existed names
``vnsearch.codec`` and ``vnsearch.schema`` classes. Unpickling imports those
paths; this makes them resolve to the modules that now hold the classes,
without keeping modules at the old paths. New indexes name the new paths
(:data:`vnsearch.store.format.PICKLED_CLASSES` lists the classes the format
depends on, :data:`~vnsearch.store.format.LEGACY_MODULES` the old paths).
"""

from __future__ import annotations

import importlib
import sys

from vnsearch.store.format import LEGACY_MODULES

__all__ = ["install", "LEGACY_MODULES"]


def install() -> None:
    """Make the old module paths importable (idempotent)."""
    for old, new in LEGACY_MODULES.items():
        sys.modules.setdefault(old, importlib.import_module(new))


install()
