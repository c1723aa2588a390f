"""A manager passes another operator's lending request on through the assignment dialog, and the new
assignee finds it in their own list, each in their own browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from illdesk.models import HistoryEvent
from lending.models import LendingRequest
from tests.browser import log_in
from tests.factories import make_lending

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_manager_reassigns_a_request_and_the_assignee_sees_it(live_server, page, new_context, library,
                                                                iso_partner, manager, operator, operator2,
                                                                mailoutbox):
    req = make_lending(library, "being_processed", iso_partner, title="Flora Fennica", assignee=operator2,
                       borrower_request_id="BRW-ASSIGN")
    make_lending(library, "created", iso_partner, title="Kalevala", assignee=operator2, borrower_request_id="BRW-2")

    log_in(page, "manager", next_url="/lending/?tab=others")
    expect(page.locator("nav.scope-tabs a.current")).to_contain_text("Assigned to others")
    row = page.locator("table.requests tbody tr", has_text="Flora Fennica")
    expect(row).to_contain_text("Otto Other")
    row.get_by_role("link", name="Flora Fennica").click()
    page.wait_for_url(f"**/lending/{req.pk}/")

    page.locator("#action-assign").click()
    dialog = page.locator("#dialog [role=dialog]")
    expect(dialog.locator("h2")).to_have_text("Assign to")
    dialog.get_by_label("Assign to").select_option(label="Olli Operator")
    dialog.get_by_label("Send as email").check()
    dialog.get_by_label("Note").fill("Please take this over while Otto is away")
    dialog.get_by_role("button", name="Assign to").click()
    page.wait_for_url(f"**/lending/{req.pk}/")
    expect(page.locator(".messages")).to_contain_text("Assigned to Olli Operator.")

    assignee = new_context().new_page()
    log_in(assignee, "operator", next_url="/lending/")
    mine = assignee.locator("nav.scope-tabs a.current")
    expect(mine).to_contain_text("Assigned to me")
    expect(mine.locator(".indicator")).to_have_text("1")
    expect(assignee.locator("table.requests tbody tr")).to_have_count(1)
    expect(assignee.locator("table.requests tbody tr")).to_contain_text("Olli Operator")
    assignee.get_by_role("link", name="Flora Fennica").click()
    assignee.locator("#tab-history").click()
    change = assignee.locator("#tab-panel table.history tbody tr").first
    expect(change).to_contain_text("Otto Other")
    expect(change).to_contain_text("Olli Operator")
    expect(change).to_contain_text("Please take this over while Otto is away")
    assignee.locator("#tab-notes").click()
    expect(assignee.locator("#tab-panel ul.entries")).to_contain_text("Please take this over while Otto is away")

    req = LendingRequest.objects.get(pk=req.pk)
    assert (req.assignee, req.status) == (operator, "being_processed")
    assert list(req.history.values_list("kind", "field", "old_value", "new_value", "actor__username", "message")) \
        == [(HistoryEvent.Kind.ASSIGNMENT, "Assignee", "Otto Other", "Olli Operator", "manager",
             "Please take this over while Otto is away")]
    assert LendingRequest.objects.get(borrower_request_id="BRW-2").assignee == operator2
    [email] = mailoutbox
    assert email.to == ["operator@example.org"] and f"request {req.pk} assigned to you" in email.subject
