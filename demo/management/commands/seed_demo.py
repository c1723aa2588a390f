"""`python manage.py seed_demo`: a realistic, idempotent demo data set.

Everything is keyed on codes, usernames and external ids (DEMO-B-0001, DEMO-L-0001 …): a second run
creates nothing and changes nothing. Each request is generated from its own seeded random stream, so
the plan for DEMO-B-0042 is the same whatever else exists. Every request gets the "Created" history row
a real one gets, then walks a plausible path of real transitions to its status (the side's own
`transition` action, by=None: the system), so its history shows each step that status implies.

Two journeys of the README must work in the demo at once, without undoing anything first:
- each item is held by at most one active lending request (the invariant shipping enforces, and a
  database constraint), so every physical lending request that is ready to ship can be shipped;
- the `patron` login stays well below its category's request limit, so the OPAC form can be sent.
"""

import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as dt_time
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.contrib.contenttypes.models import ContentType
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from borrowing.models import BorrowingRequest, RotaEntry
from borrowing.statuses import FINAL as B_FINAL
from borrowing.statuses import Status as BS
from demo import data as D
from illdesk import roles, sides
from illdesk.models import (
    Alert,
    Format,
    GeneralMessage,
    HistoryEvent,
    LevelOfService,
    Note,
    Patron,
    PatronCategory,
    PickupLocation,
    ResourceSharingLibrary,
    Tag,
)
from illdesk.workflow import ActionRefused
from illdesk.workflow import record as record_event
from lending.actions.fulfil import place_fulfillment_request
from lending.models import BibRecord, FulfillmentRequest, Item, LendingRequest
from lending.statuses import HOLDS_NO_ITEM as L_HOLDS_NO_ITEM
from lending.statuses import Status as LS
from partners.models import Partner, RotaAssignmentRule, RotaTemplate, RotaTemplateMember, WorkflowProfile

MESSAGE = "Demo data"
#: Open requests of the `patron` login at most (its category allows 10): room for several new ones.
DEMO_PATRON_OPEN = 4
DIGITAL, PHYSICAL, NON_RET = Format.DIGITAL, Format.PHYSICAL, Format.PHYSICAL_NON_RETURNABLE

# Formats a status implies (a digital copy is never "loaned to patron").
B_FORMAT = {BS.SHIPPED_DIGITALLY: [DIGITAL], BS.RECEIVED_DIGITALLY: [DIGITAL],
            BS.RECEIVED_NON_RETURNABLE: [NON_RET], BS.SHIPPED_PHYSICALLY: [PHYSICAL, NON_RET],
            BS.COMPLETED: [PHYSICAL, PHYSICAL, NON_RET]}
B_HELD = {BS.RECEIVED_PHYSICALLY, BS.LOANED_TO_PATRON, BS.RETURNED_BY_PATRON, BS.RETURNED_TO_PARTNER,
          BS.LENDER_CHECKED_IN, BS.RENEW_REQUESTED, BS.RENEWED_BY_PARTNER, BS.RENEW_NOT_ACCEPTED,
          BS.MEDIATED_PATRON_RENEWAL, BS.RECALLED_BY_PARTNER, BS.OVERDUE, BS.DAMAGED_COMMUNICATED,
          BS.LOST_COMMUNICATED, BS.DECLARED_LOST_BY_PARTNER}
B_BEFORE = {BS.CREATED, BS.PENDING_APPROVAL, BS.CANCELLED_BY_PATRON, BS.CANCELLED, BS.REACTIVATED}
B_LOCATING = {BS.READY_TO_SEND, BS.LOCATE_IN_PROCESS, BS.LOCATE_FAILED, BS.BAD_CITATION, BS.LOCAL_HOLDING}
B_EXTERNAL = {BS.EXPORTED_TO_THIRD_PARTY, BS.EXTERNALLY_OBTAINED}
L_ON_LOAN = {LS.SHIPPED_PHYSICALLY, LS.RECEIVED_BY_PARTNER, LS.OVERDUE, LS.RECALLED, LS.BORROWER_RECALL,
             LS.RENEW_REQUESTED, LS.STAFF_RENEWAL, LS.RENEWAL_RESPONSE, LS.PATRON_RENEWAL,
             LS.RETURNED_BY_PARTNER, LS.LOST, LS.DAMAGED, LS.LENDER_CHECK_IN}
