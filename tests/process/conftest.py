"""Helpers for walking records through the export-trade playbook with frozen time."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from sopcrm.crm.records.models import Activity, ActivityStatus

SH = ZoneInfo("Asia/Shanghai")


def at(y, m, d, hh=0, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=SH)


def open_tasks(record):
    link = "lead" if record.__class__.__name__ == "Lead" else "deal"
    return {
        t.template_key: t
        for t in Activity.objects.filter(**{link: record}, status=ActivityStatus.OPEN)
    }


@pytest.fixture
def frozen(request):
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
