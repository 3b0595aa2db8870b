"""Restore a backup made by `manage.py backup` (docs/operations.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cxvet.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Restore a backup directory into the configured database (which must be empty, "
        "or missing: it is created) and the default file storage, after checking every "
        "part against the backup's manifest."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", type=Path, help="a directory made by manage.py backup")

    def handle(self, *args: Any, directory: Path, **options: Any) -> None:
        try:
            summary = backup_restore(directory=directory)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        created = " (created)" if summary["created_database"] else ""
        self.stdout.write(
            f"Restored the backup of {summary['backup_created_at']} into "
            f"{summary['database']}{created}: {summary['files_restored']} files restored, "
            f"{summary['files_already_there']} already in storage."
        )
        if summary["migrations_to_apply"]:
            self.stdout.write(
                f"This release has {summary['migrations_to_apply']} migrations the backup "
                "predates: run manage.py migrate."
            )