L_NOT_FOUND = {LS.LOCATE_FAILED, LS.PENDING_AUTO_REJECT, LS.REACTIVATED}
L_UNLOCATED = {LS.CANCEL_REPLY, LS.CANCELLED, LS.EXPIRED, LS.CREATED, LS.REJECTED}


def _sends(p) -> bool:
    return p.profile_type in ("iso18626", "email")


def _prof(step):
    return lambda p: getattr(p.workflow_profile, step)


# What the active partner must support for a request to be in (or walk to) a status.
B_NEEDS = {
    BS.CONDITIONAL: _prof("conditional"), BS.DAMAGED_COMMUNICATED: _prof("damaged_communicated"),
    BS.LOST_COMMUNICATED: _prof("lost_communicated"),
    BS.RENEW_REQUESTED: lambda p: p.workflow_profile.staff_renewal and p.workflow_profile.renew_response,
    BS.WAITING_CANCEL_RESPONSE: _prof("supports_cancel"), BS.REACTIVATED: _prof("reactivate"),
    # Returned item to partner / Lender check in exist only with the lender check-in step.
    BS.RETURNED_TO_PARTNER: _prof("lender_check_in"), BS.LENDER_CHECKED_IN: _prof("lender_check_in"),
}
B_NEEDS[BS.RENEWED_BY_PARTNER] = B_NEEDS[BS.RENEW_NOT_ACCEPTED] = B_NEEDS[BS.RENEW_REQUESTED]
L_NEEDS = {LS.WILL_SUPPLY: _prof("will_supply"), LS.CONDITIONAL: _prof("conditional"),
           LS.RECALLED: _prof("recall"), LS.REACTIVATED: _prof("reactivate"),
           LS.SHIPPED_DIGITALLY: _prof("waiting_for_digital_receipt")}


@dataclass
class World:
    """The reference data requests are built from, loaded once."""

    now: datetime
    libraries: dict
    pickups: dict
    levels: list
    patrons: list
    tags: list
    partners: list
    operators: list
    records: list = field(default_factory=list)
    demo_patron: Patron | None = None
    demo_patron_open: int = 0
    fallbacks: int = 0
    detours: list = field(default_factory=list)

    @property
    def today(self):
        return timezone.localdate(self.now)

    def created_at(self, rng, min_days: int) -> datetime:
        """Today, yesterday, 2–3 days ago … up to 89 days ago; office hours, local time."""
        buckets = [(0, 0), (1, 1), (2, 3), (4, 7), (8, 30), (31, 89)]
        lo, hi = rng.choices(buckets, weights=[8, 8, 10, 12, 32, 30])[0]
        day = self.today - timedelta(days=min(max(rng.randint(lo, hi), min_days), 89))
        local = datetime.combine(day, dt_time(8)) + timedelta(minutes=rng.randint(0, 540))
        moment = timezone.make_aware(local)
        # In UTC from here on, so adding timedeltas never lands an hour off across a DST change.
        return min(moment.astimezone(UTC), self.now - timedelta(minutes=rng.randint(5, 90)))

    def updated_at(self, rng, created: datetime) -> datetime:
        if rng.random() < 0.3:  # worked on today
            moment = self.now - timedelta(minutes=rng.randint(1, 8 * 60))
        else:
            moment = created + (self.now - created) * rng.uniform(0.05, 0.95)
        return min(max(moment, created + timedelta(minutes=3)), self.now)

    def assignee(self, rng):
        if rng.random() < 0.25:
            return None
        return rng.choices(self.operators, weights=[35, 20, 20, 25])[0]

    def requester(self, rng, status: str):
        """A patron for a borrowing request; the `patron` login only while it has room to spare."""
        patron = rng.choice(self.patrons)
        if patron == self.demo_patron and status not in B_FINAL:
            if self.demo_patron_open >= DEMO_PATRON_OPEN:
                return rng.choice([p for p in self.patrons if p != self.demo_patron])
            self.demo_patron_open += 1
        return patron

    def partner(self, rng, test=lambda p: True):
        candidates = [p for p in self.partners if p.active and test(p)]
        return rng.choice(candidates) if candidates else None

    def advance(self, obj, steps, target: str, ctx: dict):
        """Walk `steps` (real transitions), then change_status to `target` if not there yet."""
        for name, kwargs in steps:
            kwargs = {k: ctx[v[1:]] if str(v).startswith("@") else v for k, v in kwargs.items()}
            if name == "SHIP":
                name, kwargs = ("ship_non_returnable", {}) if obj.requested_format == NON_RET else (
                    "ship_physically", {"item": ctx.get("item")})
            elif name == "OVERDUE":
                name = "partner_overdue" if obj.partner_id and obj.partner.is_iso else "mark_overdue"
            if obj.status == target:
                break  # e.g. a return without the lender check-in step completes at once
            try:
                obj = sides.of(obj).transition(obj, name, by=None, message=MESSAGE, **kwargs)
            except ActionRefused as exc:
                self.fallbacks += 1
                self.detours.append(f"{obj.external_id}: {name} from {obj.status}: {exc.message}")
                break
        if obj.status != target:
            obj = sides.of(obj).transition(obj, "change_status", by=None, new_status=target, message=MESSAGE)
        return obj


