"""The fixed cast every test uses: operator, second operator, manager, admin, patron, outsider,
and a small world of libraries, partners and profiles built in one place."""

import pytest
from django.contrib.auth.models import Group, User

from illdesk import roles
from illdesk.models import LevelOfService, Patron, PatronCategory, PickupLocation, ResourceSharingLibrary
from partners.models import Partner, WorkflowProfile


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _clean_caches(settings):
    """Aliases and cached statistics must not leak from one test into another (shared Redis in CI)."""
    from django.core.cache import cache

    from illdesk.aliases import invalidate

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()
    invalidate()
    yield
    cache.clear()
    invalidate()


def _user(username: str, *groups: str, **extra) -> User:
    user = User.objects.create_user(username, f"{username}@example.org", username, **extra)
    for name in groups:
        user.groups.add(Group.objects.get(name=name))
    return user


@pytest.fixture
def operator(db):
    return _user("operator", roles.OPERATOR, first_name="Olli", last_name="Operator")


@pytest.fixture
def operator2(db):
    return _user("operator2", roles.OPERATOR, first_name="Otto", last_name="Other")


@pytest.fixture
def manager(db):
    return _user("manager", roles.OPERATOR, roles.MANAGER, first_name="Maija", last_name="Manager")


@pytest.fixture
def admin_user(db):
    return _user("admin", roles.ADMIN, is_staff=True, first_name="Aino", last_name="Admin")


@pytest.fixture
def outsider(db):
    return _user("outsider")


@pytest.fixture
def library(db):
    return ResourceSharingLibrary.objects.create(code="MAIN", name="Main Library", email="ill@example.org")


@pytest.fixture
def pickup(library):
    return PickupLocation.objects.create(library=library, code="MAIN-DESK", name="Main desk")


@pytest.fixture
def level(db):
    return LevelOfService.objects.create(code="NORMAL", name="Normal")


@pytest.fixture
def category(db):
    return PatronCategory.objects.create(code="STAFF", name="Staff")


@pytest.fixture
def patron_user(db):
    return _user("patron")


@pytest.fixture
def patron(patron_user, category, library):
    return Patron.objects.create(
        user=patron_user, card_number="P0001", first_name="Pia", last_name="Patron", email="pia@example.org",
        category=category, home_library=library,
    )


@pytest.fixture
def full_profile(db):
    """A workflow profile with every optional step switched on."""
    fields = {f.name: True for f in WorkflowProfile._meta.get_fields() if f.get_internal_type() == "BooleanField"}
    fields["waiting_for_digital_receipt"] = True
    return WorkflowProfile.objects.create(code="FULL", name="Everything", **fields)


@pytest.fixture
def bare_profile(db):
    fields = {f.name: False for f in WorkflowProfile._meta.get_fields() if f.get_internal_type() == "BooleanField"}
    return WorkflowProfile.objects.create(code="BARE", name="Nothing optional", **fields)


@pytest.fixture
def iso_partner(full_profile):
    return Partner.objects.create(
        code="PEER", name="Peer University", profile_type=Partner.ProfileType.ISO18626, agency_id_type="ISIL",
        agency_id_value="ZZ-PEER", iso_endpoint="http://127.0.0.1:9/iso18626", workflow_profile=full_profile,
        allowed_networks="127.0.0.1",  # the test client's address: /iso18626 trusts only partners that authenticate
    )


@pytest.fixture
def email_partner(full_profile):
    return Partner.objects.create(
        code="MAILLIB", name="Mail Library", profile_type=Partner.ProfileType.EMAIL, email="ill@mail.example.org",
        workflow_profile=full_profile,
    )


@pytest.fixture
def external_partner(bare_profile):
    return Partner.objects.create(
        code="SUPPLIER", name="Document Supplier", profile_type=Partner.ProfileType.EXTERNAL,
        workflow_profile=bare_profile,
    )
