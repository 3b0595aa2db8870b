"""Back up the database and the stored files into one directory (docs/operations.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cxvet.backup import BackupError, backup_create


class Command(BaseCommand):
    help = (
        "Back up the PostgreSQL database (pg_dump, custom format) and every file it points "
        "at (evidence, report PDFs) into DIR, a new or empty directory, from one snapshot."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", type=Path, help="a new or empty directory")

    def handle(self, *args: Any, directory: Path, **options: Any) -> None:
        try:
            manifest = backup_create(directory=directory)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        size = manifest["dump"]["size"] + sum(f["size"] for f in manifest["files"])
        self.stdout.write(
            f"Backed up {manifest['database']} and {len(manifest['files'])} files "
            f"({size / 1024 / 1024:.1f} MB) into {directory}."
        )
