"""`events_batch`: a service's events held back and written with one insert at its end."""

import pytest

from sopcrm.core.events import event_record, events_batch, events_pending
from sopcrm.core.models import Event


class _Failed(Exception):
    pass


def _log(name: str) -> None:
    event_record(record_type="lead", record_id=1, kind="note", actor=None, data={"n": name})


def _written() -> list[str]:
    return [event.data["n"] for event in Event.objects.order_by("pk")]


@pytest.mark.django_db
def test_a_batch_writes_its_events_at_its_end_in_the_order_logged():
    with events_batch():
        _log("a")
        _log("b")
        assert _written() == []
        assert [event.data["n"] for event in events_pending()] == ["a", "b"]
    assert _written() == ["a", "b"]


@pytest.mark.django_db
def test_a_failed_inner_batch_drops_its_events_and_keeps_the_outer_ones():
    with events_batch():
        _log("before")
        with pytest.raises(_Failed), events_batch():
            _log("undone")
            raise _Failed
        with events_batch():
            _log("after")
    assert _written() == ["before", "after"]


@pytest.mark.django_db
def test_a_failed_batch_writes_nothing():
    with pytest.raises(_Failed), events_batch():
        _log("undone")
        raise _Failed
    assert _written() == []
    assert events_pending() == []
