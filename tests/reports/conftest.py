"""Shared helpers for the report tests: histories are built through the services with frozen
time, so every figure can be asserted exactly."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

SH = ZoneInfo("Asia/Shanghai")


def at(y, m, d, hh=0, mm=0):
    """A moment in the server's (and the export-trade calendar's) time zone."""
    return datetime(y, m, d, hh, mm, tzinfo=SH)


@pytest.fixture
def frozen():
    """`frozen(datetime)` freezes the clock there for the rest of the test."""
    import time_machine

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


def log_contact(actor, record, *, kind="call", channel="phone", direction="outbound"):
    """Log a completed contact on a lead or deal at the frozen moment (the real write path: a
    first outbound contact stops the record's response clock)."""
    from sopcrm.crm.records.models import Lead
    from sopcrm.crm.records.services.activities import activity_create

    link = "lead" if isinstance(record, Lead) else "deal"
    return activity_create(
        actor=actor,
        data={
            "kind": kind,
            "channel": channel,
            "direction": direction,
            "summary": "Talked about the order.",
            link: record.pk,
        },
    )


def move(record, key, data, actor):
    """Take one playbook transition (the real write path) and return the moved record."""
    from sopcrm.crm.records.services.transitions import record_transition

    return record_transition(record, transition=key, data=data, actor=actor).record


def quote(deal, actor):
    """Take a new export-trade deal to Quoted at the frozen moment: contact (which completes its
    first-contact task, an e-mail to the customer), requirements, quote."""
    from ..web.conftest import CONFIRM, CONTACT, QUOTE

    for key, data in (
        ("contact", CONTACT),
        ("confirm_requirements", CONFIRM),
        ("send_quote", QUOTE),
    ):
        deal = move(deal, key, data, actor)
    return deal
