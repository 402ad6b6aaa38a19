"""The export-trade flow through the API (S-04, S-09..S-11, S-13, S-15, S-20..S-22): each
transition asks for its fields and reports every missing one at once, the process creates its
tasks on business time, and a refused call changes nothing."""

from datetime import timedelta

import pytest

from sopcrm.crm.records.models import Deal, Lead

from .conftest import at, tasks_of, unchanged, utc
from .flow import (
    ALL_CLEAR,
    CONFIRM,
    CONTACT,
    LOSE,
    OUTCOME,
    QUOTE,
    deal_at,
    new_deal,
    problems,
    take,
)

# -- S-09: first contact ------------------------------------------------------------------------


@pytest.mark.parametrize("record_type", ["lead", "deal"])
def test_contact_without_the_s09_fields_is_422_naming_all_three(clients, people, record_type):
    body = {"name": "Ana"} if record_type == "lead" else {"title": "Valves"}
    created = clients.alice.post(f"/{record_type}s", body).json()
    record = (Lead if record_type == "lead" else Deal).objects.get(pk=created["id"])
    with unchanged(record):
        body = take(clients.alice, record_type, record.pk, "contact", {}, expect=422)
    assert body["error"]["code"] == "invalid"
    assert problems(body) == [
        ("first_contact_channel", "required"),
        ("requirements_clear", "required"),
        ("expected_purchase_time", "required"),
    ]


def test_contact_with_some_fields_names_the_rest_and_keeps_none(clients, people):
    lead = clients.alice.post("/leads", {"name": "Ana"}).json()
    record = Lead.objects.get(pk=lead["id"])
    with unchanged(record):
        body = take(
            clients.alice,
            "lead",
            lead["id"],
            "contact",
            {"first_contact_channel": "email"},
            expect=422,
        )
    assert problems(body) == [
        ("requirements_clear", "required"),
        ("expected_purchase_time", "required"),
    ]


def test_lead_contact_with_the_fields_enters_contacted_and_completes_first_contact(clients, frozen):
    frozen(at(2025, 11, 4, 10))
    lead = clients.alice.post("/leads", {"name": "Ana"}).json()
    assert set(tasks_of(clients.alice, "lead", lead["id"])) == {"first_contact"}
    frozen(at(2025, 11, 4, 15))
    moved = take(clients.alice, "lead", lead["id"], "contact", CONTACT)
    assert (moved["stage"], moved["stage_label"], moved["substate"]) == (
        "contacted",
        "Contacted",
        None,
    )
    assert moved["stage_entered_at"] == utc(at(2025, 11, 4, 15))
    assert {k: moved["custom"][k] for k in CONTACT} == CONTACT
    done = tasks_of(clients.alice, "lead", lead["id"], status="done")["first_contact"]
    assert done["completed_at"] == utc(at(2025, 11, 4, 15))
    assert tasks_of(clients.alice, "lead", lead["id"]) == {}
    kinds = [e["kind"] for e in clients.alice.get(f"/leads/{lead['id']}/timeline").json()["items"]]
    assert {"stage_left", "stage_entered", "activity_completed"} <= set(kinds)


def test_a_value_of_the_wrong_type_is_named_by_its_key(clients):
    lead = clients.alice.post("/leads", {"name": "Ana"}).json()
    record = Lead.objects.get(pk=lead["id"])
    with unchanged(record):
        body = take(
            clients.alice,
            "lead",
            lead["id"],
            "contact",
            {**CONTACT, "first_contact_channel": "fax", "requirements_clear": "yes"},
            expect=422,
        )
    assert dict(problems(body)).keys() == {"first_contact_channel", "requirements_clear"}


def test_a_field_the_transition_does_not_ask_for_is_refused(clients):
    lead = clients.alice.post("/leads", {"name": "Ana"}).json()
    record = Lead.objects.get(pk=lead["id"])
    with unchanged(record):
        body = take(
            clients.alice, "lead", lead["id"], "contact", {**CONTACT, "quantity": 5}, expect=422
        )
    assert problems(body) == [("quantity", "not_asked")]


def test_an_unknown_transition_is_422(clients):
    deal = new_deal(clients.alice)
    with unchanged(Deal.objects.get(pk=deal["id"])):
        body = take(clients.alice, "deal", deal["id"], "teleport", {}, expect=422)
    assert problems(body) == [("transition", "unknown")]


