"""Bulk import of partners from CSV (seed 004: Helsinki created ~560 partner records this way).

Columns (header row required; only `code` is mandatory in the header, a column left out keeps the
existing value on update):

    code, name, profile_type, email, agency_id_type, agency_id_value, iso_endpoint, language,
    workflow_profile, active, address

profile_type: iso18626 | email | ncip_p2p | external (or the label, e.g. "ISO 18626"); workflow_profile:
a workflow profile code; active: yes/no (true/false, 1/0; empty = yes); language: en | fi.
Comma, semicolon or tab separated, UTF-8 (with or without BOM). Partners are matched on code,
case-insensitively: a second import of the same file changes nothing.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from itertools import islice
from typing import IO, Any

from django import forms
from django.db import transaction
from django.forms.models import model_to_dict
from django.utils.translation import gettext as _

from partners.models import Partner, WorkflowProfile

from .models import JobRun
from .runs import execute

COLUMNS = ("code", "name", "profile_type", "email", "agency_id_type", "agency_id_value", "iso_endpoint", "language",
           "workflow_profile", "active", "address")
MAX_ROWS = 20_000
TRUE = {"1", "true", "yes", "y", "x", "on", "kyllä", "k"}
FALSE = {"0", "false", "no", "n", "off", "ei", "e"}
PARTNER_IMPORT_JOB = "partner_import"


class ImportFileError(Exception):
    """The file as a whole can't be read (no header, no code column, not CSV)."""


class PartnerRowForm(forms.ModelForm):
    workflow_profile = forms.ModelChoiceField(queryset=WorkflowProfile.objects.all(), to_field_name="code",
                                              error_messages={"invalid_choice": "No workflow profile with this code."})
    iso_endpoint = forms.URLField(required=False, max_length=200, assume_scheme="https")

    class Meta:
        model = Partner
        fields = [c for c in COLUMNS]


@dataclass
class Line:
    row: int
    code: str
    outcome: str  # created / updated / skipped / failed
    message: str


@dataclass
class Result:
    dry_run: bool
    lines: list[Line] = field(default_factory=list)
    file_error: str = ""

    def count(self, outcome: str) -> int:
        return sum(1 for line in self.lines if line.outcome == outcome)

    @property
    def errors(self) -> list[Line]:
        return [line for line in self.lines if line.outcome == "failed"]


def _decode(data: bytes | str) -> str:
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(_("The file is not UTF-8 text (save it as “CSV UTF-8”).")) from exc


def _reader(text: str) -> csv.DictReader:
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample.splitlines()[0] if sample else "", delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    # newline="": csv splits the lines itself (Excel for Mac still ends them with a bare \r).
    reader = csv.DictReader(io.StringIO(text, newline=""), dialect=dialect)
    if not reader.fieldnames:
        raise ImportFileError(_("The file is empty: it needs a header row with the column names."))
    reader.fieldnames = [(name or "").strip().lower() for name in reader.fieldnames]
    if "code" not in reader.fieldnames:
        raise ImportFileError(_("The header has no “code” column. Columns: %(cols)s.") % {"cols": ", ".join(COLUMNS)})
    unknown = [name for name in reader.fieldnames if name and name not in COLUMNS]
    if unknown:
        raise ImportFileError(_("Unknown columns: %(unknown)s. Columns: %(cols)s.") % {
            "unknown": ", ".join(unknown), "cols": ", ".join(COLUMNS)})
    return reader


def _choice(value: str, choices: list[tuple[str, Any]]) -> str:
    folded = value.strip().casefold()
    for key, label in choices:
        if folded in (str(key).casefold(), str(label).casefold()):
            return str(key)
    return value.strip()


