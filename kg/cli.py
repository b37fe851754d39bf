"""The ``kg`` command: a thin layer over importable functions (see CONTRACT.md for the outside).

Each area registers its commands from its own module (listed in :data:`COMMAND_MODULES`);
every user mistake ends in one line on stderr and exit code 1, never a traceback.
"""
from __future__ import annotations

import importlib
import importlib.util
import json
import os
import sys


def _choose_arrow_pool() -> None:
    """Arrow's memory pool for every ``kg`` process (and the processes it starts): jemalloc on
    Linux, where pyarrow's wheels carry it, unless the user set ``ARROW_DEFAULT_MEMORY_POOL``.
    Arrow reads the variable when pyarrow is first imported, so this runs before any import of it.
    Measured (docs/STORE.md, "Measured"): the 1M-deal load's peak RSS ~180 MB lower and half the
    system time than with this Arrow's default (mimalloc), the server's latencies the same."""
    if sys.platform.startswith("linux"):
        os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "jemalloc")


_choose_arrow_pool()

import click  # noqa: E402 - after the pool is chosen (nothing above imports pyarrow)

from kg.config import Config
from kg.errors import KGError

__all__ = ["main", "pass_config", "open_configured_store", "echo_json", "echo_rejects", "COMMAND_MODULES", "LAZY_COMMANDS"]

# Commands defined by other areas' modules, imported only when that command runs (so `kg stats`
# does not pay for spaCy or Flask). Each module has `register(main)` adding its commands.
LAZY_COMMANDS = {
    "query": "kg.queries.cli", "ask": "kg.chat.cli", "chat": "kg.chat.cli", "export": "kg.export_cli",
    "demo": "kg.demo.cli", "report": "kg.demo.cli", "extract": "kg.news_cli", "serve": "web.cli",
    "up": "web.cli", "bench": "kg.bench",
}
LAZY_LOAD_COMMANDS = {"news": "kg.news_cli"}
# what `kg --help` lists for them without importing them (spaCy, scipy, Flask: ~1.5 s); a test keeps
# these equal to the commands' own short help
LAZY_HELP = {
    "ask": "Answer each QUESTION on its own (Chinese or English).",
    "bench": "Benchmarks at 10k, 100k, 1M demo deals: load, queries, chat, co-investment, serve, graph view.",
    "chat": "A conversation: one question a line from stdin; follow-ups keep the context; /reset clears it.",
    "demo": "Synthetic 2019 deals calibrated to the report's figures, marked synthetic.",
    "export": "An answer's or a query's subgraph and table to a file (GraphML, GEXF, JSON, CSV zip, XLSX, "
              "offline HTML, PNG, SVG or a Cypher script).",
    "extract": 'Deals found in announcements (one per line: plain text or JSONL with "text"); nothing is stored.',
    "query": "Run a named query: kg query NAME --param value … [--json]; kg query --list lists them.",
    "report": "The report's figures from the loaded graph, beside the published numbers (2019).",
    "serve": "The web explorer: chat, graph views, entity pages, the report's figures, exports, import.",
    "up": "Load the report's facts (and demo data) if the workspace lacks them, then serve the explorer.",
    "news": "Deals extracted from announcements (one per line), added with provenance news:<hash>.",
}
COMMAND_MODULES = sorted(set(LAZY_COMMANDS.values()) | set(LAZY_LOAD_COMMANDS.values()))


def _import_plugin(mod: str) -> bool:
    """Import an area's command module and let it register; False when that area has not landed."""
    import importlib

    if mod in _REGISTERED:
        return True
    try:
        module = importlib.import_module(mod)
    except ModuleNotFoundError as exc:
        if exc.name and (mod == exc.name or mod.startswith(exc.name + ".")):
            return False
        raise
    _REGISTERED.add(mod)
    module.register(main)
    return True


_REGISTERED: set[str] = set()


def _module_exists(mod: str) -> bool:
    """Whether ``mod`` can be imported, without importing it or its parent packages (``find_spec`` of
    ``kg.chat.cli`` would run ``kg/chat/__init__.py``, which loads spaCy)."""
    import os

    top, *rest = mod.split(".")
    try:
        spec = importlib.util.find_spec(top)
    except ModuleNotFoundError:
        return False
    if spec is None:
        return False
    if not rest:
        return True
    for root in spec.submodule_search_locations or ():
        base = os.path.join(root, *rest)
        if os.path.isfile(base + ".py") or os.path.isfile(os.path.join(base, "__init__.py")):
            return True
    return False


