"""`sopcrm mail deliver` and `sopcrm mail send-test`."""

from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from sopcrm.crm.mail.models import OutboundEmail, OutboundStatus
from sopcrm.crm.mail.services.outbox import email_queue

from .conftest import free_port, smtp_mailer


def run(*args) -> str:
    out = StringIO()
    call_command("mail", *args, stdout=out)
    return out.getvalue()


def test_deliver_sends_the_due_outbox(people):
    email_queue(
        to=["buyer@example.com"], subject="Hi", text="Hi", sender=people.alice, idempotency_key="k"
    )
    assert "Sent 1 messages." in run("deliver")
    assert OutboundEmail.objects.get().status == OutboundStatus.SENT
    assert [m.subject for m in mail.outbox] == ["Hi"]


def test_send_test_goes_through_the_configured_mailer(smtp):
    assert "Sent a test message to me@example.com." in run("send-test", "--to", "me@example.com")
    assert smtp.received[0].rcpt_tos == ["me@example.com"]


def test_send_test_reports_the_backends_error(settings, db):
    settings.MAILERS = {**settings.MAILERS, "smtp": smtp_mailer(free_port())}
    settings.SOPCRM_MAILER = "smtp"
    with pytest.raises(CommandError, match="Sending failed"):
        run("send-test", "--to", "me@example.com")
