"""Activities: logged contacts need a summary (S-03); tasks are open until completed."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from sopcrm.core.errors import Conflict, InvalidInput
from sopcrm.core.models import Event, EventKind
from sopcrm.crm.records.models import Activity, ActivityStatus
from sopcrm.crm.records.services.activities import (
    activity_cancel,
    activity_complete,
    activity_create,
)
from sopcrm.crm.records.services.leads import lead_create

NOON = datetime(2026, 3, 2, 4, 0, tzinfo=UTC)


@pytest.fixture
def lead(people):
    return lead_create(actor=people.alice, data={"name": "Buyer"})


def test_logged_call_without_summary_is_refused(people, lead):
    with pytest.raises(InvalidInput) as error:
        activity_create(actor=people.alice, data={"kind": "call", "lead": lead.pk})
    assert error.value.problems[0].field == "summary"


def test_logged_call_may_have_happened_earlier(people, lead):
    with time_machine.travel(NOON, tick=False):
        call = activity_create(
            actor=people.alice,
            data={
                "kind": "call",
                "summary": "Talked",
                "lead": lead.pk,
                "occurred_at": (NOON - timedelta(hours=5)).isoformat(),
            },
        )
    assert call.occurred_at == NOON - timedelta(hours=5)
    assert call.created_at == NOON


def test_activity_in_the_future_cannot_be_logged(people, lead):
    with time_machine.travel(NOON, tick=False), pytest.raises(InvalidInput) as error:
        activity_create(
            actor=people.alice,
            data={
                "kind": "call",
                "summary": "x",
                "lead": lead.pk,
                "occurred_at": (NOON + timedelta(hours=1)).isoformat(),
            },
        )
    assert error.value.problems[0].code == "in_future"


def test_activity_must_be_about_a_record(people):
    with pytest.raises(InvalidInput) as error:
        activity_create(actor=people.alice, data={"kind": "note", "summary": "x"})
    assert error.value.problems[0].field == "lead"


def test_task_needs_a_due_time(people, lead):
    with pytest.raises(InvalidInput) as error:
        activity_create(
            actor=people.alice, data={"kind": "task", "subject": "Call", "lead": lead.pk}
        )
    assert error.value.problems[0].field == "due_at"


def test_task_starts_open(people, lead):
    task = activity_create(
        actor=people.alice,
        data={
            "kind": "task",
            "subject": "Call",
            "lead": lead.pk,
            "due_at": "2026-03-03T10:00:00+08:00",
        },
    )
    assert task.status == ActivityStatus.OPEN


def test_completing_a_task_requires_a_summary(people, lead):
    task = activity_create(
        actor=people.alice,
        data={
            "kind": "task",
            "subject": "Call",
            "lead": lead.pk,
            "due_at": "2026-03-03T10:00:00+08:00",
        },
    )
    with pytest.raises(InvalidInput):
        activity_complete(task, actor=people.alice, data={"channel": "phone"})
    assert Activity.objects.get(pk=task.pk).status == ActivityStatus.OPEN


def test_completing_a_task_logs_on_the_record(people, lead):
    task = activity_create(
        actor=people.alice,
        data={
            "kind": "task",
            "subject": "Call",
            "lead": lead.pk,
            "due_at": "2026-03-03T10:00:00+08:00",
        },
    )
    activity_complete(
        task,
        actor=people.alice,
        data={"summary": "Reached him", "channel": "phone", "feedback_type": "price_objection"},
    )
    event = Event.objects.get(record_id=lead.pk, kind=EventKind.ACTIVITY_COMPLETED)
    assert (event.data["feedback_type"], event.data["channel"]) == ("price_objection", "phone")


def test_completed_task_cannot_be_completed_again(people, lead):
    task = activity_create(
        actor=people.alice,
        data={
            "kind": "task",
            "subject": "Call",
            "lead": lead.pk,
            "due_at": "2026-03-03T10:00:00+08:00",
        },
    )
    activity_complete(task, actor=people.alice, data={"summary": "Done"})
    with pytest.raises(Conflict):
        activity_complete(task, actor=people.alice, data={"summary": "Again"})


def test_cancelled_task_is_logged_on_the_record_with_reason(people, lead):
    task = activity_create(
        actor=people.alice,
        data={
            "kind": "task",
            "subject": "Call",
            "lead": lead.pk,
            "due_at": "2026-03-03T10:00:00+08:00",
        },
    )
    activity_cancel(task, actor=people.alice, reason="Customer called first")
    event = Event.objects.get(record_id=lead.pk, kind=EventKind.ACTIVITY_CANCELLED)
    assert event.data["summary"] == "Customer called first"