@pytest.mark.parametrize(
    "body",
    [
        {"data": {}},
        {"transition": "contact", "data": {}, "force": True},
        {"transition": "contact", "data": ["first_contact_channel"]},
        {"transition": 7},
    ],
    ids=["no-transition", "unknown-key", "data-not-an-object", "transition-not-text"],
)
def test_malformed_bodies_are_422(clients, body):
    deal = new_deal(clients.alice)
    with unchanged(Deal.objects.get(pk=deal["id"])):
        response = clients.alice.post(f"/deals/{deal['id']}/transitions", body)
    assert response.status_code == 422
    assert response.json()["error"]["fields"]


def test_skipping_a_stage_is_409_stale_stage(clients):
    deal = new_deal(clients.alice)
    with unchanged(Deal.objects.get(pk=deal["id"])):
        body = take(clients.alice, "deal", deal["id"], "send_quote", QUOTE, expect=409)
    assert body["error"]["code"] == "stale_stage"


# -- S-13, S-10: what must be known before and with the quote -----------------------------------


def test_confirming_requirements_needs_the_four_s13_points(clients):
    deal = deal_at(clients.alice, "contacted")
    with unchanged(Deal.objects.get(pk=deal["id"])):
        body = take(clients.alice, "deal", deal["id"], "confirm_requirements", {}, expect=422)
    assert problems(body) == [(key, "required") for key in CONFIRM]
    moved = take(clients.alice, "deal", deal["id"], "confirm_requirements", CONFIRM)
    assert moved["stage"] == "requirements_confirmed"
    assert moved["custom"]["target_price"] == {"amount": "12.50", "currency": "USD"}


def test_send_quote_needs_the_s10_fields(clients):
    deal = deal_at(clients.alice, "requirements_confirmed")
    with unchanged(Deal.objects.get(pk=deal["id"])):
        body = take(clients.alice, "deal", deal["id"], "send_quote", {}, expect=422)
    # The lead-time requirement is known from confirming the requirements.
    assert problems(body) == [(key, "required") for key in QUOTE]


def test_send_quote_asks_for_the_lead_time_again_if_it_was_cleared(clients):
    deal = deal_at(clients.alice, "requirements_confirmed")
    clients.alice.patch(f"/deals/{deal['id']}", {"custom": {"lead_time_requirement": None}})
    body = take(clients.alice, "deal", deal["id"], "send_quote", {}, expect=422)
    assert {field for field, _code in problems(body)} == {*QUOTE, "lead_time_requirement"}


def test_quote_valid_until_before_the_quote_date_breaks_the_rule(clients):
    deal = deal_at(clients.alice, "requirements_confirmed")
    data = {**QUOTE, "quote_valid_until": "2025-11-02"}
    with unchanged(Deal.objects.get(pk=deal["id"])):
        body = take(clients.alice, "deal", deal["id"], "send_quote", data, expect=422)
        chinese = take(
            clients.alice, "deal", deal["id"], "send_quote", data, expect=422, language="zh-hans"
        )
    assert body["error"]["fields"] == [
        {
            "field": "transition",
            "code": "rule",
            "message": "The quote must be valid on or after the quote date.",
        }
    ]
    assert chinese["error"]["fields"][0]["message"] == "报价有效期不能早于报价日期。"


def test_valid_until_on_the_quote_date_is_enough(clients):
    deal = deal_at(clients.alice, "requirements_confirmed")
    moved = take(
        clients.alice,
        "deal",
        deal["id"],
        "send_quote",
        {**QUOTE, "quote_valid_until": "2025-11-03"},
    )
    assert moved["stage"] == "quoted"


def test_invalid_quote_values_are_all_reported(clients):
    deal = deal_at(clients.alice, "requirements_confirmed")
    data = {**QUOTE, "quote_date": "03/11/2025", "quote_channel": "fax"}
    with unchanged(Deal.objects.get(pk=deal["id"])):
        body = take(clients.alice, "deal", deal["id"], "send_quote", data, expect=422)
    assert [field for field, _code in problems(body)] == ["quote_date", "quote_channel"]


# -- S-15, S-20, S-21: entering Quoted and the chase cadence ------------------------------------


@pytest.fixture
def quoted(clients, frozen):
    """Alice's deal, quoted on Monday 3 Nov 2025 10:00 with quote date 3 Nov."""
    frozen(at(2025, 11, 3, 10))
    return deal_at(clients.alice, "quoted")


def test_entering_quoted_starts_at_pending_1st_follow_up(clients, quoted):
    assert (quoted["stage"], quoted["substate"], quoted["substate_label"]) == (
        "quoted",
        "pending_1st",
        "Pending 1st follow-up",
    )
    assert {k: quoted["custom"][k] for k in QUOTE} == QUOTE
    chinese = clients.alice.get(f"/deals/{quoted['id']}", language="zh-hans").json()
    assert (chinese["stage_label"], chinese["substate_label"]) == ("已报价", "待第一次跟进")


