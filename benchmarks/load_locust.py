"""The load test's clients (locust), in a process of their own: vendors who answer and
autosave through their private links as the portal's page does, analysts who open the
comparison page of a selection, and a trivial view to saturate the server with.

benchmarks/loadtest.py runs `python -m benchmarks.load_locust PLAN_JSON RESULT_JSON`.
The plan names the server, the links, the analysts' logins, the questionnaire's questions
and the phases; the result holds every request's timing per phase, the replies' statuses,
CPU time per process group per phase and the ledger of saves that
benchmarks/load_data.py checks against the database.

What a vendor sends is what static/portal/portal.js sends: the question card's inputs
as multipart form data (the answer, the comment, the revision and fingerprint the page
was loaded with), the page's CSRF token in X-CSRFToken, the csrftoken cookie, and
Accept: application/json; the reply's revision and fingerprint go back into the card.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import sys
import time
import uuid
from collections import Counter, defaultdict
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode

import gevent
from locust import FastHttpUser, between, constant, task
from locust.env import Environment

from benchmarks.formdata import multipart

PLAN: dict[str, Any] = {}
# Across phases, as a browser keeps them: each link's page state and cookies, and each
# analyst's signed-in cookies.
SESSIONS: dict[str, VendorSession] = {}
ANALYST_COOKIES: dict[int, list] = {}
NEXT_USER = itertools.count()
# Per link, per question: every save with a "saved" reply, and those still unanswered.
LEDGER: dict[str, dict[str, dict[str, list]]] = defaultdict(
    lambda: defaultdict(lambda: {"saved": [], "unanswered": []})
)
STATUSES: dict[str, Counter] = defaultdict(Counter)  # phase -> autosave reply status -> n
PHASE = {"name": ""}
ORIGIN_HEADERS: dict[str, str] = {}


# The section page, as the browser sees it ------------------------------------------------


class SectionPage(HTMLParser):
    """The CSRF token, the autosave URL and each question card's inputs, in page order."""

    def __init__(self, html: str):
        super().__init__()
        self.csrf = ""
        self.autosave_url = ""
        self.cards: dict[str, dict] = {}
        self._card: dict | None = None
        self._textarea: dict | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and "data-autosave-url" in a:
            self.autosave_url = a["data-autosave-url"]
        elif tag == "section" and "data-question" in a:
            self._card = {
                "key": a["data-question"],
                "type": a.get("data-type"),
                "hidden": "hidden" in a,
                "readonly": "data-readonly" in a,
                "inputs": [],
            }
            self.cards[self._card["key"]] = self._card
        elif tag == "input" and a.get("name") == "csrfmiddlewaretoken":
            self.csrf = a.get("value", "")
        elif tag in ("input", "textarea") and self._card is not None and a.get("name"):
            control = {
                "name": a["name"],
                "type": a.get("type", tag),
                "value": a.get("value", ""),
                "checked": "checked" in a,
                "disabled": "disabled" in a,
            }
            self._card["inputs"].append(control)
            if tag == "textarea":
                self._textarea = control

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea["value"] += data

    def handle_endtag(self, tag):
        if tag == "textarea" and self._textarea is not None:
            # Django writes a newline after <textarea>, which browsers drop.
            self._textarea["value"] = self._textarea["value"].removeprefix("\n")
            self._textarea = None
        elif tag == "section":
            self._card = None


class VendorSession:
    """One vendor's browser: its private link, the section it is on and the cards' inputs."""

    def __init__(self, token: str, index: int):
        self.token = token
        self.index = index
        self.cookies: list = []
        self.section_index = 0
        self.page: SectionPage | None = None
        self.todo: list[str] = []
        self.saves = 0

    @property
    def section_key(self) -> str:
        return PLAN["sections"][self.section_index]

    def section_url(self) -> str:
        return f"/portal/{self.token}/sections/{self.section_key}/"

    def answerable(self) -> list[str]:
        """Questions a vendor can type into on this page: shown, editable, not files, not
        grids (a field per cell, which this client does not fill) and not derived (worked
        out, never typed in)."""
        return [
            key
            for key, card in self.page.cards.items()
            if not card["hidden"]
            and not card["readonly"]
            and PLAN["questions"][key]["type"] not in ("file", "grid")
            and not PLAN["questions"][key].get("derived")
        ]


