"""Three illdesk servers on loopback, each with its own database, each the others' ISO 18626 partner,
complete the flows of issue 5 §6 through the real endpoint, outbox and Celery delivery.

A borrows; B lends; C is the second lender of a rota. Each server is gunicorn running illdesk with
tests/partners/peer_settings.py: with REDIS_URL set (CI's PostgreSQL run) every instance gets a real
Celery worker on its own queue, otherwise Celery runs in-process. Its databases are PostgreSQL when
DATABASE_URL points there (created from one migrated template, dropped afterwards), else SQLite files.
Staff steps are driven through tests/partners/peer_driver.py, which calls the same workflow actions
as the staff pages (borrowing.actions, lending.actions).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

# Over a minute on PostgreSQL with real workers (migrating, starting six processes); it runs in CI.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
BIN = Path(PYTHON).parent
NAMES = ("A", "B", "C")
SYMBOLS = {"A": "ISIL:ZZ-A", "B": "ISIL:ZZ-B", "C": "ISIL:ZZ-C"}
WAIT = 30.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Instance:
    def __init__(self, name: str, db_url: str, workdir: Path, redis_url: str) -> None:
        self.name, self.db_url, self.port = name, db_url, _free_port()
        self.queue = f"illdesk-peer-{name}-{uuid.uuid4().hex[:8]}"
        self.env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.partners.peer_settings",
                    "ILLDESK_PEER_DATABASE_URL": db_url, "ILLDESK_ISO_SYMBOL": SYMBOLS[name],
                    "ILLDESK_PEER_QUEUE": self.queue, "REDIS_URL": redis_url,
                    # one Redis, three libraries: each its own cache (partners, settings … are per library)
                    "ILLDESK_CACHE_PREFIX": self.queue,
                    "ILLDESK_PEER_MEDIA_ROOT": str(workdir / f"media-{name}"), "PYTHONUNBUFFERED": "1"}
        self.env.pop("DATABASE_URL", None)
        self.log = workdir / f"{name}.log"
        self.procs: list[subprocess.Popen] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, with_worker: bool) -> None:
        out = self.log.open("ab")
        self.procs.append(subprocess.Popen(
            [str(BIN / "gunicorn"), "illdesk.wsgi", "-b", f"127.0.0.1:{self.port}", "-w", "1", "--threads", "8",
             "--timeout", "120", "--graceful-timeout", "2", "--no-control-socket"],
            cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True))
        if with_worker:
            self.procs.append(subprocess.Popen(
                [str(BIN / "celery"), "-A", "illdesk", "worker", "-Q", self.queue, "--pool", "threads",
                 "--concurrency", "4", "-l", "warning", "--without-gossip", "--without-mingle",
                 "--without-heartbeat", "-n", f"{self.queue}@%h"],
                cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True))

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            for proc in self.procs:
                if proc.poll() is not None:
                    raise RuntimeError(f"{self.name} exited:\n{self.log.read_text()[-4000:]}")
            try:
                urllib.request.urlopen(f"{self.url}/iso18626", timeout=2)
            except urllib.error.HTTPError as exc:
                if exc.code == 405:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not start:\n{self.log.read_text()[-4000:]}")

    @staticmethod
    def _kill(proc: subprocess.Popen, sig: int) -> None:
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass

    def signal_stop(self) -> None:
        # gunicorn stops on TERM; a Celery worker at once only on QUIT (TERM waits for a warm shutdown).
        for proc, sig in zip(self.procs, (signal.SIGTERM, signal.SIGQUIT), strict=False):
            if proc.poll() is None:
                self._kill(proc, sig)

    def reap(self, deadline: float) -> None:
        for proc in self.procs:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                sys.stderr.write(f"{self.name}: {proc.args[0]} did not stop in time; killed\n")
                self._kill(proc, signal.SIGKILL)
                proc.wait()

    def __call__(self, op: str, **data) -> dict:
        body = json.dumps({"op": op, **data}).encode()
        request = urllib.request.Request(f"{self.url}/_peer/drive", data=body,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - loopback
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            answer = json.loads(exc.read() or b"{}")
            raise AssertionError(f"{self.name} {op} {data}: {answer.get('error')}\n{answer.get('traceback')}") \
                from None


# --- databases ---------------------------------------------------------------------------------------


def _pg(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


def _migrate(db_url: str, workdir: Path) -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.partners.peer_settings", "ILLDESK_PEER_DATABASE_URL": db_url,
           "REDIS_URL": ""}
    env.pop("DATABASE_URL", None)
    done = subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, capture_output=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr.decode()[-4000:]


def _databases(workdir: Path):
    """Yields {name: database URL}; cleans up afterwards."""
    base = os.environ.get("DATABASE_URL", "")
    if base.startswith(("postgres://", "postgresql://")):
        server, _, _ = base.rpartition("/")
        admin = f"{server}/postgres"
        tag = uuid.uuid4().hex[:8]
        template = f"illdesk_peer_{tag}_tmpl"
        names = {n: f"illdesk_peer_{tag}_{n.lower()}" for n in NAMES}
        _pg(admin, f'CREATE DATABASE "{template}"')
        try:
            _migrate(f"{server}/{template}", workdir)
            for db in names.values():
                _pg(admin, f'CREATE DATABASE "{db}" TEMPLATE "{template}"')
            yield {n: f"{server}/{db}" for n, db in names.items()}
        finally:
            # Each DROP waits for a checkpoint: drop them side by side.
            from concurrent.futures import ThreadPoolExecutor

            def drop(db: str) -> None:
                try:
                    _pg(admin, f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
                except Exception as exc:  # noqa: BLE001 - best effort, a leftover database harms nothing
                    sys.stderr.write(f"could not drop {db}: {exc}\n")

            with ThreadPoolExecutor(4) as pool:
                list(pool.map(drop, [*names.values(), template]))
    else:
        template = workdir / "template.sqlite3"
        _migrate(f"sqlite:///{template}", workdir)
        for n in NAMES:
            shutil.copy(template, workdir / f"{n}.sqlite3")
        yield {n: f"sqlite:///{workdir / f'{n}.sqlite3'}" for n in NAMES}


@pytest.fixture(scope="module")
def peers(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("peers")
    redis_url = os.environ.get("REDIS_URL", "")
    databases = _databases(workdir)
    urls = next(databases)
    instances = {n: Instance(n, urls[n], workdir, redis_url) for n in NAMES}
    try:
        for inst in instances.values():
            inst.start(with_worker=bool(redis_url))
        for inst in instances.values():
            inst.wait_ready()

        def partner(n: str, me: str) -> dict:
            # A and B share a secret (sent as "Authorization: Bearer"); A and C trust each other's address.
            return {"code": n, "symbol": SYMBOLS[n], "endpoint": f"{instances[n].url}/iso18626",
                    "secret": "a-b-secret" if {n, me} == {"A", "B"} else "",
                    "networks": "" if {n, me} == {"A", "B"} else "127.0.0.1\n::1"}

        instances["A"]("setup", name="Library A", partners=[partner("B", "A"), partner("C", "A")], rota=["B", "C"])
        instances["B"]("setup", name="Library B", partners=[partner("A", "B")])
        instances["C"]("setup", name="Library C", partners=[partner("A", "C")])
        yield instances
    finally:
        try:
            for inst in instances.values():
                inst.signal_stop()
            deadline = time.monotonic() + 5
            for inst in instances.values():
                inst.reap(deadline)
            for inst in instances.values():
                if inst.log.exists():
                    sys.stderr.write(f"\n--- {inst.name} log (tail) ---\n{inst.log.read_text()[-3000:]}")
        finally:
            databases.close()  # runs the generator's cleanup (drops the PostgreSQL databases)


def until(check, what: str, timeout: float = WAIT):
    """Poll until `check()` returns something truthy (delivery may be asynchronous)."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}; last: {last}")


