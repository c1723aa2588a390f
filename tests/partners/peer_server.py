"""A scripted ISO 18626 peer on 127.0.0.1 for outbox tests: each POST takes the next scripted answer."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from partners.iso18626 import Iso18626Error, build_confirmation, parse, serialize
from partners.iso18626.messages import ErrorType


class PeerServer:
    """`script` items: "ok", "error" (an ERROR confirmation), "500", "garbage", "redirect",
    ("hang", seconds). When the script runs out every answer is "ok"."""

    def __init__(self) -> None:
        self.script: list = []
        self.received: list[tuple[dict, bytes]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output quiet
                pass

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                server.received.append((dict(self.headers), body))
                step = server.script.pop(0) if server.script else "ok"
                if isinstance(step, tuple) and step[0] == "hang":
                    time.sleep(step[1])
                    step = "ok"
                if step == "500":
                    return self._answer(500, b"<html>Internal Server Error</html>", "text/html")
                if step == "garbage":
                    return self._answer(200, b"hello", "text/plain")
                if step == "redirect":
                    self.send_response(302)
                    self.send_header("Location", "/elsewhere")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return None
                try:
                    msg = parse(body)
                    ok = step == "ok"
                    confirmation = build_confirmation(
                        msg, ok=ok, error_type=None if ok else ErrorType.UNRECOGNISED_DATA_VALUE,
                        error_value=None if ok else "we do not know that request")
                except Iso18626Error as exc:
                    confirmation = build_confirmation(exc, ok=False)
                return self._answer(200, serialize(confirmation), "application/xml")

            def _answer(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/iso18626"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
