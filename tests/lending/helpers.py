"""Small helpers of the lending tests (fixtures are in conftest.py)."""

from __future__ import annotations

from django.urls import reverse

from lending.models import Item, LendingRequest


def events(calls) -> list[str]:
    return [event for _pk, event, _details in calls]


def fresh(req) -> LendingRequest:
    return LendingRequest.objects.get(pk=req.pk)


def item(barcode: str) -> Item:
    return Item.objects.get(barcode=barcode)


def dialog(client, req, name, data=None, **extra):
    url = reverse("lending:dialog", args=[req.pk, name])
    return client.post(url, data or {}, **extra) if data is not None else client.get(url, **extra)


def perform(client, req, name, note=""):
    return client.post(reverse("lending:perform", args=[req.pk, name]), {"note": note})


def offered(client, req) -> list[str]:
    response = client.get(reverse("lending:detail", args=[req.pk]))
    assert response.status_code == 200
    return [a.name for a in response.context["actions"]]


def history(req, kind=None) -> list[tuple[str, str, str]]:
    qs = req.history.order_by("at", "id")
    if kind:
        qs = qs.filter(kind=kind)
    return list(qs.values_list("field", "old_value", "new_value"))


def statuses(req) -> list[str]:
    return list(req.history.filter(kind="status").order_by("at", "id").values_list("new_value", flat=True))
