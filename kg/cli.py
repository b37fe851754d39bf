"""The ``kg`` command: a thin layer over importable functions (see CONTRACT.md for the outside).

Each area registers its commands from its own module (listed in :data:`COMMAND_MODULES`);
every user mistake ends in one line on stderr and exit code 1, never a traceback.
"""
from __future__ import annotations

import importlib
import json
import sys

import click

from kg.config import Config
from kg.errors import KGError

__all__ = ["main", "pass_config", "open_configured_store", "echo_json", "COMMAND_MODULES"]

# modules that define more commands: each has `register(main)`; a module that does not exist yet is skipped
COMMAND_MODULES = ["kg.queries.cli", "kg.chat.cli", "kg.export_cli", "kg.demo.cli", "kg.news_cli", "kg.bench",
                   "web.cli"]


class Group(click.Group):
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


@main.group()
def load():
    """Load data into the graph (seed, deals, news)."""


@load.command("seed")
@pass_config
def load_seed_cmd(config: Config):
    """The report's own facts: policies, listings, lighthouse factories, Table-5 investors, segments, regions."""
    from kg.loading import load_seed

    store = open_configured_store(config)
    rep = load_seed(store)
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
    from kg.loading import load_deals
    from loaders.deals import read_mapping

    store = open_configured_store(config)
    rep = load_deals(store, file, config.workspace, mapping=read_mapping(mapping), strict=strict)
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
        for r in rep.rejects[:20]:
            click.echo(f"  line {r.line}: {r.reason}", err=True)
        if rep.rejected > 20:
            click.echo(f"  … and {rep.rejected - 20} more", err=True)
        if rep.rejects_path:
            click.echo(f"rejected rows: {rep.rejects_path}", err=True)
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


def _register_plugins() -> None:
    for mod in COMMAND_MODULES:
        try:
            module = importlib.import_module(mod)
        except ModuleNotFoundError as exc:
            if exc.name and (mod == exc.name or mod.startswith(exc.name + ".")):
                continue  # that area has not landed yet
            raise
        module.register(main)


_register_plugins()

if __name__ == "__main__":  # pragma: no cover
    main()
