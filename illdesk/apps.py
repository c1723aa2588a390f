from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate, post_save


def _ensure_roles(sender, **kwargs) -> None:
    from django.apps import apps

    # Permissions of every app exist only once the last app's post_migrate has run.
    with_models = [c for c in apps.get_app_configs() if c.models_module is not None]
    if sender.label != with_models[-1].label:
        return
    from .roles import ensure_roles

    ensure_roles()


class IlldeskConfig(AppConfig):
    name = "illdesk"
    verbose_name = "illdesk"

    def ready(self) -> None:
        # Groups are configuration, not business logic: keeping them in step after each migrate
        # means a fresh database always has the three roles.
        post_migrate.connect(_ensure_roles, dispatch_uid="illdesk_ensure_roles")
        # Cache invalidation only: a changed status setting counts at the next transition.
        from .models import StatusSetting
        from .workflow import forget_inactive_statuses

        post_save.connect(forget_inactive_statuses, sender=StatusSetting, dispatch_uid="illdesk_status_saved")
        post_delete.connect(forget_inactive_statuses, sender=StatusSetting, dispatch_uid="illdesk_status_deleted")
        # and a saved or deleted status alias is shown at once
        from .aliases import connect_signals

        connect_signals()
