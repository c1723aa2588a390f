from django.apps import AppConfig
from django.utils.translation import gettext as _


class BorrowingConfig(AppConfig):
    name = "borrowing"

    def ready(self) -> None:
        from illdesk import sides
        from partners.messaging.mapping import BORROWER_EVENTS

        from . import actions, iso, slips
        from .models import BorrowingRequest
        from .statuses import FINAL, Status

        def view():
            from .views import SIDE

            return SIDE

        sides.register(sides.SideInfo(
            name="borrowing", model=BorrowingRequest, statuses=Status, final=frozenset(FINAL),
            label=lambda: _("Borrowing"), view=view, slip_for=slips.slip_for, slip_skip_reason=slips.skip_reason,
            letter_context=slips.letter_values, letters=slips.LETTERS, transition=actions.transition,
            iso_role="requester", partner_events=frozenset(BORROWER_EVENTS), partner_letters=iso.PARTNER_LETTERS,
            iso_handlers={"supplyingAgencyMessage": iso.handle_sam},
            work_permissions=("borrowing.view_borrowingrequest", "borrowing.change_borrowingrequest",
                              "borrowing.add_borrowingrequest", "borrowing.process_borrowingrequest"),
            manage_permissions=("borrowing.manage_borrowing_assignments", "borrowing.reactivate_borrowingrequest",
                                "borrowing.view_borrowing_operator", "borrowing.delete_borrowingrequest"),
        ))
