"""Rendering the vendor comparison PDF: 5 vendors x 50 questions and 10 vendors x 60.

The round chooses four frameworks, its scored questions mapped to their controls, and
gives the business case's figures and a price per vendor, so the report holds the
coverage pages and the business case page a real round's does.

Targets (issue 7, this 2-core machine): the time spent outside WeasyPrint at most 10%
of the total; 5 x 50 within 3 s; 10 x 60 within 6 s.

Method: a throwaway SQLite database under benchmarks/out/, a generated questionnaire
and scored, commented, partly evidenced responses from tests/synthetic.py (the
database is not what is measured). Per case, after one warm-up render in this process
(a Celery worker is warm too), alternately RUNS times:
  - outside WeasyPrint: questionnaires.reports.report_html, the first half of what the
    task's render_report does: the inputs snapshot and fingerprint, the comparison with
    its robustness (200 draws), the templates;
  - WeasyPrint alone: cxvet.pdf.render_pdf on that final HTML, the second half;
  - total: the two together (render_report is exactly these two calls).
Medians of the runs, the minimum total beside them. Then, on the same HTML file:
alternately SIDE_BY_SIDE_RUNS times each (issue 15's anchor):
  - WeasyPrint in a fresh Python process: its time cold (wall and CPU), and its peak
    RSS (ru_maxrss) over the RSS it had before rendering;
  - Chromium's headless print (`chromium --headless --print-to-pdf`), wall time with the
    browser's start, CPU time of all its processes, peak memory = the largest summed
    PSS of its process tree (sampled every 20 ms).
Also recorded: an experiment rendering independent parts of the document in two
processes and joining them with pypdf (see the results file for why it is not used).

Run: `make benchmarks BENCH=reports`. Timings on a shared machine vary; the load average
at the start and end is recorded, and the minimum is given beside each median.
"""

from __future__ import annotations

import datetime
import io
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = Path(__file__).parent / "out"
RESULTS = Path(__file__).parent / "results" / "reports.md"
CASES = ((5, 50, 8, 3.0), (10, 60, 10, 6.0))  # vendors, questions, sections, target s
# A buyer's questionnaire asks mostly choices, yes/no, rates and free text.
REPORT_KINDS = ("single_choice", "yes_no", "percentage", "text")
RUNS = 5
SIDE_BY_SIDE_RUNS = 5
# Issue 15: the 10 x 60 comparison, coverage pages included, no slower than Chromium.
CHROMIUM_TARGET = 1.0
OUTSIDE_TARGET = 0.10
# The round's chosen frameworks: a coverage page each, as the demo round has.
BENCH_FRAMEWORKS = ("owasp_llm_2025", "nist_ai_rmf", "eu_ai_act", "iso_42001")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-pdf-header-footer",
]


def main() -> None:
    OUT.mkdir(exist_ok=True)
    database = OUT / "reports.sqlite3"
    database.unlink(missing_ok=True)
    # The database only feeds the report: SQLite of its own, tasks in-process.
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("REDIS_URL", None)
    os.environ["SQLITE_NAME"] = str(database)
    os.environ["MEDIA_ROOT"] = str(OUT / "media")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cxvet.settings")
    os.environ.setdefault("DEBUG", "true")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    load_before = os.getloadavg()
    rows = [_case(*case) for case in CASES]
    load_after = os.getloadavg()
    _report(rows, load_before, load_after)
    database.unlink(missing_ok=True)


# One case --------------------------------------------------------------------------------


