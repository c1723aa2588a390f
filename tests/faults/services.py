"""Private services the fault tests may break: a Redis, a PostgreSQL cluster, the web app under
gunicorn and Celery workers, each a real process on a free 127.0.0.1 port of its own. The shared
PostgreSQL and Redis on the standard ports are never stopped, only read (the pytest database).

Every helper fails the test with the tail of the logs it has, so a timeout says what went wrong."""

from __future__ import annotations

import glob
import http.cookiejar
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = "tests.faults.app_settings"

# the marks of a test whose web server and worker are other processes sharing the pytest database
ON_POSTGRESQL_TEST_DATABASE = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="the web server and worker are other processes: they need the PostgreSQL test "
                              "database (DATABASE_URL)"),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(check: Callable[[], Any], what: str, *, timeout: float = 30, interval: float = 0.1,
               logs: tuple = ()) -> Any:
    """Poll `check` until it returns something truthy; fail with the logs' tails after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            tails = "\n".join(f"--- {log.name} ---\n{log.tail()}" for log in logs)
            pytest.fail(f"{what}: not within {timeout} s\n{tails}")
        time.sleep(interval)


class Process:
    """A subprocess writing stdout and stderr to one log file."""

    def __init__(self, name: str, args: list[str], log: Path, *, env: dict | None = None,
                 stop_signal: int = signal.SIGTERM) -> None:
        self.name, self.log, self.stop_signal = name, log, stop_signal
        with log.open("ab") as out:
            self.popen = subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                          stdin=subprocess.DEVNULL)

    @property
    def alive(self) -> bool:
        return self.popen.poll() is None

    def tail(self, chars: int = 4000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no log)"

    def signal(self, sig: int) -> None:
        if self.alive:
            self.popen.send_signal(sig)

    def terminate(self) -> None:
        if self.alive:
            self.popen.send_signal(signal.SIGCONT)  # a frozen process cannot act on SIGTERM
            self.popen.send_signal(self.stop_signal)

    def stop(self, timeout: float = 15) -> None:
        self.terminate()
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(timeout=10)

    def kill9(self) -> None:
        self.popen.kill()
        self.popen.wait(timeout=10)


def stop_all(*services) -> None:
    """Stop web servers and workers side by side (each takes a second or two to shut down)."""
    for service in services:
        service.process.terminate()
    for service in services:
        service.process.stop()


def need(binary: str, why: str) -> str:
    path = shutil.which(binary)
    if path is None:
        pytest.skip(f"{binary} is not installed ({why})")
    return path


# --- Redis ----------------------------------------------------------------------------------------


class RedisServer:
    """`redis-server` without persistence: stopped means its queues are gone, as after a real crash."""

    def __init__(self, workdir: Path) -> None:
        self.binary = need("redis-server", "Debian: redis-server")
        self.workdir, self.port, self.process = workdir, free_port(), None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    @property
    def name(self) -> str:
        return "redis"

    def tail(self) -> str:
        return self.process.tail() if self.process else ""

    def start(self) -> None:
        self.process = Process("redis", [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                         "--appendonly", "no", "--daemonize", "no", "--dir", str(self.workdir)],
                               self.workdir / "redis.log")
        wait_until(self.ping, "private Redis answering", timeout=15, logs=(self.process,))

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def crash(self) -> None:
        """kill -9: every queued task is lost (no persistence), connections are refused."""
        self.process.kill9()

    def freeze(self) -> None:
        """SIGSTOP: connections are accepted by the kernel but nothing ever answers."""
        self.process.signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self.process.signal(signal.SIGCONT)

    def flush(self) -> None:
        with socket.create_connection(("127.0.0.1", self.port), timeout=2) as sock:
            sock.sendall(b"FLUSHALL\r\n")
            sock.recv(16)

    def stop(self) -> None:
        if self.process:
            self.process.stop()


def beat(redis_url: str, queue: str, *tasks: str) -> None:
    """What celery beat does for a schedule that is due: send the task by name through the broker."""
    from celery import Celery

    app = Celery("faults-beat", broker=redis_url, set_as_current=False, fixups=[])
    try:
        for name in tasks:
            app.send_task(name, queue=queue)
    finally:
        app.close()


# --- PostgreSQL -----------------------------------------------------------------------------------


def postgres_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed (Debian: postgresql)")
    return Path(initdb).parent


class PostgresCluster:
    """A cluster of our own in a temporary directory, so it can be restarted under a running app.
    PostgreSQL refuses to run as root: then every command runs as the `postgres` user."""

    def __init__(self) -> None:
        self.bin = postgres_bin()
        self.user = None
        if os.geteuid() == 0:
            need("runuser", "util-linux")
            try:
                import pwd

                owner = pwd.getpwnam("postgres")
            except KeyError:
                pytest.skip("running as root and there is no postgres user to run PostgreSQL as")
            self.user = "postgres"
        self.dir = Path(tempfile.mkdtemp(prefix="illdesk-faults-pg-"))
        if self.user:
            os.chown(self.dir, owner.pw_uid, owner.pw_gid)
        self.data, self.port = self.dir / "data", free_port()
        self.log = self.dir / "postgres.log"
        self.name = "postgres"

    def url(self, db: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{db}"

    def _run(self, *args: str, timeout: float = 60) -> None:
        cmd = [str(self.bin / args[0]), *args[1:]]
        if self.user:
            cmd = ["runuser", "-u", self.user, "--", *cmd]
        # To a file, not a pipe: the server pg_ctl starts inherits it and would hold a pipe open.
        output = self.dir / "commands.log"
        with output.open("ab") as out:
            done = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, timeout=timeout, stdin=subprocess.DEVNULL)
        if done.returncode:
            pytest.fail(f"{' '.join(args[:2])} failed ({done.returncode}):\n"
                        f"{output.read_text(errors='replace')[-3000:]}\n{self.tail()}")

    def tail(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-3000:]
        except OSError:
            return ""

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8",
                  "--no-sync")
        self.start()

    def start(self) -> None:
        options = (f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off")
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.log), "-w", "-t", "60", "start")

    def restart(self) -> None:
        """Fast shutdown (every session is cut off, open transactions roll back), then up again."""
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-m", "fast", "-w", "-t", "60", "restart")

    def destroy(self) -> None:
        if self.data.exists():
            cmd = [str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"]
            if self.user:
                cmd = ["runuser", "-u", self.user, "--", *cmd]
            subprocess.run(cmd, capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
        shutil.rmtree(self.dir, ignore_errors=True)


# --- the app: gunicorn and Celery workers ------------------------------------------------------------


def app_env(*, database_url: str, redis_url: str, queue: str, **extra: Any) -> dict[str, str]:
    """The environment of a web server or worker: our settings module, our database, broker and queue."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": SETTINGS, "DATABASE_URL": database_url, "REDIS_URL": redis_url,
           "ILLDESK_TEST_QUEUE": queue, "ILLDESK_CACHE_PREFIX": f"faults-{queue}", "PYTHONPATH": str(ROOT),
           "ILLDESK_LOG_LEVEL": "INFO"}
    env.pop("DATABASE_TEST_NAME", None)
    env.pop("EMAIL_URL", None)
    env.update({key: str(value) for key, value in extra.items()})
    return env


