"""A lead's or deal's last contact: what "no contact for N days" views and warnings read."""

from datetime import UTC, datetime

import pytest
import time_machine

from sopcrm.crm.records.services.activities import activity_create
from sopcrm.crm.records.services.leads import lead_create

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def lead(people):
    with time_machine.travel(T0, tick=False):
        return lead_create(actor=people.alice, data={"name": "Ana", "company": "Acme"})


def _log(people, lead, kind: str, direction: str, at: datetime) -> None:
    with time_machine.travel(at, tick=False):
        activity_create(
            actor=people.alice,
            data={"kind": kind, "direction": direction, "summary": "Talked", "lead": lead.pk},
        )


def test_a_logged_call_sets_the_last_contact(people, lead):
    at = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)
    _log(people, lead, "call", "outbound", at)
    lead.refresh_from_db()
    assert lead.last_contact_at == at


def test_a_customer_reply_counts_as_a_contact(people, lead):
    at = datetime(2026, 11, 4, 10, 0, tzinfo=UTC)
    _log(people, lead, "email", "inbound", at)
    lead.refresh_from_db()
    assert lead.last_contact_at == at


def test_a_note_is_not_a_contact(people, lead):
    _log(people, lead, "note", "internal", datetime(2026, 11, 4, 10, 0, tzinfo=UTC))
    lead.refresh_from_db()
    assert lead.last_contact_at is None
