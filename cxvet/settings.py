"""Settings for CX Vet, read from the environment.

Every variable is optional on a developer machine (SQLite, in-process tasks, console
email). A value that cannot be parsed stops start-up with an ImproperlyConfigured
error naming the variable, rather than running with a surprise default.
"""

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean: use true or false.")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name}={raw!r} must be at least {minimum}.")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_choice(name: str, default: str, choices: set[str]) -> str:
    value = os.environ.get(name, default).strip().lower()
    if value not in choices:
        allowed = ", ".join(sorted(choices))
        raise ImproperlyConfigured(f"{name}={value!r} is not one of: {allowed}.")
    return value


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY to a long random string, "
            "or DEBUG=true on a development machine."
        )
    SECRET_KEY = "django-insecure-development-only-key-do-not-deploy"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# The address vendors' private links point at (no trailing slash).
SITE_URL = env_str("SITE_URL", "http://localhost:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "csp",
    "axes",
    "cxvet.outbox",
    "questionnaires",
    "vendors",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # django-csp's middleware, building the site-wide header once (cxvet/headers.py).
    "cxvet.headers.ContentSecurityPolicyMiddleware",
    # Below the CSP middleware: a download's own policy is set first and kept.
    "cxvet.headers.DownloadHeadersMiddleware",
    # High up, so that even the errors raised by the middleware below it are not framed.
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Above the CSRF check, which is the first to read a post: portal posts that cannot
    # be read get a reply saying why (vendors/post_limits.py).
    "vendors.post_limits.PortalPostLimitsMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # A view that cannot reach the database answers 503 with Retry-After, not 500.
    "cxvet.middleware.DatabaseUnavailableMiddleware",
    # Last: it turns a locked-out sign-in into the lockout page (axes' docs ask for this).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "cxvet.urls"
WSGI_APPLICATION = "cxvet.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: SQLite unless DATABASE_URL names another (PostgreSQL in production).
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    try:
        # Connections are kept for a minute (opening one costs more than most requests)
        # and checked before a request reuses one, so that after a database restart the
        # first request on each web process reconnects instead of failing.
        DATABASES: dict[str, Any] = {
            "default": dj_database_url.parse(
                DATABASE_URL,
                conn_max_age=60,
                conn_health_checks=env_bool("DATABASE_CONN_HEALTH_CHECKS", True),
            )
        }
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is not a database URL: {exc}") from None
    # PostgreSQL plans a query anew each time it is sent as text: for the portal's link
    # lookup (a five-table join) planning costs four times running it. Sending
    # parameters separately lets psycopg prepare a statement the second time it runs on
    # a connection. Turn it off behind a pooler that cannot keep prepared statements
    # (PgBouncer in transaction mode before 1.21).
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool(
        "DATABASE_PREPARED_STATEMENTS", True
    ):
        DATABASES["default"].setdefault("OPTIONS", {}).update(
            server_side_binding=True, prepare_threshold=2
        )
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": BASE_DIR / env_str("SQLITE_NAME", "db.sqlite3"),
            "OPTIONS": {
                # A worker and the web process share the file: wait for a lock, take
                # the write lock up front (no deadlocked upgrades), and use WAL so
                # readers never block the writer and a commit costs no full fsync.
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            # Kept between requests, as for PostgreSQL: opening the file, the pragmas and
            # reading the schema cost about 1.7 ms, more than a whole cached portal page.
            "CONN_MAX_AGE": 60,
            # A file (not memory) so a worker and the live server share it; one per
            # process so that parallel test runs never share one.
            "TEST": {"NAME": BASE_DIR / f"test-db-{os.getpid()}.sqlite3"},
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))

