"""gunicorn, the production server, in a process of its own on a free local port.

Used by the production-configuration tests, the portal benchmark and the load test.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START_SECONDS = 60


@contextlib.contextmanager
def gunicorn(
    app: str,
    *,
    env: dict[str, str],
    log_path: Path,
    workers: int = 1,
    options: Sequence[str] = (),
) -> Iterator[int]:
    """Serve the WSGI `app` ("module:name") with `workers` sync workers (or as
    `options` say, e.g. ["--threads", "4"]); yield its port.

    No control socket: gunicorn would otherwise open one at a fixed path under the
    user's home, shared by every gunicorn on the machine (tests, benchmarks, load test).
    """
    port = _free_port()
    log_path.parent.mkdir(parents=True, exist_ok=True)
    command = [
        *(sys.executable, "-m", "gunicorn", app),
        *("--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--no-control-socket"),
        *options,
    ]
    with open(log_path, "w") as log:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_for_port(server, port, log_path)
            yield port
        finally:
            server.terminate()
            server.wait(timeout=30)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_port(server: subprocess.Popen, port: int, log_path: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}; see {log_path}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not accept connections within {START_SECONDS} s")
