"""``kg ask`` and ``kg chat``: the chat from the command line (JSON lines for scripts)."""
from __future__ import annotations

import sys

import click

__all__ = ["register"]


def _print(ans: dict, as_json: bool) -> None:
    from kg.cli import echo_json

    if as_json:
        echo_json(ans)
        return
    click.echo(ans["text"])
    if ans.get("cypher"):
        click.echo(click.style(ans["cypher"], dim=True))
    sys.stdout.flush()


def register(main: click.Group) -> None:
    from kg.cli import open_configured_store, pass_config  # here: kg.cli imports this module while it loads

    @main.command("ask")
    @click.argument("questions", nargs=-1, required=True)
    @click.option("--json", "as_json", is_flag=True, help="One JSON object per question, one per line.")
    @click.option("--explain", is_flag=True, help="Print what was understood (intent and slots) instead of answering.")
    @pass_config
    def ask_cmd(config, questions, as_json, explain):
        """Answer each QUESTION on its own (Chinese or English)."""
        from kg.chat import answer, parse

        store = open_configured_store(config)
        for q in questions:
            if explain:
                click.echo(str(parse(store, q)))
                continue
            _print(answer(store, q), as_json)

    @main.command("chat")
    @click.option("--jsonl", "as_json", is_flag=True, help="JSON lines out (one per input line); questions from stdin.")
    @pass_config
    def chat_cmd(config, as_json):
        """A conversation: one question a line from stdin; follow-ups keep the context; /reset clears it."""
        from kg.chat import Session, answer

        store = open_configured_store(config)
        session = Session()
        interactive = sys.stdin.isatty() and not as_json
        while True:
            if interactive:
                click.echo("> ", nl=False)
            line = sys.stdin.readline()
            if not line:
                break
            q = line.rstrip("\r\n")
            if interactive and not q.strip():
                continue
            _print(answer(store, q, session), as_json)
