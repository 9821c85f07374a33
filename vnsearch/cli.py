"""The ``vnsearch`` command: a thin layer over :class:`vnsearch.SearchEngine`.

Every command maps to one library call (shown in its help), prints results
for people on a terminal and plain text or JSON for pipes, and turns user
mistakes into a one-line message and exit code 2, never a traceback.

Exit codes: 0 found / done, 1 nothing found, 2 usage or input error.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import html
import importlib
import os
import signal
import sys
import threading
import time
import types
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

# -- a lean process: what a command costs before it does anything ----------------
#
# Every command is a new process, and most of a search's CPU used to go on
# imports. Two things are set up here, in the command's own process, before
# vnsearch imports numpy and Whoosh (the package's __init__ imports nothing);
# a program embedding vnsearch as a library is left as it is.

# OpenBLAS (under numpy) starts a thread per core when numpy is imported:
# about a third of numpy's import, 0.05-0.1 s of every command's CPU, for
# matrix products vnsearch never computes. One thread, unless the user chose
# (OPENBLAS_NUM_THREADS, GOTO_NUM_THREADS or OMP_NUM_THREADS set).
if not any(os.environ.get(name) for name in ("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS")):
    os.environ["OPENBLAS_NUM_THREADS"] = "1"

# Python's cycle collector runs every few hundred thousand allocations, and
# each full pass walks every object alive: importing numpy, Whoosh and
# vnsearch set off several, each over all the modules imported so far, and
# the passes at exit walk them all again (0.07-0.09 s of a search's CPU
# together). The modules' objects live as long as the process: the
# collector is off while they load, and the program (_Group.__call__)
# freezes them out of its walks (gc.freeze) before the command runs.
_GC_WAS_ON = gc.isenabled()
gc.disable()


def _lazy_urlretrieve(*args: Any, **kwargs: Any) -> Any:
    """``urllib.request.urlretrieve``, imported when called (Whoosh names it; vnsearch never calls it)."""
    return importlib.import_module("urllib.request").urlretrieve(*args, **kwargs)


@contextlib.contextmanager
def _without_whooshs_unused_imports() -> Iterator[None]:
    """Import Whoosh without the two standard-library stacks it imports and a search never runs.

    Whoosh 2.7's ``whoosh.compat`` imports ``urllib.request`` (for
    ``urlretrieve``: HTTP, SSL and the email package come with it) and
    ``whoosh.reading`` imports the ``cached_property`` package, which imports
    ``asyncio`` (for coroutine properties; Whoosh has one plain one): together
    ~0.04 s of a command's CPU. While the block runs, ``sys.modules`` holds
    stand-ins: a ``urllib.request`` whose ``urlretrieve`` imports the real
    one when called, and a ``cached_property`` that is the standard
    ``functools.cached_property`` (the same caching for a plain function).
    They are removed afterwards, so any later import gets the real modules.
    Only here, where the process is ours and single-threaded at import time;
    a name already imported is left alone.
    """
    url = types.ModuleType("urllib.request")
    url.urlretrieve = _lazy_urlretrieve  # type: ignore[attr-defined]
    cached = types.ModuleType("cached_property")
    cached.cached_property = functools.cached_property  # type: ignore[attr-defined]
    placed = {name: module for name, module in (("urllib.request", url), ("cached_property", cached))
              if name not in sys.modules}
    sys.modules.update(placed)
    try:
        yield
    finally:
        for name, module in placed.items():
            if sys.modules.get(name) is module:
                del sys.modules[name]


try:
    with _without_whooshs_unused_imports():
        from vnsearch import caps
        from vnsearch.errors import IndexNotFound, QueryError, VnsearchError
        from vnsearch.lang.text import printable
        from vnsearch.search.query import SORTS

        from .engine import DEFAULT_WAIT, SearchEngine, default_index_dir
finally:
    if _GC_WAS_ON:
        gc.enable()

if TYPE_CHECKING:
    from vnsearch.ingest.articles import LoadWarning
    from vnsearch.search.highlight import Snippet
    from vnsearch.search.results import SearchResults

# The other commands' modules (reading input files, exporting, checking, the
# server) are imported inside those commands: a search loads none of them.

EXIT_FOUND, EXIT_NOT_FOUND, EXIT_ERROR = 0, 1, 2


def safe(text: str) -> str:
    """Text from files, articles and users, as it may be printed: the one sanitiser of the CLI.

    :func:`vnsearch.lang.text.printable`: control characters, separators and
    bidirectional overrides shown escaped (``\\x1b``, ``\\u202e``), never sent
    raw; runs of combining marks cut. Every string the CLI prints that came
    from a user or an article passes through here (or :func:`_json`).
    """
    return printable(text)


def _json(obj: Any) -> str:
    """One JSON line with the same data, every character a terminal would act on written as a \\u escape."""
    from vnsearch.ingest.export import json_line

    return json_line(obj)


def _quoted(text: str) -> str:
    """A user's text quoted in a message, sanitised."""
    return "'" + safe(text) + "'"


