"""Helpers for walking the default playbook's automation with frozen time: `fire()` runs what a
worker would run at the frozen moment."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from sopcrm.automation.firing import timers_fire_due
from sopcrm.core.clock import now
from sopcrm.core.models import Event, EventKind, RecordType
from sopcrm.crm.notifications.models import Notification
from sopcrm.crm.records.models import Activity, ActivityKind, ActivityStatus
from sopcrm.process.models import Timer, TimerKind, TimerStatus

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


def due_tasks(owner, deals, count, *, due_at):
    """`count` open tasks due from `due_at` on (a second apart), spread over `deals`, each with
    its pending task_due timer: rows written in bulk, as a data generator would."""
    at = now()
    tasks = Activity.objects.bulk_create(
        Activity(
            kind=ActivityKind.TASK,
            status=ActivityStatus.OPEN,
            subject=f"Follow up {n}",
            due_at=due_at + timedelta(seconds=n),
            owner=owner,
            created_by=owner,
            deal=deals[n % len(deals)],
            created_at=at,
            updated_at=at,
        )
        for n in range(count)
    )
    Timer.objects.bulk_create(
        Timer(
            kind=TimerKind.TASK_DUE,
            record_type=RecordType.ACTIVITY,
            record_id=task.pk,
            due_at=task.due_at,
            created_at=at,
        )
        for task in tasks
    )
    return tasks
