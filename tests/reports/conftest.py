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
