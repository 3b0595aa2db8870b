"""Load test: 50 vendors answering through their private links while analysts compare.

Run: `make loadtest` (about three minutes; it stops by itself). It exits non-zero if any
answer a client was told is saved is missing or different in the database, or if the
server answered any request with a 5xx, and writes benchmarks/results/load.md.

Everything runs on this machine, as deployed (README.md, Deploying): gunicorn serving
the app with DEBUG off and collected static files, PostgreSQL, Redis as broker and
cache, a Celery worker. It uses resources of its own and touches nothing else: the
PostgreSQL database `cxvet_load` (dropped and created at the start, dropped at the end),
Redis databases 8 (broker, on the queue `cxvet_load`) and 9 (cache), files under
benchmarks/out/load/. Traffic goes to 127.0.0.1 only.

1. Data, through the project's services and factories (benchmarks/load_data.py): the
   shipped questionnaire, published, with the demo vendors and their selection; staff
   users; 50 vendors, each with a contact invited with `invitation_create`. The worker
   emails the private links; the test reads them from the emails.
2. Clients (benchmarks/load_locust.py, locust), in phases, each vendor on its own link
   to its own response, sending what the portal's page sends:
   - warm-up: vendors open their overview and first section, analysts sign in;
   - trivial view at saturation: 50 clients requesting a trivial view (the project's
     middleware and `HttpResponse("ok")`) with no pause;
   - autosave at saturation: the 50 vendors autosaving with no pause;
   - the floor view at saturation: 50 clients posting what an autosave posts to the
     floor view of benchmarks/urls.py (look the link up, commit one single-row update),
     each on a response of its own: the least an autosave could cost;
   - vendors and analysts (60 s): the 50 vendors at a fast person's pace (a change
     every 0.5-1.5 s, a section page at each new section) while analysts open the
     selection's comparison page every 2-5 s;
   - the trivial view at saturation again (the machine is shared: drift shows).
3. The check (benchmarks/load_data.py verify): every save with a "saved" reply is in
   the database with that value, comment and revision (or a later one the client sent
   and whose reply never came), with an audit event per revision, and nothing else
   changed.

Environment: LOAD_WORKERS (gunicorn workers, default 4 as README.md's deploy line),
LOAD_GUNICORN_OPTIONS (more gunicorn options, e.g. `--threads 4`),
LOAD_SECONDS (the main phase, default 60), LOAD_SATURATION_SECONDS (default 15),
LOAD_VENDORS (50), LOAD_ANALYSTS (3), LOAD_KEEP_DATABASE=1 to keep the database; for
experiments, DATABASE_PREPARED_STATEMENTS=false and LOAD_CONN_MAX_AGE (seconds a
database connection is kept; the settings say 60).
"""

from __future__ import annotations

import email
import email.policy
import email.utils
import json
import os
import platform
import re
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out" / "load"
RESULTS = ROOT / "benchmarks" / "results" / "load.md"
DATABASE_URL = "postgres://postgres@127.0.0.1:5432/cxvet_load"
BROKER_URL = "redis://127.0.0.1:6379/8"
CACHE_URL = "redis://127.0.0.1:6379/9"
QUEUE = "cxvet_load"
# As README.md's deploy line: four sync workers.
WORKERS = int(os.environ.get("LOAD_WORKERS", "4"))
GUNICORN_OPTIONS = shlex.split(os.environ.get("LOAD_GUNICORN_OPTIONS", ""))
VENDORS = int(os.environ.get("LOAD_VENDORS", "50"))
ANALYSTS = int(os.environ.get("LOAD_ANALYSTS", "3"))
MAIN_SECONDS = int(os.environ.get("LOAD_SECONDS", "60"))
SATURATION_SECONDS = int(os.environ.get("LOAD_SATURATION_SECONDS", "15"))
# Requests that started in a phase's first second (while clients start) are left out of
# its throughput and latency.
RAMP_SECONDS = 1.0

