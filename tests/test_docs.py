"""The documentation tells the truth: every setting, command and named query is documented."""
from pathlib import Path

from click.testing import CliRunner

from kg.cli import main
from kg.config import SETTINGS

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_in_the_readme():
    for name, env, _default, _help in SETTINGS:
        assert f"`{env}`" in README, env


def test_every_command_is_in_the_readme():
    ctx = main.make_context("kg", ["stats"])
    for name in main.list_commands(ctx):
        if main.get_command(ctx, name) is not None:
            assert f"`kg {name}" in README, name


def test_queries_reference_is_generated_from_the_registry():
    from kg.queries import REGISTRY
    from kg.queries.docs import markdown

    assert (ROOT / "docs" / "QUERIES.md").read_text(encoding="utf-8") == markdown() + "\n", \
        "regenerate: python -c \"from kg.queries.docs import markdown; open('docs/QUERIES.md','w').write(markdown()+'\\n')\""
    for name in REGISTRY:
        assert f"## {name}" in markdown()


def test_readme_test_command_is_what_ci_runs():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "bash .ci/run" in README and "python3 -m pytest" in ci


def test_help_runs():
    r = CliRunner().invoke(main, ["--help"])
    assert r.exit_code == 0 and "load" in r.output
