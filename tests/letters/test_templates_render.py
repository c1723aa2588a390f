"""Every letter and slip renders in English and Finnish for a demo request, with no missing variable."""

import pytest

from illdesk import sides
from letters import catalog, rendering
from letters.pdf import slip_context

LANGS = ["en", "fi"]


def test_it_ships_every_letter_of_the_spec_in_both_languages():
    assert len(catalog.EMAILS) >= 18
    assert {"receive_slip", "return_slip", "incoming_slip", "shipping_slip", "lending_report_slip"} <= catalog.SLIPS
    for code, spec in catalog.LETTERS.items():
        parts = ("subject", "html") if spec.kind == catalog.SLIP else ("subject", "txt", "html")
        for lang in LANGS:
            for part in parts:
                assert rendering.default_file(code, lang, part), f"{code}.{lang}.{part} is missing"
        assert spec.variables or spec.kind == catalog.SLIP, f"{code} documents no variables"


def test_every_letter_is_sent_by_a_side_and_every_side_letter_exists():
    """The sides say which letters they send (illdesk.sides `letters`); the catalog holds each of them."""
    registered = set().union(*(info.letters for info in sides.all()))
    assert registered <= set(catalog.LETTERS), registered - set(catalog.LETTERS)
    assert all(spec.sides for spec in catalog.LETTERS.values()), \
        [code for code, spec in catalog.LETTERS.items() if not spec.sides]
    assert catalog.get("receive_slip").sides == ("borrowing",)
    assert catalog.get("general_message").sides == ("borrowing", "lending")


def _request_for(spec, borrowing_request, lending_request):
    return borrowing_request if "borrowing" in spec.sides else lending_request


@pytest.mark.parametrize("code", sorted(catalog.EMAILS))
@pytest.mark.parametrize("lang", LANGS)
def test_each_email_renders_completely(code, lang, strict_templates, borrowing_request, lending_request, operator):
    spec = catalog.get(code)
    req = _request_for(spec, borrowing_request, lending_request)
    rendered, used = rendering.render_for(code, req, language=lang, extra=spec.sample_context(req), by=operator)
    assert used == lang
    for part in rendered:
        assert strict_templates not in part, f"{code}.{lang}: {part}"
    assert rendered.subject and "\n" not in rendered.subject
    assert req.title in rendered.text
    assert f'<html lang="{lang}">' in rendered.html
    assert str(req.pk) in rendered.subject + rendered.text


@pytest.mark.parametrize("code", sorted(catalog.EMAILS))
def test_each_email_renders_on_the_other_side_and_without_sample_values(code, strict_templates,
                                                                          borrowing_request, lending_request):
    """Letters shared by both sides, and letters sent with nothing but the request, still render whole."""
    for req in (borrowing_request, lending_request):
        for lang in LANGS:
            rendered, _used = rendering.render_for(code, req, language=lang)
            assert strict_templates not in "".join(rendered), f"{code}.{lang}"


@pytest.mark.parametrize("code", sorted(catalog.SLIPS - {"lending_report_slip"}))
@pytest.mark.parametrize("lang", LANGS)
def test_each_slip_renders_completely(code, lang, strict_templates, borrowing_request, lending_request):
    spec = catalog.get(code)
    req = _request_for(spec, borrowing_request, lending_request)
    src = rendering.find_sources(code, lang)
    out = rendering.render_sources(src, slip_context(code, req, lang), wrap=False)
    assert strict_templates not in out.subject + out.html
    assert "data:image/svg+xml;base64," in out.html
    assert req.title in out.html


def test_finnish_and_english_texts_differ_and_read_naturally(borrowing_request):
    en, _ = rendering.render_for("cancel_request", borrowing_request, language="en")
    fi, _ = rendering.render_for("cancel_request", borrowing_request, language="fi")
    assert en.subject == f"Your interlibrary loan request {borrowing_request.pk} has been cancelled"
    assert fi.subject == f"Kaukolainapyyntösi {borrowing_request.pk} on peruttu"
    assert "Ystävällisin terveisin" in fi.text and "Kind regards" in en.text
    assert "14.3.2025" in rendering.render_for("borrowing_info", borrowing_request, language="fi")[0].text
    assert "03/14/2025" in rendering.render_for("borrowing_info", borrowing_request, language="en")[0].text


def test_html_is_escaped_but_text_is_not(borrowing_request):
    rendered, _ = rendering.render_for("general_message", borrowing_request, language="en",
                                       extra={"message": "<script>alert(1)</script> & more"})
    assert "<script>alert(1)</script> &amp; more" not in rendered.html
    assert "&lt;script&gt;" in rendered.html
    assert "<script>alert(1)</script> & more" in rendered.text


def test_templates_get_plain_values_not_model_instances(borrowing_request):
    ctx = rendering.letter_context("cancel_request", borrowing_request, language="en")
    for key in ("request", "library", "partner", "patron", "staff", "item"):
        assert isinstance(ctx[key], dict)


@pytest.mark.parametrize("code", sorted(catalog.EMAILS))
def test_each_email_renders_without_a_request(code, strict_templates, db):
    for lang in LANGS:
        rendered, _used = rendering.render_for(code, None, language=lang)
        assert strict_templates not in "".join(rendered), f"{code}.{lang}"
        assert rendered.subject


def test_callers_may_use_the_documented_aliases(borrowing_request):
    comm, _ = rendering.render_for("partner_communication", borrowing_request, language="en",
                                   extra={"subject": "Kiitos", "body": "Kiitos nopeasta toimituksesta!"})
    assert comm.subject == f"Interlibrary loan request {borrowing_request.pk}: Kiitos"
    assert "Kiitos nopeasta toimituksesta!" in comm.text
    query, _ = rendering.render_for("query_to_patron", borrowing_request, language="fi",
                                    extra={"query_subject": "Painos", "query_body": "Mikä painos?"})
    assert "Aihe: Painos" in query.text and "Mikä painos?" in query.text


def test_digital_arrival_and_explicit_due_dates(borrowing_request):
    import datetime

    digital, _ = rendering.render_for("patron_ready_for_pickup", borrowing_request, language="fi",
                                      extra={"digital": True, "resent": True})
    assert digital.subject == f"Lähetetty uudelleen: Pyytämäsi kopio on saatavilla (pyyntö {borrowing_request.pk})"
    assert "noutopaikassa" not in digital.text
    renewed, _ = rendering.render_for("borrowing_info", borrowing_request, language="en",
                                      extra={"due_date": datetime.date(2025, 6, 30)})
    assert "The new due date is 06/30/2025." in renewed.text