class LazyGroup(click.Group):
    """A group whose commands may live in modules imported on first use."""

    lazy: dict[str, str] = {}

    def list_commands(self, ctx):
        names = set(super().list_commands(ctx))
        for name, mod in self.lazy.items():
            if name not in names and _module_exists(mod):
                names.add(name)
        return sorted(names)

    def get_command(self, ctx, name):
        if name not in self.commands and name in self.lazy:
            _import_plugin(self.lazy[name])
        return super().get_command(ctx, name)

    def format_commands(self, ctx, formatter):
        """The command list, with lazy commands' help from :data:`LAZY_HELP` (no import for --help)."""
        from click.utils import make_default_short_help

        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(n) for n in names)
        rows = []
        for name in names:
            if name not in self.commands and name in self.lazy and name in LAZY_HELP:
                rows.append((name, make_default_short_help(LAZY_HELP[name], limit)))
                continue
            cmd = self.get_command(ctx, name)
            if cmd is None or cmd.hidden:
                continue
            rows.append((name, cmd.get_short_help_str(limit)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


class Group(LazyGroup):
    lazy = LAZY_COMMANDS
    """Turns KGError (and file-system errors) into one clear line and exit 1."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except KGError as exc:
            click.echo(f"kg: error: {exc}", err=True)
            ctx.exit(1)
        except (OSError, UnicodeError) as exc:
            if isinstance(exc, BrokenPipeError):
                ctx.exit(1)
            click.echo(f"kg: error: {exc}", err=True)
            ctx.exit(1)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--workspace", envvar="KG_WORKSPACE", type=click.Path(file_okay=False),
              help="Workspace folder (env KG_WORKSPACE; default ~/.local/share/iikg).")
@click.option("--backend", envvar="KG_BACKEND", type=click.Choice(["embedded", "neo4j", "falkordb"]),
              help="Graph backend (env KG_BACKEND; default embedded).")
@click.version_option(package_name="iikg")
@click.pass_context
def main(ctx, workspace, backend):
    """IIKG: who co-invests with whom, where, in what, under which policies."""
    ctx.obj = Config.from_env(workspace=workspace, backend=backend)


pass_config = click.make_pass_decorator(Config)


def open_configured_store(config: Config):
    from kg.store import open_store

    return open_store(config)


def echo_json(obj) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False, default=str))


def echo_rejects(rep, what: str, shown: int = 20) -> None:
    """The first rejected lines of a load report on stderr, then where all of them were written."""
    for r in rep.rejects[:shown]:
        click.echo(f"  line {r.line}: {r.reason}", err=True)
    if rep.rejected > shown:
        click.echo(f"  … and {rep.rejected - shown} more", err=True)
    if rep.rejects_path:
        click.echo(f"{what}: {rep.rejects_path}", err=True)


class LoadGroup(LazyGroup):
    lazy = LAZY_LOAD_COMMANDS


@main.group(cls=LoadGroup)
def load():
    """Load data into the graph (seed, deals, news)."""


@load.command("seed")
@pass_config
def load_seed_cmd(config: Config):
    """The report's own facts: policies, listings, lighthouse factories, Table-5 investors, segments, regions."""
    from kg.loading import load_seed, prepare_reads

    store = open_configured_store(config)
    rep = load_seed(store)
    prepare_reads(store)
    c = rep.changes
    click.echo(f"seed: {c['nodes_created']} nodes and {c['rels_created']} relationships created, "
               f"{c['nodes_updated']} nodes updated")


@load.command("deals")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--mapping", type=click.Path(dir_okay=False, exists=True),
              help="YAML map from your column headers to ours (date, company, round, amount, …).")
@click.option("--strict", is_flag=True, help="Load nothing if any row is bad.")
@click.option("--json", "as_json", is_flag=True, help="Print the load report as JSON.")
@pass_config
def load_deals_cmd(config: Config, file, mapping, strict, as_json):
    """Deals from a CSV or XLSX file (UTF-8 or GBK; English or Chinese headers)."""
    from kg.loading import load_deals, prepare_reads
    from loaders.deals import read_mapping

    store = open_configured_store(config)
    rep = load_deals(store, file, config.workspace, mapping=read_mapping(mapping), strict=strict)
    if rep.exit_code != 1:
        prepare_reads(store)
    if as_json:
        echo_json(rep.as_dict())
    else:
        if rep.exit_code == 1 and strict and rep.rejected:
            click.echo(f"{file}: --strict and {rep.rejected} bad row(s): nothing loaded", err=True)
        elif rep.exit_code == 1:
            click.echo(f"{file}: no row could be loaded", err=True)
        else:
            c = rep.changes
            click.echo(f"{file}: {rep.loaded} of {rep.rows} rows loaded ({c.get('nodes_created', 0)} nodes, "
                       f"{c.get('rels_created', 0)} relationships new)")
        echo_rejects(rep, "rejected rows")
    sys.exit(rep.exit_code)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="JSON output (the default is a table).")
@pass_config
def stats(config: Config, as_json):
    """Counts of nodes by label and relationships by type."""
    store = open_configured_store(config)
    s = store.stats()
    if as_json:
        echo_json(s)
        return
    for section in ("nodes", "relationships"):
        click.echo(section)
        for k, v in s[section].items():
            click.echo(f"  {k:<14}{v:>10}")


@main.command()
@pass_config
def imports(config: Config):
    """What was loaded, from where and when (the import manifest)."""
    store = open_configured_store(config)
    for rec in store.imports():
        echo_json(rec)
