"""Reasons a lender gives for not supplying (SPEC §1, seed 000), shared by both sides.

The codes follow ISO 18626's ReasonUnfilled list where one exists, so a reason travels between
libraries unchanged.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class RejectReason(models.TextChoices):
    IN_USE_ON_LOAN = "InUseOnLoan", _("In use / on loan")
    IN_PROCESS = "InProcess", _("In process")
    LOST = "Lost", _("Lost")
    NON_CIRCULATING = "NonCirculating", _("Non-circulating")
    NOT_OWNED = "NotOwned", _("Not owned")
    ON_ORDER = "OnOrder", _("On order")
    VOLUME_NOT_YET_AVAILABLE = "VolumeIssueNotYetAvailable", _("Volume not yet available")
    AT_BINDERY = "AtBindery", _("At bindery")
    LACKING = "Lacking", _("Lacking")
    NOT_ON_SHELF = "NotOnShelf", _("Not on shelf")
    ON_RESERVE = "OnReserve", _("On reserve")
    POOR_CONDITION = "PoorCondition", _("Poor condition")
    COST_EXCEEDS_LIMIT = "CostExceedsLimit", _("Cost exceeds limit")
    CHARGES = "Charges", _("Charges")
    PREPAYMENT_REQUIRED = "PrepaymentRequired", _("Prepayment required")
    LACKS_COPYRIGHT_COMPLIANCE = "LacksCopyrightCompliance", _("Lacks copyright compliance")
    NOT_FOUND_AS_CITED = "NotFoundAsCited", _("Not found as cited")
    LOCATION_NOT_FOUND = "LocationNotFound", _("Location not found")
    ON_HOLD = "OnHold", _("On hold")
    POLICY_PROBLEM = "PolicyProblem", _("Policy problem")
    MANDATORY_MESSAGING_NOT_SUPPORTED = "MandatoryMessagingNotSupported", _("Mandatory messaging not supported")
    EXPIRY_NOT_SUPPORTED = "ExpiryNotSupported", _("Expiry not supported")
    DELIVERY_SERVICE_NOT_SUPPORTED = "RequestedDeliveryServicesNotSupported", _(
        "Requested delivery services not supported"
    )
    PREFERRED_DELIVERY_TIME_NOT_POSSIBLE = "PreferredDeliveryTimeNotPossible", _(
        "Preferred delivery time not possible"
    )
    DUPLICATE = "Duplicate", _("Duplicate request")


def reason_label(code: str) -> str:
    try:
        return str(RejectReason(code).label)
    except ValueError:
        return code
