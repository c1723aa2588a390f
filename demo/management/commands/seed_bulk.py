"""`python manage.py seed_bulk --requests N [--side borrowing|lending|both]`: a consortium-sized data set.

Bulk data for benchmarks, not a workflow: rows are written directly (PostgreSQL COPY through
psycopg 3), so nothing here calls a transition. What it keeps true is what the task lists rely on:
every status is a valid code of its side, `is_active` is derived from the status exactly as
`run_transition` derives it (final statuses plus the admin's StatusSetting overrides), the flag
columns agree with the notes and messages written next to them, and ids grow with `created_at`.

The shape of a consortium's ten years: ~500 partners (a few busy, most rare), ~50,000 patrons, a
growing volume per year, ~5% of requests active (the recent ones, with a long tail of old loans still
out), the rest completed, cancelled or expired; a few history rows per request, notes on about a
quarter, tags on one in six, rota entries on borrowing requests with a partner.

N is per side. Reference data (libraries, partners, patrons, operators, tags, catalogue) is keyed on
codes and created once; `--reset` deletes the side's requests (and what hangs off them) first.
Secondary indexes of the big tables are dropped during the load and rebuilt after it, and foreign-key
triggers are skipped (session_replication_role) when the database user may do so: the generator only
writes ids it has just read or written itself.
"""

from __future__ import annotations

import bisect
import itertools
import multiprocessing
import random
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.contrib.contenttypes.models import ContentType
from django.core.management.base import BaseCommand, CommandError, OutputWrapper
from django.db import connection, connections, transaction
from django.utils import timezone, translation

from borrowing.models import BorrowingRequest, RotaEntry
from borrowing.statuses import Status as BS
from demo import data as D
from illdesk import roles
from illdesk.models import (
    Alert,
    GeneralMessage,
    HistoryEvent,
    LevelOfService,
    Note,
    Patron,
    PatronCategory,
    PickupLocation,
    ResourceSharingLibrary,
    Tag,
)
from illdesk.workflow import inactive_statuses
from lending.models import BibRecord, Item, LendingRequest
from lending.statuses import HOLDS_NO_ITEM as L_HOLDS_NO_ITEM
from lending.statuses import Status as LS
from partners.models import Partner, WorkflowProfile

SQLITE_MAX = 20_000
PARALLEL_FROM = 50_000  # requests per side from which PostgreSQL loads run in two processes
CHUNK = 50_000
YEARS = 10
ACTIVE_SHARE = 0.05

# --- word pools (titles, names, places); Zipf-weighted so some words are common, most are rare -----

EN_WORDS = """
history library libraries research science theory practice introduction handbook study studies analysis
development education social political economic culture cultural language languages literature art music
health medicine medical clinical nursing care patients disease cancer diabetes heart brain children
women family youth ageing population migration climate change environment environmental ecology forest
forests water marine ocean arctic nordic baltic european finland sweden norway russia global local urban
rural city cities design engineering computer computing data digital networks systems software learning
machine models methods statistics quantitative qualitative evidence policy law legal rights justice
human ethics philosophy religion church medieval modern early late century war peace state states
nation identity memory media communication information knowledge management organization organizations
business finance markets trade labour work energy chemistry physics biology genetics evolution plant
plants animal animals soil agriculture food nutrition sport physical mental psychology behaviour
cognitive child school teachers teaching university universities students higher reading writing
archives manuscripts books print publishing journals open access sharing interlibrary loan catalogue
metadata collections museum heritage architecture landscape geography maps mapping mathematics algebra
geometry quantum materials sustainable sustainability innovation technology technologies transport
infrastructure governance democracy welfare poverty inequality gender sexuality race ethnicity colonial
postcolonial empire revolution reform economy economics accounting marketing tourism housing planning
""".split()
FI_WORDS = """
suomen suomalainen historia kirjasto kirjastot tutkimus tiede yliopisto opetus kasvatus kieli kielen
kirjallisuus taide musiikki terveys hoito lapset nuoret perhe yhteiskunta politiikka talous kulttuuri
luonto metsä metsät järvi vesi ilmasto ympäristö kaupunki maaseutu työ työelämä oikeus laki filosofia
uskonto kirkko sota rauha valtio kansa muisti media viestintä tieto johtaminen opas perusteet johdanto
käsikirja tutkielma väitöskirja pro gradu kehitys muutos arki elämä koulu oppiminen lukeminen
kirjoittaminen sanakirja kansanrunous kalevala saamen karjala lappi helsinki turku tampere oulu
""".split()
SV_WORDS = """
svensk svenska historia bibliotek forskning vetenskap universitet utbildning språk litteratur konst musik
hälsa vård barn familj samhälle politik ekonomi kultur natur skog vatten klimat miljö stad landsbygd
arbete rätt filosofi religion kyrka krig fred stat folk minne medier kunskap handbok inledning studier
utveckling förändring skola lärande läsning skrivande ordbok norden östersjön finland stockholm uppsala
""".split()
DE_WORDS = """
geschichte bibliothek forschung wissenschaft universität bildung sprache literatur kunst musik gesundheit
kinder familie gesellschaft politik wirtschaft kultur natur wald wasser klima umwelt stadt arbeit recht
philosophie religion kirche krieg frieden staat volk gedächtnis medien wissen handbuch einführung studien
entwicklung wandel schule lernen lesen schreiben wörterbuch europa deutschland berlin
""".split()
SURNAMES = """
Virtanen Korhonen Mäkinen Nieminen Mäkelä Hämäläinen Laine Heikkinen Koskinen Järvinen Lehtonen Lehtinen
Saarinen Salminen Heinonen Niemi Heikkilä Kinnunen Salonen Turunen Salo Laitinen Tuominen Rantanen Karjalainen
Jokinen Mattila Savolainen Lahtinen Ahonen Andersson Johansson Karlsson Nilsson Eriksson Larsson Olsson
Persson Svensson Gustafsson Pettersson Jonsson Lindberg Lindqvist Lindgren Berg Bergström Lundberg Hansen
Johansen Olsen Larsen Andersen Pedersen Nielsen Kristiansen Jensen Müller Schmidt Schneider Fischer Weber
Meyer Wagner Becker Schulz Hoffmann Smith Jones Williams Brown Taylor Davies Wilson Evans Thomas Johnson
Roberts Walker Wright Robinson Thompson White Hughes Edwards Green Hall Wood Harris Martin Clarke Jackson
Garcia Martinez Rodriguez Lopez Gonzalez Rossi Russo Ferrari Esposito Bianchi Dubois Lefebvre Moreau Laurent
Simon Michel Nowak Kowalski Wiśniewski Novák Svoboda Horváth Kovács Nagy Ivanov Petrov Smirnov Popov
Tanaka Suzuki Takahashi Watanabe Ito Yamamoto Nakamura Kobayashi Zhang Wang Li Liu Chen Yang Huang Zhao
Kim Lee Park Choi Nguyen Tran Pham Hakala Aalto Rinne Kallio Kettunen Miettinen Hiltunen Peltonen Oksanen
""".split()
GIVEN = """
Aino Eero Liisa Matti Juha Sanna Timo Kaisa Jussi Elina Ville Helmi Antti Mikko Pekka Tiina Riikka Outi
Anna Maria Karin Erik Lars Anders Ingrid Astrid Olof Johan Emma Sofia Ella Oliver James Emily Sophie Daniel
Thomas Sarah Laura Julia Hannah Felix Lukas Paul Jonas Marie Claire Pierre Luca Marco Giulia Elena Ivan
Olga Petra Tomasz Agnieszka Wei Li Sakura Yuki Hiroshi Min Ji Sven Nils Kari Leena Pirkko Seppo Hannu
""".split()
CITIES = """
Helsinki Espoo Tampere Turku Oulu Jyväskylä Kuopio Lahti Joensuu Rovaniemi Vaasa Lappeenranta Stockholm
Uppsala Lund Göteborg Umeå Linköping Örebro Luleå Oslo Bergen Trondheim Tromsø Stavanger Copenhagen Aarhus
Odense Aalborg Reykjavik Tallinn Tartu Riga Vilnius Kaunas Berlin Hamburg Munich Cologne Frankfurt Leipzig
Dresden Göttingen Heidelberg Freiburg Tübingen Bonn Münster Vienna Graz Innsbruck Zurich Basel Bern Geneva
Amsterdam Leiden Utrecht Groningen Delft Brussels Leuven Ghent Paris Lyon Toulouse Strasbourg Bordeaux
London Oxford Cambridge Edinburgh Glasgow Manchester Leeds Bristol Dublin Cork Madrid Barcelona Salamanca
Lisbon Porto Rome Milan Bologna Padua Florence Naples Prague Brno Warsaw Krakow Gdansk Budapest Ljubljana
Zagreb Athens Thessaloniki Toronto Montreal Boston Chicago Berkeley Seattle Sydney Melbourne Auckland Tokyo
Kyoto Osaka Seoul Beijing Shanghai Singapore
""".split()
INSTITUTIONS = ["University Library", "City Library", "Public Library", "Medical Library",
                "Technical University Library", "Academy Library", "National Library", "State Library",
                "Research Library", "College Library"]
