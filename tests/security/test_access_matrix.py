"""Role × URL: every URL pattern of the project, as every role, by GET and by POST, has the outcome the
tables below say — and a pattern no table classifies fails the test, so a new page cannot slip in
without someone deciding who may open it.

Roles: anonymous; patron (a user with a library card); operator; manager (operator + manager); admin
(General System Administrator, staff for the Django admin, does not work requests). Outcomes are
explained in tests/security/matrix.py: ok = 200, login / alogin = sent to the (admin) login page,
→/path/ = redirected there ({placeholders} are the world's objects, * any one path segment), else the
status. Each probe runs in a rolled-back savepoint: a POST that works changes nothing for the next one.

/iso18626 is open to everyone on purpose (partners identify themselves inside the message; hostile input
is covered by tests/partners/test_inbound_hostile.py); the lending API accepts only its token, never a
session (tests/integrations/test_lending_api.py covers the token side). There is no health-check URL.
"""

from __future__ import annotations

import logging
import re

import pytest
from django.contrib import admin

from . import matrix
from .html import csrf_problems, parse
from .matrix import ROLES, Pattern, admin_object_ids, admin_urls

pytestmark = pytest.mark.django_db

GET = matrix.parse("""
url                                                       anonymous  patron           operator         manager          admin
/                                                         login      →/opac/requests/ →/borrowing/     →/borrowing/     →/admin/
/login/                                                   ok         ok               ok               ok               ok
/favicon.ico                                              →/static/favicon.svg →/static/favicon.svg →/static/favicon.svg →/static/favicon.svg →/static/favicon.svg
/logout/                                                  405        405              405              405              405
# the task lists and request pages: operators and managers only
/borrowing/                                               login      403              ok               ok               403
/borrowing/bulk/                                          login      405              405              405              405
/borrowing/{borrowing}/                                   login      403              ok               ok               403
/borrowing/{missing}/                                     login      403              404              404              403
/borrowing/{borrowing}/tab/history/                       login      403              ok               ok               403
/borrowing/{borrowing}/tab/nosuchtab/                     login      403              404              404              403
/borrowing/{borrowing}/do/approve/                        login      405              405              405              405
/borrowing/{borrowing}/dialog/cancel/                     login      403              ok               ok               403
/borrowing/{borrowing}/dialog/receive/                    login      403              409              409              403
/borrowing/{borrowing}/dialog/nosuchaction/               login      403              404              404              403
/borrowing/{borrowing}/dialog/view_resources/             login      403              ok               ok               403
/borrowing/{borrowing}/resources/                         login      403              ok               ok               403
# a bare redirect to the OPAC app's staff page, which does the checking
/borrowing/{unlinked}/dialog/link_patron/                 →/opac/link/{unlinked}/ →/opac/link/{unlinked}/ →/opac/link/{unlinked}/ →/opac/link/{unlinked}/ →/opac/link/{unlinked}/
/borrowing/{borrowing}/communications/{communication}/close/ login   405              405              405              405
/lending/                                                 login      403              ok               ok               403
/lending/bulk/                                            login      405              405              405              405
/lending/ship/                                            login      403              ok               ok               403
/lending/report/                                          login      403              →/lending/       →/lending/       403
/lending/{lending}/                                       login      403              ok               ok               403
/lending/{lending}/tab/notes/                             login      403              ok               ok               403
/lending/{lending}/do/will_supply/                        login      405              405              405              405
/lending/{lending}/dialog/more_details/                   login      403              ok               ok               403
/lending/{lending}/dialog/renew/                          login      403              409              409              403
/lending/{lending}/dialog/nosuchaction/                   login      403              404              404              403
# ISO 18626: the endpoint takes POSTs from anyone; its pages are for staff
/iso18626                                                 405        405              405              405              405
/iso18626/                                                405        405              405              405              405
/iso18626/problems/                                       login      403              ok               ok               403
/iso18626/problems/{borrowing_outbound}/retry/            login      405              405              405              405
/iso18626/messages/borrowing/{borrowing}/                 login      403              ok               ok               403
/iso18626/messages/lending/{missing}/                     login      403              404              404              403
/iso18626/messages/nosuchside/{borrowing}/                login      403              404              404              403
# letters and slips
/letters/request/borrowing/{borrowing}/                   login      403              ok               ok               403
/letters/request/nosuchside/{borrowing}/                  login      404              404              404              404
/letters/request/borrowing/{borrowing}/compose/           login      403              ok               ok               403
/letters/request/borrowing/{received}/slip/receive_slip/  login      403              ok               ok               403
/letters/request/borrowing/{borrowing}/slip/nosuchslip/   login      403              404              404              403
/letters/request/borrowing/{borrowing}/partners/          login      403              ok               ok               403
/letters/letter/{borrowing_letter}/                       login      403              ok               ok               403
/letters/letter/{borrowing_letter}/resend/                login      405              405              405              405
/letters/letter/{borrowing_letter}/retry/                 login      405              405              405              405
/letters/print/borrowing/                                 login      403              ok               ok               403
# OPAC: a patron sees only their own requests (another patron's do not exist: 404); staff have no card
/opac/                                                    →/opac/request/ →/opac/requests/ →/opac/requests/ →/opac/requests/ →/opac/requests/
/opac/request/                                            login      ok               403              403              403
/opac/request/{opac_own}/sent/                            404        ok               404              404              404
/opac/request/{opac_other}/sent/                          404        404              404              404              404
/opac/requests/                                           login      ok               403              403              403
/opac/requests/{opac_own}/                                login      ok               403              403              403
/opac/requests/{opac_other}/                              login      404              403              403              403
/opac/requests/{opac_own}/change/                         login      405              405              405              405
/opac/requests/{opac_other}/change/                       login      405              405              405              405
/opac/requests/{opac_own}/cancel/                         login      ok               403              403              403
/opac/requests/{opac_other}/cancel/                       login      404              403              403              403
/opac/requests/{opac_loan}/renew/                         login      ok               403              403              403
/opac/requests/{opac_other}/renew/                        login      404              403              403              403
/opac/link/{unlinked}/                                    login      403              ok               ok               403
/opac/link/{opac_own}/                                    login      403              →/borrowing/{opac_own}/ →/borrowing/{opac_own}/ 403
# reports: statistics and invoices for managers; the copyright report for all staff
/reports/                                                 login      403              403              ok               403
/reports/statistics/all.xlsx                              login      403              403              ok               403
/reports/statistics/all.csv                               login      403              403              404              403
/reports/invoices/                                        login      403              403              ok               403
/reports/invoices/create/                                 login      405              405              405              405
/reports/invoices/{invoice}/                              login      403              403              ok               403
/reports/invoices/{invoice}/send/                         login      405              405              405              405
/reports/invoices/{invoice}/invoice.csv                   login      403              403              ok               403
/reports/invoices/{invoice}/invoice.pdf                   login      403              403              ok               403
/reports/invoices/{invoice}/invoice.exe                   login      403              403              404              403
/reports/copyright/                                       login      403              ok               ok               ok
# tools
/tools/scan/                                              login      403              ok               ok               403
/tools/scan/clear/                                        login      405              405              405              405
/tools/batches/                                           login      403              ok               ok               403
/tools/batches/add-selected/                              login      405              405              405              405
/tools/batches/{batch}/                                   login      403              ok               ok               403
/tools/batches/{batch}/add/                               login      405              405              405              405
/tools/batches/{batch}/act/                               login      405              405              405              405
# jobs: staff look, administrators also run
/jobs/                                                    login      403              ok               ok               ok
/jobs/{job_run}/                                          login      403              ok               ok               ok
/jobs/run/expire_requests/                                login      405              405              405              405
/jobs/run/nosuchjob/                                      login      405              405              405              405
/jobs/import/{profile}/run/                               login      405              405              405              405
/imports/partners/                                        login      403              403              403              ok
# the lending API: its token only, never a session
/api/lending-requests                                     405        405              405              405              405
/api/lending-requests/{lending}                           401        401              401              401              401
/i18n/setlang/                                            →/         →/               →/               →/               →/
# the Django admin: staff accounts only (the admin role); its models are in ADMIN_MODELS
/admin/                                                   alogin     alogin           alogin           alogin           ok
/admin/login/                                             ok         ok               ok               ok               →/admin/
/admin/logout/                                            →/admin/   →/admin/         →/admin/         →/admin/         405
/admin/password_change/                                   alogin     alogin           alogin           alogin           ok
/admin/password_change/done/                              alogin     alogin           alogin           alogin           ok
/admin/autocomplete/                                      alogin     alogin           alogin           alogin           403
/admin/jsi18n/                                            alogin     alogin           alogin           alogin           ok
/admin/r/{ct_borrowing}/{borrowing}/                      alogin     alogin           alogin           alogin           404
/admin/auth/user/{admin_user}/password/                   alogin     alogin           alogin           alogin           ok
/admin/letters/lettertemplate/preview/                    alogin     alogin           alogin           alogin           ok
/admin/illdesk/                                           alogin     alogin           alogin           alogin           ok
/admin/borrowing/                                         alogin     alogin           alogin           alogin           404
/admin/nosuchapp/                                         alogin     alogin           alogin           alogin           404
""")  # noqa: E501 - a table reads best with one row per line

