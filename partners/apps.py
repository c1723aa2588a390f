from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "partners"

    def ready(self) -> None:
        # Cache invalidation only (no business logic): a changed partner is used at once by /iso18626.
        from .messaging.peers import connect_signals

        connect_signals()
