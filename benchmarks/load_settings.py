"""Settings of the load test's web server and Celery worker (benchmarks/loadtest.py).

The project's own settings, read from the environment as deployed (the load test sets
DEBUG off, PostgreSQL, Redis), with three additions that exist only here: the benchmark
URLconf (the app plus the reference views to compare against), invitation emails
written to files, where the load test reads the private links the worker sent, and a
cache key prefix of each run's own. The database is recreated for each run while Redis
keeps the cache: without the prefix a run would find the pages of the previous run's
links (see tests/vendors/test_section_cache_token.py).
"""

import os

from cxvet.settings import *  # noqa: F403 (these settings, plus the two below)

ROOT_URLCONF = "benchmarks.urls"
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = os.environ["LOAD_EMAIL_DIR"]
CACHES["default"]["KEY_PREFIX"] = os.environ["LOAD_RUN_ID"]  # noqa: F405

# For measuring what persistent connections are worth (the settings keep them 60 s).
if "LOAD_CONN_MAX_AGE" in os.environ:
    DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ["LOAD_CONN_MAX_AGE"])  # noqa: F405