POST = matrix.parse("""
url                                                       anonymous  patron           operator         manager          admin
/                                                         login      →/opac/requests/ →/borrowing/     →/borrowing/     →/admin/
/login/                                                   ok         ok               ok               ok               ok
/favicon.ico                                              →/static/favicon.svg →/static/favicon.svg →/static/favicon.svg →/static/favicon.svg →/static/favicon.svg
/logout/                                                  login      login            login            login            login
/borrowing/                                               login      403              ok               ok               403
/borrowing/bulk/                                          login      403              →/borrowing/     →/borrowing/     403
/borrowing/{borrowing}/                                   login      403              ok               ok               403
/borrowing/{missing}/                                     login      403              404              404              403
/borrowing/{borrowing}/tab/history/                       login      403              ok               ok               403
/borrowing/{borrowing}/tab/nosuchtab/                     login      403              404              404              403
/borrowing/{borrowing}/do/approve/                        login      403              →/borrowing/{borrowing}/ →/borrowing/{borrowing}/ 403
/borrowing/{borrowing}/dialog/cancel/                     login      403              →/borrowing/{borrowing}/ →/borrowing/{borrowing}/ 403
/borrowing/{borrowing}/dialog/receive/                    login      403              409              409              403
/borrowing/{borrowing}/dialog/nosuchaction/               login      403              404              404              403
/borrowing/{borrowing}/dialog/view_resources/             login      403              ok               ok               403
/borrowing/{borrowing}/resources/                         login      403              ok               ok               403
/borrowing/{unlinked}/dialog/link_patron/                 →/opac/link/{unlinked}/ →/opac/link/{unlinked}/ →/opac/link/{unlinked}/ →/opac/link/{unlinked}/ →/opac/link/{unlinked}/
/borrowing/{borrowing}/communications/{communication}/close/ login   403              →/borrowing/{borrowing}/tab/communications/ →/borrowing/{borrowing}/tab/communications/ 403
/lending/                                                 login      403              ok               ok               403
/lending/bulk/                                            login      403              →/lending/       →/lending/       403
/lending/ship/                                            login      403              400              400              403
/lending/report/                                          login      403              →/lending/       →/lending/       403
/lending/{lending}/                                       login      403              ok               ok               403
/lending/{lending}/tab/notes/                             login      403              ok               ok               403
/lending/{lending}/do/will_supply/                        login      403              →/lending/{lending}/ →/lending/{lending}/ 403
/lending/{lending}/dialog/more_details/                   login      403              ok               ok               403
/lending/{lending}/dialog/renew/                          login      403              409              409              403
/lending/{lending}/dialog/nosuchaction/                   login      403              404              404              403
/iso18626                                                 ok         ok               ok               ok               ok
/iso18626/                                                ok         ok               ok               ok               ok
/iso18626/problems/                                       login      403              ok               ok               403
/iso18626/problems/{borrowing_outbound}/retry/            login      403              →/iso18626/problems/ →/iso18626/problems/ 403
/iso18626/messages/borrowing/{borrowing}/                 login      403              ok               ok               403
/iso18626/messages/lending/{missing}/                     login      403              404              404              403
/iso18626/messages/nosuchside/{borrowing}/                login      403              404              404              403
/letters/request/borrowing/{borrowing}/                   login      403              ok               ok               403
/letters/request/nosuchside/{borrowing}/                  login      404              404              404              404
/letters/request/borrowing/{borrowing}/compose/           login      403              ok               ok               403
/letters/request/borrowing/{received}/slip/receive_slip/  login      403              ok               ok               403
/letters/request/borrowing/{borrowing}/slip/nosuchslip/   login      403              404              404              403
/letters/request/borrowing/{borrowing}/partners/          login      403              ok               ok               403
/letters/letter/{borrowing_letter}/                       login      403              ok               ok               403
/letters/letter/{borrowing_letter}/resend/                login      403              →/borrowing/{borrowing}/ →/borrowing/{borrowing}/ 403
/letters/letter/{borrowing_letter}/retry/                 login      403              →/borrowing/{borrowing}/ →/borrowing/{borrowing}/ 403
/letters/print/borrowing/                                 login      403              ok               ok               403
/opac/                                                    →/opac/request/ →/opac/requests/ →/opac/requests/ →/opac/requests/ →/opac/requests/
/opac/request/                                            login      400              403              403              403
/opac/request/{opac_own}/sent/                            404        ok               404              404              404
/opac/request/{opac_other}/sent/                          404        404              404              404              404
/opac/requests/                                           login      ok               403              403              403
/opac/requests/{opac_own}/                                login      ok               403              403              403
/opac/requests/{opac_other}/                              login      404              403              403              403
/opac/requests/{opac_own}/change/                         login      400              403              403              403
/opac/requests/{opac_other}/change/                       login      404              403              403              403
/opac/requests/{opac_own}/cancel/                         login      →/opac/requests/{opac_own}/ 403   403              403
/opac/requests/{opac_other}/cancel/                       login      404              403              403              403
/opac/requests/{opac_loan}/renew/                         login      →/opac/requests/{opac_loan}/ 403  403              403
/opac/requests/{opac_other}/renew/                        login      404              403              403              403
/opac/link/{unlinked}/                                    login      403              400              400              403
/opac/link/{opac_own}/                                    login      403              →/borrowing/{opac_own}/ →/borrowing/{opac_own}/ 403
/reports/                                                 login      403              403              ok               403
/reports/statistics/all.xlsx                              login      403              403              ok               403
/reports/statistics/all.csv                               login      403              403              404              403
/reports/invoices/                                        login      403              403              ok               403
/reports/invoices/create/                                 login      403              403              →/reports/invoices/ 403
/reports/invoices/{invoice}/                              login      403              403              ok               403
/reports/invoices/{invoice}/send/                         login      403              403              →/reports/invoices/{invoice}/ 403
/reports/invoices/{invoice}/invoice.csv                   login      403              403              ok               403
/reports/invoices/{invoice}/invoice.pdf                   login      403              403              ok               403
/reports/invoices/{invoice}/invoice.exe                   login      403              403              404              403
/reports/copyright/                                       login      403              ok               ok               ok
/tools/scan/                                              login      403              →/tools/scan/    →/tools/scan/    403
/tools/scan/clear/                                        login      403              →/tools/scan/    →/tools/scan/    403
/tools/batches/                                           login      403              ok               ok               403
/tools/batches/add-selected/                              login      403              →/borrowing/     →/borrowing/     403
/tools/batches/{batch}/                                   login      403              ok               ok               403
/tools/batches/{batch}/add/                               login      403              →/tools/batches/{batch}/ →/tools/batches/{batch}/ 403
/tools/batches/{batch}/act/                               login      403              →/tools/batches/{batch}/ →/tools/batches/{batch}/ 403
/jobs/                                                    login      403              ok               ok               ok
/jobs/{job_run}/                                          login      403              ok               ok               ok
/jobs/run/expire_requests/                                login      403              403              403              →/jobs/*/
/jobs/run/nosuchjob/                                      login      403              403              403              404
/jobs/import/{profile}/run/                               login      403              403              403              →/jobs/*/
/imports/partners/                                        login      403              403              403              400
/api/lending-requests                                     401        401              401              401              401
/api/lending-requests/{lending}                           405        405              405              405              405
/i18n/setlang/                                            →/         →/               →/               →/               →/
/admin/                                                   alogin     alogin           alogin           alogin           ok
/admin/login/                                             ok         ok               ok               ok               ok
/admin/logout/                                            →/admin/   →/admin/         →/admin/         →/admin/         login
/admin/password_change/                                   alogin     alogin           alogin           alogin           ok
/admin/password_change/done/                              alogin     alogin           alogin           alogin           405
/admin/autocomplete/                                      alogin     alogin           alogin           alogin           405
/admin/jsi18n/                                            alogin     alogin           alogin           alogin           405
/admin/r/{ct_borrowing}/{borrowing}/                      alogin     alogin           alogin           alogin           404
/admin/auth/user/{admin_user}/password/                   alogin     alogin           alogin           alogin           ok
/admin/letters/lettertemplate/preview/                    alogin     alogin           alogin           alogin           ok
/admin/illdesk/                                           alogin     alogin           alogin           alogin           ok
/admin/borrowing/                                         alogin     alogin           alogin           alogin           404
/admin/nosuchapp/                                         alogin     alogin           alogin           alogin           404
""")  # noqa: E501 - a table reads best with one row per line

