"""Real mail servers for the mail tests: aiosmtpd as the SMTP server the outbox sends to, and
Debian's dovecot as the IMAP server `sopcrm mail fetch` polls; plus raw MIME messages built
with the standard library and the inbound webhook as a mail relay would call it."""

import socket
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.test import Client

from sopcrm.crm.mail.services.outbox import reply_token_for

REPLY_ADDRESS = "crm@replies.example.com"
INBOUND_SECRET = "inbound-test-secret"


def free_port() -> int:
    """A port nothing listens on now (aiosmtpd's Controller(port=0) fails its readiness probe)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Envelope:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes


@dataclass
class Collector:
    """An aiosmtpd handler that keeps every message it accepts."""

    received: list[Envelope] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd calls it by this name
        with self.lock:
            self.received.append(
                Envelope(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content))
            )
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    port: int
    handler: Collector
    controller: Controller | None = None

    @property
    def received(self) -> list[Envelope]:
        return self.handler.received

    def start(self) -> None:
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


def smtp_mailer(port: int) -> dict:
    return {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5},
    }


@pytest.fixture
def smtp(settings):
    """A running SMTP server, and the outbox sending to it through the `smtp` mailer."""
    server = SmtpServer(free_port(), Collector())
    server.start()
    settings.MAILERS = {**settings.MAILERS, "smtp": smtp_mailer(server.port)}
    settings.SOPCRM_MAILER = "smtp"
    settings.SOPCRM_REPLY_ADDRESS = REPLY_ADDRESS
    yield server
    server.stop()


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


# -- inbound -------------------------------------------------------------------------------------


def mime(
    *,
    sender="Buyer <buyer@example.com>",
    to="sales@example.com",
    subject="Re: Quote",
    text="Thanks, we will order.",
    html=None,
    message_id=None,
    in_reply_to=None,
    references=None,
    date=None,
    headers=None,
    charset="utf-8",
) -> bytes:
    """A received message as raw bytes, as a mail server would hand it over."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = message_id or make_msgid(domain="customer.example")
    if date is not None:
        message["Date"] = format_datetime(date)
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = references
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text, charset=charset)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message.as_bytes()


def reply_to_address(record) -> str:
    local, _at, domain = REPLY_ADDRESS.partition("@")
    return f"{local}+{reply_token_for(record)}@{domain}"


class Webhook:
    """The inbound webhook as a mail relay calls it: raw MIME, the shared secret, no session
    (and Django's CSRF checks enforced, to show they do not get in the way)."""

    def __init__(self) -> None:
        self.client = Client(enforce_csrf_checks=True)

    def post(self, raw: bytes, *, secret=INBOUND_SECRET, content_type="message/rfc822"):
        headers = {"X-Sopcrm-Inbound-Secret": secret} if secret is not None else {}
        return self.client.post(
            "/api/mail/inbound", raw, content_type=content_type, headers=headers
        )


@pytest.fixture
def webhook(settings, db):
    settings.SOPCRM_INBOUND_SECRET = INBOUND_SECRET
    settings.SOPCRM_REPLY_ADDRESS = REPLY_ADDRESS
    return Webhook()


@pytest.fixture
def api_as(db):
    """A signed-in API client per user: `api_as(user).get("/mail/inbound")`."""

    def make(user):
        client = Client()
        client.force_login(user)
        return client

    return make
