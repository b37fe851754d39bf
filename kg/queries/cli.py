"""``kg query``: list the named queries, or run one with ``--param value`` options.

``kg query --list`` prints each query with its parameters and summary; ``kg query NAME --help``
its full description; ``kg query NAME --investor 联想创投 --year 2019 --json`` the Result as JSON
(without ``--json``, a table). Options are the query's own parameters (``--lead-only`` as a flag,
``--round`` repeatable), so they come from :data:`kg.queries.REGISTRY`, not from click.
"""
from __future__ import annotations

import unicodedata

import click

from kg.errors import QueryError

__all__ = ["format_table", "parse_args", "query_help", "register"]


def parse_args(q, args: list[str]) -> dict:
    """``["--investor", "深创投", "--lead-only", "--round=A轮"]`` → ``{"investor": "深创投", …}``."""
    params: dict = {}
    kinds = {x.name: x.kind for x in q.params}
    i = 0
    while i < len(args):
        tok = args[i]
        if not tok.startswith("--") or tok == "--":
            raise QueryError(f"{q.name}: unexpected argument {tok!r}; give parameters as --name value")
        name, eq, value = tok[2:].partition("=")
        name = name.replace("-", "_")
        if name not in kinds:
            raise QueryError(f"{q.name}: unknown parameter --{name.replace('_', '-')}; "
                             f"it takes {', '.join('--' + x.name.replace('_', '-') for x in q.params) or 'none'}")
        if not eq:
            nxt = args[i + 1] if i + 1 < len(args) else None
            if kinds[name] == "bool" and (nxt is None or nxt.startswith("--")
                                           or nxt.lower() not in ("true", "false", "1", "0", "yes", "no")):
                value = "true"
            elif nxt is None:
                raise QueryError(f"{q.name}: --{name.replace('_', '-')} needs a value")
            else:
                value = nxt
                i += 1
        if name in params:
            if kinds[name] != "round":
                raise QueryError(f"{q.name}: --{name.replace('_', '-')} given twice")
            params[name] = [*params[name], value] if isinstance(params[name], list) else [params[name], value]
        else:
            params[name] = value
        i += 1
    return params


def _width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "yes" if v else ""
    if isinstance(v, float):
        return f"{v:,.2f}".rstrip("0").rstrip(".") if v != int(v) else f"{int(v):,}"
    if isinstance(v, (list, tuple)):
        return "、".join(_cell(x) for x in v)
    s = str(v).replace("\n", " ")
    return s if _width(s) <= 60 else s[:58] + "…"


def format_table(columns: list[str], rows: list[dict]) -> str:
    """Rows as an aligned text table (double-width aware for Chinese)."""
    cells = [[_cell(r.get(c)) for c in columns] for r in rows]
    widths = [max([_width(c)] + [_width(row[k]) for row in cells]) for k, c in enumerate(columns)]
    line = lambda vals: "  ".join(v + " " * (w - _width(v)) for v, w in zip(vals, widths)).rstrip()
    out = [line(columns), line(["-" * w for w in widths])]
    out += [line(row) for row in cells]
    return "\n".join(out)


def query_help(q) -> str:
    lines = [f"kg query {q.name} " + " ".join(
        (f"--{x.name.replace('_', '-')} VALUE" if x.required else f"[--{x.name.replace('_', '-')}"
         + ("]" if x.kind == "bool" else " VALUE]")) for x in q.params) + " [--json]", ""]
    lines += ["  " + ln.strip() for ln in q.doc.strip().splitlines()]
    lines += ["", "Parameters:"]
    for x in q.params:
        extra = f" (default {x.default})" if x.default not in (None, False) else ""
        choices = f" [{'|'.join(x.choices)}]" if x.choices else ""
        lines.append(f"  --{x.name.replace('_', '-'):<12} {x.help}{choices}{extra}")
    lines += ["", f"Columns: {', '.join(q.columns)}", f"Value: {q.value or 'none'}"]
    return "\n".join(lines)


def register(main) -> None:
    @main.command("query", add_help_option=False,
                  context_settings={"ignore_unknown_options": True, "allow_extra_args": True,
                                    "allow_interspersed_args": False})
    @click.argument("name", required=False)
    @click.option("--list", "list_", is_flag=True, help="List the named queries.")
    @click.option("--json", "as_json", is_flag=True, help="Print the Result as JSON (default: a table).")
    @click.option("-h", "--help", "show_help", is_flag=True, help="Show this help, or a query's parameters.")
    @click.argument("args", nargs=-1, type=click.UNPROCESSED)
    @click.pass_context
    def query_cmd(ctx, name, list_, as_json, show_help, args):
        """Run a named query: kg query NAME --param value … [--json]; kg query --list lists them."""
        from kg.cli import echo_json, open_configured_store
        from kg.queries import REGISTRY, run
        from kg.queries.base import lookup

        args = list(args)
        # --json / --help may come after the query's own parameters
        for flag in ("--json",):
            while flag in args:
                args.remove(flag)
                as_json = True
        for flag in ("--help", "-h"):
            while flag in args:
                args.remove(flag)
                show_help = True
        if list_ or (name is None and not show_help):
            if as_json:
                echo_json([q.describe() for q in REGISTRY.values()])
                return
            for q in sorted(REGISTRY.values(), key=lambda q: q.name):
                ps = ", ".join(x.name + ("" if x.required else "?") for x in q.params)
                click.echo(f"{q.name}({ps})\n    {q.summary}")
            return
        if name is None:
            click.echo(ctx.get_help())
            return
        q = lookup(name)
        if show_help:
            click.echo(query_help(q))
            return
        params = parse_args(q, args)
        store = open_configured_store(ctx.obj)
        try:
            res = run(store, name, **params)
        finally:
            store.close()
        if as_json:
            echo_json(res.as_dict())
            return
        click.echo(format_table(list(res.columns), res.rows))
        tail = []
        if res.value is not None:
            tail.append(f"value: {_cell(res.value)}")
        tail.append(f"{len(res.rows)} row(s)")
        if res.truncated:
            tail.append(f"truncated ({res.meta.get('omitted', '?')} more)")
        click.echo("\n" + "; ".join(tail))