class Command(BaseCommand):
    help = "Load the illdesk demo data set (idempotent: keyed on codes, usernames and DEMO-… external ids)."

    def add_arguments(self, parser):
        parser.add_argument("--borrowing", type=int, default=320, help="number of borrowing requests")
        parser.add_argument("--lending", type=int, default=160, help="number of lending requests")

    def handle(self, *args, **options):
        started = time.monotonic()
        with transaction.atomic():
            roles.ensure_roles()
            users = seed_users()
            world = seed_configuration(users)
            new_b = seed_borrowing(world, options["borrowing"])
            new_l = seed_lending(world, options["lending"])
        elapsed = time.monotonic() - started
        self.stdout.write(self.style.SUCCESS(f"illdesk demo data ready in {elapsed:.1f} s"))
        for label, model, new in (("borrowing", BorrowingRequest, new_b), ("lending", LendingRequest, new_l)):
            demo = model.objects.filter(external_id__startswith="DEMO-")
            active, statuses = demo.filter(is_active=True).count(), demo.values("status").distinct().count()
            self.stdout.write(f"  {label:9} requests: {demo.count():4} ({active} active, "
                              f"{statuses} statuses; {new} new)")
        self.stdout.write(f"  partners: {Partner.objects.count()}, patrons: {Patron.objects.count()}, "
                          f"bib records: {BibRecord.objects.count()}, items: {Item.objects.count()}, "
                          f"history events: {HistoryEvent.objects.count()}")
        if world.fallbacks:
            self.stdout.write(f"  ({world.fallbacks} demo paths ended early and used change status)")
            for line in world.detours:
                self.stdout.write(f"    {line}")
        self.stdout.write("Demo logins (password = username): operator, operator2, operator3 (operators), "
                          "manager (operator + manager), admin (superuser), patron (OPAC)")
        self.stdout.write(f"Our ISO 18626 symbol: {settings.ILLDESK_ISO_SYMBOL}; the demo peer DEMO-PEER is "
                          "ISIL:ZZ-PEER at http://127.0.0.1:8001/iso18626")


# --- users and configuration -----------------------------------------------------------------------


def seed_users() -> dict[str, User]:
    users = {}
    for username, first, last, groups, staff, superuser in D.STAFF:
        user, created = User.objects.get_or_create(username=username, defaults={
            "first_name": first, "last_name": last, "email": f"{username}@illdesk.example", "is_staff": staff,
            "is_superuser": superuser})
        if created or not user.check_password(username):
            user.set_password(username)
            user.save(update_fields=["password"])
        have = set(user.groups.values_list("name", flat=True))
        missing = [getattr(roles, g) for g in groups if getattr(roles, g) not in have]
        if missing:
            user.groups.add(*Group.objects.filter(name__in=missing))
        users[username] = user
    return users


