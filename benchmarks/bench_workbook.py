"""Importing a full answers workbook, on PostgreSQL: the shipped questionnaire v2 (105
questions) and a generated one twice its size.

Targets: uploading and confirming the shipped questionnaire's full workbook takes under
1 s of server time, and the number of queries does not grow with the number of
questions (the two sizes run the same number).

Method: per questionnaire, an empty in-progress response with a private link, and its
workbook as the portal writes it, every answer cell then filled with the answers of a
generated, fully answered response (tests/synthetic.py; grids and derived values as the
workbook takes them, documents left out). Each run, in-process through Django's test
client with the full middleware (DEBUG off as far as the settings allow in-process):
  (a) upload: POST the workbook to the portal's workbook page: the file checks, the
      signed key, every cell read and validated by the portal's form, the changes kept
      for the preview;
  (b) preview: GET the preview page (classified against the stored answers);
  (c) confirm: POST the preview, which saves every answer through answers_save (one
      audit event each) and commits.
Between runs the response's answers and audit events are deleted (not timed), so each
run saves every answer anew. Queries are counted with Django's query capture. Reported:
the median of BENCH_REPEATS (7) runs per step, and the sum of the three.

Run: `make benchmarks BENCH=workbook` (BENCH_REPEATS shortens a trial run;
BENCH_DATABASE_URL points at another PostgreSQL server; the database cx_bench_workbook
is created when missing).
"""

from __future__ import annotations

import datetime
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

from benchmarks.machine import machine, postgres_version

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/cx_bench_workbook"
REPEATS = int(os.environ.get("BENCH_REPEATS", "7"))
TARGET_SECONDS = 1.0
RESULTS = Path(__file__).parent / "results" / "workbook.md"
SHIPPED_V2 = ROOT / "questionnaires" / "definitions" / "ai-cx-agent-v2.yaml"