def _case(vendors: int, questions: int, sections: int, target: float) -> dict:
    from pypdf import PdfReader

    from cxvet.pdf import render_pdf
    from questionnaires.models import ReportKind
    from questionnaires.reports import render_report, report_html, report_subject
    from tests.synthetic import generated_definition, import_definition, scored_selection

    definition = generated_definition(
        sections=sections,
        questions=questions,
        key=f"bench_{questions}q",
        kinds=REPORT_KINDS,
        realistic=True,
        knockouts=3,
    )
    _map_controls(definition)
    version = import_definition(definition)
    demo = scored_selection(version=version, vendors=vendors)
    _decision_inputs(demo)
    subject = report_subject(kind=ReportKind.COMPARISON, selection=demo.selection)
    started = time.perf_counter()
    warm = render_report(subject)
    first = time.perf_counter() - started
    totals, weasy, outside = [], [], []
    for _ in range(RUNS):
        # render_report is exactly report_html then render_pdf; timing the two halves of
        # one run keeps the share honest when the machine's load changes between runs.
        started = time.perf_counter()
        html, _ = report_html(subject)
        built = time.perf_counter()
        render_pdf(html)
        done = time.perf_counter()
        totals.append(done - started)
        outside.append(built - started)
        weasy.append(done - built)
    html_file = OUT / f"comparison-{vendors}x{questions}.html"
    html_file.write_text(html, encoding="utf-8")
    (OUT / f"comparison-{vendors}x{questions}.pdf").write_bytes(warm.pdf)
    shares = [o / t for o, t in zip(outside, totals, strict=True)]
    row = {
        "case": f"{vendors} x {questions}",
        "target": target,
        "first": first,
        "total": statistics.median(totals),
        "total_min": min(totals),
        "weasy": statistics.median(weasy),
        "weasy_min": min(weasy),
        "outside": statistics.median(outside),
        "outside_share": statistics.median(shares),
        "pages": len(PdfReader(io.BytesIO(warm.pdf)).pages),
        "cells": len(re.findall(r"<t[dh][ >]", html)),
        "svg_texts": html.count("<text"),
        "pdf_kib": len(warm.pdf) / 1024,
    }
    row.update(_side_by_side(html_file))
    row.update(_parallel_parts(html))
    print(
        f"{row['case']}: total {row['total']:.2f} s (min {row['total_min']:.2f}), WeasyPrint "
        f"{row['weasy']:.2f} s, outside {row['outside_share']:.1%}, Chromium "
        f"{row['chromium']:.2f} s, {row['pages']} pages",
        flush=True,
    )
    return row


def _map_controls(definition: dict) -> None:
    """Map the scored questions to the controls of the round's frameworks in turn, so the
    report has a coverage page per framework as a real round does."""
    from questionnaires.definition import iter_questions
    from questionnaires.frameworks import catalogues

    controls = {key: list(catalogues()[key].controls) for key in BENCH_FRAMEWORKS}
    scored = [q for _, q in iter_questions(definition) if q.get("scoring")]
    for i, question in enumerate(scored):
        question["controls"] = {
            key: [ids[i % len(ids)]] for key, ids in controls.items() if i < 2 * len(ids)
        }


def _decision_inputs(demo) -> None:
    """The round's frameworks and business case figures, and an analyst's price per vendor."""
    from decimal import Decimal

    selection = demo.selection
    selection.frameworks = list(BENCH_FRAMEWORKS)
    selection.buyer_currency = "EUR"
    selection.yearly_contact_volume = 1_200_000
    selection.human_contact_cost = Decimal("4.80")
    selection.save(
        update_fields=[
            "frameworks",
            "buyer_currency",
            "yearly_contact_volume",
            "human_contact_cost",
        ]
    )
    for n, response in enumerate(demo.responses):
        response.analyst_yearly_price = Decimal(400_000 + 50_000 * n)
        response.save(update_fields=["analyst_yearly_price"])


# WeasyPrint in a fresh process, and Chromium, side by side ------------------------------

