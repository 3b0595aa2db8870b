import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cxvet.settings")

# How often beat runs the sweeps (a plain schedule: nothing to store, nothing to edit).
SWEEP_SECONDS = 30.0

app = Celery("cxvet")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Run exactly one `celery -A cxvet beat` (README.md). Without REDIS_URL beat runs the
# sweeps in its own process, as every task runs in-process then.
app.conf.beat_schedule = {
    # Outgoing messages still pending, lost by the broker, or whose worker died.
    "outbox-sweep": {"task": "outbox.sweep", "schedule": SWEEP_SECONDS},
    # Reports left in "rendering" past their time limit.
    "reports-recover": {"task": "questionnaires.reports_recover", "schedule": SWEEP_SECONDS},
}
