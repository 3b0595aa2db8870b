from django.core.management.base import BaseCommand, CommandError

from questionnaires.definition import InvalidDefinition
from questionnaires.services.demo import DemoDataError, demo_seed


class Command(BaseCommand):
    help = (
        "Create five invented vendors with answers, comments and evidence for the shipped "
        "questionnaire, and a buyer's selection comparing them. Safe to run again: what "
        "exists is left as it is."
    )

    def handle(self, *args, **options):
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
