"""`kg query` through the `kg` command group (click's runner, in process), on a real workspace."""
from __future__ import annotations

import json
import subprocess

import pytest
from click.testing import CliRunner

from kg.queries import REGISTRY


@pytest.fixture
def kg():
    from kg.cli import main

    runner = CliRunner()

    def call(*args, workspace):
        res = runner.invoke(main, ["--workspace", str(workspace), *map(str, args)], catch_exceptions=False)
        return subprocess.CompletedProcess(args, res.exit_code, res.stdout, res.stderr)
    return call


def test_list(kg, dev_workspace):
    res = kg("query", "--list", workspace=dev_workspace)
    assert res.returncode == 0, res.stderr
    for name in REGISTRY:
        assert f"\n{name}(" in "\n" + res.stdout
    listed = json.loads(kg("query", "--list", "--json", workspace=dev_workspace).stdout)
    assert {q["name"] for q in listed} == set(REGISTRY)
    assert all(q["doc"] and q["columns"] for q in listed)


def test_run_json_and_table(kg, dev_workspace):
    res = kg("query", "portfolio", "--investor", "联想创投", "--json", workspace=dev_workspace)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["name"] == "portfolio" and out["value"] == 14 and len(out["rows"]) == 14
    assert "$investor" in out["cypher"] and out["params_cypher"]["investor"] == "investor:联想创投"
    assert out["graph"]["nodes"] and out["graph"]["edges"]
    table = kg("query", "deal_count", "--investor", "深创投", "--lead-only", "--round", "A轮", "--round=种子轮",
               workspace=dev_workspace)
    assert table.returncode == 0, table.stderr
    assert table.stdout.splitlines()[0].split() == ["date", "company", "round", "amount_cny"]
    assert "value: 3" in table.stdout


def test_help_and_mistakes(kg, dev_workspace):
    help_ = kg("query", "co_investors", "--help", workspace=dev_workspace)
    assert help_.returncode == 0 and "--investor" in help_.stdout and "--k" in help_.stdout
    for args, message in [(("portfolo",), "did you mean portfolio"),
                          (("portfolio", "--investor", "无此机构"), "no investor named"),
                          (("portfolio", "--investor", "深创投", "--colour", "red"), "unknown parameter --colour"),
                          (("portfolio", "--investor"), "needs a value")]:
        res = kg("query", *args, workspace=dev_workspace)
        assert res.returncode == 1 and message in res.stderr and "Traceback" not in res.stderr
        assert len(res.stderr.strip().splitlines()) == 1