class UserError(click.ClickException):
    """A mistake the user can fix: one line on stderr, exit code 2."""

    exit_code = EXIT_ERROR

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {safe(self.format_message())}", err=True)


def _say_cut(what: str, cut: int) -> None:
    """The warning that input was cut to the documented cap (vnsearch.caps), never done silently."""
    if cut:
        click.echo(f"warning: the {what} is {caps.QUERY_CHARS + cut:,} characters long; only its first "
                   f"{caps.QUERY_CHARS:,} were read", err=True)


def _say_waiting() -> None:
    click.echo("waiting for another process writing to the index…", err=True)


def _open(index_dir: Path | None, create: bool, rebuild: bool = False,
          wait: float | None = DEFAULT_WAIT, shards: int | None = None, cluster: str | None = None) -> SearchEngine:
    try:
        return SearchEngine(index_dir or default_index_dir(), create=create, rebuild=rebuild,
                            wait=wait, on_wait=_say_waiting, shards=shards, cluster=cluster)
    except IndexNotFound as exc:
        raise UserError(f"{exc}") from None
    except (VnsearchError, ValueError, RuntimeError) as exc:
        raise UserError(str(exc)) from None


cluster_option = click.option(
    "--cluster", metavar="ADDRESS", default=None,
    help="A sharded index's work on Dask: a scheduler address (tcp://HOST:8786) or 'local' (2 workers on "
         "127.0.0.1). Needs the vnsearch[cluster] extra.")


wait_option = click.option(
    "--wait", type=click.FloatRange(0), default=DEFAULT_WAIT, show_default=True, metavar="SECONDS",
    help="If another process is writing to the index, wait this long for it to finish.")

index_dir_option = click.option(
    "--index-dir", "-d", type=click.Path(file_okay=False, path_type=Path), envvar="VNSEARCH_INDEX",
    default=None, show_envvar=True,
    help="Index directory [default: ./index, or $VNSEARCH_INDEX].")


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the command is: it stops as Ctrl-C does (workers ended, lock let go)."""


def _on_sigterm(signum: int, frame: Any) -> None:
    raise _Terminated()


@contextlib.contextmanager
def _stopped_by_sigterm() -> Iterator[None]:
    """A writing command ends on SIGTERM as on Ctrl-C: its workers ended, its partial files deleted.

    Without a handler SIGTERM ends the process on the spot: the partial files
    stay until the next writer, and the workers until they notice.
    """
    previous = None
    if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        yield
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


_OWN_PROCESS = False  # set when the command runs as its process's program (see _Group.__call__)


def _ending() -> None:
    """A reading command's last step when it is the process: what it made need not be collected.

    The collector's passes at exit would walk the snapshot's caches and the
    results only to find them alive; frozen, they are let go with the
    process. Not when the command runs inside another program (tests,
    ``main.main(...)``), whose objects must stay collectable.
    """
    if _OWN_PROCESS:
        gc.freeze()


class _Group(click.Group):
    """Turns the failures a user can meet into one-line messages, not tracebacks."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """The ``vnsearch`` program (``main()``): the command is the process, which ends with it.

        What was imported lives until the process ends: frozen out of the
        collector's walks (see the top of this module). Only here: a program
        that runs a command inside itself (``main.main(...)``, tests) keeps
        its objects as they were.
        """
        global _OWN_PROCESS
        _OWN_PROCESS = True
        gc.freeze()
        return super().__call__(*args, **kwargs)

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True, **extra: Any) -> Any:
        """Click's main, with its usage errors said in one ``error:`` line (click prints four)."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.UsageError as exc:
            where = exc.ctx.command_path if exc.ctx is not None else "vnsearch"
            click.echo(f"error: {safe(exc.format_message())} (see: {where} --help)", err=True)
            sys.exit(EXIT_ERROR)
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("error: aborted", err=True)
            sys.exit(EXIT_ERROR)
        sys.exit(code if isinstance(code, int) else 0)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except _Terminated:
            click.echo("terminated; nothing after the last commit was saved", err=True)
            sys.exit(128 + signal.SIGTERM)
        except KeyboardInterrupt:
            click.echo("interrupted; nothing after the last commit was saved", err=True)
            sys.exit(130)
        except BrokenPipeError:
            # The reader went away (`vnsearch search … | head`): not an error.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(0)
        except VnsearchError as exc:  # busy, or damaged files found while reading
            raise UserError(str(exc)) from None
        except OSError as exc:
            where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
            raise UserError(f"{exc.strerror or exc}{where}") from None


