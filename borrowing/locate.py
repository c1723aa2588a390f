"""Locate (SPEC §1 "Locate resource", §3 "Locate"; seed 000 查找资源): check a borrowing request's
citation against the local inventory and the rota partners' catalogues, record what each said, and move
the request on.

    locate(req, by=user)   Created/… → Locate in process → Local holding | Ready to be sent | Locate failed
                           | Bad citation, each step through illdesk.workflow.run_transition

Sources are pluggable: `SOURCE_KINDS` maps a CatalogSource kind to a class whose `search(citation)`
returns a `Found` (the hits it shows, and how many records matched in all). Two kinds exist:
- "local": our own inventory (lending.inventory's rule: exact ISBN / ISSN / OCLC number, else title
  words + author surname). Searched through the local CatalogSources when any exist (inactive ones
  switch it off), else through a built-in one.
- "sru": a partner's catalogue over SRU (borrowing.sru). Every active SRU source of each partner still
  to be asked (the active partner and the rota's pending entries) is searched, in parallel threads.

Outcome, in this order:
1. Nothing to search with (no title, no valid ISBN / ISSN / OCLC number) → Bad citation.
2. Found in the local inventory (one record or several) → Local holding: we own it (seed "本地馆藏").
3. A partner's catalogue holds it (located or several), or some partner has no catalogue to check
   (we cannot tell, so it may well supply) → Ready to be sent.
4. Otherwise (every catalogue said no, or failed) → Locate failed.

Each rota entry gets `locate_result` located / not_located / several / error ("" when its partner has
no catalogue). When the active partner's catalogue says not held and a later pending partner's says
held, that partner becomes active and the skipped one is marked Skipped (history rows for both). Every
source writes a history row with its result — or its error (timeout, HTTP error, bad XML), which never
stops the other sources — and a "Locate status" row says Locate not run → Resource located / … as in
Alma's history.

Network I/O happens between the two transitions, outside any transaction this module opens.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import ClassVar

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from illdesk.models import HistoryEvent
from illdesk.workflow import record, run_transition, update_fields
from lending import inventory

from . import sru
from .models import BorrowingRequest, CatalogSource, RotaEntry
from .statuses import Status

log = logging.getLogger(__name__)
S = Status

LOCATED, NOT_LOCATED, SEVERAL, ERROR, NOT_CHECKED = "located", "not_located", "several", "error", ""
HELD = (LOCATED, SEVERAL)
RESULT_LABELS = {
    LOCATED: gettext_lazy("Resource located"),
    NOT_LOCATED: gettext_lazy("No resources located"),
    SEVERAL: gettext_lazy("Several resources found"),
    ERROR: gettext_lazy("Error"),
    NOT_CHECKED: gettext_lazy("Not checked (no catalogue)"),
}
LOCATE_STATUS_FIELD = gettext_lazy("Locate status")
MAX_PARALLEL = 4


# --- what is searched for, and what comes back -------------------------------------------------------


@dataclass(frozen=True)
class Citation:
    title: str = ""
    author: str = ""
    isbn: str = ""
    issn: str = ""
    oclc_number: str = ""

    @classmethod
    def for_request(cls, req: BorrowingRequest) -> Citation:
        return cls(title=req.title.strip(), author=req.author.strip(), isbn=req.isbn.strip(),
                   issn=req.issn.strip(), oclc_number=req.oclc_number.strip())

    @property
    def isbns(self) -> list[str]:
        """The ISBN in both its 13- and 10-digit forms (13 first)."""
        return sorted(inventory.isbn_variants(self.isbn), key=lambda i: (-len(i), i))

    @property
    def clean_issn(self) -> str:
        return inventory.clean_issn(self.issn)

    @property
    def searchable(self) -> bool:
        """Bad citation otherwise: nothing any source could search with."""
        return bool(sru.title_words(self.title) or self.isbns or self.clean_issn
                    or inventory.clean_oclc(self.oclc_number))


@dataclass
class Hit:
    title: str
    author: str = ""
    identifiers: list[str] = field(default_factory=list)  # "ISBN 9780226458083", "OCLC 123" …
    holdings: list[str] = field(default_factory=list)  # one line per item / holding / location
    record_id: str = ""
    year: str = ""


@dataclass
class Found:
    hits: list[Hit]
    total: int  # records that matched, possibly more than the hits a source returns
    searched_by: str = ""  # "ISBN", "title" … or the query sent
    warnings: list[str] = field(default_factory=list)

    @property
    def result(self) -> str:
        return NOT_LOCATED if self.total <= 0 else LOCATED if self.total == 1 else SEVERAL


class SourceError(Exception):
    """A source could not answer; `message` goes into the history row."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Source(ABC):
    """One place to look. Built from a CatalogSource row (or None for the built-in local inventory);
    everything `search` needs is read here so that network sources can run in worker threads."""

    kind: ClassVar[str]
    uses_database: ClassVar[bool] = False  # such sources run in the request's own thread
    default_name: ClassVar[str] = ""

    def __init__(self, config: CatalogSource | None = None) -> None:
        self.config = config
        self.name = config.name if config is not None else str(self.default_name)
        self.partner = config.partner if config is not None and config.partner_id else None

    @abstractmethod
    def search(self, citation: Citation) -> Found: ...


