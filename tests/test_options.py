"""Every CLI option is a library parameter of the same name (sqlite-utils style).

A user who learns ``vnsearch search --half-life 30 --page 2`` must be able to
write ``engine.search(q, half_life=30, page=2)``. These tests walk the click
commands, so a new option without its library twin fails here.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT, SEED_000, SEED_002

from vnsearch import QueryError, SearchEngine
from vnsearch.cli import main

# CLI option -> (library callable, parameter) for each command.
LIBRARY = {
    "index": SearchEngine.add_paths,
    "search": SearchEngine.search,
    "similar": SearchEngine.similar,
    "delete": SearchEngine.delete,
    "show": SearchEngine.get,
    "stats": SearchEngine.stats,
    "check": SearchEngine.check,
    "restore": SearchEngine.restoration,
    "export": SearchEngine.export,
    "reindex": SearchEngine.reindex,
}
# Options that choose how the CLI prints or which index it opens, not what is computed;
# the README's table names the library form of each (to_dict, snippet_html, callbacks, the path).
PRESENTATION = {"index_dir", "json", "html", "color", "quiet", "help"}
# Options whose library form is a constructor argument of SearchEngine.
CONSTRUCTOR = {"rebuild", "wait", "shards", "cluster"}


def _option_names(command) -> list[str]:
    names = []
    for param in command.params:
        if param.param_type_name != "option":
            continue
        long = max(param.opts, key=len)
        names.append(long.lstrip("-").replace("-", "_"))
    return names


@pytest.mark.parametrize("command", sorted(LIBRARY))
def test_every_option_has_a_library_parameter_of_the_same_name(command):
    library = set(inspect.signature(LIBRARY[command]).parameters)
    constructor = set(inspect.signature(SearchEngine.__init__).parameters)
    missing = []
    for name in _option_names(main.commands[command]):
        if name in PRESENTATION:
            continue
        if name in library or (name in CONSTRUCTOR and name in constructor):
            continue
        missing.append(name)
    assert not missing, f"vnsearch {command}: options without a library parameter: {missing}"


@pytest.mark.parametrize("command", sorted(LIBRARY))
def test_every_option_is_in_the_readme(command):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for param in main.commands[command].params:
        if param.param_type_name != "option" or "--help" in param.opts:
            continue
        for opt in param.opts + getattr(param, "secondary_opts", []):
            if opt.startswith("--"):
                assert any(f"{before}{opt}" in readme for before in "` /"), f"{command} {opt} missing from README"


def test_page_is_offset_by_whole_pages(seed_engine):
    first = [h.id for h in seed_engine.search("trung quốc", limit=1)]
    second = [h.id for h in seed_engine.search("trung quốc", limit=1, page=2)]
    both = [h.id for h in seed_engine.search("trung quốc", limit=2)]
    assert first + second == both and set(both) == {SEED_000, SEED_002}
    assert [h.rank for h in seed_engine.search("trung quốc", limit=1, page=2)] == [2]


@pytest.mark.parametrize("kwargs", [{"page": 0}, {"page": "2"}, {"page": 2, "offset": 1}])
def test_bad_page_is_a_query_error(seed_engine, kwargs):
    with pytest.raises(QueryError, match="page"):
        seed_engine.search("trung quốc", **kwargs)


def test_half_life_days_is_still_accepted(seed_engine):
    new = [(h.id, h.score) for h in seed_engine.search("trung quốc", recent=True, half_life=30)]
    old = [(h.id, h.score) for h in seed_engine.search("trung quốc", recent=True, half_life_days=30)]
    assert new == old and new


def test_collapse_flag_pair_in_the_cli(seed_index_dir: Path):
    runner = CliRunner()
    for flag in ("--collapse", "--all"):
        result = runner.invoke(main, ["search", "-d", str(seed_index_dir), "trung quốc", flag, "--json"])
        assert result.exit_code == 0, result.output
        assert result.output.count("\n") == 2
