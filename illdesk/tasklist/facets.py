"""The facet model: what one facet filters on, how its values are bucketed and counted on the per-facet path,
and how counts become the values a page shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Case, CharField, Count, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..inputs import parse_pks

PAST_BUCKETS = [
    ("today", _("Today")),
    ("yesterday", _("Yesterday")),
    ("2_3_days", _("2–3 days ago")),
    ("4_7_days", _("4–7 days ago")),
    ("8_30_days", _("8–30 days ago")),
    ("older", _("Older")),
]
FUTURE_BUCKETS = [
    ("past", _("Passed")),
    ("today", _("Today")),
    ("next_7_days", _("Within a week")),
    ("next_30_days", _("Within a month")),
    ("later", _("Later")),
    ("none", _("Not set")),
]
BOOL_CHOICES = [("yes", _("Yes")), ("no", _("No"))]


def _today() -> date:
    return timezone.localdate()


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


@dataclass
class Facet:
    """One facet. `kind`: choice (column with choices), fk (foreign key, labelled by `label_fields`),
    bool, past_date (datetime column, age buckets), future_date (date column), m2m (tags)."""

    key: str
    label: str
    kind: str
    field: str
    choices: list[tuple[str, str]] | None = None
    label_fields: tuple[str, ...] = ("name",)
    include_none: str | None = None  # label for "no value" (e.g. Unassigned)
    empty_key: str = ""  # choice facets: URL value standing for the empty string (e.g. "undefined")

    def _to_db(self, value: str) -> str:
        return "" if self.empty_key and value == self.empty_key else value

    def _from_db(self, value) -> str:
        return self.empty_key if self.empty_key and value in ("", None) else value

    # --- filtering ----------------------------------------------------------------------------

    def q(self, values: list[str], model) -> Q:
        if not values:
            return Q()
        if self.kind in ("choice", "value"):
            return Q(**{f"{self.field}__in": [self._to_db(v) for v in values]})
        if self.kind == "bool":
            wanted = {v == "yes" for v in values if v in ("yes", "no")}
            return Q(**{f"{self.field}__in": list(wanted)}) if wanted else Q()
        if self.kind == "fk":
            ids = parse_pks(values)
            q = Q(**{f"{self.field}_id__in": ids}) if ids else Q(pk__in=[])
            if "none" in values:
                q |= Q(**{f"{self.field}__isnull": True})
            return q
        if self.kind == "m2m":
            ids = parse_pks(values)
            through = model._meta.get_field(self.field).remote_field.through
            source = f"{model._meta.model_name}_id"
            # `pk IN (uncorrelated subquery)`, not EXISTS: inside the OR and CASE of the counting
            # statement PostgreSQL hashes it once instead of probing the m2m table for every row.
            return Q(pk__in=through.objects.filter(tag_id__in=ids).values(source))
        if self.kind in ("past_date", "future_date"):
            q = Q(pk__in=[])
            for v in values:
                q |= self._bucket_q(v)
            return q
        raise ValueError(self.kind)

    def _bounds(self) -> dict:
        today = _today()
        if self.kind == "past_date":
            t0 = _start_of(today)
            return {
                "today": (t0, None),
                "yesterday": (t0 - timedelta(days=1), t0),
                "2_3_days": (t0 - timedelta(days=3), t0 - timedelta(days=1)),
                "4_7_days": (t0 - timedelta(days=7), t0 - timedelta(days=3)),
                "8_30_days": (t0 - timedelta(days=30), t0 - timedelta(days=7)),
                "older": (None, t0 - timedelta(days=30)),
            }
        return {
            "past": (None, today),
            "today": (today, today + timedelta(days=1)),
            "next_7_days": (today + timedelta(days=1), today + timedelta(days=8)),
            "next_30_days": (today + timedelta(days=8), today + timedelta(days=31)),
            "later": (today + timedelta(days=31), None),
        }

    def _bucket_q(self, bucket: str) -> Q:
        f = self.field
        if self.kind == "future_date" and bucket == "none":
            return Q(**{f"{f}__isnull": True})
        bounds = self._bounds()
        if bucket not in bounds:
            return Q(pk__in=[])
        lo, hi = bounds[bucket]
        q = Q()
        if lo is not None:
            q &= Q(**{f"{f}__gte": lo})
        if hi is not None:
            q &= Q(**{f"{f}__lt": hi})
        return q

    # --- counting -----------------------------------------------------------------------------

    def bucket_expression(self) -> Case:
        buckets = PAST_BUCKETS if self.kind == "past_date" else FUTURE_BUCKETS
        return Case(
            *[When(self._bucket_q(key), then=Value(key)) for key, _label in buckets],
            default=Value(""),
            output_field=CharField(),
        )

    def fast_bucket_expression(self) -> Case:
        """The same buckets as `bucket_expression`, tested in the order most rows stop early: the
        buckets partition the time line, so one bound per bucket is enough."""
        f = self.field
        bounds = self._bounds()
        if self.kind == "past_date":
            order = ["older", "8_30_days", "4_7_days", "2_3_days", "yesterday"]
            whens = [When(Q(**{f"{f}__lt": bounds[key][1]}), then=Value(key)) for key in order]
            return Case(*whens, default=Value("today"), output_field=CharField())
        order = ["past", "today", "next_7_days", "next_30_days"]
        whens = [When(Q(**{f"{f}__isnull": True}), then=Value("none"))]
        whens += [When(Q(**{f"{f}__lt": bounds[key][1]}), then=Value(key)) for key in order]
        return Case(*whens, default=Value("later"), output_field=CharField())

    def domain_size(self) -> int | None:
        """How many values the facet can take in one grouping set (None: unknown, maybe many)."""
        if self.kind == "bool":
            return 2
        if self.kind in ("past_date", "future_date"):
            return 6
        if self.kind == "choice" and self.choices and "__" not in self.field:
            return len(self.choices) + 1
        return None

    def counts(self, qs: QuerySet, selected: list[str]) -> list[FacetValue]:
        """One grouped query for this facet over `qs` (the per-facet path)."""
        if self.kind == "value":
            rows = qs.order_by().exclude(**{self.field: ""}).values_list(self.field).annotate(n=Count("pk"))
            return self.values(dict(rows), selected)
        if self.kind in ("choice", "bool"):
            rows = qs.order_by().values_list(self.field).annotate(n=Count("pk"))
            return self.values(dict(rows), selected)
        if self.kind in ("past_date", "future_date"):
            rows = qs.order_by().annotate(_bucket=self.bucket_expression()).values_list("_bucket").annotate(
                n=Count("pk")
            )
            return self.values(dict(rows), selected)
        if self.kind in ("fk", "m2m"):
            id_field = f"{self.field}_id" if self.kind == "fk" else f"{self.field}__id"
            label_lookups = [f"{self.field}__{name}" for name in self.label_fields]
            rows = qs.order_by().values_list(id_field, *label_lookups).annotate(n=Count("pk"))
            found, labels = {}, {}
            for row in rows:
                found[row[0]] = row[-1]
                labels[row[0]] = row[1:-1]
            return self.values(found, selected, labels)
        raise ValueError(self.kind)

    def values(self, found: dict, selected: list[str], labels: dict | None = None) -> list[FacetValue]:
        """Facet values from {database value: count} (and {pk: label parts} for fk/m2m facets)."""
        chosen = set(selected)
        if self.kind == "value":
            values = [FacetValue(str(k), str(k), n, str(k) in chosen) for k, n in found.items() if k and n]
            return sorted(values, key=lambda v: (-v.count, v.label))
        if self.kind in ("choice", "bool"):
            if self.kind == "bool":
                merged = {"yes": 0, "no": 0}
                for k, n in found.items():
                    merged["yes" if k else "no"] += n
                found = merged
            else:
                merged: dict = {}
                for k, n in found.items():
                    key = self._from_db(k)
                    merged[key] = merged.get(key, 0) + n
                found = merged
            choices = BOOL_CHOICES if self.kind == "bool" else (self.choices or [])
            return [
                FacetValue(str(k), str(label), found.get(k, 0), str(k) in chosen)
                for k, label in choices
                if found.get(k) or str(k) in chosen
            ]
        if self.kind in ("past_date", "future_date"):
            buckets = PAST_BUCKETS if self.kind == "past_date" else FUTURE_BUCKETS
            return [
                FacetValue(k, str(label), found.get(k, 0), k in chosen)
                for k, label in buckets
                if found.get(k) or k in chosen
            ]
        if self.kind in ("fk", "m2m"):
            labels = labels or {}
            result = []
            for pk, n in found.items():
                if not n:
                    continue
                if pk is None:
                    if self.include_none is None:
                        continue
                    result.append(FacetValue("none", str(self.include_none), n, "none" in chosen))
                    continue
                label = " ".join(str(part) for part in labels.get(pk, ()) if part) or str(pk)
                result.append(FacetValue(str(pk), label, n, str(pk) in chosen))
            result.sort(key=lambda v: (-v.count, v.label))
            return result
        raise ValueError(self.kind)

    def related_model(self, model):
        """fk/m2m facets: the model the ids point at."""
        return model._meta.get_field(self.field).related_model

    def labels(self, model, ids) -> dict:
        ids = [pk for pk in ids if pk is not None]
        if not ids:
            return {}
        rows = self.related_model(model)._default_manager.filter(pk__in=ids).values_list("pk", *self.label_fields)
        return {row[0]: row[1:] for row in rows}

