"""The task list views measured, each as the app's query string, the admin changelist's query string
(the baseline, when the admin can express the view) and the floor's Spec.

Values are looked up in the data (the busiest partner, a common tag …) so the same scenario means
the same thing at every size. The search terms come from seed_bulk's word pools.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count

from demo.management.commands.seed_bulk import SEARCH_AUTHOR, SEARCH_TITLE_WORD

from .floor import Spec


@dataclass
class Scenario:
    key: str
    side: str
    label: str
    params: list[tuple[str, str]]  # the task list's query string
    spec: Spec
    admin: list[tuple[str, str]] | None = None  # the baseline's query string (None: not expressible)
    target_ms: int = 300  # p95 target at 1M requests
    headline: bool = False  # one of the four views the issue names (admin and floor ratios reported)
    tags: list[str] = field(default_factory=list)


def _spec(side: str, params: list[tuple[str, str]], user_id: int) -> Spec:
    facets: dict[str, list[str]] = {}
    spec = Spec(side=side, user_id=user_id)
    for k, v in params:
        if k == "activity":
            spec.activity = v
        elif k == "q":
            spec.search = v
        elif k == "qf":
            spec.search_field = v
        elif k == "preset":
            spec.preset = v
        elif k == "tab":
            spec.tab = v
        else:
            facets.setdefault(k, []).append(v)
    spec.facets = facets
    return spec


def build(operator) -> list[Scenario]:
    from borrowing.models import BorrowingRequest
    from illdesk.models import LevelOfService, PatronCategory, ResourceSharingLibrary, Tag
    from lending.models import LendingRequest

    def busiest(model, field_name, **filters):
        row = (model.objects.filter(is_active=True, **filters).exclude(**{f"{field_name}__isnull": True})
               .values(field_name).annotate(n=Count("pk")).order_by("-n", field_name).first())
        return str(row[field_name]) if row else "0"

    b_partner = busiest(BorrowingRequest, "partner")
    l_partner = busiest(LendingRequest, "partner")
    tag = Tag.objects.filter(name="urgent").values_list("pk", flat=True).first() or 0
    tag2 = Tag.objects.filter(name="rare").values_list("pk", flat=True).first() or 0
    level = LevelOfService.objects.order_by("ordering_position").values_list("pk", flat=True).first() or 0
    group = PatronCategory.objects.filter(code="STUDENT").values_list("pk", flat=True).first() or 0
    owner = ResourceSharingLibrary.objects.filter(code="MAIN").values_list("pk", flat=True).first() or 0
    uid = operator.pk
    out: list[Scenario] = []

    def add(key, side, label, params, admin=None, target=300, headline=False):
        out.append(Scenario(key, side, label, params, _spec(side, params, uid), admin, target, headline))

    word, author = SEARCH_TITLE_WORD, SEARCH_AUTHOR
    # --- borrowing: the four views of the issue ---------------------------------------------------
    add("b_active", "borrowing", "Borrowing: active (default view), all facet counts", [],
        admin=[("is_active__exact", "1")], target=150, headline=True)
    add("b_facets3", "borrowing", "Borrowing: active, 3 facets (status, format, partner)",
        [("status", "sent"), ("format", "physical"), ("partner", b_partner)],
        admin=[("is_active__exact", "1"), ("status__exact", "sent"), ("requested_format__exact", "physical"),
               ("partner__id__exact", b_partner)], headline=True)
    add("b_search", "borrowing", f"Borrowing: active, search title “{word}”",
        [("qf", "title"), ("q", word)], admin=[("is_active__exact", "1"), ("q", word)], headline=True)
    add("b_completed", "borrowing", f"Borrowing: completed, search title “{word}”",
        [("activity", "completed"), ("qf", "title"), ("q", word)], admin=[("is_active__exact", "0"), ("q", word)],
        headline=True)
    # --- borrowing: more facet combinations ("any combination") ------------------------------------
    add("b_tag_status", "borrowing", "Borrowing: tag + 3 statuses",
        [("tag", str(tag)), ("status", "sent"), ("status", "will_supply"), ("status", "loaned_to_patron")])
    add("b_two_tags_owner", "borrowing", "Borrowing: two tags + owner", [("tag", str(tag)), ("tag", str(tag2)),
                                                                          ("owner", str(owner))])
    add("b_dates", "borrowing", "Borrowing: created 8–30 days + unassigned + due passed",
        [("created", "8_30_days"), ("assignee", "none"), ("due", "past"), ("due", "none")])
    add("b_related", "borrowing", "Borrowing: pickup kind + level + user group",
        [("pickup", "library"), ("level", str(level)), ("user_group", str(group))])
    add("b_flags", "borrowing", "Borrowing: message + partner note + supplied undefined + interest ≤ 30 days",
        [("message", "yes"), ("partner_note", "no"), ("supplied", "undefined"), ("interest", "next_30_days")])
    add("b_no_partner", "borrowing", "Borrowing: no partner + event name",
        [("partner", "none"), ("event", "Libris: Order received")])
    add("b_all_fields", "borrowing", f"Borrowing: all, search all fields “{author}”",
        [("activity", "all"), ("q", author)])
    add("b_preset", "borrowing", "Borrowing: predefined filter “cancelled by partner”",
        [("preset", "cancelled_by_partner")])
    # --- lending -------------------------------------------------------------------------------------
    add("l_active", "lending", "Lending: active, assigned to me (default view)", [],
        admin=[("is_active__exact", "1"), ("assignee__id__exact", str(uid))], target=150, headline=True)
    add("l_unassigned", "lending", "Lending: active, unassigned tab", [("tab", "unassigned")],
        admin=[("is_active__exact", "1"), ("assignee__isnull", "True")], target=150)
    add("l_facets3", "lending", "Lending: unassigned, 3 facets (status, printed, partner)",
        [("tab", "unassigned"), ("status", "created"), ("printed", "no"), ("partner", l_partner)],
        admin=[("is_active__exact", "1"), ("assignee__isnull", "True"), ("status__exact", "created"),
               ("printed__exact", "0"), ("partner__id__exact", l_partner)], headline=True)
    add("l_search", "lending", f"Lending: active unassigned, search title “{word}”",
        [("tab", "unassigned"), ("qf", "title"), ("q", word)],
        admin=[("is_active__exact", "1"), ("assignee__isnull", "True"), ("q", word)], headline=True)
    add("l_completed", "lending", f"Lending: completed (mine), search title “{word}”",
        [("activity", "completed"), ("qf", "title"), ("q", word)],
        admin=[("is_active__exact", "0"), ("assignee__id__exact", str(uid)), ("q", word)], headline=True)
    add("l_dates", "lending", "Lending: unassigned, created today…7 days + due within a week + alerts",
        [("tab", "unassigned"), ("created", "today"), ("created", "yesterday"), ("created", "2_3_days"),
         ("created", "4_7_days"), ("due", "next_7_days"), ("alerts", "no")])
    add("l_all_fields", "lending", f"Lending: all (unassigned), search all fields “{word}”",
        [("tab", "unassigned"), ("activity", "all"), ("q", word)])
    return out