# Every model in the Django admin: what the admin role gets by GET on its list, add, change, delete and
# history pages (its bare object URL redirects to the change page). Every other role: alogin, GET and POST.
# Requests and what belongs only to them are for operators (their own pages), not for configuration.
ADMIN_KINDS = ("changelist", "add", "change", "delete", "history")
ADMIN_MODELS = {line.split()[0]: dict(zip(ADMIN_KINDS, line.split()[1:], strict=True)) for line in """
auth.group                           ok   ok   ok   ok   ok
auth.user                            ok   ok   ok   ok   ok
django_celery_beat.periodictask      ok   ok   ok   ok   ok
django_celery_beat.clockedschedule   ok   ok   ok   ok   ok
django_celery_beat.crontabschedule   ok   ok   ok   ok   ok
django_celery_beat.solarschedule     ok   ok   ok   ok   ok
django_celery_beat.intervalschedule  ok   ok   ok   ok   ok
illdesk.resourcesharinglibrary       ok   ok   ok   ok   ok
illdesk.pickuplocation               ok   ok   ok   ok   ok
illdesk.levelofservice               ok   ok   ok   ok   ok
illdesk.patroncategory               ok   ok   ok   ok   ok
illdesk.patron                       ok   ok   ok   ok   ok
illdesk.tag                          ok   ok   ok   ok   ok
illdesk.statussetting                ok   ok   ok   ok   ok
illdesk.statusalias                  ok   ok   ok   ok   ok
illdesk.historyevent                 ok   403  ok   403  ok
illdesk.note                         ok   ok   ok   ok   ok
illdesk.generalmessage               ok   ok   ok   ok   ok
illdesk.alert                        ok   ok   ok   ok   ok
illdesk.attachment                   ok   ok   ok   ok   ok
partners.workflowprofile             ok   ok   ok   ok   ok
partners.partner                     ok   ok   ok   ok   ok
partners.rotatemplate                ok   ok   ok   ok   ok
partners.rotatemplatemember          ok   ok   ok   ok   ok
partners.rotaassignmentrule          ok   ok   ok   ok   ok
partners.outboundmessage             ok   403  ok   ok   ok
partners.inboundmessage              ok   403  ok   ok   ok
borrowing.borrowingrequest           403  403  403  403  403
borrowing.rotaentry                  403  403  403  403  403
borrowing.purchaserequest            403  403  403  403  403
lending.bibrecord                    403  403  403  403  403
lending.item                         403  403  403  403  403
lending.lendingrequest               403  403  403  403  403
lending.fulfillmentrequest           403  403  403  403  403
letters.lettertemplate               ok   ok   ok   ok   ok
letters.sentletter                   ok   403  ok   ok   ok
opac.opacsettings                    ok   403  ok   403  ok
integrations.integrationprofile      ok   ok   ok   ok   ok
integrations.librarycodemapping      ok   ok   ok   ok   ok
integrations.jobrun                  ok   403  ok   ok   ok
integrations.importedrecord          ok   403  ok   ok   ok
integrations.overduenotice           ok   403  ok   ok   ok
integrations.apitoken                ok   ok   ok   ok   ok
reports.feerule                      ok   ok   ok   ok   ok
reports.copyrightrule                ok   ok   ok   ok   ok
reports.invoice                      ok   403  ok   ok   ok
tools.batch                          ok   ok   ok   ok   ok
""".strip().splitlines()}
ADMIN_ROUTE = re.compile(r"^admin/(?P<app>\w+)/(?P<model>\w+)/"
                         r"(?:add/|<path:object_id>/(?:history/|delete/|change/)?)?$")

