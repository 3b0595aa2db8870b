"""Fuzzing the portal's posts: autosave, a section's Save, upload and submit.

Bodies are generated (Hypothesis) from the real form's field names plus junk, with
values of every kind (text in any script, numbers in every notation, huge strings,
bytes that are not UTF-8), as urlencoded forms, multipart forms with files, or raw
bodies of odd content types; the CSRF token is sent in the header, in the form, twice,
wrong or not at all, through a client that enforces the check.

Every request must end below 500, with a bounded number of queries; a body over the
portal's limit must be refused unread; a reply that says "saved" must describe what is
stored. Each request's CPU and wall time are measured and the slowest are written to
test-artifacts/fuzz-timings-*.md, never asserted (the machines are shared).
"""

from __future__ import annotations

import time
import urllib.parse
from dataclasses import dataclass, field

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from questionnaires.models import Answer
from tests.vendors.helpers import open_response, url
from vendors.forms import answer_fingerprint

from .conftest import AS_SCRIPT
from .test_honest_replies import CountingPayload

EXAMPLES = 120
# Queries one portal post may make: the access lookup, the response's state, the save
# with its audit events, and per file its checks, storage row and audit event.
QUERIES_PER_POST = 30
QUERIES_PER_FILE = 8

QUESTIONS = {
    "track_record": ["live_deployments", "rollback_rate", "rollback_reasons"],
    "oversight": [
        "live_monitoring",
        "human_approval_money",
        "kill_switch_owner",
        "monitoring_report",
    ],
}
ALL_KEYS = [k for keys in QUESTIONS.values() for k in keys]
PARTS = ["", "-revision", "-loaded", "-comment", "-evidence"]
REAL_NAMES = [key + part for key in ALL_KEYS for part in PARTS] + [
    "action",
    "confirm",
    "remove_evidence",
    "csrfmiddlewaretoken",
]

NASTY_VALUES = [
    "1e999999",
    "1E+999999999",
    "-0",
    "0E+999999999",
    "9" * 100_000,
    "NaN",
    "-Infinity",
    "sNaN",
    "1,5",
    "1.200,50",
    "1_000",
    "\u0661\u0662",
    "\uff11\uff12",
    "12 %",
    "\x00",
    "\ud800".encode("utf-8", "surrogatepass").decode("latin-1"),
    "<script>alert(1)</script>",
    "=cmd|' /C calc'!A0",
    "x" * 300_000,
    "yes",
    "no",
    "realtime",
    "cost",
    "hallucination",
    "0",
    "1",
    "2147483648",
    "-1",
    "0123456789abcdef",
    "save",
    "next",
]

values = st.one_of(
    st.sampled_from(NASTY_VALUES),
    st.text(max_size=60),
    st.integers().map(str),
    st.floats().map(repr),
    st.decimals().map(str),
    st.from_regex(r"[-+0-9.,eE% \u00a0]{0,24}", fullmatch=True),
    st.binary(max_size=40).map(lambda b: b.decode("latin-1")),
)
names = st.one_of(st.sampled_from(REAL_NAMES), st.text(max_size=20))
junk_fields = st.lists(st.tuples(names, values), max_size=25)


@st.composite
def page_fields(draw) -> list[tuple[str, str]]:
    """Fields as a page sends them (answer, comment, revision), with generated values,
    so that posts get past "not from a page" and reach validation and saving."""
    result = []
    for key in draw(st.lists(st.sampled_from(ALL_KEYS), min_size=1, max_size=7)):
        result += [(key, draw(values)) for _ in range(draw(st.integers(0, 3)))]
        result.append((f"{key}-revision", draw(st.one_of(st.just("0"), values))))
        if draw(st.booleans()):
            result.append((f"{key}-comment", draw(values)))
    return result + draw(st.lists(st.tuples(names, values), max_size=3))