LIBRARIES = [  # the consortium's own libraries besides the demo's MAIN and SCI
    ("LAW", "Law Library", "en"), ("MED", "Medical Library", "fi"), ("ART", "Arts Library", "fi"),
    ("ECON", "Economics Library", "en"), ("AGRI", "Agriculture and Forestry Library", "fi"),
    ("VIIKKI", "Viikki Campus Library", "fi"),
]
TAG_NAMES = ["urgent", "rare", "thesis", "course reserve", "copyright check", "oversize", "fragile", "microfilm",
             "reading room only", "patron called", "invoice", "ISO error", "duplicate?", "VIP", "open access check",
             "scan requested", "second rota", "lost claim", "damaged", "interlibrary fee", "express courier",
             "special collection", "periodical", "conference", "audiovisual"]
NOTE_TEXTS = [*D.INTERNAL_NOTES, "Checked the union catalogue: two holdings.", "Patron picked up late.",
              "Courier delayed by strike.", "Asiakas soitti ja kysyi tilannetta."]

# Search terms the benchmarks use, with a known place in the pools: a mid-frequency English title word
# and a common Finnish surname (about 1% of requesters and authors).
SEARCH_TITLE_WORD = "ecology"
SEARCH_AUTHOR = "Virtanen"


def _zipf(n: int, s: float = 0.9) -> list[float]:
    """Cumulative Zipf weights for random.choices(cum_weights=…)."""
    return list(itertools.accumulate(1.0 / (i + 1) ** s for i in range(n)))


class Pick:
    """A weighted pool with precomputed cumulative weights: one bisect per draw."""

    def __init__(self, values, weights=None, zipf: float | None = None):
        self.values = list(values)
        if zipf is not None:
            self.cum = _zipf(len(self.values), zipf)
        else:
            self.cum = list(itertools.accumulate(weights or [1] * len(self.values)))
        self.total = self.cum[-1]

    def __call__(self, rng: random.Random):
        return self.values[bisect.bisect(self.cum, rng.random() * self.total)]


# --- reference data ---------------------------------------------------------------------------------


@dataclass
class Reference:
    libraries: list  # (id, code)
    library_pick: Pick
    pickups: dict  # library id -> Pick of pickup ids
    levels: Pick
    tags: Pick
    operators: Pick
    patrons: Pick  # (patron id, category id, "First Last")
    senders: Pick  # partner ids we send to (ISO, email)
    peers: set  # partner ids that are peers (general messages)
    externals: Pick
    borrowers: Pick  # partners that ask us (lending): (id, code)
    records: list = field(default_factory=list)  # (record id, title, author, isbn, [item ids])
    record_pick: Pick | None = None


class Command(BaseCommand):
    help = ("Fill the database with N requests per side of consortium-shaped bulk data (PostgreSQL COPY). "
            "Benchmarks only: rows are written directly, not through the workflow.")

    def add_arguments(self, parser):
        parser.add_argument("--requests", type=int, required=True, help="requests per side")
        parser.add_argument("--side", choices=["borrowing", "lending", "both"], default="both")
        parser.add_argument("--reset", action="store_true",
                            help="delete the side's requests (and their history, notes, tags …) first")
        parser.add_argument("--seed", type=int, default=20240901, help="random seed (same seed, same data)")
        parser.add_argument("--allow-sqlite", action="store_true",
                            help=f"allow SQLite for a small N (at most {SQLITE_MAX:,}): plain INSERTs")

    def handle(self, *args, **options):
        n = options["requests"]
        vendor = connection.vendor
        if n < 1:
            raise CommandError("--requests must be at least 1")
        if vendor == "sqlite":
            if not options["allow_sqlite"]:
                raise CommandError(
                    "seed_bulk loads bulk data with PostgreSQL COPY and this database is SQLite. Set "
                    "DATABASE_URL to a PostgreSQL database, or pass --allow-sqlite for a small data set "
                    f"(--requests at most {SQLITE_MAX:,}).")
            if n > SQLITE_MAX:
                raise CommandError(f"--allow-sqlite takes at most {SQLITE_MAX:,} requests per side; "
                                   "use PostgreSQL for more.")
        elif vendor != "postgresql":
            raise CommandError(f"seed_bulk supports PostgreSQL (and small SQLite data sets), not {vendor}.")
        sides = ["borrowing", "lending"] if options["side"] == "both" else [options["side"]]
        started = time.monotonic()
        rng = random.Random(options["seed"])
        loader = Loader(self.stdout, vendor)
        seeds = {side: random.Random(f"{options['seed']}-{side}") for side in sides}
        with translation.override("en"):
            if vendor == "postgresql" and n >= PARALLEL_FROM:
                self.load_in_parallel(loader, rng, sides, n, seeds, reset=options["reset"])
            else:
                with transaction.atomic():
                    loader.begin()
                    ref = ensure_reference(loader, rng)
                    if options["reset"]:
                        loader.reset(sides)
                    for side in sides:
                        loader.load_side(side, ref, n, seeds[side])
                    loader.finish()
            loader.analyze()
        elapsed = time.monotonic() - started
        self.stdout.write(self.style.SUCCESS(f"seed_bulk: done in {elapsed:.1f} s"))
        for side in sides:
            model = BorrowingRequest if side == "borrowing" else LendingRequest
            total = model.objects.count()
            active = model.objects.filter(is_active=True).count()
            share = 100 * active / max(total, 1)
            self.stdout.write(f"  {side:9} requests: {total:,} ({active:,} active, {share:.1f}%)")

    def load_in_parallel(self, loader: Loader, rng, sides: list[str], n: int, seeds: dict, *, reset: bool) -> None:
        """Big loads on PostgreSQL: reference data (and the reset) first, then each side in its own
        process and transaction, indexes off meanwhile and rebuilt two at a time: both cores busy."""
        with transaction.atomic():
            loader.begin()
            ref = ensure_reference(loader, rng)
            if reset:
                loader.reset(sides)
        loader.drop_indexes()
        try:
            connections.close_all()  # children open their own connections
            fork = multiprocessing.get_context("fork")
            children = [fork.Process(target=_load_side_in_child, args=(side, ref, n, seeds[side]))
                        for side in sides]
            for child in children:
                child.start()
            for child in children:
                child.join()
            failed = [side for side, child in zip(sides, children, strict=True) if child.exitcode != 0]
            if failed:
                raise CommandError(f"loading {', '.join(failed)} failed (see above); nothing of it was kept")
        finally:
            loader.restore_indexes(workers=2)