def _normalise(row: dict[str, str], present: list[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in present:
        raw = (row.get(name) or "").strip()
        if name == "profile_type":
            raw = _choice(raw, Partner.ProfileType.choices)
        elif name == "language":
            raw = _choice(raw, Partner._meta.get_field("language").choices)
        elif name == "active":
            if raw.casefold() in FALSE:
                raw = False
            elif raw == "" or raw.casefold() in TRUE:
                raw = True
            else:
                raise ValueError(_("active must be yes or no, not “%(v)s”.") % {"v": raw})
        values[name] = raw
    return values


def _row(values: dict[str, Any], existing: Partner | None) -> tuple[str, str]:
    before: dict[str, Any] = {}
    if existing is not None:
        before = {name: getattr(existing, name) for name in COLUMNS}  # the form changes the instance
        data = model_to_dict(existing, fields=list(COLUMNS))
        data["workflow_profile"] = existing.workflow_profile.code
    else:
        data = {"active": True, "language": "en"}
    data.update(values)
    if existing is not None:
        data["code"] = existing.code  # matched case-insensitively: keep the stored spelling
    if not data.get("language"):
        data["language"] = "en"
    form = PartnerRowForm(data, instance=existing)
    if not form.is_valid():
        raise ValueError("; ".join(f"{name}: {' '.join(errors)}" if name != "__all__" else " ".join(errors)
                                   for name, errors in form.errors.items()))
    changed = [name for name in COLUMNS if existing is not None and before[name] != form.cleaned_data.get(name)]
    if existing is not None and not changed:
        return "skipped", _("Unchanged.")
    partner = form.save()
    if existing is None:
        return "created", _("Created partner %(name)s.") % {"name": partner.name}
    return "updated", _("Updated: %(fields)s.") % {"fields": ", ".join(changed)}


def import_partners(data: bytes | str | IO, *, dry_run: bool = False) -> Result:
    """Create or update a partner per row. Each row is its own savepoint: a bad row is reported with
    its row number (the header is row 1) and the others go on. A dry run changes nothing."""
    if hasattr(data, "read"):
        data = data.read()
    result = Result(dry_run=dry_run)
    try:
        reader = _reader(_decode(data))
        rows = list(islice(reader, MAX_ROWS + 1))  # the whole file is read before anything changes
    except ImportFileError as exc:
        result.file_error = str(exc)
        return result
    except csv.Error as exc:  # a quote left open, a field past the csv module's size limit …
        result.file_error = _("The file is not valid CSV: %(error)s") % {"error": exc}
        return result
    present = [name for name in reader.fieldnames if name]
    seen: dict[str, int] = {}
    with transaction.atomic():
        for number, row in enumerate(rows, start=2):
            if number - 1 > MAX_ROWS:
                result.file_error = _("Only the first %(n)d rows were read.") % {"n": MAX_ROWS}
                break
            if None in row:  # more cells than header columns
                result.lines.append(Line(number, (row.get("code") or "").strip(), "failed",
                                         _("More cells than columns in the header.")))
                continue
            if not any((v or "").strip() for v in row.values()):
                continue
            code = (row.get("code") or "").strip()
            if not code:
                result.lines.append(Line(number, "", "failed", _("No code.")))
                continue
            if code.casefold() in seen:
                result.lines.append(Line(number, code, "failed", _("The same code as row %(n)d.") % {
                    "n": seen[code.casefold()]}))
                continue
            seen[code.casefold()] = number
            try:
                values = _normalise(row, present)
                with transaction.atomic():
                    existing = Partner.objects.select_for_update().filter(code__iexact=code).order_by("pk").first()
                    outcome, message = _row(values, existing)
            except Exception as exc:
                result.lines.append(Line(number, code, "failed", str(exc)))
                continue
            result.lines.append(Line(number, code, outcome, message))
        if dry_run:
            transaction.set_rollback(True)
    return result


def record_run(result: Result, *, trigger: str = JobRun.Trigger.COMMAND, by=None, filename: str = "") -> JobRun:
    """Keep an import's report with the other job runs (/jobs/)."""

    def work(report) -> None:
        if filename:
            report.note(filename[:200])
        if result.file_error:
            report.error(result.file_error)
        for line in result.lines:
            report.line(line.outcome, line.message, key=_("row %(n)d %(code)s") % {"n": line.row, "code": line.code})

    return execute(PARTNER_IMPORT_JOB, _("Import partners"), work, trigger=trigger, by=by)
