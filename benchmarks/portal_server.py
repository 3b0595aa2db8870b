"""The WSGI application the portal benchmark serves with gunicorn: the project as the
benchmark configures it (DEBUG off, its trivial view), on the database it names in
BENCH_BACKEND ("sqlite" or "postgresql")."""

import os

from benchmarks.bench_portal import configure_django

configure_django(os.environ["BENCH_BACKEND"])

from django.core.wsgi import get_wsgi_application  # noqa: E402 (after configuring)

application = get_wsgi_application()