MAIN = "vendors and analysts"
TRIVIAL_BEFORE = "trivial view at saturation"
TRIVIAL_AFTER = "trivial view at saturation, again"
AUTOSAVE_SATURATION = "autosave at saturation"
FLOOR_SATURATION = "floor view at saturation"
TARGET_P95_MS = 100
TARGET_THROUGHPUT_SHARE = 0.5


READING = """
## Reading

Written for the run of 2026-12-01 09:49; a new run rewrites the figures above, not this text.

Correctness held in every run (eleven the same morning, main phases of 8 to 60 s, with
2, 4 or 8 workers, threads, connections kept or not): no answer lost or corrupted, no
server error, no reply other than "saved". One more run, before each run had a cache
key prefix of its own, found the previous run's pages in Redis: see
tests/vendors/test_section_cache_token.py. The check is in benchmarks/load_data.py
(verify) and has tests of its own (tests/test_load_check.py).

The speed targets, and why:

- **Autosave p95 under 100 ms: not met here (103 ms), and it depends on the machine.**
  The machine was shared: over the 60-s phase the whole machine was busy (116 of 118
  CPU-seconds) while this test's processes used about 38; the web server's workers spent
  63 s ready to run but waiting for a CPU. An 8-s trial at a quieter moment measured
  34 ms; runs at load averages of 5-12 measured 190-1360 ms. What this load needs is
  modest: 40-50 requests/s at about 10 ms of web server CPU each (autosaves, section
  pages, comparison pages) is half a core.
- **Autosave throughput at saturation at least 50% of the trivial view's: not met
  (9%), and no server setting meets it.** At saturation throughput is CPU divided by CPU
  per request. The web server spends 0.5 ms of CPU on a trivial view, 3.2 ms on the
  floor view (look the link up, commit one single-row update) and 8.3 ms on an
  autosave, so even the floor reaches only 19% of the trivial view. The autosave reached
  50% of the floor's throughput (120 against 239 requests/s). Cutting the autosave's
  CPU by the 1.5 ms that benchmarks/results/portal.md finds (lean link lookup, the
  in-place UPDATE by question id, the answers through a cursor) would give about 11%.
  A target that a write can meet is one against the floor view.
- The probe's 36-48% could not be reproduced. A less efficient client does not explain
  it: locust's requests-based HttpUser drove the trivial view at 850-950 requests/s
  against 1260-1450 for FastHttpUser (used here) on the same server.

Server settings, tried with the same test (20-s main phase, 10-s saturation phases,
load average 5-12, so only large differences mean anything):

| gunicorn and database | autosave at saturation | main phase autosave p95 |
|---|---|---|
| 4 sync workers (README.md's deploy line) | 63/s (8.5 ms CPU each) | 194 ms |
| 2 sync workers | 65/s | 605 ms |
| 8 sync workers | 35/s | 1080 ms |
| 2 workers x 4 threads | 45/s | 352 ms |
| 4 sync workers, CONN_MAX_AGE 0 (a connection per request) | 30/s (11.5 ms CPU each) | 1355 ms |
| 4 sync workers, prepared statements off | 47/s (PostgreSQL 2.1 ms CPU each, against 0.8-1.0) | 674 ms |

Two sync workers per core, as deployed, did best overall (two workers in all kept up
at saturation but let comparison pages hold half the server); more workers or threads
do not help CPU-bound requests and cost memory and switching. Keeping connections (the
settings keep them 60 s: connections were opened only as one reached that age, one per
worker in the 60-s phase) and prepared statements (on by default) are both worth
keeping; neither needs changing.
""".strip().splitlines()


def phases() -> list[dict]:
    people = {"vendor": VENDORS, "analyst": ANALYSTS}
    return [
        {"name": "warm-up", "users": people, "seconds": 10},
        {"name": TRIVIAL_BEFORE, "users": {"trivial": VENDORS}, "seconds": SATURATION_SECONDS},
        {
            "name": AUTOSAVE_SATURATION,
            "users": {"vendor_saturation": VENDORS},
            "seconds": SATURATION_SECONDS,
        },
        {"name": FLOOR_SATURATION, "users": {"floor": VENDORS}, "seconds": SATURATION_SECONDS},
        {"name": MAIN, "users": people, "seconds": MAIN_SECONDS},
        {"name": TRIVIAL_AFTER, "users": {"trivial": VENDORS}, "seconds": SATURATION_SECONDS},
    ]


