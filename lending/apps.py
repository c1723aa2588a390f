from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class LendingConfig(AppConfig):
    name = "lending"

    def ready(self) -> None:
        # Cache invalidation only (no business logic): incoming requests get the right owner at once.
        from illdesk.models import ResourceSharingLibrary

        from .actions.incoming import forget_default_owner

        post_save.connect(forget_default_owner, sender=ResourceSharingLibrary, dispatch_uid="lending_owner_saved")
        post_delete.connect(forget_default_owner, sender=ResourceSharingLibrary, dispatch_uid="lending_owner_deleted")
