"""The secondary search (`q`, `qf`): plain `icontains` on each field, plus, on PostgreSQL, an implied predicate
on one trigram-indexed document and `fk = ANY(ARRAY(…))` for related rows (see the package docstring)."""

from __future__ import annotations

from functools import reduce
from operator import or_

from django.core.exceptions import FieldDoesNotExist
from django.db.models import CharField, F, Func, Lookup, Q, QuerySet, TextField

from ..inputs import no_nul, parse_pk
from .config import TaskListConfig, first_hop

DOC_SEPARATOR = 31  # chr(31), the ASCII unit separator: a search term never spans two fields


class SearchDocument(Func):
    """(f1 || chr(31) || f2 || …): the citation fields as one text, for one trigram index.

    A model indexes it with
        GinIndex(OpClass(Upper(SearchDocument(*fields)), name="gin_trgm_ops"), name=…)
    over exactly `search_document_fields(config)`, in that order (tests check they agree): that is
    the expression `icontains` on the document compiles to, so PostgreSQL can use the index."""

    template = "(%(expressions)s)"
    arg_joiner = f" || chr({DOC_SEPARATOR}) || "
    output_field = TextField()


class AnyArray(Lookup):
    """`fk = ANY(ARRAY(subquery))`: PostgreSQL evaluates the subquery once and, unlike `IN
    (subquery)` inside an OR, can use the column's index for it."""

    lookup_name = "any_array"
    prepare_rhs = False

    def get_prep_lookup(self):
        return self.rhs

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY(ARRAY{rhs})", (*lhs_params, *rhs_params)


def _local_text_field(model, lookup: str):
    if "__" in lookup or lookup == "pk":
        return None
    try:
        f = model._meta.get_field(lookup)
    except FieldDoesNotExist:
        return None
    if isinstance(f, (CharField, TextField)) and not f.null:
        return f
    return None


def search_document_fields(config: TaskListConfig) -> tuple[str, ...]:
    """The local, non-null text fields any search field looks in, in config order."""
    seen: list[str] = []
    for sf in config.search_fields:
        for lookup in sf.lookups:
            if lookup not in seen and _local_text_field(config.model, lookup) is not None:
                seen.append(lookup)
    return tuple(seen)


def search_document(config: TaskListConfig) -> SearchDocument:
    return SearchDocument(*search_document_fields(config))


def _search_q(config: TaskListConfig, text: str, field_key: str, vendor: str = "") -> Q:
    text = no_nul(text.strip().replace(chr(DOC_SEPARATOR), ""))
    if not text:
        return Q()
    fields = [f for f in config.search_fields if f.key == field_key] or config.search_fields
    pg = vendor == "postgresql"
    doc_fields = set(search_document_fields(config)) if pg else set()
    local, other = Q(), Q()
    local_lookups = []
    related: dict[str, list[str]] = {}  # foreign key -> lookups on the related row
    for sf in fields:
        for lookup in sf.lookups:
            if lookup == "pk":
                if (pk := parse_pk(text)) is not None:
                    other |= Q(pk=pk)
                continue
            hop, rest = first_hop(config.model, lookup) if pg else (None, lookup)
            if hop is not None:
                related.setdefault(hop.name, []).append(rest)
                continue
            local |= Q(**{f"{lookup}__icontains": text})
            local_lookups.append(lookup)
    if local_lookups and doc_fields and all(lookup in doc_fields for lookup in local_lookups):
        # Implied by `local` (a field containing the text makes the document contain it): the
        # trigram index finds the candidates, `local` keeps exactly the rows it always kept.
        local = Q(_search_doc__icontains=text) & local
    for name, lookups in related.items():
        # requester__last_name contains text → requester_id = ANY(ARRAY(ids of matching patrons))
        hop = config.model._meta.get_field(name)
        matching = hop.related_model._default_manager.filter(
            reduce(or_, [Q(**{f"{rest}__icontains": text}) for rest in lookups])).order_by().values("pk")
        other |= Q(AnyArray(F(hop.attname), matching.query))
    return local | other


def search_index_sql(name: str, table: str, fields: tuple[str, ...]) -> str:
    """DDL (PostgreSQL, pg_trgm) of the trigram index over `fields` as one document: the expression
    `search_document` compiles to, so the search can use it (the sides' migrations; tested)."""
    document = f" || chr({DOC_SEPARATOR}) || ".join(f'"{f}"' for f in fields)
    return f'CREATE INDEX "{name}" ON "{table}" USING gin ((UPPER(({document}))) gin_trgm_ops)'


def _with_search_doc(qs: QuerySet, config: TaskListConfig, vendor: str) -> QuerySet:
    if vendor == "postgresql" and search_document_fields(config):
        return qs.alias(_search_doc=search_document(config))
    return qs
