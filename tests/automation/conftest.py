"""Helpers for walking the default playbook's automation with frozen time: `fire()` runs what a
worker would run at the frozen moment."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from sopcrm.automation.firing import timers_fire_due
from sopcrm.core.models import Event, EventKind
from sopcrm.crm.notifications.models import Notification
from sopcrm.process.models import Timer, TimerStatus

SH = ZoneInfo("Asia/Shanghai")


def at(y, m, d, hh=0, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=SH)


def fire():
    """Fire everything due now, as the worker's tick does."""
    return timers_fire_due(limit=10_000)


def notified(user):
    return list(
        Notification.objects.filter(user=user).order_by("pk").values_list("title", flat=True)
    )


def fired_rules(record_type, record_id):
    return [
        e.data["rule"]
        for e in Event.objects.filter(
            record_type=record_type, record_id=record_id, kind=EventKind.RULE_FIRED
        ).order_by("pk")
    ]


def pending(record_type, record_id, kind=None):
    rows = Timer.objects.filter(
        record_type=record_type, record_id=record_id, status=TimerStatus.PENDING
    )
    if kind:
        rows = rows.filter(kind=kind)
    return {t.key: t.due_at for t in rows}


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
