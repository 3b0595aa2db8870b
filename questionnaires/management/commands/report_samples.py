"""Regenerate the sample report pages in docs/reports/ (PNG, for reviewing the look).

By default the demo data (`seed_demo`'s vendors and selection) is created in a
throwaway database, which is dropped afterwards, so the current database is never
touched. With --selection (and --response) the reports of existing data are used.
"""

from __future__ import annotations

import io
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.test.utils import override_settings, setup_databases, teardown_databases
from pypdf import PdfReader

from questionnaires.models import ReportKind, Response, ResponseScore, Selection
from questionnaires.reports import ReportNotPossible, render_report, report_subject
from questionnaires.services.selections import selection_save, selection_sign_off

DEFAULT_OUTPUT = Path(settings.BASE_DIR) / "docs" / "reports"
# Which pages to keep, found by a heading on them: a few of each report, not all.
# The cover (page 1) lists every heading in its contents, so the others are looked for
# from page 2 on.
COMPARISON_PAGES = (
    ("cover", "Vendor comparison"),
    ("summary", "Executive summary"),
    ("method", "How the assessment was made"),
    ("charts", "Risk score and range by vendor"),
    ("flags", "Red flags by vendor"),
    ("framework", "Each cell: how the vendor's answers to the questions behind the control"),
    ("business-case", "How it is computed."),
    ("section", "Question "),
    ("methodology", "Appendix: formulas, weights and sources"),
)
ASSESSMENT_PAGES = (
    ("cover", "Vendor assessment"),
    ("summary", "Decisive findings"),
    ("method", "How the assessment was made"),
    ("answers", "Answer and comment"),
    ("history", "History of clarifications and reviews"),
)


class Command(BaseCommand):
    help = (
        "Render a sample comparison and assessment report and save a few of their pages "
        "as PNG in docs/reports/ (demo data in a throwaway database by default)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--selection", type=int, help="use this existing selection")
        parser.add_argument(
            "--response", type=int, help="existing response for the assessment sample"
        )
        parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
        parser.add_argument("--dpi", type=int, default=80, help="resolution of the PNGs")

    def handle(
        self, *args: Any, selection: int | None, response: int | None, **options: Any
    ) -> None:
        output: Path = options["output"]
        if selection is not None:
            written = self._samples(selection, response, output, options["dpi"])
        else:
            written = self._in_throwaway_database(output, options["dpi"])
        for path in written:
            self.stdout.write(f"wrote {path}")

    def _in_throwaway_database(self, output: Path, dpi: int) -> list[Path]:
        from questionnaires.services.demo import demo_seed

        with tempfile.TemporaryDirectory() as media, override_settings(MEDIA_ROOT=media):
            # Django takes any collection of aliases; django-stubs types it as a Mapping.
            old_config = setup_databases(
                verbosity=0,
                interactive=False,
                aliases={"default"},  # type: ignore[arg-type]
            )
            try:
                demo_seed()
                chosen = Selection.objects.order_by("pk").first()
                if chosen is None:
                    raise CommandError("The demo data created no selection.")
                _sample_verdict(chosen)
                return self._samples(chosen.pk, None, output, dpi)
            finally:
                teardown_databases(old_config, verbosity=0)

    def _samples(
        self, selection_id: int, response_id: int | None, output: Path, dpi: int
    ) -> list[Path]:
        selection = Selection.objects.filter(pk=selection_id).first()
        if selection is None:
            raise CommandError(f"No selection with id {selection_id}.")
        response = self._assessed_response(selection, response_id)
        try:
            comparison = render_report(
                report_subject(kind=ReportKind.COMPARISON, selection=selection)
            )
            assessment = render_report(
                report_subject(
                    kind=ReportKind.ASSESSMENT,
                    response=response,
                    profile_key=selection.profile_key,
                )
            )
        except ReportNotPossible as exc:
            raise CommandError(str(exc)) from None
        output.mkdir(parents=True, exist_ok=True)
        for old in [*output.glob("comparison-*.png"), *output.glob("assessment-*.png")]:
            old.unlink()
        return [
            *_pages_to_png(comparison.pdf, COMPARISON_PAGES, output, "comparison", dpi),
            *_pages_to_png(assessment.pdf, ASSESSMENT_PAGES, output, "assessment", dpi),
        ]

    def _assessed_response(self, selection: Selection, response_id: int | None) -> Response:
        if response_id is not None:
            response = Response.objects.select_related("version").filter(pk=response_id).first()
            if response is None:
                raise CommandError(f"No response with id {response_id}.")
            return response
        # The most instructive sample: the compared response with the most flags.
        scored = (
            ResponseScore.objects.filter(
                response__in=selection.responses.all(), profile_key=selection.profile_key
            )
            .order_by("-flag_count", "response_id")
            .values_list("response_id", flat=True)
            .first()
        )
        fallback = selection.responses.order_by("pk").values_list("pk", flat=True).first()
        chosen = scored if scored is not None else fallback
        if chosen is None:
            raise CommandError(f"The selection “{selection.name}” has no responses.")
        return Response.objects.select_related("version").get(pk=chosen)


def _sample_verdict(selection: Selection) -> None:
    """In the throwaway demo round: the vendor its recommendation names first becomes the
    recommended one, signed off by an owner, so the sample cover shows a verdict."""
    text = selection.recommendation
    named = [
        (text.find(r.vendor.name), r)
        for r in selection.responses.select_related("vendor")
        if r.vendor.name in text
    ]
    if not named:
        return
    selection.recommended = min(named, key=lambda found: found[0])[1]
    selection_save(selection=selection, user=None)
    signer = (
        selection.owners.order_by("pk").first()
        or selection.created_by
        or get_user_model().objects.filter(is_staff=True).order_by("pk").first()
    )
    if signer is not None:
        selection_sign_off(selection=selection, user=signer)


def _pages_to_png(
    pdf: bytes, wanted: tuple[tuple[str, str], ...], output: Path, prefix: str, dpi: int
) -> list[Path]:
    texts = [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]
    written = []
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch) / "report.pdf"
        source.write_bytes(pdf)
        for position, (name, heading) in enumerate(wanted, start=1):
            number = next(
                (
                    i
                    for i, text in enumerate(texts, start=1)
                    if heading in text and (i > 1 or name == "cover")
                ),
                None,
            )
            if number is None:
                continue
            target = output / f"{prefix}-{position}-{name}"
            subprocess.run(
                [
                    "pdftoppm",
                    "-png",
                    "-r",
                    str(dpi),
                    "-f",
                    str(number),
                    "-l",
                    str(number),
                    "-singlefile",
                    str(source),
                    str(target),
                ],
                check=True,
                timeout=120,
            )
            written.append(target.with_suffix(".png"))
    return written
