"""A real HTTP receiver for the webhook tests: the standard library's ThreadingHTTPServer on
127.0.0.1, which records every request and answers as told (a status, a delay, headers)."""

import re
import socket
import threading
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import time_machine

from sopcrm.crm.webhooks.services import webhook_create

DOCS = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"


@dataclass
class Received:
    path: str
    headers: Message
    body: bytes


@dataclass
class Answer:
    status: int = 200
    body: bytes = b"thanks"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


class Receiver:
    """`receiver.url` to post to; `receiver.requests` as they arrived; `receiver.answer(...)`
    changes what the next requests get."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.lock = threading.Lock()
        self.reply = Answer()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.lock:
                    receiver.requests.append(Received(self.path, self.headers, body))
                    reply = receiver.reply
                if reply.delay:
                    threading.Event().wait(reply.delay)
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                except OSError:  # the client gave up waiting (the timeout test)
                    pass

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/sopcrm"

    def answer(self, status: int = 200, **changes: object) -> None:
        with self.lock:
            self.reply = Answer(status, **changes)  # type: ignore[arg-type]

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    server.start()
    yield server
    server.stop()


@dataclass
class Hook:
    key: str
    secret: str


@pytest.fixture
def hook(receiver, db):
    """A webhook `erp` posting to the receiver."""
    webhook, secret = webhook_create(key="erp", url=receiver.url, description="ERP orders")
    return Hook(webhook.key, secret)


def free_port() -> int:
    """A port nothing listens on (connection refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def frozen():
    """`frozen(moment)` stops the clock at `moment` (again later to move it) for the test."""
    travellers = []

    def freeze(moment):
        if travellers:
            travellers.pop().stop()
        traveller = time_machine.travel(moment, tick=False)
        traveller.start()
        travellers.append(traveller)

    yield freeze
    for traveller in travellers:
        traveller.stop()


def documented_verify():
    """The `verify` function of docs/webhooks.md, run as a receiver would copy it."""
    blocks = re.findall(r"```python\n(.*?)```", DOCS.read_text(), flags=re.DOTALL)
    source = next(b for b in blocks if "def verify(" in b)
    namespace: dict[str, object] = {}
    exec(compile(source, str(DOCS), "exec"), namespace)
    return namespace["verify"]
