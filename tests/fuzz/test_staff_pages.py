"""The staff pages around the requests — letters (compose, partner request, slips, a sent letter, the
letters admin with its preview), reports (statistics, exports, invoices, copyright), tools (scan
station, batches), delivery problems and jobs — under hostile query strings and form input: never a
500, whatever the field holds."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User

from illdesk import roles
from letters.models import LetterTemplate

from .webforms import Form, Fuzzer
from .world import build

pytestmark = pytest.mark.django_db


@pytest.fixture
def chief(db) -> User:
    """Operator, manager and administrator at once: every page below opens for them."""
    user = User.objects.create_user("chief", "chief@example.org", "chief", is_staff=True, is_superuser=True)
    user.groups.add(*Group.objects.filter(name__in=roles.ROLE_NAMES))
    return user


@pytest.fixture
def world(library, pickup, level, patron, iso_partner, email_partner, operator):
    return build(library=library, pickup=pickup, level=level, patron=patron, iso_partner=iso_partner,
                 email_partner=email_partner, operator=operator)


def _fuzz_pages(fuzzer: Fuzzer, pages: list[str], *, queries: dict[str, tuple[str, ...]] | None = None) -> None:
    for path in pages:
        fuzzer.fuzz_forms(fuzzer.page(path))
    for path, keys in (queries or {}).items():
        fuzzer.fuzz(Form(action=path, method="get", fields=keys))


def test_letters_pages_survive_hostile_input(world, chief, client, django_capture_on_commit_callbacks):
    client.force_login(chief)
    fuzzer = Fuzzer(client, django_capture_on_commit_callbacks, examples=4)
    borrowing, lending = world.first_of("borrowing", "received_physically"), world.lending[0]
    template = LetterTemplate.objects.create(code="patron_request_update", language="en", subject="About {{ x",
                                             text="Hello {{ patron.name }}")
    _fuzz_pages(fuzzer, [
        f"/letters/request/borrowing/{borrowing.pk}/", f"/letters/request/lending/{lending.pk}/",
        f"/letters/request/borrowing/{borrowing.pk}/compose/?code=patron_request_update",
        f"/letters/request/lending/{lending.pk}/compose/?code=general_message",
        f"/letters/request/borrowing/{borrowing.pk}/partners/", f"/letters/letter/{world.letter.pk}/",
        f"/letters/print/borrowing/?ids={borrowing.pk}", "/admin/letters/lettertemplate/add/",
        f"/admin/letters/lettertemplate/{template.pk}/change/",
        f"/admin/letters/lettertemplate/preview/?code=patron_request_update&request_id={borrowing.pk}",
    ], queries={
        f"/letters/request/borrowing/{borrowing.pk}/compose/": ("code", "language"),
        "/letters/print/lending/": ("ids", "download", "size"),
        "/admin/letters/lettertemplate/preview/": ("code", "template", "side", "request_id", "library", "language"),
        "/admin/letters/lettertemplate/": ("q", "code", "language", "o", "p"),
    })
    fuzzer.examples = 2  # PDFs take a while to make
    fuzzer.fuzz(Form(action=f"/letters/request/lending/{lending.pk}/slip/shipping_slip/", method="get",
                     fields=("language", "size")))
    fuzzer.assert_clean()


def test_reports_pages_survive_hostile_input(world, chief, client, django_capture_on_commit_callbacks):
    client.force_login(chief)
    fuzzer = Fuzzer(client, django_capture_on_commit_callbacks, examples=5)
    period = ("start", "end", "library", "fresh")
    _fuzz_pages(fuzzer, ["/reports/", "/reports/invoices/", "/reports/copyright/",
                         f"/reports/invoices/?partner={world.lending[0].partner_id}&start=2020-01-01&end=2030-01-01"],
                queries={"/reports/statistics/all.xlsx": period, "/reports/statistics/requests.csv": period,
                         "/reports/copyright/": ("year", "library", "reached", "format")})
    fuzzer.fuzz(Form(action="/reports/invoices/create/", method="post",
                     fields=("partner", "start", "end", "library", "note"),
                     choices=(("partner", (str(world.lending[0].partner_id),)),)))
    fuzzer.assert_clean()


def test_tools_and_other_staff_pages_survive_hostile_input(world, chief, client, django_capture_on_commit_callbacks):
    from integrations.models import JobRun

    run = JobRun.objects.create(job="expire_requests", name="Expire requests", state=JobRun.State.SUCCEEDED)
    client.force_login(chief)
    fuzzer = Fuzzer(client, django_capture_on_commit_callbacks, examples=6)
    shipped = world.first_of("lending", "will_supply")
    _fuzz_pages(fuzzer, ["/tools/scan/", "/tools/scan/?mode=return", "/tools/batches/",
                         f"/tools/batches/{world.batch.pk}/", "/iso18626/problems/", "/jobs/",
                         "/imports/partners/", f"/lending/ship/?request={shipped.pk}"],
                queries={"/tools/scan/": ("mode", "fmt", "pair"), "/iso18626/problems/": ("page",),
                         "/jobs/": ("job", "profile", "page"), f"/jobs/{run.pk}/": ("outcome", "page"),
                         "/lending/ship/": ("request",),
                         f"/iso18626/messages/borrowing/{world.borrowing[0].pk}/": ("page",)})
    fuzzer.fuzz(Form(action="/tools/batches/add-selected/", method="post", fields=("ids", "batch", "batch_name",
                                                                                   "next"),
                     choices=(("ids", tuple(str(r.pk) for r in world.borrowing[:3])),
                              ("batch", (str(world.batch.pk),)))))
    fuzzer.assert_clean()
