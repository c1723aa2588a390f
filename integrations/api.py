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
import logging
import secrets
from typing import Any

from django import forms
from django.db import OperationalError
from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from illdesk.models import Format, LevelOfService, RequestType
from illdesk.workflow import ActionRefused, status_label
from lending.actions.incoming import AlreadyReceived, open_request
from lending.models import LendingRequest

from .models import ApiToken

log = logging.getLogger("illdesk.api")

MAX_BODY_BYTES = 64 * 1024
TOKEN_BYTES = 32
#: Seconds a client is asked to wait before sending again when the database was too busy to take it.
RETRY_AFTER_SECONDS = 2


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


class BodyError(ValueError):
    """The body is no JSON object we read; `field` is the key it is about (None: the body as a whole)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message, self.field = message, field


class JsonNumber:
    """A number as sent, kept as its text: never converted (1e999999 is no float, 5000 digits no int),
    and refused by every field of the form (all of them take text)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def _no_constant(name: str):
    raise BodyError(_("The body is not valid JSON: %(name)s is no JSON value.") % {"name": name})


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, value in pairs:
        if key in data:
            raise BodyError(_("This field is sent more than once."), key)
        data[key] = value
    return data


def parse_body(raw: bytes) -> Any:
    """The body's JSON: UTF-8 only (RFC 8259; a BOM is skipped), no duplicate keys, no NaN or Infinity,
    numbers as JsonNumber. Raises BodyError."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BodyError(_("The body is not UTF-8 (byte %(pos)d).") % {"pos": exc.start}) from None
    try:
        return json.loads(text, object_pairs_hook=_object, parse_int=JsonNumber, parse_float=JsonNumber,
                          parse_constant=_no_constant)
    except BodyError:
        raise
    except RecursionError:  # the C scanner recurses per [ and {
        raise BodyError(_("The body is nested too deeply.")) from None
    except json.JSONDecodeError as exc:
        raise BodyError(_("The body is not valid JSON: %(reason)s (line %(line)d, column %(col)d).") % {
            "reason": exc.msg, "line": exc.lineno, "col": exc.colno}) from None


def prohibit_surrogates(value: Any) -> None:
    """A lone surrogate ("\\ud800" in JSON) is no character: it has no UTF-8, so no database can store it."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise forms.ValidationError(
                _("Text may not contain a lone surrogate (\\u%(code)04x): it is no character."),
                code="surrogate", params={"code": ord(value[exc.start])}) from None


def _not_text(value: Any) -> str | None:
    """Why a JSON value is no text for a field; None for a string, and for null (the field not given)."""
    if value is None or isinstance(value, str):
        return None
    if isinstance(value, dict | list):
        return _("Send a single value.")
    if isinstance(value, bool):
        return _("Send text (a JSON string), not true or false.")
    return _("Send text (a JSON string), not a number.")


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
        """`data` is parse_body's object. Every field takes a JSON string (null: not given); any other
        value is refused before the fields see it, and no field accepts NUL (Django's CharField) or a
        lone surrogate."""
        self.unknown = sorted(set(data) - set(self.base_fields))
        self.not_text = {k: why for k, v in data.items() if k in self.base_fields and (why := _not_text(v))}
        super().__init__({k: v for k, v in data.items()
                          if k in self.base_fields and k not in self.not_text and v is not None})
        self.token = token
        for field in self.fields.values():
            field.validators.append(prohibit_surrogates)

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
        for name, why in self.not_text.items():
            self.add_error(name, why)
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


def _already_created(req: LendingRequest) -> JsonResponse:
    return JsonResponse({**_representation(req), "created": False}, status=200)


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
    if not (length.isascii() and length.isdigit()):  # "²".isdigit(), but int("²") fails
        return _problem(411, _("Send the body with a Content-Length."))
    if int(length) > MAX_BODY_BYTES:
        return _problem(413, _("The body may be at most %(n)d bytes.") % {"n": MAX_BODY_BYTES})
    try:
        data = parse_body(request.read(MAX_BODY_BYTES + 1))
    except BodyError as exc:
        return JsonResponse({"errors": {exc.field or "__all__": [exc.message]}}, status=400)
    if not isinstance(data, dict):
        return _problem(400, _("Send a JSON object."))
    form = LendingRequestForm(data, token=token)
    if not form.is_valid():
        return JsonResponse({"errors": _errors(form)}, status=400)
    fields = form.lending_fields()
    # The form sent twice: answer with what the first one created (200, not 201). A copy sent later finds
    # it here; copies sent at the same moment are settled by the database (one open lending request per
    # borrower's request) and the one that loses is answered the same. A closed one does not count.
    existing = open_request(token.partner, fields["borrower_request_id"])
    if existing is not None:
        return _already_created(existing)
    try:
        req = create_incoming(token.partner, fields=fields, by=None)
    except AlreadyReceived as exc:
        return _already_created(exc.request)
    except ActionRefused as exc:
        return _problem(exc.status if 400 <= exc.status < 500 else 409, exc.message)
    except OperationalError:  # SQLite: "database is locked" by another writer; nothing was written
        log.warning("lending request API: the database was busy; the client is asked to send again", exc_info=True)
        response = _problem(503, _("The system is busy: nothing was saved. Send the request again in a moment."))
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
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
