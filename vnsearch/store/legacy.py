"""Old module paths that indexes already on disk name in their pickles.

Whoosh pickles the schema into the table of contents, so every index written
before the storage package existed names ``vnsearch.codec`` and
``vnsearch.schema`` classes. Unpickling imports those paths; this makes them
resolve to the modules that now hold the classes, without keeping modules at
the old paths. New indexes name the new paths.
"""

from __future__ import annotations

import sys

from vnsearch.store import codec, schema

LEGACY_MODULES = {"vnsearch.codec": codec, "vnsearch.schema": schema}


def install() -> None:
    """Make the old module paths importable (idempotent)."""
    for name, module in LEGACY_MODULES.items():
        sys.modules.setdefault(name, module)


install()