def _new_answer(session: VendorSession, question: dict, card: dict) -> tuple[list, Any]:
    """The inputs' new values for a changed answer, and the value the server should
    store for it (as the portal's form stores it)."""
    key, kind = question["key"], question["type"]
    current = [c for c in card["inputs"] if c["name"] == key]
    n = session.saves
    if kind in ("yes_no", "single_choice"):
        options = [c["value"] for c in current]
        chosen = [c["value"] for c in current if c["checked"]]
        value = random.choice([o for o in options if o not in chosen] or options)
        return [value], value
    if kind == "multiple_choice":
        order = [c["value"] for c in current]
        chosen = {c["value"] for c in current if c["checked"]}
        while True:
            picked = {o for o in order if random.random() < 0.5} or {random.choice(order)}
            if picked != chosen:
                break
        value = [o for o in order if o in picked]
        return value, value
    if kind in ("integer", "decimal", "percentage"):
        low = question["min"] if question["min"] is not None else 0
        high = question["max"] if question["max"] is not None else low + 1000
        if kind == "integer":
            number = low + (n * 7 + session.index) % int(high - low + 1)
            return [str(number)], int(number)
        number = low + ((n * 7 + session.index) % int(max(high - low, 1))) + 0.5
        number = min(number, high - 0.5) if high - low >= 1 else low
        return [f"{number:g}"], (int(number) if number == int(number) else number)
    if kind == "date":
        day = 1 + (n + session.index) % 28
        value = f"2026-{1 + n % 12:02d}-{day:02d}"
        return [value], value
    text = f"Answer {n} from vendor {session.index}: ünïcödé ✓ «{uuid.uuid4().hex[:8]}»"
    return [text], text


def _apply_inputs(card: dict, key: str, kind: str, values: list[str]) -> None:
    for control in card["inputs"]:
        if control["name"] != key:
            continue
        if control["type"] in ("radio", "checkbox"):
            control["checked"] = control["value"] in values
        else:
            control["value"] = values[0]


def _form_data(card: dict) -> list[tuple[str, str]]:
    """What portal.js's answerData(card) collects."""
    return [
        (c["name"], c["value"])
        for c in card["inputs"]
        if c["type"] != "file"
        and not c["disabled"]
        and (c["type"] not in ("radio", "checkbox") or c["checked"])
    ]


# Users -----------------------------------------------------------------------------------


class Browser(FastHttpUser):
    abstract = True

    def _keep_cookies(self, saved: list) -> None:
        for cookie in saved:
            self.client.cookiejar.set_cookie(cookie)

    def _cookies(self) -> list:
        return list(self.client.cookiejar)


