"""Activities through the API: log, plan a task, complete it once."""

import time_machine

from sopcrm.crm.records.models import Activity
from sopcrm.crm.records.services.activities import activity_create
from sopcrm.crm.records.services.leads import lead_create

from .conftest import fields_of

FROZEN = "2025-03-03T09:00:00+08:00"


def test_log_a_call_on_a_lead(people, alice):
    lead = lead_create(actor=people.alice, data={"name": "Ana"})
    response = alice.post(
        "/activities",
        {"kind": "call", "summary": "Wants 500 pumps", "channel": "phone", "lead": lead.pk},
    )
    assert response.status_code == 201
    assert (response.json()["status"], response.json()["lead"]) == ("done", lead.pk)


def test_complete_a_task_records_the_outcome(people, alice):
    lead = lead_create(actor=people.alice, data={"name": "Ana"})
    with time_machine.travel(FROZEN, tick=False):
        task = alice.post(
            "/activities",
            {
                "kind": "task",
                "subject": "Send quote",
                "due_at": "2025-03-04T10:00:00+08:00",
                "lead": lead.pk,
            },
        ).json()
        done = alice.post(
            f"/activities/{task['id']}/complete",
            {"summary": "Quote sent", "feedback_type": "interested"},
        )
    assert done.status_code == 200
    assert done.json()["status"] == "done"
    assert done.json()["completed_at"] == "2025-03-03T01:00:00Z"


def test_completing_a_done_task_is_409(people, alice):
    lead = lead_create(actor=people.alice, data={"name": "Ana"})
    task = alice.post(
        "/activities",
        {"kind": "task", "subject": "Call", "due_at": "2030-01-01T10:00:00Z", "lead": lead.pk},
    ).json()
    alice.post(f"/activities/{task['id']}/complete", {"summary": "Done"})
    response = alice.post(f"/activities/{task['id']}/complete", {"summary": "Again"})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "not_open"


def test_completing_without_summary_is_422(people, alice):
    lead = lead_create(actor=people.alice, data={"name": "Ana"})
    task = alice.post(
        "/activities",
        {"kind": "task", "subject": "Call", "due_at": "2030-01-01T10:00:00Z", "lead": lead.pk},
    ).json()
    response = alice.post(f"/activities/{task['id']}/complete", {})
    assert response.status_code == 422
    assert fields_of(response) == [("summary", "required")]


def test_activity_on_another_reps_lead_is_422_and_not_created(people, alice):
    lead = lead_create(actor=people.bob, data={"name": "Bob's"})
    before = Activity.objects.count()  # the playbook may have planned tasks on the new lead
    response = alice.post("/activities", {"kind": "note", "summary": "x", "lead": lead.pk})
    assert response.status_code == 422
    assert fields_of(response) == [("lead", "not_found")]
    assert Activity.objects.count() == before


def test_rep_lists_activities_on_own_records_only(people, alice):
    own = lead_create(actor=people.alice, data={"name": "Ana"})
    other = lead_create(actor=people.bob, data={"name": "Bo"})
    alice.post("/activities", {"kind": "note", "summary": "mine", "lead": own.pk})
    activity_create(actor=people.bob, data={"kind": "note", "summary": "his", "lead": other.pk})
    items = alice.get("/activities", {"filter": "kind:eq:note"}).json()["items"]
    assert [item["summary"] for item in items] == ["mine"]
    assert {item["lead"] for item in alice.get("/activities").json()["items"]} == {own.pk}
