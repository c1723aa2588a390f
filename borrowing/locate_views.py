""""View local / network resources" (SPEC §1 row action; seed 000 查看本地资源 / 查看网络资源): search the local
inventory and the partners' catalogues for a request's citation and show every hit with its holdings.
Read-only: nothing about the request changes. Staff may edit the query (title, author, identifiers)."""

from dataclasses import asdict

from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from illdesk.requestviews import get_request_for_user

from . import locate
from .models import CatalogSource


class ResourceSearchForm(forms.Form):
    title = forms.CharField(label=_("Title"), required=False, max_length=500)
    author = forms.CharField(label=_("Author"), required=False, max_length=300)
    isbn = forms.CharField(label="ISBN", required=False, max_length=40)
    issn = forms.CharField(label="ISSN", required=False, max_length=20)
    oclc_number = forms.CharField(label=_("OCLC number"), required=False, max_length=30)


@login_required
def resources_view(request, pk: int):
    # Imported here: borrowing.views imports the dialogs, which will name this module's neighbour.
    from .views import SIDE

    obj = get_request_for_user(request, SIDE, pk)
    citation = locate.Citation.for_request(obj)
    form = ResourceSearchForm(request.GET or None, initial=asdict(citation))
    if form.is_bound and form.is_valid():
        citation = locate.Citation(**{k: v.strip() for k, v in form.cleaned_data.items()})
    results = []
    if citation.searchable:
        results = locate.run_sources(locate.sources_for(obj, include_network=True), citation)
    sections = [
        (_("Local resources"), [r for r in results if r.source.kind == CatalogSource.Kind.LOCAL]),
        (_("Partners' catalogues"), [r for r in results if r.source.partner is not None]),
        (_("Network catalogues"), [r for r in results if r.source.partner is None
                                   and r.source.kind != CatalogSource.Kind.LOCAL]),
    ]
    context = {
        "side": SIDE, "obj": obj, "form": form, "citation": citation, "searchable": citation.searchable,
        "sections": [(title, rs) for title, rs in sections if rs or title == sections[0][0]],
        "rota": [(e, locate.RESULT_LABELS.get(e.locate_result, e.locate_result))
                 for e in obj.rota_entries.select_related("partner").order_by("position")],
    }
    template = "borrowing/partials/resources.html" if request.htmx else "borrowing/resources.html"
    return render(request, template, context)