FRESH_SCRIPT = """
import os, resource, sys, time
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cxvet.settings")
os.environ.setdefault("DEBUG", "true")
import django
django.setup()
from cxvet.pdf import render_pdf
def rss_kib():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
html = open(sys.argv[1], encoding="utf-8").read()
before = rss_kib()
started, cpu = time.perf_counter(), time.process_time()
render_pdf(html)
elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
print(elapsed, cpu, before, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def _side_by_side(html_file: Path) -> dict:
    """WeasyPrint in a fresh process and Chromium's headless print of the same file,
    alternately SIDE_BY_SIDE_RUNS times each, so that a change in the machine's load
    falls on both. Wall time and CPU time (Chromium's summed over its processes)."""
    weasy, weasy_cpu, chromium, chromium_cpu, peaks = [], [], [], [], []
    before_mib = peak_mib = 0.0
    for _ in range(SIDE_BY_SIDE_RUNS):
        result = subprocess.run(
            [sys.executable, "-c", FRESH_SCRIPT, str(html_file)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
            timeout=300,
        )
        elapsed, cpu, before, peak = result.stdout.split()[-4:]
        weasy.append(float(elapsed))
        weasy_cpu.append(float(cpu))
        before_mib, peak_mib = int(before) / 1024, max(peak_mib, int(peak) / 1024)
        run = _chromium_once(html_file)
        if run:
            chromium.append(run[0])
            chromium_cpu.append(run[1])
            peaks.append(run[2])
    row = {
        "weasy_cold": statistics.median(weasy),
        "weasy_cold_cpu": statistics.median(weasy_cpu),
        "weasy_rss_before_mib": before_mib,
        "weasy_peak_mib": peak_mib,
        "chromium": statistics.median(chromium) if chromium else float("nan"),
        "chromium_cpu": statistics.median(chromium_cpu) if chromium else float("nan"),
        "chromium_peak_mib": max(peaks) / 1024 if peaks else float("nan"),
        "chromium_pages": 0,
    }
    target = OUT / f"{html_file.stem}-chromium.pdf"
    if target.exists():
        from pypdf import PdfReader

        row["chromium_pages"] = len(PdfReader(target).pages)
    return row


def _chromium_once(html_file: Path) -> tuple[float, float, int] | None:
    """One headless print with the browser's start: wall seconds, CPU seconds of the
    whole process tree (reaped children count in RUSAGE_CHILDREN), peak PSS in KiB."""
    if not Path(CHROMIUM).exists():
        return None
    target = OUT / f"{html_file.stem}-chromium.pdf"
    with tempfile.TemporaryDirectory() as profile:
        command = [
            CHROMIUM,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            f"--print-to-pdf={target}",
            html_file.resolve().as_uri(),
        ]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        peak = _sample_tree_rss(process)
        elapsed = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu, peak


def _sample_tree_rss(process: subprocess.Popen) -> int:
    """Wait for the process; the largest summed PSS (KiB) of it and its descendants."""
    peak = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, _tree_rss_kib(process.pid))
            stop.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    process.wait(timeout=300)
    stop.set()
    sampler.join()
    return peak


def _tree_rss_kib(root: int) -> int:
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    tree = {root}
    changed = True
    while changed:
        changed = False
        for pid, ppid in parents.items():
            if ppid in tree and pid not in tree:
                tree.add(pid)
                changed = True
    # PSS, not RSS: Chromium's processes share most of their pages, and summing RSS
    # would count those once per process.
    total = 0
    for pid in tree:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total


# The parallel experiment -----------------------------------------------------------------


def _render_part(html: str) -> tuple[bytes, float]:
    from cxvet.pdf import render_pdf

    started = time.perf_counter()
    pdf = render_pdf(html)
    return pdf, time.perf_counter() - started


def _parallel_parts(html: str) -> dict:
    """Render the front matter, two halves of the sections and the appendix as separate
    documents in two processes, then join them with pypdf.

    A lower bound for the approach: the parts' page numbers are not corrected here (that
    needs a page offset and the total, known only after every part is laid out).
    """
    from pypdf import PdfReader, PdfWriter

    parts = _split(html)
    started = time.perf_counter()
    with ProcessPoolExecutor(2) as pool:
        results = list(pool.map(_render_part, parts))
    rendered = time.perf_counter() - started
    started = time.perf_counter()
    writer = PdfWriter()
    for pdf, _ in results:
        writer.append(PdfReader(io.BytesIO(pdf)))
    writer.write(io.BytesIO())
    joined = time.perf_counter() - started
    return {"parallel": rendered + joined, "parallel_join": joined}


def _split(html: str) -> list[str]:
    head, body = html.split("<body>", 1)
    body = body.rsplit("</body>", 1)[0]
    blocks = re.split(r'(?=<section class="(?:new-page|method new-page)">)', body)
    sections, appendix = blocks[-2], blocks[-1]
    headings = [m.start() for m in re.finditer(r"\n  <h2>", sections)]
    middle = headings[len(headings) // 2]
    bodies = [
        "".join(blocks[:-2]),
        sections[:middle] + "</section>",
        "<section>" + sections[middle:],
        appendix,
    ]
    return [f"{head}<body>{b}</body></html>" for b in bodies]


# Results ---------------------------------------------------------------------------------


def _machine() -> str:
    cores = os.cpu_count()
    return (
        f"{platform.node()} ({cores} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()})"
    )


def _versions() -> str:
    import weasyprint

    try:
        chromium = subprocess.run(
            [CHROMIUM, "--version"], capture_output=True, text=True, timeout=30
        ).stdout.strip()
    except OSError:
        chromium = "Chromium not installed"
    return f"WeasyPrint {weasyprint.__version__}, {chromium}"


def _report(
    rows: list[dict],
    load_before: tuple[float, float, float],
    load_after: tuple[float, float, float],
) -> None:
    lines = [
        "# PDF reports: the vendor comparison",
        "",
        f"Measured {datetime.date.today().isoformat()} by `make benchmarks BENCH=reports` on "
        f"{_machine()}; {_versions()}. Load average (1 min) {load_before[0]:.2f} at the start, "
        f"{load_after[0]:.2f} at the end: the machine is shared, so times vary between runs.",
        "",
        "Targets: time outside WeasyPrint at most 10% of the total; 5 x 50 within 3 s; "
        "10 x 60 within 6 s.",
        "",
        "The round chooses four frameworks (" + ", ".join(BENCH_FRAMEWORKS) + ") and gives "
        "the business case's figures and a price per vendor, so each report has a coverage "
        "page per framework, the business case page and the decision at a glance.",
        "",
        "| vendors x questions | pages | table cells | total, median (min) | WeasyPrint alone, "
        "median (min) | outside WeasyPrint | target met | first render in the process |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        met = r["total"] <= r["target"] and r["outside_share"] <= OUTSIDE_TARGET
        lines.append(
            f"| {r['case']} | {r['pages']} | {r['cells']} | {r['total']:.2f} s "
            f"({r['total_min']:.2f}) | {r['weasy']:.2f} s ({r['weasy_min']:.2f}) | "
            f"{r['outside']:.2f} s = {r['outside_share']:.1%} | "
            f"{'yes' if met else 'NO'} (≤ {r['target']:g} s) | {r['first']:.2f} s |"
        )
    lines += [
        "",
        "Same final HTML, other renderers, alternately "
        f"{SIDE_BY_SIDE_RUNS} times each (medians). Target (issue 15): the 10 x 60 "
        f"comparison in a fresh WeasyPrint process at most {CHROMIUM_TARGET:g}x Chromium's "
        "headless print with its start.",
        "",
        "| vendors x questions | WeasyPrint in a fresh process: wall (CPU) | its peak RSS "
        "(before rendering) | Chromium headless print with start: wall (CPU, all its "
        "processes) | Chromium peak PSS (process tree) | Chromium pages | WeasyPrint ÷ "
        "Chromium, wall (CPU) | two processes, parts joined (lower bound) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['case']} | {r['weasy_cold']:.2f} s ({r['weasy_cold_cpu']:.2f} s) | "
            f"{r['weasy_peak_mib']:.0f} MiB ({r['weasy_rss_before_mib']:.0f} MiB) | "
            f"{r['chromium']:.2f} s ({r['chromium_cpu']:.2f} s) | "
            f"{r['chromium_peak_mib']:.0f} MiB | {r['chromium_pages']} | "
            f"**{r['weasy_cold'] / r['chromium']:.2f}** "
            f"({r['weasy_cold_cpu'] / r['chromium_cpu']:.2f}) | "
            f"{r['parallel']:.2f} s (join {r['parallel_join']:.2f} s) |"
        )
    lines += ["", NOTES.strip(), ""]
    RESULTS.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {RESULTS.relative_to(ROOT)}")


NOTES = """
What the numbers mean and what was tried:

- Total is everything the Celery task does before storing the file. Outside WeasyPrint
  that is: the inputs snapshot (6 queries) and its SHA-256, build_comparison from the
  snapshot's answers (rescoring every response and 200 robustness draws; the answers are
  not read again), the Django templates. It stays a few percent of the total.
- WeasyPrint's cost is per box. The comparison says more with fewer boxes: one table
  per section, one row per question, one cell per vendor holding plain text (the risk
  in a word, ⚑ for a flag, the evidence level where the question asks for it, a line
  break, the answer cut to 60-90 characters); comments only where the answer is risky,
  flagged or under clarification, as a list under the table; charts as SVG drawn from
  the data. Writing the cells as plain text with `white-space: pre-line` instead of
  bold and `<br>` made the section tables about 30% faster (3.7 s -> 2.6 s for the ten
  10 x 60 tables in an interleaved measurement); `table-layout: auto` was slower than
  fixed column widths; borders and `break-inside: avoid` on rows cost little.
- The framework coverage pages are most of the growth since the round has frameworks:
  four frameworks give 94 control rows of 2 + vendors cells (the 10 x 60 table cells
  went from 1010 to 2508, its pages from 16 to 34). Rendering the same 10 x 60 HTML with
  and without those four sections, alternately on the loaded machine, took 6.2 s and
  4.1 s, then 8.4 s and 6.8 s: about 1.6-2.1 s of WeasyPrint time. With them the run
  above misses the 3 s and 6 s targets. Without them the same document took 4.1-6.8 s
  here, against 1.8 s for the whole 10 x 60 report in the run before frameworks were
  added (load averages 2.8-4.0 then, 2.1-3.3 in this run), so the machine was slower too.
  Measured again on a quiet machine (the tables above): 10 x 60 within its 6 s, 5 x 50
  0.08 s over its 3 s.
- The section-risk chart is SVG: about 3 ms per `<text>` element, so 10 x 10 cells cost
  roughly 0.3 s; the score chart far less.
- Rendering independent parts (front matter, two halves of the sections, appendix) in
  two processes and joining them with pypdf was measured (last column). Across runs it
  was sometimes faster and sometimes slower than one process, by up to a factor of 1.5
  either way: on 2 cores shared with other work, the second process competes rather
  than helps. The join runs outside WeasyPrint (0.05-0.3 s), and a correct "Page n of
  N" needs every part's page count before any part is drawn (a second layout pass or a
  stamped overlay, more work outside WeasyPrint), so the column is a lower bound. A
  Celery worker already runs one report per core, so splitting one report would
  compete with the next. One process meets both targets with a wide margin, so reports
  render in one process.
- Against Chromium (issue 15's anchor: the 10 x 60 comparison, coverage pages included,
  no slower than Chromium printing the same HTML): not met, and not within reach of
  this renderer. On a quiet machine (2026-12-01, load average under 1 at the start)
  WeasyPrint took 2.40x Chromium's wall time for 10 x 60 and 1.72x for 5 x 50, each
  the median of five alternate runs. Chromium spends about a fifth of WeasyPrint's CPU
  time on the same document (its start included), so no layout of this content in
  WeasyPrint comes near: the four framework pages are a third of WeasyPrint's time
  (3.5 s and 2.3 s of CPU with and without them, in-process, interleaved), so even
  without them the ratio would be about 1.6x; the parallel two-process render (last
  column) is no faster on two cores. Meeting the target would mean printing with Chromium (a browser in
  every worker, with its own network and file lockdown for vendor text) or leaving out
  what the report must hold. The CPU speed of this virtual machine also varies by up to
  1.7x within the hour (the same HTML took 3.5 s and 6.2 s of CPU in-process), so only
  ratios from one run are compared.
- WeasyPrint does not give memory back to the operating system; the worker setting
  CELERY_WORKER_MAX_MEMORY_PER_CHILD recycles a worker child after it has grown.
"""