class Vendor(Browser):
    """A vendor answering: opens the next section, answers each question it shows, one
    autosave per change, at a person's pace; after the last section, starts again."""

    wait_time = between(0.5, 1.5)
    pause_pages = True

    def on_start(self):
        index = next(NEXT_USER) % len(PLAN["tokens"])
        token = PLAN["tokens"][index]
        self.session = SESSIONS.setdefault(token, VendorSession(token, index))
        self._keep_cookies(self.session.cookies)
        if self.session.page is None:
            self.client.get(f"/portal/{token}/", name="overview page")
            self._open_section()

    def on_stop(self):
        self.session.cookies = self._cookies()

    def _open_section(self):
        s = self.session
        with self.client.get(s.section_url(), name="section page", catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"status {r.status_code}")
                return
            s.page = SectionPage(r.text)
            s.todo = s.answerable()
        s.cookies = self._cookies()

    @task
    def step(self):
        s = self.session
        if s.page is None:
            self._open_section()
            return
        if not s.todo:
            if self.pause_pages:
                s.section_index = (s.section_index + 1) % len(PLAN["sections"])
                self._open_section()
                return
            s.todo = s.answerable()  # at saturation: the same page, over again
        key = s.todo.pop(0)
        if not s.page.cards[key]["hidden"]:
            self.autosave(key)

    def autosave(self, key: str):
        s = self.session
        card = s.page.cards[key]
        question = PLAN["questions"][key]
        values, stored = _new_answer(s, question, card)
        _apply_inputs(card, key, question["type"], values)
        comment_name = f"{key}-comment"
        if random.random() < 0.2:
            for control in card["inputs"]:
                if control["name"] == comment_name:
                    control["value"] = f"Comment {s.saves} ✓ ({PHASE['name']})"
        comment = next((c["value"] for c in card["inputs"] if c["name"] == comment_name), "")
        s.saves += 1
        body, content_type = multipart(_form_data(card))
        attempt = {"value": stored, "comment": comment.strip()}
        record = LEDGER[s.token][key]
        record["unanswered"].append(attempt)
        headers = {
            "Content-Type": content_type,
            "X-CSRFToken": s.page.csrf,
            "Accept": "application/json",
            "Referer": PLAN["host"] + s.section_url(),
            **ORIGIN_HEADERS,
        }
        url = s.page.autosave_url.replace("__key__", key)
        with self.client.post(
            url, data=body, headers=headers, name="autosave", catch_response=True
        ) as r:
            if r.status_code >= 500 or "application/json" not in r.headers.get("Content-Type", ""):
                STATUSES[PHASE["name"]][f"HTTP {r.status_code}"] += 1
                r.failure(f"status {r.status_code}")
                return  # the save stays unanswered: the server may have applied it
            reply = r.json()
            record["unanswered"].remove(attempt)
            STATUSES[PHASE["name"]][reply["status"]] += 1
            if reply["status"] == "saved" and 200 <= r.status_code < 300:
                record["saved"].append(
                    {**attempt, "revision": reply["revision"], "loaded": reply["loaded"]}
                )
            else:
                r.failure(f"reply {reply['status']}")
            # As portal.js: the card continues from the stored revision and fingerprint.
            for control in card["inputs"]:
                if control["name"] == reply.get("revision_field"):
                    control["value"] = str(reply["revision"])
                elif control["name"] == reply.get("loaded_field"):
                    control["value"] = reply["loaded"]
            shown = set(reply.get("visible", []))
            for other_key, other in s.page.cards.items():
                was_hidden, other["hidden"] = other["hidden"], other_key not in shown
                if was_hidden and not other["hidden"] and other_key not in s.todo:
                    s.todo.append(other_key)  # a follow-up question appeared


class VendorAtSaturation(Vendor):
    """The same vendors, autosaving with no pause and no page loads in between."""

    wait_time = constant(0)
    pause_pages = False


class Analyst(Browser):
    """A signed-in analyst opening the selection's comparison page with various controls."""

    wait_time = between(2, 5)
    views = (
        "",
        "?profile=financial_services",
        "?differences=on",
        "?order=risk",
        "?flagged=on&profile=financial_services",
    )

    def on_start(self):
        self.index = next(NEXT_USER) % len(PLAN["analysts"])
        saved = ANALYST_COOKIES.get(self.index)
        if saved:
            self._keep_cookies(saved)
        else:
            self._sign_in()

    def _sign_in(self):
        username, password = PLAN["analysts"][self.index]
        page = self.client.get("/admin/login/", name="admin sign-in page")
        csrf = page.text.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
        body = urlencode({"csrfmiddlewaretoken": csrf, "username": username, "password": password})
        headers = {"Content-Type": "application/x-www-form-urlencoded", **ORIGIN_HEADERS}
        with self.client.post(
            "/admin/login/?next=/admin/",
            data=body,
            headers=headers,
            name="admin sign-in",
            catch_response=True,
        ) as r:
            if "sessionid" not in {c.name for c in self.client.cookiejar}:
                r.failure("not signed in")
        ANALYST_COOKIES[self.index] = self._cookies()

    @task
    def compare(self):
        url = f"/admin/questionnaires/selection/{PLAN['selection_id']}/compare/"
        with self.client.get(
            url + random.choice(self.views), name="comparison page", catch_response=True
        ) as r:
            if r.status_code != 200 or 'id="login-form"' in r.text:
                r.failure(f"status {r.status_code}, or not signed in")