# Storage: local files by default; "s3" stores evidence and reports in an
# S3-compatible bucket through django-storages (AWS_* variables configure it).
STORAGE_BACKEND = env_choice("STORAGE_BACKEND", "local", {"local", "s3"})
_default_storage: dict[str, Any] = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
if STORAGE_BACKEND == "s3":
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("AWS_STORAGE_BUCKET_NAME"),
            "endpoint_url": env_str("AWS_S3_ENDPOINT_URL") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
    if not _default_storage["OPTIONS"]["bucket_name"]:
        raise ImproperlyConfigured("STORAGE_BACKEND=s3 needs AWS_STORAGE_BUCKET_NAME.")
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Tests and the development server find static files without collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Email: printed to the console unless EMAIL_BACKEND says otherwise (for SMTP,
# django.core.mail.backends.smtp.EmailBackend with the EMAIL_* variables).
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
# Where django.core.mail.backends.filebased.EmailBackend writes each email, one file each.
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH") or None
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "CX Vet <noreply@cxvet.localhost>")
ANALYST_CONTACT_EMAIL = env_str("ANALYST_CONTACT_EMAIL", "analysts@cxvet.localhost")

# Celery: a real worker on Redis when REDIS_URL is set, otherwise tasks run in-process.
REDIS_URL = env_str("REDIS_URL")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
# A task is acknowledged when it ends, and handed back to the broker if its worker
# process dies (without the second setting it would be acknowledged and lost).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_TASK_DEFAULT_QUEUE", "celery")
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# WeasyPrint keeps its memory: recycle a worker child once it has grown this much (KiB).
CELERY_WORKER_MAX_MEMORY_PER_CHILD = env_int("CELERY_WORKER_MAX_MEMORY_PER_CHILD", 600_000)
# Longer than any task's time limit, so a redelivered task's first run is surely over.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, "socket_connect_timeout": 2}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A worker waits for Redis to come back however long it takes.
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# The sweeps `celery -A cxvet beat` runs (exactly one beat; README.md). Without REDIS_URL
# beat runs them in its own process, as every task runs in-process then.
OUTBOX_SWEEP_SECONDS = env_int("OUTBOX_SWEEP_SECONDS", 30, minimum=1)
# Sent messages are deleted this many days after they went out; failed ones are kept.
OUTBOX_RETENTION_DAYS = env_int("OUTBOX_RETENTION_DAYS", 14, minimum=1)
OUTBOX_PRUNE_SECONDS = 3600

# Notices are due by the day; a sweep finds those due and not yet sent, so running it
# often only shortens how long after midnight (or a missed run) they go out.
REMINDER_SWEEP_SECONDS = env_int("REMINDER_SWEEP_SECONDS", 600, minimum=1)
CELERY_BEAT_SCHEDULE = {
    # Outgoing messages still pending, lost by the broker, or whose worker died.
    "outbox-sweep": {"task": "outbox.sweep", "schedule": OUTBOX_SWEEP_SECONDS},
    # Sent messages past OUTBOX_RETENTION_DAYS.
    "outbox-prune": {"task": "outbox.prune", "schedule": OUTBOX_PRUNE_SECONDS},
    # Reports left in "rendering" past their time limit.
    "reports-recover": {
        "task": "questionnaires.reports_recover",
        "schedule": OUTBOX_SWEEP_SECONDS,
    },
    # Reminders, overdue and closing notices due and not yet sent (vendors/reminders.py).
    "reminders-sweep": {"task": "vendors.reminders_sweep", "schedule": REMINDER_SWEEP_SECONDS},
}


def _next_redis_database(url: str) -> str:
    """The same Redis server with the next database number (redis://h:6379/0 -> /1)."""
    parts = urlsplit(url)
    number = parts.path.strip("/") or "0"
    if not number.isdigit():
        raise ImproperlyConfigured(
            f"REDIS_URL={url!r} names database {number!r}: use a number, e.g. redis://host:6379/0"
        )
    return urlunsplit(parts._replace(path=f"/{int(number) + 1}"))