def _load_side_in_child(side: str, ref: Reference, n: int, rng: random.Random) -> None:
    import sys

    loader = Loader(OutputWrapper(sys.stdout), "postgresql")
    with translation.override("en"), transaction.atomic():
        loader.begin()
        loader.load_side(side, ref, n, rng, drop=False)
    connections.close_all()


def _run_in_child(statements: list[str], settings_sql: list[str]) -> None:
    with connection.cursor() as cur:
        for sql in settings_sql:
            cur.execute(sql)
        for sql in statements:
            cur.execute(sql)
    connections.close_all()


def _parallel(groups: list[list[str]], settings_sql: list[str]) -> None:
    """Run each group of statements in its own process (its own connection, autocommit)."""
    connections.close_all()
    fork = multiprocessing.get_context("fork")
    children = [fork.Process(target=_run_in_child, args=(group, settings_sql)) for group in groups if group]
    for child in children:
        child.start()
    for child in children:
        child.join()
    if any(child.exitcode != 0 for child in children):
        raise CommandError("a parallel index build or vacuum failed (see above)")


# --- writing rows -------------------------------------------------------------------------------------


class Loader:
    """COPY on PostgreSQL, executemany on SQLite; secondary indexes off during a big load."""

    BIG_TABLES = ["borrowing_borrowingrequest", "lending_lendingrequest", "illdesk_historyevent", "illdesk_note",
                  "illdesk_generalmessage", "illdesk_alert", "borrowing_rotaentry", "borrowing_borrowingrequest_tags",
                  "lending_lendingrequest_tags"]

    def __init__(self, out, vendor: str):
        self.out = out
        self.vendor = vendor
        self.dropped: list[tuple[str, str]] = []
        self.rows_written = 0

    @property
    def pg(self) -> bool:
        return self.vendor == "postgresql"

    def begin(self) -> None:
        if not self.pg:
            return
        with connection.cursor() as cur:
            cur.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            superuser = bool(cur.fetchone()[0])
            cur.execute("SET LOCAL maintenance_work_mem = '512MB'")
            cur.execute("SET LOCAL synchronous_commit = off")
            if superuser:
                # Foreign-key checks are triggers: skip them for this load (ids are our own).
                cur.execute("SET LOCAL session_replication_role = replica")
            else:
                self.out.write("  (not a superuser: foreign keys are checked row by row; slower)")

    def drop_indexes(self) -> None:
        if not self.pg or self.dropped:
            return
        with connection.cursor() as cur:
            cur.execute("""
                SELECT c.relname, i.relname, pg_get_indexdef(i.oid)
                FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class c ON c.oid = x.indrelid
                WHERE c.relname = ANY(%s) AND c.relnamespace = (SELECT oid FROM pg_namespace
                                                              WHERE nspname = current_schema())
                  AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid)""",
                        [self.BIG_TABLES])
            self.dropped = [(name, ddl) for _table, name, ddl in cur.fetchall()]
            for name, _ddl in self.dropped:
                cur.execute(f'DROP INDEX "{name}"')

    def restore_indexes(self, workers: int = 1) -> None:
        if not self.dropped:
            return
        started = time.monotonic()
        ddl = [sql for _name, sql in self.dropped]
        if workers > 1:
            # trigram (GIN) builds are the long ones: deal them out first, then the rest
            ordered = sorted(ddl, key=lambda sql: "USING gin" not in sql)
            groups = [ordered[i::workers] for i in range(workers)]
            _parallel(groups, ["SET maintenance_work_mem = '512MB'"])
        else:
            with connection.cursor() as cur:
                for sql in ddl:
                    cur.execute(sql)
        self.out.write(f"  rebuilt {len(self.dropped)} indexes in {time.monotonic() - started:.1f} s")
        self.dropped = []

    def write(self, table: str, columns: list[str], rows) -> int:
        count = 0
        if self.pg:
            cols = ", ".join(f'"{c}"' for c in columns)
            raw = connection.connection
            with raw.cursor() as cur, cur.copy(f'COPY "{table}" ({cols}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
        else:
            ops = connection.ops
            cols = ", ".join(connection.ops.quote_name(c) for c in columns)
            sql = f"INSERT INTO {ops.quote_name(table)} ({cols}) VALUES ({', '.join(['%s'] * len(columns))})"
            batch = [[_sqlite_value(ops, v) for v in row] for row in rows]
            with connection.cursor() as cur:
                cur.executemany(sql, batch)
            count = len(batch)
        self.rows_written += count
        return count

    def next_id(self, table: str) -> int:
        with connection.cursor() as cur:
            cur.execute(f'SELECT COALESCE(MAX(id), 0) + 1 FROM "{table}"')  # noqa: S608 - our own table names
            return int(cur.fetchone()[0])

    def fix_sequence(self, table: str) -> None:
        if not self.pg:
            return
        with connection.cursor() as cur:
            cur.execute(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "  # noqa: S608
                        f'GREATEST((SELECT MAX(id) FROM "{table}"), 1))')

    def reset(self, sides: list[str]) -> None:
        started = time.monotonic()
        models = {"borrowing": BorrowingRequest, "lending": LendingRequest}
        linked = (HistoryEvent, Note, GeneralMessage, Alert)
        with connection.cursor() as cur:
            if self.pg and len(sides) == 2:
                cur.execute("TRUNCATE " + ", ".join(f'"{m._meta.db_table}"' for m in linked))
            else:
                for side in sides:
                    ct = ContentType.objects.get_for_model(models[side])
                    for m in linked:
                        m.objects.filter(content_type=ct)._raw_delete(connection.alias)
            for side in sides:
                model = models[side]
                if self.pg:
                    # CASCADE: tags, rota entries, communications, purchase requests of these requests
                    cur.execute(f'TRUNCATE "{model._meta.db_table}" CASCADE')
                else:
                    model.tags.through.objects.all()._raw_delete(connection.alias)
                    if side == "borrowing":
                        RotaEntry.objects.all()._raw_delete(connection.alias)
                    model.objects.all()._raw_delete(connection.alias)
        self.out.write(f"  reset {', '.join(sides)} in {time.monotonic() - started:.1f} s")

    def load_side(self, side: str, ref: Reference, n: int, rng: random.Random, drop: bool = True) -> None:
        started = time.monotonic()
        if drop and self.pg and n >= 20_000:
            self.drop_indexes()
        gen = BorrowingGen(ref, rng) if side == "borrowing" else LendingGen(ref, rng)
        gen.start_id = self.next_id(gen.model._meta.db_table)
        before = self.rows_written
        for chunk in gen.chunks(n):
            for table, columns, rows in chunk:
                self.write(table, columns, rows)
        # Only the request table gets explicit ids; the others take theirs from their sequences.
        self.fix_sequence(gen.model._meta.db_table)
        elapsed = time.monotonic() - started
        self.out.write(f"  {side}: {n:,} requests, {self.rows_written - before:,} rows in {elapsed:.1f} s "
                       f"({n / max(elapsed, 1e-6):,.0f} requests/s)")

    def finish(self) -> None:
        self.restore_indexes()

    def analyze(self) -> None:
        if not self.pg:
            return
        started = time.monotonic()
        with connection.cursor() as cur:
            # The load ran with triggers off (replica role): move the task lists' data version on
            # by hand, or they could serve counts cached before it (illdesk.tasklist).
            cur.execute("SELECT to_regclass('illdesk_tasklist_version') IS NOT NULL")
            if cur.fetchone()[0]:
                cur.execute("UPDATE illdesk_tasklist_version SET version = version + 1 WHERE shard = 0")
        # VACUUM sets the visibility map (index-only scans), ANALYZE the planner's statistics.
        tables = [*self.BIG_TABLES, "illdesk_patron", "lending_bibrecord", "lending_item"]
        statements = [f'VACUUM (ANALYZE) "{table}"' for table in tables]
        # and the small tables the loads touched: the planner must know there are ~500 partners
        statements += [f'ANALYZE "{m._meta.db_table}"' for m in (Partner, User, ResourceSharingLibrary, PickupLocation,
                                                                LevelOfService, PatronCategory, Tag, WorkflowProfile)]
        _parallel([statements[0::2], statements[1::2]], [])
        self.out.write(f"  vacuum + analyze in {time.monotonic() - started:.1f} s")


def _sqlite_value(ops, value):
    if isinstance(value, datetime):
        return ops.adapt_datetimefield_value(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


# --- reference data ---------------------------------------------------------------------------------


def ensure_reference(loader: Loader, rng: random.Random) -> Reference:
    """Libraries, pickups, levels, categories, tags, profiles, ~500 partners, operators, ~50k patrons and a
    catalogue; created once (keyed on codes), read back every run."""
    from demo.management.commands.seed_demo import seed_configuration, seed_users

    started = time.monotonic()
    roles.ensure_roles()
    users = seed_users()
    seed_configuration(users)
    # the consortium's libraries, three pickup locations each
    for code, name, language in LIBRARIES:
        lib, created = ResourceSharingLibrary.objects.get_or_create(
            code=code, defaults={"name": name, "language": language, "email": f"ill@{code.lower()}.example"})
        if created:
            PickupLocation.objects.bulk_create([
                PickupLocation(library=lib, code=f"{code}-DESK", name=f"{name} – desk", kind="library"),
                PickupLocation(library=lib, code=f"{code}-RR", name=f"{name} – reading room", kind="reading_room"),
                PickupLocation(library=lib, code=f"{code}-HOME", name=f"{name} – home delivery",
                               kind="personal_delivery")])
    for name in TAG_NAMES:
        Tag.objects.get_or_create(name=name)
    # operators
    group = Group.objects.get(name=roles.OPERATOR)
    have = set(User.objects.filter(username__startswith="bulkop").values_list("username", flat=True))
    new_users = []
    for i in range(1, 25):
        username = f"bulkop{i:02d}"
        if username not in have:
            new_users.append(User(username=username, first_name=rng.choice(GIVEN), last_name=rng.choice(SURNAMES),
                                  email=f"{username}@illdesk.example", password="!bulk"))  # unusable password
    if new_users:
        User.objects.bulk_create(new_users)
        group.user_set.add(*User.objects.filter(username__in=[u.username for u in new_users]))
    # partners: the demo's sixteen plus bulk ones up to ~500
    profiles = {p.code: p.pk for p in WorkflowProfile.objects.all()}
    if not Partner.objects.filter(code__startswith="BP-").exists():
        partners = []
        for i in range(1, 485):
            city = CITIES[i % len(CITIES)]
            kind = rng.choices(["iso18626", "email", "ncip_p2p", "external"], weights=[45, 40, 12, 3])[0]
            profile = {"iso18626": rng.choice(["FULL_ISO", "NO_COND", "DIGITAL"]),
                       "email": "EMAIL_BASIC", "ncip_p2p": "NO_COND", "external": "SUPPLIER"}[kind]
            partners.append(Partner(
                code=f"BP-{i:04d}", name=f"{city} {INSTITUTIONS[(i * 7) % len(INSTITUTIONS)]} {i}",
                profile_type=kind, agency_id_type="ISIL" if kind != "external" else "",
                agency_id_value=f"ZZ-B{i:04d}" if kind != "external" else "",
                iso_endpoint=f"https://ill{i}.example/iso18626" if kind == "iso18626" else "",
                email=f"ill{i}@partner.example", language=rng.choice(["en", "en", "fi"]),
                workflow_profile_id=profiles[profile], active=rng.random() < 0.95))
        Partner.objects.bulk_create(partners)
    # patrons
    categories = {c.code: c.pk for c in PatronCategory.objects.all()}
    lib_ids = list(ResourceSharingLibrary.objects.order_by("pk").values_list("pk", flat=True))
    if not Patron.objects.filter(card_number__startswith="BULK-").exists():
        cat_pick = Pick(["STUDENT", "RESEARCHER", "STAFF", "ALUMNI"], [60, 25, 10, 5])
        rows = []
        for i in range(1, 50_001):
            first, last = rng.choice(GIVEN), rng.choice(SURNAMES)
            rows.append((f"BULK-{i:06d}", first, last, f"p{i}@patron.example", categories[cat_pick(rng)],
                         "fi" if rng.random() < 0.6 else "en", lib_ids[i % len(lib_ids)]))
        loader.write("illdesk_patron", ["card_number", "first_name", "last_name", "email", "category_id",
                                        "language", "home_library_id"], rows)
        loader.fix_sequence("illdesk_patron")
    # catalogue for lending: records with one or two items each
    if not BibRecord.objects.filter(record_id__startswith="BULK-").exists():
        rec_rows = []
        for i in range(1, 20_001):
            rec_rows.append((f"BULK-R{i:06d}", make_title(rng), make_author(rng), "", "", "Bulk Publishing",
                             str(rng.randint(1950, 2024)), f"{5_000_000 + i}"))
        loader.write("lending_bibrecord", ["record_id", "title", "author", "isbn", "issn", "publisher", "year",
                                           "oclc_number"], rec_rows)
        loader.fix_sequence("lending_bibrecord")
        ids = list(BibRecord.objects.filter(record_id__startswith="BULK-").order_by("pk").values_list("pk", flat=True))
        item_rows = []
        for n, rid in enumerate(ids):
            for copy in range(1 + (n % 3 == 0)):
                item_rows.append((rid, f"B{n:07d}{copy}", lib_ids[(n + copy) % len(lib_ids)],
                                  "Stacks" if copy == 0 else "Closed stacks", f"{n % 900 + 10}.{n % 9}", "on_shelf"))
        loader.write("lending_item", ["record_id", "barcode", "library_id", "location", "call_number", "state"],
                     item_rows)
        loader.fix_sequence("lending_item")
    # read everything back
    libraries = list(ResourceSharingLibrary.objects.order_by("pk").values_list("pk", "code"))
    pickups: dict[int, list] = {}
    for pk, lib, kind in PickupLocation.objects.order_by("pk").values_list("pk", "library_id", "kind"):
        pickups.setdefault(lib, []).append((pk, kind))
    pickup_picks = {lib: Pick([pk for pk, _k in locs], [60 if k == "library" else 20 for _pk, k in locs])
                    for lib, locs in pickups.items()}
    for lib, _code in libraries:  # a library without pickup locations gets none
        pickup_picks.setdefault(lib, Pick([None]))
    partners = list(Partner.objects.filter(active=True).order_by("pk").values_list("pk", "code", "profile_type"))
    rng.shuffle(partners)  # popularity is not alphabetical
    senders = [(pk, code) for pk, code, kind in partners if kind in ("iso18626", "email")]
    externals = [(pk, code) for pk, code, kind in partners if kind == "external"] or senders[:1]
    borrowers = [(pk, code) for pk, code, kind in partners if kind != "external"]
    patrons = list(Patron.objects.filter(category__may_request=True).order_by("pk")
                   .values_list("pk", "category_id", "first_name", "last_name"))
    rng.shuffle(patrons)
    records = []
    items: dict[int, list] = {}
    for pk, rid in Item.objects.order_by("pk").values_list("pk", "record_id"):
        items.setdefault(rid, []).append(pk)
    for pk, title, author, isbn in BibRecord.objects.order_by("pk").values_list("pk", "title", "author", "isbn"):
        records.append((pk, title, author, isbn, items.get(pk, [])))
    ref = Reference(
        libraries=libraries,
        library_pick=Pick([pk for pk, _c in libraries], [30 if c == "MAIN" else 15 if c == "SCI" else 8
                                                          for _pk, c in libraries]),
        pickups=pickup_picks,
        levels=Pick([*LevelOfService.objects.order_by("ordering_position").values_list("pk", flat=True), None],
                    [65, 20, 10, 5][: LevelOfService.objects.count()] + [5]),
        tags=Pick(list(Tag.objects.order_by("pk").values_list("pk", flat=True)), zipf=1.0),
        operators=Pick(list(User.objects.filter(groups__name=roles.OPERATOR).order_by("pk")
                            .values_list("pk", flat=True).distinct()), zipf=0.6),
        patrons=Pick([(pk, cat, f"{first} {last}") for pk, cat, first, last in patrons], zipf=0.5),
        senders=Pick(senders, zipf=1.1),
        peers={pk for pk, _code, kind in partners if kind != "external"},
        externals=Pick(externals),
        borrowers=Pick(borrowers, zipf=1.1),
        records=records,
        record_pick=Pick(records, zipf=0.7) if records else None,
    )
    loader.out.write(f"  reference data ready in {time.monotonic() - started:.1f} s "
                     f"({len(partners)} active partners, {len(patrons):,} patrons)")
    return ref


_WORDS = {"en": Pick(EN_WORDS, zipf=0.8), "fi": Pick(FI_WORDS, zipf=0.8), "sv": Pick(SV_WORDS, zipf=0.8),
          "de": Pick(DE_WORDS, zipf=0.8)}
_LANG = Pick(["en", "fi", "sv", "de"], [60, 22, 11, 7])
_SURNAME = Pick(SURNAMES, zipf=0.7)
_GIVEN = Pick(GIVEN, zipf=0.5)


def make_title(rng: random.Random) -> str:
    words = _WORDS[_LANG(rng)]
    title = " ".join(words(rng) for _ in range(rng.randint(2, 7)))
    return title[:1].upper() + title[1:]


def make_author(rng: random.Random) -> str:
    return f"{_SURNAME(rng)}, {_GIVEN(rng)}"


# --- request generators -------------------------------------------------------------------------------


class SideGen:
    """Shared shape of both sides: ids, dates, activity, citations, notes, tags, history."""

    model: type
    status_enum: type
    active_weights: dict
    final_weights: dict
    depth: dict  # status -> how far into the canonical path it is
    path: list  # the canonical path of statuses

    def __init__(self, ref: Reference, rng: random.Random):
        self.ref = ref
        self.rng = rng
        self.now = timezone.now()
        self.today = timezone.localdate(self.now)
        self.tz = ZoneInfo(settings.TIME_ZONE)
        side = self.model._meta.app_label
        self.inactive = inactive_statuses(side)
        statuses = list(self.status_enum.values)
        active = [s for s in statuses if s not in self.inactive]
        final = [s for s in statuses if s in self.inactive]
        self.pick_active = Pick(active, [self.active_weights.get(s, 2) for s in active])
        self.pick_final = Pick(final, [self.final_weights.get(s, 1) for s in final])
        self.labels = {s: str(label) for s, label in self.status_enum.choices}
        self.ct = ContentType.objects.get_for_model(self.model).pk
        self.columns = [f.column for f in self.model._meta.concrete_fields]
        self.col = {c: i for i, c in enumerate(self.columns)}
        self.defaults = [self._default(f) for f in self.model._meta.concrete_fields]
        self.through = self.model.tags.through
        self.link = f"{self.model._meta.model_name}_id"
        self.start_id = 1

    @staticmethod
    def _default(f):
        if f.null:
            return None
        if f.has_default() and not callable(f.default):
            return f.default
        if f.get_internal_type() == "BooleanField":
            return False
        return ""

    # -- the timeline -----------------------------------------------------------------------------

    def timeline(self, n: int) -> list[tuple[datetime, bool]]:
        """n creation moments over YEARS (volume growing over the years, office hours, local time), in
        order; and whether each request is still active (young ones mostly are, a tail of old loans)."""
        rng = self.rng
        days = YEARS * 365
        moments = []
        for _ in range(n):
            x = -1 + (1 + 3 * rng.random()) ** 0.5  # density ∝ 1 + x: later years are busier
            age = min(int((1 - x) * days), days - 1)
            moments.append((age, rng.randint(0, 540)))
        moments.sort(key=lambda m: (-m[0], m[1]))
        bands = [(30, 0.9), (90, 0.6), (180, 0.35), (365, 0.12), (730, 0.02), (days + 1, 0.002)]
        weights = [next(p for limit, p in bands if age < limit) for age, _minute in moments]
        scale = ACTIVE_SHARE * n / max(sum(weights), 1e-9)
        result = []
        now = self.now
        for (age, minute), w in zip(moments, weights, strict=True):
            day = self.today - timedelta(days=age)
            local = datetime(day.year, day.month, day.day, 8, tzinfo=self.tz) + timedelta(minutes=minute)
            moment = min(local.astimezone(UTC), now - timedelta(minutes=1))
            result.append((moment, rng.random() < min(w * scale, 0.97)))
        return result

    def updated(self, created: datetime, active: bool) -> datetime:
        rng = self.rng
        if active:
            if rng.random() < 0.3:
                moment = self.now - timedelta(minutes=rng.randint(1, 8 * 60))
            else:
                moment = created + (self.now - created) * rng.uniform(0.05, 0.95)
        else:
            moment = created + timedelta(days=rng.uniform(2, 75))
        return min(max(moment, created + timedelta(minutes=3)), self.now)

    # -- citations --------------------------------------------------------------------------------

    def citation(self, row: list, rid: int) -> str:
        rng, c = self.rng, self.col
        kind = rng.choices(["book", "article", "chapter", "thesis", "journal", "conference", "other"],
                           weights=[34, 30, 14, 8, 4, 6, 4])[0]
        row[c["request_type"]] = kind
        title = make_title(rng)
        author = make_author(rng)
        year = str(rng.randint(1900, 2024) if rng.random() < 0.2 else rng.randint(1995, 2024))
        row[c["year"]] = year
        if kind in ("article", "conference"):
            row[c["title"]] = rng.choice(D.ARTICLES)[0] if rng.random() < 0.3 else f"Journal of {make_title(rng)}"
            row[c["chapter_title"]] = title
            row[c["chapter_author"]] = author
            row[c["author"]] = author
            row[c["issn"]] = f"{rid % 9000 + 1000:04d}-{rid % 997:03d}{rid % 10}"
            row[c["volume"]] = str(rng.randint(1, 90))
            row[c["issue"]] = str(rng.randint(1, 12))
            first = rng.randint(1, 400)
            row[c["pages"]] = f"{first}-{first + rng.randint(5, 30)}"
            if rng.random() < 0.7:
                row[c["doi"]] = f"10.5555/bulk.{rid}"
        elif kind == "chapter":
            row[c["title"]] = make_title(rng)
            row[c["author"]] = make_author(rng) + " (ed.)"
            row[c["chapter_title"]] = title
            row[c["chapter_author"]] = author
            row[c["isbn"]] = f"978{rid:010d}"[:13]
        else:
            row[c["title"]] = title
            row[c["author"]] = author
            row[c["publisher"]] = rng.choice(["Otava", "WSOY", "Gaudeamus", "Springer", "Routledge", "Brill",
                                              "Suomalaisen Kirjallisuuden Seura", "Natur och Kultur", "MIT Press"])
            if kind == "book":
                row[c["isbn"]] = f"978{rid:010d}"[:13]
                if rng.random() < 0.3:
                    row[c["oclc_number"]] = str(10_000_000 + rid)
        return kind

    # -- what hangs off a request -----------------------------------------------------------------

    def extras(self, rid: int, created: datetime, updated: datetime, *, after_send: bool, peer: bool,
               assignee, out: dict) -> tuple[bool, bool, bool]:
        """Notes, general messages and tags of one request; returns the flags (note, partner note, message)."""
        rng, ct = self.rng, self.ct
        span = updated - created
        active_note = partner_note = active_message = False
        if rng.random() < 0.22:
            active = rng.random() < 0.85
            active_note |= active
            out["notes"].append((ct, rid, "internal", rng.choice(NOTE_TEXTS), created + span * rng.random(),
                                 active, assignee))
        if after_send and rng.random() < 0.12:
            active = rng.random() < 0.8
            active_note |= active
            out["notes"].append((ct, rid, "to_partner", rng.choice(D.TO_PARTNER_NOTES),
                                 created + span * rng.random(), active, assignee))
        if after_send and rng.random() < 0.14:
            active = rng.random() < 0.85
            active_note |= active
            partner_note |= active
            out["notes"].append((ct, rid, "from_partner", rng.choice(D.FROM_PARTNER_NOTES),
                                 created + span * rng.random(), active, None))
        if after_send and peer and rng.random() < 0.12:
            active = rng.random() < 0.7
            active_message |= active
            out["messages"].append((ct, rid, "sent", rng.choice(D.MESSAGES_SENT), created + span * rng.random(),
                                    active, assignee))
            if rng.random() < 0.6:
                active = rng.random() < 0.8
                active_message |= active
                out["messages"].append((ct, rid, "received", rng.choice(D.MESSAGES_RECEIVED),
                                        created + span * rng.random(), active, None))
        if rng.random() < 0.16:
            first = self.ref.tags(rng)
            out["tags"].append((rid, first))
            if rng.random() < 0.3:
                second = self.ref.tags(rng)
                if second != first:
                    out["tags"].append((rid, second))
        return active_note, partner_note, active_message

    def history(self, rid: int, status: str, created: datetime, updated: datetime, actor, out: list) -> None:
        """A few status rows: the canonical path up to the request's status, the last 1–5 steps of it."""
        if status == self.path[0]:
            return
        depth = self.depth.get(status, 0)
        chain = list(self.path[:depth + 1])
        if chain[-1] != status:
            chain.append(status)
        keep = min(len(chain) - 1, self.rng.randint(1, 5))
        chain = chain[-keep - 1:]
        span = (updated - created) / (len(chain) + 1)
        labels = self.labels
        for k in range(1, len(chain)):
            out.append((self.ct, rid, created + span * k, "status", "Status", labels[chain[k - 1]],
                        labels[chain[k]], "", actor))

    # -- chunks -----------------------------------------------------------------------------------

    def chunks(self, n: int):
        timeline = self.timeline(n)
        for start in range(0, n, CHUNK):
            out = {"requests": [], "history": [], "notes": [], "messages": [], "alerts": [], "tags": [],
                   "rota": []}
            for i in range(start, min(n, start + CHUNK)):
                created, active = timeline[i]
                self.one(self.start_id + i, created, active, out)
            yield self.tables_for(out)

    def tables_for(self, out: dict) -> list:
        return [
            (self.model._meta.db_table, self.columns, out["requests"]),
            (HistoryEvent._meta.db_table, ["content_type_id", "object_id", "at", "kind", "field", "old_value",
                                           "new_value", "message", "actor_id"], out["history"]),
            (Note._meta.db_table, ["content_type_id", "object_id", "kind", "text", "created_at", "active",
                                   "author_id"], out["notes"]),
            (GeneralMessage._meta.db_table, ["content_type_id", "object_id", "direction", "text", "created_at",
                                             "active", "author_id"], out["messages"]),
            (Alert._meta.db_table, ["content_type_id", "object_id", "text", "created_at", "active"], out["alerts"]),
            (self.through._meta.db_table, [self.link, "tag_id"], out["tags"]),
        ]

    def one(self, rid: int, created: datetime, active: bool, out: dict) -> None:
        raise NotImplementedError


B_HELD = {BS.RECEIVED_PHYSICALLY, BS.LOANED_TO_PATRON, BS.RETURNED_BY_PATRON, BS.RENEW_REQUESTED,
          BS.RENEWED_BY_PARTNER, BS.RENEW_NOT_ACCEPTED, BS.MEDIATED_PATRON_RENEWAL, BS.RECALLED_BY_PARTNER,
          BS.OVERDUE, BS.DAMAGED_COMMUNICATED, BS.LOST_COMMUNICATED}
B_BEFORE = {BS.CREATED, BS.PENDING_APPROVAL, BS.READY_TO_SEND, BS.LOCATE_IN_PROCESS, BS.LOCATE_FAILED,
            BS.BAD_CITATION, BS.LOCAL_HOLDING, BS.CANCELLED_BY_PATRON, BS.REACTIVATED}
B_EXTERNAL = {BS.EXPORTED_TO_THIRD_PARTY, BS.EXTERNALLY_OBTAINED}
B_RECEIVED = B_HELD | {BS.RECEIVED_NON_RETURNABLE, BS.RECEIVED_DIGITALLY, BS.RETURNED_TO_PARTNER,
                       BS.LENDER_CHECKED_IN, BS.DECLARED_LOST_BY_PARTNER, BS.COMPLETED}
B_PATH = [BS.CREATED, BS.SENT, BS.WILL_SUPPLY, BS.SHIPPED_PHYSICALLY, BS.RECEIVED_PHYSICALLY, BS.LOANED_TO_PATRON,
          BS.RETURNED_TO_PARTNER, BS.COMPLETED]
B_DEPTH = {BS.SENT: 1, BS.ACCEPTED: 1, BS.WILL_SUPPLY: 2, BS.CONDITIONAL: 2, BS.REJECTED_BY_PARTNER: 2,
           BS.WAITING_CANCEL_RESPONSE: 2, BS.CANCELLED_BY_PARTNER: 2, BS.EXPIRED: 2, BS.CANCELLED: 1,
           BS.REACTIVATED: 1, BS.SHIPPED_PHYSICALLY: 3, BS.SHIPPED_DIGITALLY: 2, BS.RECEIVED_PHYSICALLY: 4,
           BS.RECEIVED_DIGITALLY: 2, BS.RECEIVED_NON_RETURNABLE: 3, BS.LOANED_TO_PATRON: 5,
           BS.RETURNED_BY_PATRON: 5, BS.RETURNED_TO_PARTNER: 6, BS.LENDER_CHECKED_IN: 6, BS.RENEW_REQUESTED: 5,
           BS.RENEWED_BY_PARTNER: 5, BS.RENEW_NOT_ACCEPTED: 5, BS.MEDIATED_PATRON_RENEWAL: 5,
           BS.RECALLED_BY_PARTNER: 5, BS.OVERDUE: 5, BS.DAMAGED_COMMUNICATED: 5, BS.LOST_COMMUNICATED: 5,
           BS.DECLARED_LOST_BY_PARTNER: 5, BS.COMPLETED: 7}
B_MIN_AGE = {s: d for s, d in D.MIN_AGE_BORROWING.items()}


class BorrowingGen(SideGen):
    model = BorrowingRequest
    status_enum = BS
    active_weights = {s: w + 3 for s, w in D.WEIGHT_BORROWING.items()}
    final_weights = {BS.COMPLETED: 70, BS.RECEIVED_DIGITALLY: 10, BS.CANCELLED: 7, BS.CANCELLED_BY_PATRON: 4,
                     BS.CANCELLED_BY_PARTNER: 5, BS.EXPIRED: 4}
    depth = B_DEPTH
    path = B_PATH

    def tables_for(self, out: dict) -> list:
        return [*super().tables_for(out),
                (RotaEntry._meta.db_table, ["request_id", "partner_id", "position", "state", "reject_reason",
                                            "sent_at", "locate_result"], out["rota"])]

    def one(self, rid: int, created: datetime, active: bool, out: dict) -> None:
        rng, ref, c = self.rng, self.ref, self.col
        age = (self.now - created).days
        if active:
            status = self.pick_active(rng)
            for _ in range(4):  # late statuses belong to older requests
                if B_MIN_AGE.get(status, 0) <= age:
                    break
                status = self.pick_active(rng)
            if B_MIN_AGE.get(status, 0) > age:
                status = BS.CREATED
        else:
            status = self.pick_final(rng)
        row = self.defaults[:]
        row[c["id"]] = rid
        row[c["status"]] = status
        row[c["is_active"]] = status not in self.inactive
        row[c["external_id"]] = f"BULK-B-{rid:08d}"
        kind = self.citation(row, rid)
        updated = self.updated(created, active)
        row[c["created_at"]] = created
        row[c["updated_at"]] = updated
        before = status in B_BEFORE
        external = status in B_EXTERNAL
        received = status in B_RECEIVED
        if status in (BS.RECEIVED_DIGITALLY, BS.SHIPPED_DIGITALLY):
            fmt = "digital"
        elif status == BS.RECEIVED_NON_RETURNABLE:
            fmt = "physical_non_returnable"
        elif status in B_HELD:
            fmt = "physical"
        else:
            fmt = D.default_format(rng, kind)
        row[c["requested_format"]] = fmt
        if received:
            row[c["supplied_format"]] = fmt
        if external:
            partner = ref.externals(rng)[0]
        elif before and status not in (BS.READY_TO_SEND, BS.LOCATE_IN_PROCESS, BS.LOCATE_FAILED,
                                       BS.LOCAL_HOLDING) and rng.random() < 0.5:
            partner = None
        else:
            partner = ref.senders(rng)[0]
        row[c["partner_id"]] = partner
        owner = ref.library_pick(rng)
        row[c["owner_id"]] = owner
        row[c["pickup_location_id"]] = ref.pickups[owner](rng)
        row[c["level_of_service_id"]] = ref.levels(rng)
        assignee = None if rng.random() < (0.25 if active else 0.4) else ref.operators(rng)
        row[c["assignee_id"]] = assignee
        if status in (BS.CREATED, BS.PENDING_APPROVAL) and rng.random() < 0.05:
            row[c["unauthenticated_name"]] = f"{_GIVEN(rng)} {_SURNAME(rng)}"
            row[c["unauthenticated_email"]] = f"guest{rid}@mail.example"
        else:
            patron, category, _name = ref.patrons(rng)
            row[c["requester_id"]] = patron
            row[c["patron_category_id"]] = category
        day0 = timezone.localdate(created)
        if status in B_HELD or (status == BS.COMPLETED and fmt == "physical"):
            due = day0 + timedelta(days=rng.randint(28, 56))
            if status == BS.OVERDUE:
                due = self.today - timedelta(days=rng.randint(1, 25))
            elif status in B_HELD and due < self.today and rng.random() < 0.6:
                due = self.today + timedelta(days=rng.randint(2, 40))
            row[c["due_date"]] = due
        if rng.random() < 0.65:
            row[c["last_interest_date"]] = day0 + timedelta(days=rng.randint(20, 120))
        if status == BS.EXPIRED:
            row[c["last_interest_date"]] = day0 + timedelta(days=rng.randint(5, 30))
        if rng.random() < 0.2:
            row[c["needed_by"]] = day0 + timedelta(days=rng.randint(7, 40))
        if status == BS.CONDITIONAL:
            row[c["reply_by"]] = self.today + timedelta(days=rng.randint(1, 7))
        row[c["patron_info_required"]] = before and active and rng.random() < 0.15
        if rng.random() < 0.06:
            row[c["event_name"]] = rng.choice(D.EVENT_NAMES)
        if received and fmt != "digital":
            row[c["temp_barcode"]] = f"TMP{rid:09d}"
        if received or status in (BS.SHIPPED_PHYSICALLY, BS.SHIPPED_DIGITALLY):
            row[c["shipped_at"]] = created + (updated - created) * 0.6
            if received and rng.random() < 0.4:
                row[c["cost"]] = Decimal(rng.choice(["0.00", "8.50", "12.00", "25.00"]))
            if fmt != "digital" and rng.random() < 0.3:
                row[c["shipping_cost"]] = Decimal(rng.choice(["4.90", "7.50", "12.00"]))
        if rng.random() < 0.1:
            row[c["request_note"]] = rng.choice(["Any edition is fine.", "Tarvitsen vain luvun 3.",
                                                 "Needed for a thesis defence."])
        row[c["has_open_communication"]] = active and rng.random() < 0.03
        if not active and age > 365 and rng.random() < 0.1:
            row[c["removed_at"]] = updated + timedelta(days=30)
        after_send = not before and not external
        note, partner_note, message = self.extras(
            rid, created, updated, after_send=after_send, peer=partner in ref.peers, assignee=assignee, out=out)
        row[c["has_active_note"]] = note
        row[c["has_partner_note"]] = partner_note
        row[c["has_active_message"]] = message
        out["requests"].append(row)
        self.history(rid, status, created, updated, assignee, out["history"])
        if partner is not None and not external:
            self.rota(rid, partner, status, created, after_send, out["rota"])

    def rota(self, rid: int, partner: int, status: str, created: datetime, sent: bool, out: list) -> None:
        rng = self.rng
        position = 1
        if sent and rng.random() < 0.3:
            earlier = self.ref.senders(rng)[0]
            if earlier != partner:
                out.append((rid, earlier, position, "rejected", rng.choice(D.REJECT_REASONS),
                            created + timedelta(hours=1), "located"))
                position += 1
        state = "rejected" if status == BS.REJECTED_BY_PARTNER else "active"
        out.append((rid, partner, position, state, rng.choice(D.REJECT_REASONS) if state == "rejected" else "",
                    created + timedelta(hours=position) if sent else None, "located" if sent else ""))
        if rng.random() < 0.35:
            later = self.ref.senders(rng)[0]
            if later != partner:
                out.append((rid, later, position + 1, "pending", "", None, ""))


L_ON_LOAN = {LS.SHIPPED_PHYSICALLY, LS.RECEIVED_BY_PARTNER, LS.OVERDUE, LS.RECALLED, LS.BORROWER_RECALL,
             LS.RENEW_REQUESTED, LS.STAFF_RENEWAL, LS.RENEWAL_RESPONSE, LS.PATRON_RENEWAL}
L_NOT_FOUND = {LS.LOCATE_FAILED, LS.PENDING_AUTO_REJECT}
L_PATH = [LS.CREATED, LS.BEING_PROCESSED, LS.SHIPPED_PHYSICALLY, LS.RECEIVED_BY_PARTNER, LS.RETURNED_BY_PARTNER,
          LS.COMPLETED]
L_DEPTH = {LS.BEING_PROCESSED: 1, LS.WILL_SUPPLY: 1, LS.CONDITIONAL: 1, LS.LOCATE_FAILED: 1,
           LS.PENDING_AUTO_REJECT: 1, LS.REJECTED: 1, LS.CANCEL_REPLY: 1, LS.CANCELLED: 1, LS.EXPIRED: 1,
           LS.NON_EXPIRING: 1, LS.REACTIVATED: 1, LS.SHIPPED_PHYSICALLY: 2, LS.SHIPPED_DIGITALLY: 2,
           LS.RECEIVED_BY_PARTNER: 3, LS.OVERDUE: 3, LS.RECALLED: 3, LS.BORROWER_RECALL: 3, LS.RENEW_REQUESTED: 3,
           LS.STAFF_RENEWAL: 3, LS.RENEWAL_RESPONSE: 3, LS.PATRON_RENEWAL: 3, LS.RETURNED_BY_PARTNER: 4,
           LS.LENDER_CHECK_IN: 4, LS.LOST: 3, LS.DAMAGED: 4, LS.COMPLETED: 5}
L_MIN_AGE = {s: d for s, d in D.MIN_AGE_LENDING.items()}


class LendingGen(SideGen):
    model = LendingRequest
    status_enum = LS
    active_weights = {s: w + 3 for s, w in D.WEIGHT_LENDING.items() if s not in ("completed", "shipped_digitally")}
    final_weights = {LS.COMPLETED: 85, LS.SHIPPED_DIGITALLY: 15}
    depth = L_DEPTH
    path = L_PATH

    def __init__(self, ref: Reference, rng: random.Random):
        super().__init__(ref, rng)
        # Items held by a request that still holds its copy: one request each (lending_item_held_once).
        # The lending side is generated in one process, so this set sees every row.
        self.held_items: set[int] = set()

    def one(self, rid: int, created: datetime, active: bool, out: dict) -> None:
        rng, ref, c = self.rng, self.ref, self.col
        age = (self.now - created).days
        if active:
            status = self.pick_active(rng)
            for _ in range(4):
                if L_MIN_AGE.get(status, 0) <= age:
                    break
                status = self.pick_active(rng)
            if L_MIN_AGE.get(status, 0) > age:
                status = LS.CREATED
        else:
            status = self.pick_final(rng)
        row = self.defaults[:]
        row[c["id"]] = rid
        row[c["status"]] = status
        row[c["is_active"]] = status not in self.inactive
        row[c["external_id"]] = f"BULK-L-{rid:08d}"
        updated = self.updated(created, active)
        row[c["created_at"]] = created
        row[c["updated_at"]] = updated
        if status in L_ON_LOAN or status in (LS.RETURNED_BY_PARTNER, LS.LENDER_CHECK_IN, LS.LOST, LS.DAMAGED):
            fmt = "physical"
        elif status == LS.SHIPPED_DIGITALLY:
            fmt = "digital"
        elif status == LS.COMPLETED:
            fmt = rng.choice(["physical", "physical", "digital"])
        else:
            fmt = rng.choices(["physical", "digital", "physical_non_returnable"], weights=[60, 30, 10])[0]
        row[c["requested_format"]] = fmt
        located = status not in L_NOT_FOUND and (status != LS.CREATED or rng.random() < 0.5) and rng.random() < 0.9
        shipped = status in L_ON_LOAN or status in (LS.SHIPPED_DIGITALLY, LS.RETURNED_BY_PARTNER,
                                                    LS.LENDER_CHECK_IN, LS.LOST, LS.DAMAGED) or (
            status == LS.COMPLETED and located)
        if located and ref.record_pick is not None:
            rec_id, title, author, isbn, items = ref.record_pick(rng)
            row[c["record_id"]] = rec_id
            row[c["request_type"]] = "book"
            row[c["title"]] = title
            row[c["author"]] = author
            row[c["bib_id"]] = f"BULK-R{rec_id}"
            row[c["locate_status"]] = "located"
            if fmt == "physical" and shipped and items:
                holds = status not in L_HOLDS_NO_ITEM
                free = [i for i in items if i not in self.held_items] if holds else items
                if free:  # else the request names no copy (a busy title at a million requests)
                    row[c["item_id"]] = item = rng.choice(free)
                    if holds:
                        self.held_items.add(item)
        else:
            self.citation(row, rid)
            row[c["locate_status"]] = rng.choice(["not_located", "several"]) if status in L_NOT_FOUND else "not_run"
        if shipped:
            row[c["supplied_format"]] = fmt
            row[c["shipped_at"]] = created + (updated - created) * 0.5
        partner, code = ref.borrowers(rng)
        row[c["partner_id"]] = partner
        row[c["borrower_request_id"]] = f"{code}-{rid}"
        row[c["requester_name"]] = f"{_GIVEN(rng)[0]}. {_SURNAME(rng)}"
        row[c["owner_id"]] = ref.library_pick(rng)
        row[c["level_of_service_id"]] = ref.levels(rng)
        assignee = None if rng.random() < (0.3 if active else 0.4) else ref.operators(rng)
        row[c["assignee_id"]] = assignee
        day0 = timezone.localdate(created)
        if status in L_ON_LOAN:
            due = day0 + timedelta(days=rng.randint(28, 42))
            if status == LS.OVERDUE:
                due = self.today - timedelta(days=rng.randint(1, 20))
            elif due < self.today and rng.random() < 0.6:
                due = self.today + timedelta(days=rng.randint(3, 30))
            row[c["due_date"]] = due
        elif status == LS.COMPLETED and fmt == "physical":
            row[c["due_date"]] = day0 + timedelta(days=rng.randint(28, 42))
        if rng.random() < 0.4:
            row[c["last_interest_date"]] = day0 + timedelta(days=rng.randint(14, 90))
        worked = status not in (LS.CREATED, LS.LOCATE_FAILED, LS.PENDING_AUTO_REJECT)
        row[c["printed"]] = worked and rng.random() < 0.4
        row[c["reported"]] = worked and rng.random() < 0.2
        if status == LS.CONDITIONAL:
            row[c["conditional_reason"]] = "Reading room use only"
            row[c["reply_by"]] = self.today + timedelta(days=rng.randint(1, 7))
        if status == LS.REJECTED:
            row[c["reject_reason"]] = rng.choice(D.REJECT_REASONS)
        if not active and age > 365 and rng.random() < 0.1:
            row[c["removed_at"]] = updated + timedelta(days=30)
        note, partner_note, message = self.extras(rid, created, updated, after_send=True,
                                                  peer=partner in ref.peers, assignee=assignee, out=out)
        row[c["has_active_note"]] = note
        row[c["has_partner_note"]] = partner_note
        row[c["has_active_message"]] = message
        if rng.random() < 0.1:
            alert_active = active and rng.random() < 0.85
            out["alerts"].append((self.ct, rid, rng.choice(D.ALERTS), created + (updated - created) * 0.7,
                                  alert_active))
            row[c["has_alerts"]] = alert_active
        out["requests"].append(row)
        self.history(rid, status, created, updated, assignee, out["history"])