SOURCE_KINDS: dict[str, type[Source]] = {}


def register(cls: type[Source]) -> type[Source]:
    SOURCE_KINDS[cls.kind] = cls
    return cls


@register
class LocalInventorySource(Source):
    kind = CatalogSource.Kind.LOCAL
    uses_database = True
    default_name = gettext_lazy("Local inventory")

    def search(self, citation: Citation) -> Found:
        query = inventory.Query(title=citation.title, author=citation.author, isbn=citation.isbn,
                                issn=citation.issn, oclc_number=citation.oclc_number)
        result = inventory.search(query)
        hits = [Hit(title=r.title, author=r.author, identifiers=_identifiers(r.isbn, r.issn, r.oclc_number),
                    holdings=[_item_line(i) for i in r.items.all()], record_id=r.record_id, year=r.year)
                for r in result.records]
        return Found(hits=hits, total=len(hits), searched_by=result.matched_on)


@register
class SRUSource(Source):
    kind = CatalogSource.Kind.SRU

    def __init__(self, config: CatalogSource | None = None) -> None:
        super().__init__(config)
        self.base_url = config.base_url if config is not None else ""
        self.max_records = max(1, config.max_records) if config is not None else 10
        self.timeout = max(1, config.timeout_seconds) if config is not None else 10

    def search(self, citation: Citation) -> Found:
        queries = sru.citation_queries(title=citation.title, author=citation.author, isbns=citation.isbns,
                                       issn=citation.clean_issn)
        try:
            response = sru.search_citation(self.base_url, queries, maximum_records=self.max_records,
                                           timeout=self.timeout)
        except sru.SRUError as exc:
            raise SourceError(exc.message) from None
        hits = [Hit(title=r.title, author=r.author, record_id=r.record_id, year=r.year,
                    identifiers=_identifiers(", ".join(r.isbns), ", ".join(r.issns), ", ".join(r.oclc_numbers)),
                    holdings=r.holdings)
                for r in response.records]
        return Found(hits=hits, total=response.number_of_records, searched_by=response.query,
                     warnings=[str(d) for d in response.diagnostics])


def _identifiers(isbn: str, issn: str, oclc: str) -> list[str]:
    return [f"{label} {value}" for label, value in (("ISBN", isbn), ("ISSN", issn), ("OCLC", oclc)) if value]


def _item_line(item) -> str:
    parts = [item.library.name, item.location, item.call_number]
    return " — ".join(p for p in parts if p) + f" ({item.get_state_display()})"


# --- which sources, and running them -----------------------------------------------------------------


def candidate_entries(req: BorrowingRequest) -> list[RotaEntry]:
    """Rota entries whose partner may still be asked: the active one and those not yet asked."""
    return list(req.rota_entries.filter(state__in=[RotaEntry.State.ACTIVE, RotaEntry.State.PENDING])
                .select_related("partner").order_by("position"))


def candidate_partners(req: BorrowingRequest) -> list:
    partners = [e.partner for e in candidate_entries(req)]
    if req.partner_id and req.partner_id not in {p.pk for p in partners}:
        partners.insert(0, req.partner)
    return partners


def _build(config: CatalogSource) -> Source | None:
    cls = SOURCE_KINDS.get(config.kind)
    if cls is None:
        log.warning("catalogue source %s has unknown kind %r", config.pk, config.kind)
        return None
    return cls(config)


