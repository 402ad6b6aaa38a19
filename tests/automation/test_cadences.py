"""S-21 with the default playbook: after the 3rd follow-up without a reply the deal is dormant
and followed up monthly; a reply from the customer ends that."""

from datetime import timedelta

from sopcrm.crm.records.models import Activity, ActivityStatus
from sopcrm.crm.records.services.activities import activity_complete, activity_create

from ..process.conftest import open_tasks
from ..process.test_export_deal_flow import quoted_deal
from .conftest import at, fire, fired_rules

NO_REPLY = {
    "summary": "Sent a new case study",
    "channel": "email",
    "feedback_type": "no_reply",
    "new_information": "new_material",
}


def chase_three_times(people, frozen, last_feedback="no_reply"):
    deal = quoted_deal(people, frozen)
    moments = (at(2025, 11, 6, 15), at(2025, 11, 11, 15), at(2025, 11, 18, 15))
    for key, moment in zip(("chase_1", "chase_2", "chase_3"), moments, strict=True):
        frozen(moment)
        outcome = {**NO_REPLY, "feedback_type": last_feedback if key == "chase_3" else "no_reply"}
        activity_complete(open_tasks(deal)[key], actor=people.alice, data=outcome)
    fire()
    deal.refresh_from_db()
    return deal


def test_three_follow_ups_without_a_reply_make_the_deal_dormant(people, frozen):
    deal = chase_three_times(people, frozen)
    assert (deal.substate, deal.custom["dormant"]) == ("chased_3_times", True)
    assert fired_rules("deal", deal.pk).count("dormant_after_third_chase") == 1


def test_a_dormant_deal_is_followed_up_monthly(people, frozen):
    deal = chase_three_times(people, frozen)
    touch = open_tasks(deal)["dormant_touch"]
    assert touch.due_at == at(2025, 11, 18, 15) + timedelta(days=30)
    frozen(at(2025, 12, 17, 11))
    activity_complete(touch, actor=people.alice, data=NO_REPLY)
    again = open_tasks(deal)["dormant_touch"]
    assert again.due_at == at(2026, 1, 16, 11)


def test_a_third_follow_up_with_an_answer_does_not_make_the_deal_dormant(people, frozen):
    deal = chase_three_times(people, frozen, last_feedback="interested")
    assert "dormant" not in deal.custom
    assert "dormant_touch" not in open_tasks(deal)


def test_a_reply_from_the_customer_wakes_a_dormant_deal(people, frozen):
    deal = chase_three_times(people, frozen)
    frozen(at(2025, 11, 25, 9))
    activity_create(
        actor=people.alice,
        data={
            "kind": "email",
            "direction": "inbound",
            "summary": "Customer: the project restarts in January",
            "deal": deal.pk,
        },
    )
    fire()
    deal.refresh_from_db()
    assert deal.custom["dormant"] is False
    touch = Activity.objects.get(deal=deal, template_key="dormant_touch")
    assert touch.status == ActivityStatus.CANCELLED
    assert fired_rules("deal", deal.pk)[-1] == "wake_on_reply"


def test_a_reply_logged_by_hand_on_whatsapp_stops_the_chase(people, frozen):
    deal = quoted_deal(people, frozen)
    activity_create(
        actor=people.alice,
        data={
            "kind": "message",
            "channel": "whatsapp",
            "direction": "inbound",
            "summary": "Customer: we need a lower MOQ",
            "deal": deal.pk,
        },
    )
    chase = Activity.objects.get(deal=deal, template_key="chase_1")
    assert chase.status == ActivityStatus.CANCELLED
