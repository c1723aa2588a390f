"""The lending bulk bar: print slip report (Excel or XML; downloaded, or emailed to a user or a
printer's address; requests marked reported) and remove alerts (seed 002)."""

import io

import openpyxl
from django.core import mail
from django.urls import reverse
from lxml import etree

from illdesk.models import Alert
from lending import actions
from lending.models import LendingRequest
from tests.factories import make_lending

from .helpers import fresh

REPORT = reverse("lending:report")


def _requests(library, partner, kuhn, operator):
    located = actions.create_incoming(partner, fields={"title": kuhn.title, "author": kuhn.author,
                                                       "isbn": kuhn.isbn, "borrower_request_id": "BRW-1",
                                                       "external_id": "ISO-1"})
    shipped = actions.ship_item(actions.create_incoming(partner, fields={"title": kuhn.title, "isbn": kuhn.isbn}),
                                barcode="39001000002", by=operator)
    nasty = make_lending(library, "created", partner, title="=HYPERLINK(\"http://evil\")\x0b & <b>",
                         author="Ö'Brien")
    return [located, shipped, nasty]


def test_the_dialog_lists_the_selection(client, operator, library, iso_partner, kuhn):
    reqs = _requests(library, iso_partner, kuhn, operator)
    client.force_login(operator)
    page = client.post(REPORT, {"ids": [r.pk for r in reqs], "next": "/lending/?tab=mine"})
    assert page.status_code == 200
    assert [r.pk for r in page.context["requests"]] == [r.pk for r in reqs]
    assert not LendingRequest.objects.filter(reported=True).exists()


