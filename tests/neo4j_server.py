"""A throw-away Neo4j 5.26 Community for the tests and ``kg bench neo4j``: the launcher in
``tests/neo4j`` (Maven Central jars, run in-process by one Java class), never used to serve a workspace.

    with Neo4jServer() as srv:          # builds the launcher first if need be (mvn -q -B package)
        GraphDatabase.driver(srv.uri, auth=(srv.user, srv.password))

:func:`build` runs Maven when ``tests/neo4j/target/classpath.txt`` is missing or older than the pom
or the launcher's source (jars are cached in ``~/.m2``; a cold cache downloads ~150 MB once).
:class:`Neo4jServer` starts ``java … iikg.Neo4jLauncher`` with the password in ``NEO4J_PASSWORD``,
waits for the one line it prints (``bolt://127.0.0.1:PORT``) and stops it by closing its stdin
(then SIGTERM, then SIGKILL). A launcher that cannot build or start raises :class:`ServerError`
with Maven's or Java's own last lines: the tests fail on it, they never skip.
"""
from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import threading
import time
from pathlib import Path

__all__ = ["BENCH_JAVA_OPTS", "HERE", "JAVA_OPTS", "Neo4jServer", "ServerError", "build"]

HERE = Path(__file__).resolve().parent / "neo4j"
TARGET = HERE / "target"
CLASSPATH = TARGET / "classpath.txt"
# a small, quick JVM: the tests' graphs are small and start-up time is what counts (C1 only)
JAVA_OPTS = ["-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xms256m", "-Xmx2g", "-Xss2m"]
# for measuring: the full JIT and a parallel collector, as a Neo4j server runs
BENCH_JAVA_OPTS = ["-XX:+UseG1GC", "-Xms1g", "-Xmx4g", "-Xss2m"]


class ServerError(RuntimeError):
    """The launcher could not be built or Neo4j did not start."""


def _tail(text: str, n: int = 25) -> str:
    return "\n".join((text or "").strip().splitlines()[-n:])


def _stale() -> bool:
    if not CLASSPATH.exists() or not (TARGET / "classes" / "iikg" / "Neo4jLauncher.class").exists():
        return True
    built = CLASSPATH.stat().st_mtime
    sources = [HERE / "pom.xml", *HERE.glob("src/**/*.java")]
    if any(p.stat().st_mtime > built for p in sources):
        return True
    return not all(Path(j).exists() for j in CLASSPATH.read_text().strip().split(os.pathsep) if j)


def build(timeout: float = 1800) -> Path:
    """Compile the launcher and write its class path with Maven (only when stale); returns ``target``."""
    if not _stale():
        return TARGET
    mvn = shutil.which("mvn")
    if mvn is None or shutil.which("java") is None:
        raise ServerError("Neo4j for the tests needs Java 17 and Maven (apt-get install openjdk-17-jdk-headless "
                          "maven; .ci/run does it)")
    try:
        res = subprocess.run([mvn, "-q", "-B", "package"], cwd=HERE, capture_output=True, text=True,
                             timeout=timeout)
    except subprocess.TimeoutExpired:
        raise ServerError(f"mvn package in {HERE} took more than {timeout:.0f} s") from None
    if res.returncode != 0 or not CLASSPATH.exists():
        raise ServerError(f"blocked: mvn -q -B package in {HERE} failed (exit {res.returncode}):\n"
                          f"{_tail(res.stdout + res.stderr)}")
    return TARGET


class Neo4jServer:
    """One Neo4j on 127.0.0.1: ``uri``, ``user`` (``neo4j``), ``password``, ``database`` (``neo4j``)."""

    user = "neo4j"
    database = "neo4j"

    def __init__(self, password: str | None = None, java_opts: list[str] | None = None):
        self.password = password or "iikg-" + secrets.token_hex(8)
        self.java_opts = list(java_opts or JAVA_OPTS)
        self.uri: str | None = None
        self.proc: subprocess.Popen | None = None
        self.started_s: float | None = None  # seconds from exec to the URI line
        self._stderr: list[str] = []

    def start(self, timeout: float = 180) -> Neo4jServer:
        build()
        cp = f"{TARGET / 'classes'}{os.pathsep}{CLASSPATH.read_text().strip()}"
        env = {**os.environ, "NEO4J_PASSWORD": self.password}
        t0 = time.monotonic()
        self.proc = subprocess.Popen(["java", *self.java_opts, "-cp", cp, "iikg.Neo4jLauncher"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
        threading.Thread(target=self._drain, daemon=True).start()
        line: list[str] = []
        reader = threading.Thread(target=lambda: line.append(self.proc.stdout.readline()), daemon=True)
        reader.start()
        reader.join(timeout)
        uri = (line[0] if line else "").strip()
        if not uri.startswith("bolt://"):
            self.stop()
            why = "did not print its Bolt URI" + (f" within {timeout:.0f} s" if not line else "")
            raise ServerError(f"Neo4j {why}:\n{_tail(''.join(self._stderr))}")
        self.uri = uri
        self.started_s = time.monotonic() - t0
        return self

    def _drain(self) -> None:
        for chunk in self.proc.stderr:
            self._stderr.append(chunk)

    @property
    def port(self) -> int:
        return int(self.uri.rsplit(":", 1)[1])

    def stop(self, timeout: float = 30) -> None:
        """Close the launcher's stdin (it shuts Neo4j down and deletes its data), then insist."""
        p, self.proc = self.proc, None
        if p is None:
            return
        try:
            p.stdin.close()
        except OSError:
            pass
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        for f in (p.stdout, p.stderr):
            try:
                f.close()
            except OSError:
                pass

    def __enter__(self) -> Neo4jServer:
        return self.start() if self.proc is None else self

    def __exit__(self, *exc) -> None:
        self.stop()