class _QueryCommand(click.Command):
    """A command whose arguments are query words: from the first word on, ``-word`` is an exclusion.

    Click would read ``bóng đá -phạt`` as ``-p hạt`` (``--page``) and
    ``covid -hà`` as ``-h`` (help). Options before the first query word
    (``-n 5``, ``-d DIR``) and an option spelt exactly as itself anywhere
    (``covid -n 5``) still work; ``--`` ends the options as usual.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        takes_value: dict[str, bool] = {}
        for param in self.params:
            if isinstance(param, click.Option):
                for name in param.opts + param.secondary_opts:
                    takes_value[name] = not (param.is_flag or param.count)
        takes_value.update({name: False for name in ctx.help_option_names})
        kept: list[str] = []
        words: list[str] = []  # -words after the query started, moved past "--"
        started = False
        i = 0
        while i < len(args):
            arg = args[i]
            if arg == "--":
                kept.extend(args[i:])
                break
            rest = args[i:]
            if started and arg.startswith("-") and not arg.startswith("--") and len(arg) > 1 \
                    and not any(a in takes_value or a.startswith("--") for a in rest):
                # No option follows: the rest is query, in the order typed.
                kept.extend(["--", *rest])
                break
            if arg in takes_value or (arg.startswith("--") and "=" in arg):
                kept.append(arg)
                if takes_value.get(arg) and i + 1 < len(args):
                    kept.append(args[i + 1])
                    i += 1
            elif started and arg.startswith("-") and not arg.startswith("--") and len(arg) > 1:
                words.append(arg)
            else:
                started = started or not arg.startswith("-")
                kept.append(arg)
            i += 1
        if words:
            kept = kept + words if "--" in kept else kept + ["--"] + words
        return super().parse_args(ctx, kept)


def _use_color(color: bool | None) -> bool:
    """--color/--no-color if given; else colour on a terminal, unless NO_COLOR is set or TERM=dumb.

    Asked for, colour goes into a pipe too (``| less -R``): click would strip it from anything not a terminal.
    """
    if color is not None:
        ctx = click.get_current_context(silent=True)
        if ctx is not None:
            ctx.color = color
        return color
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return sys.stdout.isatty()


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="vnsearch")
def main() -> None:
    """Full-text search for Vietnamese news.

    \b
    Build an index, then search it, with or without diacritics:
      vnsearch index seeds/
      vnsearch search "trí tuệ nhân tạo"
      vnsearch search tri tue nhan tao --json
    """


# -- index --------------------------------------------------------------------

def _estimate(paths: tuple[Path, ...]) -> int | None:
    """Number of records to expect, for the progress bar's time left."""
    import gzip

    from vnsearch.ingest.articles import iter_files
    from vnsearch.ingest.reading import iter_lines, open_regular

    total = 0
    for path in paths:
        for f in iter_files(path, on_warning=lambda w: None):
            name = f.name.lower()
            try:
                if name.endswith((".json", ".xml", ".rss", ".atom")):
                    continue  # no cheap count: the bar shows the rate without a total
                if name.endswith(".txt"):
                    total += 1
                else:  # a line at a time, never a whole line held (see vnsearch.ingest.reading)
                    with open_regular(f) as raw, (gzip.GzipFile(fileobj=raw) if name.endswith(".gz") else raw) as fh:
                        total += sum(1 for _, line in iter_lines(fh) if line is None or line.strip())
            except (OSError, EOFError, ValueError):
                continue
    return total or None


@main.command("index")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@index_dir_option
@click.option("--rebuild", is_flag=True, help="Empty the index first, then index PATHS.")
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=None,
              help="Worker processes for word segmentation [default: all cores].")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no warnings, only the summary.")
@click.option("--strict", is_flag=True,
              help="A file with any warning is not indexed at all (the others are); exit 2 if any warning.")
@click.option("--map", "maps", metavar="KEY=FIELD", multiple=True,
              help="Read the input's KEY as FIELD (id, title, sapo, body, date, source, url, category, credit); "
                   "KEY= ignores a key. Repeatable: --map published=date --map summary=sapo.")
@click.option("--tz", metavar="ZONE", default=None,
              help="Time zone of times given without an offset, and of the days articles are filed under "
                   "[default: Asia/Ho_Chi_Minh].")
@wait_option
@click.option("--shards", type=click.IntRange(1, 4096), default=None,
              help="Create a sharded index of this many shards (an existing one keeps its count).")