def seed_configuration(users) -> World:
    libraries = {}
    for spec in D.LIBRARIES:
        libraries[spec["code"]], _ = ResourceSharingLibrary.objects.get_or_create(
            code=spec["code"], defaults={k: v for k, v in spec.items() if k != "code"})
    pickups: dict[str, list] = {code: [] for code in libraries}
    for code, library, name, kind in D.PICKUP_LOCATIONS:
        loc, _ = PickupLocation.objects.get_or_create(
            code=code, defaults={"library": libraries[library], "name": name, "kind": kind})
        pickups[loc.library.code].append(loc)
    levels = [LevelOfService.objects.get_or_create(code=code, defaults={"name": name,
                                                                       "ordering_position": pos})[0]
              for code, name, pos in D.LEVELS]
    categories = {code: PatronCategory.objects.get_or_create(code=code, defaults={
        "name": name, "may_request": may, "request_limit": limit})[0]
        for code, name, may, limit in D.CATEGORIES}
    patrons, demo_patron = [], None
    for n, (first, last, language, category) in enumerate(D.PATRONS, start=1):
        link = n == 1 and not Patron.objects.filter(user=users["patron"]).exists()
        patron, _ = Patron.objects.get_or_create(card_number=f"DEMO-P{n:04d}", defaults={
            "first_name": first, "last_name": last, "language": language, "category": categories[category],
            "email": f"{first}.{last}".lower().replace("'", "").replace(" ", "") + "@patron.illdesk.example",
            "home_library": libraries["MAIN" if n % 3 else "SCI"],
            "user": users["patron"] if link else None})
        if patron.category.may_request:
            patrons.append(patron)
        if patron.user_id == users["patron"].pk:
            demo_patron = patron
    tags = [Tag.objects.get_or_create(name=name)[0] for name in D.TAGS]
    profiles = {code: WorkflowProfile.objects.get_or_create(code=code, defaults={"name": name, **steps})[0]
                for code, (name, steps) in D.PROFILES.items()}
    partners = {}
    for code, name, ptype, id_type, id_value, endpoint, email, language, profile, active in D.PARTNERS:
        partners[code], _ = Partner.objects.get_or_create(code=code, defaults={
            "name": name, "profile_type": ptype, "agency_id_type": id_type, "agency_id_value": id_value,
            "iso_endpoint": endpoint, "email": email, "language": language,
            "workflow_profile": profiles[profile], "active": active})
        if ptype == "iso18626" and not partners[code].can_authenticate:
            # /iso18626 trusts only partners that authenticate (a demo made before that gets them too)
            Partner.objects.filter(pk=partners[code].pk).update(shared_secret=D.iso_secret(code))
            partners[code].shared_secret = D.iso_secret(code)
    templates = {}
    for code, (name, members) in D.ROTA_TEMPLATES.items():
        templates[code], _ = RotaTemplate.objects.get_or_create(code=code, defaults={"name": name})
        for position, partner_code in enumerate(members, start=1):
            RotaTemplateMember.objects.get_or_create(template=templates[code], partner=partners[partner_code],
                                                     defaults={"position": position})
    level_by_code = {level.code: level for level in levels}
    for name, priority, template, conditions, automatic in D.RULES:
        resolved = {k: libraries[v] if k == "owner" else level_by_code[v] if k == "level_of_service" else v
                    for k, v in conditions.items()}
        RotaAssignmentRule.objects.get_or_create(name=name, defaults={
            "priority": priority, "template": templates[template], "send_automatically": automatic,
            **resolved})
    world = World(
        now=timezone.now(), libraries=libraries, pickups=pickups, levels=levels, patrons=patrons, tags=tags,
        partners=list(Partner.objects.filter(code__in=partners).select_related("workflow_profile").order_by("code")),
        operators=[users[u] for u in ("operator", "operator2", "operator3", "manager")], demo_patron=demo_patron)
    if demo_patron is not None:  # a second run adds to what the first one left
        world.demo_patron_open = BorrowingRequest.objects.filter(requester=demo_patron, is_active=True).count()
    world.records = seed_inventory(libraries)
    return world


