"""Loading the local inventory from MARCXML (pymarc), one record at a time.

Bibliographic fields (MARC 21):
    001 (else Koha's 999$c)  record id — the key: loading the same file again updates, never duplicates
    245 $a $b                title (required)
    100/110/111 $a, else 700 $a   author
    020 $a                   ISBN (first valid one, digits only)
    022 $a                   ISSN (NNNN-NNNC)
    035 $a "(OCoLC)…"        OCLC number
    264/260 $b, $c           publisher, year (else 008/07-10)
Items, one per 952 field (Koha's embedded holdings):
    $p barcode (required; the key for items)   $c shelving location (else $a home library code)
    $o call number   $1 lost / $0 withdrawn (non-zero → Missing)   $q due date (→ On loan)
An item already in a resource-sharing process (In resource sharing, Shipped) keeps its status.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from xml.sax import SAXParseException

import pymarc
from django.db import DatabaseError, transaction

from illdesk.models import ResourceSharingLibrary

from .inventory import clean_isbn, clean_issn, clean_oclc
from .models import BibRecord, Item

ITEM_TAG = "952"
_TRAILING = re.compile(r"[\s/:;,.=]+$")
_YEAR = re.compile(r"\d{4}")
_INITIAL = re.compile(r"\b\w\.$")


class RecordError(Exception):
    pass


@dataclass
class LoadReport:
    records_created: int = 0
    records_updated: int = 0
    items_created: int = 0
    items_updated: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def records(self) -> int:
        return self.records_created + self.records_updated

    def summary(self) -> str:
        return (f"{self.records} records ({self.records_created} new, {self.records_updated} updated), "
                f"items: {self.items_created} new, {self.items_updated} updated, {len(self.errors)} errors")


def _clip(value: str, model, name: str) -> str:
    return (value or "")[: model._meta.get_field(name).max_length]


def _sub(record: pymarc.Record, tags: tuple[str, ...], code: str) -> str:
    for tag in tags:
        for f in record.get_fields(tag):
            values = f.get_subfields(code)
            if values and values[0].strip():
                return values[0].strip()
    return ""


def _strip(value: str) -> str:
    """ISBD punctuation off the end ("Chicago :" → "Chicago"), but not an initial's dot ("Kuhn, Thomas S.")."""
    value = _TRAILING.sub("", value.strip()) if not _INITIAL.search(value.strip()) else value.strip()
    return value.rstrip(" /:;,=")


def record_id(record: pymarc.Record) -> str:
    control = record.get_fields("001")
    if control and control[0].data and control[0].data.strip():
        return control[0].data.strip()
    return _sub(record, ("999",), "c")


def bib_fields(record: pymarc.Record) -> dict[str, str]:
    title_field = next(iter(record.get_fields("245")), None)
    title = ""
    if title_field is not None:
        title = " : ".join(_strip(v) for v in (title_field.get_subfields("a") + title_field.get_subfields("b"))[:2]
                           if _strip(v))
    if not title:
        raise RecordError("no title (245 $a)")
    isbn = next((clean_isbn(v) for f in record.get_fields("020") for v in f.get_subfields("a") if clean_isbn(v)), "")
    issn = next((clean_issn(v) for f in record.get_fields("022") for v in f.get_subfields("a") if clean_issn(v)), "")
    oclc = next((clean_oclc(v) for f in record.get_fields("035") for v in f.get_subfields("a")
                 if "ocolc" in v.lower() and clean_oclc(v)), "")
    year = _YEAR.search(_sub(record, ("264", "260"), "c"))
    if year is None:
        fixed = record.get_fields("008")
        year = _YEAR.search(fixed[0].data[7:11]) if fixed and fixed[0].data else None
    return {
        "title": _clip(title, BibRecord, "title"),
        "author": _clip(_strip(_sub(record, ("100", "110", "111", "700"), "a")), BibRecord, "author"),
        "isbn": isbn,
        "issn": issn,
        "oclc_number": _clip(oclc, BibRecord, "oclc_number"),
        "publisher": _clip(_strip(_sub(record, ("264", "260"), "b")), BibRecord, "publisher"),
        "year": year.group(0) if year else "",
    }


