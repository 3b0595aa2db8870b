from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import NoReverseMatch, reverse

from questionnaires.definition import InvalidDefinition
from questionnaires.services.demo import DemoDataError, demo_seed


class Command(BaseCommand):
    help = (
        "Create five invented vendors with answers, comments and evidence for the shipped "
        "questionnaire, and a buyer's selection comparing them. Safe to run again: what "
        "exists is left as it is."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            summary = demo_seed()
        except (DemoDataError, InvalidDefinition) as exc:
            raise CommandError(str(exc)) from None
        version = summary.version
        if not summary.created_anything:
            self.stdout.write(
                f"Demo data for {version.title} v{version.number} is already in place; "
                "nothing changed."
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Demo data for {version.title} v{version.number}: "
                    f"{summary.vendors_created} vendors, {summary.responses_created} responses, "
                    f"{summary.answers_created} answers, {summary.evidence_created} evidence "
                    f"files created; {summary.responses_scored} responses scored."
                )
            )
        for name, status in summary.responses:
            self.stdout.write(f"  {name}: {status}")
        if summary.selection_created:
            self.stdout.write(
                "  Selection created: compare the vendors under Selections in the admin."
            )
        self._portal_hint(summary.in_progress_vendor_id)

    def _portal_hint(self, vendor_id: int | None) -> None:
        """Where to invite the vendor still answering, to see the portal from its side."""
        if vendor_id is None:
            return
        try:
            path = reverse("admin:vendors_vendor_invite", args=[vendor_id])
        except NoReverseMatch:
            return
        self.stdout.write(
            f"  To try the vendor portal, invite the in-progress vendor at {settings.SITE_URL}"
            f"{path}; the private link is in the invitation email (printed on the server "
            "console unless EMAIL_BACKEND says otherwise)."
        )