def cache_settings(redis_url: str, cache_url: str = "") -> dict:
    """CACHES for a Redis broker at `redis_url` (in memory without one).

    The cache has a Redis database of its own: clearing it empties the whole database
    (FLUSHDB), which must never take the tasks queued on the broker with it. It fails
    soft (cxvet/cache.py): while Redis is down pages are served without it.
    """
    if not redis_url:
        return {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    return {
        "default": {
            "BACKEND": "cxvet.cache.FailSoftRedisCache",
            "LOCATION": cache_url or _next_redis_database(redis_url),
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }


CACHES = cache_settings(REDIS_URL, env_str("REDIS_CACHE_URL"))

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Vendor portal.
# Names the release this process runs: cached portal pages are filed under it, so a
# deploy never serves what the old code drew. Deploys set it to the release's commit id;
# empty, it is a digest of the project's files, taken as the process starts
# (vendors.page_cache.release_id).
RELEASE_ID = env_str("RELEASE_ID").strip()
PORTAL_LINK_GRACE_DAYS = env_int("PORTAL_LINK_GRACE_DAYS", 14)
PORTAL_BAD_TOKEN_RATE = env_str("PORTAL_BAD_TOKEN_RATE", "20/m")
# Behind a proxy every request comes from the proxy's address: name the header it puts
# the client's address in (e.g. X-Forwarded-For), or all vendors share one limit.
PORTAL_CLIENT_IP_HEADER = env_str("PORTAL_CLIENT_IP_HEADER")
RATELIMIT_IP_META_KEY = "vendors.access.client_ip"
# A count that cannot be read (the cache is down) limits nobody (docs/security.md).
RATELIMIT_FAIL_OPEN = True

# What a request may carry (docs/security.md, "Bounded input" and "Uploads"). Django
# refuses a form with more text or fields than this before keeping it; a portal post is
# also refused unread past PORTAL_MAX_REQUEST_BYTES (vendors/post_limits.py), and each
# file is dropped while it streams in once it passes EVIDENCE_MAX_BYTES
# (questionnaires.evidence.EvidenceSizeLimit, first of the upload handlers).
EVIDENCE_MAX_BYTES = env_int("EVIDENCE_MAX_BYTES", 10 * 1024 * 1024, minimum=1)
EVIDENCE_MAX_FILES_PER_ANSWER = env_int("EVIDENCE_MAX_FILES_PER_ANSWER", 10, minimum=1)
EVIDENCE_MAX_FILES_PER_RESPONSE = env_int("EVIDENCE_MAX_FILES_PER_RESPONSE", 100, minimum=1)
EVIDENCE_MAX_RESPONSE_BYTES = env_int(
    "EVIDENCE_MAX_RESPONSE_BYTES", 200 * 1024 * 1024, minimum=EVIDENCE_MAX_BYTES
)
# The text of a form (files apart). The shipped questionnaire's largest section posts
# about 190 KB with every answer and comment at its longest in 4-byte characters
# (tests/security/test_bounded_input.py); a page posting more than this is redrawn with
# all of it in its fields, which costs CPU in proportion.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
DATA_UPLOAD_MAX_NUMBER_FILES = 20
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_HANDLERS = [
    "questionnaires.evidence.EvidenceSizeLimit",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# One portal request: a few files at their largest, and the form's text.
PORTAL_MAX_REQUEST_BYTES = env_int(
    "PORTAL_MAX_REQUEST_BYTES",
    3 * EVIDENCE_MAX_BYTES + DATA_UPLOAD_MAX_MEMORY_SIZE,
    minimum=EVIDENCE_MAX_BYTES + DATA_UPLOAD_MAX_MEMORY_SIZE,
)

# An uploaded answers workbook (vendors/workbook/read.py): refused unread past
# WORKBOOK_MAX_BYTES, and before openpyxl inflates it when its parts' declared sizes add
# up to more than WORKBOOK_MAX_UNCOMPRESSED_BYTES (the shipped questionnaire's workbook is
# about 40 KB, 400 KB unpacked); at most WORKBOOK_MAX_ROWS rows are read.
WORKBOOK_MAX_BYTES = env_int("WORKBOOK_MAX_BYTES", 2 * 1024 * 1024, minimum=1)
WORKBOOK_MAX_UNCOMPRESSED_BYTES = env_int(
    "WORKBOOK_MAX_UNCOMPRESSED_BYTES", 20 * 1024 * 1024, minimum=1
)
WORKBOOK_MAX_ROWS = env_int("WORKBOOK_MAX_ROWS", 2000, minimum=1)
# A workbook's preview waits this long for the vendor (or analyst) to confirm it.
WORKBOOK_IMPORT_HOURS = env_int("WORKBOOK_IMPORT_HOURS", 24, minimum=1)

# Security headers and TLS (docs/security.md says why each is set) ---------------------------

# TLS: production redirects plain HTTP to HTTPS and tells browsers to use nothing else for
# a year. Behind a proxy that ends TLS, name the header it sets to "https"
# (SECURE_PROXY_SSL_HEADER=X-Forwarded-Proto); the proxy must overwrite it, never pass on
# a client's, or a client could claim a plain connection was secure.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
_proxy_ssl_header = env_str("SECURE_PROXY_SSL_HEADER").strip()
if _proxy_ssl_header:
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _proxy_ssl_header.upper().replace("-", "_"), "https")
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# `same-origin`, not `no-referrer`: portal URLs hold the token, so nothing may leave the
# site, but browsers must still send a real Origin on form posts for the CSRF check
# (docs/portal.md).
SECURE_REFERRER_POLICY = "same-origin"

# Content-Security-Policy on every page, the portal's and the admin's: scripts and styles
# come only from our own static files, never inline. No nonce either: the portal files
# whole section pages in the cache, where a per-request nonce would go stale.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        # Bootstrap draws its check marks and select arrows as data: SVG images.
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# What a downloaded file (evidence, a PDF, an export) is sent with: never run, never
# framed, even if a browser were to open it in place of saving it.
DOWNLOAD_CSP = "default-src 'none'; sandbox"

# Sign-in throttling (django-axes) --------------------------------------------------------

AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out account or address before a password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Failures are counted in the database, which every web process shares (the embedded
# default's SQLite file too), and which keeps the record for the admin's Access
# attempts and Access logs lists.
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = env_int("SIGNIN_FAILURE_LIMIT", 5, minimum=1)
# Hours a lock lasts; failures older than this no longer count.
AXES_COOLOFF_TIME = env_int("SIGNIN_COOLOFF_MINUTES", 15, minimum=1) / 60
# Two counters, each enough to lock: one per account (a password guessed from many
# addresses) and one per address (many accounts tried from one place).
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
# A failure during a lockout does not push its end further out, so the lockout page can
# say when to try again and keeping an analyst out takes a new round of guesses each time.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# The same client address rule as the portal's rate limit (PORTAL_CLIENT_IP_HEADER).
AXES_CLIENT_IP_CALLABLE = "cxvet.signin.client_address"
AXES_LOCKOUT_CALLABLE = "cxvet.signin.lockout_response"
AXES_VERBOSE = False  # no banner on start-up
# Kept out of the stored copy of each failed sign-in's form (the password always is).
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "csrfmiddlewaretoken"]

# Every handler redacts private link tokens (cxvet/redaction.py): Django logs the path of
# each 4xx and 5xx reply, runserver each request line, and portal paths hold the token.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"portal_tokens": {"()": "cxvet.redaction.PortalTokenFilter"}},
    "formatters": {
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        }
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["portal_tokens"]},
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["portal_tokens"],
        },
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO").upper()},
    "loggers": {
        # Django's own handlers (a console one in DEBUG, which the root's duplicated, and
        # error emails, which carry the request and its frames' variables, the token
        # among them) are replaced: its records go to the root's handler.
        "django": {"handlers": [], "level": "NOTSET"},
        # runserver's request lines, as Django's default writes them, redacted.
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
        # Sign-in failures and lockouts are warnings; axes' note on every success is noise.
        "axes": {"level": "WARNING"},
    },
}