def environment() -> dict[str, str]:
    """The deployed configuration (README.md, Deploying) on this run's own resources."""
    inherited = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DATABASE_", "REDIS_", "CELERY_", "DJANGO_"))
        or k == "DATABASE_PREPARED_STATEMENTS"
    }
    return {
        **inherited,
        "DJANGO_SETTINGS_MODULE": "benchmarks.load_settings",
        "DEBUG": "false",
        "SECRET_KEY": "load-test-only-" + "s" * 40,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": "http://127.0.0.1",
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": BROKER_URL,
        "REDIS_CACHE_URL": CACHE_URL,
        "CELERY_TASK_DEFAULT_QUEUE": QUEUE,
        # Plain HTTP on the loopback: cookies that browsers would only send over HTTPS
        # would never come back.
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "STATIC_ROOT": str(OUT / "static"),
        "MEDIA_ROOT": str(OUT / "media"),
        "LOAD_EMAIL_DIR": str(OUT / "emails"),
        "LOAD_RUN_ID": f"load-{time.time_ns()}",
        "LOG_LEVEL": "WARNING",
    }


def main() -> None:
    started = time.monotonic()
    for url in (DATABASE_URL, BROKER_URL, CACHE_URL):
        if urlsplit(url).hostname not in ("127.0.0.1", "localhost"):
            sys.exit(f"The load test only talks to this machine, not {url}.")
    env = environment()
    _fresh_directory(OUT)
    _recreate_database(DATABASE_URL)
    _empty_queue()
    try:
        outcome = _run(env)
    finally:
        if os.environ.get("LOAD_KEEP_DATABASE") != "1":
            _drop_database(DATABASE_URL)
    outcome["total_seconds"] = time.monotonic() - started
    failures = report(outcome)
    if failures:
        print("\nFAILED:\n" + "\n".join(f"- {f}" for f in failures))
        sys.exit(1)
    print("\nPassed: no answer lost or corrupted, no server error (speed: see above).")


def _run(env: dict[str, str]) -> dict:
    step("Collecting static files")
    _django(env, [sys.executable, "manage.py", "collectstatic", "--no-input", "-v", "0"])
    worker = _start_worker(env)
    try:
        step(f"Data: migrate, demo data, {VENDORS} vendors invited")
        data = json.loads(
            _django(
                env,
                [
                    sys.executable,
                    "-m",
                    "benchmarks.load_data",
                    "setup",
                    str(VENDORS),
                    str(ANALYSTS),
                ],
            ).splitlines()[-1]
        )
        tokens = _tokens_from_emails({**data["contacts"], **data["floor_contacts"]}, timeout=120)
        step(f"{len(tokens)} private links read from the worker's emails")
        floor_tokens = tokens[len(data["contacts"]) :]
        tokens = tokens[: len(data["contacts"])]
        from tests.servers import gunicorn, gunicorn_pids

        with gunicorn(
            "cxvet.wsgi",
            env=env,
            log_path=OUT / "gunicorn.log",
            workers=WORKERS,
            options=GUNICORN_OPTIONS,
        ) as port:
            plan = {
                "host": f"http://127.0.0.1:{port}",
                "tokens": tokens,
                "floor_tokens": floor_tokens,
                "floor_question": data["floor_question"],
                "floor_section": data["floor_section"],
                "database_url": DATABASE_URL,
                "analysts": data["analysts"],
                "selection_id": data["selection_id"],
                "sections": data["sections"],
                "questions": data["questions"],
                "database": urlsplit(DATABASE_URL).path.lstrip("/"),
                "server_pid": gunicorn_pids(port)[0],
                "worker_pid": worker.pid,
                "phases": phases(),
                "ramp_seconds": RAMP_SECONDS,
            }
            (OUT / "plan.json").write_text(json.dumps(plan))
            seconds = sum(p["seconds"] for p in plan["phases"])
            step(f"Clients: {', '.join(p['name'] for p in plan['phases'])} ({seconds} s)")
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "benchmarks.load_locust",
                    OUT / "plan.json",
                    OUT / "result.json",
                ],
                cwd=ROOT,
                check=True,
                timeout=seconds + 180,
            )
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    result = json.loads((OUT / "result.json").read_text())
    (OUT / "ledger.json").write_text(json.dumps(result["ledger"]))
    step("Checking every acknowledged save against the database")
    verified = json.loads(
        _django(
            env, [sys.executable, "-m", "benchmarks.load_data", "verify", str(OUT / "ledger.json")]
        ).splitlines()[-1]
    )
    return {
        "data": data,
        "phases": result["phases"],
        "verified": verified,
        "server_log_errors": _logged_errors(OUT / "gunicorn.log"),
        "worker_log_errors": _logged_errors(OUT / "worker.log"),
    }


