from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo and benchmark data (`seed_demo`, `seed_bulk`): it may import every app; nothing imports it."""

    name = "demo"