def item_fields(f: pymarc.Field) -> dict[str, str]:
    def sub(code: str) -> str:
        values = f.get_subfields(code)
        return values[0].strip() if values else ""

    barcode = sub("p")
    if not barcode:
        raise RecordError(f"an item ({ITEM_TAG}) has no barcode ($p)")
    if sub("1") not in ("", "0") or sub("0") not in ("", "0"):
        state = Item.State.MISSING
    elif sub("q"):
        state = Item.State.ON_LOAN
    else:
        state = Item.State.ON_SHELF
    return {"barcode": _clip(barcode, Item, "barcode"), "location": _clip(sub("c") or sub("a"), Item, "location"),
            "call_number": _clip(sub("o"), Item, "call_number"), "state": state}


#: Workflow states an import does not overwrite.
_IN_PROCESS = (Item.State.IN_RESOURCE_SHARING, Item.State.SHIPPED)


def load_record(record: pymarc.Record, library: ResourceSharingLibrary, report: LoadReport) -> None:
    """Create or update one record and its items; all or nothing (a savepoint)."""
    rid = record_id(record)
    if not rid:
        raise RecordError("no record id (001)")
    values = bib_fields(record)
    items = [item_fields(f) for f in record.get_fields(ITEM_TAG)]
    barcodes = [i["barcode"] for i in items]
    if len(set(barcodes)) != len(barcodes):
        raise RecordError("the same barcode twice in one record")
    counts = {"records_created": 0, "records_updated": 0, "items_created": 0, "items_updated": 0}
    with transaction.atomic():
        bib, created = BibRecord.objects.update_or_create(record_id=_clip(rid, BibRecord, "record_id"),
                                                          defaults=values)
        counts["records_created" if created else "records_updated"] += 1
        existing = {i.barcode: i for i in Item.objects.filter(barcode__in=barcodes)}
        for spec in items:
            item = existing.get(spec["barcode"])
            if item is None:
                Item.objects.create(record=bib, library=library, **spec)
                counts["items_created"] += 1
                continue
            item.record, item.library = bib, library
            item.location, item.call_number = spec["location"], spec["call_number"]
            if item.state not in _IN_PROCESS:
                item.state = spec["state"]
            item.save()
            counts["items_updated"] += 1
    for key, n in counts.items():
        setattr(report, key, getattr(report, key) + n)


class _Handler(pymarc.XmlHandler):
    def __init__(self, each: Callable[[pymarc.Record], None]) -> None:
        super().__init__(strict=False)
        self.each = each

    def process_record(self, record: pymarc.Record) -> None:
        self.each(record)


def _describe(n: int, record: pymarc.Record) -> str:
    rid = ""
    try:
        rid = record_id(record)
    except Exception:  # noqa: BLE001 - only for the message
        rid = ""
    return f"record {n}" + (f" ({rid})" if rid else "")


def load(source, library: ResourceSharingLibrary, *, progress: Callable[[str], None] | None = None) -> LoadReport:
    """Load every record of the MARCXML `source` (a path or a binary file). A record with an error is
    reported and skipped; the others load. A broken file stops at the break (records before it stay)."""
    report = LoadReport()
    counter = iter(range(1, 10**9))

    def each(record: pymarc.Record) -> None:
        n = next(counter)
        try:
            load_record(record, library, report)
        except (RecordError, DatabaseError, ValueError) as exc:
            report.errors.append(f"{_describe(n, record)}: {exc}")
        if progress and n % 1000 == 0:
            progress(f"{n} records read")

    try:
        pymarc.parse_xml(source, _Handler(each))
    except SAXParseException as exc:
        report.errors.append(f"the file is not well-formed XML (line {exc.getLineNumber()}, column "
                             f"{exc.getColumnNumber()}): {exc.getMessage()}; records before it were loaded")
    return report
