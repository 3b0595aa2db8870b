"""A private link's token exists only in the worker's memory and in the email.

A real worker on a private Redis sends the invitations while `redis-cli monitor` records
every command the broker receives; then the broker's record and its keys, every table of
the database, the outbox rows and every log are searched for each token (the
invitations' and those later emails mint, here a reminder's), raw and in
every base64 alignment (the broker base64-encodes message bodies). Each search is first
shown to find something that is there (the message's own payload, the token's hash),
so a search that finds nothing is not blind.
"""

from __future__ import annotations

import base64
import datetime
import logging
import re
import subprocess

import pytest
from django.db import connection
from django.utils import timezone

from cxvet.outbox.models import OutboxMessage
from questionnaires.models import Response, Selection
from tests.conftest import wait_until
from tests.factories import ContactFactory, VendorFactory, round_of
from vendors.models import AccessLink, LinkToken
from vendors.reminders import reminders_sweep
from vendors.services import invitation_create, token_hash

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

LINK = re.compile(r"http://testserver/portal/([A-Za-z0-9_-]{43,})/")


def encodings(secret: str) -> list[bytes]:
    """`secret` as it may appear: raw, and base64-encoded at each of the three byte
    offsets it can start at inside a longer encoded text (edges trimmed)."""
    raw = secret.encode()
    found = [raw]
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + raw)
        start = 4 if offset else 0
        found.append(encoded[start:-4])
    return found


def holds(blob: bytes, secret: str) -> bool:
    return any(form in blob for form in encodings(secret))


def database_dump() -> bytes:
    """Every row of every table, as text."""
    rows = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')
            rows.extend(f"{table}: {row!r}" for row in cursor.fetchall())
    return "\n".join(rows).encode()


def redis_dump(client_for) -> bytes:
    """Every key and value in every database of the private Redis."""
    out = []
    for db in range(16):
        client = client_for(db)
        for key in client.scan_iter(count=1000):
            kind = client.type(key)
            if kind == b"string":
                value = client.get(key)
            elif kind == b"list":
                value = client.lrange(key, 0, -1)
            elif kind == b"hash":
                value = client.hgetall(key)
            elif kind == b"set":
                value = client.smembers(key)
            elif kind == b"zset":
                value = client.zrange(key, 0, -1)
            else:
                value = kind
            out.append(repr((db, key, value)).encode())
    return b"\n".join(out)


def test_tokens_never_reach_the_broker_the_database_or_the_logs(
    services, example_version, tmp_path, caplog
):
    caplog.set_level(logging.DEBUG)
    monitor_log = tmp_path / "redis-monitor.log"
    with open(monitor_log, "w") as out:
        monitor = subprocess.Popen(
            ["redis-cli", "-p", str(services.redis.port), "monitor"], stdout=out
        )
    try:
        wait_until(lambda: monitor_log.read_text().startswith("OK"), timeout=10)
        services.start_worker()
        vendor = VendorFactory()
        contacts = [ContactFactory(vendor=vendor), ContactFactory(vendor=vendor)]
        due = timezone.localdate() + datetime.timedelta(days=21)
        links = invitation_create(
            contacts=contacts, selection=round_of(example_version, due), user=None
        )
        wait_until(lambda: len(services.emails()) == 2, timeout=60)
        # Later emails mint tokens of their own: a reminder due today, sent by the worker.
        response = links[0].response
        Selection.objects.filter(pk=response.selection_id).update(reminder_days=[21])
        Response.objects.filter(pk=response.pk).update(
            due_date_set_at=timezone.now() - datetime.timedelta(days=7)
        )
        assert reminders_sweep()["claimed"] == 1
        wait_until(lambda: len(services.emails()) == 4, timeout=60)
        wait_until(
            lambda: set(OutboxMessage.objects.values_list("status", flat=True)) == {"sent"},
            timeout=30,
        )
    finally:
        monitor.terminate()
        monitor.wait(timeout=10)

    tokens = [LINK.search(email).group(1) for email in services.emails()]
    assert len(set(tokens)) == 4
    for token in tokens[:2]:  # the invitations: the links' own tokens
        assert AccessLink.objects.filter(token_hash=token_hash(token)).exists()
    for token in tokens[2:]:  # the reminders: one LinkToken each
        assert LinkToken.objects.filter(token_hash=token_hash(token)).exists()

    broker_record = monitor_log.read_bytes()
    broker_keys = redis_dump(services.redis.client)
    database = database_dump()
    logs = (services.worker_logs() + caplog.text).encode()
    # The searches see what is there: the task messages' payloads went through the
    # broker, the hashes are in the database, the deliveries are in the worker's log.
    for link in links:
        assert holds(broker_record, f'{{"link_id": {link.pk}}}')
    assert all(token_hash(token).encode() in database for token in tokens)
    assert "vendors.tasks.send_invitation" in services.worker_logs()
    assert "succeeded" in services.worker_logs()

    for token in tokens:
        assert not holds(broker_record, token), "a token went through the broker"
        assert not holds(broker_keys, token), "a token is stored in Redis"
        assert not holds(database, token), "a token is stored in the database"
        assert not holds(logs, token), "a token is in a log"
    for message in OutboxMessage.objects.all():
        assert set(message.payload) in ({"link_id"}, {"reminder_ids"})
