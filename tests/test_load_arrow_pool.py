"""The ``kg`` entry point chooses Arrow's memory pool before pyarrow is imported (kg/cli.py):
jemalloc on Linux, unless the user named one in ``ARROW_DEFAULT_MEMORY_POOL``."""
import os
import subprocess
import sys

_PROBE = "import kg.cli, pyarrow as pa; print(pa.default_memory_pool().backend_name)"


def _backend(**env) -> str:
    e = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"} | env
    out = subprocess.run([sys.executable, "-c", _PROBE], env=e, capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_kg_processes_use_jemalloc_on_linux():
    # elsewhere the choice is left to Arrow (pyarrow's wheels there may lack jemalloc)
    assert (_backend() == "jemalloc") is sys.platform.startswith("linux")


def test_the_users_choice_is_kept():
    assert _backend(ARROW_DEFAULT_MEMORY_POOL="system") == "system"
