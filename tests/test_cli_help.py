"""`kg --help` lists every command without importing the heavy areas (spaCy, scipy, Flask)."""
from __future__ import annotations

import subprocess
import sys

import click

from kg.cli import LAZY_COMMANDS, LAZY_HELP, LAZY_LOAD_COMMANDS, _import_plugin, _module_exists, main


def test_lazy_help_is_each_commands_own_short_help():
    for mod in set(LAZY_COMMANDS.values()) | set(LAZY_LOAD_COMMANDS.values()):
        assert _import_plugin(mod)
    load = main.commands["load"]
    for name in LAZY_COMMANDS:
        assert LAZY_HELP[name] == main.commands[name].get_short_help_str(limit=1000), name
    for name in LAZY_LOAD_COMMANDS:
        assert LAZY_HELP[name] == load.commands[name].get_short_help_str(limit=1000), name


def test_help_imports_no_heavy_area():
    code = ("import sys\nfrom kg.cli import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('spacy', 'scipy', 'flask', 'kg.chat', 'kg.queries') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert lines[-1] == "[]", lines[-1]
    listed = "\n".join(lines)
    for name in ("ask", "chat", "query", "serve", "up", "bench", "export", "extract", "demo", "report", "stats"):
        assert f"  {name} " in listed


def test_module_exists_without_importing():
    assert _module_exists("kg.chat.cli") and _module_exists("web.cli") and _module_exists("kg")
    assert not _module_exists("kg.no_such_area") and not _module_exists("no_such_package.cli")
    ctx = click.Context(main)
    assert "ask" in main.list_commands(ctx)