class Floor(Browser):
    """What an autosave posts, to the floor view (benchmarks/urls.py), with no pause."""

    wait_time = constant(0)

    def on_start(self):
        self.token = PLAN["floor_tokens"][next(NEXT_USER) % len(PLAN["floor_tokens"])]
        # Any page gives the visitor a CSRF token; the sign-in page is the cheapest.
        page = self.client.get("/admin/login/", name="admin sign-in page")
        self.csrf = page.text.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
        self.saves = 0

    @task
    def save(self):
        key = PLAN["floor_question"]
        self.saves += 1
        # What a card posts: the answer, its comment, revision and fingerprint.
        body, content_type = multipart(
            [
                (key, f"Floor save {self.saves} ✓"),
                (f"{key}-comment", ""),
                (f"{key}-revision", str(self.saves)),
                (f"{key}-loaded", "0123456789abcdef"),
            ]
        )
        headers = {
            "Content-Type": content_type,
            "X-CSRFToken": self.csrf,
            "Accept": "application/json",
            "Referer": PLAN["host"] + f"/portal/{self.token}/",
            **ORIGIN_HEADERS,
        }
        with self.client.post(
            f"/bench/floor/{self.token}/{key}/",
            data=body,
            headers=headers,
            name="floor view",
            catch_response=True,
        ) as r:
            if r.status_code != 200 or r.json().get("status") != "saved":
                r.failure(f"status {r.status_code}")


class Trivial(FastHttpUser):
    """The least a request costs on this server, as fast as the server answers."""

    wait_time = constant(0)

    @task
    def trivial(self):
        self.client.get("/bench/trivial/", name="trivial view")


USERS = {
    "vendor": Vendor,
    "vendor_saturation": VendorAtSaturation,
    "analyst": Analyst,
    "trivial": Trivial,
    "floor": Floor,
}


# Phases ----------------------------------------------------------------------------------


def _scheduled(pids: list[int]) -> dict[int, tuple[int, int]]:
    """Per process, over all its threads so far: nanoseconds on a CPU, and nanoseconds
    ready to run but waiting for one (the scheduler's counts)."""
    counts = {}
    for pid in pids:
        on_cpu = waiting = 0
        try:
            for task_dir in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task_dir}/schedstat") as f:
                    ran, waited, _ = f.read().split()
                on_cpu, waiting = on_cpu + int(ran), waiting + int(waited)
        except (FileNotFoundError, ProcessLookupError, ValueError):
            continue
        counts[pid] = (on_cpu, waiting)
    return counts


def _processes() -> dict[str, list[int]]:
    """The processes whose CPU time is reported: the web server's workers, this client,
    the database server's processes serving this run's database, the Celery worker, and
    the shared servers' other processes (which also serve other work on the machine)."""
    groups: dict[str, list[int]] = {
        "web server": [],
        "PostgreSQL": [],
        "PostgreSQL, shared": [],
        "Redis, shared": [],
        "Celery worker": [],
    }
    database = PLAN["database"]
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                command = f.read().replace(b"\0", b" ").decode(errors="replace")
        except (FileNotFoundError, ProcessLookupError):
            continue
        pid = int(entry)
        if pid == PLAN["server_pid"] or ppid == PLAN["server_pid"]:
            groups["web server"].append(pid)
        elif command.startswith("postgres:") and f" {database} " in command:
            groups["PostgreSQL"].append(pid)
        elif command.startswith(("postgres:", "/usr/lib/postgresql/")):
            groups["PostgreSQL, shared"].append(pid)  # its WAL writer, other databases
        elif command.startswith("redis-server"):
            groups["Redis, shared"].append(pid)
        elif pid == PLAN["worker_pid"] or ppid == PLAN["worker_pid"]:
            groups["Celery worker"].append(pid)
    groups["load clients (locust)"] = [os.getpid()]
    return groups


