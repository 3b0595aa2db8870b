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


def gunicorn_pids(port: int) -> tuple[int, list[int]]:
    """The pid of the gunicorn master serving `port` and those of its workers (forked
    from it, so with the same command line)."""
    serving, parents = set(), {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if any(b"gunicorn" in part for part in command) and f"127.0.0.1:{port}".encode() in command:
            serving.add(int(entry.name))
            parents[int(entry.name)] = parent
    masters = [pid for pid in serving if parents[pid] not in serving]
    if len(masters) != 1:
        raise RuntimeError(f"expected one gunicorn master on port {port}, found {masters}")
    return masters[0], sorted(pid for pid in serving if parents[pid] == masters[0])


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