def status(inst, **where):
    return inst("get", **where)


def wait_status(inst, expected: str, **where) -> dict:
    return until(lambda: (s := status(inst, **where))["status"] == expected and s,
                 f"{inst.name} {where} → {expected} (is {status(inst, **where)})")


class Flow:
    """One borrowing request of A and its lending request at `lender`."""

    def __init__(self, peers, title: str, lender: str = "B", **kwargs) -> None:
        self.a, self.peers = peers["A"], peers
        self.lender = peers[lender]
        for library in ("B", "C"):  # both lenders hold the title: locate finds it when the request arrives
            peers[library]("stock", title=title)
        answer = self.a("borrow", title=title, partner=lender if "type" not in kwargs else None, **kwargs)
        self.pk = answer["pk"]

    def borrower(self, action: str | None = None, **kwargs) -> dict:
        if action:
            self.a("borrowing", pk=self.pk, action=action, kwargs=kwargs)
        return status(self.a, side="borrowing", pk=self.pk)

    def lend(self, action: str, lender=None, **kwargs) -> dict:
        return (lender or self.lender)("lending", **{"from": SYMBOLS["A"]}, borrower_id=self.pk, action=action,
                                       kwargs=kwargs)

    def wait_a(self, expected: str) -> dict:
        return wait_status(self.a, expected, side="borrowing", pk=self.pk)

    def wait_lender(self, expected: str, lender=None) -> dict:
        return wait_status(lender or self.lender, expected, side="lending", **{"from": SYMBOLS["A"]},
                           borrower_id=self.pk)

    def arrived(self, lender=None) -> str:
        """The lender's request, once located: the lender confirms first and locates after commit."""
        return until(lambda: (s := status(lender or self.lender, side="lending", **{"from": SYMBOLS["A"]},
                                          borrower_id=self.pk))["status"] and s["locate_status"] != "not_run"
                     and s["status"], "the request to arrive and be located")

    def loaned_and_received(self) -> None:
        self.arrived()
        self.lend("will_supply")
        self.wait_a("will_supply")
        self.lend("ship")
        self.wait_a("shipped_physically")
        self.borrower("receive", received_format="physical")
        self.wait_lender("received_by_partner")


