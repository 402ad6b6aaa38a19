"""S-16 through the API: the owner's manager (or an admin) may move a record off the standard
path, with a documented reason that is logged; a rep may not."""

import pytest

from sopcrm.core.models import Event, EventKind
from sopcrm.crm.records.models import Deal, Lead

from .conftest import at, tasks_of, unchanged, utc
from .flow import new_deal, problems


def test_the_managers_exception_moves_new_to_quoted_and_logs_the_reason(clients, people, frozen):
    frozen(at(2025, 11, 3, 10))
    deal = new_deal(clients.alice, "VIP framework")
    frozen(at(2025, 11, 3, 16))
    response = clients.east_manager.post(
        f"/deals/{deal['id']}/exception", {"stage": "quoted", "reason": "VIP framework agreement"}
    )
    assert response.status_code == 200
    moved = response.json()
    assert (moved["id"], moved["stage"], moved["substate"]) == (deal["id"], "quoted", "pending_1st")
    assert moved["stage_entered_at"] == utc(at(2025, 11, 3, 16))
    # On the timeline, with the reason, by the manager.
    timeline = clients.alice.get(f"/deals/{deal['id']}/timeline").json()["items"]
    entered = next(e for e in timeline if e["kind"] == "stage_entered")
    left = next(e for e in timeline if e["kind"] == "stage_left")
    assert (entered["actor"], entered["data"]["exception"], entered["data"]["from"]) == (
        people.east_manager.pk,
        "VIP framework agreement",
        "new",
    )
    assert (left["data"]["exception"], left["data"]["to"]) == ("VIP framework agreement", "quoted")
    assert "transition" not in entered["data"]
    # The process carries on from the new stage: its tasks, and the first-contact task cancelled.
    tasks = tasks_of(clients.alice, "deal", deal["id"])
    assert {"quote_confirmation", "opportunity_assessment", "quote_check_14", "chase_1"} <= set(
        tasks
    )
    assert "first_contact" in tasks_of(clients.alice, "deal", deal["id"], status="cancelled")


def test_an_admin_may_authorise_an_exception(clients):
    lead = clients.alice.post("/leads", {"name": "Ana"}).json()
    response = clients.admin.post(
        f"/leads/{lead['id']}/exception", {"stage": "qualified", "reason": "Known buyer"}
    )
    assert (response.status_code, response.json()["stage"]) == (200, "qualified")


@pytest.mark.parametrize("record_type", ["deal", "lead"])
def test_a_rep_may_not_even_on_their_own_record(clients, record_type):
    body = {"title": "V"} if record_type == "deal" else {"name": "Ana"}
    created = clients.alice.post(f"/{record_type}s", body).json()
    model = Deal if record_type == "deal" else Lead
    with unchanged(model.objects.get(pk=created["id"])):
        response = clients.alice.post(
            f"/{record_type}s/{created['id']}/exception", {"stage": "contacted", "reason": "Please"}
        )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_another_teams_manager_gets_404(clients):
    deal = new_deal(clients.alice)
    with unchanged(Deal.objects.get(pk=deal["id"])):
        response = clients.west_manager.post(
            f"/deals/{deal['id']}/exception", {"stage": "quoted", "reason": "x"}
        )
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"stage": "quoted", "reason": "  "}, [("reason", "required")]),
        ({"stage": "quoted"}, [("reason", "required")]),
        ({"stage": "shipped", "reason": "VIP"}, [("stage", "unknown_stage")]),
        ({"stage": "new", "reason": "VIP"}, [("stage", "same_stage")]),
        (
            {"stage": "quoted", "reason": "VIP", "skip_tasks": True},
            [("skip_tasks", "unknown_field")],
        ),
        ({"stage": 3, "reason": "VIP"}, [("stage", "type")]),
    ],
    ids=[
        "blank-reason",
        "no-reason",
        "unknown-stage",
        "same-stage",
        "unknown-key",
        "stage-not-text",
    ],
)
def test_a_bad_exception_is_422_and_changes_nothing(clients, body, expected):
    deal = new_deal(clients.alice)
    events = Event.objects.filter(kind=EventKind.STAGE_ENTERED).count()
    with unchanged(Deal.objects.get(pk=deal["id"])):
        response = clients.east_manager.post(f"/deals/{deal['id']}/exception", body)
    assert response.status_code == 422
    assert problems(response.json()) == expected
    assert Event.objects.filter(kind=EventKind.STAGE_ENTERED).count() == events