@cluster_option
@_stopped_by_sigterm()
def index_cmd(paths: tuple[Path, ...], index_dir: Path | None, rebuild: bool, jobs: int | None, quiet: bool,
              wait: float, strict: bool, maps: tuple[str, ...], tz: str | None, shards: int | None,
              cluster: str | None) -> None:
    """Add articles from PATHS: .txt, .jsonl/.ndjson (.gz too), .json, RSS/Atom (.xml, .rss, .atom)
    files, directories, or - for JSON Lines on standard input.

    Dates may be ISO 8601 (with or without time and offset), RFC 2822 (RSS),
    dd/mm/yyyy [HH:MM] or epoch seconds; common field names of other sources
    (published, summary, link, …) are recognised, others mapped with --map.

    An article whose id is already indexed is replaced; one whose content has
    not changed is left alone, so re-running on the same input is quick.
    Bad records are reported (file and line) and skipped; the rest is indexed.
    With --strict each file is read in full first and one with any warning
    is left out entirely; the command then exits with status 2.
    A commit follows every 1000 articles and the end: once this command
    returns, the articles are on disk; if it is killed, everything up to its
    last commit is kept. At the end the run's commits are merged into one
    segment (about 0.5 ms per article), which keeps searches fast. Another
    process writing to the index is waited for.

    Library: SearchEngine(index_dir).add_paths(paths, strict=..., map=[...], tz=...)
    """
    from vnsearch.ingest.articles import LoadOptions
    from vnsearch.ingest.dates import DateError
    from vnsearch.ingest.fields import FieldMap, parse_map
    from vnsearch.ingest.walking import walk

    try:
        LoadOptions(FieldMap(parse_map(maps)), tz)  # checked before anything is opened
    except (ValueError, DateError) as exc:
        raise UserError(str(exc)) from None
    if sum(1 for p in paths if str(p) == "-") > 1:
        raise UserError("standard input (-) can be read only once")
    walks = [walk(path).summary(path) for path in paths if path.is_dir()]
    engine = _open(index_dir, create=True, rebuild=rebuild, wait=wait, shards=shards, cluster=cluster)
    warnings: list[LoadWarning] = []

    def on_warning(w: LoadWarning) -> None:
        warnings.append(w)
        if not quiet:
            click.echo(f"warning: {safe(str(w))}", err=True)

    started = time.monotonic()
    show_bar = not quiet and sys.stderr.isatty()
    total = _estimate(paths) if show_bar else None
    bar = click.progressbar(length=total or 0, label="Indexing", file=sys.stderr, show_eta=True,
                            show_pos=True, item_show_func=lambda a: a) if show_bar else None
    count = 0

    def on_progress(article: Any) -> None:
        nonlocal count
        count += 1
        if bar is not None:
            rate = count / max(time.monotonic() - started, 1e-6)
            bar.update(1, f"{rate:.0f} articles/s")

    try:
        summary = engine.add_paths(list(paths), jobs=jobs, on_progress=on_progress, on_warning=on_warning,
                                   strict=strict, map=list(maps), tz=tz)
    finally:
        if bar is not None:
            bar.render_finish()
    elapsed = time.monotonic() - started
    click.echo(f"{summary} in {elapsed:.1f} s; the index at {safe(str(engine.path))} holds "
               f"{_plural(len(engine), 'article')}.")
    for line in walks:
        click.echo(safe(line))
    engine.close()
    if strict and summary.load_warnings:
        rejected = summary.rejected_files
        files = f"; not indexed: {', '.join(safe(f) for f in rejected)}" if rejected else ""
        click.echo(f"error: --strict: {summary.load_warnings} warning(s){files}", err=True)
        sys.exit(EXIT_ERROR)
    if summary.written + summary.unchanged == 0 and summary.skipped:
        sys.exit(EXIT_ERROR)


# -- search -------------------------------------------------------------------

def _style(text: str, color: bool, **kw: Any) -> str:
    return click.style(text, **kw) if color else text


def _highlighted(snippet: Snippet, color: bool) -> str:
    """Bold yellow on a terminal; [brackets] in a pipe, still visible but escape-free."""
    if color:
        return str(snippet.marked("\x1b[1;33m", "\x1b[0m", safe))
    return str(snippet.marked("[", "]", safe))


def _print_hits(results: SearchResults, color: bool, as_html: bool) -> None:
    """Rank, title, date · source, id and snippet of each hit, for people."""
    # With --html every field from the index is HTML-escaped, not only the snippet.
    esc = html.escape if as_html else (lambda t: t)
    for hit in results:
        meta = esc(safe(" · ".join(x for x in (_when(hit.date, hit.time) or "undated", hit.display_source) if x)))
        title = hit.title_snippet.html() if as_html else _highlighted(hit.title_snippet, color)
        click.echo(f"{_style(f'{hit.rank:>2}.', color, fg='cyan')} {title}")
        click.echo(f"    {_style(meta, color, dim=True)}  {_style(esc(safe(hit.id)), color, dim=True)}")
        if hit.similar_ids:
            copies = ", ".join(esc(safe(i)) for i in hit.similar_ids)
            click.echo(f"    {_style(f'+{len(hit.similar_ids)} similar: {copies}', color, fg='magenta')}")
        snippet = hit.snippet_html() if as_html else _highlighted(hit.snippet_obj, color)
        if snippet:
            click.echo(f"    {snippet}")
        click.echo()


