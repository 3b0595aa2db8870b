"""Celery tasks of the questionnaires app, one module per area (autodiscovered here)."""

from . import reports, scoring  # noqa: F401