class WebServer:
    """gunicorn with one synchronous worker, as in production: its database connection lives on
    between requests (CONN_MAX_AGE), which is what a database restart puts to the test. Starting
    returns at once (boot alongside other work); `ready()` waits until it answers."""

    def __init__(self, workdir: Path, env: dict[str, str]) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = Process("gunicorn", [sys.executable, "-m", "gunicorn", "illdesk.wsgi", "-b",
                                            f"127.0.0.1:{self.port}", "-w", "1", "--timeout", "60",
                                            "--graceful-timeout", "5"],
                               workdir / f"gunicorn-{self.port}.log", env=env,
                               stop_signal=signal.SIGQUIT)  # quick shutdown: nothing is left to finish

    def ready(self) -> WebServer:
        wait_until(self._up, "gunicorn answering", timeout=90, logs=(self.process,))
        return self

    def _up(self) -> bool:
        if not self.process.alive:
            pytest.fail(f"gunicorn exited:\n{self.process.tail()}")
        try:
            with urllib.request.urlopen(self.base + "/login/", timeout=5) as response:  # noqa: S310
                return response.status == 200
        except (OSError, urllib.error.URLError):
            return False

    def stop(self) -> None:
        self.process.stop()


class Worker:
    """`celery worker` (solo pool: the process that takes the task is the one `kill -9` hits). Tasks
    sent while it boots wait in the queue; `ready()` waits until it consumes."""

    def __init__(self, workdir: Path, env: dict[str, str], name: str) -> None:
        self.process = Process(f"worker {name}", [sys.executable, "-m", "celery", "-A", "illdesk", "worker",
                                                  "--pool=solo", "--without-heartbeat", "--without-gossip",
                                                  "--without-mingle", "-l", "info", "-n", f"{name}@%h"],
                               workdir / f"worker-{name}.log", env=env,
                               stop_signal=signal.SIGQUIT)  # cold shutdown: the test is over
        self.name, self.log = self.process.name, self.process.log

    def ready(self) -> Worker:
        wait_until(lambda: " ready." in self.process.tail(10**6) or not self.process.alive,
                   f"{self.name} ready", timeout=90, logs=(self.process,))
        assert self.process.alive, self.process.tail()
        return self

    def tail(self) -> str:
        return self.process.tail()

    def log_text(self) -> str:
        return self.process.tail(10**7)

    def kill9(self) -> None:
        self.process.kill9()

    def stop(self) -> None:
        self.process.stop()