def seed_inventory(libraries) -> list[BibRecord]:
    """About 30 catalogue records with one or two items each, in both libraries."""
    specs = [(t, a, p, y, D.isbn13(pre, i), "") for i, (t, a, p, _pl, y, pre) in enumerate(D.BOOKS)]
    specs += [(t, a, p, y, D.isbn13(isbn, 900 + i) if isbn else "", D.issn(issn_) if issn_ else "")
              for i, (t, a, p, y, isbn, issn_) in enumerate(D.BIB_EXTRA)]
    existing = set(Item.objects.values_list("barcode", flat=True))
    codes = sorted(libraries)
    for n, (title, author, publisher, year, isbn, issn_) in enumerate(specs, start=1):
        record, _ = BibRecord.objects.get_or_create(record_id=f"DEMO-REC-{n:04d}", defaults={
            "title": title, "author": author, "publisher": publisher, "year": year, "isbn": isbn,
            "issn": issn_, "oclc_number": str(1000000 + n * 4099)})
        for copy in range(1 if issn_ or n % 3 == 0 else 2):
            barcode = f"3900100{n * 10 + copy:07d}"
            if barcode not in existing:
                Item.objects.create(
                    record=record, barcode=barcode, library=libraries[codes[(n + copy) % 2]],
                    location="Stacks" if copy == 0 else "Closed stacks",
                    call_number=f"{(n * 37) % 900 + 10}.{n % 9} {author[:3].upper() or 'SER'}")
    return list(BibRecord.objects.filter(record_id__startswith="DEMO-REC-").prefetch_related("items")
                .order_by("record_id"))


# --- requests --------------------------------------------------------------------------------------


def _seed_side(world: World, model, prefix: str, statuses, weights: dict, total: int, build) -> list:
    """Create the missing requests of one side's plan; `build` makes one request and moves it along."""
    plan = D.plan_statuses(list(statuses), weights, total, f"demo-{prefix}-plan")
    existing = set(model.objects.filter(external_id__startswith=f"DEMO-{prefix}-")
                   .values_list("external_id", flat=True))
    made = []
    for i, status in enumerate(plan, start=1):
        external_id = f"DEMO-{prefix}-{i:04d}"
        if external_id not in existing:
            made.append(build(world, random.Random(external_id), i, external_id, status))
    _finish(world, model, made)
    return made


def seed_borrowing(world: World, total: int) -> int:
    return len(_seed_side(world, BorrowingRequest, "B", BS.values, D.WEIGHT_BORROWING, total, _one_borrowing))


