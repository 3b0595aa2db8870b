"""Backup and restore (`manage.py backup DIR`, `manage.py restore DIR`) on a private
PostgreSQL cluster: a response with its answers, an evidence file and a rendered PDF is
backed up, its database dropped and its media directory deleted, and the restore
brings back all of it, byte for byte, with its private link working."""

from __future__ import annotations

import re
import shutil
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from tests.faults.cluster import PrivateCluster, app_env, manage, private_cluster, site_data


@dataclass
class BackedUp:
    cluster: PrivateCluster
    env: dict[str, str]
    media: Path
    backup: Path
    token: str
    response: int
    before: dict


@pytest.fixture(scope="module")
def backed_up(tmp_path_factory) -> Iterator[BackedUp]:
    with private_cluster() as cluster:
        media = tmp_path_factory.mktemp("media")
        env = app_env(cluster.create_database("cxvet"), media)
        manage(env, "migrate", "--no-input")
        made = site_data(env, "answered")
        before = site_data(env, "describe", str(made["response"]), made["token"])
        backup = tmp_path_factory.mktemp("backups") / "nightly"
        manage(env, "backup", str(backup))
        yield BackedUp(cluster, env, media, backup, made["token"], made["response"], before)


def test_what_a_restore_must_bring_back_was_there_before_the_backup(backed_up: BackedUp):
    before = backed_up.before
    assert before["portal"] == [200, True]
    assert len(before["answers"]) == 5
    [evidence] = before["evidence"]
    assert evidence["matches_upload"] and evidence["sha256"] == evidence["recorded_sha256"]
    [report] = before["reports"]
    assert report["pdf"]


def test_a_restore_after_losing_the_database_and_the_files_brings_everything_back(
    backed_up: BackedUp,
):
    backed_up.cluster.drop_database("cxvet")
    shutil.rmtree(backed_up.media)

    restored = manage(backed_up.env, "restore", str(backed_up.backup))

    assert "into cxvet (created): 2 files restored" in restored.stdout
    after = site_data(backed_up.env, "describe", str(backed_up.response), backed_up.token)
    assert after == backed_up.before  # answers, history, file bytes, the PDF, the link
    # New rows get new ids (the sequences came back too), and the link saves.
    saved = site_data(backed_up.env, "autosave", backed_up.token)
    assert (saved["status_code"], saved["status"]) == (200, "saved")


def test_the_backup_is_for_the_operator_only(backed_up: BackedUp):
    for path in [backed_up.backup, *backed_up.backup.rglob("*")]:
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path


def test_a_restore_never_overwrites_a_database_in_use(backed_up: BackedUp):
    backed_up.cluster.create_database("cxvet_busy")
    backed_up.cluster.execute("CREATE TABLE someone_elses (id int)", database="cxvet_busy")
    env = app_env(backed_up.cluster.url("cxvet_busy"), backed_up.media.parent / "busy-media")

    refused = manage(env, "restore", str(backed_up.backup), fails=True)

    assert "already has 1 tables: restore only into an empty database" in refused.stderr
    assert backed_up.cluster.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'",
        database="cxvet_busy",
    ) == [(1,)]
    assert not (backed_up.media.parent / "busy-media").exists()


def test_a_restore_never_overwrites_a_different_file_in_storage(backed_up: BackedUp, tmp_path):
    media = tmp_path / "media"
    [evidence] = backed_up.before["evidence"]
    other = media / evidence["name"]
    other.parent.mkdir(parents=True)
    other.write_bytes(b"%PDF-1.4 someone else's file")
    env = app_env(backed_up.cluster.url("cxvet_other_files"), media)

    refused = manage(env, "restore", str(backed_up.backup), fails=True)

    assert f"Storage already holds a different {evidence['name']}" in refused.stderr
    assert other.read_bytes() == b"%PDF-1.4 someone else's file"
    assert sorted(p.name for p in media.rglob("*") if p.is_file()) == [other.name]
    never = "SELECT 1 FROM pg_database WHERE datname = 'cxvet_other_files'"
    assert backed_up.cluster.execute(never) == []


def test_a_damaged_or_unfinished_backup_is_refused_before_anything_is_written(
    backed_up: BackedUp, tmp_path
):
    damaged = tmp_path / "damaged"
    shutil.copytree(backed_up.backup, damaged)
    [evidence] = (damaged / "files" / "evidence").rglob("*.pdf")
    evidence.write_bytes(evidence.read_bytes() + b"tampered")
    unfinished = tmp_path / "unfinished"
    shutil.copytree(backed_up.backup, unfinished)
    (unfinished / "manifest.json").unlink()
    env = app_env(backed_up.cluster.url("cxvet_never"), tmp_path / "media")

    refused = manage(env, "restore", str(damaged), fails=True)
    assert "differ from its manifest; nothing was restored: evidence/" in refused.stderr
    refused = manage(env, "restore", str(unfinished), fails=True)
    assert "manifest.json is missing" in refused.stderr

    never = "SELECT 1 FROM pg_database WHERE datname = 'cxvet_never'"
    assert backed_up.cluster.execute(never) == []
    assert not (tmp_path / "media").exists()


def test_a_backup_into_a_directory_in_use_is_refused(backed_up: BackedUp):
    refused = manage(backed_up.env, "backup", str(backed_up.backup), fails=True)
    assert "is not empty: back up into a new directory" in refused.stderr


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the embedded database only")
def test_the_embedded_sqlite_database_is_backed_up_by_copying_it(tmp_path):
    with pytest.raises(CommandError, match=re.escape("stop the server and copy db.sqlite3")):
        call_command("backup", str(tmp_path / "backup"))
