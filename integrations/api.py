"""The lending request API (seed 004: Helsinki's lending form posts straight into the system).

    POST /api/lending-requests           create a lending request (locate runs), 201 {id, status, status_label}
    GET  /api/lending-requests/<id>      one of the calling partner's requests

Authentication: `Authorization: Token <token>`; a token belongs to one partner (ApiToken). JSON in,
JSON out; validation errors come back per field with HTTP 400.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from typing import Any

from django import forms
from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from illdesk.models import Format, LevelOfService, RequestType
from illdesk.workflow import ActionRefused, status_label
from lending.models import LendingRequest

from .models import ApiToken

MAX_BODY_BYTES = 64 * 1024
TOKEN_BYTES = 32


# --- tokens -----------------------------------------------------------------------------------------


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(token: ApiToken) -> str:
    """Give `token` a new secret and return it; only its hash is stored, so this is the one time it
    can be shown."""
    raw = secrets.token_urlsafe(TOKEN_BYTES)
    token.prefix = raw[:8]
    token.token_hash = hash_token(raw)
    return raw


def authenticate(request: HttpRequest) -> ApiToken | None:
    header = request.headers.get("Authorization", "")
    scheme, _sep, raw = header.partition(" ")
    raw = raw.strip()
    if scheme.lower() != "token" or not raw or len(raw) > 200:
        return None
    digest = hash_token(raw)
    token = (ApiToken.objects.select_related("partner", "library").filter(token_hash=digest, active=True,
                                                                           partner__active=True).first())
    if token is None or not hmac.compare_digest(token.token_hash, digest):
        return None
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token


# --- the contract with the lending workflow ---------------------------------------------------------


def create_incoming(partner, *, fields: dict[str, Any], by=None) -> LendingRequest:
    """lending.actions.create_incoming: creates the request and runs locate."""
    from lending.actions import create_incoming as create

    return create(partner, fields=fields, by=by)


# --- validation -------------------------------------------------------------------------------------


class LendingRequestForm(forms.Form):
    """What a partner's form may send. Unknown fields are refused so typos don't vanish silently."""

    borrower_request_id = forms.CharField(max_length=100)
    title = forms.CharField(max_length=500)
    author = forms.CharField(max_length=300, required=False)
    request_type = forms.ChoiceField(choices=RequestType.choices, required=False)
    requested_format = forms.ChoiceField(choices=Format.choices, required=False)
    isbn = forms.CharField(max_length=40, required=False)
    issn = forms.CharField(max_length=20, required=False)
    publisher = forms.CharField(max_length=300, required=False)
    place_of_publication = forms.CharField(max_length=200, required=False)
    year = forms.CharField(max_length=20, required=False)
    edition = forms.CharField(max_length=100, required=False)
    volume = forms.CharField(max_length=50, required=False)
    issue = forms.CharField(max_length=50, required=False)
    pages = forms.CharField(max_length=50, required=False)
    chapter_title = forms.CharField(max_length=500, required=False)
    chapter_author = forms.CharField(max_length=300, required=False)
    doi = forms.CharField(max_length=200, required=False)
    pmid = forms.CharField(max_length=20, required=False)
    oclc_number = forms.CharField(max_length=30, required=False)
    requester_name = forms.CharField(max_length=200, required=False)
    needed_by = forms.DateField(required=False, input_formats=["%Y-%m-%d"])
    last_interest_date = forms.DateField(required=False, input_formats=["%Y-%m-%d"])
    level_of_service = forms.CharField(max_length=30, required=False)
    request_note = forms.CharField(max_length=2000, required=False)
    partner = forms.CharField(max_length=40, required=False)

    def __init__(self, data: dict[str, Any], *, token: ApiToken) -> None:
        self.unknown = sorted(set(data) - set(self.base_fields))
        self.not_text = sorted(k for k, v in data.items() if k in self.base_fields and isinstance(v, dict | list))
        super().__init__({k: v for k, v in data.items() if k in self.base_fields and k not in self.not_text})
        self.token = token

    def clean_partner(self) -> str:
        code = self.cleaned_data["partner"].strip()
        if code and code.casefold() != self.token.partner.code.casefold():
            raise forms.ValidationError(_("This token belongs to partner %(code)s.") % {
                "code": self.token.partner.code})
        return code

    def clean_level_of_service(self):
        code = self.cleaned_data["level_of_service"].strip()
        if not code:
            return None
        level = LevelOfService.objects.filter(code__iexact=code).first()
        if level is None:
            raise forms.ValidationError(_("Unknown level of service “%(code)s”.") % {"code": code})
        return level

    def clean(self) -> dict[str, Any]:
        for name in self.unknown:
            self.add_error(None, _("Unknown field “%(name)s”.") % {"name": name})
        for name in self.not_text:
            self.add_error(name, _("Send a single value."))
        if self.data.get("requested_format") == Format.DIGITAL and not (
                self.data.get("chapter_title") or self.data.get("pages")):
            self.add_error("chapter_title", _("A digital copy needs the article or chapter title, or the pages."))
        return self.cleaned_data

    def lending_fields(self) -> dict[str, Any]:
        data = {k: v for k, v in self.cleaned_data.items() if k != "partner" and v not in ("", None)}
        data.setdefault("request_type", RequestType.BOOK)
        data.setdefault("requested_format", Format.PHYSICAL)
        if self.token.library_id:
            data["owner"] = self.token.library
        return data


def _errors(form: forms.Form) -> dict[str, list[str]]:
    return {("__all__" if name == "__all__" else name): [e["message"] for e in errors]
            for name, errors in form.errors.get_json_data().items()}


def _problem(status: int, message: str, **extra: Any) -> JsonResponse:
    response = JsonResponse({"errors": {"__all__": [message]}, **extra}, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Token realm="illdesk"'
    return response


def _representation(req: LendingRequest) -> dict[str, Any]:
    return {
        "id": req.pk, "status": req.status, "status_label": status_label(LendingRequest, req.status),
        "borrower_request_id": req.borrower_request_id, "title": req.title,
        "requested_format": req.requested_format,
        "due_date": req.due_date.isoformat() if req.due_date else None,
        "created_at": req.created_at.isoformat(), "updated_at": req.updated_at.isoformat(),
        "url": reverse("integrations:api_lending_request", args=[req.pk]),
    }


# --- views ------------------------------------------------------------------------------------------


@csrf_exempt
def lending_requests(request: HttpRequest) -> JsonResponse:
    if request.method != "POST":
        response = _problem(405, _("Use POST to create a lending request."))
        response["Allow"] = "POST"
        return response
    token = authenticate(request)
    if token is None:
        return _problem(401, _("Send a valid token: “Authorization: Token <token>”."))
    if request.content_type != "application/json":
        return _problem(415, _("Send JSON (Content-Type: application/json)."))
    length = request.headers.get("Content-Length", "")
    if not length.isdigit():
        return _problem(411, _("Send the body with a Content-Length."))
    if int(length) > MAX_BODY_BYTES:
        return _problem(413, _("The body may be at most %(n)d bytes.") % {"n": MAX_BODY_BYTES})
    try:
        data = json.loads(request.read(MAX_BODY_BYTES + 1))
    except (UnicodeDecodeError, ValueError):
        return _problem(400, _("The body is not valid JSON."))
    if not isinstance(data, dict):
        return _problem(400, _("Send a JSON object."))
    form = LendingRequestForm(data, token=token)
    if not form.is_valid():
        return JsonResponse({"errors": _errors(form)}, status=400)
    fields = form.lending_fields()
    existing = (LendingRequest.objects.filter(partner=token.partner, borrower_request_id=fields["borrower_request_id"],
                                              is_active=True).order_by("-pk").first())
    if existing is not None:  # the form was sent twice: answer with what the first one created
        return JsonResponse({**_representation(existing), "created": False}, status=200)
    try:
        req = create_incoming(token.partner, fields=fields, by=None)
    except ActionRefused as exc:
        return _problem(exc.status if 400 <= exc.status < 500 else 409, exc.message)
    response = JsonResponse({**_representation(req), "created": True}, status=201)
    response["Location"] = request.build_absolute_uri(reverse("integrations:api_lending_request", args=[req.pk]))
    return response


@csrf_exempt
def lending_request(request: HttpRequest, pk: int) -> JsonResponse:
    if request.method != "GET":
        response = _problem(405, _("Use GET."))
        response["Allow"] = "GET"
        return response
    token = authenticate(request)
    if token is None:
        return _problem(401, _("Send a valid token: “Authorization: Token <token>”."))
    req = LendingRequest.objects.filter(pk=pk, partner=token.partner).first()
    if req is None:
        return _problem(404, _("No such lending request of yours."))
    return JsonResponse(_representation(req))