def sources_for(req: BorrowingRequest, *, include_network: bool = False) -> list[Source]:
    """The local inventory, then each candidate partner's active catalogues in rota order.
    `include_network` adds active catalogues that belong to no partner (the resources page shows them)."""
    local_rows = list(CatalogSource.objects.filter(kind=CatalogSource.Kind.LOCAL))
    if local_rows:
        sources = [s for s in (_build(c) for c in local_rows if c.active) if s]
    else:
        sources = [LocalInventorySource()]
    partners = candidate_partners(req)
    order = {p.pk: i for i, p in enumerate(partners)}
    remote = (CatalogSource.objects.filter(active=True).exclude(kind=CatalogSource.Kind.LOCAL)
              .select_related("partner"))
    remote = [c for c in remote if c.partner_id in order or (include_network and c.partner_id is None)]
    remote.sort(key=lambda c: (order.get(c.partner_id, len(order)), c.name, c.pk))
    return sources + [s for s in (_build(c) for c in remote) if s]


@dataclass
class SourceResult:
    source: Source
    found: Found | None = None
    error: str = ""

    @property
    def result(self) -> str:
        return ERROR if self.found is None else self.found.result

    @property
    def label(self) -> str:
        return str(RESULT_LABELS[self.result])


def _run_one(source: Source, citation: Citation) -> SourceResult:
    try:
        return SourceResult(source, found=source.search(citation))
    except SourceError as exc:
        return SourceResult(source, error=exc.message)
    except Exception as exc:  # one broken source must not stop the others; the trace goes to the log
        log.exception("locate source %r failed", source.name)
        return SourceResult(source, error=_("Unexpected error: %(e)s") % {"e": f"{type(exc).__name__}: {exc}"})


def run_sources(sources: list[Source], citation: Citation) -> list[SourceResult]:
    """Every source's answer, in the order given. Network sources run in parallel threads, so the wait is
    the slowest one's, not the sum; database sources run here (a thread would get another connection)."""
    results: dict[int, SourceResult] = {}
    remote = [(i, s) for i, s in enumerate(sources) if not s.uses_database]
    pool = ThreadPoolExecutor(max_workers=min(MAX_PARALLEL, len(remote))) if remote else None
    try:
        futures = {i: pool.submit(_run_one, s, citation) for i, s in remote} if pool else {}
        for i, source in enumerate(sources):
            if source.uses_database:
                results[i] = _run_one(source, citation)
        for i, future in futures.items():
            results[i] = future.result()
    finally:
        if pool is not None:
            pool.shutdown(wait=True)
    return [results[i] for i in range(len(sources))]


# --- the action ---------------------------------------------------------------------------------------


def previous_locate_status(req: BorrowingRequest) -> str:
    ct = ContentType.objects.get_for_model(BorrowingRequest)
    last = (HistoryEvent.objects.filter(content_type=ct, object_id=req.pk, field=str(LOCATE_STATUS_FIELD))
            .order_by("-at", "-id").values_list("new_value", flat=True).first())
    return last or _("Locate not run")


def _record_source(req, result: SourceResult, *, by) -> None:
    name = result.source.name
    if result.source.partner is not None and result.source.partner.name not in name:
        name = f"{name} ({result.source.partner.name})"
    field_name = (_("Locate: %(source)s") % {"source": name})[:60]
    if result.found is None:
        record(req, by=by, kind=HistoryEvent.Kind.ACTION, field=field_name, new=result.label,
               message=result.error)
        return
    found = result.found
    new = result.label if found.total <= 1 else f"{result.label} ({found.total})"
    message = _("Searched by %(by)s") % {"by": found.searched_by} if found.searched_by else ""
    if found.warnings:
        message = "; ".join([message, *found.warnings]) if message else "; ".join(found.warnings)
    record(req, by=by, kind=HistoryEvent.Kind.ACTION, field=field_name, new=new, message=message)


def partner_results(results: list[SourceResult]) -> dict[int, str]:
    """One result per partner over its catalogues: held (several > located) beats not located beats error."""
    by_partner: dict[int, list[str]] = {}
    for r in results:
        if r.source.partner is not None:
            by_partner.setdefault(r.source.partner.pk, []).append(r.result)
    combined = {}
    for pk, found in by_partner.items():
        combined[pk] = next((x for x in (SEVERAL, LOCATED, NOT_LOCATED) if x in found), ERROR)
    return combined