fields = st.one_of(junk_fields, page_fields())
files = st.lists(
    st.tuples(
        st.sampled_from([f"{k}-evidence" for k in ALL_KEYS] + ["junk"]),
        st.one_of(
            st.sampled_from(["a.pdf", "../../x.html", "\u202eexe.pdf", "CON", "", "a" * 500]),
            st.text(max_size=30),
        ),
        st.one_of(
            st.sampled_from(
                [
                    b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
                    b"%PDF-1.4 /JavaScript (x)",
                    b"<html><script>x</script></html>",
                    b"PK\x03\x04word/" + b"\x00" * 30,
                    b"MZ" + b"\x00" * 100,
                    b"plain text\n",
                ]
            ),
            st.binary(max_size=300),
        ),
    ),
    max_size=4,
)
raw_types = st.sampled_from(
    [
        "application/json",
        "text/plain",
        "",
        "multipart/form-data",
        "multipart/form-data; boundary=zz",
        "multipart/form-data; boundary=" + "b" * 200,
        "application/x-www-form-urlencoded",
        "application/x-www-form-urlencoded; charset=utf-16",
        "application/x-www-form-urlencoded; charset=bogus",
    ]
)
csrf_modes = st.sampled_from(["header", "field", "both", "twice", "wrong", "missing"])


@dataclass
class Post:
    encoding: str
    fields: list[tuple[str, str]]
    files: list[tuple[str, str, bytes]]
    raw: bytes
    raw_type: str
    csrf: str
    as_script: bool


posts = st.builds(
    Post,
    encoding=st.sampled_from(["urlencoded", "multipart", "raw"]),
    fields=fields,
    files=files,
    raw=st.binary(max_size=400),
    raw_type=raw_types,
    csrf=csrf_modes,
    as_script=st.booleans(),
)


@dataclass
class Timings:
    """The slowest requests of a fuzz run, by CPU time."""

    endpoint: str
    visitor: tuple[Client, str] | None = None
    worst: list[tuple[float, float, str]] = field(default_factory=list)
    count: int = 0

    def note(self, cpu: float, wall: float, what: str) -> None:
        self.count += 1
        self.worst = sorted([*self.worst, (cpu, wall, what)], reverse=True)[:3]

    def write(self, folder) -> None:
        path = folder / f"fuzz-timings-{self.endpoint.replace(' ', '-')}.md"
        lines = [f"## {self.endpoint}: {self.count} requests, slowest by CPU time\n"]
        lines += [
            f"- {cpu * 1000:.1f} ms CPU, {wall * 1000:.1f} ms wall: {what}\n"
            for cpu, wall, what in self.worst
        ]
        path.write_text("".join(lines))


def _body(post: Post, token: str) -> tuple[bytes, str]:
    fields = list(post.fields)
    if post.csrf in ("field", "both", "twice"):
        fields.append(("csrfmiddlewaretoken", token))
    if post.csrf == "twice":
        fields.append(("csrfmiddlewaretoken", token))
    if post.csrf == "wrong":
        fields.append(("csrfmiddlewaretoken", "x" * 64))
    if post.encoding == "urlencoded":
        return urllib.parse.urlencode(fields).encode(), "application/x-www-form-urlencoded"
    if post.encoding == "multipart":
        data: dict[str, list] = {}
        for name, value in fields:
            data.setdefault(name, []).append(value)
        for name, filename, content in post.files:
            upload = _NamedBytes(content, filename)
            data.setdefault(name, []).append(upload)
        return encode_multipart(BOUNDARY, data), MULTIPART_CONTENT
    return post.raw, post.raw_type


class _NamedBytes:
    """A file for encode_multipart: a name and bytes."""

    def __init__(self, content: bytes, name: str):
        self.content, self.name = content, name

    def read(self):
        return self.content


def _describe(post: Post, size: int) -> str:
    kinds = sorted({len(v) for _, v in post.fields}, reverse=True)[:1]
    longest = kinds[0] if kinds else 0
    return (
        f"{post.encoding} body of {size:,} bytes, {len(post.fields)} fields "
        f"(longest {longest:,} characters), {len(post.files)} files, CSRF {post.csrf}"
    )


def visitor(token: str) -> tuple[Client, str]:
    """A client that enforces the CSRF check, with the cookie a page gave it."""
    client = Client(enforce_csrf_checks=True)
    client.get(url("section", token, "oversight"))
    return client, client.cookies["csrftoken"].value


