"""Borrowing requests: we ask a partner library for an item our patron needs."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import RETURN_VALUE, ConcurrentTransitionMixin, FSMField, transition

from illdesk.models import AbstractRequest, PatronCategory, PickupLocation, RequestType
from illdesk.roles import can_reactivate, is_operator

from .statuses import (
    ACTIVE_NOT_FINAL,
    AFTER_SEND,
    AT_PARTNER,
    BEFORE_SEND,
    CLOSABLE,
    CONVERTIBLE,
    HELD_RETURNABLE,
    REACTIVATABLE,
    SHIPPED,
    Status,
)

S = Status


# --- conditions: read the request and its active partner's workflow profile ---------------------


def _profile(req):
    return req.partner.workflow_profile if req.partner_id else None


def has_requester(req) -> bool:
    """Koha: a request placed without login goes ahead only once staff linked it to a patron."""
    return req.requester_id is not None


def has_partner(req) -> bool:
    return req.partner_id is not None


def has_partner_or_rota(req) -> bool:
    # .all() so a task list that prefetched the rota asks no query per row
    return req.partner_id is not None or len(req.rota_entries.all()) > 0


def partner_sends_messages(req) -> bool:
    """Send: only ISO and email partners receive the request from us."""
    return req.partner_id is not None and req.partner.profile_type in ("iso18626", "email")


def partner_is_peer(req) -> bool:
    return req.partner_id is not None and req.partner.is_peer


def partner_is_not_iso(req) -> bool:
    """Overdue: an ISO lender says so itself; for other partners staff set it (seed 000)."""
    return not partner_is_iso(req)


def partner_is_iso(req) -> bool:
    return req.partner_id is not None and req.partner.is_iso


def profile_allows(step: str):
    def condition(req) -> bool:
        profile = _profile(req)
        return bool(profile and getattr(profile, step))

    condition.__name__ = f"profile_allows_{step}"
    return condition


def profile_allows_or_no_partner(step: str):
    def condition(req) -> bool:
        profile = _profile(req)
        return profile is None or bool(getattr(profile, step))

    condition.__name__ = f"profile_allows_or_no_partner_{step}"
    return condition


def damage_loss_reportable(req) -> bool:
    return partner_sends_messages(req)


def cancellable_directly(req) -> bool:
    """Seed 000: cancel shows while nothing is sent yet — or when the partner cannot take a cancel."""
    if req.status in BEFORE_SEND:
        return True
    return not cancel_needs_partner_answer(req)


def cancel_needs_partner_answer(req) -> bool:
    profile = _profile(req)
    return profile is not None and profile.supports_cancel and partner_sends_messages(req)


def resupply_allowed(req) -> bool:
    """Once, and within 7 days of the lender sending it."""
    if req.resupply_used or req.shipped_at is None:
        return False
    return timezone.now() - req.shipped_at <= timedelta(days=7)


def staff_permission(instance, user) -> bool:
    return is_operator(user)


def reactivate_permission(instance, user) -> bool:
    return can_reactivate(user, "borrowing")


class BorrowingRequest(ConcurrentTransitionMixin, AbstractRequest):
    status = FSMField(_("status"), max_length=40, choices=Status.choices, default=S.CREATED, protected=True)
    requester = models.ForeignKey(
        "illdesk.Patron", on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("requester")
    )
    patron_category = models.ForeignKey(
        PatronCategory, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("user group")
    )
    pickup_location = models.ForeignKey(
        PickupLocation, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("pickup location")
    )
    event_name = models.CharField(_("event name"), max_length=100, blank=True)
    temp_barcode = models.CharField(_("temporary barcode"), max_length=60, blank=True, db_index=True)
    pre_recall_due_date = models.DateField(_("due date before recall"), null=True, blank=True)
    shipped_at = models.DateTimeField(_("shipped by partner at"), null=True, blank=True)
    resupply_used = models.BooleanField(_("resupply used"), default=False)
    has_open_communication = models.BooleanField(_("open communication"), default=False)
    unauthenticated_name = models.CharField(_("requester name (unauthenticated)"), max_length=200, blank=True)
    unauthenticated_email = models.EmailField(_("requester email (unauthenticated)"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("borrowing request")
        permissions = [
            ("process_borrowingrequest", "Can work borrowing requests"),
            ("manage_borrowing_assignments", "Can assign borrowing requests to anyone"),
            ("reactivate_borrowingrequest", "Can reactivate borrowing requests"),
            ("view_borrowing_operator", "Can see the operator column in borrowing history"),
        ]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="borrow_created"),
            models.Index(fields=["updated_at"], name="borrow_updated"),
            models.Index(fields=["partner", "status"], name="borrow_partner_status"),
            models.Index(fields=["assignee", "is_active"], name="borrow_assignee"),
            # The task list (bench/NOTES.md). The active list's one counting statement and its default
            # order read only this index: every column a facet counts is INCLUDEd (PostgreSQL; SQLite
            # ignores `include`). The trigram index of the search is PostgreSQL-only: migration 0005.
            models.Index(fields=["-created_at", "-id"], include=[
                "status", "partner", "updated_at", "requested_format", "supplied_format", "due_date",
                "last_interest_date", "patron_info_required", "has_active_message", "has_active_note", "owner",
                "has_partner_note", "pickup_location", "level_of_service", "patron_category", "assignee",
                "event_name", "removed_at"], condition=models.Q(is_active=True), name="borrow_active_cover"),
            # predefined filters count over history too (cancelled by partner): one small index each
            models.Index(fields=["status", "assignee", "partner"], include=["is_active"],
                         condition=models.Q(removed_at__isnull=True), name="borrow_status_cover"),
            models.Index(fields=["id"],
                         condition=models.Q(has_active_note=True, is_active=True, removed_at__isnull=True),
                         name="borrow_note_flag"),
            models.Index(fields=["id"],
                         condition=models.Q(has_active_message=True, is_active=True, removed_at__isnull=True),
                         name="borrow_message_flag"),
        ]

    @property
    def needs_patron_link(self) -> bool:
        """Placed without logging in and no patron linked yet (the staff row action "Link to patron")."""
        return self.requester_id is None and bool(self.unauthenticated_email or self.unauthenticated_name)

    # ---- locate and send ----------------------------------------------------------------------

    @transition(field=status, source=BEFORE_SEND, target=S.LOCATE_IN_PROCESS, conditions=[has_partner_or_rota],
                permission=staff_permission, custom={"label": _("Locate resource")})
    def start_locate(self):
        pass

    @transition(field=status, source=S.LOCATE_IN_PROCESS,
                target=RETURN_VALUE(S.READY_TO_SEND, S.LOCAL_HOLDING, S.BAD_CITATION, S.LOCATE_FAILED))
    def finish_locate(self, outcome):
        return outcome

    @transition(field=status, source=S.PENDING_APPROVAL, target=S.CREATED, conditions=[has_requester],
                permission=staff_permission,
                custom={"label": _("Approve")})
    def approve(self):
        pass

    @transition(field=status, source=[S.CREATED, S.READY_TO_SEND, S.LOCATE_FAILED, S.BAD_CITATION,
                                      S.LOCAL_HOLDING, S.REJECTED_BY_PARTNER, S.REACTIVATED],
                target=S.SENT, conditions=[partner_sends_messages], permission=staff_permission,
                custom={"label": _("Send")})
    def send(self):
        pass

    # ---- the lender answers -------------------------------------------------------------------

    @transition(field=status, source=S.SENT, target=S.ACCEPTED)
    def partner_accepted(self):
        pass

    @transition(field=status, source=[S.SENT, S.ACCEPTED, S.CONDITIONAL], target=S.WILL_SUPPLY)
    def partner_will_supply(self):
        pass

    @transition(field=status, source=[S.SENT, S.ACCEPTED, S.WILL_SUPPLY], target=S.CONDITIONAL,
                conditions=[profile_allows("conditional")])
    def partner_conditional(self):
        pass

    @transition(field=status, source=S.CONDITIONAL, target=RETURN_VALUE(S.SENT, S.REJECTED_BY_PARTNER),
                permission=staff_permission, custom={"label": _("Conditional reply")})
    def conditional_reply(self, accept: bool):
        self.reply_by = None
        return S.SENT if accept else S.REJECTED_BY_PARTNER

    @transition(field=status, source=AT_PARTNER, target=S.REJECTED_BY_PARTNER,
                conditions=[profile_allows("reject")], permission=staff_permission, custom={"label": _("Reject")})
    def reject(self):
        pass

    @transition(field=status, source=[*AT_PARTNER, S.WAITING_CANCEL_RESPONSE], target=S.REJECTED_BY_PARTNER)
    def partner_unfilled(self):
        pass

    @transition(field=status, source=[*AT_PARTNER, S.WAITING_CANCEL_RESPONSE], target=S.SHIPPED_PHYSICALLY)
    def partner_shipped_physically(self):
        self.shipped_at = timezone.now()

    @transition(field=status, source=[*AT_PARTNER, S.WAITING_CANCEL_RESPONSE, S.RECEIVED_DIGITALLY],
                target=S.SHIPPED_DIGITALLY)
    def partner_shipped_digitally(self):
        self.shipped_at = timezone.now()

    # ---- receive, loan, return ----------------------------------------------------------------

    @transition(field=status, source=[*SHIPPED, S.ACCEPTED, S.WILL_SUPPLY, S.SENT],
                target=RETURN_VALUE(S.RECEIVED_PHYSICALLY, S.RECEIVED_DIGITALLY, S.RECEIVED_NON_RETURNABLE),
                permission=staff_permission, custom={"label": _("Receive")})
    def receive(self, received_format: str):
        self.supplied_format = received_format
        return {
            "digital": S.RECEIVED_DIGITALLY,
            "physical_non_returnable": S.RECEIVED_NON_RETURNABLE,
        }.get(received_format, S.RECEIVED_PHYSICALLY)

    @transition(field=status, source=S.RECEIVED_NON_RETURNABLE, target=S.COMPLETED,
                permission=staff_permission, custom={"label": _("Loan to patron")})
    def loan_to_patron(self):
        pass

    @transition(field=status, source=[S.RECEIVED_PHYSICALLY, S.RENEWED_BY_PARTNER, S.RENEW_NOT_ACCEPTED],
                target=S.LOANED_TO_PATRON, permission=staff_permission, custom={"label": _("Check out to patron")})
    def check_out_to_patron(self):
        pass

    @transition(field=status, source=[*HELD_RETURNABLE, S.RETURNED_BY_PATRON],
                target=RETURN_VALUE(S.RETURNED_TO_PARTNER, S.RETURNED_BY_PATRON, S.COMPLETED),
                permission=staff_permission, custom={"label": _("Return")})
    def return_item(self, at_other_desk: bool = False):
        if at_other_desk and self.status != S.RETURNED_BY_PATRON:
            return S.RETURNED_BY_PATRON
        profile = _profile(self)
        # Seed 000: "Returned item to partner" only when the lender checks the return in.
        if profile is not None and not profile.lender_check_in:
            return S.COMPLETED
        return S.RETURNED_TO_PARTNER

    @transition(field=status, source=[S.RETURNED_TO_PARTNER, S.RETURNED_BY_PATRON], target=S.LENDER_CHECKED_IN)
    def partner_checked_in(self):
        pass

    @transition(field=status, source=CLOSABLE, target=S.COMPLETED, permission=staff_permission,
                custom={"label": _("Complete")})
    def complete(self):
        pass

    # ---- renewals, recalls, overdue -----------------------------------------------------------

    @transition(field=status, source=HELD_RETURNABLE,
                target=RETURN_VALUE(S.RENEW_REQUESTED, S.RENEWED_BY_PARTNER),
                conditions=[profile_allows("staff_renewal")], permission=staff_permission,
                custom={"label": _("Request renew")})
    def request_renew(self):
        return S.RENEW_REQUESTED if self.partner.workflow_profile.renew_response else S.RENEWED_BY_PARTNER

    @transition(field=status, source=[*HELD_RETURNABLE], target=S.RENEWED_BY_PARTNER,
                conditions=[profile_allows("staff_renewal")], permission=staff_permission,
                custom={"label": _("Renew")})
    def renew(self, due_date):
        self.due_date = due_date

    @transition(field=status, source=S.RENEW_REQUESTED, target=RETURN_VALUE(S.RENEWED_BY_PARTNER,
                                                                           S.RENEW_NOT_ACCEPTED))
    def partner_renew_answer(self, accepted: bool, due_date=None):
        if accepted and due_date:
            self.due_date = due_date
        return S.RENEWED_BY_PARTNER if accepted else S.RENEW_NOT_ACCEPTED

    @transition(field=status, source=[S.LOANED_TO_PATRON, S.RENEWED_BY_PARTNER, S.OVERDUE],
                target=S.MEDIATED_PATRON_RENEWAL)
    def patron_asks_renewal(self):
        pass

    @transition(field=status, source=HELD_RETURNABLE, target=S.RECALLED_BY_PARTNER)
    def partner_recalled(self, due_date=None):
        if self.pre_recall_due_date is None:
            self.pre_recall_due_date = self.due_date
        if due_date:
            self.due_date = due_date

    @transition(field=status, source=S.RECALLED_BY_PARTNER, target=S.LOANED_TO_PATRON,
                conditions=[profile_allows("cancel_recall")], permission=staff_permission,
                custom={"label": _("Cancel recall")})
    def cancel_recall(self):
        if self.pre_recall_due_date:
            self.due_date = self.pre_recall_due_date
        self.pre_recall_due_date = None

    @transition(field=status, source=HELD_RETURNABLE, target=S.OVERDUE)
    def partner_overdue(self, due_date=None):
        """The lender's overdue message (ISO StatusChange Overdue)."""
        if due_date:
            self.due_date = due_date

    @transition(field=status, source=HELD_RETURNABLE, target=S.OVERDUE, conditions=[partner_is_not_iso],
                permission=staff_permission, custom={"label": _("Mark overdue")})
    def mark_overdue(self):
        pass

    @transition(field=status, source=[*HELD_RETURNABLE, S.RETURNED_BY_PATRON], target=S.DAMAGED_COMMUNICATED,
                conditions=[damage_loss_reportable, profile_allows("damaged_communicated")],
                permission=staff_permission, custom={"label": _("Damaged")})
    def report_damaged(self):
        pass

    @transition(field=status, source=[*HELD_RETURNABLE, S.RETURNED_BY_PATRON], target=S.LOST_COMMUNICATED,
                conditions=[damage_loss_reportable, profile_allows("lost_communicated")],
                permission=staff_permission, custom={"label": _("Lost")})
    def report_lost(self):
        pass

    @transition(field=status, source=[*SHIPPED, *HELD_RETURNABLE, S.RETURNED_TO_PARTNER],
                target=S.DECLARED_LOST_BY_PARTNER)
    def partner_declared_lost(self):
        pass

    # ---- cancel, expire, end ------------------------------------------------------------------

    @transition(field=status, source=[*BEFORE_SEND, *AT_PARTNER], target=S.CANCELLED,
                conditions=[cancellable_directly], permission=staff_permission, custom={"label": _("Cancel")})
    def cancel(self):
        pass

    @transition(field=status, source=AT_PARTNER, target=S.WAITING_CANCEL_RESPONSE,
                conditions=[cancel_needs_partner_answer], permission=staff_permission,
                custom={"label": _("Cancel")})
    def request_cancel(self):
        pass

    @transition(field=status, source=S.WAITING_CANCEL_RESPONSE, target=RETURN_VALUE(S.CANCELLED, *AT_PARTNER,
                                                                                   *SHIPPED))
    def partner_cancel_answer(self, accepted: bool, resume_status: str = S.SENT):
        return S.CANCELLED if accepted else resume_status

    @transition(field=status, source=[*BEFORE_SEND, *AT_PARTNER, S.WAITING_CANCEL_RESPONSE],
                target=S.CANCELLED_BY_PARTNER)
    def partner_cancelled(self):
        pass

    @transition(field=status, source=[S.CREATED, S.PENDING_APPROVAL, S.READY_TO_SEND, S.LOCATE_FAILED,
                                      S.BAD_CITATION, S.LOCAL_HOLDING], target=S.CANCELLED_BY_PATRON)
    def patron_cancel(self):
        pass

    @transition(field=status, source=[*BEFORE_SEND, *AT_PARTNER], target=S.EXPIRED)
    def expire(self):
        pass

    @transition(field=status, source=BEFORE_SEND, target=S.EXPORTED_TO_THIRD_PARTY, permission=staff_permission)
    def export_to_third_party(self):
        pass

    @transition(field=status, source=ACTIVE_NOT_FINAL, target=S.EXTERNALLY_OBTAINED,
                permission=staff_permission, custom={"label": _("Obtain externally")})
    def obtain_externally(self):
        pass

    @transition(field=status, source=REACTIVATABLE, target=S.REACTIVATED,
                conditions=[profile_allows_or_no_partner("reactivate")], permission=reactivate_permission,
                custom={"label": _("Reactivate")})
    def reactivate(self):
        pass

    @transition(field=status, source=[S.RECEIVED_DIGITALLY, S.SHIPPED_DIGITALLY], target=S.SENT,
                conditions=[resupply_allowed], permission=staff_permission, custom={"label": _("Resupply")})
    def resupply(self):
        self.resupply_used = True

    # ---- actions that keep the status but are allowed only in some ----------------------------

    @transition(field=status, source=CONVERTIBLE, target=None, permission=staff_permission,
                custom={"label": _("Convert request type")})
    def convert_request_type(self, request_type: str):
        if request_type not in RequestType.values:
            raise ValueError(f"unknown request type {request_type}")
        self.request_type = request_type

    @transition(field=status, source=ACTIVE_NOT_FINAL, target=None, permission=staff_permission,
                custom={"label": _("Recalculate rota")})
    def recalculate_rota(self):
        pass

    @transition(field=status, source=ACTIVE_NOT_FINAL, target=None, permission=staff_permission,
                custom={"label": _("Remove and recalculate rota")})
    def remove_and_recalculate_rota(self):
        pass

    @transition(field=status, source=AFTER_SEND, target=None, conditions=[partner_is_peer], permission=staff_permission,
                custom={"label": _("General message")})
    def general_message(self):
        pass

    @transition(field=status, source=AFTER_SEND, target=None, conditions=[partner_is_iso], permission=staff_permission,
                custom={"label": _("Status query")})
    def status_query(self):
        pass

    # ---- staff override ------------------------------------------------------------------------

    @transition(field=status, source="*", target=RETURN_VALUE(*Status.values), permission=staff_permission)
    def change_status(self, new_status: str):
        """Bulk "change status": any status, by hand, audited like every other transition."""
        if new_status not in Status.values:
            raise ValueError(f"unknown status {new_status}")
        return new_status

    # -------------------------------------------------------------------------------------------

    @property
    def is_view_only(self) -> bool:
        from .statuses import VIEW_ONLY

        return self.status in VIEW_ONLY

    @property
    def requester_name(self) -> str:
        if self.requester_id:
            return f"{self.requester.first_name} {self.requester.last_name}"
        return self.unauthenticated_name


