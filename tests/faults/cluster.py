"""A private PostgreSQL cluster for fault and backup tests, and the app run against it.

The tests create a cluster of their own (Debian's `pg_createcluster`) on a free port,
start, stop and restart it as the fault needs, and drop it at the end: the shared
server on 5432 is never touched. The app runs against it in other processes (gunicorn,
`manage.py`, `python -m tests.faults.site_data`), since this test process keeps
pytest-django's own test database.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[2]
CTL = ("pg_ctlcluster", "--skip-systemctl-redirect")


@dataclass(frozen=True)
class PrivateCluster:
    version: str
    name: str
    port: int

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def ctl(self, action: str) -> None:
        """start, stop or restart (fast: open connections are cut, as in a real restart)."""
        options = ["-m", "fast"] if action in {"stop", "restart"} else []
        _run([*CTL, self.version, self.name, action, *options])

    def execute(self, sql: str, *, database: str = "postgres") -> list[tuple]:
        with psycopg.connect(self.url(database), autocommit=True) as connection:
            cursor = connection.execute(sql)
            return cursor.fetchall() if cursor.description else []

    def create_database(self, name: str) -> str:
        self.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def private_cluster() -> Iterator[PrivateCluster]:
    """A running PostgreSQL cluster of our own, with trust authentication on 127.0.0.1;
    dropped afterwards. Skips the test where clusters cannot be created here."""
    if shutil.which("pg_createcluster") is None:
        pytest.skip("pg_createcluster is not installed (Debian's postgresql-common)")
    if os.geteuid() != 0:
        pytest.skip("creating a private PostgreSQL cluster needs root (pg_createcluster)")
    version = _newest_server_version()
    cluster = PrivateCluster(version, f"cxvet_fault_{uuid.uuid4().hex[:10]}", _free_port())
    _run(
        [
            *("pg_createcluster", version, cluster.name, "--port", str(cluster.port)),
            *("--", "--auth=trust", "--no-sync"),
        ]
    )
    try:
        cluster.ctl("start")
        yield cluster
    finally:
        _run(["pg_dropcluster", version, cluster.name, "--stop"])


def app_env(database_url: str, media_root: Path, **extra: str) -> dict[str, str]:
    """The environment for the app in another process on `database_url`: the embedded
    task runner and cache (no Redis), and the given media directory."""
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "REDIS_CACHE_URL"}}
    env.update(DATABASE_URL=database_url, MEDIA_ROOT=str(media_root), DEBUG="true")
    env.update(extra)
    return env


def manage(env: dict[str, str], *args: str, fails: bool = False) -> subprocess.CompletedProcess:
    """Run manage.py with `env`; fail the test with its output if it fails (or, with
    `fails`, if it does not)."""
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    succeeded = done.returncode == 0
    assert succeeded != fails, f"manage.py {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done


def site_data(env: dict[str, str], command: str, *args: str):
    """Run a command of tests/faults/site_data.py against `env`'s database; its JSON."""
    done = subprocess.run(
        [sys.executable, "-m", "tests.faults.site_data", command, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, f"site_data {command}:\n{done.stdout}\n{done.stderr}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def _newest_server_version() -> str:
    installed = [p.name for p in Path("/usr/lib/postgresql").glob("*") if p.name.isdigit()]
    if not installed:
        pytest.skip("no PostgreSQL server is installed under /usr/lib/postgresql")
    return max(installed, key=int)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