def step(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


def _django(env: dict[str, str], command: list, timeout: int = 600) -> str:
    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"{' '.join(map(str, command))} failed with {done.returncode}")
    return done.stdout


def _start_worker(env: dict[str, str]) -> subprocess.Popen:
    log = open(OUT / "worker.log", "w")  # noqa: SIM115 (closed with the process)
    return subprocess.Popen(
        [
            *(sys.executable, "-m", "celery", "-A", "cxvet", "worker", "-Q", QUEUE),
            *("-n", f"{QUEUE}@%h", "--concurrency", "1", "--loglevel", "WARNING"),
            *("--without-gossip", "--without-mingle", "--without-heartbeat"),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def _tokens_from_emails(contacts: dict[str, int], timeout: float) -> list[str]:
    """The private link in each contact's invitation, in the contacts' order."""
    found: dict[str, str] = {}
    deadline = time.monotonic() + timeout
    while len(found) < len(contacts):
        if time.monotonic() > deadline:
            raise SystemExit(
                f"Only {len(found)} of {len(contacts)} invitations were emailed within "
                f"{timeout:.0f} s; see {OUT / 'worker.log'}"
            )
        time.sleep(0.5)
        for path in (OUT / "emails").glob("*.log"):
            for raw in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
                if not raw.strip():
                    continue
                # The invitation is HTML with a plain-text part: read the text.
                message = email.message_from_bytes(raw.strip(), policy=email.policy.default)
                part = message.get_body(preferencelist=("plain",)) or message
                link = re.search(r"/portal/([A-Za-z0-9_-]{43})/", part.get_content())
                address = email.utils.parseaddr(str(message["To"]))[1]
                if link and address in contacts:
                    found[address] = link.group(1)
    return [found[address] for address in contacts]


def _logged_errors(path: Path) -> list[str]:
    if not path.exists():
        return []
    text = path.read_text(errors="replace")
    return [
        line
        for line in text.splitlines()
        if "Traceback" in line or "Internal Server Error" in line or "[CRITICAL]" in line
    ]


def _server_url(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/postgres")), parts.path.lstrip("/")


def _recreate_database(url: str) -> None:
    import psycopg

    server, name = _server_url(url)
    with psycopg.connect(server, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _drop_database(url: str) -> None:
    import psycopg

    server, name = _server_url(url)
    with psycopg.connect(server, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _empty_queue() -> None:
    """Tasks an interrupted earlier run left on this run's own queue (nothing else)."""
    import redis

    redis.Redis.from_url(BROKER_URL).delete(QUEUE)


def _fresh_directory(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)
    (path / "emails").mkdir(parents=True)


# Report ------------------------------------------------------------------------------------


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))
    return ordered[index]


def _ms(value: float, digits: int = 1) -> str:
    """A latency, or a dash when every request fell in the phase's first second."""
    return "-" if value != value else f"{value:.{digits}f}"


def endpoint_rows(phase: dict) -> list[dict]:
    start, stopped = phase["start"] + RAMP_SECONDS, phase["stopped"]
    window = stopped - start
    rows = []
    for name, requests in sorted(phase["requests"].items()):
        inside = [r for r in requests if start <= r[0] < stopped]
        times = [r[1] for r in inside]
        rows.append(
            {
                "phase": phase["name"],
                "endpoint": name,
                "requests": len(requests),
                "per_second": len(inside) / window if window > 0 else float("nan"),
                "p50": _percentile(times, 0.50),
                "p95": _percentile(times, 0.95),
                "p99": _percentile(times, 0.99),
                "max": max(times) if times else float("nan"),
                "failed": sum(1 for r in requests if r[3]),
                "server_errors": sum(1 for r in requests if r[2] >= 500),
            }
        )
    return rows


def report(outcome: dict) -> list[str]:
    """Write benchmarks/results/load.md; return what failed (empty when all passed)."""
    phases_ = {p["name"]: p for p in outcome["phases"]}
    rows = [row for p in outcome["phases"] for row in endpoint_rows(p)]
    by = {(r["phase"], r["endpoint"]): r for r in rows}
    measured = [r for r in rows if r["phase"] != "warm-up"]
    trivial = statistics.mean(
        by[(name, "trivial view")]["per_second"] for name in (TRIVIAL_BEFORE, TRIVIAL_AFTER)
    )
    autosave_saturated = by[(AUTOSAVE_SATURATION, "autosave")]
    autosave_main = by[(MAIN, "autosave")]
    share = autosave_saturated["per_second"] / trivial
    verified = outcome["verified"]
    server_errors = sum(r["server_errors"] for r in rows)
    unexpected = {
        phase["name"]: {s: n for s, n in phase["statuses"].items() if s != "saved"}
        for phase in outcome["phases"]
    }
    unexpected = {k: v for k, v in unexpected.items() if v}
    failures = []
    if verified["problems"]:
        failures.append(f"{len(verified['problems'])} lost or corrupted answer(s)")
    if server_errors:
        failures.append(f"{server_errors} server error(s) (5xx)")
    if outcome["server_log_errors"]:
        failures.append(f"{len(outcome['server_log_errors'])} error line(s) in the server's log")

    def mark(ok: bool) -> str:
        return "**met**" if ok else "**not met**"

    lines = [
        "# Load test: vendors autosaving while analysts compare",
        "",
        "`make loadtest` (benchmarks/loadtest.py; its docstring says exactly what it does). "
        f"Measured {time.strftime('%Y-%m-%d %H:%M')} on {platform.node()} "
        f"({os.cpu_count()} cores, shared with other work; Python {platform.python_version()}), "
        f"gunicorn `{_gunicorn_label()}` serving the app as deployed "
        "(DEBUG off, collected static files), PostgreSQL, Redis as broker and cache, one "
        "Celery worker; the load clients (locust) on the same machine. "
        f"{VENDORS} vendors, each on its own private link to its own response, "
        f"{ANALYSTS} analysts. Whole run {outcome['total_seconds']:.0f} s.",
        "",
        "## Targets",
        "",
        "| target | measured | |",
        "|---|---|---|",
        f"| no answer lost or corrupted | {len(verified['problems'])} problems in "
        f"{verified['answers_checked']} answers checked ({verified['saves_acknowledged']} saves "
        f"acknowledged, {verified['saves_unanswered']} cut off by the end of a phase, "
        f"{verified['audit_events']} audit events) | {mark(not verified['problems'])} |",
        f"| no server error (5xx) | {server_errors} 5xx replies, "
        f"{len(outcome['server_log_errors'])} error lines in the server's log | "
        f"{mark(not server_errors and not outcome['server_log_errors'])} |",
        f"| autosave p95 under {TARGET_P95_MS} ms ({MAIN}) | {autosave_main['p95']:.1f} ms | "
        f"{mark(autosave_main['p95'] < TARGET_P95_MS)} |",
        f"| autosave throughput at saturation at least {TARGET_THROUGHPUT_SHARE:.0%} of the "
        f"trivial view's | {autosave_saturated['per_second']:.0f} against {trivial:.0f} "
        f"requests/s: {share:.0%} | {mark(share >= TARGET_THROUGHPUT_SHARE)} |",
        "",
        "## Per phase and endpoint",
        "",
        f"Latency as the clients saw it, in ms; throughput over each phase less its first "
        f"{RAMP_SECONDS:g} s. Failed: any non-2xx reply, a connection error, or an autosave "
        'whose reply was not "saved".',
        "",
        "| phase | seconds | endpoint | requests | per second | p50 | p95 | p99 | max | failed | 5xx |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
        *(
            f"| {r['phase']} | {phases_[r['phase']]['seconds']} | {r['endpoint']} | "
            f"{r['requests']} | {r['per_second']:.1f} | {_ms(r['p50'])} | {_ms(r['p95'])} | "
            f"{_ms(r['p99'])} | {_ms(r['max'], 0)} | {r['failed']} | {r['server_errors']} |"
            for r in measured
        ),
        "",
        'Autosave replies other than "saved": '
        + (json.dumps(unexpected) if unexpected else "none")
        + ".",
        "",
        "## CPU time per phase",
        "",
        "Seconds of CPU used by each group of processes over the same window as the "
        "throughput, and per request in that window, in ms. PostgreSQL: the processes "
        "serving this run's database; shared: the server's other processes (WAL writer, "
        "other databases) and Redis, which also serve other work. The whole machine "
        "includes all other work on it (two cores give at most twice the window's "
        "seconds). Waiting for a CPU: the time the web server's workers were ready to run "
        "while the CPUs ran something else. Database connections: opened over the whole "
        "phase.",
        "",
        *_cpu_table(outcome["phases"], by),
    ]
    if verified["problems"]:
        lines += ["", "## Problems found", "", *(f"- {p}" for p in verified["problems"][:50])]
    if outcome["server_log_errors"]:
        lines += [
            "",
            "## Server log errors",
            "",
            *(f"- `{e}`" for e in outcome["server_log_errors"][:20]),
        ]
    lines += ["", *READING]
    RESULTS.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"\nwrote {RESULTS.relative_to(ROOT)}")
    return failures


def _gunicorn_label() -> str:
    return " ".join(["--workers", str(WORKERS), *GUNICORN_OPTIONS])


def _cpu_table(phases_: list[dict], by: dict) -> list[str]:
    groups = [
        "web server",
        "PostgreSQL",
        "PostgreSQL, shared",
        "Redis, shared",
        "load clients (locust)",
        "Celery worker",
        "whole machine",
    ]
    out = [
        "| phase | requests/s | "
        + " | ".join(groups)
        + " | web server waiting for a CPU | database connections opened |",
        "|---|---|" + "---|" * (len(groups) + 2),
    ]
    for phase in phases_:
        if phase["name"] == "warm-up":
            continue
        start = phase["start"] + RAMP_SECONDS
        count = sum(
            1 for r in phase["requests"].values() for t in r if start <= t[0] < phase["stopped"]
        )
        seconds = phase["stopped"] - start
        cells = []
        for group in groups:
            cpu = phase["cpu_seconds"].get(group, 0.0)
            cells.append(f"{cpu:.1f} s ({1000 * cpu / count:.2f} ms)" if count else f"{cpu:.1f} s")
        waited = phase["cpu_wait_seconds"]["web server"]
        cells.append(f"{waited:.1f} s ({1000 * waited / count:.2f} ms)" if count else "")
        cells.append(str(phase["database_connections"]))
        out.append(f"| {phase['name']} | {count / seconds:.0f} | " + " | ".join(cells) + " |")
    return out


if __name__ == "__main__":
    main()