def _one_borrowing(world, rng, i, external_id, status):
    cite = D.citation(rng)
    fmt = rng.choice(B_FORMAT.get(status)
                     or [PHYSICAL if status in B_HELD else D.default_format(rng, cite["request_type"])])
    after_send = not (status in B_BEFORE or status in B_LOCATING or status in B_EXTERNAL)
    need = B_NEEDS.get(status, lambda p: True)
    if status in B_EXTERNAL:
        partner = world.partner(rng, lambda p: p.profile_type == "external")
    elif after_send:
        partner = world.partner(rng, lambda p: _sends(p) and need(p))
    elif status in B_LOCATING or rng.random() < 0.5:
        partner = world.partner(rng, lambda p: p.profile_type != "external" and need(p))
    else:
        partner = None
    created = world.created_at(rng, D.MIN_AGE_BORROWING.get(status, 0))
    updated = world.updated_at(rng, created)
    owner_code = "MAIN" if rng.random() < 0.65 else "SCI"
    unauthenticated = status in (BS.CREATED, BS.PENDING_APPROVAL) and rng.random() < 0.12
    requester = None if unauthenticated else world.requester(rng, status)
    peer = bool(partner and partner.is_peer)
    extras = D.request_extras(rng, world.tags, created, updated, after_send=after_send, peer=peer)
    day0 = timezone.localdate(created)
    due = None
    if status in B_HELD:
        due = day0 + timedelta(days=rng.randint(28, 56))
        if status == BS.OVERDUE:
            due = world.today - timedelta(days=rng.randint(1, 25))
        elif status in (BS.RECALLED_BY_PARTNER, BS.RENEWED_BY_PARTNER, BS.LOANED_TO_PATRON) and (
                due < world.today and rng.random() < 0.75):
            due = world.today + timedelta(days=rng.randint(2, 30))
    last_interest = day0 + timedelta(days=rng.randint(20, 120)) if rng.random() < 0.65 else None
    if status == BS.EXPIRED:
        last_interest = world.today - timedelta(days=rng.randint(1, 15))
    received = status in B_HELD or status in (BS.RECEIVED_DIGITALLY, BS.RECEIVED_NON_RETURNABLE, BS.COMPLETED)
    obj = BorrowingRequest.objects.create(
        external_id=external_id, owner=world.libraries[owner_code], partner=partner,
        assignee=world.assignee(rng),
        requester=requester, patron_category=requester.category if requester else None,
        unauthenticated_name="Kalle Vieras" if unauthenticated else "",
        unauthenticated_email="kalle.vieras@mail.example" if unauthenticated else "",
        pickup_location=rng.choices(world.pickups[owner_code], weights=[60, 20, 20])[0],
        level_of_service=rng.choices([*world.levels, None], weights=[65, 20, 10, 5])[0],
        requested_format=fmt, created_at=created, due_date=due, last_interest_date=last_interest,
        needed_by=day0 + timedelta(days=rng.randint(7, 40)) if rng.random() < 0.2 else None,
        reply_by=world.today + timedelta(days=rng.randint(1, 7)) if status == BS.CONDITIONAL else None,
        patron_info_required=status in B_BEFORE | B_LOCATING and rng.random() < 0.15,
        event_name=rng.choice(D.EVENT_NAMES) if rng.random() < 0.06 else "",
        temp_barcode=f"TMP{i:07d}" if received and fmt != DIGITAL else "",
        supplied_format=fmt if received else "",
        cost=Decimal(rng.choice(["0.00", "8.50", "12.00", "25.00"])) if received and rng.random() < 0.4
        else None,
        shipping_cost=Decimal(rng.choice(["4.90", "7.50", "12.00"])) if received and fmt != DIGITAL
        and rng.random() < 0.3 else None,
        request_note=rng.choice(["", "", "", "Any edition is fine.", "Tarvitsen vain luvun 3."]),
        status=BS.PENDING_APPROVAL if status == BS.PENDING_APPROVAL else BS.CREATED,
        **extras["flags"], **cite)
    record_event(obj, by=None, kind=HistoryEvent.Kind.ACTION, field="Created", new=obj.get_status_display(),
           message=f"{MESSAGE}: requested in the OPAC without logging in" if unauthenticated
           else f"{MESSAGE}: requested for the patron")
    if partner is not None:
        _rota(world, rng, obj, partner, status, created)
    ctx = {"due": due or world.today + timedelta(days=21)}
    steps = D.BORROWING_PATHS.get(status, [])
    if status == BS.COMPLETED and fmt == NON_RET:
        steps = D.BORROWING_COMPLETED_NON_RETURNABLE
    if obj.status != status:
        obj = world.advance(obj, steps, status, ctx)
    shipped = received or status in (BS.SHIPPED_PHYSICALLY, BS.SHIPPED_DIGITALLY)
    obj._demo = (created, updated, extras, shipped)
    return obj


def _rota(world, rng, obj, partner, status, created) -> None:
    """The request's rota: sometimes an earlier partner who rejected, the active one, maybe one waiting."""
    entries = []
    if status not in B_BEFORE and status not in B_EXTERNAL and rng.random() < 0.3:
        earlier = world.partner(rng, lambda p: _sends(p) and p.pk != partner.pk)
        if earlier:
            entries.append((earlier, RotaEntry.State.REJECTED, rng.choice(D.REJECT_REASONS)))
    state = RotaEntry.State.REJECTED if status == BS.REJECTED_BY_PARTNER else RotaEntry.State.ACTIVE
    reason = rng.choice(D.REJECT_REASONS) if state == RotaEntry.State.REJECTED else ""
    entries.append((partner, state, reason))
    if rng.random() < 0.35:
        used = {e[0].pk for e in entries}
        later = world.partner(rng, lambda p: p.profile_type != "external" and p.pk not in used)
        if later:
            entries.append((later, RotaEntry.State.PENDING, ""))
    sent = status not in B_BEFORE and status not in B_LOCATING
    RotaEntry.objects.bulk_create([
        RotaEntry(request=obj, partner=p, position=n, state=s, reject_reason=reason,
                  sent_at=created + timedelta(hours=n) if sent and s != RotaEntry.State.PENDING else None,
                  locate_result="located" if sent or status == BS.READY_TO_SEND else "")
        for n, (p, s, reason) in enumerate(entries, start=1)])