def test_entering_quoted_creates_the_s20_tasks(clients, quoted):
    tasks = tasks_of(clients.alice, "deal", quoted["id"])
    assert tasks["quote_confirmation"]["due_at"] == utc(at(2025, 11, 5, 10))
    assert tasks["opportunity_assessment"]["due_at"] == utc(at(2025, 11, 10, 10))
    assert tasks["quote_check_14"]["due_at"] == utc(at(2025, 11, 17, 10))
    assert set(tasks) == {
        "quote_confirmation",
        "opportunity_assessment",
        "quote_check_14",
        "chase_1",
    }


def test_first_chase_is_due_at_the_end_of_quote_date_plus_3_days(clients, quoted):
    chase = tasks_of(clients.alice, "deal", quoted["id"])["chase_1"]
    assert chase["due_at"] == utc(at(2025, 11, 7, 0)) == "2025-11-06T16:00:00Z"
    assert chase["completion_requires"] == ["channel", "feedback_type", "new_information"]


def test_first_chase_follows_the_quote_date_not_the_day_it_was_sent(clients, frozen):
    frozen(at(2025, 11, 5, 16))
    deal = deal_at(clients.alice, "requirements_confirmed")
    take(clients.alice, "deal", deal["id"], "send_quote", QUOTE)  # quote dated 3 Nov
    chase = tasks_of(clients.alice, "deal", deal["id"])["chase_1"]
    assert chase["due_at"] == utc(at(2025, 11, 7, 0))


def complete(client, task, body, expect=200):
    response = client.post(f"/activities/{task['id']}/complete", body)
    assert response.status_code == expect, response.json()
    return response.json()


def test_completing_a_chase_needs_channel_feedback_type_and_new_information(clients, quoted):
    chase = tasks_of(clients.alice, "deal", quoted["id"])["chase_1"]
    with unchanged(Deal.objects.get(pk=quoted["id"])):
        body = complete(clients.alice, chase, {"summary": "Called"}, expect=422)
    assert problems(body) == [
        ("channel", "required"),
        ("feedback_type", "required"),
        ("new_information", "required"),
    ]
    with unchanged(Deal.objects.get(pk=quoted["id"])):
        body = complete(clients.alice, chase, {}, expect=422)
    assert problems(body) == [
        ("summary", "required"),
        ("channel", "required"),
        ("feedback_type", "required"),
        ("new_information", "required"),
    ]


def test_chase_cadence_quote_date_plus_3_then_completion_plus_5_then_plus_7(
    clients, quoted, frozen
):
    deal_id = quoted["id"]
    frozen(at(2025, 11, 6, 15))
    done = complete(clients.alice, tasks_of(clients.alice, "deal", deal_id)["chase_1"], OUTCOME)
    assert (done["status"], done["channel"], done["feedback_type"]) == ("done", "email", "no_reply")
    deal = clients.alice.get(f"/deals/{deal_id}").json()
    assert (deal["substate"], deal["substate_label"]) == ("pending_2nd", "Pending 2nd follow-up")
    chase_2 = tasks_of(clients.alice, "deal", deal_id)["chase_2"]
    assert chase_2["due_at"] == utc(at(2025, 11, 11, 15))
    assert chase_2["completion_requires"] == ["channel", "feedback_type", "new_information"]

    frozen(at(2025, 11, 12, 9))
    complete(clients.alice, chase_2, {**OUTCOME, "feedback_type": "price_objection"})
    assert clients.alice.get(f"/deals/{deal_id}").json()["substate"] == "pending_3rd"
    chase_3 = tasks_of(clients.alice, "deal", deal_id)["chase_3"]
    assert chase_3["due_at"] == utc(at(2025, 11, 12, 9) + timedelta(days=7))

    frozen(at(2025, 11, 19, 11))
    complete(clients.alice, chase_3, {**OUTCOME, "channel": "phone"})
    deal = clients.alice.get(f"/deals/{deal_id}").json()
    assert (deal["stage"], deal["substate"]) == ("quoted", "chased_3_times")
    assert not {"chase_1", "chase_2", "chase_3"} & set(tasks_of(clients.alice, "deal", deal_id))
    changes = [
        (e["data"]["from"], e["data"]["to"])
        for e in clients.alice.get(f"/deals/{deal_id}/timeline").json()["items"]
        if e["kind"] == "substate_changed"
    ]
    assert changes == [
        ("pending_3rd", "chased_3_times"),
        ("pending_2nd", "pending_3rd"),
        ("pending_1st", "pending_2nd"),
    ]