def _machine_busy_ticks() -> int:
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields[:8]) - idle


def _database_sessions() -> int:
    """Connections ever opened to this run's database (PostgreSQL's statistics)."""
    import psycopg

    with psycopg.connect(PLAN["database_url"], autocommit=True) as conn:
        conn.execute("SELECT pg_stat_clear_snapshot()")
        row = conn.execute(
            "SELECT sessions FROM pg_stat_database WHERE datname = current_database()"
        ).fetchone()
    return row[0]  # not yet counting this one


def run_phase(phase: dict) -> dict:
    """Run one phase's users for its duration; every request's timing, by name."""
    global NEXT_USER
    NEXT_USER = itertools.count()
    PHASE["name"] = phase["name"]
    classes = [USERS[name] for name in phase["users"]]
    for cls, weight in zip(classes, phase["users"].values(), strict=True):
        cls.fixed_count = weight
    env = Environment(user_classes=classes, host=PLAN["host"], stop_timeout=10)
    requests: dict[str, list] = defaultdict(list)

    def on_request(name, response_time, exception, response=None, start_time=0, **_):
        status = getattr(response, "status_code", 0) or 0
        requests[name].append([start_time, response_time, status, exception is not None])

    env.events.request.add_listener(on_request)
    runner = env.create_local_runner()
    total = sum(phase["users"].values())
    sessions_before = _database_sessions()
    start = time.time()
    runner.start(total, spawn_rate=total)
    # CPU time is counted over the window the throughput is: past the clients' start.
    gevent.sleep(PLAN["ramp_seconds"])
    before = {g: _scheduled(p) for g, p in _processes().items()}
    machine_before = _machine_busy_ticks()
    gevent.sleep(phase["seconds"] - PLAN["ramp_seconds"])
    stopped = time.time()
    machine_after = _machine_busy_ticks()
    after = {g: _scheduled(p) for g, p in _processes().items()}
    runner.stop()
    runner.quit()
    gevent.sleep(1.5)  # PostgreSQL publishes its statistics at most once a second
    sessions = _database_sessions() - sessions_before - 1  # less the first look

    # Per process: one started during the phase (a new database connection) counts
    # from zero; one that ended during it (a connection closed) is left out.
    def delta(group: str, which: int) -> float:
        was = before.get(group, {})
        return (
            sum(now[which] - was.get(pid, (0, 0))[which] for pid, now in after[group].items()) / 1e9
        )

    cpu = {group: delta(group, 0) for group in after}
    cpu["whole machine"] = (machine_after - machine_before) / os.sysconf("SC_CLK_TCK")
    waiting = {group: delta(group, 1) for group in after}
    return {
        "name": phase["name"],
        "users": phase["users"],
        "seconds": phase["seconds"],
        "start": start,
        "stopped": stopped,
        "requests": requests,
        "statuses": dict(STATUSES[phase["name"]]),
        "cpu_seconds": cpu,
        "cpu_wait_seconds": waiting,
        "database_connections": sessions,
    }


def main(plan_path: str, result_path: str) -> None:
    with open(plan_path) as f:
        PLAN.update(json.load(f))
    ORIGIN_HEADERS["Origin"] = PLAN["host"]
    random.seed(PLAN.get("seed", 1))
    phases = [run_phase(phase) for phase in PLAN["phases"]]
    ledger = {token: dict(questions) for token, questions in LEDGER.items()}
    with open(result_path, "w") as f:
        json.dump({"phases": phases, "ledger": {"links": ledger}}, f)


if __name__ == "__main__":
    main(*sys.argv[1:3])