def seed_lending(world: World, total: int) -> int:
    # Items held by an active request: each serves one request at a time (lending_item_held_once).
    taken = set(LendingRequest.objects.exclude(status__in=L_HOLDS_NO_ITEM)
                .filter(item__isnull=False, removed_at__isnull=True).values_list("item_id", flat=True))

    def build(*args):
        return _one_lending(*args, taken=taken)

    made = _seed_side(world, LendingRequest, "L", LS.values, D.WEIGHT_LENDING, total, build)
    # Items follow their requests: out with the borrower, back in resource sharing, or missing.
    at_home = {LS.BEING_PROCESSED, LS.WILL_SUPPLY, LS.RETURNED_BY_PARTNER, LS.LENDER_CHECK_IN}
    for states, item_state in ((L_ON_LOAN - at_home - {LS.LOST, LS.DAMAGED}, Item.State.SHIPPED),
                               (at_home, Item.State.IN_RESOURCE_SHARING), ({LS.LOST}, Item.State.MISSING)):
        ids = [o.item_id for o in made if o.item_id and o.status in states]
        Item.objects.filter(pk__in=ids).update(state=item_state)
    return len(made)


def _one_lending(world, rng, i, external_id, status, *, taken):
    if status in L_ON_LOAN:
        fmt = PHYSICAL
    elif status == LS.SHIPPED_DIGITALLY:
        fmt = DIGITAL
    elif status == LS.SHIPPED_PHYSICALLY:
        fmt = rng.choice([PHYSICAL, PHYSICAL, NON_RET])
    elif status == LS.COMPLETED:
        fmt = rng.choice([PHYSICAL, PHYSICAL, DIGITAL])
    else:
        fmt = rng.choices([PHYSICAL, DIGITAL, NON_RET], weights=[60, 30, 10])[0]
    located = status not in L_NOT_FOUND and (status not in L_UNLOCATED or rng.random() < 0.5)
    record = item = None
    if located:
        books = [r for r in world.records if not r.issn]
        record = rng.choice(books if fmt == PHYSICAL else world.records)
        cite = D.lending_citation(rng, record)
        if fmt == PHYSICAL and status not in L_UNLOCATED:
            item = _free_copy(record, taken)
            if status not in L_HOLDS_NO_ITEM:
                taken.add(item.pk)
    else:
        cite = D.citation(rng)
        while cite["request_type"] == "book":
            cite = D.citation(rng)
    need = L_NEEDS.get(status, lambda p: True)
    if status == LS.COMPLETED and fmt == DIGITAL:
        need = lambda p: not p.workflow_profile.waiting_for_digital_receipt  # noqa: E731
    partner = world.partner(rng, lambda p: p.profile_type != "external" and need(p))
    created = world.created_at(rng, D.MIN_AGE_LENDING.get(status, 0))
    updated = world.updated_at(rng, created)
    day0 = timezone.localdate(created)
    due = day0 + timedelta(days=rng.randint(28, 42)) if status in L_ON_LOAN else None
    if status == LS.OVERDUE:
        due = world.today - timedelta(days=rng.randint(1, 20))
    elif status in (LS.RECALLED, LS.BORROWER_RECALL):
        due = world.today + timedelta(days=rng.randint(3, 10))
    extras = D.request_extras(rng, world.tags, created, updated, after_send=True, peer=partner.is_peer)
    alerts = [(rng.choice(D.ALERTS), rng.random() < 0.85, created + (updated - created) * rng.uniform(0.3, 1))
              for _ in range(1 if rng.random() < 0.1 else 0)]
    worked = status not in (LS.CREATED, LS.LOCATE_FAILED, LS.PENDING_AUTO_REJECT)
    shipped = status in L_ON_LOAN or status == LS.SHIPPED_DIGITALLY or (status == LS.COMPLETED and located)
    obj = LendingRequest.objects.create(
        external_id=external_id, partner=partner, assignee=world.assignee(rng),
        owner=item.library if item else world.libraries["MAIN" if rng.random() < 0.6 else "SCI"],
        requester_name=rng.choice(D.BORROWER_PATRONS),
        # one open lending request per borrower's request (lending_request_once_per_borrower_request): the
        # request's number makes it unique, also beside seed_bulk's "<code>-<id>" (it has one dash after the code)
        borrower_request_id=f"{partner.code}-{rng.randint(100, 999)}-{i:04d}",
        requested_format=fmt, level_of_service=rng.choices([*world.levels, None], weights=[70, 15, 10, 5])[0],
        created_at=created, due_date=due,
        last_interest_date=day0 + timedelta(days=rng.randint(14, 90)) if rng.random() < 0.4 else None,
        printed=worked and rng.random() < 0.4, reported=worked and rng.random() < 0.2,
        has_alerts=any(active for _t, active, _at in alerts), **extras["flags"], **cite)
    record_event(obj, by=None, kind=HistoryEvent.Kind.ACTION, field="Created", new=obj.get_status_display(),
                 message=f"{MESSAGE}: received from {partner.name}")
    extras["alerts"] = alerts
    ctx = {"record": record, "item": item, "due": due or world.today + timedelta(days=14),
           "reply_by": world.today + timedelta(days=rng.randint(1, 7))}
    steps = D.LENDING_PATHS.get(status, [])
    if status == LS.COMPLETED and fmt == DIGITAL:
        steps = D.LENDING_COMPLETED_DIGITAL
    if status != LS.CREATED:
        obj = world.advance(obj, steps, status, ctx)
    elif located:  # a new request from a partner is located on arrival
        obj = sides.of(obj).transition(obj, "locate", by=None, message=MESSAGE, outcome="located", record=record)
    if status == LS.BEING_PROCESSED and item is not None:
        # Ready to ship: the copy is moved to the resource-sharing desk for this request.
        place_fulfillment_request(obj, kind=FulfillmentRequest.Kind.SHIP_PHYSICALLY, by=None, item=item)
        obj.refresh_from_db()
    obj._demo = (created, updated, extras, shipped)
    return obj