def test_transitions_offered_in_quoted_keep_the_substate(clients, quoted):
    listed = clients.alice.get(f"/deals/{quoted['id']}/transitions").json()
    assert (listed["stage"], listed["substate"], listed["substate_label"]) == (
        "quoted",
        "pending_1st",
        "Pending 1st follow-up",
    )
    assert [t["key"] for t in listed["transitions"]] == ["start_follow_up", "win", "lose"]


# -- S-11: lost -----------------------------------------------------------------------------------


def test_lose_needs_reasons_note_and_reactivation_but_not_a_competitor(clients, quoted):
    with unchanged(Deal.objects.get(pk=quoted["id"])):
        body = take(clients.alice, "deal", quoted["id"], "lose", {}, expect=422)
    assert problems(body) == [(key, "required") for key in LOSE]


def test_lose_refuses_an_unknown_reason(clients, quoted):
    data = {**LOSE, "lost_reasons": ["price_too_high", "bad_weather"]}
    with unchanged(Deal.objects.get(pk=quoted["id"])):
        body = take(clients.alice, "deal", quoted["id"], "lose", data, expect=422)
    assert [field for field, _code in problems(body)] == ["lost_reasons"]


def test_losing_a_quoted_deal_closes_it_and_cancels_its_open_tasks(clients, quoted, frozen):
    frozen(at(2025, 11, 4, 9))
    lost = take(clients.alice, "deal", quoted["id"], "lose", LOSE)
    assert (lost["stage"], lost["substate"], lost["closed_at"]) == (
        "lost",
        None,
        utc(at(2025, 11, 4, 9)),
    )
    assert lost["custom"]["lost_reasons"] == LOSE["lost_reasons"]
    assert "competitor" not in LOSE and lost["custom"]["competitor"] == CONFIRM["competitor"]
    assert tasks_of(clients.alice, "deal", quoted["id"]) == {}
    cancelled = tasks_of(clients.alice, "deal", quoted["id"], status="cancelled")
    assert set(cancelled) == {
        "quote_confirmation",
        "opportunity_assessment",
        "quote_check_14",
        "chase_1",
    }
    # A lost deal is final: lose again is no longer possible.
    with unchanged(Deal.objects.get(pk=quoted["id"])):
        body = take(clients.alice, "deal", quoted["id"], "lose", LOSE, expect=409)
    assert body["error"]["code"] == "stale_stage"
    assert clients.alice.get(f"/deals/{quoted['id']}/transitions").json()["transitions"] == []


def test_lose_takes_the_competitor_when_given(clients):
    deal = deal_at(clients.alice, "contacted")
    lost = take(clients.alice, "deal", deal["id"], "lose", {**LOSE, "competitor": "Istanbul Valve"})
    assert (lost["stage"], lost["custom"]["competitor"]) == ("lost", "Istanbul Valve")


def test_lose_is_possible_from_any_open_stage(clients):
    deal = new_deal(clients.alice)
    lost = take(clients.alice, "deal", deal["id"], "lose", LOSE)
    assert lost["stage"] == "lost"
    assert tasks_of(clients.alice, "deal", deal["id"], status="cancelled").keys() == {
        "first_contact"
    }


# -- S-22: won ------------------------------------------------------------------------------------


def test_win_needs_the_amount(clients, quoted):
    with unchanged(Deal.objects.get(pk=quoted["id"])):
        body = take(clients.alice, "deal", quoted["id"], "win", {}, expect=422)
    assert problems(body) == [("amount", "required")]


def test_won_creates_the_s22_tasks(clients, quoted, frozen):
    clients.alice.patch(f"/deals/{quoted['id']}", {"custom": {"checklist": ALL_CLEAR}})
    frozen(at(2025, 11, 14, 11))  # a Friday
    won = take(clients.alice, "deal", quoted["id"], "win", {"amount": "18000.00"})
    assert (won["stage"], won["amount"], won["closed_at"]) == (
        "won",
        "18000.00",
        utc(at(2025, 11, 14, 11)),
    )
    tasks = tasks_of(clients.alice, "deal", quoted["id"])
    assert {k: v["due_at"] for k, v in tasks.items()} == {
        # One working day: Friday 11:00 -> Monday 11:00.
        "order_confirmation": utc(at(2025, 11, 17, 11)),
        "production_followup": utc(at(2025, 11, 28, 11)),
        "after_sales_followup": utc(at(2025, 12, 29, 11)),
        "review_request": utc(at(2026, 1, 13, 11)),
    }
