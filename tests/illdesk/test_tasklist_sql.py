"""How the task lists count: the same numbers whichever way they are computed, in a number of queries
that does not grow with the rows.

On PostgreSQL every facet but the tags is counted by one GROUPING SETS statement; elsewhere by one
grouped query per facet. Both must give exactly the per-facet answer, for any selection."""

import importlib
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.db.models import Value
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone

from borrowing.models import BorrowingRequest
from borrowing.tasklist import CONFIG as BORROWING
from illdesk import tasklist
from illdesk.models import LevelOfService, PickupLocation, Tag
from lending.models import LendingRequest
from lending.tasklist import CONFIG as LENDING
from tests.factories import make_borrowing, make_lending

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="the GROUPING SETS path is PostgreSQL's")


def _facets(result) -> dict:
    return {facet.key: {v.value: (v.count, v.selected) for v in values} for facet, values in result.facets}


def _run(config, query: str, user, base=None):
    return tasklist.run(config, QueryDict(query), user, base if base is not None else config.model.objects.all())


def _per_facet(config, query: str, user, monkeypatch):
    """The same page computed with one grouped query per facet (the SQLite path)."""
    with monkeypatch.context() as m:
        m.setattr(tasklist, "_grouped_counts",
                  lambda config, scoped, selection, facet_qs, **_kw: tasklist._per_facet_counts(
                      config, scoped, selection, facet_qs))
        return _run(config, query, user)


