import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cxvet.settings")

app = Celery("cxvet")
# Every CELERY_* setting, the beat schedule of the sweeps included (CELERY_BEAT_SCHEDULE).
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