def _skip_to_holding_partner(req: BorrowingRequest, entries: list[RotaEntry], per_partner: dict[int, str],
                             *, by) -> BorrowingRequest:
    """The active partner's catalogue says not held, a later partner's says held: ask that one instead."""
    active = next((e for e in entries if e.state == RotaEntry.State.ACTIVE), None)
    if active is None or per_partner.get(active.partner_id) != NOT_LOCATED:
        return req
    better = next((e for e in entries if e.position > active.position and e.state == RotaEntry.State.PENDING
                   and per_partner.get(e.partner_id) in HELD), None)
    if better is None:
        return req
    RotaEntry.objects.filter(pk=active.pk).update(state=RotaEntry.State.SKIPPED)
    RotaEntry.objects.filter(pk=better.pk).update(state=RotaEntry.State.ACTIVE)
    record(req, by=by, kind=HistoryEvent.Kind.ACTION, field=_("Rota"),
           old=active.partner.name, new=better.partner.name,
           message=_("%(skipped)s skipped: not held in its catalogue; %(next)s holds it.")
           % {"skipped": active.partner.name, "next": better.partner.name})
    if req.partner_id != better.partner_id:
        req = update_fields(req, by=by, changes={"partner": better.partner})
    return req


def decide(local: list[SourceResult], per_partner: dict[int, str], partners: list) -> tuple[str, str]:
    """(outcome status, Locate status label) from what the sources said (the citation was searchable)."""
    if any(r.result in HELD for r in local):
        return S.LOCAL_HOLDING, _("Local holding")
    held = [per_partner.get(p.pk) for p in partners if per_partner.get(p.pk) in HELD]
    if held:
        return S.READY_TO_SEND, str(RESULT_LABELS[LOCATED if LOCATED in held else SEVERAL])
    if any(p.pk not in per_partner for p in partners):
        return S.READY_TO_SEND, str(RESULT_LABELS[NOT_CHECKED])
    return S.LOCATE_FAILED, str(RESULT_LABELS[NOT_LOCATED])


def locate(req: BorrowingRequest, *, by) -> BorrowingRequest:
    """Run the locate process on `req` (see the module docstring). Raises ActionRefused (409) when the
    request has no partner and no rota or is past sending, 403 when `by` may not."""
    req = run_transition(req, "start_locate", by=by)
    citation = Citation.for_request(req)
    if not citation.searchable:
        with transaction.atomic():
            record(req, by=by, kind=HistoryEvent.Kind.FIELD, field=str(LOCATE_STATUS_FIELD),
                   old=previous_locate_status(req), new=_("Bad citation"))
            return run_transition(req, "finish_locate", by=by, outcome=S.BAD_CITATION,
                                  message=_("No title, ISBN, ISSN or OCLC number to search with."))
    results = run_sources(sources_for(req), citation)
    with transaction.atomic():
        entries = candidate_entries(req)
        partners = candidate_partners(req)
        for result in results:
            _record_source(req, result, by=by)
        per_partner = partner_results(results)
        for entry in entries:
            RotaEntry.objects.filter(pk=entry.pk).update(locate_result=per_partner.get(entry.partner_id, NOT_CHECKED))
        local = [r for r in results if r.source.kind == CatalogSource.Kind.LOCAL]
        outcome, label = decide(local, per_partner, partners)
        if outcome == S.READY_TO_SEND:
            req = _skip_to_holding_partner(req, entries, per_partner, by=by)
        record(req, by=by, kind=HistoryEvent.Kind.FIELD, field=str(LOCATE_STATUS_FIELD),
               old=previous_locate_status(req), new=label)
        return run_transition(req, "finish_locate", by=by, outcome=outcome, message=summary(results))


def summary(results: list[SourceResult]) -> str:
    return "; ".join(f"{r.source.name}: {r.label}" for r in results)


def run_dialog(obj: BorrowingRequest, form, user) -> str:
    """The "Locate resource" row action (borrowing.dialogs)."""
    req = locate(obj, by=user)
    return _("Locate finished: %(status)s.") % {"status": req.get_status_display()}
