"""Fixtures of the fault tests: a private Redis for the session, gunicorn and Celery workers on the
pytest database (PostgreSQL: they are other processes), a scripted ISO 18626 peer that can go down and
come back on the same port, an SMTP server for letters, and a logged-in staff browser."""

from __future__ import annotations

import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from aiosmtpd.controller import Controller
from django.db import connection

from tests.factories import make_borrowing

from .services import Browser, Peer, RedisServer, WebServer, Worker, app_env, free_port, stop_all


def database_url() -> str:
    """The pytest database as a URL for the web server and workers."""
    db = connection.settings_dict
    auth = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


# --- session services -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def faults_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("faults")


@pytest.fixture(scope="session")
def redis_server(faults_dir):
    server = RedisServer(faults_dir)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis(redis_server):
    """The private Redis, up and empty (no task of an earlier test left in a queue)."""
    redis_server.thaw()
    if not redis_server.process.alive:
        redis_server.start()
    redis_server.flush()
    yield redis_server
    redis_server.thaw()
    if not redis_server.process.alive:
        redis_server.start()


@pytest.fixture(scope="session")
def queue() -> str:
    return f"faults-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="session")
def web(django_db_setup, redis_server, faults_dir, queue):
    """gunicorn serving the pytest database; its broker and cache are the private Redis."""
    if connection.vendor != "postgresql":
        pytest.skip("the web server and worker are other processes: they need the PostgreSQL test database "
                    "(DATABASE_URL)")
    server = WebServer(faults_dir, app_env(database_url=database_url(), redis_url=redis_server.url,
                                           queue=queue))
    yield server.ready()
    server.stop()


@pytest.fixture
def start_worker(transactional_db, redis, faults_dir, queue):
    """start_worker(name, **settings) -> a Celery worker on the pytest database and the private Redis,
    booting (call `.ready()` to wait for it)."""
    started: list[Worker] = []

    def start(name: str = "worker", **settings) -> Worker:
        env = app_env(database_url=database_url(), redis_url=redis.url, queue=queue, **settings)
        worker = Worker(faults_dir, env, f"{name}-{uuid.uuid4().hex[:6]}")
        started.append(worker)
        return worker

    yield start
    stop_all(*started)


# --- the partner, the mail server, the staff member ---------------------------------------------------


@pytest.fixture
def peer():
    server = Peer()
    yield server
    server.close()


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append((list(envelope.rcpt_tos), envelope.original_content or envelope.content))
        return "250 Message accepted for delivery"


@pytest.fixture
def inbox():
    box = Inbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    box.url = f"smtp://127.0.0.1:{controller.port}"
    yield box
    controller.stop()


@pytest.fixture
def iso_request(library, patron, pickup, iso_partner, peer):
    """A borrowing request sent to an ISO 18626 partner whose endpoint is the scripted peer."""
    iso_partner.iso_endpoint = peer.url
    iso_partner.save()
    return make_borrowing(library, "sent", partner=iso_partner, requester=patron, pickup_location=pickup,
                          patron_category=patron.category)


@pytest.fixture
def staff(web, operator) -> Browser:
    browser = Browser(web.base)
    browser.login("operator", "operator")
    return browser