def test_a_returnable_loan(peers):
    flow = Flow(peers, "Returnable loan")
    assert flow.arrived() == "created"  # located in B's inventory
    flow.loaned_and_received()
    flow.borrower("return_item")
    assert flow.borrower()["status"] == "returned_to_partner"  # the profile waits for the lender's check-in
    flow.wait_lender("returned_by_partner")
    flow.lend("check_in")
    flow.wait_a("lender_checked_in")
    assert flow.wait_lender("completed")


def test_a_copy(peers):
    flow = Flow(peers, "A digital copy", format="digital")
    flow.arrived()
    flow.lend("ship_digitally")
    flow.wait_a("shipped_digitally")
    flow.borrower("receive", received_format="digital")
    flow.wait_lender("completed")  # shipped digitally → completed on the borrower's Received


def test_a_reject_moves_to_the_second_lender_who_supplies(peers):
    flow = Flow(peers, "Rejected first", type="article")
    flow.arrived()
    flow.lend("reject", reason="NotOnShelf", partner_note="Sorry")
    second = until(lambda: (s := flow.borrower())["partner"] == "C" and s["status"] == "sent" and s,
                   "A to send to C")
    assert any("Sorry" in n for n in second["notes"])
    c = peers["C"]
    flow.arrived(lender=c)
    flow.lend("will_supply", lender=c)
    flow.lend("ship", lender=c)
    flow.wait_a("shipped_physically")
    assert flow.borrower()["partner"] == "C"


def test_renew_answered_yes_and_no(peers):
    yes = Flow(peers, "Renew yes")
    yes.loaned_and_received()
    yes.borrower("request_renew", note="Two more weeks")
    yes.wait_lender("renew_requested")
    new_due = (datetime.now(UTC).date() + timedelta(days=60)).isoformat()
    yes.lend("renew", due_date=new_due)
    assert yes.wait_a("renewed_by_partner")["due_date"] == new_due

    no = Flow(peers, "Renew no")
    no.loaned_and_received()
    no.borrower("request_renew")
    no.wait_lender("renew_requested")
    no.lend("refuse_renewal", note="Wanted here")
    no.wait_a("renew_not_accepted")


def test_cancel_answered_yes_and_no(peers):
    yes = Flow(peers, "Cancel yes")
    yes.arrived()
    yes.borrower("cancel", note="Not needed")
    assert yes.borrower()["status"] == "waiting_cancel_response"
    yes.wait_lender("cancel_reply")
    yes.lend("answer_cancel", accepted=True)
    yes.wait_a("cancelled")

    no = Flow(peers, "Cancel no")
    no.arrived()
    no.lend("will_supply")
    no.wait_a("will_supply")
    no.borrower("cancel")
    no.wait_lender("cancel_reply")
    no.lend("answer_cancel", accepted=False, note="Already packed")
    no.wait_a("will_supply")  # back where it was


def test_conditions_accepted_and_declined(peers):
    reply_by = (datetime.now(UTC).date() + timedelta(days=7)).isoformat()
    yes = Flow(peers, "Conditional yes")
    yes.arrived()
    yes.lend("conditional", reason="Library use only", reply_by=reply_by)
    assert any("Library use only" in n for n in yes.wait_a("conditional")["notes"])
    yes.borrower("conditional_reply", accept=True)
    yes.wait_lender("created")
    yes.lend("will_supply")
    yes.wait_a("will_supply")

    no = Flow(peers, "Conditional no")
    no.arrived()
    no.lend("conditional", reason="Fee 20 EUR", reply_by=reply_by)
    no.wait_a("conditional")
    no.borrower("conditional_reply", accept=False, note="Too expensive")
    assert no.borrower()["status"] in ("completed", "rejected_by_partner")  # nobody else in its rota
    no.wait_lender("rejected")


def test_overdue_recall_and_a_status_query(peers):
    flow = Flow(peers, "Overdue then recalled")
    flow.loaned_and_received()
    flow.lend("overdue")
    flow.wait_a("overdue")
    recall_due = (datetime.now(UTC).date() + timedelta(days=3)).isoformat()
    flow.lend("recall", due_date=recall_due)
    assert flow.wait_a("recalled_by_partner")["due_date"] == recall_due
    flow.borrower("status_query")
    until(lambda: any(n.startswith("Partner status: Recalled") for n in flow.borrower()["notes"]),
          "the lender's status to be noted")
    flow.borrower("general_message", text="We will send it back tomorrow")
    until(lambda: "We will send it back tomorrow" in status(flow.lender, side="lending", **{"from": SYMBOLS["A"]},
                                                             borrower_id=flow.pk)["messages"], "the message")


def test_nothing_was_refused_or_left_undelivered(peers):
    for inst in peers.values():
        report = until(lambda inst=inst: (r := inst("outbox", sweep=True))["out"]["queued"] == 0
                       and r["out"]["retrying"] == 0 and r["out"]["sending"] == 0 and r, f"{inst.name}'s outbox")
        assert report["out"]["failed"] == 0, report["problems"]
        assert report["in_errors"] == [], report["in_errors"]
