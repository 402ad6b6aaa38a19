"""S-17 end to end with the default playbook: the first-response clock of an inquiry, its
reminder, breach and reassignment, stopped by the first outbound contact."""

from sopcrm.core.models import Event, EventKind
from sopcrm.crm.records.models import Activity, SlaClock
from sopcrm.crm.records.services.activities import activity_create
from sopcrm.crm.records.services.leads import lead_create, lead_update
from sopcrm.crm.records.services.transitions import record_transition

from .conftest import at, fire, fired_rules, notified, pending

MONDAY = at(2025, 11, 3, 10)


def new_lead(people, frozen, **data):
    frozen(MONDAY)
    return lead_create(actor=people.alice, data={"name": "Ana", "company": "Acme", **data})


def clock_of(lead):
    return SlaClock.objects.get(record_type="lead", record_id=lead.pk, sla="first_response")


def log_call(people, lead, direction="outbound"):
    return activity_create(
        actor=people.alice,
        data={
            "kind": "call",
            "direction": direction,
            "summary": "Confirmed spec and quantity",
            "lead": lead.pk,
        },
    )


def test_the_clock_runs_24_working_hours_from_receipt_with_a_reminder_4_hours_before(
    people, frozen
):
    lead = new_lead(people, frozen)
    clock = clock_of(lead)
    assert (clock.state, clock.due_at, clock.at_risk_at) == (
        "running",
        at(2025, 11, 4, 10),
        at(2025, 11, 4, 6),
    )
    assert pending("lead", lead.pk, "sla") == {
        "first_response:at_risk": at(2025, 11, 4, 6),
        "first_response:breached": at(2025, 11, 4, 10),
        "first_response:reassign": at(2025, 11, 5, 10),
    }


def test_an_inquiry_received_on_saturday_is_due_24_hours_into_monday(people, frozen):
    frozen(at(2025, 11, 8, 15))
    lead = lead_create(actor=people.alice, data={"name": "Ana"})
    assert clock_of(lead).due_at == at(2025, 11, 11, 0)


def test_nothing_fires_before_the_at_risk_point(people, frozen):
    lead = new_lead(people, frozen)
    frozen(at(2025, 11, 4, 5, 59))
    fire()
    assert (notified(people.alice), fired_rules("lead", lead.pk)) == ([], [])


def test_at_risk_reminds_the_owner_only(people, frozen):
    lead = new_lead(people, frozen)
    frozen(at(2025, 11, 4, 6, 1))
    fire()
    assert notified(people.alice) == ["请在 2025-11-04 10:00 前回复 Ana"]
    assert notified(people.east_manager) == []
    assert fired_rules("lead", lead.pk) == ["first_response_at_risk"]


def test_breach_notifies_the_manager_and_the_owner(people, frozen):
    lead = new_lead(people, frozen)
    frozen(at(2025, 11, 4, 10, 1))
    fire()
    assert notified(people.east_manager) == ["Ana 未按时首次响应"]
    assert "Ana 未按时首次响应" in notified(people.alice)
    assert clock_of(lead).breached_at == at(2025, 11, 4, 10)
    assert Event.objects.filter(record_id=lead.pk, kind=EventKind.SLA_BREACHED).count() == 1


def test_each_point_fires_once_however_often_the_worker_runs(people, frozen):
    lead = new_lead(people, frozen)
    frozen(at(2025, 11, 4, 10, 1))
    fire()
    fire()
    frozen(at(2025, 11, 4, 10, 2))
    fire()
    assert fired_rules("lead", lead.pk) == ["first_response_at_risk", "first_response_breached"]


def test_still_unanswered_a_working_day_after_the_breach_goes_to_the_least_loaded_rep(
    people, frozen
):
    lead = new_lead(people, frozen)
    frozen(at(2025, 11, 5, 10, 1))
    fire()
    lead.refresh_from_db()
    assert lead.owner == people.bob
    task = Activity.objects.get(lead=lead, template_key="first_contact")
    assert task.owner == people.bob
    assert notified(people.bob) == ["Ana 仍未响应，已改派给 bob"]
    assert fired_rules("lead", lead.pk)[-1] == "first_response_reassign"


