from django.apps import AppConfig


class BorrowingConfig(AppConfig):
    name = "borrowing"
