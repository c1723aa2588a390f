"""Lending requests (a partner asks us for an item) and the local inventory we lend from."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import RETURN_VALUE, ConcurrentTransitionMixin, FSMField, transition

from illdesk.models import AbstractRequest, Format, ResourceSharingLibrary
from illdesk.roles import can_reactivate, is_operator

from .statuses import ACTIVE_NOT_FINAL, BEFORE_SHIP, HOLDS_NO_ITEM, ON_LOAN, REACTIVATABLE, Status

S = Status

#: A lending request that is not over. Once rejected, cancelled, expired or done (the statuses that let go of
#: their item too) a request with the same borrower's id is a new one: ISO 18626 inbound (lending.iso), the API.
OPEN_REQUEST = ~models.Q(status__in=sorted(HOLDS_NO_ITEM))
ONCE_PER_BORROWER_REQUEST = _("This partner already has an open lending request with this borrower's request "
                              "id: work on that one, or close it first.")


class BibRecord(models.Model):
    """A title in our catalogue (loaded from MARCXML or edited in the admin)."""

    record_id = models.CharField(_("record id"), max_length=60, unique=True)
    title = models.CharField(_("title"), max_length=500, db_index=True)
    author = models.CharField(_("author"), max_length=300, blank=True)
    isbn = models.CharField(_("ISBN"), max_length=40, blank=True, db_index=True)
    issn = models.CharField(_("ISSN"), max_length=20, blank=True, db_index=True)
    publisher = models.CharField(_("publisher"), max_length=300, blank=True)
    year = models.CharField(_("year"), max_length=20, blank=True)
    oclc_number = models.CharField(_("OCLC number"), max_length=30, blank=True, db_index=True)

    class Meta:
        ordering = ["title"]
        verbose_name = _("bibliographic record")

    def __str__(self) -> str:
        return self.title


class Item(models.Model):
    class State(models.TextChoices):
        ON_SHELF = "on_shelf", _("On shelf")
        IN_RESOURCE_SHARING = "in_resource_sharing", _("In resource sharing")
        ON_LOAN = "on_loan", _("On loan")
        SHIPPED = "shipped", _("Shipped")
        MISSING = "missing", _("Missing")

    record = models.ForeignKey(BibRecord, on_delete=models.CASCADE, related_name="items")
    barcode = models.CharField(_("barcode"), max_length=60, unique=True)
    library = models.ForeignKey(ResourceSharingLibrary, on_delete=models.PROTECT, verbose_name=_("library"))
    location = models.CharField(_("location"), max_length=100, blank=True)
    call_number = models.CharField(_("call number"), max_length=100, blank=True)
    state = models.CharField(_("status"), max_length=30, choices=State.choices, default=State.ON_SHELF)

    class Meta:
        ordering = ["barcode"]
        verbose_name = _("item")

    def __str__(self) -> str:
        return f"{self.barcode} ({self.record})"


def partner_profile(req):
    return req.partner.workflow_profile if req.partner_id else None


def profile_allows(step: str):
    def condition(req) -> bool:
        profile = partner_profile(req)
        return profile is None or bool(getattr(profile, step))

    condition.__name__ = f"profile_allows_{step}"
    return condition


def is_non_returnable(req) -> bool:
    return req.requested_format == Format.PHYSICAL_NON_RETURNABLE


def is_returnable_physical(req) -> bool:
    return req.requested_format == Format.PHYSICAL


def is_digital(req) -> bool:
    return req.requested_format == Format.DIGITAL


def nothing_located(req) -> bool:
    return req.locate_status != LendingRequest.LocateStatus.LOCATED


def something_located(req) -> bool:
    return req.locate_status == LendingRequest.LocateStatus.LOCATED


def partner_is_iso(req) -> bool:
    return req.partner_id is not None and req.partner.is_iso


def partner_is_peer(req) -> bool:
    return req.partner_id is not None and req.partner.is_peer


def staff_permission(instance, user) -> bool:
    return is_operator(user)


def reactivate_permission(instance, user) -> bool:
    """Managers; operators only when given the permission (seed 002)."""
    return can_reactivate(user, "lending")


class LendingRequest(ConcurrentTransitionMixin, AbstractRequest):
    class LocateStatus(models.TextChoices):
        NOT_RUN = "not_run", _("Locate not run")
        LOCATED = "located", _("Resource located")
        NOT_LOCATED = "not_located", _("No resources located")
        SEVERAL = "several", _("Several resources found")

    status = FSMField(_("status"), max_length=40, choices=Status.choices, default=S.CREATED, protected=True)
    locate_status = models.CharField(
        _("resource locate status"), max_length=20, choices=LocateStatus.choices, default=LocateStatus.NOT_RUN
    )
    record = models.ForeignKey(BibRecord, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    item = models.ForeignKey(Item, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    requester_name = models.CharField(_("borrower's patron"), max_length=200, blank=True)
    borrower_request_id = models.CharField(_("borrower's request id"), max_length=100, blank=True, db_index=True)
    has_alerts = models.BooleanField(_("has alerts"), default=False)
    shipped_at = models.DateTimeField(_("shipped at"), null=True, blank=True)
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    locked_until = models.DateTimeField(null=True, blank=True)
    conditional_reason = models.CharField(_("condition"), max_length=200, blank=True)
    reject_reason = models.CharField(_("reject reason"), max_length=60, blank=True)

    #: What a save that breaks one of the constraints below tells the user (run_transition, update_fields):
    #: PostgreSQL names the constraint, SQLite the column.
    integrity_refusals = {
        ("lending_item_held_once", "lending_lendingrequest.item_id"):
            _("This item is already in process for another lending request: choose another copy."),
        ("lending_request_once_per_borrower_request",
         "lending_lendingrequest.partner_id, lending_lendingrequest.borrower_request_id"): ONCE_PER_BORROWER_REQUEST,
    }

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("lending request")
        permissions = [
            ("process_lendingrequest", "Can work lending requests"),
            ("manage_lending_assignments", "Can assign lending requests to anyone"),
            ("reactivate_lendingrequest", "Can reactivate lending requests"),
            ("view_lending_operator", "Can see the operator column in lending history"),
        ]
        constraints = [
            # An item serves one lending request at a time: the database, not a check before the save,
            # keeps two operators (or an operator and a job) from claiming one copy for two requests.
            models.UniqueConstraint(fields=["item"], condition=~models.Q(status__in=sorted(HOLDS_NO_ITEM))
                                    & models.Q(item__isnull=False, removed_at__isnull=True),
                                    name="lending_item_held_once"),
            # A borrowing library's request is one open lending request of ours: the database, not a look
            # before the insert, keeps a Request sent again after a timeout (or a form posted twice at once)
            # from making a second one; the copy that loses is answered with the winner (create_incoming).
            # A closed one (OPEN_REQUEST) does not count: the borrower may ask again. Requests without the
            # borrower's id (entered by hand, duplicated) are not bound; nor, NULL being distinct, are
            # those without a partner.
            models.UniqueConstraint(fields=["partner", "borrower_request_id"],
                                    condition=OPEN_REQUEST & ~models.Q(borrower_request_id=""),
                                    name="lending_request_once_per_borrower_request",
                                    violation_error_message=ONCE_PER_BORROWER_REQUEST),
        ]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="lend_created"),
            models.Index(fields=["updated_at"], name="lend_updated"),
            models.Index(fields=["partner", "status"], name="lend_partner_status"),
            models.Index(fields=["assignee", "is_active"], name="lend_assignee"),
            # The task list, as borrowing's (see BorrowingRequest.Meta); trigram indexes: migration 0004.
            models.Index(fields=["-created_at", "-id"], include=[
                "status", "printed", "reported", "partner", "updated_at", "requested_format", "supplied_format",
                "due_date", "last_interest_date", "owner", "level_of_service", "has_alerts", "has_active_message",
                "has_active_note", "assignee", "removed_at"], condition=models.Q(is_active=True),
                name="lend_active_cover"),
            models.Index(fields=["status", "assignee", "partner"], include=["is_active"],
                         condition=models.Q(removed_at__isnull=True), name="lend_status_cover"),
            models.Index(fields=["assignee", "id"],
                         condition=models.Q(has_active_note=True, is_active=True, removed_at__isnull=True),
                         name="lend_note_flag"),
            models.Index(fields=["assignee", "id"],
                         condition=models.Q(has_active_message=True, is_active=True, removed_at__isnull=True),
                         name="lend_message_flag"),
        ]

    # ---- locate and prepare -------------------------------------------------------------------

    @transition(field=status, source=[S.CREATED, S.LOCATE_FAILED, S.REACTIVATED, S.BEING_PROCESSED],
                target=RETURN_VALUE(S.CREATED, S.LOCATE_FAILED, S.BEING_PROCESSED, S.REACTIVATED),
                conditions=[nothing_located], permission=staff_permission, custom={"label": _("Locate")})
    def locate(self, outcome: str, record=None):
        """Record a locate run: one match links the record; none or several leave Locate failed."""
        self.locate_status = outcome
        self.record = record if outcome == self.LocateStatus.LOCATED else None
        if outcome == self.LocateStatus.LOCATED:
            return S.CREATED if self.status == S.LOCATE_FAILED else self.status
        return S.LOCATE_FAILED

    @transition(field=status, source=[*BEFORE_SHIP], target=None, conditions=[something_located],
                permission=staff_permission, custom={"label": _("Detach from inventory")})
    def detach_from_inventory(self):
        self.locate_status = self.LocateStatus.NOT_LOCATED
        self.record = None
        self.item = None

    @transition(field=status, source=[S.CREATED, S.REACTIVATED, S.WILL_SUPPLY], target=S.BEING_PROCESSED,
                permission=staff_permission, custom={"label": _("Manage fulfillment options")})
    def start_processing(self):
        pass

    @transition(field=status, source=[s for s in BEFORE_SHIP if s != S.WILL_SUPPLY], target=S.WILL_SUPPLY,
                conditions=[profile_allows("will_supply")], permission=staff_permission,
                custom={"label": _("Will supply")})
    def will_supply(self):
        pass

    @transition(field=status, source=[S.CREATED, S.BEING_PROCESSED, S.WILL_SUPPLY, S.REACTIVATED],
                target=S.CONDITIONAL, conditions=[profile_allows("conditional")], permission=staff_permission,
                custom={"label": _("Conditional")})
    def conditional(self, reason: str, reply_by=None):
        self.conditional_reason = reason
        self.reply_by = reply_by

    @transition(field=status, source=S.CONDITIONAL, target=RETURN_VALUE(S.CREATED, S.REJECTED))
    def borrower_answered_condition(self, accepted: bool):
        self.reply_by = None
        return S.CREATED if accepted else S.REJECTED

    @transition(field=status, source=[*BEFORE_SHIP, S.CONDITIONAL, S.CANCEL_REPLY], target=S.REJECTED,
                permission=staff_permission, custom={"label": _("Reject")})
    def reject(self, reason: str):
        self.reject_reason = reason

    @transition(field=status, source=[S.CREATED, S.LOCATE_FAILED], target=S.PENDING_AUTO_REJECT)
    def schedule_auto_reject(self):
        pass

    @transition(field=status, source=S.PENDING_AUTO_REJECT, target=S.REJECTED)
    def auto_reject(self):
        self.reject_reason = self.reject_reason or "NotFoundAsCited"

    # ---- ship ---------------------------------------------------------------------------------

    @transition(field=status, source=BEFORE_SHIP, target=S.SHIPPED_PHYSICALLY, conditions=[is_returnable_physical],
                permission=staff_permission, custom={"label": _("Ship item")})
    def ship_physically(self, item=None):
        if item is not None:
            self.item = item
        self.supplied_format = Format.PHYSICAL
        self.shipped_at = timezone.now()

    @transition(field=status, source=BEFORE_SHIP, target=S.SHIPPED_PHYSICALLY, conditions=[is_non_returnable],
                permission=staff_permission, custom={"label": _("Ship non-returnable")})
    def ship_non_returnable(self):
        self.supplied_format = Format.PHYSICAL_NON_RETURNABLE
        self.shipped_at = timezone.now()

    @transition(field=status, source=BEFORE_SHIP, target=RETURN_VALUE(S.SHIPPED_DIGITALLY, S.COMPLETED),
                permission=staff_permission, custom={"label": _("Ship item digitally")})
    def ship_digitally(self):
        self.supplied_format = Format.DIGITAL
        self.shipped_at = timezone.now()
        profile = partner_profile(self)
        return S.SHIPPED_DIGITALLY if profile and profile.waiting_for_digital_receipt else S.COMPLETED

    @transition(field=status, source=S.SHIPPED_DIGITALLY, target=S.COMPLETED)
    def borrower_received_digitally(self):
        pass

    # ---- while on loan ------------------------------------------------------------------------

    @transition(field=status, source=[S.SHIPPED_PHYSICALLY, S.RECALLED, S.OVERDUE], target=S.RECEIVED_BY_PARTNER)
    def borrower_received(self):
        pass

    @transition(field=status, source=ON_LOAN, target=S.RENEW_REQUESTED)
    def borrower_requests_renewal(self):
        pass

    @transition(field=status, source=[S.RENEW_REQUESTED, S.RECEIVED_BY_PARTNER, S.STAFF_RENEWAL, S.PATRON_RENEWAL,
                                      S.OVERDUE],
                target=S.RECEIVED_BY_PARTNER, conditions=[profile_allows("staff_renewal")],
                permission=staff_permission, custom={"label": _("Renew")})
    def renew(self, due_date):
        self.due_date = due_date

    @transition(field=status, source=S.RENEW_REQUESTED, target=S.RECEIVED_BY_PARTNER, permission=staff_permission)
    def refuse_renewal(self):
        pass

    @transition(field=status, source=[S.SHIPPED_PHYSICALLY, S.RECEIVED_BY_PARTNER, S.RENEW_REQUESTED],
                target=S.OVERDUE)
    def mark_overdue(self):
        pass

    @transition(field=status, source=[S.SHIPPED_PHYSICALLY, S.RECEIVED_BY_PARTNER, S.OVERDUE, S.RENEW_REQUESTED,
                                      S.STAFF_RENEWAL, S.RENEWAL_RESPONSE, S.PATRON_RENEWAL],
                target=S.RECALLED, conditions=[profile_allows("recall")], permission=staff_permission,
                custom={"label": _("Recall")})
    def recall(self, due_date=None):
        if due_date:
            self.due_date = due_date

    @transition(field=status, source=ON_LOAN, target=S.RETURNED_BY_PARTNER)
    def borrower_shipped_return(self):
        pass

    @transition(field=status, source=[S.RETURNED_BY_PARTNER, *ON_LOAN, S.LOST, S.DAMAGED], target=S.COMPLETED,
                permission=staff_permission, custom={"label": _("Checked in")})
    def check_in(self):
        pass

    @transition(field=status, source=ON_LOAN, target=S.LOST, permission=staff_permission)
    def mark_lost(self):
        pass

    @transition(field=status, source=[*ON_LOAN, S.RETURNED_BY_PARTNER], target=S.DAMAGED,
                permission=staff_permission)
    def mark_damaged(self):
        pass

    # ---- cancel, expire, end ------------------------------------------------------------------

    @transition(field=status, source=[*BEFORE_SHIP, S.CONDITIONAL], target=S.CANCEL_REPLY)
    def borrower_requests_cancel(self):
        pass

    @transition(field=status, source=S.CANCEL_REPLY, target=RETURN_VALUE(S.CANCELLED, *BEFORE_SHIP,
                                                                        S.CONDITIONAL))
    def answer_cancel(self, accepted: bool, resume_status: str = S.CREATED):
        return S.CANCELLED if accepted else resume_status

    @transition(field=status, source=[*BEFORE_SHIP, S.CONDITIONAL], target=S.CANCELLED)
    def borrower_cancelled(self):
        pass

    @transition(field=status, source=[*BEFORE_SHIP, S.CONDITIONAL], target=S.EXPIRED)
    def expire(self):
        pass

    @transition(field=status, source=[S.REJECTED, S.CANCELLED, S.EXPIRED, S.LOST, S.DAMAGED], target=S.COMPLETED,
                permission=staff_permission)
    def complete(self):
        pass

    @transition(field=status, source=REACTIVATABLE, target=S.REACTIVATED, conditions=[profile_allows("reactivate")],
                permission=reactivate_permission, custom={"label": _("Reactivate")})
    def reactivate(self):
        pass

    # ---- actions that keep the status ---------------------------------------------------------

    @transition(field=status, source=[*ACTIVE_NOT_FINAL], target=None, conditions=[partner_is_peer],
                permission=staff_permission, custom={"label": _("General message")})
    def general_message(self):
        pass

    @transition(field=status, source=[*ON_LOAN, S.RETURNED_BY_PARTNER, S.CONDITIONAL, S.CANCEL_REPLY],
                target=None, conditions=[partner_is_iso], permission=staff_permission,
                custom={"label": _("Status query")})
    def status_query(self):
        pass

    @transition(field=status, source="*", target=RETURN_VALUE(*Status.values), permission=staff_permission)
    def change_status(self, new_status: str):
        if new_status not in Status.values:
            raise ValueError(f"unknown status {new_status}")
        return new_status

    # -------------------------------------------------------------------------------------------

    @property
    def is_view_only(self) -> bool:
        return not self.is_active

    @property
    def reject_reason_display(self) -> str:
        from illdesk.reasons import reason_label

        return reason_label(self.reject_reason) if self.reject_reason else ""

    @property
    def lock_is_held(self) -> bool:
        return self.locked_by_id is not None and self.locked_until is not None and self.locked_until > timezone.now()


class FulfillmentRequest(models.Model):
    """A request placed from "Manage fulfillment options" (seed 002, Placing Requests): move a physical
    item to the resource-sharing desk, or digitize part of a resource. Its type-specific attributes (the
    seed's Create Request fields) are kept in `details`; see lending.forms for the two field sets."""

    class Kind(models.TextChoices):
        SHIP_PHYSICALLY = "ship_physically", _("Ship physically")
        SHIP_DIGITALLY = "ship_digitally", _("Ship digitally")

    class State(models.TextChoices):
        IN_PROCESS = "in_process", _("In process")
        CANCELLED = "cancelled", _("Cancelled")
        COMPLETED = "completed", _("Completed")

    request = models.ForeignKey(LendingRequest, on_delete=models.CASCADE, related_name="fulfillment_requests",
                                verbose_name=_("lending request"))
    kind = models.CharField(_("request type"), max_length=20, choices=Kind.choices)
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.IN_PROCESS)
    record = models.ForeignKey(BibRecord, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                               verbose_name=_("bibliographic record"))
    item = models.ForeignKey(Item, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                             verbose_name=_("item"))
    details = models.JSONField(_("request attributes"), default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("fulfillment request")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.get_state_display()})"

    @property
    def is_open(self) -> bool:
        return self.state == self.State.IN_PROCESS

    @property
    def alert_subject(self) -> str:
        """The seed's alert names: "Citation Move Request …" / "Citation Digitization Request …"."""
        return "Move" if self.kind == self.Kind.SHIP_PHYSICALLY else "Digitization"