def test_a_first_outbound_contact_in_time_stops_the_clock(people, frozen):
    lead = new_lead(people, frozen)
    frozen(at(2025, 11, 3, 15))
    log_call(people, lead)
    clock = clock_of(lead)
    assert (clock.state, clock.responded_at) == ("met", at(2025, 11, 3, 15))
    assert pending("lead", lead.pk, "sla") == {}
    frozen(at(2025, 11, 6, 12))
    fire()
    assert notified(people.alice) == notified(people.east_manager) == []
    assert fired_rules("lead", lead.pk) == []


def test_an_inbound_message_is_not_a_response(people, frozen):
    lead = new_lead(people, frozen)
    log_call(people, lead, direction="inbound")
    assert clock_of(lead).state == "running"


def test_completing_the_first_contact_through_the_transition_is_the_response(people, frozen):
    lead = new_lead(people, frozen)
    frozen(at(2025, 11, 3, 16))
    record_transition(
        lead,
        transition="contact",
        data={
            "first_contact_channel": "email",
            "requirements_clear": True,
            "expected_purchase_time": "next_month",
        },
        actor=people.alice,
    )
    assert clock_of(lead).state == "met"


def test_a_response_after_the_breach_is_recorded_as_missed(people, frozen):
    lead = new_lead(people, frozen)
    frozen(at(2025, 11, 4, 11))
    fire()
    log_call(people, lead)
    met = Event.objects.get(record_id=lead.pk, kind=EventKind.SLA_MET)
    assert clock_of(lead).state == "missed"
    assert (met.data["within_target"], met.data["minutes"]) == (False, 1500.0)


# Eight checklist items clear make an inquiry high priority (S-27; records/test_qualification.py).
EIGHT_CLEAR = [
    "specification",
    "quantity",
    "lead_time",
    "certification",
    "material",
    "application",
    "target_price",
    "payment_terms",
]


def test_a_high_priority_inquiry_has_12_hours(people, frozen):
    lead = new_lead(people, frozen, custom={"checklist": EIGHT_CLEAR})
    assert clock_of(lead).due_at == at(2025, 11, 3, 22)


def test_raising_the_priority_later_moves_the_points(people, frozen):
    lead = new_lead(people, frozen)
    frozen(at(2025, 11, 3, 11))
    lead_update(lead, actor=people.alice, data={"custom": {"checklist": EIGHT_CLEAR}})
    assert clock_of(lead).due_at == at(2025, 11, 3, 22)
    assert pending("lead", lead.pk, "sla")["first_response:breached"] == at(2025, 11, 3, 22)


def test_an_imported_inquiry_received_days_ago_breaches_on_the_next_run(people, frozen):
    frozen(at(2025, 11, 4, 9))
    lead = lead_create(
        actor=people.alice,
        data={"name": "Old", "received_at": "2025-10-31T10:00:00+08:00"},
    )
    assert clock_of(lead).due_at == at(2025, 11, 3, 10)
    fire()
    assert fired_rules("lead", lead.pk) == ["first_response_at_risk", "first_response_breached"]
    breach = Event.objects.get(record_id=lead.pk, kind=EventKind.SLA_BREACHED)
    assert "late" not in breach.data  # due before the record existed: not the worker's delay


def test_disqualifying_before_any_response_ends_the_clock_without_alerts(people, frozen):
    lead = new_lead(people, frozen)
    record_transition(
        lead, transition="disqualify", data={"disqualify_reason": "spam"}, actor=people.alice
    )
    assert clock_of(lead).state == "ended"
    assert pending("lead", lead.pk, "sla") == {}
    frozen(at(2025, 11, 6, 12))
    fire()
    assert notified(people.east_manager) == []
