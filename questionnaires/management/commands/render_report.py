"""Render a PDF report to a file, for scripting (no Report record, no task queue)."""

from __future__ import annotations

import io
import sys
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from pypdf import PdfReader

from questionnaires.models import ReportKind, Response, Selection
from questionnaires.reports import ReportNotPossible, ReportSubject, render_report, report_subject


class Command(BaseCommand):
    help = (
        "Render a report to a PDF file: `render_report comparison --selection ID -o out.pdf` "
        "or `render_report assessment --response ID -o out.pdf`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=[k.value for k in ReportKind])
        parser.add_argument("--selection", type=int, help="id of the selection (comparison)")
        parser.add_argument("--response", type=int, help="id of the response (assessment)")
        parser.add_argument(
            "--profile", help="industry profile key (default: the selection's, or the first)"
        )
        parser.add_argument(
            "--output", "-o", required=True, help="PDF file to write, or - for standard output"
        )
        parser.add_argument("--html", help="also write the HTML that was rendered to this file")

    def handle(self, *args: Any, kind: str, output: str, **options: Any) -> None:
        subject = self._subject(kind, options)
        started = time.perf_counter()
        rendered = render_report(subject)
        elapsed = time.perf_counter() - started
        if options["html"]:
            Path(options["html"]).write_text(rendered.html, encoding="utf-8")
        if output == "-":
            sys.stdout.buffer.write(rendered.pdf)
            sys.stdout.buffer.flush()
            return
        Path(output).write_bytes(rendered.pdf)
        pages = len(PdfReader(io.BytesIO(rendered.pdf)).pages)
        self.stderr.write(
            f"Wrote {output}: {pages} pages, {len(rendered.pdf) / 1024:.0f} KiB in "
            f"{elapsed:.1f} s; fingerprint {rendered.inputs_hash[:12]}."
        )

    def _subject(self, kind: str, options: dict[str, Any]) -> ReportSubject:
        selection = response = None
        if kind == ReportKind.COMPARISON:
            if options["selection"] is None:
                raise CommandError("A comparison needs --selection ID.")
            selection = Selection.objects.filter(pk=options["selection"]).first()
            if selection is None:
                raise CommandError(f"No selection with id {options['selection']}.")
        else:
            if options["response"] is None:
                raise CommandError("An assessment needs --response ID.")
            response = (
                Response.objects.select_related("version").filter(pk=options["response"]).first()
            )
            if response is None:
                raise CommandError(f"No response with id {options['response']}.")
        try:
            return report_subject(
                kind=kind, selection=selection, response=response, profile_key=options["profile"]
            )
        except ReportNotPossible as exc:
            raise CommandError(str(exc)) from None