@main.command("search", cls=_QueryCommand, context_settings={"ignore_unknown_options": True})
@click.argument("query", nargs=-1, required=True)
@index_dir_option
@click.option("--limit", "-n", type=click.IntRange(1, 1000), default=10, show_default=True, help="Results per page.")
@click.option("--page", "-p", type=click.IntRange(1), default=None, show_default="1", help="Page of results.")
@click.option("--offset", type=click.IntRange(0), default=None, help="Skip this many results (instead of --page).")
@click.option("--since", metavar="DATE", default=None,
              help="Only articles dated from the start of DATE (YYYY, YYYY-MM or YYYY-MM-DD).")
@click.option("--until", metavar="DATE", default=None,
              help="Only articles dated up to the end of DATE (YYYY, YYYY-MM or YYYY-MM-DD).")
@click.option("--sort", type=click.Choice(SORTS), default="relevance", show_default=True,
              help="Order: by score, or every article matching all words by date (undated last).")
@click.option("--recent", is_flag=True,
              help="Favour newer articles: each score × 0.5 ** (age / half-life), the age counted from the "
                   "newest article in the index; undated articles count as the oldest.")
@click.option("--half-life", "half_life", type=float, default=180, show_default=True, metavar="DAYS",
              help="With --recent: how many days older halve an article's score.")
@click.option("--collapse/--all", "collapse", default=True, show_default=True,
              help="One hit per group of near-duplicate copies, with \"+N similar\" (--collapse), "
                   "or every copy (--all).")
@click.option("--source", "sources", metavar="NAME", multiple=True,
              help="Only this source (case- and accent-insensitive, part of the name will do); "
                   "repeat for any of several.")
@click.option("--category", "categories", metavar="NAME", multiple=True,
              help="Only this category, like --source.")
@click.option("--facets", "show_facets", is_flag=True,
              help="After the hits, count the articles matching all words per source, category, credit and month.")
@click.option("--exact", is_flag=True,
              help="Match every word only as spelt, diacritics and all (as =word does for one word); "
                   "totals, facets and date sorts count those articles alone.")
@click.option("--json", "as_json", is_flag=True,
              help="One JSON object per line per hit (with --facets, a last line {\"facets\": …, \"total\": N, "
                   "\"matched\": M}; when the query was read as Telex or corrected, a last line "
                   "{\"rewritten\": …, \"corrections\": {typed: [corrections]}}).")
@click.option("--html", "as_html", is_flag=True, help="Snippets as HTML with <mark> around matches.")
@click.option("--color/--no-color", default=None,
              help="Highlight with colour [default: on a terminal; elsewhere matches are [bracketed]].")
@cluster_option
def search_cmd(query: tuple[str, ...], index_dir: Path | None, limit: int, page: int | None, offset: int | None,
               since: str | None, until: str | None, sort: str, recent: bool, half_life: float, collapse: bool,
               sources: tuple[str, ...],
               categories: tuple[str, ...], show_facets: bool, exact: bool,
               as_json: bool, as_html: bool, color: bool | None, cluster: str | None) -> None:
    """Search for QUERY: words, "quoted phrases", -exclusions, OR, source:/category:, date:/since:/until:.

    Diacritics are optional (tri tue nhan tao finds trí tuệ nhân tạo), and a
    query typed with them ranks exact matches first. Quotes keep words
    together and in order, with any diacritics; =word (or ="a phrase", or
    --exact for the whole query) matches only the spelling typed. Words typed
    in Telex or VNI with the input method off are read as Vietnamese
    (khowir nghieepj: "Showing results for: khởi nghiệp"), and a mistyped word
    is also searched for as its likely corrections, ranked below the word
    typed ("Also searched for: …").

    Library: SearchEngine(index_dir).search(query, limit=…, page=…, offset=…,
    since=…, until=…, sort=…, recent=…, half_life=…, collapse=…, source=…,
    category=…, facets=…, exact=…); results.rewritten, results.corrections;
    --json is hit.to_dict(), --html hit.snippet_html().
    """
    # Unknown short options pass through as -exclusions ("AI -Alibaba");
    # an unknown long option is still a typo worth reporting.
    for word in query:
        if word.startswith("--") and len(word) > 2:
            raise click.UsageError(f"no such option: {word}")
    if page is not None and offset is not None:
        raise UserError("give --page or --offset, not both")
    if as_html and as_json:
        raise UserError("give --html or --json, not both")
    text = " ".join(query)
    engine = _open(index_dir, create=False, cluster=cluster)
    start = offset if offset is not None else ((page or 1) - 1) * limit
    try:
        results = engine.search(text, limit=limit, offset=start, since=since, until=until, sort=sort,
                                facets=show_facets, source=list(sources) or None,
                                category=list(categories) or None, recent=recent,
                                half_life=half_life, collapse=collapse, exact=exact)
    except QueryError as exc:
        raise UserError(f"bad query: {exc}") from None
    _say_cut("query", results.query_cut)
    if as_json:
        for hit in results:
            click.echo(_json(hit.to_dict()))
        if show_facets:
            click.echo(_json({"facets": results.facets, "total": results.total, "matched": results.matched}))
        if results.rewritten or results.corrections:
            click.echo(_json({"rewritten": results.rewritten, "corrections": results.corrections}))
        if results.query_cut:
            click.echo(_json({"query_cut": results.query_cut, "query_chars": caps.QUERY_CHARS}))
    else:
        color = _use_color(color)
        # With --html every field from the index is HTML-escaped, not only the snippet.
        esc = html.escape if as_html else (lambda t: t)
        if results.rewritten:
            click.echo(f"Showing results for: {_style(esc(safe(results.rewritten)), color, bold=True)}")
        if results.corrections:
            also = ", ".join(f"{', '.join(fixes)} ({typed})" for typed, fixes in results.corrections.items())
            click.echo(f"Also searched for: {_style(esc(safe(also)), color, bold=True)}")
        if results.suggestion:
            click.echo(f"Did you mean: {_style(esc(safe(results.suggestion)), color, bold=True)}")
        if results.rewritten or results.corrections or results.suggestion:
            click.echo()
        if not results and results.total:
            click.echo(f"No results past {start} for {_quoted(text)}: {results.total} match all words.", err=True)
        elif not results:
            click.echo(f"No results for {_quoted(text)}.", err=True)
        _print_hits(results, color, as_html)
        if results:
            shown_to = start + len(results)
            if sort == "relevance":
                extra = f" ({results.matched} matching some)" if results.matched > results.total else ""
                if recent:
                    extra += f", newer first (half-life {half_life:g} days)"
            else:
                extra = f", {sort} first"
            if results.total >= shown_to or sort != "relevance":
                counted = f"of {results.total} matching all words{extra}"
            else:  # the hits go past those holding every word: count those holding some
                every = f"{results.total} matching all" if results.total else "none matching all"
                counted = f"of {results.matched} matching some words ({every})"
            click.echo(_style(f"{start + 1}–{shown_to} {counted}", color, dim=True))
        if show_facets and results.total:
            click.echo()
            _print_facets(results.facets or {}, results.total, color)
    engine.close()
    _ending()
    sys.exit(EXIT_FOUND if results else EXIT_NOT_FOUND)


