"""Back up and restore the database and the stored files together (docs/operations.md).

A backup is a directory: `database.dump` (pg_dump's custom format), `files/` (every file
the database points at: evidence and report PDFs, under their storage names) and
`manifest.json` (what is there, with SHA-256 and size of each part), written last, so a
backup cut short has no manifest and is refused.

The two halves agree: the dump is taken from a snapshot exported by a transaction that
also lists the files the database points at, so the files copied are exactly the ones
the dump refers to. A file is stored before the row naming it is committed (uploads,
report rendering) and removed only after the row is gone, so each one listed is in
storage unless it was removed after the snapshot; that is reported, and the backup
fails rather than be incomplete.

Files are read and written through Django's default storage, so the same commands work
for the local media directory and for S3 (STORAGE_BACKEND=s3).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

import psycopg
from django.core.cache import cache
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connection
from django.db.backends.postgresql.client import DatabaseClient
from django.db.migrations.executor import MigrationExecutor
from psycopg import sql

MANIFEST = "manifest.json"
DUMP = "database.dump"
FILES = "files"
FORMAT = 1
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says what to do."""


@dataclass(frozen=True)
class StoredFile:
    name: str
    sha256: str
    size: int


def backup_create(*, directory: Path) -> dict[str, Any]:
    """Write a backup of the database and of every file it points at into `directory`
    (new, or empty); returns the manifest."""
    settings_dict = _postgresql_settings()
    _prepare_directory(directory)
    dump_path = directory / DUMP
    # A connection of its own, so that its transaction starts exactly here.
    with _connect(settings_dict, settings_dict["NAME"], autocommit=False) as snapshot_holder:
        # One snapshot for the whole transaction (not one per statement).
        snapshot_holder.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        snapshot_holder.read_only = True
        snapshot = _one(snapshot_holder.execute("SELECT pg_export_snapshot()"))
        names = _referenced_files(snapshot_holder)
        # pg_dump joins the snapshot, which lives while this transaction is open.
        _pg(
            "pg_dump",
            settings_dict,
            "--format=custom",
            f"--snapshot={snapshot}",
            "-f",
            str(dump_path),
        )
        snapshot_holder.rollback()
    dump_path.chmod(0o600)
    copied, missing = _copy_out(names, directory / FILES)
    if missing:
        raise BackupError(
            "These files the database points at were removed from storage while the "
            "backup ran; run the backup again: " + ", ".join(missing)
        )
    manifest = {
        "format": FORMAT,
        "created_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "database": settings_dict["NAME"],
        "dump": {"name": DUMP, "sha256": _sha256_path(dump_path), "size": dump_path.stat().st_size},
        "files": [stored.__dict__ for stored in copied],
    }
    _write_private(directory / MANIFEST, json.dumps(manifest, indent=2).encode())
    return manifest


def backup_restore(*, directory: Path) -> dict[str, Any]:
    """Restore a backup into the configured database, which must be empty or missing
    (it is created), and its files into the default storage. Everything is checked
    against the manifest before anything is written. Returns a summary."""
    settings_dict = _postgresql_settings()
    manifest = _read_manifest(directory)
    files = [StoredFile(**item) for item in manifest["files"]]
    _check_parts(directory, manifest, files)
    to_copy = _files_to_restore(files)
    created = _ensure_empty_database(settings_dict)
    # Files first: should the database restore fail, they are only unreferenced copies.
    for stored in to_copy:
        with open(directory / FILES / stored.name, "rb") as source:
            saved_as = default_storage.save(stored.name, File(source))
        if saved_as != stored.name:
            default_storage.delete(saved_as)
            raise BackupError(f"Storage renamed {stored.name} to {saved_as}; nothing was restored.")
    _pg(
        "pg_restore",
        settings_dict,
        "--no-owner",
        "--no-privileges",
        "--single-transaction",
        "--exit-on-error",
        "-d",
        settings_dict["NAME"],
        str(directory / DUMP),
    )
    connection.close()  # the schema changed under any connection opened before
    # Cached portal pages were drawn from the data before the restore.
    cache.clear()
    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return {
        "database": settings_dict["NAME"],
        "created_database": created,
        "backup_created_at": manifest["created_at"],
        "files_restored": len(to_copy),
        "files_already_there": len(files) - len(to_copy),
        "migrations_to_apply": len(pending),
    }


# The database ---------------------------------------------------------------------------


def _postgresql_settings() -> dict[str, Any]:
    settings_dict = connection.settings_dict
    if connection.vendor != "postgresql":
        raise BackupError(
            "backup and restore need PostgreSQL (DATABASE_URL). With the embedded SQLite "
            "database, stop the server and copy db.sqlite3 and the media directory."
        )
    return settings_dict