# How many POST forms each role at least meets on the pages it may open (each page counted once per URL).
MIN_POST_FORMS = {"anonymous": 2, "patron": 20, "operator": 75, "manager": 80, "admin": 350}

# Routes defined twice (urls_for after lending's own bulk view): the first pattern answers, the second is
# never reached. A probe URL of each must resolve to the first.
SHADOWED = {
    "lending/bulk/": "/lending/bulk/",
}


@pytest.fixture(autouse=True)
def _quiet_refusals():
    """Thousands of expected 403/404s: Django would log each one with its traceback."""
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)


class AnyId(dict):
    """Fills every placeholder with 1: enough to find which pattern a table row is about."""

    def __missing__(self, key):
        return 1


def pattern_of_row(url: str) -> Pattern:
    return matrix.pattern_of(matrix.fill(url, AnyId()))


def classify(pattern: Pattern, covered: set[Pattern], earlier: set[str]) -> str | None:
    """Which table covers the pattern: 'table', 'admin', 'shadowed', or None."""
    if pattern in covered:
        return "table"
    if pattern.route in SHADOWED and pattern.route in earlier:
        return "shadowed"
    found = ADMIN_ROUTE.match(pattern.route)
    if found and f"{found['app']}.{found['model']}" in ADMIN_MODELS:
        return "admin"
    return None


