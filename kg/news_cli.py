"""``kg extract`` and ``kg load news``: deals from announcements (see CONTRACT.md).

Both read one announcement per line (plain text, or JSONL with a "text" field). ``kg extract``
stores nothing; it links names to the graph of the workspace when one exists (read only).
``kg load news`` adds the deals to the graph with provenance ``news:<sha256(text)[:16]>``.
"""
from __future__ import annotations

import sys
from pathlib import Path

import click

from kg.errors import KGError

__all__ = ["NewsLoadReport", "load_news", "register"]


def _lexicon_for_extract(config, use_graph: bool):
    """The graph's names when a graph is there to read; never creates a workspace."""
    if not use_graph:
        return None
    from loaders.news import lexicon_from_store

    from kg.store import open_store

    try:
        if config.backend == "embedded" and not Path(config.workspace).is_dir():
            return None  # opening would create the folder
        store = open_store(config)
        try:
            if not store.stats().get("nodes"):
                return None  # nothing loaded yet
            return lexicon_from_store(store)
        finally:
            store.close()
    except KGError as exc:
        click.echo(f"kg: warning: extracting without the graph's names ({exc})", err=True)
        return None


class NewsLoadReport:
    """What ``load_news`` did: announcements, deals, rejects, changes, exit code."""

    def __init__(self, file: str, rows: int, loaded: int, deals: int, rejects: list, rejects_path: str | None,
                 changes: dict, exit_code: int):
        self.kind, self.file, self.rows, self.loaded, self.deals = "news", file, rows, loaded, deals
        self.rejected, self.rejects, self.rejects_path = len(rejects), rejects, rejects_path
        self.changes, self.exit_code = changes, exit_code

    def as_dict(self) -> dict:
        return {"kind": self.kind, "file": self.file, "rows": self.rows, "loaded": self.loaded, "deals": self.deals,
                "rejected": self.rejected, "rejects_path": self.rejects_path, "changes": self.changes,
                "exit_code": self.exit_code,
                "rejects": [{"line": r.line, "reason": r.reason} for r in self.rejects[:50]]}


def load_news(store, path, workspace) -> NewsLoadReport:
    """Extract the deals of a file of announcements and apply them to ``store`` in one batch.

    Exit code: 0 every non-empty line gave a deal; 2 some gave none (listed in a rejects CSV,
    the rest loaded); 1 no deal at all (nothing written).
    """
    from kg.loading import write_rejects
    from loaders.news import lexicon_from_store, parse_news

    path = Path(path)
    res = parse_news(path, lexicon_from_store(store))
    rejects_path = write_rejects(workspace, path.name, ["text"], res.rejects) if res.rejects else None
    if res.deals == 0:
        return NewsLoadReport(str(path), res.rows, 0, 0, res.rejects, rejects_path, {}, 1)
    record = {"kind": "news", "file": path.name, "path": str(path.resolve()), "sha256": res.sha256, "rows": res.rows,
              "loaded": res.loaded, "rejected": len(res.rejects), "deals": res.deals, "rejects": rejects_path}
    changes = store.apply(res.batch, record=record)
    return NewsLoadReport(str(path), res.rows, res.loaded, res.deals, res.rejects, rejects_path, changes,
                          2 if res.rejects else 0)


def register(main: click.Group) -> None:
    from kg.cli import echo_json, echo_rejects, open_configured_store, pass_config

    @main.command("extract")
    @click.argument("file", type=click.Path(dir_okay=False))
    @click.option("--json", "as_json", is_flag=True, help="One JSON object per line in (the contract's format).")
    @click.option("--no-graph", is_flag=True, help="Do not link names to the workspace's graph.")
    @pass_config
    def extract_cmd(config, file, as_json, no_graph):
        """Deals found in announcements (one per line: plain text or JSONL with "text"); nothing is stored.

        With --json, each line in gives one line out:
        {"text", "deals": [{"company", "round", "amount", "currency", "date", "investors", "lead_investors",
        "evidence", "confidence", "field_confidence", "doubts"}]}. Amounts are in units of their currency,
        null when vague or not stated. "evidence" maps each field to the [start, end] character span of the
        original text it was read from (investors: one span per name); "doubts" (only when present) say
        why 'kg load news' keeps the deal out of the graph. Exit 0; 1 when the file cannot be read.
        """
        from loaders.news import extract, read_announcements

        lines = read_announcements(file)
        lexicon = _lexicon_for_extract(config, not no_graph)
        for _, text in lines:
            deals = extract(text, lexicon) if text.strip() else []
            if as_json:
                echo_json({"text": text, "deals": [d.as_json() for d in deals]})
                continue
            click.echo(text)
            if not deals:
                click.echo("  (no deal)")
            for d in deals:
                money = "undisclosed" if d.amount is None else f"{d.as_json()['amount']:,} {d.currency}"
                if d.amount is None and d.currency:
                    money += f" ({d.currency}, vague)"
                leads = f"; lead: {', '.join(d.lead_investors)}" if d.lead_investors else ""
                click.echo(f"  {d.company} | {d.round or '?'} | {money} | {d.date or 'no date'} | "
                           f"{', '.join(d.investors) or 'no investor named'}{leads} | confidence {d.confidence:.2f}")
                if d.doubts:
                    click.echo(f"    not loaded by 'kg load news': {'; '.join(d.doubts)}")

    load_group = main.commands["load"]

    @load_group.command("news")
    @click.argument("file", type=click.Path(dir_okay=False))
    @click.option("--json", "as_json", is_flag=True, help="Print the load report as JSON.")
    @pass_config
    def load_news_cmd(config, file, as_json):
        """Deals extracted from announcements (one per line), added with provenance news:<hash>.

        A deal whose company or round is uncertain is not loaded: it is listed in the rejects with
        the reason. Exit 0 when every non-empty line gave a deal; 2 when some gave none (they are listed in a
        rejects CSV in the workspace, the rest is loaded); 1 when no deal was found or the file
        cannot be read. Loading the same file again changes nothing.
        """
        from loaders.news import read_announcements

        read_announcements(file)  # a missing or unusable file fails before the store is opened
        from kg.loading import prepare_reads

        store = open_configured_store(config)
        rep = load_news(store, file, config.workspace)
        if rep.exit_code != 1:
            prepare_reads(store)
        if as_json:
            echo_json(rep.as_dict())
        elif rep.exit_code == 1:
            click.echo(f"{file}: no deal found in {rep.rows} announcement(s): nothing loaded", err=True)
        else:
            c = rep.changes
            click.echo(f"{file}: {rep.deals} deal(s) from {rep.loaded} of {rep.rows} announcements loaded "
                       f"({c.get('nodes_created', 0)} nodes, {c.get('rels_created', 0)} relationships new)")
        if not as_json:
            echo_rejects(rep, "lines without a deal")
        sys.exit(rep.exit_code)
