"""Test driver for the two-instance test: staff steps run *inside* an instance, through the same
workflow actions the staff pages call (borrowing.actions, lending.actions). POST JSON
{"op": ..., ...} to /_peer/drive on 127.0.0.1; the answer is JSON."""

from __future__ import annotations

import json
import traceback
from datetime import date

from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.http import HttpResponseForbidden, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from illdesk import roles
from illdesk.models import Note, ResourceSharingLibrary


def _user() -> User:
    return User.objects.get(username="driver")


def _dates(kwargs: dict) -> dict:
    return {k: date.fromisoformat(v) if k in ("due_date", "reply_by") and isinstance(v, str) else v
            for k, v in kwargs.items()}


def setup(data: dict) -> dict:
    from partners.models import (
        Partner,
        RotaAssignmentRule,
        RotaTemplate,
        RotaTemplateMember,
        WorkflowProfile,
    )

    roles.ensure_roles()
    user, _ = User.objects.get_or_create(username="driver")
    user.groups.add(Group.objects.get(name=roles.OPERATOR), Group.objects.get(name=roles.MANAGER))
    ResourceSharingLibrary.objects.get_or_create(code="LIB", defaults={"name": data["name"],
                                                                       "email": "ill@example.org"})
    flags = {f.name: True for f in WorkflowProfile._meta.get_fields() if f.get_internal_type() == "BooleanField"}
    profile, _ = WorkflowProfile.objects.get_or_create(code="PEER", defaults={"name": "Peers", **flags})
    for p in data["partners"]:
        id_type, _, value = p["symbol"].partition(":")
        Partner.objects.update_or_create(code=p["code"], defaults={
            "name": p["code"], "profile_type": "iso18626", "agency_id_type": id_type, "agency_id_value": value,
            "iso_endpoint": p["endpoint"], "shared_secret": p.get("secret", ""),
            "allowed_networks": p.get("networks", ""), "workflow_profile": profile})
    if data.get("rota"):
        template = RotaTemplate.objects.create(code="ROTA", name="Rota")
        for position, code in enumerate(data["rota"], start=1):
            RotaTemplateMember.objects.create(template=template, partner=Partner.objects.get(code=code),
                                              position=position)
        RotaAssignmentRule.objects.create(name="Articles", template=template, request_type="article",
                                          send_automatically=True)
    return {"ok": True}


def borrow(data: dict) -> dict:
    from borrowing import actions
    from borrowing.models import BorrowingRequest
    from partners.models import Partner

    partner = Partner.objects.get(code=data["partner"]) if data.get("partner") else None
    req = BorrowingRequest.objects.create(
        owner=ResourceSharingLibrary.objects.get(code="LIB"), title=data["title"], isbn=data.get("isbn", ""),
        requested_format=data.get("format", "physical"), request_type=data.get("type", "book"), partner=partner)
    if partner is None:
        req = actions.recalculate_rota(req, by=_user())
    req = actions.send(req, by=_user(), note=data.get("note", ""))
    return {"pk": req.pk, "status": req.status}


def borrowing(data: dict) -> dict:
    from borrowing import actions
    from borrowing.models import BorrowingRequest

    req = BorrowingRequest.objects.get(pk=data["pk"])
    req = getattr(actions, data["action"])(req, by=_user(), **_dates(data.get("kwargs", {})))
    return {"status": req.status}


def _lending_request(data: dict):
    from lending.models import LendingRequest

    id_type, _, value = data["from"].partition(":")
    return (LendingRequest.objects.filter(partner__agency_id_type=id_type, partner__agency_id_value=value,
                                          borrower_request_id=str(data["borrower_id"])).order_by("-pk").first())


def lending(data: dict) -> dict:
    from illdesk.workflow import run_transition
    from lending import actions
    from lending.models import Item
    from partners.notify import notify_partner

    req = _lending_request(data)
    user, action, kwargs = _user(), data["action"], _dates(data.get("kwargs", {}))
    if action == "ship":  # scan out the copy of the record locate found when the request came in
        if req.record_id is None:
            raise AssertionError(f"request {req.pk} was not located (status {req.status})")
        item = Item.objects.filter(record_id=req.record_id, state=Item.State.ON_SHELF).first()
        req = actions.ship_item(req, barcode=item.barcode, by=user)
    elif action == "ship_digitally":
        upload = SimpleUploadedFile("copy.pdf", b"%PDF-1.4 test copy", content_type="application/pdf")
        req = actions.ship_digitally(req, upload=upload, by=user)
    elif action == "overdue":  # what the overdue job does (integrations.jobs.send_overdue_notices)
        with transaction.atomic():
            req = run_transition(req, "mark_overdue", by=None, message="Overdue")
            notify_partner(req, "overdue", by=None)
    else:
        req = getattr(actions, action)(req, by=user, **kwargs)
    return {"status": req.status, "pk": req.pk}


def stock(data: dict) -> dict:
    """Put a title with one item on our shelves, so that locate finds it when the request comes in."""
    from lending.models import BibRecord, Item

    record = BibRecord.objects.create(record_id=f"R-{BibRecord.objects.count() + 1}", title=data["title"],
                                      author="Author, Test")
    Item.objects.create(record=record, barcode=f"ITEM-{record.pk}", library=ResourceSharingLibrary.objects.get(
        code="LIB"), location="Stacks")
    return {"record": record.record_id}


def get(data: dict) -> dict:
    from borrowing.models import BorrowingRequest
    from partners.models import OutboundMessage

    req = (BorrowingRequest.objects.filter(pk=data["pk"]).first() if data["side"] == "borrowing"
           else _lending_request(data))
    if req is None:
        return {"status": None}
    return {
        "status": req.status, "pk": req.pk, "partner": req.partner.code if req.partner_id else None,
        "locate_status": getattr(req, "locate_status", None),
        "due_date": req.due_date.isoformat() if req.due_date else None,
        "notes": list(Note.objects.filter(content_type__model=type(req)._meta.model_name, object_id=req.pk)
                      .values_list("text", flat=True)),
        "messages": list(req.general_messages.values_list("text", flat=True)),
        "outbox": sorted(OutboundMessage.objects.values_list("state", flat=True).distinct()),
    }


def outbox(data: dict) -> dict:
    from partners.messaging.outbox import retry_due
    from partners.models import InboundMessage, OutboundMessage

    swept = retry_due(grace_seconds=0) if data.get("sweep") else 0
    return {
        "swept": swept,
        "out": {s: OutboundMessage.objects.filter(state=s).count() for s in OutboundMessage.State.values},
        "problems": list(OutboundMessage.objects.exclude(state="sent").values("pk", "summary", "state",
                                                                               "last_error")),
        "in_errors": list(InboundMessage.objects.filter(message_status="ERROR").values("summary", "error_value")),
    }


OPS = {"setup": setup, "stock": stock, "borrow": borrow, "borrowing": borrowing, "lending": lending, "get": get,
       "outbox": outbox}


@csrf_exempt
def drive(request):
    if request.META.get("REMOTE_ADDR") not in ("127.0.0.1", "::1"):
        return HttpResponseForbidden("loopback only")
    data = json.loads(request.body)
    try:
        return JsonResponse(OPS[data["op"]](data))
    except Exception as exc:  # the test prints it
        return JsonResponse({"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()},
                            status=400)
