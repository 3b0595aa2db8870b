"""Settings come from the environment and refuse bad values by name."""

import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

SHOW_ENGINE_AND_TASKS = "s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER"


def load_settings(show: str = SHOW_ENGINE_AND_TASKS, **env: str) -> subprocess.CompletedProcess:
    """Load the settings in a fresh process with `env`; print `show` (an expression of s)."""
    base = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY"}}
    return subprocess.run(
        [sys.executable, "-c", f"import cxvet.settings as s; print({show})"],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "maybe"}, "DEBUG='maybe' is not a boolean"),
        ({"DEBUG": "false"}, "SECRET_KEY is not set"),
        ({"DEBUG": "true", "EMAIL_PORT": "smtp"}, "EMAIL_PORT='smtp' is not a whole number"),
        ({"DEBUG": "true", "STORAGE_BACKEND": "ftp"}, "STORAGE_BACKEND='ftp' is not one of"),
        ({"DEBUG": "true", "STORAGE_BACKEND": "s3"}, "needs AWS_STORAGE_BUCKET_NAME"),
        ({"DEBUG": "true", "DATABASE_URL": "nonsense://x"}, "DATABASE_URL is not a database URL"),
    ],
)
def test_bad_values_fail_loudly_naming_the_variable(env, message):
    result = load_settings(**env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_embedded_default_is_sqlite_with_in_process_tasks():
    result = load_settings(DEBUG="true", DATABASE_URL="", REDIS_URL="")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.sqlite3", "True"]


def test_services_when_urls_are_set():
    result = load_settings(
        SECRET_KEY="x" * 50,
        DATABASE_URL="postgres://u@127.0.0.1:5432/db",
        REDIS_URL="redis://127.0.0.1:6379/0",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.postgresql", "False"]


def test_manage_py_defaults_to_development_mode():
    base = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY"}}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=base,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    ("setting", "options"),
    [
        ({}, "{'server_side_binding': True, 'prepare_threshold': 2}"),
        ({"DATABASE_PREPARED_STATEMENTS": "false"}, "{}"),
    ],
)
def test_postgresql_prepares_repeated_statements_unless_told_not_to(setting, options):
    # Behind a pooler that cannot keep prepared statements, they are turned off.
    result = load_settings(
        show="s.DATABASES['default'].get('OPTIONS', {})",
        DEBUG="true",
        DATABASE_URL="postgres://u@127.0.0.1:5432/db",
        **setting,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == options


@pytest.mark.parametrize(
    ("env", "cache"),
    [
        ({"REDIS_URL": "redis://127.0.0.1:6379/0"}, "redis://127.0.0.1:6379/1"),
        ({"REDIS_URL": "redis://127.0.0.1:6379"}, "redis://127.0.0.1:6379/1"),
        ({"REDIS_URL": "redis://:pw@redis.internal:6380/4"}, "redis://:pw@redis.internal:6380/5"),
        (
            {"REDIS_URL": "redis://127.0.0.1:6379/0", "REDIS_CACHE_URL": "redis://cache:6379/0"},
            "redis://cache:6379/0",
        ),
    ],
)
def test_the_cache_never_shares_a_redis_database_with_the_broker(env, cache):
    result = load_settings(
        show="s.CACHES['default']['LOCATION'], s.CELERY_BROKER_URL", DEBUG="true", **env
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [cache, env["REDIS_URL"]]


def test_a_redis_database_that_is_not_a_number_is_refused():
    result = load_settings(DEBUG="true", REDIS_URL="redis://127.0.0.1:6379/cache")
    assert result.returncode != 0
    assert "REDIS_URL='redis://127.0.0.1:6379/cache' names database 'cache'" in result.stderr
