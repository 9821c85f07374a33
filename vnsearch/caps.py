"""The documented caps on what one input may cost, in one place for the CLI, the library and the server.

Each cap bounds the work of one call whatever the input holds; where input
is cut to a cap, the caller is told (a ``warning:`` line from the CLI, a
field of the JSON, an attribute of the result), never silently.

This module imports nothing from vnsearch, so every layer may read it.
"""

from __future__ import annotations

__all__ = [
    "QUERY_CHARS",
    "MAX_MARKS",
    "SNIPPET_SCAN_CHARS",
    "PROXIMITY_POSITIONS",
    "SIMILAR_CHARS",
    "RECORD_BYTES",
    "DOCUMENT_BYTES",
    "ARTICLE_CHARS",
    "ANALYSED_CHARS",
]

# A query (search, restore, the server's q and text) is read up to this many
# characters; the CLI and the library cut a longer one and say so, the server
# answers 414. Restoring 2,000 characters takes ~0.4 s on a 300-article index.
QUERY_CHARS = 2000

# Combining marks kept after one character (Unicode's Stream-Safe Text Format
# allows 30; Vietnamese needs two). Longer runs are dropped when text is
# prepared for indexing or searching and when it is printed.
MAX_MARKS = 30

# Snippets and highlighting read at most this many characters of a zone (title,
# lead, body): a match further into a longer article is still found and ranked,
# but its snippet is taken from this window. The longest body of the 34,924
# articles of the shared corpus has 36,797 characters (99.9% have under
# 14,000), so real news is read whole; a million-character article costs a
# snippet ~0.04 s instead of ~1 s.
SNIPPET_SCAN_CHARS = 40_000

# Proximity (syllables standing together earn a bonus) looks at the first this
# many positions of each query syllable in each candidate article. Phrase
# matching ("quoted") still reads every position: it must be exact.
PROXIMITY_POSITIONS = 4096

# `similar` reads this many characters of an article (and of each candidate,
# to leave near-duplicates out) to choose its distinctive syllables.
SIMILAR_CHARS = 200_000

# Input (vnsearch.ingest.reading): a record read is at most this many bytes, one
# JSON Lines line, one .txt article file, one element of a .json array (counted
# in characters there). A longer one is skipped with a warning naming the file
# and line, and dropped as it is read, never held: a 50 MB line took 2.16 GB.
RECORD_BYTES = 16 * 1024 * 1024

# A file read whole (a .json array, also one on standard input, an RSS or Atom
# feed) is at most this many bytes; a larger one is skipped with a warning.
# JSON Lines have no such limit: they are read a line at a time.
DOCUMENT_BYTES = 512 * 1024 * 1024

# An article's text fields together hold at most this many characters (news
# articles rarely pass 50,000: the corpus's longest body has 36,797); a longer
# one is skipped with a warning naming its file and line, in the library too.
# Indexing a 20-million-character body took 1.24 GB (the probe of issue 14).
ARTICLE_CHARS = 2_000_000

# Segmenting costs seconds per million characters, so a zone longer than this
# is stored whole but only its first this many characters are indexed
# (searchable); the indexer warns about such articles
# (vnsearch.store.indexing.MAX_ANALYSED_CHARS), and snippets look no further.
ANALYSED_CHARS = 1_000_000
