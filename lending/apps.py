from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext as _


class LendingConfig(AppConfig):
    name = "lending"

    def ready(self) -> None:
        self.register_side()
        # Cache invalidation only (no business logic): incoming requests get the right owner at once.
        from illdesk.models import ResourceSharingLibrary

        from .actions.incoming import forget_default_owner

        post_save.connect(forget_default_owner, sender=ResourceSharingLibrary, dispatch_uid="lending_owner_saved")
        post_delete.connect(forget_default_owner, sender=ResourceSharingLibrary, dispatch_uid="lending_owner_deleted")

    def register_side(self) -> None:
        from illdesk import sides
        from partners.messaging.mapping import LENDER_EVENTS

        from . import iso, slips
        from .actions.common import transition
        from .models import LendingRequest
        from .statuses import FINAL, Status

        def view():
            from .views import SIDE

            return SIDE

        sides.register(sides.SideInfo(
            name="lending", model=LendingRequest, statuses=Status, final=frozenset(FINAL),
            label=lambda: _("Lending"), view=view, slip_for=slips.slip_for, slip_skip_reason=slips.skip_reason,
            letter_context=slips.letter_values, letters=slips.LETTERS, extra={"slip_related": ("item",)},
            transition=transition,
            iso_role="supplier", partner_events=frozenset(LENDER_EVENTS), partner_letters=iso.PARTNER_LETTERS,
            iso_handlers={"request": iso.handle_request, "requestingAgencyMessage": iso.handle_ram},
            iso_status=iso.iso_status,
            work_permissions=("lending.view_lendingrequest", "lending.change_lendingrequest",
                              "lending.add_lendingrequest", "lending.process_lendingrequest"),
            manage_permissions=("lending.manage_lending_assignments", "lending.reactivate_lendingrequest",
                                "lending.view_lending_operator", "lending.delete_lendingrequest"),
        ))
