"""PostgreSQL restarted (`pg_ctl restart -m fast`) under a running web server and worker: the first page
after it works, an action cut off mid-transaction leaves nothing half-written and can simply be done
again, and a delivery whose outcome could not be recorded is sent again once its claim expires.

The app runs against a cluster of our own (other processes, migrated and seeded by tests/faults/seed.py),
so this needs no pytest database and reads the results with plain SQL. One test in three steps: one
cluster, migrated once, however pytest-xdist spreads the tests."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import uuid
from types import SimpleNamespace

import psycopg
import pytest

from .services import Browser, Peer, PostgresCluster, WebServer, Worker, app_env, beat, stop_all, wait_until

pytestmark = pytest.mark.slow
TIMINGS = {"ILLDESK_ISO_TIMEOUT_SECONDS": 8, "ILLDESK_ISO_CLAIM_SECONDS": 10}


@pytest.fixture(scope="module")
def site(redis_server, faults_dir):
    cluster = PostgresCluster()
    peer = Peer()
    started = []
    try:
        cluster.init()
        with psycopg.connect(cluster.url(), autocommit=True) as conn:
            conn.execute("CREATE DATABASE illdesk")
        queue = f"faults-pg-{uuid.uuid4().hex[:8]}"
        env = app_env(database_url=cluster.url("illdesk"), redis_url=redis_server.url, queue=queue, **TIMINGS)
        seeded = subprocess.run([sys.executable, "-m", "tests.faults.seed", peer.url, "3"], env=env,
                                capture_output=True, text=True, timeout=300)
        assert seeded.returncode == 0, seeded.stderr[-3000:]
        started.append(WebServer(faults_dir, env))
        started.append(Worker(faults_dir, env, f"pg-{uuid.uuid4().hex[:6]}"))
        for process in started:  # booting side by side
            process.ready()
        yield SimpleNamespace(cluster=cluster, peer=peer, web=started[0], worker=started[1], queue=queue,
                              redis=redis_server, requests=json.loads(seeded.stdout.splitlines()[-1])["requests"])
    finally:
        stop_all(*started)
        peer.close()
        cluster.destroy()


def query(site, sql: str, *params):
    with psycopg.connect(site.cluster.url("illdesk"), autocommit=True) as conn:
        return conn.execute(sql, params).fetchall()


def staff(site) -> Browser:
    browser = Browser(site.web.base)
    browser.login("operator", "operator")
    return browser


def snapshot(site, pk: int) -> dict:
    """Everything an action on the request writes."""
    ct = "(SELECT id FROM django_content_type WHERE app_label = 'borrowing' AND model = 'borrowingrequest')"
    return {
        "status": query(site, "SELECT status FROM borrowing_borrowingrequest WHERE id = %s", pk)[0][0],
        **{table: query(site, f"SELECT count(*) FROM {table} WHERE content_type_id = {ct} AND object_id = %s",  # noqa: S608
                        pk)[0][0]
           for table in ("illdesk_historyevent", "partners_outboundmessage", "letters_sentletter")},
    }


def the_first_page_after_a_restart_works(site):
    browser = staff(site)
    assert browser.get("/borrowing/")[0] == 200  # the server now holds a connection it means to reuse
    site.cluster.restart()
    status, body = browser.get("/borrowing/")
    assert status == 200, body[-2000:]
    assert browser.get(f"/borrowing/{site.requests[0]}/")[0] == 200


def an_action_cut_off_by_a_restart_leaves_nothing_half_written(site):
    pk = site.requests[1]
    browser = staff(site)
    before = snapshot(site, pk)
    # Hold the request's row so the action stops inside its transaction, then restart under it.
    blocker = psycopg.connect(site.cluster.url("illdesk"))
    answer: list = []
    try:
        blocker.execute("SELECT id FROM borrowing_borrowingrequest WHERE id = %s FOR UPDATE", [pk])
        action = threading.Thread(target=lambda: answer.append(
            browser.post(f"/borrowing/{pk}/dialog/receive/", {"received_format": "physical"})))
        action.start()
        wait_until(lambda: query(site, "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")[0][0],
                   "the action waiting for the request's row", timeout=30, logs=(site.web.process,))
        site.cluster.restart()
        action.join(timeout=60)
    finally:
        try:
            blocker.close()
        except psycopg.Error:
            pass
    assert answer and answer[0][0] == 500  # the staff member sees the error page and can try again
    assert snapshot(site, pk) == before

    status, body, _location = browser.post(f"/borrowing/{pk}/dialog/receive/", {"received_format": "physical"})
    assert status == 302, body[-2000:]
    after = snapshot(site, pk)
    assert after["status"] == "received_physically"
    assert (after["partners_outboundmessage"], after["letters_sentletter"]) == (1, 1)
    assert after["illdesk_historyevent"] > before["illdesk_historyevent"]
    wait_until(lambda: query(site, "SELECT count(*) FROM partners_outboundmessage WHERE object_id = %s AND state = "
                                   "'sent'", pk)[0][0], "the redone action's message delivered", timeout=30,
               logs=(site.worker,))


def a_delivery_cut_off_by_a_restart_is_sent_again(site):
    pk = site.requests[2]
    peer, worker = site.peer, site.worker
    sent_before, failures_before = len(peer.received), worker.log_text().count("raised unexpected")
    peer.script.append(("hang", 5))  # the restart happens while the worker waits for the answer
    status, _body, _ = staff(site).post(f"/borrowing/{pk}/dialog/general_message/", {"text": "Any news?"})
    assert status == 302
    wait_until(lambda: len(peer.received) > sent_before, "the worker posting the message", timeout=30,
               logs=(worker,))
    site.cluster.restart()
    wait_until(lambda: worker.log_text().count("raised unexpected") > failures_before,
               "the worker failing to record the answer", timeout=30, logs=(worker,))
    assert re.search(r"deliver_outbound\[.*\] raised unexpected: (Operational|Interface)Error", worker.log_text())
    (msg_id, state, attempts, xml), = query(site, "SELECT id, state, attempts, xml FROM partners_outboundmessage "
                                                  "WHERE object_id = %s", pk)
    assert (state, attempts) == ("sending", 1)

    wait_until(lambda: query(site, "SELECT claimed_until < now() FROM partners_outboundmessage WHERE id = %s",
                             msg_id)[0][0], "the claim expiring", timeout=30)
    beat(site.redis.url, site.queue, "partners.retry_due_messages")
    wait_until(lambda: query(site, "SELECT state = 'sent' FROM partners_outboundmessage WHERE id = %s", msg_id)[0][0],
               "the message sent again by the same worker", timeout=30, logs=(worker,))
    assert query(site, "SELECT attempts FROM partners_outboundmessage WHERE id = %s", msg_id)[0][0] == 2
    assert worker.process.alive
    assert [body for _headers, body in peer.received[sent_before:]] == [xml.encode()] * 2


def test_the_app_rides_out_database_restarts(site):
    the_first_page_after_a_restart_works(site)
    an_action_cut_off_by_a_restart_leaves_nothing_half_written(site)
    a_delivery_cut_off_by_a_restart_is_sent_again(site)
