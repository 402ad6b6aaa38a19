"""S-33: a quote with a discount above 20% waits for the owner's manager; S-16: a manager's
documented exception lets a record skip a step."""

import pytest

from sopcrm.core.errors import Conflict, InvalidInput, PermissionDenied
from sopcrm.core.models import Event, EventKind
from sopcrm.crm.records.models import ApprovalRequest, ApprovalStatus
from sopcrm.crm.records.services.deals import deal_create, deal_update
from sopcrm.crm.records.services.transitions import (
    approval_decide,
    record_exception_move,
    record_transition,
)

from .test_export_deal_flow import CONFIRM, CONTACT, QUOTE, move


@pytest.fixture
def ready_to_quote(people):
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    deal = move(deal, "contact", CONTACT, people.alice)
    deal = move(deal, "confirm_requirements", CONFIRM, people.alice)
    return deal_update(deal, actor=people.alice, data={"custom": {"discount_percent": 25}})


def request_quote(deal, people):
    return record_transition(deal, transition="send_quote", data=QUOTE, actor=people.alice)


def test_discount_above_20_percent_creates_an_approval_request_instead(people, ready_to_quote):
    result = request_quote(ready_to_quote, people)
    ready_to_quote.refresh_from_db()
    assert not result.executed and result.approval.status == ApprovalStatus.PENDING
    assert ready_to_quote.stage == "requirements_confirmed"


def test_discount_of_20_percent_needs_no_approval(people, ready_to_quote):
    deal = deal_update(
        ready_to_quote, actor=people.alice, data={"custom": {"discount_percent": 20}}
    )
    assert request_quote(deal, people).executed


def test_only_one_approval_may_be_pending(people, ready_to_quote):
    request_quote(ready_to_quote, people)
    with pytest.raises(Conflict):
        request_quote(ready_to_quote, people)


def test_manager_approval_executes_the_transition_with_the_submitted_values(people, ready_to_quote):
    request = request_quote(ready_to_quote, people).approval
    approval_decide(
        request, actor=people.east_manager, approve=True, comment="OK for this key account"
    )
    ready_to_quote.refresh_from_db()
    assert ready_to_quote.stage == "quoted"
    assert ready_to_quote.custom["quote_date"] == QUOTE["quote_date"]


def test_rejection_keeps_the_deal_and_needs_a_comment(people, ready_to_quote):
    request = request_quote(ready_to_quote, people).approval
    with pytest.raises(InvalidInput):
        approval_decide(request, actor=people.east_manager, approve=False, comment="")
    approval_decide(request, actor=people.east_manager, approve=False, comment="Max 15%")
    ready_to_quote.refresh_from_db()
    assert ready_to_quote.stage == "requirements_confirmed"
    assert ApprovalRequest.objects.get(pk=request.pk).status == ApprovalStatus.REJECTED


def test_rep_cannot_approve(people, ready_to_quote):
    request = request_quote(ready_to_quote, people).approval
    with pytest.raises(PermissionDenied):
        approval_decide(request, actor=people.bob, approve=True, comment="")


def test_manager_of_another_team_cannot_approve(people, ready_to_quote):
    request = request_quote(ready_to_quote, people).approval
    with pytest.raises(PermissionDenied):
        approval_decide(request, actor=people.west_manager, approve=True, comment="")


def test_request_and_decision_are_on_the_timeline(people, ready_to_quote):
    request = request_quote(ready_to_quote, people).approval
    approval_decide(request, actor=people.east_manager, approve=True, comment="OK")
    kinds = set(Event.objects.filter(record_id=ready_to_quote.pk).values_list("kind", flat=True))
    assert {EventKind.APPROVAL_REQUESTED, EventKind.APPROVAL_DECIDED} <= kinds


def test_manager_exception_skips_a_step_and_is_logged(people):
    deal = deal_create(actor=people.alice, data={"title": "VIP project"})
    deal = record_exception_move(
        deal, to_stage="quoted", reason="VIP framework agreement", actor=people.east_manager
    )
    assert (deal.stage, deal.substate) == ("quoted", "pending_1st")
    entered = Event.objects.filter(record_id=deal.pk, kind=EventKind.STAGE_ENTERED).last()
    assert entered.data["exception"] == "VIP framework agreement"


def test_rep_cannot_authorise_an_exception(people):
    deal = deal_create(actor=people.alice, data={"title": "VIP project"})
    with pytest.raises(PermissionDenied):
        record_exception_move(deal, to_stage="quoted", reason="Please", actor=people.alice)


def test_exception_needs_a_reason(people):
    deal = deal_create(actor=people.alice, data={"title": "VIP project"})
    with pytest.raises(InvalidInput):
        record_exception_move(deal, to_stage="quoted", reason=" ", actor=people.east_manager)
