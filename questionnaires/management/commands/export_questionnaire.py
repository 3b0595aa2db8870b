from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from questionnaires.definition import dump_definition
from questionnaires.models import QuestionnaireVersion
from questionnaires.services.definitions import version_definition_for_export


class Command(BaseCommand):
    help = "Write a stored questionnaire version back as YAML (latest version by default)."

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        # `--version N` picks the questionnaire version, replacing Django's own --version.
        return super().create_parser(prog_name, subcommand, conflict_handler="resolve", **kwargs)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("key")
        parser.add_argument("--version", type=int, dest="number", help="version number")
        parser.add_argument("--output", "-o", help="file to write (default: standard output)")

    def handle(
        self, *args: Any, key: str, number: int | None, output: str | None, **options: Any
    ) -> None:
        versions = QuestionnaireVersion.objects.filter(questionnaire__key=key)
        if number is not None:
            versions = versions.filter(number=number)
        version = versions.order_by("-number").first()
        if version is None:
            known = ", ".join(
                QuestionnaireVersion.objects.values_list("questionnaire__key", flat=True).distinct()
            )
            which = f"version {number} of {key!r}" if number else f"questionnaire {key!r}"
            raise CommandError(f"No {which}. Known questionnaires: {known or 'none'}.")
        text = dump_definition(version_definition_for_export(version=version))
        if output:
            with open(output, "w", encoding="utf-8") as fh:
                fh.write(text)
            self.stdout.write(f"Wrote {version} to {output}.")
        else:
            self.stdout.write(text, ending="")
