"""A department's webhook endpoint for the tests: a real HTTP server on 127.0.0.1, in a thread.

It does what the receiver documentation in kernel/events/signatures.py asks of a department:
verify the signature, then process each Webhook-Id once (answering 2xx to repeats). Every request
is recorded, so a test sees both what arrived and what was processed.
"""

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from zhengtong.kernel.events.public import webhook_signature_verify


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    verified: bool
    answered: int

    @property
    def webhook_id(self) -> str:
        return self.headers.get("Webhook-Id", "")

    @property
    def document(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    secret: str = ""  # empty: accept unsigned requests (a test about routing, not signatures)
    # What to answer, request by request: an HTTP status, or ("sleep", seconds) to answer 200 late.
    # When the script runs out, 200.
    script: list = field(default_factory=list)
    # Hold the n-th request (1-based) after processing it, until `release` is set: the moment a
    # sender that dies never learns its delivery got through.
    hold_request: int | None = None
    requests: list[Received] = field(default_factory=list)
    processed: list[str] = field(default_factory=list)  # event ids, in processing order
    held: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                headers = dict(self.headers.items())
                verified = bool(receiver.secret) and webhook_signature_verify(receiver.secret, headers, body)
                with receiver.lock:
                    number = len(receiver.requests) + 1
                    answer = receiver.script.pop(0) if receiver.script else 200
                    status = 200 if isinstance(answer, tuple) else answer
                    if receiver.secret and not verified:
                        status = 401
                    receiver.requests.append(Received(headers, body, verified, status))
                    if 200 <= status < 300 and headers["Webhook-Id"] not in receiver.processed:
                        receiver.processed.append(headers["Webhook-Id"])
                if isinstance(answer, tuple):
                    time.sleep(answer[1])
                if number == receiver.hold_request:
                    receiver.held.set()
                    receiver.release.wait(120)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "text/plain")
                    reply = b"ok" if status < 300 else f"refused with {status}".encode()
                    self.send_header("Content-Length", str(len(reply)))
                    self.end_headers()
                    self.wfile.write(reply)
                except OSError:
                    pass  # the sender is gone (killed, or gave up on a timeout)

            def log_message(self, format, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/zhengtong"

    def __enter__(self) -> "Receiver":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def ids_received(self) -> list[str]:
        return [r.webhook_id for r in self.requests]