@pytest.fixture
def borrowing_world(library, iso_partner, email_partner, operator, operator2, pickup, level):
    """A spread of requests over every kind of facet: tags, partners (and none), statuses, dates, formats,
    flags, pickup kinds (and none), levels, assignees (and none), event names, completed ones."""
    urgent, rare = Tag.objects.create(name="urgent"), Tag.objects.create(name="rare")
    room = PickupLocation.objects.create(library=library, code="RR", name="Reading room", kind="reading_room")
    level2 = LevelOfService.objects.create(code="RUSH", name="Rush")
    now = timezone.now()
    specs = [
        ("sent", iso_partner, "physical", "", operator, pickup, level, 0, "", True, False),
        ("sent", email_partner, "digital", "", None, room, level2, 1, "Libris: Delivered", False, False),
        ("created", None, "digital", "", None, None, None, 2, "", False, True),
        ("will_supply", iso_partner, "physical", "", operator2, pickup, level, 5, "", True, False),
        ("overdue", iso_partner, "physical_non_returnable", "physical", operator, room, None, 40, "", False, False),
        ("received_physically", email_partner, "physical", "physical", None, pickup, level2, 10, "BLDSS: Dispatched",
         False, True),
        ("loaned_to_patron", email_partner, "physical", "physical", operator, pickup, level, 3, "", True, True),
        ("completed", iso_partner, "physical", "physical", operator, pickup, level, 400, "", False, False),
        ("cancelled", email_partner, "digital", "", None, None, None, 30, "", True, False),
    ]
    reqs = []
    for i, (status, partner, fmt, supplied, assignee, pick, lvl, age, event, message, info) in enumerate(specs):
        req = make_borrowing(library, status, partner=partner, requested_format=fmt, supplied_format=supplied,
                             assignee=assignee, pickup_location=pick, level_of_service=lvl, event_name=event,
                             has_active_message=message, patron_info_required=info, title=f"Ecology {i}",
                             due_date=(now + timedelta(days=i * 5 - 12)).date() if i % 2 else None)
        BorrowingRequest.objects.filter(pk=req.pk).update(created_at=now - timedelta(days=age),
                                                          updated_at=now - timedelta(days=age // 2))
        reqs.append(req)
    for req in reqs[0:6:2]:
        req.tags.add(urgent)
    for req in reqs[1:4]:
        req.tags.add(rare)
    return reqs


SELECTIONS = [
    "",
    "status=sent",
    "status=sent&status=overdue&format=physical",
    "tag=__urgent__",
    "tag=__urgent__&tag=__rare__&partner=none",
    "partner=__iso__&assignee=none&created=today&created=older",
    "pickup=library&level=__level__&supplied=undefined",
    "due=none&due=past&message=yes&patron_info=no",
    "event=Libris: Delivered&updated=older",
    "status=nonsense&partner=abc&message=maybe",  # nothing valid chosen
    "activity=completed&q=ecology",
    "activity=all&q=ecology&tag=__urgent__",
    "q=ecology&qf=title&status=sent",
    "preset=cancelled_by_partner",
    "preset=messages&assignee=none",
]


def _resolve(query: str, iso_partner, level) -> str:
    return (query.replace("__urgent__", str(Tag.objects.get(name="urgent").pk))
            .replace("__rare__", str(Tag.objects.get(name="rare").pk))
            .replace("__iso__", str(iso_partner.pk)).replace("__level__", str(level.pk)))


@postgres_only
@pytest.mark.parametrize("query", SELECTIONS)
def test_it_counts_in_one_statement_exactly_what_per_facet_queries_count(borrowing_world, operator, iso_partner,
                                                                         level, query, monkeypatch):
    query = _resolve(query, iso_partner, level)
    grouped = _run(BORROWING, query, operator)
    per_facet = _per_facet(BORROWING, query, operator, monkeypatch)
    assert _facets(grouped) == _facets(per_facet)
    assert grouped.page.paginator.count == per_facet.page.paginator.count
    assert [o.pk for o in grouped.page] == [o.pk for o in per_facet.page]
    assert grouped.presets == per_facet.presets


@postgres_only
def test_it_counts_the_rows_with_the_facets(borrowing_world, operator, iso_partner, django_assert_num_queries):
    """No COUNT(*) of its own: the list's total comes out of the GROUPING SETS statement."""
    result = _run(BORROWING, f"partner={iso_partner.pk}", operator)
    with django_assert_num_queries(0):
        assert result.page.paginator.count == 3
    assert sum(v.count for f, values in result.facets if f.key == "status" for v in values) == 3


def test_choosing_a_value_keeps_its_siblings(borrowing_world, operator, iso_partner, email_partner):
    result = _run(BORROWING, f"partner={iso_partner.pk}&status=sent", operator)
    facets = _facets(result)
    # partner counts ignore the partner facet itself, status counts ignore the status facet
    assert facets["partner"] == {str(email_partner.pk): (1, False), str(iso_partner.pk): (1, True)}
    assert facets["status"] == {"sent": (1, True), "will_supply": (1, False), "overdue": (1, False)}
    assert result.page.paginator.count == 1


def test_fast_buckets_are_the_buckets(library, operator):
    """The reordered CASE of the counting statement puts every moment in the same bucket as the plain one,
    on both sides of every boundary."""
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        t0 = tasklist.facets._start_of(tasklist.facets._today())
        moments = [t0 + timedelta(days=d, microseconds=us) for d in (0, -1, -3, -7, -30) for us in (-1, 0, 1)]
        for moment in moments:
            req = make_borrowing(library, title="b")
            BorrowingRequest.objects.filter(pk=req.pk).update(created_at=moment)
        facet = next(f for f in BORROWING.facets if f.key == "created")
        rows = BorrowingRequest.objects.annotate(slow=facet.bucket_expression(),
                                                 fast=facet.fast_bucket_expression()).values_list("slow", "fast")
        assert all(slow == fast for slow, fast in rows)
        due = next(f for f in BORROWING.facets if f.key == "due")
        today = tasklist.facets._today()
        for days in (None, -1, 0, 1, 7, 8, 30, 31, 90):
            make_borrowing(library, title="d", due_date=None if days is None else today + timedelta(days=days))
        rows = BorrowingRequest.objects.filter(title="d").annotate(
            slow=due.bucket_expression(), fast=due.fast_bucket_expression()).values_list("slow", "fast")
        assert all(slow == fast for slow, fast in rows)
        assert {fast for _s, fast in rows} == {k for k, _label in tasklist.FUTURE_BUCKETS}


def test_search_matches_each_field_not_across_fields(library, operator):
    """The trigram document joins the fields with a separator: a term spanning two fields finds nothing."""
    inside = make_borrowing(library, title="Peatland ecology", chapter_title="Carbon")
    make_borrowing(library, title="Peatland eco", chapter_title="logy of soils")
    result = _run(BORROWING, "q=ecology&qf=title", operator)
    assert [o.pk for o in result.page] == [inside.pk]
    assert result.activity_counts == {"active": 1, "completed": 0, "all": 1}


def test_search_finds_requests_through_related_rows(library, operator, patron, email_partner):
    """Requester and partner fields are matched on the related rows (an indexable ANY(ARRAY(…)) on
    PostgreSQL) with the same result as a join."""
    mine = make_borrowing(library, requester=patron, title="One")
    theirs = make_borrowing(library, partner=email_partner, title="Two")
    make_borrowing(library, title="Three")
    assert [o.pk for o in _run(BORROWING, "q=patron&qf=requester", operator).page] == [mine.pk]
    assert [o.pk for o in _run(BORROWING, "q=mail lib&qf=partner", operator).page] == [theirs.pk]
    everything = _run(BORROWING, "q=P0001", operator)  # card number, all fields
    assert [o.pk for o in everything.page] == [mine.pk]


def test_search_document_covers_the_local_search_fields():
    assert tasklist.search_document_fields(BORROWING)[:4] == ("title", "chapter_title", "author", "chapter_author")
    for config in (BORROWING, LENDING):
        fields = tasklist.search_document_fields(config)
        assert "pk" not in fields and not any("__" in f for f in fields)
        # a model that indexes the document must index exactly these fields, in this order
        for index in config.model._meta.indexes:
            for expression in getattr(index, "expressions", ()):
                doc = _find_document(expression)
                if doc is not None:
                    names = tuple(e.name for e in doc.get_source_expressions())
                    assert names == fields, f"{index.name} indexes {names}, the task list searches {fields}"


def _find_document(expression):
    if isinstance(expression, tasklist.SearchDocument):
        return expression
    for source in expression.get_source_expressions():
        found = _find_document(source)
        if found is not None:
            return found
    return None


def test_preset_counts_are_one_statement(library, operator, django_assert_num_queries):
    make_borrowing(library, "overdue", title="late")
    make_borrowing(library, "cancelled_by_partner", title="gone")
    base = BorrowingRequest.objects.filter(removed_at__isnull=True)
    with django_assert_num_queries(1):
        counts = dict((p.key, n) for p, n in tasklist._preset_counts(BORROWING, base, operator))
    assert counts["overdue"] == 1 and counts["cancelled_by_partner"] == 1 and counts["recalled"] == 0


# --- lending: bounded queries, like the borrowing list -----------------------------------------------------


@pytest.mark.parametrize("rows", [3, 40])
def test_lending_query_count_does_not_grow_with_rows(client, operator, library, iso_partner, rows,
                                                      django_assert_max_num_queries):
    tag = Tag.objects.create(name="t")
    for i in range(rows):
        req = make_lending(library, "created" if i % 2 else "being_processed", partner=iso_partner,
                           title=f"r{i}", assignee=operator, borrower_request_id=f"B{i}")
        req.tags.add(tag)
    client.force_login(operator)
    client.get(reverse("lending:list"))  # warm caches (content types, session)
    # PostgreSQL: one statement for all facets; elsewhere one per facet (13 lending facets)
    with django_assert_max_num_queries(16 if connection.vendor == "postgresql" else 24):
        response = client.get(reverse("lending:list"), {"status": ["created", "being_processed"],
                                                        "format": "physical"})
    assert response.status_code == 200
    assert response.context["result"].page.paginator.count == rows


@pytest.mark.parametrize("query", ["", "status=created&printed=no", "tab=unassigned&alerts=no",
                                   "activity=completed&q=r1"])
def test_lending_counts_agree_with_the_rows(client, operator, library, iso_partner, query):
    for i in range(6):
        make_lending(library, ["created", "completed"][i % 2], partner=iso_partner, title=f"r{i}",
                     assignee=operator if i % 3 else None, printed=bool(i % 2), borrower_request_id=f"B{i}")
    client.force_login(operator)
    response = client.get(reverse("lending:list") + "?" + query)
    result = response.context["result"]
    rows = list(result.page)
    assert result.page.paginator.count == len(rows)
    status = next(values for facet, values in result.facets if facet.key == "status")
    if "status=" not in query:
        assert sum(v.count for v in status) == len(rows)
    assert LendingRequest.objects.annotate(x=Value(1)).exists()


# --- caching that stays correct (PostgreSQL, with the data-version triggers) ------------------------------


@pytest.fixture
def data_version(transactional_db):
    """The version table and triggers the migrations create (illdesk 0002, borrowing 0005, lending 0004),
    in a database whose writes really commit (a cached count must never survive a committed change)."""
    from django.core.cache import cache

    tasklist.forget_version_table()
    cache.clear()
    yield
    tasklist.forget_version_table()
    cache.clear()


def _status_counts(client) -> dict:
    response = client.get(reverse("borrowing:list"))
    result = response.context["result"]
    counts = {facet.key: {v.value: v.count for v in values} for facet, values in result.facets}
    return {"status": counts["status"], "tag": counts["tag"], "pickup": counts["pickup"],
            "total": result.page.paginator.count, "presets": {p.key: n for p, n in result.presets}}


@postgres_only
def test_cached_counts_follow_every_kind_of_write(data_version, client, operator, library, pickup,
                                                   django_assert_max_num_queries):
    a = make_borrowing(library, "sent", title="a", pickup_location=pickup)
    b = make_borrowing(library, "created", title="b")
    client.force_login(operator)
    first = _status_counts(client)
    assert first["status"] == {"sent": 1, "created": 1} and first["total"] == 2
    # unchanged data: the counts come from the cache (no GROUPING SETS, tags or preset statement)
    with django_assert_max_num_queries(12):
        assert _status_counts(client) == first
    # a row changed (ORM update), a tag added (m2m table), a pickup location's kind changed (joined table),
    # a row inserted, a row deleted: each shows at once
    BorrowingRequest.objects.filter(pk=b.pk).update(status="overdue")
    assert _status_counts(client)["status"] == {"sent": 1, "overdue": 1}
    assert _status_counts(client)["presets"]["overdue"] == 1
    tag = Tag.objects.create(name="urgent")
    a.tags.add(tag)
    assert _status_counts(client)["tag"] == {str(tag.pk): 1}
    PickupLocation.objects.filter(pk=pickup.pk).update(kind="reading_room")
    assert _status_counts(client)["pickup"] == {"reading_room": 1}
    make_borrowing(library, "sent", title="c")
    assert _status_counts(client)["total"] == 3
    BorrowingRequest.objects.filter(pk=a.pk).delete()
    assert _status_counts(client)["status"] == {"sent": 1, "overdue": 1}


@postgres_only
def test_nothing_is_cached_inside_a_transaction_or_for_a_search(data_version, operator, library):
    from django.db import transaction

    make_borrowing(library, "sent", title="ecology")
    with transaction.atomic():
        assert tasklist.data_version("default", "borrowing") is None
    assert tasklist.data_version("default", "borrowing") is not None
    result = _run(BORROWING, "q=ecology", operator)
    assert result.page.paginator.count == 1


# --- the migrations: what they freeze, and what PostgreSQL gets ---------------------------------------------

BORROWING_PG = importlib.import_module("borrowing.migrations.0005_tasklist_postgres")
LENDING_PG = importlib.import_module("lending.migrations.0004_tasklist_postgres")
VERSION_PG = importlib.import_module("illdesk.migrations.0002_tasklist_version")


@pytest.mark.parametrize(("migration", "config"), [(BORROWING_PG, BORROWING), (LENDING_PG, LENDING)])
def test_the_migrations_index_what_the_task_lists_search_and_count(migration, config):
    """The trigram index covers exactly the search document, and the triggers watch exactly the tables the
    counts read: a new search field or a facet over another table needs a new migration."""
    assert migration.DOCUMENT == tasklist.search_document_fields(config)
    assert migration.VERSION_TABLES == tasklist.version_tables(config)
    assert migration.TABLE == config.model._meta.db_table


def test_without_postgresql_nothing_is_cached(db):
    if connection.vendor == "postgresql":
        pytest.skip("PostgreSQL has the version table")
    tasklist.forget_version_table()
    assert tasklist.data_version("default", "borrowing") is None


def _plan(sql: str, params=None) -> str:
    """PostgreSQL's plan for `sql` when it may not read a whole table or index (on tiny test tables that is
    the cheapest): a bitmap scan of an index whose expression matches the predicate is all that is left."""
    with connection.cursor() as cur:
        for setting in ("enable_seqscan", "enable_indexscan", "enable_indexonlyscan"):
            cur.execute(f"SET LOCAL {setting} = off")
        cur.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cur.fetchall())


@postgres_only
@pytest.mark.parametrize(("config", "index"), [(BORROWING, "borrow_search_trgm"), (LENDING, "lend_search_trgm")])
@pytest.mark.parametrize("field", ["title", "author", "identifier", ""])
def test_the_list_search_uses_the_trigram_index(db, config, index, field):
    scoped = tasklist._with_search_doc(config.model.objects.order_by(), config, "postgresql")
    qs = scoped.filter(tasklist._search_q(config, "ecology", field, "postgresql")).values("pk")
    sql, params = qs.query.sql_with_params()
    assert index in _plan(sql, params)


@postgres_only
def test_locate_finds_titles_through_the_trigram_index(db, library):
    """lending.inventory.search narrows a title on its longest word (`title__icontains`): the query it sends
    can use lend_bibrecord_title_trgm instead of reading the whole catalogue."""
    from django.test.utils import CaptureQueriesContext

    from lending import inventory
    from lending.models import BibRecord

    BibRecord.objects.create(record_id="R1", title="Forest ecology of the north")
    with CaptureQueriesContext(connection) as ctx:
        found = inventory.search(inventory.Query(title="Forest ecology of the north"))
    assert [r.record_id for r in found.records] == ["R1"]
    [title_query] = [q["sql"] for q in ctx.captured_queries if "LIKE" in q["sql"]]
    assert "lend_bibrecord_title_trgm" in _plan(title_query)


@postgres_only
def test_the_postgresql_migrations_reverse_and_apply_again(db):
    """Backwards leaves none of their objects (the test's transaction then undoes everything)."""
    from django.apps import apps

    def objects() -> dict:
        with connection.cursor() as cur:
            cur.execute("SELECT indexname FROM pg_indexes WHERE indexname = ANY(%s)",
                        [[BORROWING_PG.SEARCH_INDEX, LENDING_PG.SEARCH_INDEX, LENDING_PG.TITLE_INDEX]])
            found = {row[0] for row in cur.fetchall()}
            cur.execute("SELECT tgname FROM pg_trigger WHERE tgname LIKE 'tlv_%%'")
            found |= {row[0] for row in cur.fetchall()}
            cur.execute("SELECT to_regclass(%s) IS NOT NULL", [tasklist.VERSION_TABLE])
            if cur.fetchone()[0]:
                found.add(tasklist.VERSION_TABLE)
            cur.execute("SELECT relname FROM pg_class WHERE relname = ANY(%s) AND reloptions IS NOT NULL",
                        [[BORROWING_PG.TABLE, LENDING_PG.TABLE]])
            found |= {f"options:{row[0]}" for row in cur.fetchall()}
            return found

    before = objects()
    assert len(before) == 10  # 3 indexes, 4 triggers, the version table, 2 tables' autovacuum settings
    with connection.schema_editor() as editor:
        for module in (LENDING_PG, BORROWING_PG, VERSION_PG):
            module.backwards(apps, editor)
        assert objects() == set()
        for module in (VERSION_PG, BORROWING_PG, LENDING_PG):
            module.forwards(apps, editor)
    assert objects() == before
    tasklist.forget_version_table()
