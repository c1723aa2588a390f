"""Admin overrides per library take precedence over the shipped files; languages fall back to English."""

import pytest
from django.core.exceptions import ValidationError

from letters import rendering
from letters.api import render_letter, send_letter
from letters.models import LetterTemplate


def test_a_library_override_beats_an_all_libraries_one_which_beats_the_file(borrowing_request, library):
    code = "patron_unavailable"
    shipped = rendering.render_for(code, borrowing_request, language="en")[0]
    assert shipped.subject.startswith("Your interlibrary loan request")

    LetterTemplate.objects.create(code=code, language="en", subject="All: {{ request.id }}")
    assert rendering.render_for(code, borrowing_request, language="en")[0].subject == f"All: {borrowing_request.pk}"

    LetterTemplate.objects.create(code=code, language="en", library=library, subject="Ours: {{ library.code }}",
                                  text="Hello {{ patron.first_name }}")
    rendered = rendering.render_for(code, borrowing_request, language="en")[0]
    assert rendered.subject == "Ours: MAIN"
    assert rendered.text == "Hello Pia\n"
    assert "valitettavasti" not in rendered.html and "unfortunately" in rendered.html  # blank part: the file

    LetterTemplate.objects.filter(library=library).update(active=False)
    assert rendering.render_for(code, borrowing_request, language="en")[0].subject == f"All: {borrowing_request.pk}"
    # another library's requests never see our override
    assert rendering.find_sources(code, "fi", None).subject == rendering.default_file(code, "fi", "subject")


def test_render_letter_picks_the_override_of_the_library_in_the_context(borrowing_request, library):
    LetterTemplate.objects.create(code="general_message", language="fi", library=library, subject="Viesti {{ x }}")
    ctx = rendering.letter_context("general_message", borrowing_request, language="fi", extra={"x": "å"})
    assert render_letter("general_message", language="fi", context=ctx).subject == "Viesti å"
    assert render_letter("general_message", language="fi", context={"x": "å"}).subject.startswith("Viesti kauko")


def test_an_override_must_compile(library):
    bad = LetterTemplate(code="cancel_request", language="en", library=library, subject="{% if %}",
                         html="<p>{{ request.title|nosuchfilter }}</p>")
    with pytest.raises(ValidationError) as caught:
        bad.full_clean()
    assert set(caught.value.message_dict) == {"subject", "html"}


def test_one_override_per_letter_language_and_library(library):
    LetterTemplate.objects.create(code="cancel_request", language="en", subject="x")
    duplicate = LetterTemplate(code="cancel_request", language="en", subject="y")
    with pytest.raises(ValidationError):
        duplicate.full_clean()
    LetterTemplate(code="cancel_request", language="en", library=library, subject="z").full_clean()


def test_a_language_without_templates_falls_back_to_english(settings, borrowing_request, patron,
                                                           django_capture_on_commit_callbacks):
    settings.LANGUAGES = [("en", "English"), ("fi", "Suomi"), ("sv", "Svenska")]
    patron.language = "sv"
    patron.save()
    with django_capture_on_commit_callbacks(execute=True):
        letter = send_letter("patron_ready_for_pickup", request=borrowing_request, to=[patron.email])
    assert letter.language == "en"
    assert letter.subject.startswith("Your interlibrary loan")
    # … until someone writes the Swedish version in the admin
    LetterTemplate.objects.create(code="patron_ready_for_pickup", language="sv",
                                  subject="Ditt fjärrlån {{ request.id }} kan hämtas", text="Hej!", html="<p>Hej!</p>")
    letter = send_letter("patron_ready_for_pickup", request=borrowing_request, to=[patron.email])
    assert (letter.language, letter.subject) == ("sv", f"Ditt fjärrlån {borrowing_request.pk} kan hämtas")


def test_unknown_languages_and_regional_variants(borrowing_request):
    assert rendering.render_for("cancel_request", borrowing_request, language="fi-FI")[1] == "fi"
    assert rendering.render_for("cancel_request", borrowing_request, language="xx")[1] == "en"
    with pytest.raises(KeyError):
        rendering.render_for("no_such_letter", borrowing_request, language="en")