def test_download_as_excel(client, operator, library, iso_partner, kuhn, django_assert_max_num_queries):
    reqs = _requests(library, iso_partner, kuhn, operator)
    client.force_login(operator)
    with django_assert_max_num_queries(20):
        response = client.post(REPORT, {"ids": [r.pk for r in reqs], "target": "user", "format": "xlsx",
                                        "download": "1"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"].startswith('attachment; filename="lending-requests-report-')
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("Request id", "External identifier", "Borrower's request id", "Partner", "Title")
    by_id = {r[0]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    located, shipped, nasty = reqs
    assert by_id[located.pk]["Location"] == "Stacks; Closed stacks"
    assert by_id[located.pk]["Call number"] == "501 KUH; 501 KUH c.2"
    assert by_id[located.pk]["External identifier"] == "ISO-1"
    assert by_id[shipped.pk]["Barcode"] == "39001000002" and by_id[shipped.pk]["Status"] == "Shipped physically"
    assert by_id[nasty.pk]["Title"].startswith("=HYPERLINK")  # text, not a formula
    assert sheet.cell(row=[r[0] for r in rows].index(nasty.pk) + 1, column=5).data_type == "s"
    assert LendingRequest.objects.filter(reported=True).count() == 3
    assert fresh(located).history.filter(field="Request reported", new_value="Yes").exists()


def test_download_as_xml(client, operator, library, iso_partner, kuhn):
    reqs = _requests(library, iso_partner, kuhn, operator)
    client.force_login(operator)
    response = client.post(REPORT, {"ids": [r.pk for r in reqs], "target": "user", "format": "xml",
                                    "download": "1"})
    assert response.status_code == 200 and response["Content-Type"] == "application/xml"
    root = etree.fromstring(response.content)  # well-formed, or this raises
    assert root.tag == "lendingRequestsReport" and root.get("count") == "3"
    elements = root.findall("request")
    assert [int(e.get("id")) for e in elements] == [r.pk for r in reqs]
    assert elements[0].findtext("barcode") == "39001000001; 39001000002"
    assert elements[2].findtext("title") == "=HYPERLINK(\"http://evil\") & <b> / Ö'Brien"
    assert elements[0].findtext("created")


def test_download_as_the_report_slip_pdf(client, operator, library, iso_partner, kuhn):
    reqs = _requests(library, iso_partner, kuhn, operator)
    client.force_login(operator)
    response = client.post(REPORT, {"ids": [r.pk for r in reqs], "target": "user", "format": "pdf",
                                    "download": "1"})
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert LendingRequest.objects.filter(reported=True).count() == 3


def test_send_to_a_user_by_email(client, operator, manager, library, iso_partner, kuhn):
    reqs = _requests(library, iso_partner, kuhn, operator)
    client.force_login(operator)
    response = client.post(REPORT, {"ids": [r.pk for r in reqs], "target": "user", "user": manager.pk,
                                    "format": "xlsx", "send": "1", "next": "/lending/?tab=unassigned"})
    assert response.status_code == 302 and response["Location"] == "/lending/?tab=unassigned"
    [message] = mail.outbox
    assert message.to == ["manager@example.org"]
    [(name, data, content_type)] = message.attachments
    assert name.endswith(".xlsx") and content_type.startswith("application/vnd.openxml")
    openpyxl.load_workbook(io.BytesIO(data))
    assert LendingRequest.objects.filter(reported=True).count() == 3


def test_send_to_a_printer_address(client, operator, library, iso_partner, kuhn, settings):
    settings.ILLDESK_REPORT_PRINTERS = [("ILL desk", "ill-printer@example.org")]
    reqs = _requests(library, iso_partner, kuhn, operator)
    client.force_login(operator)
    response = client.post(REPORT, {"ids": [r.pk for r in reqs], "target": "printer",
                                    "printer": "ill-printer@example.org", "format": "xml", "send": "1"})
    assert response.status_code == 302
    [message] = mail.outbox
    assert message.to == ["ill-printer@example.org"]
    etree.fromstring(message.attachments[0][1])


def test_printer_list_from_the_environment(monkeypatch, settings):
    from lending import printing

    del settings.ILLDESK_REPORT_PRINTERS
    monkeypatch.setenv("ILLDESK_REPORT_PRINTERS", "Desk=desk@example.org, back@example.org")
    assert printing.printers() == [printing.Printer("Desk", "desk@example.org"),
                                   printing.Printer("back@example.org", "back@example.org")]


def test_send_needs_a_recipient_and_changes_nothing(client, operator, library, iso_partner, kuhn, settings):
    settings.ILLDESK_REPORT_PRINTERS = []
    reqs = _requests(library, iso_partner, kuhn, operator)
    client.force_login(operator)
    response = client.post(REPORT, {"ids": [r.pk for r in reqs], "target": "printer", "format": "xlsx",
                                    "send": "1"})
    assert response.status_code == 400 and "Choose a printer." in response.content.decode()
    assert not mail.outbox and not LendingRequest.objects.filter(reported=True).exists()


def test_it_never_sends_you_to_another_site(client, operator, library, iso_partner, kuhn):
    reqs = _requests(library, iso_partner, kuhn, operator)
    client.force_login(operator)
    response = client.post(REPORT, {"ids": [r.pk for r in reqs], "target": "user", "user": operator.pk,
                                    "format": "xml", "send": "1", "next": "//evil.example.org/"})
    assert response["Location"] == reverse("lending:list")
    response = client.post(reverse("lending:bulk"), {"op": "remove_alerts", "ids": [reqs[0].pk],
                                                     "next": "https://evil.example.org/"})
    assert response["Location"] == reverse("lending:list")


def test_a_mail_failure_is_shown_and_nothing_is_marked(client, operator, library, iso_partner, kuhn, monkeypatch):
    import smtplib

    from lending import printing

    def broken(*args, **kwargs):
        raise smtplib.SMTPException("mail server down")

    monkeypatch.setattr(printing, "send_report", broken)
    reqs = _requests(library, iso_partner, kuhn, operator)
    client.force_login(operator)
    response = client.post(REPORT, {"ids": [r.pk for r in reqs], "target": "user", "user": operator.pk,
                                    "format": "xlsx", "send": "1"})
    assert response.status_code == 400 and "mail server down" in response.content.decode()
    assert not LendingRequest.objects.filter(reported=True).exists()


def test_nothing_selected(client, operator):
    client.force_login(operator)
    response = client.post(REPORT, {"target": "user", "format": "xlsx", "download": "1"})
    assert response.status_code == 302 and response["Location"] == reverse("lending:list")


def test_remove_alerts(client, operator, library, iso_partner):
    with_alerts = make_lending(library, "created", iso_partner)
    actions.common.add_alert(with_alerts, "Citation Move Request Canceled (#1)")
    actions.common.add_alert(with_alerts, "Citation Move Request in Process (#2)")
    without = make_lending(library, "created", iso_partner)
    client.force_login(operator)
    response = client.post(reverse("lending:bulk"), {"op": "remove_alerts", "ids": [with_alerts.pk, without.pk],
                                                     "next": "/lending/?tab=unassigned"})
    assert response.status_code == 302 and response["Location"] == "/lending/?tab=unassigned"
    assert fresh(with_alerts).has_alerts is False
    assert not Alert.objects.filter(active=True).exists() and Alert.objects.count() == 2
    assert with_alerts.history.filter(field="Alerts", old_value="2", new_value="0").exists()
    assert not without.history.exists()


def test_the_shared_bulk_actions_still_work(client, operator, library, iso_partner):
    req = make_lending(library, "completed", iso_partner)
    client.force_login(operator)
    client.post(reverse("lending:bulk"), {"op": "remove", "ids": [req.pk]})
    assert fresh(req).removed_at is not None


def test_the_bulk_bar_has_the_lending_buttons(client, operator, library, iso_partner):
    make_lending(library, "created", iso_partner)
    client.force_login(operator)
    html = client.get(reverse("lending:list"), {"tab": "unassigned"}).content.decode()
    assert f'formaction="{REPORT}"' in html and 'value="remove_alerts"' in html
    assert 'value="remove_alerts"' not in client.get(reverse("borrowing:list")).content.decode()
