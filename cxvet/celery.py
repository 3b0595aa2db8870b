import logging
import os

from celery import Celery
from celery.signals import after_setup_logger, after_setup_task_logger

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cxvet.settings")

app = Celery("cxvet")
# Every CELERY_* setting, the beat schedule of the sweeps included (CELERY_BEAT_SCHEDULE).
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@after_setup_logger.connect
@after_setup_task_logger.connect
def redact_portal_tokens(logger: logging.Logger, **kwargs: object) -> None:
    """A worker replaces the handlers the settings' LOGGING made (it hijacks the root
    logger): give its own the same redaction of private link tokens."""
    from .redaction import PortalTokenFilter

    for handler in logger.handlers:
        if not any(isinstance(f, PortalTokenFilter) for f in handler.filters):
            handler.addFilter(PortalTokenFilter())
