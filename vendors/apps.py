from django.apps import AppConfig


class VendorsConfig(AppConfig):
    name = "vendors"
    verbose_name = "Vendors and invitations"

    def ready(self) -> None:
        # The release is named as the process starts, from the files it starts with
        # (unless RELEASE_ID names it): the code that draws pages is the code loaded now.
        from .page_cache import release_id

        release_id()
