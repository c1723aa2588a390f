"""`python -m tests.faults.seed <peer url> <n>`, with DATABASE_URL pointing at the private cluster:
migrate it and make what the restart tests work on (an operator, a library, a patron, an ISO 18626
partner at the peer's URL, n borrowing requests sent to it). Prints the ids as JSON."""

from __future__ import annotations

import json
import sys

import django


def main(peer_url: str, count: int) -> dict:
    django.setup()
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command

    from illdesk import roles
    from illdesk.models import Patron, PatronCategory, PickupLocation, ResourceSharingLibrary
    from partners.models import Partner, WorkflowProfile
    from tests.factories import make_borrowing

    call_command("migrate", interactive=False, verbosity=0)
    user = User.objects.create_user("operator", "operator@example.org", "operator")
    user.groups.add(Group.objects.get(name=roles.OPERATOR))
    library = ResourceSharingLibrary.objects.create(code="MAIN", name="Main Library", email="ill@example.org")
    pickup = PickupLocation.objects.create(library=library, code="MAIN-DESK", name="Main desk")
    category = PatronCategory.objects.create(code="STAFF", name="Staff")
    patron_user = User.objects.create_user("patron", "patron@example.org", "patron")
    patron = Patron.objects.create(user=patron_user, card_number="P0001", first_name="Pia", last_name="Patron",
                                   email="pia@example.org", category=category, home_library=library)
    flags = {f.name: True for f in WorkflowProfile._meta.get_fields() if f.get_internal_type() == "BooleanField"}
    profile = WorkflowProfile.objects.create(code="FULL", name="Everything", **flags)
    partner = Partner.objects.create(code="PEER", name="Peer University", profile_type=Partner.ProfileType.ISO18626,
                                     agency_id_type="ISIL", agency_id_value="ZZ-PEER", iso_endpoint=peer_url,
                                     allowed_networks="127.0.0.1\n::1", workflow_profile=profile)
    requests = [make_borrowing(library, "sent", partner=partner, requester=patron, pickup_location=pickup,
                               patron_category=category, title=f"Request {i}").pk for i in range(count)]
    return {"requests": requests}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], int(sys.argv[2]))))
