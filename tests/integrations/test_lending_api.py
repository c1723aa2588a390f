"""The lending request API for partners' web forms (seed 004)."""

from __future__ import annotations

import json

import pytest

from integrations import api
from integrations.models import ApiToken
from lending.models import BibRecord, LendingRequest

URL = "/api/lending-requests"
BOOK = {"borrower_request_id": "HY-2026-0042", "title": "Seitsemän veljestä", "author": "Kivi, Aleksis",
        "isbn": "9789510000000", "requester_name": "Professor X", "last_interest_date": "2027-01-31"}


def make_token(partner, **fields) -> tuple[str, ApiToken]:
    token = ApiToken(partner=partner, **fields)
    raw = api.issue_token(token)
    token.save()
    return raw, token


@pytest.fixture
def token(iso_partner, library) -> str:
    return make_token(iso_partner, name="Lending form")[0]


def post(client, body, token: str | None, **extra):
    headers = {"HTTP_AUTHORIZATION": f"Token {token}"} if token else {}
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(URL, data=data, content_type=extra.pop("content_type", "application/json"), **headers,
                       **extra)


@pytest.mark.django_db
def test_it_creates_a_lending_request_and_locate_runs(client, token, iso_partner, library):
    BibRecord.objects.create(record_id="B1", title="Seitsemän veljestä", isbn="9789510000000")
    response = post(client, BOOK, token)
    assert response.status_code == 201, response.content
    body = response.json()
    req = LendingRequest.objects.get(pk=body["id"])
    assert body["status"] == req.status and body["status_label"] == req.get_status_display()
    assert body["created"] is True
    assert response["Location"].endswith(f"/api/lending-requests/{req.pk}")
    assert (req.partner, req.owner, req.borrower_request_id, req.title) == (
        iso_partner, library, "HY-2026-0042", "Seitsemän veljestä")
    assert str(req.last_interest_date) == "2027-01-31" and req.requester_name == "Professor X"
    assert req.locate_status != LendingRequest.LocateStatus.NOT_RUN  # locate ran at creation
    assert ApiToken.objects.get().last_used_at is not None


@pytest.mark.django_db
def test_it_goes_through_the_lending_workflows_create_incoming(client, token, iso_partner, library, monkeypatch):
    calls = []

    def recorder(partner, *, fields, by=None):
        calls.append((partner, fields, by))
        return LendingRequest.objects.create(partner=partner, owner=library, **fields)

    monkeypatch.setattr(api, "create_incoming", recorder)
    response = post(client, {**BOOK, "requested_format": "digital", "chapter_title": "Luku 1", "pages": "1-20",
                             "partner": "peer"}, token)
    assert response.status_code == 201
    (partner, fields, by), = calls
    assert partner == iso_partner and by is None
    assert fields["requested_format"] == "digital" and fields["request_type"] == "book"
    assert "partner" not in fields and "owner" not in fields


@pytest.mark.django_db
def test_a_token_with_a_library_sends_requests_there(client, iso_partner, library, monkeypatch):
    from illdesk.models import ResourceSharingLibrary

    branch = ResourceSharingLibrary.objects.create(code="BRANCH", name="Branch")
    raw, _token = make_token(iso_partner, library=branch)
    response = post(client, BOOK, raw)
    assert response.status_code == 201
    assert LendingRequest.objects.get().owner == branch


@pytest.mark.django_db
def test_validation_errors_come_back_per_field(client, token):
    response = post(client, {"title": "", "requested_format": "vinyl", "needed_by": "31.1.2027", "colour": "red",
                             "author": ["a", "b"]}, token)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"borrower_request_id", "title", "requested_format", "needed_by", "author", "__all__"}
    assert errors["title"] == ["This field is required."]
    assert errors["__all__"] == ["Unknown field “colour”."]
    assert not LendingRequest.objects.exists()


@pytest.mark.django_db
def test_a_token_speaks_for_its_own_partner_only(client, token):
    response = post(client, {**BOOK, "partner": "SOMEONE"}, token)
    assert response.status_code == 400
    assert response.json()["errors"]["partner"] == ["This token belongs to partner PEER."]


@pytest.mark.django_db
@pytest.mark.parametrize("header", [None, "Token nope", "Bearer abc", "Token "])
def test_without_a_valid_token_it_answers_401(client, header, token):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.post(URL, data=json.dumps(BOOK), content_type="application/json", **extra)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Token")


@pytest.mark.django_db
def test_inactive_tokens_and_partners_are_refused(client, iso_partner):
    raw, token = make_token(iso_partner)
    token.active = False
    token.save()
    assert post(client, BOOK, raw).status_code == 401
    raw2, _t = make_token(iso_partner)
    iso_partner.active = False
    iso_partner.save()
    assert post(client, BOOK, raw2).status_code == 401


@pytest.mark.django_db
def test_json_only_and_a_size_limit(client, token):
    assert post(client, "title=x", token, content_type="application/x-www-form-urlencoded").status_code == 415
    assert post(client, "{not json", token).status_code == 400
    assert post(client, "[1, 2]", token).status_code == 400
    big = {**BOOK, "request_note": "x" * (api.MAX_BODY_BYTES + 1)}
    assert post(client, big, token).status_code == 413
    assert client.get(URL).status_code == 405


@pytest.mark.django_db
def test_a_form_sent_twice_does_not_create_two_requests(client, token):
    first = post(client, BOOK, token)
    second = post(client, BOOK, token)
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["id"] == first.json()["id"] and second.json()["created"] is False
    assert LendingRequest.objects.count() == 1


@pytest.mark.django_db
def test_a_partner_reads_its_own_requests_only(client, token, email_partner):
    created = post(client, BOOK, token).json()
    response = client.get(f"{URL}/{created['id']}", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200
    assert response.json()["borrower_request_id"] == "HY-2026-0042"
    other, _t = make_token(email_partner)
    assert client.get(f"{URL}/{created['id']}", HTTP_AUTHORIZATION=f"Token {other}").status_code == 404
    assert client.get(f"{URL}/{created['id']}").status_code == 401


@pytest.mark.django_db
def test_only_a_hash_of_the_token_is_stored(iso_partner):
    raw, token = make_token(iso_partner)
    token.refresh_from_db()
    assert raw not in (token.token_hash, token.prefix) and token.prefix == raw[:8]
    assert token.token_hash == api.hash_token(raw)


@pytest.mark.django_db
def test_the_admin_shows_a_new_token_once(client, admin_user, iso_partner):
    admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    response = client.post("/admin/integrations/apitoken/add/", {"partner": iso_partner.pk, "name": "Form",
                                                                  "active": "on"})
    assert response.status_code == 200
    raw = response.context["raw_token"]
    assert raw in response.content.decode()
    token = ApiToken.objects.get()
    assert token.token_hash == api.hash_token(raw) and token.created_by == admin_user
    page = client.get(f"/admin/integrations/apitoken/{token.pk}/change/").content.decode()
    assert raw not in page


@pytest.mark.django_db
def test_it_needs_no_csrf_token(token):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert post(strict, BOOK, token).status_code == 201