def _pg(program: str, settings_dict: dict[str, Any], *args: str) -> None:
    if shutil.which(program) is None:
        raise BackupError(f"{program} is not installed (Debian: postgresql-client).")
    _, secrets = DatabaseClient.settings_to_cmd_args_env(settings_dict, [])
    env = {**os.environ, **(secrets or {}), **_connection_env(settings_dict)}
    done = subprocess.run([program, *args], env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{program} failed: {done.stderr.strip() or done.stdout.strip()}")


def _connection_env(settings_dict: dict[str, Any]) -> dict[str, str]:
    values = {
        "PGHOST": settings_dict.get("HOST"),
        "PGPORT": settings_dict.get("PORT"),
        "PGUSER": settings_dict.get("USER"),
        "PGDATABASE": settings_dict.get("NAME"),
    }
    return {key: str(value) for key, value in values.items() if value}


def _connect(
    settings_dict: dict[str, Any], dbname: str, *, autocommit: bool = True
) -> psycopg.Connection:
    return psycopg.connect(
        dbname=dbname,
        host=settings_dict.get("HOST") or None,
        port=settings_dict.get("PORT") or None,
        user=settings_dict.get("USER") or None,
        password=settings_dict.get("PASSWORD") or None,
        sslmode=settings_dict["OPTIONS"].get("sslmode"),
        autocommit=autocommit,
    )


def _ensure_empty_database(settings_dict: dict[str, Any]) -> bool:
    """Create the database when it does not exist (True); refuse one with tables."""
    name = settings_dict["NAME"]
    connection.close()
    with _connect(settings_dict, "postgres") as server:
        exists = server.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            server.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            return True
    with _connect(settings_dict, name) as target:
        tables = _one(
            target.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
            )
        )
    if tables:
        raise BackupError(
            f"The database {name!r} already has {tables} tables: restore only into an empty "
            "database. Drop and create it (dropdb, createdb), or point DATABASE_URL at a new one."
        )
    return False


def _one(cursor: psycopg.Cursor) -> Any:
    """The single value a query returns."""
    row = cursor.fetchone()
    if row is None:
        raise BackupError("PostgreSQL returned no row where one was expected.")
    return row[0]


def _referenced_files(snapshot_holder: psycopg.Connection) -> list[str]:
    """Every stored file a row points at (evidence, report PDFs), in the snapshot."""
    from questionnaires.models import Evidence, Report

    query = sql.SQL("SELECT file FROM {} UNION SELECT file FROM {} WHERE file <> ''").format(
        sql.Identifier(Evidence._meta.db_table), sql.Identifier(Report._meta.db_table)
    )
    return sorted(name for (name,) in snapshot_holder.execute(query))


# The files ------------------------------------------------------------------------------


def _prepare_directory(directory: Path) -> None:
    if directory.exists() and any(directory.iterdir()):
        raise BackupError(f"{directory} is not empty: back up into a new directory.")
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    directory.chmod(0o700)  # answers, evidence and sign-in hashes: for the operator only


def _copy_out(names: list[str], target: Path) -> tuple[list[StoredFile], list[str]]:
    copied, missing = [], []
    for name in names:
        _check_name(name)
        if not default_storage.exists(name):
            missing.append(name)
            continue
        path = target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        digest, size = hashlib.sha256(), 0
        with default_storage.open(name, "rb") as source, open(path, "wb") as copy:
            os.chmod(path, 0o600)
            while chunk := source.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                copy.write(chunk)
        copied.append(StoredFile(name, digest.hexdigest(), size))
    for directory in [target, *target.rglob("*")]:
        if directory.is_dir():
            directory.chmod(0o700)  # mkdir's mode gives way to the umask
    return copied, missing


def _files_to_restore(files: list[StoredFile]) -> list[StoredFile]:
    """The files storage lacks; refuses when it holds a different file under a name."""
    to_copy = []
    for stored in files:
        if not default_storage.exists(stored.name):
            to_copy.append(stored)
            continue
        with default_storage.open(stored.name, "rb") as existing:
            if _sha256_file(existing) != stored.sha256:
                raise BackupError(
                    f"Storage already holds a different {stored.name}: restore into empty "
                    "storage (a new media directory or bucket). Nothing was restored."
                )
    return to_copy


def _read_manifest(directory: Path) -> dict[str, Any]:
    path = directory / MANIFEST
    if not path.is_file():
        raise BackupError(f"{path} is missing: not a backup, or one that did not finish.")
    manifest = json.loads(path.read_text())
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{path} is in format {manifest.get('format')!r}, not {FORMAT}.")
    return manifest


def _check_parts(directory: Path, manifest: dict[str, Any], files: list[StoredFile]) -> None:
    parts = [(directory / DUMP, manifest["dump"]["sha256"], DUMP)]
    for stored in files:
        _check_name(stored.name)
        parts.append((directory / FILES / stored.name, stored.sha256, stored.name))
    damaged = [
        label for path, sha256, label in parts if not path.is_file() or _sha256_path(path) != sha256
    ]
    if damaged:
        raise BackupError(
            "These parts of the backup are missing or differ from its manifest; nothing "
            "was restored: " + ", ".join(damaged)
        )


def _check_name(name: str) -> None:
    # Storage names come from the database (and, on restore, from the manifest): never
    # let one point outside the backup or the storage.
    path = PurePosixPath(name)
    if not name or path.is_absolute() or ".." in path.parts or "\\" in name:
        raise BackupError(f"Refusing the file name {name!r}.")


def _sha256_path(path: Path) -> str:
    with open(path, "rb") as stream:
        return _sha256_file(stream)


def _sha256_file(stream: File | BinaryIO) -> str:
    digest = hashlib.sha256()
    while chunk := stream.read(CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


def _write_private(path: Path, content: bytes) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as stream:
        stream.write(content)