class Browser:
    """A staff member's browser: cookies, the CSRF token, no redirects followed (a POST answers 302)."""

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):  # noqa: ANN002, ANN003
            return None

    def __init__(self, base: str) -> None:
        self.base, self.jar = base, http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), self._NoRedirect)

    def _open(self, request: urllib.request.Request, timeout: float) -> tuple[int, str, dict]:
        try:
            with self.opener.open(request, timeout=timeout) as response:
                return response.status, response.read().decode("utf-8", "replace"), dict(response.headers)
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode("utf-8", "replace"), dict(exc.headers)

    def get(self, path: str, timeout: float = 30) -> tuple[int, str]:
        status, body, _headers = self._open(urllib.request.Request(self.base + path), timeout)
        return status, body

    def post(self, path: str, data: dict | None = None, timeout: float = 30) -> tuple[int, str, str]:
        token = next((c.value for c in self.jar if c.name == "csrftoken"), None)
        if token is None:
            self.get("/login/")
            token = next(c.value for c in self.jar if c.name == "csrftoken")
        body = urllib.parse.urlencode({**(data or {}), "csrfmiddlewaretoken": token}).encode()
        request = urllib.request.Request(self.base + path, data=body, method="POST")
        status, text, headers = self._open(request, timeout)
        return status, text, headers.get("Location", "")

    def login(self, username: str, password: str) -> None:
        status, body, location = self.post("/login/", {"username": username, "password": password})
        assert status == 302, f"login as {username} answered {status}:\n{body[-2000:]}"


# --- the partner ------------------------------------------------------------------------------------


class Peer:
    """tests/partners/peer_server.PeerServer that can be taken down (connection refused) and brought
    back on the same port, noting when each message arrived."""

    def __init__(self) -> None:
        from tests.partners.peer_server import PeerServer

        self.server = PeerServer()
        self.port = self.server.httpd.server_address[1]
        self.url = self.server.url
        self.arrivals: list[float] = []
        received, arrivals = self.server.received, self.arrivals

        class Stamped(list):
            def append(self, item) -> None:
                arrivals.append(time.monotonic())
                super().append(item)

        self.server.received = Stamped(received)

    @property
    def received(self) -> list[tuple[dict, bytes]]:
        return self.server.received

    @property
    def script(self) -> list:
        return self.server.script

    def down(self) -> None:
        self.server.httpd.shutdown()
        self.server.httpd.server_close()

    def up(self) -> None:
        httpd = ThreadingHTTPServer(("127.0.0.1", self.port), self.server.httpd.RequestHandlerClass)
        httpd.daemon_threads = True
        self.server.httpd = httpd
        self.server.thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        self.server.thread.start()

    def close(self) -> None:
        try:
            self.server.close()
        except OSError:
            pass
