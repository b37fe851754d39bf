"""`kg export`: a named query to a file, in process (click's runner) and through the real console entry point."""
from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import zipfile

import networkx as nx
import pytest
from click.testing import CliRunner

from kg.export_cli import output_path, parse_params


@pytest.fixture
def cli(_dev_snapshot, monkeypatch, tmp_path):
    """Invoke ``kg --workspace <seeded dev workspace> …`` in process, from ``tmp_path``."""
    from kg.cli import main

    monkeypatch.chdir(tmp_path)

    def invoke(*args):
        return CliRunner().invoke(main, ["--workspace", str(_dev_snapshot), *map(str, args)], catch_exceptions=False)

    return invoke


def test_parse_params_and_output_path(tmp_path):
    assert parse_params(["investor=深创投", "year=2019", "q=a=b"]) == {"investor": "深创投", "year": "2019", "q": "a=b"}
    from kg.errors import InputError

    with pytest.raises(InputError):
        parse_params(["investor"])
    assert output_path(None, "a.json").name == "a.json"
    assert output_path(str(tmp_path), "a.json") == tmp_path / "a.json"
    assert output_path(str(tmp_path / "x.json"), "a.json") == tmp_path / "x.json"
    assert output_path("-", "a.json") is None


def test_export_query_to_json(cli, tmp_path):
    out = tmp_path / "co.json"
    r = cli("export", "--query", "co_investors", "--param", "investor=深创投", "--format", "json", "-o", out, "--json")
    assert r.exit_code == 0, r.output
    info = json.loads(r.output.strip().splitlines()[-1])
    assert info["path"] == str(out) and info["bytes"] == out.stat().st_size and info["format"] == "json"
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["provenance"]["query"] == "co_investors" and doc["provenance"]["params"] == {"investor": "深创投"}
    assert doc["rows"] and doc["cypher"]
    G = nx.node_link_graph(doc["graph"], edges="edges")
    assert "investor:深创投" in G


def test_export_default_name_in_the_current_folder_and_max_nodes(cli, tmp_path):
    r = cli("export", "--query", "co_investors", "--param", "investor=深创投", "--format", "csv", "--max-nodes", "5")
    assert r.exit_code == 0, r.output
    f = tmp_path / "co_investors-深创投.zip"
    assert f.exists() and "truncated" in r.output
    zf = zipfile.ZipFile(io.BytesIO(f.read_bytes()))
    assert "truncated.txt" in zf.namelist() and "rows.csv" in zf.namelist()


def test_export_to_stdout(cli):
    r = cli("export", "--query", "co_investors", "--param", "investor=深创投", "--format", "graphml", "-o", "-")
    assert r.exit_code == 0
    G = nx.read_graphml(io.BytesIO(r.stdout_bytes))
    assert G.nodes["investor:深创投"]["name"] == "深创投"


@pytest.mark.parametrize("args, message", [
    ([], "--query NAME"),
    (["--query", "no_such_query"], "unknown query"),
    (["--query", "co_investors", "--param", "investor"], "NAME=VALUE"),
    (["--query", "co_investors", "--ask", "深创投和谁一起投资？"], "not both"),
])
def test_export_mistakes_are_one_line_and_exit_1(cli, args, message):
    r = cli("export", "--format", "json", *args)
    assert r.exit_code == 1
    assert message in r.output and "Traceback" not in r.output


def test_export_a_question(cli, tmp_path):
    out = tmp_path / "ask.json"
    r = cli("export", "--ask", "深创投和谁一起投资？", "--format", "json", "-o", out)
    assert r.exit_code == 0, r.output
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["provenance"]["question"] == "深创投和谁一起投资？" and doc["title"] == "深创投和谁一起投资？"
    assert doc["graph"]["nodes"]
    r = cli("export", "--ask", "今天天气怎么样", "--format", "json", "-o", out)
    assert r.exit_code == 1 and "not understood" in r.output


def test_export_unknown_format_is_refused(cli):
    r = cli("export", "--query", "co_investors", "--format", "docx")
    assert r.exit_code == 2 and "docx" in r.output


def test_kg_export_console_entry_point(dev_workspace, tmp_path):
    """Through the installed ``kg`` script (what users run)."""
    exe = shutil.which("kg")
    cmd = [exe] if exe else [sys.executable, "-c", "from kg.cli import main; main()"]
    out = tmp_path / "out"
    r = subprocess.run([*cmd, "--workspace", str(dev_workspace), "export", "--query", "co_investors",
                        "--param", "investor=深创投", "--format", "cypher", "-o", f"{out}/"],
                       capture_output=True, text=True, timeout=120, cwd=tmp_path, check=False,
                       env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    assert r.returncode == 0, r.stderr
    files = list(out.iterdir())
    assert [f.name for f in files] == ["co_investors-深创投.cypher"]
    text = files[0].read_text(encoding="utf-8")
    assert "MERGE (n:Investor {id: 'investor:深创投'})" in text
