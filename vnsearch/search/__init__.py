"""Search over a read-only snapshot: query parsing, scoring, collecting, highlighting.

Everything here reads through :class:`vnsearch.store.snapshot.Snapshot` and never
touches Whoosh itself.
"""
