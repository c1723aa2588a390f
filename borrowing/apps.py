from django.apps import AppConfig
from django.utils.translation import gettext as _


class BorrowingConfig(AppConfig):
    name = "borrowing"

    def ready(self) -> None:
        from illdesk import sides

        from . import slips
        from .models import BorrowingRequest
        from .statuses import FINAL, Status

        def view():
            from .views import SIDE

            return SIDE

        sides.register(sides.SideInfo(
            name="borrowing", model=BorrowingRequest, statuses=Status, final=frozenset(FINAL),
            label=lambda: _("Borrowing"), view=view, slip_for=slips.slip_for, slip_skip_reason=slips.skip_reason,
        ))
