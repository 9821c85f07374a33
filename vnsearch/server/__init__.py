"""``vnsearch serve``: the library over HTTP, as a JSON API and a search page.

A thin shell over :class:`vnsearch.SearchEngine`: every endpoint is one
library call with the same option names. Nothing here is imported by
``import vnsearch`` or by the other commands, so they stay fast to start;
the server imports the engine, never the reverse.
"""

from vnsearch.server.app import create_app
from vnsearch.server.limits import LIMITS, Limits

__all__ = ["create_app", "LIMITS", "Limits"]
