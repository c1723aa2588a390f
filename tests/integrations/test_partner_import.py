"""Partner bulk import from CSV (seed 004): command and admin upload, dry run, per-row errors,
idempotent on partner code."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from integrations.models import JobRun
from integrations.partner_import import COLUMNS, import_partners
from partners.models import Partner

HEADER = ",".join(COLUMNS)
CSV = HEADER + """
UEF,University of Eastern Finland,email,ill@uef.example.org,,,,fi,FULL,yes,"Yliopistonranta 1
Kuopio"
TUNI,Tampere University,ISO 18626,,ISIL,FI-TUNI,https://tuni.example.org/iso18626,en,FULL,,
BAD1,,email,not-an-email,,,,en,FULL,yes,
BAD2,Nowhere,carrier pigeon,,,,,en,NOPE,maybe,
"""


@pytest.mark.django_db
def test_it_creates_partners_and_reports_bad_rows_with_their_numbers(full_profile):
    result = import_partners(CSV.encode())
    outcomes = [(line.row, line.code, line.outcome) for line in result.lines]
    assert outcomes == [(2, "UEF", "created"), (3, "TUNI", "created"), (4, "BAD1", "failed"), (5, "BAD2", "failed")]
    uef = Partner.objects.get(code="UEF")
    assert (uef.profile_type, uef.language, uef.active, uef.workflow_profile) == ("email", "fi", True, full_profile)
    assert uef.address == "Yliopistonranta 1\nKuopio"
    tuni = Partner.objects.get(code="TUNI")
    assert (tuni.profile_type, tuni.agency_symbol, tuni.active) == ("iso18626", "ISIL:FI-TUNI", True)
    bad1, bad2 = result.errors
    assert "name" in bad1.message and "email" in bad1.message
    assert "active must be yes or no" in bad2.message
    assert not Partner.objects.filter(code__startswith="BAD").exists()


@pytest.mark.django_db
def test_importing_again_changes_nothing_and_updates_by_code(full_profile, bare_profile):
    import_partners(CSV)
    again = import_partners(CSV)
    assert [line.outcome for line in again.lines] == ["skipped", "skipped", "failed", "failed"]
    changed = import_partners("code,email,workflow_profile,active\nuef,new@uef.example.org,BARE,no\n")
    (line,) = changed.lines
    assert line.outcome == "updated" and "email" in line.message and "workflow_profile" in line.message
    uef = Partner.objects.get(code="UEF")  # matched case-insensitively, spelling kept
    assert (uef.email, uef.workflow_profile, uef.active, uef.name) == (
        "new@uef.example.org", bare_profile, False, "University of Eastern Finland")
    assert Partner.objects.count() == 2


@pytest.mark.django_db
def test_a_dry_run_changes_nothing(full_profile):
    result = import_partners(CSV, dry_run=True)
    assert [line.outcome for line in result.lines] == ["created", "created", "failed", "failed"]
    assert not Partner.objects.exists()


@pytest.mark.django_db
def test_semicolons_duplicates_and_bad_headers(full_profile):
    result = import_partners("code;name;profile_type;workflow_profile\nA;A lib;email;FULL\na;Again;email;FULL\n")
    assert [(line.row, line.outcome) for line in result.lines] == [(2, "created"), (3, "failed")]
    assert "row 2" in result.lines[1].message
    assert "no “code” column" in import_partners("name,email\nX,x@example.org\n").file_error
    assert "Unknown columns: colour" in import_partners("code,colour\nX,red\n").file_error
    assert "not UTF-8" in import_partners(b"code,name\n\xff\xfe,x\n").file_error


@pytest.mark.django_db
def test_the_command(tmp_path, full_profile):
    path = tmp_path / "partners.csv"
    path.write_text(CSV, encoding="utf-8-sig")
    out = StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("import_partners", str(path), "--dry-run", stdout=out)
    assert exited.value.code == 1
    assert "row 4: BAD1: failed" in out.getvalue() and "dry run, nothing changed" in out.getvalue()
    assert not Partner.objects.exists() and not JobRun.objects.exists()
    path.write_text(CSV.splitlines()[0] + "\n" + "\n".join(CSV.splitlines()[1:4]) + "\n", encoding="utf-8")
    out = StringIO()
    call_command("import_partners", str(path), stdout=out)
    assert Partner.objects.count() == 2
    run = JobRun.objects.get()
    assert (run.job, run.created, run.trigger) == ("partner_import", 2, "command")


@pytest.mark.django_db
def test_the_upload_page_is_for_administrators(client, admin_user, operator, full_profile):
    client.force_login(operator)
    assert client.get("/imports/partners/").status_code == 403
    client.force_login(admin_user)
    assert client.get("/imports/partners/").status_code == 200
    upload = SimpleUploadedFile("partners.csv", CSV.encode(), content_type="text/csv")
    response = client.post("/imports/partners/", {"file": upload, "dry_run": "1"})
    assert response.status_code == 200 and "BAD2" in response.content.decode()
    assert not Partner.objects.exists()
    upload = SimpleUploadedFile("partners.csv", CSV.encode(), content_type="text/csv")
    response = client.post("/imports/partners/", {"file": upload})
    assert Partner.objects.count() == 2
    run = response.context["run"]
    assert (run.created, run.failed, run.triggered_by) == (2, 2, admin_user)
    assert client.post("/imports/partners/", {}).status_code == 400
