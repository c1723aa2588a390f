"""The local inventory from MARCXML: `manage.py load_marcxml FILE --library CODE` (pymarc)."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from lending.models import BibRecord, Item

from .conftest import SAMPLE


def load(*args):
    out, err = StringIO(), StringIO()
    try:
        call_command("load_marcxml", *args, stdout=out, stderr=err)
    except CommandError as exc:
        return out.getvalue(), err.getvalue(), str(exc)
    return out.getvalue(), err.getvalue(), None


def test_it_loads_records_and_items_and_reports_the_broken_ones(library):
    out, err, failed = load(str(SAMPLE), "--library", "MAIN")
    assert "5 records (5 new, 0 updated), items: 6 new, 0 updated, 2 errors" in out
    assert "record 6 (SAMPLE-0006): no title (245 $a)" in err
    assert "record 7 (SAMPLE-0007): an item (952) has no barcode ($p)" in err
    assert failed == "2 record(s) could not be loaded; the others were loaded."
    kuhn = BibRecord.objects.get(record_id="SAMPLE-0001")
    assert (kuhn.title, kuhn.author, kuhn.isbn, kuhn.oclc_number, kuhn.publisher, kuhn.year) == (
        "The structure of scientific revolutions", "Kuhn, Thomas S.", "9780226458083", "34548015",
        "University of Chicago Press", "1996")
    assert list(kuhn.items.values_list("barcode", "location", "call_number", "state", "library__code")) == [
        ("39001000001", "Stacks", "501 KUH", "on_shelf", "MAIN"),
        ("39001000002", "Closed stacks", "501 KUH c.2", "on_shelf", "MAIN")]
    assert BibRecord.objects.get(record_id="SAMPLE-0002").issn == "0264-1615"
    assert Item.objects.get(barcode="39001000006").state == "missing"  # 952 $1 lost
    assert not BibRecord.objects.filter(record_id__in=["SAMPLE-0006", "SAMPLE-0007"]).exists()
    assert not Item.objects.filter(barcode="39001000007").exists()  # the broken record's item did not load


def test_loading_again_updates_and_never_duplicates(library):
    load(str(SAMPLE), "--library", "MAIN")
    kuhn = Item.objects.get(barcode="39001000001")
    Item.objects.filter(pk=kuhn.pk).update(state="shipped", location="Old place")
    BibRecord.objects.filter(record_id="SAMPLE-0001").update(title="Typo")
    out, _err, _failed = load(str(SAMPLE), "--library", "MAIN")
    assert "5 records (0 new, 5 updated), items: 0 new, 6 updated" in out
    assert BibRecord.objects.count() == 5 and Item.objects.count() == 6
    assert BibRecord.objects.get(record_id="SAMPLE-0001").title == "The structure of scientific revolutions"
    kuhn.refresh_from_db()
    assert (kuhn.location, kuhn.state) == ("Stacks", "shipped")  # a shipped item keeps its workflow status


def test_a_broken_file_keeps_the_records_before_the_break(library, tmp_path):
    text = SAMPLE.read_text()
    cut = text.index("<controlfield tag=\"001\">SAMPLE-0003")
    broken = tmp_path / "broken.xml"
    broken.write_text(text[:cut] + "<oops>")
    _out, err, failed = load(str(broken), "--library", "MAIN")
    assert "not well-formed XML" in err and failed
    assert set(BibRecord.objects.values_list("record_id", flat=True)) == {"SAMPLE-0001", "SAMPLE-0002"}


def test_unknown_library_and_missing_file_are_clear_errors(library, tmp_path):
    _out, _err, failed = load(str(SAMPLE), "--library", "NOPE")
    assert "No resource-sharing library with code 'NOPE' (known: MAIN)" in failed
    _out, _err, failed = load(str(tmp_path / "none.xml"), "--library", "MAIN")
    assert "No such file" in failed


@pytest.mark.parametrize(("value", "expected"), [
    ("978-0-226-45808-3 (pbk.)", {"9780226458083", "0226458083"}),
    ("0226458083", {"0226458083", "9780226458083"}),
    ("nonsense", set()),
])
def test_isbn_variants(value, expected):
    from lending.inventory import isbn_variants

    assert isbn_variants(value) == expected
