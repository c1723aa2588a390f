"""PDF slips read back with poppler (text, page size) and zbar (Code 128 barcodes)."""

import datetime

import pytest

from letters.api import render_pdf
from tests.factories import make_lending

from .conftest import barcodes, pdf_info, pdf_text


def test_receive_slip_has_the_fields_and_scannable_barcodes(borrowing_request, tmp_path):
    data = render_pdf("receive_slip", [borrowing_request], language="fi")
    assert data.startswith(b"%PDF")
    text = pdf_text(data, tmp_path)
    for expected in ("Vastaanottolappu", f"Pyyntö {borrowing_request.pk}", "Äidinkielen opetus ja kääntäminen",
                     "Järvinen, Åsa", "Pia Patron", "P0001", "Main desk", "Mail Library", "14.3.2025",
                     "Käsittele varoen"):
        assert expected in text, expected
    assert set(barcodes(data, tmp_path)) == {str(borrowing_request.pk), "ILL-000123"}
    assert pdf_info(data, tmp_path)["Pages"] == "1"


def test_return_slip_in_english(borrowing_request, tmp_path):
    text = pdf_text(render_pdf("return_slip", [borrowing_request], language="en"), tmp_path)
    assert "Return slip" in text and "Return to" in text and "Mail Library" in text
    assert "Lender's reference: MAIL-77" in text


def test_slips_follow_the_librarys_language_by_default(borrowing_request, library, tmp_path):
    library.language = "fi"
    library.save()
    borrowing_request.refresh_from_db()
    assert "Palautuslappu" in pdf_text(render_pdf("return_slip", [borrowing_request]), tmp_path)


def _mm(info: dict) -> tuple[int, int]:
    width, _x, height, _unit = info["Page size"].split()[:4]
    return round(float(width) / 72 * 25.4), round(float(height) / 72 * 25.4)


def test_a5_and_label_layouts(borrowing_request, tmp_path):
    a4 = pdf_info(render_pdf("receive_slip", [borrowing_request]), tmp_path)
    a5 = pdf_info(render_pdf("receive_slip", [borrowing_request], page_size="A5"), tmp_path)
    label = render_pdf("receive_slip", [borrowing_request], page_size="label")
    assert _mm(a4) == (210, 297)
    assert _mm(a5) == (148, 210) and a5["Pages"] == "1"
    assert _mm(pdf_info(label, tmp_path)) == (102, 152)
    assert pdf_info(label, tmp_path)["Pages"] == "1"  # a whole slip fits on a 4×6" label
    assert str(borrowing_request.pk) in barcodes(label, tmp_path)
    with pytest.raises(ValueError):
        render_pdf("receive_slip", [borrowing_request], page_size="Letter")


def test_incoming_and_shipping_slips_of_a_lending_request(lending_request, tmp_path):
    incoming = render_pdf("incoming_slip", [lending_request], language="en")
    text = pdf_text(incoming, tmp_path)
    for expected in ("Incoming request", "Suomen historia", "Pääkirjasto", "92.7 MEI", "BRW-4242", "Ökenäs, Pär"):
        assert expected in text, expected
    assert set(barcodes(incoming, tmp_path)) == {str(lending_request.pk), "3900012345"}

    shipping = pdf_text(render_pdf("shipping_slip", [lending_request], language="fi"), tmp_path, "ship.pdf")
    assert "Lähetyslappu" in shipping and "Vastaanottaja" in shipping and "1.4.2025" in shipping


def test_cjk_text_renders(library, email_partner, tmp_path):
    req = make_lending(library, "created", partner=email_partner, title="東京大学の歴史 中国古代文学",
                       author="山田太郎", borrower_request_id="CN-1")
    text = pdf_text(render_pdf("incoming_slip", [req], language="en"), tmp_path)
    assert "東京大学の歴史 中国古代文学" in text and "山田太郎" in text


def test_lending_report_slip_has_one_row_per_request(library, email_partner, tmp_path):
    requests = [make_lending(library, "created", partner=email_partner, title=f"Kirja {i} Åbo",
                             borrower_request_id=f"BRW-{i:03d}", due_date=datetime.date(2025, 5, i + 1))
                for i in range(12)]
    data = render_pdf("lending_report_slip", requests, language="en")
    text = pdf_text(data, tmp_path)
    assert "Lending requests report" in text and "12 requests" in text
    for req in requests:
        rows = [line for line in text.splitlines() if req.borrower_request_id in line]
        assert len(rows) == 1 and req.title in rows[0] and str(req.pk) in rows[0]
    fi = pdf_text(render_pdf("lending_report_slip", requests[:1], language="fi"), tmp_path, "fi.pdf")
    assert "Raportti lähtevistä kaukolainapyynnöistä" in fi and "1 pyyntö" in fi


def test_letters_are_not_slips(borrowing_request):
    with pytest.raises(ValueError):
        render_pdf("cancel_request", [borrowing_request])


def test_a_wrapped_label_keeps_the_rows_after_it_beside_their_labels(library, email_partner, tmp_path):
    """"Vuosikerta / numero / sivut" takes two lines in the label column: the next row starts below it."""
    req = make_lending(library, "created", partner=email_partner, title="Suomen historia", volume="12", issue="3",
                       pages="45-67", isbn="9789510000001")
    for size in ("A4", "label"):
        lines = pdf_text(render_pdf("incoming_slip", [req], language="fi", page_size=size), tmp_path).splitlines()
        volume = next(i for i, line in enumerate(lines) if "Vuosikerta /" in line)
        assert "12 / 3 / 45-67" in lines[volume], size
        assert "numero / sivut" in lines[volume + 1] and "9789510000001" not in lines[volume + 1], size
        assert any("Tunniste" in line and "9789510000001" in line for line in lines), size
        assert any("Pyydetty muoto" in line for line in lines), size