def _free_copy(record: BibRecord, taken: set[int]) -> Item:
    """A copy of `record` no active request holds; a further copy when every one is taken (a library
    that lends a title often owns several)."""
    items = list(record.items.all())
    free = [it for it in items if it.pk not in taken]
    if free:
        return free[0]
    number = int(record.record_id.rsplit("-", 1)[1])
    first = items[0]
    item = Item.objects.create(record=record, barcode=f"3900200{number * 100 + len(items):07d}",
                               library=first.library, location="Stacks", call_number=first.call_number)
    record.items.add(item)  # keeps the prefetched list in step
    return item


# --- dates, history times, notes, messages, tags ---------------------------------------------------


def _finish(world: World, model, made: list) -> None:
    """Spread timestamps over each request's life (transitions ran just now), then attach the rest."""
    if not made:
        return
    ct = ContentType.objects.get_for_model(model)
    for obj in made:
        created, updated, _extras, shipped = obj._demo
        obj.created_at, obj.updated_at = created, updated
        obj.shipped_at = created + (updated - created) * 0.6 if shipped else None
    model.objects.bulk_update(made, ["created_at", "updated_at", "shipped_at"], batch_size=200)
    events = list(HistoryEvent.objects.filter(content_type=ct, object_id__in=[o.pk for o in made])
                  .order_by("object_id", "id").only("id", "object_id", "at"))
    by_request: dict[int, list] = {}
    for event in events:
        by_request.setdefault(event.object_id, []).append(event)
    notes, messages, alerts, tags = [], [], [], []
    through = model.tags.through
    link = f"{model._meta.model_name}_id"
    for obj in made:
        created, updated, extras, _shipped = obj._demo
        mine = by_request.get(obj.pk, [])
        for n, event in enumerate(mine, start=1):
            event.at = created + (updated - created) * (n / len(mine))
        linked = {"content_type": ct, "object_id": obj.pk}
        notes += [Note(kind=kind, text=text, active=active, created_at=at,
                       author=obj.assignee if kind != "from_partner" else None, **linked)
                  for kind, text, active, at in extras["notes"]]
        messages += [GeneralMessage(direction=d, text=text, active=active, created_at=at,
                                    author=obj.assignee if d == "sent" else None, **linked)
                     for d, text, active, at in extras["messages"]]
        alerts += [Alert(text=text, active=active, created_at=at, **linked)
                   for text, active, at in extras.get("alerts", [])]
        tags += [through(**{link: obj.pk, "tag_id": tag.pk}) for tag in extras["tags"]]
    HistoryEvent.objects.bulk_update(events, ["at"], batch_size=500)
    Note.objects.bulk_create(notes)
    GeneralMessage.objects.bulk_create(messages)
    Alert.objects.bulk_create(alerts)
    through.objects.bulk_create(tags)
