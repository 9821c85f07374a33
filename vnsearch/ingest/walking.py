"""Walking an input directory: what is read, what is left out, and how many of each.

A news folder is often a project folder too: ``vnsearch index .`` must not
read ``vnsearch.egg-info/SOURCES.txt`` or ``.git`` as articles.  Hidden
directories and build or tool folders are skipped whole; files of other types
are counted, so the user can see that nothing they meant was ignored.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from vnsearch.ingest.reading import special_kind

if TYPE_CHECKING:
    from vnsearch.ingest.articles import LoadWarning

__all__ = ["SKIPPED_DIRS", "Walk", "walk", "kind_of"]

# Folders no news lives in: version control, caches, build and packaging output, dependencies.
SKIPPED_DIRS = frozenset({"__pycache__", "node_modules", "build", "dist", "site-packages", "venv",
                          ".git", ".hg", ".svn", ".tox", ".venv", ".mypy_cache", ".pytest_cache", ".ruff_cache"})
_SKIPPED_SUFFIXES = (".egg-info", ".dist-info")
_KINDS = (".jsonl.gz", ".ndjson.gz", ".jsonl", ".ndjson", ".json", ".txt", ".xml", ".rss", ".atom")


@dataclass
class Walk:
    """The files a walk found to read, and counts of what it read and skipped, by kind."""

    files: list[Path] = field(default_factory=list)
    read: Counter[str] = field(default_factory=Counter)  # ".jsonl" -> 3
    skipped: Counter[str] = field(default_factory=Counter)  # ".md" -> 2, "hidden or build folder" -> 1

    def summary(self, root: str | os.PathLike[str]) -> str:
        """``seeds: read 12 files (10 .txt, 2 .jsonl); skipped 3 (2 .md, 1 hidden or build folder)``."""
        def listed(counts: Counter[str]) -> str:
            return ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

        text = f"{root}: read {sum(self.read.values())} file(s)"
        if self.read:
            text += f" ({listed(self.read)})"
        if self.skipped:
            text += f"; skipped {sum(self.skipped.values())} ({listed(self.skipped)})"
        return text


def kind_of(name: str) -> str | None:
    """The input kind of a file name (".jsonl.gz", ".txt", …), or None if not an input."""
    lower = name.lower()
    return next((kind for kind in _KINDS if lower.endswith(kind)), None)


def skipped_dir(name: str) -> bool:
    """A folder left out of a walk: hidden, or a build, cache or dependency folder."""
    return name.startswith(".") or name in SKIPPED_DIRS or name.endswith(_SKIPPED_SUFFIXES)


def walk(root: str | os.PathLike[str], on_warning: Callable[[LoadWarning], None] | None = None) -> Walk:
    """Every input file under *root*, in sorted order (stable ids and output), with counts.

    *root* itself is always walked, even if hidden; below it hidden and tool
    folders are skipped (each counted once as "hidden or build folder"), and so
    are hidden files, files of other types (counted by suffix) and files of an
    input type that are not regular files (FIFOs, devices; with a warning).
    """
    from vnsearch.ingest.articles import LoadWarning

    base = Path(root)
    result = Walk()

    def walk_error(e: OSError) -> None:
        if on_warning is not None:
            on_warning(LoadWarning(str(e.filename or base), None, f"cannot read directory: {e.strerror or e}"))

    found: list[Path] = []
    for dirpath, dirs, names in os.walk(base, onerror=walk_error):
        kept = [d for d in dirs if not skipped_dir(d)]
        if len(kept) < len(dirs):
            result.skipped["hidden or build folder"] += len(dirs) - len(kept)
        dirs[:] = kept
        for name in names:
            kind = kind_of(name)
            if name.startswith("."):
                result.skipped["hidden file"] += 1
            elif kind is None:
                result.skipped[Path(name).suffix.lower() or "no suffix"] += 1
            else:
                # A FIFO named *.jsonl would hang the load (holding the write lock), /dev/zero never end.
                file = Path(dirpath, name)
                try:
                    special = special_kind(file.stat().st_mode)
                except OSError:
                    special = None  # a broken symlink: reading it says so
                if special is not None:
                    result.skipped["not a regular file"] += 1
                    if on_warning is not None:
                        on_warning(LoadWarning(str(file), None, f"{special}, not a regular file; skipped"))
                    continue
                result.read[kind] += 1
                found.append(file)
    result.files = sorted(found, key=lambda p: p.relative_to(base).parts)
    return result
