"""``kg export``: a named query's (or a question's) subgraph and table to a file in any export format."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from kg.errors import InputError
from kg.exports import FORMATS  # the one list (importing it loads no exporter's libraries)

__all__ = ["FORMATS", "output_path", "parse_params", "register"]


def parse_params(pairs) -> dict:
    """``["year=2019", "investor=深创投"]`` -> ``{"year": "2019", "investor": "深创投"}`` (the query coerces)."""
    out: dict = {}
    for raw in pairs:
        key, sep, value = str(raw).partition("=")
        key = key.strip()
        if not sep or not key:
            raise InputError(f"--param expects NAME=VALUE, got {raw!r}")
        out[key] = value
    return out


def output_path(output: str | None, filename: str) -> Path | None:
    """Where to write: ``-o FILE`` as given, ``-o DIR`` + the export's name, default the name in the
    current folder; None for ``-o -`` (stdout)."""
    if output == "-":
        return None
    if output is None:
        return Path(filename)
    p = Path(output)
    if p.is_dir() or output.endswith(os.sep):
        return p / filename
    return p


def _run(store, query: str | None, params: dict, question: str | None):
    if query and question:
        raise InputError("give either --query or --ask, not both")
    if query:
        from kg.queries import run

        return run(store, query, **params)
    if question:
        if params:
            raise InputError("--param goes with --query")
        from kg.chat import answer

        ans = answer(store, question)
        if ans.get("intent") == "unknown":
            raise InputError(f"the question was not understood: {' '.join(str(ans.get('text', '')).split())}")
        return ans
    raise InputError("say what to export: --query NAME [--param k=v …] or --ask QUESTION")


def register(main: click.Group) -> None:
    # imported here: kg.cli imports this module while it registers its commands
    from kg.cli import echo_json, open_configured_store, pass_config

    @main.command("export")
    @click.option("--query", "query", metavar="NAME", help="Named query to run (list them with `kg query --list`).")
    @click.option("--param", "params", multiple=True, metavar="NAME=VALUE", help="A query parameter (repeatable).")
    @click.option("--ask", "question", metavar="QUESTION", help="Export the answer to a question instead.")
    @click.option("--format", "fmt", required=True, type=click.Choice(FORMATS, case_sensitive=False),
                  help="File format.")
    @click.option("-o", "--output", metavar="FILE", help="Output file or folder; '-' for stdout "
                  "(default: a name made from the query, in the current folder).")
    @click.option("--max-nodes", type=click.IntRange(min=1), help="Keep at most this many nodes (the file says so).")
    @click.option("--title", help="Title written in the file (default: the query and its parameters).")
    @click.option("--json", "as_json", is_flag=True, help="Print what was written as JSON.")
    @pass_config
    def export_cmd(config, query, params, question, fmt, output, max_nodes, title, as_json):
        """An answer's or a query's subgraph and table to a file (GraphML, GEXF, JSON, CSV zip, XLSX,
        offline HTML, PNG, SVG or a Cypher script)."""
        from kg.exports import export

        store = open_configured_store(config)
        try:
            result = _run(store, query, parse_params(params), question)
            # while the store is open: the file marks what is synthetic, and where each fact came from
            exp = export(result, fmt.lower(), title=title, max_nodes=max_nodes, store=store)
        finally:
            store.close()
        path = output_path(output, exp.filename)
        if path is None:
            sys.stdout.flush()
            sys.stdout.buffer.write(exp.data)
            sys.stdout.buffer.flush()
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            tmp.write_bytes(exp.data)
            os.replace(tmp, path)
        if exp.truncated:
            click.echo("kg: note: the export is truncated (see the note inside the file)", err=True)
        info = {"path": str(path) if path else "-", "format": fmt.lower(), "bytes": len(exp.data),
                "mimetype": exp.mimetype, "truncated": exp.truncated}
        if as_json and path is not None:
            echo_json(info)
        elif path is not None:
            click.echo(f"{path} ({len(exp.data):,} bytes, {fmt.lower()})")
