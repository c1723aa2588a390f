"""Staff pages for letters: the letters of a request (a tab fragment), compose-preview-send, resend,
the partner request email, and PDF slips (one request, bulk, lending report)."""

from __future__ import annotations

import hashlib

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import linebreaks
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from illdesk import sides
from illdesk.inputs import parse_pks
from illdesk.requestviews import get_request_for_user, require_operator

from . import catalog, outbox, pdf, rendering
from .forms import ComposeForm, PartnerRequestForm
from .models import SentLetter
from .recipients import default_recipients

MAX_PRINT = 1000


def _side(name: str):
    try:
        return sides.get(name).view()
    except LookupError:
        raise Http404(_("No such list.")) from None


def _fetch(request, side_name: str, pk: int):
    side = _side(side_name)
    return side, get_request_for_user(request, side, pk)


def letters_of(obj):
    ct = ContentType.objects.get_for_model(type(obj))
    return SentLetter.objects.filter(content_type=ct, object_id=obj.pk).select_related("sent_by")


def _page(request, template: str, context: dict, *, title: str, status: int = 200) -> HttpResponse:
    """An htmx fragment, or the same fragment inside a whole page for browsers without JavaScript."""
    if request.htmx:
        return render(request, template, context, status=status)
    obj = context.get("obj")
    back_url = _detail_url(obj) if obj is not None else ""
    return render(request, "letters/page.html", {**context, "fragment": template, "title": title,
                                                 "back_url": back_url}, status=status)


def _done(request, target: str) -> HttpResponse:
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = target
        return response
    return redirect(target)


def _detail_url(obj) -> str:
    return reverse(sides.of(obj).detail_url_name(), args=[obj.pk])


# --- the letters of one request --------------------------------------------------------------------


@login_required
def for_request(request, side: str, pk: int):
    """The request's letters (to, subject, when, state) with preview, resend, send-a-letter and slips."""
    side_obj, obj = _fetch(request, side, pk)
    context = {
        "side": side_obj, "obj": obj, "letters": letters_of(obj)[:200],
        "choices": catalog.for_side(side), "slips": catalog.for_side(side, kind=catalog.SLIP),
        "suggested_slip": pdf.slip_for(obj),
    }
    return _page(request, "letters/for_request.html", context, title=_("Letters"))


@login_required
def letter_detail(request, letter_id: int):
    require_operator(request)
    letter = get_object_or_404(SentLetter.objects.select_related("sent_by"), pk=letter_id)
    return _page(request, "letters/letter.html", {"letter": letter, "obj": letter.request},
                 title=letter.subject)


def _letter_target(letter: SentLetter) -> str:
    req = letter.request
    return _detail_url(req) if req is not None else reverse("letters:letter", args=[letter.pk])


@login_required
@require_POST
def resend(request, letter_id: int):
    require_operator(request)
    letter = get_object_or_404(SentLetter, pk=letter_id)
    with transaction.atomic():
        new = outbox.resend(letter, by=request.user)
    messages.success(request, _("“%(name)s” sent again to %(to)s.") % {"name": new.name, "to": ", ".join(new.to)})
    return _done(request, _letter_target(letter))


@login_required
@require_POST
def retry(request, letter_id: int):
    require_operator(request)
    letter = get_object_or_404(SentLetter, pk=letter_id)
    if letter.state != SentLetter.State.RETRYING:
        messages.warning(request, _("Only a letter waiting for its next attempt can be retried now."))
    else:
        with transaction.atomic():
            outbox.retry_now(letter)
        messages.success(request, _("Trying to send “%(name)s” again now.") % {"name": letter.name})
    return _done(request, _letter_target(letter))


# --- compose: pick an applicable letter, preview it, send it ---------------------------------------


@login_required
def compose(request, side: str, pk: int):
    side_obj, obj = _fetch(request, side, pk)
    code = request.POST.get("code") or request.GET.get("code", "")
    if request.method == "POST" and request.POST.get("shown_code") == code:
        form = ComposeForm(request.POST, side=side)
    else:  # first look, or another letter was picked: start from its usual recipients
        initial = {"code": code, "to": ", ".join(default_recipients(code, obj)) if code in catalog.EMAILS else ""}
        form = ComposeForm(initial=initial, side=side)
    preview = language = None
    if form.spec is not None:
        if form.is_bound and form.is_valid():
            lang, extra = form.cleaned_data["language"], form.extra_context()
        else:
            lang, extra = request.POST.get("language", ""), {}
        try:
            preview, language = rendering.render_for(form.spec.code, obj, language=lang or None, extra=extra,
                                                     by=request.user)
        except Exception as exc:  # noqa: BLE001 - a broken override shows as an error, not a 500
            form.add_error(None, _("The letter could not be rendered: %(error)s") % {"error": exc})
    if request.method == "POST" and request.POST.get("send") and form.is_valid() and preview is not None:
        with transaction.atomic():
            letter = outbox.send_letter(form.spec.code, request=obj, to=form.cleaned_data["to"],
                                        language=form.cleaned_data["language"] or None,
                                        context=form.extra_context(), by=request.user)
        messages.success(request, _("“%(name)s” is on its way to %(to)s.") % {"name": letter.name,
                                                                             "to": ", ".join(letter.to)})
        return _done(request, _detail_url(obj))
    context = {"side": side_obj, "obj": obj, "form": form, "preview": preview, "language": language,
               "choices": catalog.for_side(side)}
    status = 400 if request.method == "POST" and request.POST.get("send") else 200
    return _page(request, "letters/compose.html", context, title=_("Send a letter"), status=status)


