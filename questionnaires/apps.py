from django.apps import AppConfig
from django.db.models.signals import post_migrate


class QuestionnairesConfig(AppConfig):
    name = "questionnaires"
    verbose_name = "Questionnaires and responses"

    def ready(self) -> None:
        # Every `migrate` (each deploy, `make demo-data`, the test database) brings the
        # shipped roles in step with questionnaires/roles.py; docs/security.md says why.
        post_migrate.connect(_sync_roles, sender=self, dispatch_uid="questionnaires.roles")


def _sync_roles(sender: AppConfig, using: str, verbosity: int = 1, **kwargs: object) -> None:
    from .services.roles import roles_sync

    synced = roles_sync(using=using)
    if synced.changed and verbosity >= 1:
        print(f"  Roles brought in step: {synced.describe()}")
