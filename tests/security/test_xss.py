"""XSS: hostile text in every free-text field — typed by staff and patrons, sent by partners through
/iso18626 and the lending API, configured in the admin — is shown as text on every page, fragment,
email, printed slip and invoice, never as live markup; query parameters reflected into pages too.

The oracle (tests/security/html.py) parses each document like a browser: any <script> with the payload,
any event-handler attribute running it, the <img src=x>, or a javascript: URL in a link is a failure;
the sandboxed letter previews (iframe srcdoc) are parsed as documents of their own. And every page that
shows one of these fields must show the payload as text, so the check cannot pass by showing nothing.
"""

from __future__ import annotations

import json
import logging
import re
from urllib.parse import urlencode

import pytest
from django.core import mail
from django.test import Client

from borrowing.models import BorrowingRequest
from lending.models import LendingRequest
from letters import catalog
from partners.iso18626 import serialize
from partners.iso18626.messages import (
    Action,
    AgencyId,
    BibliographicInfo,
    Header,
    ReasonForMessage,
    Request,
    ServiceInfo,
    ServiceType,
    Status,
)
from tests.factories import make_borrowing
from tests.partners.iso_helpers import PEER, US, post, ram, sam, stamp, status_of

from . import html, matrix
from .matrix import admin_object_ids, admin_urls
from .test_access_matrix import GET
from .world import build

pytestmark = pytest.mark.django_db

PAYLOAD = '<script>alert(1)</script>"><img src=x onerror=alert(1)>'
SHORT = '"><img src=x onerror=alert(1)>'
JS_URL = "javascript:alert(1)"


def hostile(default: str, limit: int) -> str:
    """The whole payload where the column holds it, the attribute breakout where only that fits."""
    return PAYLOAD if limit >= len(PAYLOAD) else SHORT if limit >= len(SHORT) else default