@main.command("similar")
@click.argument("article_id")
@index_dir_option
@click.option("--limit", "-n", type=click.IntRange(1, 1000), default=10, show_default=True,
              help="How many related articles.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line per hit.")
@click.option("--html", "as_html", is_flag=True, help="Snippets as HTML with <mark> around matches.")
@click.option("--color/--no-color", default=None,
              help="Highlight with colour [default: on a terminal; elsewhere matches are [bracketed]].")
def similar_cmd(article_id: str, index_dir: Path | None, limit: int, as_json: bool, as_html: bool,
                color: bool | None) -> None:
    """Articles related to the one with ARTICLE_ID (itself and its near-copies left out).

    It is searched for by its 25 most distinctive syllables (count in the
    article × rarity in the index).

    Library: SearchEngine(index_dir).similar(article_id, limit=…)
    """
    if as_html and as_json:
        raise UserError("give --html or --json, not both")
    engine = _open(index_dir, create=False)
    try:
        results = engine.similar(article_id, limit=limit)
    except KeyError:
        engine.close()
        click.echo(f"No article with id {_quoted(article_id)}.", err=True)
        sys.exit(EXIT_NOT_FOUND)
    engine.close()
    if as_json:
        for hit in results:
            click.echo(_json(hit.to_dict()))
    else:
        color = _use_color(color)
        if not results:
            click.echo(f"No articles related to {_quoted(article_id)}.", err=True)
        _print_hits(results, color, as_html)
        if results:
            dups = results.near_duplicates
            extra = f"; {dups} near-duplicate(s) left out" if dups else ""
            terms = results.query.text if results.query else ""
            click.echo(_style(safe(f"{len(results)} related to {article_id} by: {terms}{extra}"),
                              color, dim=True))
    sys.exit(EXIT_FOUND if results else EXIT_NOT_FOUND)


@main.command("restore", cls=_QueryCommand, context_settings={"ignore_unknown_options": True})
@click.argument("text", nargs=-1, required=True)
@index_dir_option
@click.option("--json", "as_json", is_flag=True,
              help="Print the restoration, its confidence and each syllable's as one JSON object.")
def restore_cmd(text: tuple[str, ...], index_dir: Path | None, as_json: bool) -> None:
    """TEXT typed without diacritics, with them restored from the index.

    The text is searched first; the top hits' own words say how its syllables
    are spelt, and the index-wide word statistics fill in the rest:
    "tri tue nhan tao" → "trí tuệ nhân tạo". Syllables typed with diacritics
    stay as typed.

    Library: SearchEngine(index_dir).restore(text) (or .restoration(text) for
    the confidence)
    """
    engine = _open(index_dir, create=False)
    try:
        joined = " ".join(text)
        r = engine.restoration(joined)
    finally:
        engine.close()
    _say_cut("text", r.cut)
    restored = r.text  # the user's capitals and punctuation kept
    if as_json:
        click.echo(_json({"text": restored, "confidence": round(r.confidence, 4), "changed": r.changed,
                               "syllables": r.syllables,
                               "syllable_confidence": [round(c, 4) for c in r.syllable_confidence],
                               **({"cut": r.cut} if r.cut else {})}))
    else:
        click.echo(safe(restored))
    sys.exit(EXIT_FOUND if r.syllables else EXIT_NOT_FOUND)