def main() -> None:
    url = os.environ.get("BENCH_DATABASE_URL") or DEFAULT_URL
    if not url.startswith("postgres"):
        sys.exit(f"This benchmark measures PostgreSQL; BENCH_DATABASE_URL is {url!r}.")
    _create_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cxvet.settings")
    os.environ.setdefault("DEBUG", "true")
    os.environ.pop("REDIS_URL", None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.ALLOWED_HOSTS = ["testserver", *settings.ALLOWED_HOSTS]
    call_command("migrate", verbosity=0, interactive=False)
    load = os.getloadavg()[0]
    cases = [_measure(label, version) for label, version in _versions()]
    _report(url, cases, (load, os.getloadavg()[0]))


def _create_database(url: str) -> None:
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
            print(f"created database {name}")


def _versions() -> list:
    from questionnaires.models import QuestionnaireVersion
    from questionnaires.services.definitions import questionnaire_import
    from tests.synthetic import definition_yaml, generated_definition

    def imported(key: str, text: str):
        found = QuestionnaireVersion.objects.filter(questionnaire__key=key).order_by("-number")
        return found.first() or questionnaire_import(text=text, publish=True).version

    shipped = imported("ai_cx_agent", SHIPPED_V2.read_text())
    if shipped.number != 2:
        shipped = questionnaire_import(text=SHIPPED_V2.read_text(), publish=True).version
    count = shipped.questions.count()
    large = generated_definition(sections=6, questions=2 * count, key="bench_workbook")
    generated = imported("bench_workbook", definition_yaml(large))
    return [
        (f"shipped questionnaire v2 ({count} questions)", shipped),
        (f"generated ({generated.questions.count()} questions)", generated),
    ]


def _responses(version):
    """An empty response to import into, its token, and a filled workbook for it."""
    from tests.factories import ResponseFactory, VendorFactory, answer_all
    from tests.synthetic import generated_answers
    from tests.vendors.helpers import link_for
    from tests.vendors.workbook_helpers import export, open_book, save
    from vendors.workbook.layout import ANSWERS, COLUMN, FIRST_ROW

    run = uuid.uuid4().hex[:8]
    target = ResponseFactory(
        version=version, status="in_progress", vendor=VendorFactory(name=f"Bench {run} target")
    )
    token, _ = link_for(target)
    source = ResponseFactory(
        version=version, status="in_progress", vendor=VendorFactory(name=f"Bench {run} source")
    )
    values = generated_answers(version.definition, random.Random(7))
    answer_all(source, values)
    filled_from = open_book(export(source))[ANSWERS]
    book = open_book(export(target))
    sheet = book[ANSWERS]
    for row in range(FIRST_ROW, sheet.max_row + 1):
        for column in ("answer", "amount", "comment"):
            cell = sheet.cell(row=row, column=COLUMN[column])
            if not cell.protection.locked:
                source_cell = filled_from.cell(row=row, column=COLUMN[column])
                cell.value = source_cell.value
                # Text such as "=SUM(A1:A9)" stays text, as the export wrote it.
                cell.data_type = source_cell.data_type
    return target, token, save(book), len(values)


def _measure(label: str, version) -> dict:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from questionnaires.models import Answer, AuditEvent

    response, token, data, answered = _responses(version)
    client = Client()
    steps: dict[str, list[tuple[float, int]]] = {"upload": [], "preview": [], "confirm": []}
    saved = 0
    for _ in range(REPEATS):
        Answer.objects.filter(response=response).delete()
        AuditEvent.objects.filter(response=response).delete()
        upload = SimpleUploadedFile("answers.xlsx", data)
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            reply = client.post(reverse("portal:workbook", args=[token]), {"workbook": upload})
            steps["upload"].append((time.perf_counter() - started, len(queries)))
        if reply.status_code != 302:
            body = reply.content.decode()
            sys.exit(f"upload refused: {body[body.find('alert') :][:3000]}")
        preview = reply["Location"]
        for step, call in (("preview", client.get), ("confirm", client.post)):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                reply = call(preview)
                steps[step].append((time.perf_counter() - started, len(queries)))
            assert reply.status_code in (200, 302), step
        saved = Answer.objects.filter(response=response).count()
    print(label, {k: statistics.median(t for t, _ in v) for k, v in steps.items()}, flush=True)
    return {
        "label": label,
        "questions": version.questions.count(),
        "answered": answered,
        "saved": saved,
        "bytes": len(data),
        "steps": steps,
    }


def _report(url: str, cases: list[dict], load: tuple[float, float]) -> None:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()
    lines = [
        "# Workbook import benchmark",
        "",
        f"- Date: {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC, commit "
        f"{commit or 'unknown'}",
        f"- Machine: {machine()}, shared with other work while measuring (load average "
        f"{load[0]:.1f} before, {load[1]:.1f} after)",
        f"- PostgreSQL {postgres_version()} on 127.0.0.1; in-process, Django's test client",
        "",
        f"| questionnaire | workbook | step | median of {REPEATS} | queries | runs (s) |",
        "|---|---|---|---|---|---|",
    ]
    totals = []
    for case in cases:
        total = 0.0
        for step, runs in case["steps"].items():
            median = statistics.median(t for t, _ in runs)
            total += median
            counts = sorted({q for _, q in runs})
            lines.append(
                f"| {case['label']} | {case['bytes'] / 1024:.0f} KB, {case['saved']} answers "
                f"saved | {step} | {median * 1000:.0f} ms | {', '.join(map(str, counts))} | "
                + ", ".join(f"{t:.3f}" for t, _ in runs)
                + " |"
            )
        queries = sum(max(q for _, q in runs) for runs in case["steps"].values())
        totals.append((case, total, queries))
        lines.append(
            f"| {case['label']} | | **upload + preview + confirm** | **{total * 1000:.0f} ms** "
            f"| **{queries}** | |"
        )
    shipped, large = totals[0], totals[1]
    time_verdict = "meets" if shipped[1] < TARGET_SECONDS else "misses"
    query_verdict = "meets" if shipped[2] == large[2] else "misses"
    lines += [
        "",
        f"- Shipped questionnaire v2, whole import: **{shipped[1]:.2f} s** of server time "
        f"(target under {TARGET_SECONDS:.0f} s: {time_verdict}).",
        f"- Queries: {shipped[2]} for {shipped[0]['questions']} questions, {large[2]} for "
        f"{large[0]['questions']} (target: the same for both: {query_verdict}).",
        "- The first upload through a link also notes when the link was last used (one "
        "UPDATE, at most every five minutes per link): hence 7 queries once, then 6. The "
        "first run of each step is also the slowest (templates and code warming up).",
        "",
        "Method: see the docstring of `benchmarks/bench_workbook.py`. Run with "
        "`make benchmarks BENCH=workbook`.",
        "",
    ]
    RESULTS.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
