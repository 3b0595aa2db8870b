"""Shared fixtures: network guard, services, the Celery worker, browser settings."""

from __future__ import annotations

import ipaddress
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test thread; Django's ORM calls from
# that thread are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_DEFINITION = ROOT / "docs" / "examples" / "minimal.yaml"
EXTENSIONS_DEFINITION = ROOT / "docs" / "examples" / "extensions.yaml"
SHIPPED_DEFINITION = ROOT / "questionnaires" / "definitions" / "ai-cx-agent.yaml"
SHIPPED_V2_DEFINITION = ROOT / "questionnaires" / "definitions" / "ai-cx-agent-v2.yaml"
ARTIFACTS = ROOT / "test-artifacts"

# In CI with services configured, a missing service fails the run instead of skipping.
REQUIRE_SERVICES = bool(os.environ.get("REDIS_URL"))


# Network: tests reach only this machine ----------------------------------------------

_real_connect = socket.socket.connect


def _guarded_connect(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6):
        host = address[0]
        try:
            local = ipaddress.ip_address(host).is_loopback
        except ValueError:
            local = host == "localhost"
        if not local:
            raise ConnectionRefusedError(f"tests may not reach the network ({host})")
    return _real_connect(self, address)


@pytest.fixture(autouse=True, scope="session")
def _block_network():
    socket.socket.connect = _guarded_connect
    yield
    socket.socket.connect = _real_connect


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


# Questionnaire versions ------------------------------------------------------------------


@pytest.fixture
def example_version(db):
    """The small example questionnaire from docs/, published."""
    from questionnaires.services.definitions import questionnaire_import

    text = EXAMPLE_DEFINITION.read_text()
    return questionnaire_import(text=text, publish=True).version


@pytest.fixture
def extensions_version(db):
    """Version 2 of the small example, written with the format's newer fields, published."""
    from questionnaires.services.definitions import questionnaire_import

    return questionnaire_import(text=EXTENSIONS_DEFINITION.read_text(), publish=True).version


@pytest.fixture
def shipped_version(db):
    """The shipped AI agent questionnaire, published."""
    from questionnaires.services.definitions import questionnaire_import

    return questionnaire_import(text=SHIPPED_DEFINITION.read_text(), publish=True).version


@pytest.fixture
def shipped_v2_version(db):
    """Version 2 of the shipped questionnaire, published (version 1 is not imported)."""
    from questionnaires.services.definitions import questionnaire_import

    return questionnaire_import(text=SHIPPED_V2_DEFINITION.read_text(), publish=True).version


# People ------------------------------------------------------------------------------------


@pytest.fixture
def analyst(client):
    """A staff user, logged in on the `client` fixture."""
    from tests.factories import UserFactory

    user = UserFactory(username="analyst")
    client.force_login(user)
    return user


@pytest.fixture
def demo_site(db):
    """The demo data and one of everything an admin page shows (tests/site_walk.py)."""
    from tests.site_walk import build_world

    return build_world()


# Celery -----------------------------------------------------------------------------------


@pytest.fixture
def eager_tasks():
    """Celery tasks run in-process, so emails land in mail.outbox even when REDIS_URL is set."""
    from cxvet.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker):
    """A real `celery worker` process on Redis, using the test database.

    Without REDIS_URL tasks run eagerly in-process and this yields None. The worker
    listens on a queue of its own so that nothing else on the broker is consumed.
    """
    from cxvet.celery import app

    if not os.environ.get("REDIS_URL"):
        yield None
        return
    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = subprocess_env_for_test_database(django_db_blocker)
    env["CELERY_TASK_DEFAULT_QUEUE"] = queue
    with open(_artifacts() / "celery-worker.log", "w") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "cxvet",
                "worker",
                "--pool=solo",
                "--loglevel=INFO",
                "--without-mingle",
                "--without-gossip",
                "-Q",
                queue,
                "-n",
                f"{queue}@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        app.conf.task_default_queue = queue
        try:
            _wait_for_worker(app, proc, f"{queue}@{socket.gethostname()}")
            yield proc
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def subprocess_env_for_test_database(django_db_blocker) -> dict[str, str]:
    """The environment for another process (a worker, a web server) to use the test
    database this session created."""
    from django.conf import settings
    from django.db import connection

    env = dict(os.environ)
    with django_db_blocker.unblock():
        test_db_name = connection.settings_dict["NAME"]
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        env["SQLITE_NAME"] = str(test_db_name)
    else:
        from urllib.parse import urlsplit, urlunsplit

        parts = urlsplit(os.environ["DATABASE_URL"])
        env["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{test_db_name}"))
    return env


def _wait_for_worker(app, proc, name: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the Celery worker exited with {proc.returncode}; see its log")
        if app.control.ping(destination=[name], timeout=1):
            return
    pytest.fail("the Celery worker did not answer a ping within 60 s")


def _artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def artifacts_dir() -> Path:
    """Where screenshots and rendered pages are kept for review."""
    return _artifacts()


def wait_until(predicate, *, timeout: float = 30.0, interval: float = 0.1):
    """Poll until predicate() is truthy (for work done by the worker process)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")


# Browser ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


# Tells which element or script broke the policy (the browser's own message does not).
_CSP_DETAIL_SCRIPT = """
document.addEventListener("securitypolicyviolation", (event) => {
  const target = event.target && event.target.outerHTML
    ? event.target.outerHTML.slice(0, 200) : "the document";
  console.error("Content Security Policy detail: " + event.violatedDirective + " refused "
    + (event.blockedURI || "inline") + " at " + (event.sourceFile || "?") + ":"
    + event.lineNumber + " in " + target);
}, true);
"""


@pytest.fixture
def csp_violations() -> list[str]:
    """Console messages in which the browser refused something under the page's
    Content-Security-Policy; every browser test ends with none."""
    return []


@pytest.fixture
def new_context(new_context, csp_violations):
    """pytest-playwright's context factory, with every context's console watched for
    Content-Security-Policy violations (open extra pages through it, not `browser`)."""

    def watch(message) -> None:
        if "Content Security Policy" in message.text:
            where = message.page.url if message.page else "?"
            text = message.text
            if not text.startswith("Content Security Policy detail"):
                text = text.split(". ")[0]  # what was refused; the rest is advice
            entry = f"{where}: {text}"
            if entry not in csp_violations:
                csp_violations.append(entry)

    def create(**kwargs):
        context = new_context(**kwargs)
        context.add_init_script(_CSP_DETAIL_SCRIPT)
        context.on("console", watch)
        return context

    yield create
    assert not csp_violations, "Content-Security-Policy violations:\n" + "\n".join(csp_violations)