@pytest.fixture(autouse=True)
def _quiet():
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _poison_through_the_front_doors(w, cast) -> dict[str, int]:
    """The ways hostile text really comes in; returns the ids of what they created."""
    made = {}
    # a patron's request form
    patron = logged_in(cast.patron.user)
    response = patron.post("/opac/request/", {
        "request_type": "book", "title": PAYLOAD, "author": PAYLOAD, "publisher": PAYLOAD, "year": "2020",
        "requested_format": "physical", "pickup_location": cast.pickup.pk, "request_note": PAYLOAD})
    assert response.status_code == 302, response.content[:500]
    made["opac_new"] = int(re.search(r"/opac/request/(\d+)/sent/", response["Location"])[1])
    assert patron.post(f"/opac/requests/{w.ids['opac_own']}/cancel/", {"note": PAYLOAD}).status_code == 302

    # a partner through /iso18626: a new lending request, notes on it and on one of our borrowing requests
    message = Request(Header(US, PEER, stamp(), "BRW-XSS", ""),
                      BibliographicInfo(title=PAYLOAD, author=PAYLOAD, title_of_component=PAYLOAD),
                      service_info=ServiceInfo(ServiceType.LOAN, note=PAYLOAD))
    _, confirmation = post(serialize(message))
    assert status_of(confirmation) == "OK"
    made["iso_lending"] = LendingRequest.objects.get(borrower_request_id="BRW-XSS").pk
    assert status_of(post(ram("BRW-XSS", Action.NOTIFICATION, note=PAYLOAD))[1]) == "OK"
    sent = make_borrowing(cast.library, "sent", partner=cast.iso_partner, title="Sent to the peer")
    made["iso_borrowing"] = sent.pk
    assert status_of(post(sam(sent.pk, None, ReasonForMessage.NOTIFICATION, note=PAYLOAD))[1]) == "OK"
    assert status_of(post(sam(sent.pk, Status.LOANED, note=PAYLOAD))[1]) == "OK"
    unknown = serialize(Request(Header(US, AgencyId("ISIL", PAYLOAD[:30]), stamp(), PAYLOAD[:40], ""),
                                BibliographicInfo(title=PAYLOAD)))
    post(unknown)  # a stranger: refused, but kept in the log staff read

    # a partner's web form through the lending API
    response = Client().post("/api/lending-requests", json.dumps({
        "borrower_request_id": "API-XSS", "title": PAYLOAD, "author": PAYLOAD, "requester_name": PAYLOAD,
        "request_note": PAYLOAD, "publisher": PAYLOAD}), content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {w.api_token}")
    assert response.status_code == 201, response.content
    made["api_lending"] = response.json()["id"]

    # staff: messages, conditions, notes, tags, letters, partner emails, batches
    staff = logged_in(cast.operator)
    ok = (204, 302)
    assert staff.post(f"/borrowing/{w.ids['received']}/dialog/general_message/", {"text": PAYLOAD}).status_code in ok
    assert staff.post(f"/lending/{w.ids['lending']}/dialog/general_message/", {"text": PAYLOAD}).status_code in ok
    assert staff.post(f"/lending/{w.ids['lending_copy']}/dialog/conditional/", {
        "reason": PAYLOAD, "reply_by": "2099-12-31", "note": PAYLOAD}).status_code in ok
    assert staff.post(f"/borrowing/{w.ids['unlinked']}/dialog/cancel/", {"note": PAYLOAD}).status_code in ok
    assert staff.post("/borrowing/bulk/", {"op": "add_tag", "tag": PAYLOAD, "ids": [w.ids["borrowing"]]}).status_code \
        == 302
    assert staff.post(f"/borrowing/{w.ids['borrowing']}/dialog/send_email_to_partner/", {
        "to": "ill@mail.example.org", "subject": PAYLOAD, "body": PAYLOAD}).status_code in ok
    code = next(s.code for s in catalog.for_side("borrowing") if "note" in s.variables)
    made["letter_code"] = code
    response = staff.post(f"/letters/request/borrowing/{w.ids['received']}/compose/", {
        "code": code, "shown_code": code, "to": "pia@example.org", "language": "en", "var_note": PAYLOAD,
        "send": "1"})
    assert response.status_code in ok, response.content[:800]
    response = staff.post(f"/letters/request/borrowing/{w.ids['received']}/partners/", {
        "partners": [cast.email_partner.pk], "subject": PAYLOAD, "body": PAYLOAD, "fingerprint": "edited",
        "send": "1"})
    assert response.status_code in ok, response.content[:800]
    response = staff.post("/tools/batches/", {"name": PAYLOAD + " (2)", "note": PAYLOAD, "library": cast.library.pk})
    assert response.status_code == 302
    made["new_batch"] = int(response["Location"].rstrip("/").rsplit("/", 1)[1])
    # the operator (whose name is hostile) opens Edit: others are told who holds the request
    assert staff.get(f"/lending/{w.ids['lending_copy']}/dialog/edit/").status_code == 200
    return made


@pytest.fixture
def poisoned(cast):
    w = build(cast, hostile)
    w.ids.update(missing=999_999, admin_user=cast.admin_user.pk, ct_borrowing=1)
    w.ids.update(_poison_through_the_front_doors(w, cast))
    return w


REFLECTED = [  # query parameters a page echoes back (into inputs, links, headings)
    "/borrowing/?q={p}", "/lending/?q={p}&tab=unassigned", "/borrowing/?sort={p}&preset={p}&tag={p}",
    "/borrowing/{borrowing}/resources/?title={p}&author={p}", "/lending/{lending}/dialog/search/?title={p}",
    "/lending/ship/?request={p}", "/jobs/?job={p}&profile={p}", "/jobs/{job_run}/?outcome={p}", "/tools/scan/?mode={p}",
    "/reports/?start={p}&end={p}", "/reports/invoices/?partner={p}&start={p}", "/reports/copyright/?year={p}",
    "/letters/request/borrowing/{borrowing}/compose/?code={p}", "/opac/link/{unlinked}/?q={p}",
    "/borrowing/{borrowing}/tab/history/?mode={p}", "/lending/report/?ids={lending}&next={p}",
    "/letters/print/borrowing/?ids={borrowing}&size={p}",
]
OPENURL = "/opac/request/?" + urlencode({"genre": "article", "atitle": PAYLOAD, "title": PAYLOAD, "aulast": PAYLOAD,
                                          "rft.jtitle": PAYLOAD, "rft_id": "info:doi/" + PAYLOAD, "sid": PAYLOAD})


def _request_pages(w, cast) -> list[str]:
    """Every request's page, every tab, the letters and partner-message pages, and each dialog offered."""
    from borrowing.views import SIDE as BORROWING
    from lending.views import SIDE as LENDING

    urls = []
    for side, model in ((BORROWING, BorrowingRequest), (LENDING, LendingRequest)):
        for req in model.objects.all():
            urls.append(f"/{side.name}/{req.pk}/")
            urls += [f"/{side.name}/{req.pk}/tab/{tab}/" for tab, _label in side.tabs]
            urls += [f"/letters/request/{side.name}/{req.pk}/", f"/iso18626/messages/{side.name}/{req.pk}/"]
            urls += [f"/{side.name}/{req.pk}/dialog/{a.name}/" for a in side.actions_for(req, cast.manager)
                     if side.dialog(a.name) is not None]
    return urls


def _crawl(w, cast):
    """(who, url, response) for every page each role may open in the poisoned world."""
    users = {"anonymous": None, "patron": cast.patron.user, "operator": cast.operator, "manager": cast.manager,
             "admin": cast.admin_user}
    clients = {role: (logged_in(user) if user else Client()) for role, user in users.items()}
    ids = {**w.ids, **admin_object_ids()}
    for url, outcomes in GET.items():
        for role, outcome in outcomes.items():
            if outcome == "ok":
                yield role, url, clients[role].get(matrix.fill(url, ids))
    for _label, kind, url in admin_urls():
        if kind in ("changelist", "change", "delete", "history"):
            yield "admin", url, clients["admin"].get(matrix.fill(url, ids))
    for url in _request_pages(w, cast):
        yield "manager", url, clients["manager"].get(url)
        yield "manager (htmx)", url, clients["manager"].get(url, HTTP_HX_REQUEST="true")
    for url in ("/borrowing/", "/lending/?tab=unassigned", "/lending/?tab=mine", "/borrowing/?preset=all"):
        yield "operator (htmx)", url, clients["operator"].get(url, HTTP_HX_REQUEST="true")
    for url in (f"/opac/requests/{w.ids['opac_new']}/", f"/opac/request/{w.ids['opac_new']}/sent/",
                f"/opac/requests/{w.ids['opac_own']}/", f"/opac/requests/{w.ids['opac_loan']}/renew/", OPENURL):
        yield "patron", url, clients["patron"].get(url)
    for url in (f"/tools/batches/{w.ids['new_batch']}/", f"/letters/request/borrowing/{w.ids['received']}/compose/"
                f"?code={w.ids['letter_code']}", f"/lending/report/?ids={w.ids['lending']}&ids={w.ids['api_lending']}",
                f"/letters/print/lending/?ids={w.ids['lending']}&ids={w.ids['iso_lending']}"):
        yield "operator", url, clients["operator"].get(url)
    locked = w.ids["lending_copy"]
    for url in (f"/lending/{locked}/dialog/edit/", f"/lending/{locked}/dialog/general_message/"):
        for who, headers in (("manager", {}), ("manager (htmx)", {"HTTP_HX_REQUEST": "true"})):
            response = clients["manager"].get(url, **headers)
            assert response.status_code == 409 and "is editing this request" in response.content.decode(), url
            yield who, url, response
    for template in REFLECTED:
        url = matrix.fill(template.replace("{p}", "§"), ids).replace("§", PAYLOAD)
        yield "manager", url, clients["manager"].get(url)


# Pages that show a hostile field: each must show the payload as text (the check saw it rendered).
MUST_SHOW = [
    "/borrowing/", "/lending/", "/borrowing/{borrowing}/", "/lending/{lending}/", "/borrowing/{received}/tab/messages/",
    "/lending/{lending}/tab/messages/", "/borrowing/{borrowing}/tab/notes/", "/borrowing/{borrowing}/tab/history/",
    "/borrowing/{borrowing}/tab/attachments/", "/lending/{lending}/tab/alerts/", "/borrowing/{borrowing}/tab/rota/",
    "/borrowing/{borrowing}/tab/communications/", "/borrowing/{iso_borrowing}/tab/messages/",
    "/borrowing/{iso_borrowing}/tab/notes/", "/lending/{iso_lending}/", "/lending/{iso_lending}/tab/messages/",
    "/lending/{api_lending}/", "/borrowing/{opac_new}/", "/borrowing/{unlinked}/tab/history/",
    "/lending/{lending_copy}/", "/opac/requests/", "/opac/requests/{opac_own}/", "/opac/requests/{opac_new}/",
    "/opac/request/{opac_new}/sent/", "/letters/letter/{borrowing_letter}/", "/letters/request/borrowing/{received}/",
    "/iso18626/problems/", "/iso18626/messages/borrowing/{borrowing}/", "/jobs/", "/jobs/{job_run}/", "/tools/batches/",
    "/tools/batches/{batch}/", "/tools/batches/{new_batch}/", "/reports/invoices/", "/reports/invoices/{invoice}/",
    "/opac/link/{unlinked}/", "/lending/{lending}/dialog/more_details/", "/lending/ship/",
    "/admin/illdesk/patron/", "/admin/partners/partner/", "/admin/illdesk/note/", "/borrowing/?q=" + PAYLOAD,
]


def _shown(document: str) -> bool:
    page = html.parse(document)
    return page.shows(PAYLOAD) or page.shows(SHORT)


def test_no_page_turns_hostile_text_into_markup(poisoned, cast):
    ids = {**poisoned.ids, **admin_object_ids()}
    must_show = {matrix.fill(url, ids) for url in MUST_SHOW}
    live, shown, pages, errors = [], set(), 0, []
    for who, url, response in _crawl(poisoned, cast):
        path = matrix.fill(url, ids) if "{" in url else url
        if response.status_code >= 500:
            errors.append(f"{path} as {who}: {response.status_code}")
        if "text/html" not in response.get("Content-Type", ""):  # PDFs, CSV, JSON, the admin's JavaScript
            continue
        pages += 1
        document = response.content.decode()
        live += [f"{path} as {who}: {what}" for what in html.parse(document).live]
        if _shown(document):
            shown.add(path)
    assert not errors, "\n".join(errors)
    assert not live, "live markup from hostile text:\n" + "\n".join(live)
    assert pages > 600
    assert must_show <= shown, "pages that should show the hostile text as text but did not:\n" + \
        "\n".join(sorted(must_show - shown))


def test_emails_carry_hostile_text_as_text(poisoned):
    """Letters (compose, the partner email, the patron's and the partner's notifications) as they go out."""
    from letters import outbox

    outbox.sweep()  # what the beat sweeper would deliver after the commits this test never makes
    html_parts = [(m.subject, body) for m in mail.outbox for body, kind in getattr(m, "alternatives", [])
                  if kind == "text/html"]
    assert len(html_parts) >= 3
    live = [f"{subject}: {what}" for subject, body in html_parts for what in html.parse(body).live]
    assert not live, "\n".join(live)
    assert sum(_shown(body) for _subject, body in html_parts) >= 2
    assert all("\n" not in m.subject and "\r" not in m.subject for m in mail.outbox)  # no header injection


@pytest.fixture
def printed(monkeypatch):
    """The HTML every PDF is made from (WeasyPrint renders it; the PDF shows what the HTML says)."""
    import weasyprint

    documents: list[str] = []
    real = weasyprint.HTML

    def capture(*args, string=None, **kwargs):
        documents.append(string)
        return real(*args, string=string, **kwargs)

    monkeypatch.setattr(weasyprint, "HTML", capture)
    return documents


def test_slips_reports_and_invoices_print_hostile_text_as_text(poisoned, cast, printed):
    staff, manager = logged_in(cast.operator), logged_in(cast.manager)
    ids = poisoned.ids
    urls = [
        f"/letters/request/borrowing/{ids['received']}/slip/receive_slip/",
        f"/letters/request/lending/{ids['lending']}/slip/incoming_slip/",
        f"/letters/request/lending/{ids['iso_lending']}/slip/incoming_slip/",
        f"/letters/print/borrowing/?ids={ids['received']}&download=1",
        f"/lending/{ids['lending']}/dialog/print_slip/?download=1",
    ]
    for url in urls:
        response = staff.get(url)
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf", url
    assert manager.get(f"/reports/invoices/{ids['invoice']}/invoice.pdf").status_code == 200
    assert len(printed) == len(urls) + 1
    for document in printed:
        assert not html.parse(document).live
    assert all(_shown(document) for document in printed)


def test_a_letter_link_must_be_a_web_address(poisoned, cast):
    """download_url goes into the patron's email as a link: javascript: (or any non-web scheme) is refused."""
    from letters.models import SentLetter

    staff = logged_in(cast.operator)
    url = f"/letters/request/borrowing/{poisoned.ids['received']}/compose/"
    before = SentLetter.objects.count()
    for bad in (JS_URL, " JavaScript:alert(1)", "data:text/html;base64,PHNjcmlwdD4=", "vbscript:x", "file:///etc/passwd"):
        response = staff.post(url, {"code": "patron_digital_delivery", "shown_code": "patron_digital_delivery",
                                    "to": "pia@example.org", "language": "en", "var_download_url": bad, "send": "1"})
        assert response.status_code == 400, bad
        assert "Enter a web address" in response.content.decode(), bad
    assert SentLetter.objects.count() == before
    response = staff.post(url, {"code": "patron_digital_delivery", "shown_code": "patron_digital_delivery",
                                "to": "pia@example.org", "language": "en", "send": "1",
                                "var_download_url": "https://files.example.org/d/abc"})
    assert response.status_code == 302
    assert 'href="https://files.example.org/d/abc"' in SentLetter.objects.latest("pk").body_html


def test_the_oracle_sees_live_markup():
    """What the checks above rely on: live payloads are found, escaped ones are text."""
    from django.utils.html import escape

    assert html.parse(f"<p>{PAYLOAD}</p>").live
    assert html.parse(f'<input value="{SHORT}">').live
    assert html.parse(f'<a href=" {JS_URL}">x</a>').live
    assert html.parse(f'<iframe sandbox srcdoc="{escape(PAYLOAD)}"></iframe>').live  # the letter itself runs it
    assert html.parse(f'<iframe srcdoc="{escape(escape(PAYLOAD))}"></iframe>').live  # not sandboxed
    escaped = html.parse(f'<p>{escape(PAYLOAD)}</p><input value="{escape(SHORT)}">')
    assert not escaped.live and escaped.shows(PAYLOAD)
    assert not html.parse(f'<iframe sandbox srcdoc="{escape(escape(PAYLOAD))}"></iframe>').live
