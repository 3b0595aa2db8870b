from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from questionnaires.definition import InvalidDefinition
from questionnaires.services.definitions import VersionConflict, questionnaire_import


class Command(BaseCommand):
    help = "Validate a questionnaire YAML file completely and import it as a version."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--publish", action="store_true", help="publish the version")

    def handle(self, *args: Any, file: Path, publish: bool, **options: Any) -> None:
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {file}: {exc}") from None
        try:
            result = questionnaire_import(text=text, publish=publish)
        except InvalidDefinition as exc:
            for error in exc.errors:
                self.stderr.write(f"{file}: {error}")
            raise CommandError(
                f"{len(exc.errors)} error(s) in {file}; nothing was imported."
            ) from None
        except VersionConflict as exc:
            raise CommandError(str(exc)) from None
        version = result.version
        if not result.created:
            self.stdout.write(f"{version} is already imported with this content; nothing changed.")
            return
        state = "published" if result.published else "imported as a draft"
        self.stdout.write(
            self.style.SUCCESS(
                f"{version.title} v{version.number} {state}: "
                f"{version.sections.count()} sections, {version.questions.count()} questions."
            )
        )