# --- Koha's "Place request with partners" ----------------------------------------------------------


def _fingerprint(subject: str, body: str) -> str:
    return hashlib.sha256(f"{subject}\n{body}".replace("\r\n", "\n").strip().encode()).hexdigest()[:32]


def _partners_of(obj):
    """Every partner library, through the request's own partner field (letters does not import partners)."""
    return obj._meta.get_field("partner").related_model.objects.all()


@login_required
def partner_request(request, pk: int):
    # the side this letter is written for, as the catalogue declares it
    side_obj, obj = _fetch(request, catalog.get("partner_request").sides[0], pk)
    prefill, _lang = rendering.render_for("partner_request", obj, by=request.user, partner=obj.partner)
    fingerprint = _fingerprint(prefill.subject, prefill.text)
    if request.method == "POST":
        form = PartnerRequestForm(request.POST, partners=_partners_of(obj))
        if form.is_valid() and request.POST.get("send"):
            data = form.cleaned_data
            edited = _fingerprint(data["subject"], data["body"]) != request.POST.get("fingerprint", fingerprint)
            sent = []
            with transaction.atomic():
                for partner in data["partners"]:
                    if edited:
                        rendered = rendering.Rendered(
                            data["subject"], data["body"].replace("\r\n", "\n").strip() + "\n",
                            rendering.wrap_html(linebreaks(data["body"], autoescape=True), subject=data["subject"],
                                                language=partner.language))
                        sent.append(outbox.queue("partner_request", request=obj, to=[partner.email],
                                                 language=partner.language, rendered=rendered, by=request.user))
                    else:  # untouched: each partner gets the letter in its own language, with its own name
                        sent.append(outbox.send_letter("partner_request", request=obj, to=[partner.email],
                                                       by=request.user, partner=partner))
            messages.success(request, _("Request email sent to %(partners)s.")
                             % {"partners": ", ".join(p.name for p in data["partners"])})
            return _done(request, _detail_url(obj))
    else:
        initial = {"subject": prefill.subject, "body": prefill.text}
        if obj.partner_id and obj.partner.email:
            initial["partners"] = [obj.partner_id]
        form = PartnerRequestForm(initial=initial, partners=_partners_of(obj))
    context = {"side": side_obj, "obj": obj, "form": form, "fingerprint": fingerprint}
    return _page(request, "letters/partner_request.html", context, title=_("Place request with partners"))


# --- PDF slips ---------------------------------------------------------------------------------------


def _pdf_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def _page_size(request) -> str:
    size = request.GET.get("size") or request.POST.get("size") or "A4"
    return size if size in pdf.PAGE_SIZES else "A4"


@login_required
def slip(request, side: str, pk: int, code: str):
    side_obj, obj = _fetch(request, side, pk)
    if code not in {s.code for s in catalog.for_side(side, kind=catalog.SLIP)}:
        raise Http404(_("No such slip."))
    data = pdf.render_pdf(code, [obj], language=request.GET.get("language") or None, page_size=_page_size(request))
    pdf.mark(side_obj.model, [obj.pk], field="reported" if code == pdf.REPORT else "printed")
    return _pdf_response(data, f"{code}-{obj.pk}.pdf")


def _selected(request, side_obj) -> list:
    params = request.POST if request.method == "POST" else request.GET
    ids = sorted(set(parse_pks(params.getlist("ids"))))[:MAX_PRINT]
    related = set(side_obj.detail_related) | set(sides.get(side_obj.name).extra.get("slip_related", ()))
    return list(side_obj.model.objects.filter(pk__in=ids).select_related(*related).order_by("pk"))


@login_required
def print_slips(request, side: str):
    """Bulk "Print slips": a page saying which requests get which slip and which are skipped (and
    why), with the PDF one click away (`download=1` answers with the PDF itself)."""
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    require_operator(request)
    side_obj = _side(side)
    requests = _selected(request, side_obj)
    code_for = sides.get(side).slip_for
    params = request.POST if request.method == "POST" else request.GET
    if params.get("download"):
        data, printed, skipped = pdf.bulk_print(code_for, requests, page_size=_page_size(request))
        if data is not None:
            pdf.mark(side_obj.model, [r.pk for r in printed], field="printed")
            return _pdf_response(data, f"{side}-slips.pdf")
    else:
        printed = [r for r in requests if code_for(r)]
        skipped = [(r, pdf.skip_reason(r)) for r in requests if not code_for(r)]
    rows = [(r, catalog.get(code_for(r)).name) for r in printed]
    context = {"side": side_obj, "rows": rows, "skipped": skipped, "ids": [r.pk for r in requests],
               "size": _page_size(request), "sizes": list(pdf.PAGE_SIZES)}
    return render(request, "letters/print_slips.html", context)
