"""A real Celery worker on Redis runs the overdue job end to end: the task goes through the broker,
the worker records the run in the test database, and the letter it queued is delivered by the worker.

Needs REDIS_URL and PostgreSQL (DATABASE_URL): CI's first run has both."""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from illdesk.celery import app as celery_app
from integrations import tasks
from integrations.models import JobRun
from tests.factories import make_lending

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("REDIS_URL", "")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not REDIS_URL, reason="needs a Redis broker: set REDIS_URL"),
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="the worker is another process: it needs the PostgreSQL test database (DATABASE_URL)"),
]


def _database_url() -> str:
    db = connection.settings_dict
    auth = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    host = db["HOST"] or "127.0.0.1"
    return f"postgres://{auth}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def worker(tmp_path):
    queue = f"illdesk-test-{uuid.uuid4().hex[:12]}"
    log = tmp_path / "worker.log"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.integrations.worker_settings", "ILLDESK_TEST_QUEUE": queue,
           "DATABASE_URL": _database_url(), "REDIS_URL": REDIS_URL, "PYTHONPATH": str(ROOT)}
    env.pop("EMAIL_URL", None)  # console email: the worker "sends" letters to its log
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "illdesk", "worker", "--pool=solo", "--without-heartbeat",
             "--without-gossip", "--without-mingle", "-l", "info", "-n", f"{queue}@%h"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        yield queue, process, log
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        import redis

        client = redis.Redis.from_url(REDIS_URL)
        client.delete(queue, *client.keys(f"_kombu.*{queue}*"))
        client.close()


def _wait_for(check, process, log: Path, what: str, timeout: float = 90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        if process.poll() is not None:
            break
        time.sleep(0.3)
    pytest.fail(f"{what} did not happen within {timeout} s; worker log:\n{log.read_text(errors='replace')[-4000:]}")


@pytest.mark.django_db(transaction=True)
def test_a_worker_on_redis_runs_the_overdue_job(worker, library, email_partner):
    from letters.models import SentLetter

    queue, process, log = worker
    celery_app.conf.task_always_eager = False  # through the broker (the eager_celery fixture restores it)
    assert settings.CELERY_BROKER_URL.startswith("redis://")
    lent = make_lending(library, "received_by_partner", partner=email_partner, due_date=datetime.date(2026, 1, 5))

    tasks.send_overdue_notices.apply_async(kwargs={"trigger": "schedule"}, queue=queue)

    run = _wait_for(lambda: JobRun.objects.filter(job="overdue_notices", finished_at__isnull=False).first(),
                    process, log, "the overdue run")
    assert (run.state, run.updated, run.failed) == (JobRun.State.SUCCEEDED, 1, 0), run.errors
    lent.refresh_from_db()
    assert lent.status == "overdue"
    letter = SentLetter.objects.get(object_id=lent.pk, code="borrower_overdue")
    assert letter.to == ["ill@mail.example.org"]
    _wait_for(lambda: SentLetter.objects.filter(pk=letter.pk, state="sent").exists(), process, log,
              "the worker delivering the Borrower Overdue letter")