class RotaEntry(models.Model):
    """One partner in a borrowing request's rota, in order; exactly one is active at a time."""

    class State(models.TextChoices):
        PENDING = "pending", _("Not yet asked")
        ACTIVE = "active", _("Active")
        REJECTED = "rejected", _("Rejected")
        SKIPPED = "skipped", _("Skipped")

    request = models.ForeignKey(BorrowingRequest, on_delete=models.CASCADE, related_name="rota_entries")
    partner = models.ForeignKey("partners.Partner", on_delete=models.PROTECT, related_name="+")
    position = models.PositiveIntegerField(_("position"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    reject_reason = models.CharField(_("reject reason"), max_length=60, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    locate_result = models.CharField(_("locate result"), max_length=20, blank=True)

    class Meta:
        ordering = ["request", "position"]
        unique_together = [("request", "position")]
        verbose_name = _("rota entry")
        verbose_name_plural = _("rota entries")

    def __str__(self) -> str:
        return f"#{self.position} {self.partner}"


class PurchaseRequest(models.Model):
    """A purchase suggestion made from a borrowing request's citation."""

    source_request = models.ForeignKey(BorrowingRequest, on_delete=models.SET_NULL, null=True, related_name="+")
    title = models.CharField(_("title"), max_length=500)
    author = models.CharField(_("author"), max_length=300, blank=True)
    isbn = models.CharField(_("ISBN"), max_length=40, blank=True)
    issn = models.CharField(_("ISSN"), max_length=20, blank=True)
    requester = models.ForeignKey("illdesk.Patron", on_delete=models.SET_NULL, null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("purchase request")

    def __str__(self) -> str:
        return self.title


class CatalogSource(models.Model):
    """Where locate looks for a citation: our own inventory, or a partner's catalogue over SRU."""

    class Kind(models.TextChoices):
        LOCAL = "local", _("Local inventory")
        SRU = "sru", _("SRU catalogue (searchRetrieve, MARCXML)")

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    partner = models.ForeignKey(
        "partners.Partner", on_delete=models.CASCADE, null=True, blank=True, related_name="catalog_sources",
        help_text=_("The partner whose holdings this catalogue shows (empty for the local inventory)."),
    )
    base_url = models.URLField(_("SRU base URL"), blank=True, help_text="e.g. http://sru.example.org:210/Default")
    max_records = models.PositiveIntegerField(_("max records"), default=10)
    timeout_seconds = models.PositiveIntegerField(_("timeout (seconds)"), default=10)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("catalogue source")

    def __str__(self) -> str:
        return self.name


class Communication(models.Model):
    """An email thread with a partner about one borrowing request (seed 000: Communications tab)."""

    request = models.ForeignKey(BorrowingRequest, on_delete=models.CASCADE, related_name="communications")
    partner = models.ForeignKey("partners.Partner", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+")
    subject = models.CharField(_("subject"), max_length=200)
    to = models.EmailField(_("to"))
    is_open = models.BooleanField(_("open"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("communication")

    def __str__(self) -> str:
        return self.subject


class CommunicationEntry(models.Model):
    class Direction(models.TextChoices):
        SENT = "sent", _("Sent")
        REPLY = "reply", _("Reply from partner")

    communication = models.ForeignKey(Communication, on_delete=models.CASCADE, related_name="entries")
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices)
    body = models.TextField(_("body"), max_length=10000)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("communication entry")

    def __str__(self) -> str:
        return self.body[:60]


class PatronQueryTemplate(models.Model):
    """Query-to-patron templates (seed 000): one is picked automatically when it is the only one."""

    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("body"), help_text=_("Text before the operator's note; may use {title} and {id}."))
    edit_if_single = models.BooleanField(_("let the operator edit when it is the only template"), default=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("patron query template")

    def __str__(self) -> str:
        return self.name
