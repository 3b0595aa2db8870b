"""PostgreSQL restarting while vendors autosave, on a private cluster.

gunicorn (two workers, DEBUG off, persistent connections and prepared statements as
deployed) serves the app on a PostgreSQL cluster of the test's own. Vendors autosave in
a loop, each on its own link, while the cluster restarts. A save the server
acknowledged must be in the database afterwards; during the outage the server answers
503 with Retry-After (JSON, which the portal's script retries), never 500; and once the
cluster is back, requests succeed at once, even on a worker whose connection went
stale while it was idle.
"""

from __future__ import annotations

import http.client
import json
import secrets
import string
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlencode

import pytest

from tests.conftest import ARTIFACTS
from tests.faults.cluster import PrivateCluster, app_env, manage, private_cluster, site_data
from tests.servers import gunicorn

VENDORS = 4
QUESTION = "kill_switch_owner"
CSRF = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))


@dataclass
class Site:
    cluster: PrivateCluster
    port: int
    links: list[dict]
    env: dict[str, str]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[Site]:
    with private_cluster() as cluster:
        env = app_env(cluster.create_database("cxvet"), tmp_path_factory.mktemp("media"))
        manage(env, "migrate", "--no-input")
        links = site_data(env, "links", str(VENDORS))
        served = dict(
            env,
            DEBUG="false",
            SECRET_KEY="fault-test-" + "k" * 40,
            ALLOWED_HOSTS="127.0.0.1",
            SECURE_SSL_REDIRECT="false",
            SECURE_HSTS_SECONDS="0",
            CSRF_COOKIE_SECURE="false",
            SESSION_COOKIE_SECURE="false",
        )
        log = ARTIFACTS / "gunicorn-postgres-restart.log"
        with gunicorn("cxvet.wsgi", env=served, log_path=log, workers=2) as port:
            yield Site(cluster, port, links, env)


@dataclass
class Reply:
    sent_at: float
    answered_at: float
    status: int
    content_type: str
    retry_after: str | None
    body: dict | str


def autosave(port: int, token: str, fields: dict[str, str]) -> Reply:
    """One autosave as portal.js sends it (the CSRF cookie and header, the page's origin)."""
    sent_at = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(
            "POST",
            f"/portal/{token}/autosave/{QUESTION}/",
            body=urlencode(fields),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
                "Cookie": f"csrftoken={CSRF}",
                "X-CSRFToken": CSRF,
                "Origin": f"http://127.0.0.1:{port}",
            },
        )
        response = connection.getresponse()
        text = response.read().decode()
        content_type = response.headers.get("Content-Type", "")
        body = json.loads(text) if content_type.startswith("application/json") else text
        return Reply(
            sent_at,
            time.monotonic(),
            response.status,
            content_type,
            response.headers["Retry-After"],
            body,
        )
    finally:
        connection.close()


@dataclass
class Vendor:
    """One vendor's page: saves a new value each time the last one is acknowledged,
    and sends the same value again after a refusal, as portal.js does."""

    port: int
    token: str
    replies: list[Reply] = field(default_factory=list)
    acknowledged: list[str] = field(default_factory=list)
    revision: int = 0
    loaded: str = ""

    def save_once(self) -> None:
        value = f"Duty manager {len(self.acknowledged)}"
        reply = autosave(
            self.port,
            self.token,
            {
                QUESTION: value,
                f"{QUESTION}-revision": self.revision,
                f"{QUESTION}-loaded": self.loaded,
            },
        )
        self.replies.append(reply)
        if reply.status == 200 and reply.body["status"] in {"saved", "unchanged"}:
            self.acknowledged.append(value)
            self.revision, self.loaded = reply.body["revision"], reply.body["loaded"]
        else:
            time.sleep(0.2)

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            self.save_once()

    def acknowledged_since(self, moment: float) -> int:
        return sum(1 for r in self.replies if r.sent_at >= moment and r.status == 200)


def _wait_for(predicate, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "the saves did not get through in time"
        time.sleep(0.05)


def test_saves_during_a_restart_are_refused_with_503_or_kept(site: Site):
    vendors = [Vendor(site.port, link["token"]) for link in site.links]
    stop = threading.Event()
    threads = [threading.Thread(target=v.run, args=(stop,)) for v in vendors]
    for thread in threads:
        thread.start()
    try:
        _wait_for(lambda: all(len(v.acknowledged) >= 3 for v in vendors))
        restart_began = time.monotonic()
        site.cluster.ctl("restart")
        back = time.monotonic()
        _wait_for(lambda: all(v.acknowledged_since(back) >= 3 for v in vendors))
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)

    replies = [r for v in vendors for r in v.replies]
    assert {r.status for r in replies} <= {200, 503}, [
        (r.status, str(r.body)[:300]) for r in replies if r.status not in {200, 503}
    ]
    refused = [r for r in replies if r.status == 503]
    assert refused, "the restart should have refused some saves"
    # A save sent just before the restart can still be in flight when the cluster stops:
    # a refusal is right for any request that overlapped the outage, and only for those.
    outside = [
        (round(r.sent_at - restart_began, 3), round(r.answered_at - restart_began, 3))
        for r in refused
        if not (r.sent_at < back and r.answered_at >= restart_began)
    ]
    assert not outside, (
        f"503 outside the outage (sent, answered; seconds after the restart began, "
        f"which took {back - restart_began:.3f} s): {outside}"
    )
    for reply in refused:
        assert reply.content_type.startswith("application/json")
        assert reply.body["status"] == "unavailable"
        assert int(reply.retry_after) > 0

    stored = site_data(site.env, "answer_history")
    for vendor, link in zip(vendors, site.links, strict=True):
        history = stored[str(link["response"])][QUESTION]
        assert set(vendor.acknowledged) <= set(history)
        assert history[-1] == vendor.acknowledged[-1]


def test_requests_succeed_right_after_a_restart_while_idle(site: Site):
    """Each worker keeps its connection between requests; after a restart nobody
    noticed, that connection is dead. The first request on it must not fail."""
    links = site_data(site.env, "links", str(VENDORS))
    vendors = [Vendor(site.port, link["token"]) for link in links]
    for _ in range(3):
        for vendor in vendors:
            vendor.save_once()  # both workers hold a connection now
    site.cluster.ctl("restart")

    for _ in range(3):
        for vendor in vendors:
            vendor.save_once()

    after = [r for v in vendors for r in v.replies[3:]]
    assert [r.status for r in after] == [200] * len(after), [str(r.body)[:300] for r in after]
