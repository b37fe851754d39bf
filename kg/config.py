"""Settings, declared once: name, environment variable, default and help.

Every command-line option of the same name overrides the environment; the README's
configuration table is generated from :data:`SETTINGS` (a test checks they agree).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["SETTINGS", "Config", "default_workspace"]


def default_workspace() -> str:
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(Path.home(), ".local", "share")
    return os.path.join(base, "iikg")


# name, env var, default, help
SETTINGS: list[tuple[str, str, object, str]] = [
    ("workspace", "KG_WORKSPACE", None, "folder holding the embedded graph, import manifest and rejects (default: ~/.local/share/iikg)"),
    ("backend", "KG_BACKEND", "embedded", "embedded | neo4j | falkordb"),
    ("neo4j_uri", "NEO4J_URI", "bolt://localhost:7687", "Neo4j server"),
    ("neo4j_username", "NEO4J_USERNAME", "neo4j", "Neo4j user"),
    ("neo4j_password", "NEO4J_PASSWORD", None, "Neo4j password"),
    ("neo4j_database", "NEO4J_DATABASE", "neo4j", "Neo4j database"),
    ("falkordb_url", "FALKORDB_URL", "falkor://localhost:6379", "FalkorDB server (falkor://host:port or redis://host:port)"),
    ("falkordb_graph", "FALKORDB_GRAPH", "iikg", "FalkorDB graph name"),
    ("batch_size", "KG_BATCH_SIZE", 2000, "rows per UNWIND batch when writing to a Cypher server"),
    ("query_timeout_ms", "KG_QUERY_TIMEOUT_MS", 10000, "timeout of each read on a Cypher server"),
    ("token", "KG_TOKEN", None, "access token; required when `kg serve` binds to anything but loopback"),
    ("max_upload_mb", "KG_MAX_UPLOAD_MB", 50, "largest file the web import accepts"),
]


@dataclass
class Config:
    workspace: str = field(default_factory=default_workspace)
    backend: str = "embedded"
    neo4j_uri: str = "bolt://localhost:7687"
    neo4j_username: str = "neo4j"
    neo4j_password: str | None = None
    neo4j_database: str = "neo4j"
    falkordb_url: str = "falkor://localhost:6379"
    falkordb_graph: str = "iikg"
    batch_size: int = 2000
    query_timeout_ms: int = 10000
    token: str | None = None
    max_upload_mb: int = 50

    @classmethod
    def from_env(cls, **overrides) -> "Config":
        """Defaults, then environment variables, then explicit (non-None) overrides."""
        values: dict = {}
        for name, env, default, _ in SETTINGS:
            raw = os.environ.get(env)
            if raw not in (None, ""):
                values[name] = type(default)(raw) if isinstance(default, int) else raw
        values.update({k: v for k, v in overrides.items() if v is not None})
        if not values.get("workspace"):
            values["workspace"] = default_workspace()
        return cls(**values)
