"""Celery tasks of the questionnaires app, one module per area (autodiscovered here)."""

from . import scoring  # noqa: F401
