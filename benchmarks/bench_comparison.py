"""The comparison page: 10 vendors x 60 questions, against a trivial admin page.

Target: the comparison page's server time is at most 5x that of a trivial admin page
(the admin index) served by the same process.

Method: a generated 60-question definition (ten sections of six: yes/no, single and
multiple choice, percentage bands, whole numbers and text; evidence requests, a
knock-out and a cross-answer rule) and ten submitted responses answering every
question, with comments. A staff user is logged in to Django's test Client (in-process:
the full middleware stack, URL routing, the view, the template, no network). After
warming up, the two pages are requested alternately REPEATS times each and the median
server time of each is reported with their ratio. The comparison page rescores all ten
responses under the profile, renders 600 cells, and states the ranking's robustness
(200 Monte Carlo draws), as an analyst sees it.

Each database backend runs in its own process (Django is set up once per process):
SQLite always; PostgreSQL too when it answers at BENCH_DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/cx_bench_comparison, created when missing).

Run: `make benchmarks BENCH=comparison`.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

VENDORS = 10
SECTIONS = 10
QUESTIONS_PER_SECTION = 6
WARMUP = 5
REPEATS = 60
TARGET_RATIO = 5.0
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/cx_bench_comparison"
RESULTS = Path(__file__).parent / "results" / "comparison.md"
ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    runs = [_run_backend("sqlite", {})]
    pg_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_PG_URL)
    if _postgres_available(pg_url):
        runs.append(_run_backend("postgresql", {"DATABASE_URL": pg_url}))
    else:
        print(f"PostgreSQL not reachable at {pg_url}; measured SQLite only.")
    _report(runs)


def _run_backend(name: str, env: dict[str, str]) -> dict:
    print(f"--- {name} ---", flush=True)
    environment = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    environment.update(env)
    environment.setdefault("DEBUG", "true")
    output = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_comparison", "--measure"],
        cwd=ROOT,
        env=environment,
        check=True,
        capture_output=True,
        text=True,
    )
    sys.stderr.write(output.stderr)
    figures = json.loads(output.stdout.strip().splitlines()[-1])
    figures["backend"] = name
    _print(figures)
    return figures


def _postgres_available(url: str) -> bool:
    from urllib.parse import urlsplit, urlunsplit

    try:
        import psycopg

        parts = urlsplit(url)
        name = parts.path.lstrip("/")
        admin = urlunsplit(parts._replace(path="/postgres"))
        with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{name}"')
        return True
    except Exception as exc:  # any failure means: measure without PostgreSQL
        print(f"PostgreSQL unavailable: {exc}", file=sys.stderr)
        return False


# The measurement, in a process of its own ------------------------------------------------


def _measure() -> dict:
    temporary = None
    if not os.environ.get("DATABASE_URL"):
        temporary = tempfile.mkdtemp(prefix="cx-bench-comparison-")
        os.environ["SQLITE_NAME"] = str(Path(temporary) / "bench.sqlite3")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cxvet.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from questionnaires.comparison import build_comparison

    # No setup_test_environment(): its instrumented template rendering would be timed too.
    settings.ALLOWED_HOSTS = ["testserver"]
    call_command("migrate", verbosity=0, interactive=False)
    ids, user = _dataset()
    client = Client()
    client.force_login(user)
    compare_url = (
        f"{reverse('admin:questionnaires_response_compare')}?" + "ids=" + ",".join(map(str, ids))
    )
    index_url = reverse("admin:index")

    for _ in range(WARMUP):
        _get(client, compare_url)
        _get(client, index_url)
    compare_times, index_times, cold_times = [], [], []
    for _ in range(REPEATS):
        compare_times.append(_get(client, compare_url))
        index_times.append(_get(client, index_url))
        # The same page as first seen after answers or weights change: the robustness
        # (cached under a hash of its inputs) is computed again.
        cache.clear()
        cold_times.append(_get(client, compare_url))
    with CaptureQueriesContext(connection) as queries:
        page = client.get(compare_url)
    comparison = build_comparison(ids)
    return {
        "vendors": len(comparison.vendors),
        "questions": comparison.total_rows,
        "cells": len(comparison.vendors) * comparison.total_rows,
        "page_bytes": len(page.content),
        "queries": len(queries),
        "compare_median_ms": statistics.median(compare_times) * 1000,
        "compare_p90_ms": _p90(compare_times) * 1000,
        "cold_median_ms": statistics.median(cold_times) * 1000,
        "cold_ratio": statistics.median(cold_times) / statistics.median(index_times),
        "index_median_ms": statistics.median(index_times) * 1000,
        "index_p90_ms": _p90(index_times) * 1000,
        "ratio": statistics.median(compare_times) / statistics.median(index_times),
        "repeats": REPEATS,
    }


def _get(client, url: str) -> float:
    started = time.perf_counter()
    page = client.get(url)
    elapsed = time.perf_counter() - started
    if page.status_code != 200:
        raise RuntimeError(f"{url} answered {page.status_code}")
    return elapsed


def _p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10)[-1]


def _dataset():
    from django.contrib.auth import get_user_model

    from questionnaires.models import Questionnaire
    from tests.synthetic import answered_responses, generated_definition, import_definition

    key = "bench_comparison"
    if Questionnaire.objects.filter(key=key).exists():
        version = Questionnaire.objects.get(key=key).versions.get()
        ids = list(version.responses.order_by("pk").values_list("pk", flat=True))
    else:
        definition = generated_definition(
            sections=SECTIONS, per_section=QUESTIONS_PER_SECTION, key=key
        )
        version = import_definition(definition)
        ids = [r.pk for r in answered_responses(version, VENDORS, seed=11)]
    user, _ = get_user_model().objects.get_or_create(
        username="bench-analyst", defaults={"is_staff": True, "is_superuser": True}
    )
    return ids, user


# Reporting ---------------------------------------------------------------------------------


def _print(f: dict) -> None:
    print(
        f"{f['backend']}: comparison {f['compare_median_ms']:.1f} ms (p90 "
        f"{f['compare_p90_ms']:.1f}), admin index {f['index_median_ms']:.1f} ms (p90 "
        f"{f['index_p90_ms']:.1f}), ratio {f['ratio']:.2f}x (target <= {TARGET_RATIO:g}x); "
        f"robustness not cached {f['cold_median_ms']:.1f} ms ({f['cold_ratio']:.2f}x); "
        f"{f['queries']} queries, {f['cells']} cells, {f['page_bytes'] / 1024:.0f} KiB",
        flush=True,
    )


def _report(runs: list[dict]) -> None:
    lines = [
        "# Comparison page: 10 vendors x 60 questions",
        "",
        f"Measured {datetime.date.today().isoformat()} by `make benchmarks BENCH=comparison` "
        f"on {platform.node()} ({os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}).",
        "",
        f"Target: server time of the comparison page at most {TARGET_RATIO:g}x that of a "
        "trivial admin page (the admin index) on the same server.",
        "",
        "Method: Django's test Client in-process (middleware, routing, view, template; no "
        f"network), logged in as staff, {WARMUP} warm-up requests, then {REPEATS} requests "
        "of each page alternately; medians and 90th percentiles. The page rescores the ten "
        "responses under the profile, renders every cell and states the ranking's "
        "robustness (200 draws; cached, see below).",
        "",
        "| database | vendors x questions | queries | page size | comparison median (p90) "
        "| admin index median (p90) | ratio | target met | robustness not cached: median, ratio |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for f in runs:
        lines.append(
            f"| {f['backend']} | {f['vendors']} x {f['questions']} | {f['queries']} | "
            f"{f['page_bytes'] / 1024:.0f} KiB | {f['compare_median_ms']:.1f} ms "
            f"({f['compare_p90_ms']:.1f}) | {f['index_median_ms']:.1f} ms "
            f"({f['index_p90_ms']:.1f}) | {f['ratio']:.2f}x | "
            f"{'yes' if f['ratio'] <= TARGET_RATIO else 'NO'} | "
            f"{f['cold_median_ms']:.1f} ms, {f['cold_ratio']:.2f}x |"
        )
    lines += [
        "",
        "The robustness of the ranking (200 Monte Carlo draws) is cached under a hash of "
        "everything it depends on (engine version, definition, profile weights and rules, "
        "every answer and evidence level), so it is recomputed only when one of them "
        "changes; the last column is the page as first seen after such a change (cache "
        "cleared before each request). The timings come from a shared 2-core machine and "
        "vary by about a factor of two between runs; the ratio is steadier because the two "
        "pages are requested alternately.",
        "",
        "The number of queries is the same for 2 vendors x 6 questions and 12 vendors x 60 "
        "questions (asserted in tests/questionnaires/test_admin_comparison.py).",
        "",
    ]
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text("\n".join(lines))
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    if "--measure" in sys.argv:
        print(json.dumps(_measure()))
    else:
        main()
