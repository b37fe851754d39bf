"""The named queries as Markdown, generated from :data:`kg.queries.REGISTRY` (for ``docs/``).

>>> "## portfolio" in markdown()
True
"""
from __future__ import annotations

__all__ = ["markdown"]


def markdown() -> str:
    """One section per query: what it answers, its parameters, columns, value and Cypher shape."""
    from kg.queries import REGISTRY

    out = ["# Named queries", "",
           ("Generated from `kg.queries.REGISTRY` (`python -c 'from kg.queries.docs import markdown; "
           "print(markdown())'`). Run one with `kg query NAME --param value [--json]`, from Python with "
           "`kg.queries.run(store, NAME, **params)`, over HTTP with `/api/query/NAME?param=value`."), ""]
    for name in sorted(REGISTRY):
        q = REGISTRY[name]
        doc = "\n".join(line.strip() for line in q.doc.strip().splitlines())
        out += [f"## {name}", "", doc, "", "| parameter | kind | default | |", "|---|---|---|---|"]
        for p in q.params:
            default = "required" if p.required else ("" if p.default is None else f"`{p.default}`")
            choices = f" ({' / '.join(p.choices)})" if p.choices else ""
            out.append(f"| `{p.name}` | {p.kind} | {default} | {p.help}{choices} |")
        out += ["", f"Columns: {', '.join(f'`{c}`' for c in q.columns)}. Value: {q.value or 'none'}.", ""]
    return "\n".join(out)
