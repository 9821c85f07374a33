"""Reading articles from files: plain text, JSON Lines; what a bad record is.

Knows no index: it turns input into :class:`~vnsearch.ingest.articles.Article`
objects and warnings that name the file and line.
"""
