"""The WSGI application the portal benchmark serves with gunicorn: the project as the
benchmark configures it (DEBUG off, PostgreSQL, its trivial and floor views)."""

from benchmarks.bench_portal import configure_django

configure_django()

from django.core.wsgi import get_wsgi_application  # noqa: E402 (after configuring)

application = get_wsgi_application()
