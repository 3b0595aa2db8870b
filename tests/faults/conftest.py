"""Fault tests: a private Redis and Celery worker that a test may stop, kill and restart.

Nothing here touches the shared Redis (6379) or PostgreSQL (5432): each test starts its
own `redis-server` on a free port, points this process's cache and Celery app at it
(what REDIS_URL=redis://127.0.0.1:<port>/0 would configure), and starts a worker process
against it and the test database. Every process is stopped by its own handle.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis

from cxvet.celery import app
from cxvet.settings import cache_settings
from tests.conftest import ROOT, subprocess_env_for_test_database, wait_until

START_SECONDS = 60
EMAIL_END = "-" * 79  # what the file email backend writes after each message


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class PrivateRedis:
    """A redis-server of this test's own, without persistence: a restart loses its data."""

    port: int
    log_path: Path
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self, db: int = 0) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, db=db, socket_timeout=5)

    def start(self) -> None:
        with open(self.log_path, "a") as log:
            self.process = subprocess.Popen(
                [
                    "redis-server",
                    "--port",
                    str(self.port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_until(self._answers, timeout=START_SECONDS)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        self.process.wait(timeout=30)
        self.process = None

    def _answers(self) -> bool:
        try:
            return bool(self.client().ping())
        except redis.exceptions.ConnectionError:
            return False


@pytest.fixture
def private_redis(tmp_path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(port=_free_port(), log_path=tmp_path / "redis.log")
    server.start()
    yield server
    server.stop()


@dataclass
class Services:
    """This process pointed at the private Redis, and its worker process."""

    redis: PrivateRedis
    queue: str
    env: dict[str, str]
    email_dir: Path
    log_path: Path
    worker: subprocess.Popen | None = None
    logs: list[Path] = field(default_factory=list)

    @property
    def worker_name(self) -> str:
        return f"{self.queue}@{socket.gethostname()}"

    def start_worker(self, *, pool: str = "prefork") -> subprocess.Popen:
        """Start a worker process (one child with prefork) and wait until it answers."""
        log = self.log_path.with_name(f"worker-{len(self.logs)}.log")
        self.logs.append(log)
        with open(log, "w") as out:
            self.worker = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "cxvet",
                    "worker",
                    f"--pool={pool}",
                    "--concurrency=1",
                    "--loglevel=INFO",
                    "--without-mingle",
                    "--without-gossip",
                    "-Q",
                    self.queue,
                    "-n",
                    f"{self.queue}@%h",
                ],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, to kill it whole
            )
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.worker.poll() is not None:
                pytest.fail(f"the worker exited with {self.worker.returncode}; see {log}")
            if app.control.ping(destination=[self.worker_name], timeout=1):
                return self.worker
        pytest.fail(f"the worker did not answer within {START_SECONDS} s; see {log}")

    def worker_children(self) -> list[int]:
        """The pool processes of the worker (its children)."""
        assert self.worker is not None
        return [pid for pid in _all_pids() if _parent_of(pid) == self.worker.pid]

    def kill_worker(self) -> None:
        """SIGKILL the worker and its pool processes at once: no cleanup, no ack."""
        assert self.worker is not None
        os.killpg(self.worker.pid, signal.SIGKILL)
        self.worker.wait(timeout=30)
        self.worker = None

    def stop_worker(self) -> None:
        if self.worker is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.worker.pid, signal.SIGTERM)
        try:
            self.worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.worker.pid, signal.SIGKILL)
            self.worker.wait(timeout=30)
        self.worker = None

    def worker_logs(self) -> str:
        return "\n".join(path.read_text(errors="replace") for path in self.logs if path.exists())

    def emails(self) -> list[str]:
        """The emails the worker has finished writing (the file backend), oldest first.

        The backend creates its file before it writes the message and ends each message
        with a rule, so a file without the rule yet is still being written: leaving it out
        keeps a test from reading half an email on a busy machine.
        """
        files = sorted(self.email_dir.glob("*.log"), key=lambda p: p.stat().st_mtime)
        texts = [path.read_text(errors="replace") for path in files]
        return [text for text in texts if text.rstrip().endswith(EMAIL_END)]


def _all_pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def _parent_of(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name is in parentheses and may hold spaces; the parent id follows it.
    return int(stat.rsplit(")", 1)[1].split()[1])


def _point_celery_at(url: str, queue: str, *, eager: bool) -> None:
    # Forget the app's pools (kombu keeps one per broker URL, ready for the way back).
    app._pool = None
    app.amqp._producer_pool = None
    app.conf.broker_url = url
    app.conf.task_default_queue = queue
    app.conf.task_always_eager = eager


@pytest.fixture
def services(
    private_redis, settings, tmp_path, django_db_blocker, artifacts_dir
) -> Iterator[Services]:
    """The app on the private Redis (broker, and the cache in the next database) with a
    worker process started by `services.start_worker()`; emails go to files."""
    queue = f"faults-{uuid.uuid4().hex[:8]}"
    email_dir = tmp_path / "emails"
    email_dir.mkdir()
    env = subprocess_env_for_test_database(django_db_blocker)
    env.update(
        REDIS_URL=private_redis.url,
        CELERY_TASK_DEFAULT_QUEUE=queue,
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(email_dir),
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
        SITE_URL="http://testserver",
    )
    env.pop("REDIS_CACHE_URL", None)
    settings.CACHES = cache_settings(private_redis.url)
    settings.SITE_URL = "http://testserver"
    previous = (app.conf.broker_url, app.conf.task_default_queue, app.conf.task_always_eager)
    _point_celery_at(private_redis.url, queue, eager=False)
    log_dir = artifacts_dir / "faults"
    log_dir.mkdir(exist_ok=True)
    found = Services(
        redis=private_redis,
        queue=queue,
        env=env,
        email_dir=email_dir,
        log_path=log_dir / f"{queue}.log",
    )
    try:
        yield found
    finally:
        found.stop_worker()
        url, default_queue, eager = previous
        _point_celery_at(url, default_queue, eager=eager)


@contextlib.contextmanager
def celery_pointed_at(url: str, *, eager: bool, queue: str | None = None) -> Iterator[None]:
    """This process's Celery app on another broker for a while (memory://, a closed port)."""
    previous = (app.conf.broker_url, app.conf.task_default_queue, app.conf.task_always_eager)
    _point_celery_at(url, queue or previous[1], eager=eager)
    try:
        yield
    finally:
        _point_celery_at(previous[0], previous[1], eager=previous[2])


@pytest.fixture
def in_process_tasks() -> Iterator[None]:
    """Tasks run in-process (the embedded default), whatever REDIS_URL says."""
    with celery_pointed_at("memory://", eager=True):
        yield


@pytest.fixture(autouse=True)
def _fresh_outage_notes() -> None:
    """Each test sees the first failure of a service as the first (they are logged once)."""
    from cxvet import cache
    from cxvet.outbox import services

    services._broker.down = False
    cache._outage.down = False
    cache._skip_until.clear()


def closed_port() -> int:
    """A local port nothing listens on: connecting to it is refused at once."""
    return _free_port()
