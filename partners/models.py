"""Partners (other libraries), their workflow profiles, and rota templates and rules."""

import ipaddress

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from illdesk.models import Format, LevelOfService, PatronCategory, RequestType, ResourceSharingLibrary


class WorkflowProfile(models.Model):
    """Which optional workflow steps a partner supports. Row actions and transitions consult it."""

    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100)
    conditional = models.BooleanField(_("conditional"), default=True)
    will_supply = models.BooleanField(_("will supply"), default=True)
    reject = models.BooleanField(_("reject"), default=True)
    damaged_communicated = models.BooleanField(_("damaged communicated"), default=False)
    lost_communicated = models.BooleanField(_("lost communicated"), default=False)
    staff_renewal = models.BooleanField(_("staff renewal"), default=True)
    renew_response = models.BooleanField(_("renew response"), default=True)
    recall = models.BooleanField(_("recall"), default=True)
    cancel_recall = models.BooleanField(_("cancel recall"), default=False)
    supports_cancel = models.BooleanField(_("partner supports cancel"), default=True)
    checked_in_message = models.BooleanField(_("checked-in message"), default=True)
    lender_check_in = models.BooleanField(_("lender check in"), default=False)
    waiting_for_digital_receipt = models.BooleanField(_("waiting for digital receipt"), default=False)
    reactivate = models.BooleanField(_("reactivate"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("workflow profile")

    def __str__(self) -> str:
        return self.name


def parse_networks(text: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """The networks of an allow-list: one per line (commas and spaces also separate); a bare address is a
    network of one. Raises ValueError naming the entry that is not one."""
    found = []
    for entry in text.replace(",", " ").split():
        try:
            found.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(entry) from None
    return found


def validate_networks(text: str) -> None:
    try:
        parse_networks(text)
    except ValueError as exc:
        raise ValidationError(_("“%(entry)s” is not an IP address or network (e.g. 192.0.2.0/24)."),
                              params={"entry": str(exc)}, code="invalid") from None


class Partner(models.Model):
    class ProfileType(models.TextChoices):
        ISO18626 = "iso18626", _("ISO 18626")
        EMAIL = "email", _("Email")
        NCIP_P2P = "ncip_p2p", _("NCIP peer-to-peer")
        EXTERNAL = "external", _("External / third party")

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    profile_type = models.CharField(_("profile type"), max_length=20, choices=ProfileType.choices)
    agency_id_type = models.CharField(_("agency id type"), max_length=20, blank=True, help_text="e.g. ISIL, OCLC")
    agency_id_value = models.CharField(_("agency id value"), max_length=60, blank=True)
    iso_endpoint = models.URLField(_("ISO 18626 endpoint"), blank=True)
    shared_secret = models.CharField(
        _("shared secret"), max_length=200, blank=True,
        help_text=_("Sent with every message we send to the partner and required on every message it sends us."))
    allowed_networks = models.TextField(
        _("allowed source addresses"), blank=True, validators=[validate_networks],
        help_text=_("For a peer that cannot send a secret: the addresses its messages come from, one per line, "
                    "as single addresses or networks (192.0.2.10, 192.0.2.0/24, 2001:db8::/48). With a secret "
                    "as well, a message needs both."))
    email = models.EmailField(_("email"), blank=True)
    address = models.TextField(_("address"), blank=True)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="en")
    workflow_profile = models.ForeignKey(
        WorkflowProfile, on_delete=models.PROTECT, related_name="partners", verbose_name=_("workflow profile")
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("partner")
        constraints = [
            models.UniqueConstraint(
                fields=["agency_id_type", "agency_id_value"],
                condition=~models.Q(agency_id_value=""),
                name="partner_unique_agency_id",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_iso(self) -> bool:
        return self.profile_type == self.ProfileType.ISO18626

    @property
    def is_email(self) -> bool:
        return self.profile_type == self.ProfileType.EMAIL

    @property
    def is_peer(self) -> bool:
        """Partners we exchange messages with (ISO, email or NCIP peer)."""
        return self.profile_type in {self.ProfileType.ISO18626, self.ProfileType.EMAIL, self.ProfileType.NCIP_P2P}

    @property
    def networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        return parse_networks(self.allowed_networks)

    @property
    def can_authenticate(self) -> bool:
        """Whether a message from this partner can prove where it comes from (see partners/messaging/trust.py)."""
        return bool(self.shared_secret or self.networks)

    @property
    def agency_symbol(self) -> str:
        return f"{self.agency_id_type}:{self.agency_id_value}" if self.agency_id_value else ""


class RotaTemplate(models.Model):
    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100)
    partners = models.ManyToManyField(Partner, through="RotaTemplateMember", related_name="+")

    class Meta:
        ordering = ["name"]
        verbose_name = _("rota template")

    def __str__(self) -> str:
        return self.name


class RotaTemplateMember(models.Model):
    template = models.ForeignKey(RotaTemplate, on_delete=models.CASCADE, related_name="members")
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveIntegerField(_("position"))

    class Meta:
        ordering = ["template", "position"]
        unique_together = [("template", "partner")]
        verbose_name = _("rota template member")

    def __str__(self) -> str:
        return f"{self.template} #{self.position}: {self.partner}"


class RotaAssignmentRule(models.Model):
    """When a request matches every set condition, it gets the template's partners as its rota."""

    name = models.CharField(_("name"), max_length=100)
    priority = models.PositiveIntegerField(_("priority"), default=100, help_text=_("Lower runs first."))
    template = models.ForeignKey(RotaTemplate, on_delete=models.CASCADE, verbose_name=_("rota template"))
    active = models.BooleanField(_("active"), default=True)
    requested_format = models.CharField(_("requested format"), max_length=30, choices=Format.choices, blank=True)
    request_type = models.CharField(_("request type"), max_length=20, choices=RequestType.choices, blank=True)
    level_of_service = models.ForeignKey(LevelOfService, on_delete=models.CASCADE, null=True, blank=True)
    owner = models.ForeignKey(ResourceSharingLibrary, on_delete=models.CASCADE, null=True, blank=True)
    patron_category = models.ForeignKey(PatronCategory, on_delete=models.CASCADE, null=True, blank=True)
    send_automatically = models.BooleanField(
        _("send to the next partner automatically"),
        default=False,
        help_text=_("Sending rule: when a partner rejects, send to the next one without staff action."),
    )

    class Meta:
        ordering = ["priority", "name"]
        verbose_name = _("rota assignment rule")

    def __str__(self) -> str:
        return self.name


# --- ISO 18626 messages in and out (issue 5) --------------------------------------------------


class OutboundMessage(models.Model):
    """One message to a partner, written in the same transaction as the change it reports and
    delivered later by `partners.tasks.deliver_outbound` (the outbox: nothing is lost when Redis,
    the worker or the partner is down)."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        RETRYING = "retrying", _("Waiting to retry")
        FAILED = "failed", _("Failed")

    content_type = models.ForeignKey("contenttypes.ContentType", on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField()
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="outbound_messages",
                                verbose_name=_("partner"))
    kind = models.CharField(_("message"), max_length=40)
    event = models.CharField(_("event"), max_length=40)
    summary = models.CharField(_("summary"), max_length=200, blank=True)
    payload = models.JSONField(_("event details"), default=dict, blank=True)
    xml = models.TextField(_("message XML"), blank=True)
    state = models.CharField(_("delivery state"), max_length=10, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    http_status = models.PositiveIntegerField(_("HTTP status"), null=True, blank=True)
    response_xml = models.TextField(_("partner's confirmation"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    request = GenericForeignKey("content_type", "object_id")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("outgoing ISO 18626 message")
        indexes = [
            models.Index(fields=["content_type", "object_id", "id"], name="outbound_request"),
            models.Index(fields=["state", "next_attempt_at"], name="outbound_due"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.summary} → {self.partner_id} ({self.state})"

    @property
    def is_problem(self) -> bool:
        return self.state in (self.State.FAILED, self.State.RETRYING)


class InboundMessage(models.Model):
    """Every message POSTed to /iso18626, raw, with the confirmation we answered.

    `idempotency_key` identifies the message (its kind, header and content); the row that acted on
    it has `acted=True`, and the unique constraint makes sure only one row ever does."""

    received_at = models.DateTimeField(_("received"), default=timezone.now, db_index=True)
    partner = models.ForeignKey(Partner, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="inbound_messages", verbose_name=_("partner"))
    content_type = models.ForeignKey("contenttypes.ContentType", on_delete=models.SET_NULL, null=True,
                                     blank=True)
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    request = GenericForeignKey("content_type", "object_id")
    remote_addr = models.CharField(_("from address"), max_length=60, blank=True)
    raw = models.TextField(_("message XML"), blank=True)
    raw_size = models.PositiveIntegerField(_("size"), default=0)
    raw_sha256 = models.CharField(max_length=64, blank=True)
    kind = models.CharField(_("message"), max_length=40, blank=True)
    summary = models.CharField(_("summary"), max_length=200, blank=True)
    requesting_request_id = models.CharField(_("requesting agency request id"), max_length=200, blank=True)
    supplying_request_id = models.CharField(_("supplying agency request id"), max_length=200, blank=True)
    idempotency_key = models.CharField(max_length=64, blank=True, db_index=True)
    acted = models.BooleanField(default=False)
    duplicate_of = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+")
    message_status = models.CharField(_("answer"), max_length=5, default="OK")
    error_type = models.CharField(_("error type"), max_length=40, blank=True)
    error_value = models.TextField(_("error"), blank=True)
    outcome = models.TextField(_("what we did"), blank=True)
    confirmation_xml = models.TextField(_("our confirmation"), blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("incoming ISO 18626 message")
        indexes = [models.Index(fields=["content_type", "object_id", "id"], name="inbound_request")]
        constraints = [
            models.UniqueConstraint(fields=["idempotency_key"], condition=models.Q(acted=True),
                                    name="inbound_acted_once"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.summary} ({self.message_status})"

    @property
    def display_raw(self) -> str:
        """The raw message with any securityCode blanked out, for the request page."""
        import re

        return re.sub(r"(<(?:\w+:)?securityCode[^>]*>)[^<]*(<)", r"\1•••\2", self.raw)