def _fuzz(endpoint_path, post: Post, token: str, timings: Timings, *, check=None) -> None:
    client, csrf = timings.visitor or visitor(token)
    body, content_type = _body(post, csrf)
    payload = CountingPayload(body)
    extra = {"wsgi.input": payload, "CONTENT_LENGTH": str(len(body))}
    if content_type:
        extra["CONTENT_TYPE"] = content_type
    if post.csrf in ("header", "both", "twice"):
        extra["HTTP_X_CSRFTOKEN"] = csrf
    if post.as_script:
        extra.update(AS_SCRIPT)
    with CaptureQueriesContext(connection) as queries:
        cpu, wall = time.process_time(), time.perf_counter()
        reply = client.generic("POST", endpoint_path, **extra)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    timings.note(cpu, wall, _describe(post, len(body)))

    assert reply.status_code < 500, (reply.status_code, reply.content[:300])
    assert len(queries) <= QUERIES_PER_POST + QUERIES_PER_FILE * len(post.files)
    if reply.status_code == 413:
        assert payload.bytes_read == 0
    if check is not None:
        check(reply, post)


def _largest(key: str) -> Post:
    """A post at Django's limit of text: one answer just under it."""
    text = "x" * (django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE - 1_000)
    return Post("multipart", [(key, text), (f"{key}-revision", "0")], [], b"", "", "both", True)


MOST_FIELDS = Post(
    "urlencoded",
    [(f"f{i}", "1") for i in range(995)] + [("kill_switch_owner-revision", "0")],
    [],
    b"",
    "",
    "header",
    True,
)
BOMBS = [
    Post("multipart", [(k, v), (f"{k}-revision", "0")], [], b"", "", "header", True)
    for k in ("live_deployments", "rollback_rate")
    for v in ("1e999999", "9" * 100_000, "0E+999999999")
]

FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)


@pytest.fixture
def fuzz_target(example_version, artifacts_dir):
    token, response = open_response(example_version)
    return token, response, artifacts_dir


def test_fuzzed_autosaves(fuzz_target):
    token, response, folder = fuzz_target
    timings = Timings("autosave", visitor(token))

    def saved_means_stored(reply, post):
        if reply.get("Content-Type") != "application/json":
            return
        body = reply.json()
        if body.get("status") == "saved":
            stored = Answer.objects.get(response=response, question__key=body["question"])
            assert body["loaded"] == answer_fingerprint(stored.value, stored.comment)
            assert body["revision"] == stored.revision

    @FUZZ_SETTINGS
    @given(post=posts, key=st.sampled_from(ALL_KEYS))
    @example(post=_largest("kill_switch_owner"), key="kill_switch_owner")
    @example(post=MOST_FIELDS, key="kill_switch_owner")
    @example(post=BOMBS[0], key="live_deployments")
    @example(post=BOMBS[1], key="live_deployments")
    @example(post=BOMBS[2], key="live_deployments")
    @example(post=BOMBS[3], key="rollback_rate")
    @example(post=BOMBS[4], key="rollback_rate")
    @example(post=BOMBS[5], key="rollback_rate")
    def run(post, key):
        _fuzz(url("autosave", token, key), post, token, timings, check=saved_means_stored)

    run()
    timings.write(folder)


def test_fuzzed_section_saves(fuzz_target):
    token, _, folder = fuzz_target
    timings = Timings("section save", visitor(token))

    @FUZZ_SETTINGS
    @given(post=posts, section=st.sampled_from(list(QUESTIONS)))
    @example(post=_largest("kill_switch_owner"), section="oversight")
    @example(post=MOST_FIELDS, section="oversight")
    def run(post, section):
        _fuzz(url("section", token, section), post, token, timings)

    run()
    timings.write(folder)


def test_fuzzed_uploads(fuzz_target):
    token, _, folder = fuzz_target
    timings = Timings("upload", visitor(token))

    @FUZZ_SETTINGS
    @given(
        post=posts.map(lambda p: Post(**{**p.__dict__, "encoding": "multipart"})),
        key=st.sampled_from(["rollback_rate", "monitoring_report", "kill_switch_owner"]),
    )
    def run(post, key):
        _fuzz(url("evidence", token, key), post, token, timings)

    run()
    timings.write(folder)


def test_fuzzed_submits(fuzz_target):
    token, _, folder = fuzz_target
    timings = Timings("submit", visitor(token))

    @FUZZ_SETTINGS
    @given(post=posts)
    def run(post):
        _fuzz(url("submit", token), post, token, timings)

    run()
    timings.write(folder)
