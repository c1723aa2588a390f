"""Lending fixtures: the sample inventory, a recorder of partner events, and small client helpers."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest

from lending import marc
from lending.models import BibRecord

SAMPLE = Path(__file__).resolve().parents[2] / "lending" / "fixtures" / "sample_inventory.xml"


@pytest.fixture
def inventory(library):
    """The sample MARCXML file loaded for `library` (records SAMPLE-0001 … 0005)."""
    report = marc.load(str(SAMPLE), library)
    assert report.records == 5
    return {r.record_id: r for r in BibRecord.objects.all()}


@pytest.fixture
def kuhn(inventory):
    return inventory["SAMPLE-0001"]


@pytest.fixture
def partner_events(monkeypatch):
    """Every partners.notify.notify_partner call as (request pk, event, details). With the real module
    installed the call goes through to it as well; before it exists a stand-in records the contract."""
    calls: list[tuple[int, str, dict]] = []
    try:
        import partners.notify as module
    except ImportError:
        module = types.ModuleType("partners.notify")
        module.notify_partner = lambda req, event, *, by=None, note="", **details: None
        monkeypatch.setitem(sys.modules, "partners.notify", module)
        import partners

        monkeypatch.setattr(partners, "notify", module, raising=False)
    real = module.notify_partner

    def recorder(req, event, *, by=None, note="", **details):
        calls.append((req.pk, event, {"note": note, **details}))
        return real(req, event, by=by, note=note, **details)

    monkeypatch.setattr(module, "notify_partner", recorder)
    return calls
