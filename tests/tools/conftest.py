import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_alias_cache():
    """The alias cache outlives a test's rolled-back transaction: start and end every test without it."""
    from illdesk.aliases import invalidate

    cache.clear()
    invalidate()
    yield
    cache.clear()
    invalidate()


@pytest.fixture
def other_library(db):
    from illdesk.models import ResourceSharingLibrary

    return ResourceSharingLibrary.objects.create(code="BRANCH", name="Branch Library")