_FACET_BLANK = {"source": "(no source)", "category": "(no category)", "credit": "(no credit)",
                "month": "undated"}


def _print_facets(facets: dict[str, dict[str, int]], total: int, color: bool, top: int = 10) -> None:
    """One line per facet: its most frequent values with their counts."""
    click.echo(_style(f"Facets of the {total} articles matching all words:", color, bold=True))
    for name, counts in facets.items():
        shown = [f"{safe(value) or _FACET_BLANK[name]} {count}" for value, count in list(counts.items())[:top]]
        more = f" · … {len(counts) - top} more" if len(counts) > top else ""
        click.echo(f"  {name + ':':<10}" + " · ".join(shown) + more)


# -- show, delete, stats ---------------------------------------------------------

@main.command("show")
@click.argument("article_id")
@index_dir_option
@click.option("--json", "as_json", is_flag=True, help="Print the article as one JSON object.")
def show_cmd(article_id: str, index_dir: Path | None, as_json: bool) -> None:
    """Print the stored article with ID.

    Library: SearchEngine(index_dir).get(article_id)
    """
    engine = _open(index_dir, create=False)
    article = engine.get(article_id)
    engine.close()
    if article is None:
        click.echo(f"No article with id {_quoted(article_id)}.", err=True)
        sys.exit(EXIT_NOT_FOUND)
    if as_json:  # the keys `vnsearch export` writes and `vnsearch index` reads
        from vnsearch.ingest.export import export_record

        fields = article.to_dict()
        click.echo(_json(export_record(fields)))
        return
    color = _use_color(None)
    click.echo(_style(safe(article.title), color, bold=True))
    meta = [_when(article.date, article.time) or "undated", article.source,
            f"credit: {article.credit}" if article.credit else "", article.category, article.url]
    click.echo(_style(safe(" · ".join(m for m in meta if m)), color, dim=True))
    click.echo()
    for part in (article.lead, article.body):
        if part:
            click.echo(printable(part, lines=True))
            click.echo()


@main.command("delete")
@click.argument("ids", nargs=-1, required=True)
@index_dir_option
@wait_option
@_stopped_by_sigterm()
def delete_cmd(ids: tuple[str, ...], index_dir: Path | None, wait: float) -> None:
    """Delete the articles with these IDs.

    Library: SearchEngine(index_dir).delete(ids)
    """
    engine = _open(index_dir, create=False, wait=wait)
    count = engine.delete(list(ids))
    engine.close()
    click.echo(f"{count} deleted.")
    sys.exit(EXIT_FOUND if count else EXIT_NOT_FOUND)


@main.command("stats")
@index_dir_option
@click.option("--json", "as_json", is_flag=True, help="Print the figures as one JSON object.")
def stats_cmd(index_dir: Path | None, as_json: bool) -> None:
    """Articles, size on disk and date range of the index.

    Library: SearchEngine(index_dir).stats()
    """
    engine = _open(index_dir, create=False)
    stats = engine.stats()
    engine.close()
    if as_json:
        click.echo(_json(stats))
        return
    size = stats["size_bytes"]
    click.echo(f"index:    {safe(str(stats['path']))}")
    click.echo(f"articles: {stats['articles']}")
    click.echo(f"size:     {size / 1e6:.1f} MB")
    if stats["first_date"]:
        click.echo(f"dates:    {stats['first_date']} to {stats['last_date']} "
                   f"({stats['dated']} dated, {stats['articles'] - stats['dated']} undated)")
    else:
        click.echo("dates:    none")



@main.command("check")
@index_dir_option
def check_cmd(index_dir: Path | None) -> None:
    """Read the whole index and report any damage: exit 0 if sound, 2 if not.

    Checks that the index opens, was written by this version, that every
    stored article is readable, has an id, and appears only once, and reads
    every posting list, column and length, verifying every checksum.

    Library: SearchEngine(index_dir).check()
    """
    engine = _open(index_dir, create=False)
    problems = engine.check()
    count = len(engine) if not problems else None
    notes = engine.check_notes()
    engine.close()
    for note in notes:
        click.echo(f"note: {engine.path}: {note}", err=True)
    if problems:
        from vnsearch.store.damage import rebuild_hint
        from vnsearch.store.directory import ORPHANS

        # Files a failed write left are no damage: the next write deletes them, no rebuild is needed.
        hint = "" if all(p.startswith(ORPHANS) for p in problems) else f"; {rebuild_hint(engine.path)}"
        raise UserError(f"{engine.path}: {'; '.join(problems)}{hint}")
    click.echo(f"OK: the index at {safe(str(engine.path))} holds {_plural(count or 0, 'article')}, all readable.")