def test_every_url_pattern_is_classified():
    covered = {pattern_of_row(url) for url in GET}
    unclassified, earlier = [], set()
    for pattern in matrix.all_patterns():
        if classify(pattern, covered, earlier) is None:
            unclassified.append(str(pattern))
        earlier.add(pattern.route)
    assert not unclassified, "URL patterns no table of tests/security/test_access_matrix.py classifies:\n" + \
        "\n".join(unclassified)


def test_the_tables_name_only_what_exists():
    assert set(GET) == set(POST), set(GET) ^ set(POST)
    patterns = set(matrix.all_patterns())
    for url in GET:
        assert pattern_of_row(url) in patterns, url
    registered = {model._meta.label_lower for model in admin.site._registry}
    assert set(ADMIN_MODELS) == registered, set(ADMIN_MODELS) ^ registered
    for route, url in SHADOWED.items():
        twins = [p for p in matrix.all_patterns() if p.route == route]
        assert len(twins) == 2, f"{route} is defined {len(twins)} times now: classify it in the tables"
        assert matrix.pattern_of(url) == twins[0]


def _matches(expected: str, got: str, ids: dict) -> bool:
    if not expected.startswith("→"):
        return expected == got
    wanted = re.escape(matrix.fill(expected, ids)).replace(r"\*", "[^/]+")
    return re.fullmatch(wanted, got) is not None


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_what_the_tables_say(role, world, cast):
    """… and every page it may open carries the CSRF token in each of its POST forms (test_csrf.py has the
    rest of the CSRF story: token-less POSTs refused, the dialogs' forms)."""
    users = {"anonymous": None, "patron": cast.patron.user, "operator": cast.operator, "manager": cast.manager,
             "admin": cast.admin_user}
    prober = matrix.Prober({role: users[role]})
    ids = {**world.ids, **admin_object_ids()}
    wrong, tokenless, forms = [], [], []

    def check(method: str, url: str, want: str) -> None:
        response = prober.probe(role, method, matrix.fill(url, ids))
        got = matrix.outcome(response)
        if not _matches(want, got, ids):
            wrong.append(f"{method} {url}: expected {want}, got {got}")
        if method == "GET" and got == "ok" and "text/html" in response.get("Content-Type", ""):
            document = response.content.decode()
            forms.extend(f"{url}: {form.action}" for form in parse(document).post_forms)
            tokenless.extend(f"{url}: {problem}" for problem in csrf_problems(document))

    for method, table in (("GET", GET), ("POST", POST)):
        for url, expected in table.items():
            check(method, url, expected[role])
    for label, kind, url in admin_urls():
        if role == "admin":
            check("GET", url, f"→{url}change/" if kind == "object" else ADMIN_MODELS[label][kind])
        else:  # every page refuses them; the ones that write also by POST
            for method in ("GET", "POST") if kind in ("changelist", "add", "change", "delete") else ("GET",):
                check(method, url, "alogin")
    assert not wrong, f"as {role}:\n" + "\n".join(wrong)
    assert not tokenless, f"POST forms without the CSRF token, as {role}:\n" + "\n".join(tokenless)
    assert len(forms) >= MIN_POST_FORMS[role], len(forms)  # the pages were really looked at
