"""Turn a letter code, a language and a context into subject, text and HTML.

Sources, in order of precedence per part: the active `LetterTemplate` of the request's library, the
active one for all libraries, the shipped file `defaults/<code>.<lang>.<part>`. A language with
neither an override nor a file falls back to English.

Templates use Django template syntax. Two engines with no loaders (so no {% include %} of arbitrary
files): the HTML one autoescapes, the subject/text one does not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from django.conf import settings
from django.db.models import Q
from django.template import Context, Engine, Template, TemplateSyntaxError
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.html import escape

from illdesk import sides

from . import catalog

DEFAULTS_DIR = Path(__file__).resolve().parent / "templates" / "letters" / "defaults"
FALLBACK_LANGUAGE = "en"
PARTS = ("subject", "txt", "html")
_LIBRARIES = {"i18n": "django.templatetags.i18n", "l10n": "django.templatetags.l10n", "tz": "django.templatetags.tz"}

# One engine, no loaders; whether output is escaped is set per render (HTML yes, subject/text no).
ENGINE = Engine(dirs=[], app_dirs=False, libraries=_LIBRARIES, loaders=[])


class Rendered(NamedTuple):
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class Sources:
    """The template source of each part, and the language they are in."""

    subject: str
    text: str
    html: str
    language: str


# --- compiling -----------------------------------------------------------------------------------


@lru_cache(maxsize=512)
def _compile(source: str) -> Template:
    return ENGINE.from_string(source)


def compile_errors(*, subject: str = "", text: str = "", html: str = "") -> dict[str, str]:
    """{field: message} for each part that does not compile (blank parts are fine)."""
    errors = {}
    for name, source in (("subject", subject), ("text", text), ("html", html)):
        if not source:
            continue
        try:
            _compile(source)
        except TemplateSyntaxError as exc:
            errors[name] = f"Template error: {exc}"
    return errors


# --- finding the sources -------------------------------------------------------------------------


def languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def normalize_language(language: str | None) -> str | None:
    if not language:
        return None
    short = language.lower().replace("_", "-").split("-")[0]
    return short if short in languages() else None


@lru_cache(maxsize=1024)
def default_file(code: str, language: str, part: str) -> str | None:
    path = DEFAULTS_DIR / f"{code}.{language}.{part}"
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def _overrides(code: str, language: str, library_id: int | None) -> list:
    from .models import LetterTemplate

    where = Q(library__isnull=True) | Q(library_id=library_id) if library_id else Q(library__isnull=True)
    qs = LetterTemplate.objects.filter(where, code=code, language=language, active=True)
    # the library's own version first, then the all-libraries one
    return sorted(qs, key=lambda t: t.library_id is None)


def sources(code: str, language: str, library_id: int | None = None) -> Sources | None:
    """Sources in exactly `language` (None when that language has neither an override nor a file)."""
    overrides = _overrides(code, language, library_id)
    parts = {}
    for part, attr in (("subject", "subject"), ("txt", "text"), ("html", "html")):
        value = next((getattr(t, attr) for t in overrides if getattr(t, attr).strip()), None)
        parts[attr] = value if value is not None else default_file(code, language, part)
    if all(v is None for v in parts.values()):
        return None
    return Sources(subject=parts["subject"] or "", text=parts["text"] or "", html=parts["html"] or "",
                   language=language)


def find_sources(code: str, language: str | None, library_id: int | None = None) -> Sources:
    """The sources for `language`, else English; KeyError for an unknown letter."""
    catalog.get(code)
    wanted = normalize_language(language) or FALLBACK_LANGUAGE
    found = sources(code, wanted, library_id)
    if found is None and wanted != FALLBACK_LANGUAGE:
        found = sources(code, FALLBACK_LANGUAGE, library_id)
    if found is None:
        raise KeyError(f"letter {code!r} has no template in {wanted!r} or {FALLBACK_LANGUAGE!r}")
    return found


def available_languages(code: str, library_id: int | None = None) -> list[str]:
    return [lang for lang in languages() if sources(code, lang, library_id) is not None]


# --- rendering -----------------------------------------------------------------------------------


def _clean_subject(value: str) -> str:
    # one line: a newline in a mail header is refused (and would be header injection)
    return " ".join(value.split())[:500]


def _clean_text(value: str) -> str:
    lines = [line.rstrip() for line in value.strip("\n").splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"


def wrap_html(body: str, *, subject: str, language: str) -> str:
    """The HTML part as a whole document; letter templates hold only the body."""
    return (
        f'<!doctype html>\n<html lang="{language}">\n<head><meta charset="utf-8"><title>{escape(subject)}</title>'
        '</head>\n<body style="font-family: Arial, Helvetica, sans-serif; font-size: 15px; line-height: 1.45; '
        f'color: #1a1a1a; max-width: 42em;">\n{body.strip()}\n</body>\n</html>\n'
    )


def render_sources(src: Sources, context: dict, *, wrap: bool = True) -> Rendered:
    with translation.override(src.language):
        subject = _compile(src.subject).render(Context(context, autoescape=False)) if src.subject else ""
        text = _compile(src.text).render(Context(context, autoescape=False)) if src.text else ""
        html = _compile(src.html).render(Context(context, autoescape=True)) if src.html else ""
    subject, text = _clean_subject(subject), _clean_text(text) if text else ""
    if html and wrap:
        html = wrap_html(html, subject=subject, language=src.language)
    return Rendered(subject, text, html)


def render_letter(code: str, *, language: str | None, context: dict) -> Rendered:
    """`code` in `language` (else English) with `context`; missing top-level variables render empty.

    Build a whole context with `letter_context`; its `library.id` selects that library's overrides.
    """
    spec = catalog.get(code)
    library = context.get("library")
    library_id = library.get("id") if isinstance(library, dict) else None
    src = find_sources(code, language, library_id)
    full = {**spec.defaults, **empty_context(), **context}
    return render_sources(src, full, wrap=spec.kind == catalog.EMAIL)


# --- the context every letter gets ---------------------------------------------------------------


def _s(value: Any) -> Any:
    """Missing values render as empty (never "None")."""
    return "" if value is None else value


def _person(user) -> dict:
    if user is None or not getattr(user, "is_authenticated", False):
        return {"name": "", "email": ""}
    return {"name": user.get_full_name() or user.get_username(), "email": user.email or ""}


def _label(obj, name: str) -> str:
    value = getattr(obj, name, "")
    getter = getattr(obj, f"get_{name}_display", None)
    return str(getter()) if getter and value not in (None, "") else _s(value)


def request_url(req) -> str:
    try:
        path = reverse(sides.of(req).detail_url_name(), args=[req.pk])
    except NoReverseMatch:
        return ""
    return getattr(settings, "ILLDESK_BASE_URL", "").rstrip("/") + path


_REQUEST_FIELDS = ("external_id", "title", "author", "isbn", "issn", "publisher", "place_of_publication", "year",
                   "edition", "volume", "issue", "pages", "chapter_title", "chapter_author", "doi", "pmid",
                   "oclc_number", "created_at", "updated_at", "due_date", "last_interest_date", "needed_by",
                   "reply_by", "cost", "shipping_cost")
_REQUEST_DERIVED = ("id", "side", "citation", "identifier", "request_type", "requested_format", "supplied_format",
                    "status", "borrower_request_id", "requester_name", "barcode", "pickup_location", "note",
                    "currency")


def request_dict(req) -> dict:
    """Plain values only: templates are admin-editable, so they never get model instances."""
    if req is None:  # every key exists, so filters like |default:request.id never meet a missing one
        return dict.fromkeys((*_REQUEST_DERIVED, *_REQUEST_FIELDS), "")
    side = sides.of(req)
    data = {
        "id": req.pk,
        "side": side.name,
        "citation": req.citation_line,
        "identifier": req.identifier,
        "request_type": _label(req, "request_type"),
        "requested_format": _label(req, "requested_format"),
        "supplied_format": _label(req, "supplied_format"),
        "status": _label(req, "status"),
        "borrower_request_id": getattr(req, "borrower_request_id", ""),
        "requester_name": req.requester_name or "",
        **side.letter_context(req),  # the barcode and the pickup location, as the side keeps them
        "note": req.request_note,
        "currency": req.currency,
    }
    for name in _REQUEST_FIELDS:
        data[name] = _s(getattr(req, name))
    return data


def item_dict(req) -> dict:
    item = getattr(req, "item", None)
    if item is None:
        return {"barcode": "", "location": "", "call_number": ""}
    return {"barcode": item.barcode, "location": item.location, "call_number": item.call_number}


def library_dict(library) -> dict:
    if library is None:
        return {"id": None, "name": "", "code": "", "email": "", "address": ""}
    return {"id": library.pk, "name": library.name, "code": library.code, "email": library.email,
            "address": library.address}


def partner_dict(partner) -> dict:
    if partner is None:
        return {"name": "", "code": "", "email": "", "address": "", "symbol": ""}
    return {"name": partner.name, "code": partner.code, "email": partner.email, "address": partner.address,
            "symbol": partner.agency_symbol}


def patron_dict(req) -> dict:
    patron = getattr(req, "requester", None)
    if patron is not None:
        return {"name": f"{patron.first_name} {patron.last_name}".strip(), "first_name": patron.first_name,
                "last_name": patron.last_name, "card_number": patron.card_number, "email": patron.email}
    name = getattr(req, "unauthenticated_name", "")
    return {"name": name, "first_name": name, "last_name": "", "card_number": "",
            "email": getattr(req, "unauthenticated_email", "")}


def request_context(req, *, by=None, partner=None) -> dict:
    """The COMMON variables of catalog.py for one request (call inside the letter's language)."""
    return {
        "request": request_dict(req),
        "item": item_dict(req),
        "library": library_dict(req.owner),
        "partner": partner_dict(partner if partner is not None else req.partner),
        "patron": patron_dict(req),
        "staff": _person(by),
        "request_url": request_url(req),
        "today": timezone.localdate(),
    }


def empty_context(*, by=None, library=None) -> dict:
    """The COMMON variables when a letter is not about a request."""
    return {
        "request": request_dict(None), "item": item_dict(None), "library": library_dict(library),
        "partner": partner_dict(None),
        "patron": {"name": "", "first_name": "", "last_name": "", "card_number": "", "email": ""},
        "staff": _person(by), "request_url": "", "today": timezone.localdate(),
    }


def letter_context(code: str, req=None, *, language: str, extra: dict | None = None, by=None,
                   partner=None) -> dict:
    """Defaults of the letter, the request's variables, then the caller's values (which win)."""
    spec = catalog.get(code)
    with translation.override(language):
        base = request_context(req, by=by, partner=partner) if req is not None else empty_context(by=by)
    return {**spec.defaults, **base, **spec.with_aliases(extra or {})}


def render_for(code: str, req=None, *, language: str | None = None, extra: dict | None = None, by=None,
               partner=None) -> tuple[Rendered, str]:
    """Render `code` about `req` the way send_letter does; returns (Rendered, language used)."""
    wanted = normalize_language(language) or recipient_language(code, req, partner=partner)
    src = find_sources(code, wanted, req.owner_id if req is not None else None)
    ctx = letter_context(code, req, language=src.language, extra=extra, by=by, partner=partner)
    return render_sources(src, ctx, wrap=catalog.get(code).kind == catalog.EMAIL), src.language


def recipient_language(code: str, req=None, *, partner=None) -> str | None:
    """The reader's preference: the patron's (patron letters), the partner's, or the library's (staff)."""
    if req is None:
        return None
    audience = catalog.get(code).audience
    if audience == catalog.PATRON:
        patron = getattr(req, "requester", None)
        return patron.language if patron is not None else None
    if audience == catalog.PARTNER:
        partner = partner if partner is not None else req.partner
        return partner.language if partner is not None else None
    return req.owner.language if req.owner_id else None
