from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "cxvet.outbox"
    label = "outbox"
    verbose_name = "Outgoing messages"
