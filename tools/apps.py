from django.apps import AppConfig


class ToolsConfig(AppConfig):
    name = "tools"
    verbose_name = "Staff tools"

    def ready(self) -> None:
        # Cache invalidation only (no business logic): a saved or deleted alias is shown at once.
        from .aliases import connect_signals

        connect_signals()