# -- export, reindex (getting the archive back out) ------------------------------

def _when(date: str, time: str) -> str:
    """"2021-04-26 08:33" when the time is known, else the day."""
    return f"{date} {time[11:16]}" if date and len(time) >= 16 else date


@main.command("export")
@index_dir_option
@click.option("--since", metavar="DATE", default=None, help="Only articles dated from the start of DATE.")
@click.option("--until", metavar="DATE", default=None, help="Only articles dated up to the end of DATE.")
@click.option("--source", "sources", metavar="NAME", multiple=True, help="Only this source (as in search).")
@click.option("--category", "categories", metavar="NAME", multiple=True, help="Only this category (as in search).")
def export_cmd(index_dir: Path | None, since: str | None, until: str | None, sources: tuple[str, ...],
               categories: tuple[str, ...]) -> None:
    """Write every stored article to standard output as JSON Lines, in the input's own keys.

    The records load back unchanged: vnsearch export > archive.jsonl, then
    vnsearch index archive.jsonl (or vnsearch export | vnsearch index -d new -).
    The time goes in "date" when known; a title the index made up is left out.

    Library: SearchEngine(index_dir).export(since=…, until=…, source=…, category=…)
    """
    from vnsearch.ingest.export import write_jsonl

    engine = _open(index_dir, create=False)
    try:
        records = engine.export(since=since, until=until, source=list(sources) or None,
                                category=list(categories) or None)
        count = write_jsonl(records, sys.stdout.buffer)
        sys.stdout.buffer.flush()
    except QueryError as exc:
        raise UserError(str(exc)) from None
    finally:
        engine.close()
    click.echo(f"{count} articles exported.", err=True)


@main.command("reindex")
@index_dir_option
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=None,
              help="Worker processes for word segmentation [default: all cores].")
@click.option("--quiet", "-q", is_flag=True, help="No warnings, only the summary.")
@wait_option
@_stopped_by_sigterm()
def reindex_cmd(index_dir: Path | None, jobs: int | None, quiet: bool, wait: float) -> None:
    """Rebuild the index from its own stored articles, in this version's format.

    For an index written by another version of vnsearch, or after a change
    in how text is analysed: no original files are needed. The new index is
    built beside the old one and replaces it only when complete.

    Library: SearchEngine.reindex(index_dir)
    """
    path = index_dir or default_index_dir()

    def on_warning(w: LoadWarning) -> None:
        if not quiet:
            click.echo(f"warning: {safe(str(w))}", err=True)

    started = time.monotonic()
    try:
        summary = SearchEngine.reindex(path, jobs=jobs, on_warning=on_warning, wait=wait)
    except VnsearchError as exc:
        raise UserError(str(exc)) from None
    click.echo(f"rebuilt {safe(str(path))} from its stored articles: {summary.written} articles, "
               f"{summary.skipped} skipped, in {time.monotonic() - started:.1f} s.")


# -- serve (the HTTP server; its stack is imported only here, so the other commands start fast) --

@main.command("serve")
@index_dir_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (127.0.0.1: this machine only; 0.0.0.0: every interface).")
@click.option("--port", "-p", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port.")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Worker processes, each with its own engine.")
@click.option("--token", envvar="VNSEARCH_TOKEN", show_envvar=True, default=None, metavar="SECRET",
              help="Accept writes (POST/DELETE /articles) carrying 'Authorization: Bearer SECRET'; "
                   "without it the index is read-only over HTTP.")
@click.option("--access-log", is_flag=True, help="Log every request on stderr.")
@cluster_option
def serve_cmd(index_dir: Path | None, host: str, port: int, workers: int, token: str | None,
              access_log: bool, cluster: str | None) -> None:
    """Serve the index over HTTP: a JSON API (see /openapi.json) and a search page at /.

    Stops cleanly on Ctrl-C or SIGTERM.

    Library: vnsearch.server.create_app(index_dir, token=…) (an ASGI app)
    """
    from vnsearch.server.run import serve

    path = index_dir or default_index_dir()
    _open(path, create=False, cluster=cluster).close()  # a missing or unusable index: one line, before listening
    if cluster:  # each server process's engine ranks the shards on the cluster (vnsearch.server.host)
        os.environ["VNSEARCH_CLUSTER"] = cluster
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"vnsearch: serving {path} on http://{shown}:{port}/ "
               f"({'writes need the token' if token else 'read-only'}; Ctrl-C to stop)", err=True)
    serve(path, host, port, workers=workers, token=token, access_log=access_log)

if __name__ == "__main__":  # pragma: no cover
    main()
