"""S-22 and S-40 with the default playbook: the tasks after a win, and what happens to a lost
deal by how likely it comes back."""

from datetime import timedelta

from sopcrm.crm.records.daily import remarketing_groups
from sopcrm.crm.records.models import ListMembership
from sopcrm.crm.records.services.activities import activity_complete
from sopcrm.crm.records.services.deals import deal_create

from ..process.conftest import open_tasks
from ..process.test_export_deal_flow import move, order_ready, quoted_deal
from .conftest import at, fire, fired_rules

LOST = {"lost_reasons": ["price_too_high"], "lost_note": "Chose a cheaper offer."}


def lost_deal(people, frozen, likelihood, reasons=("price_too_high",)):
    deal = quoted_deal(people, frozen)
    frozen(at(2025, 11, 10, 10))
    deal = move(
        deal,
        "lose",
        {**LOST, "lost_reasons": list(reasons), "reactivation_likelihood": likelihood},
        people.alice,
    )
    fire()
    return deal


def lists_of(deal):
    return set(
        ListMembership.objects.filter(record_type="deal", record_id=deal.pk).values_list(
            "list_key", flat=True
        )
    )


def test_winning_creates_order_production_after_sales_and_review_tasks(people, frozen):
    deal = order_ready(quoted_deal(people, frozen), people.alice)
    frozen(at(2025, 11, 10, 10))
    deal = move(deal, "win", {"amount": "12000"}, people.alice)
    tasks = open_tasks(deal)
    assert {k: tasks[k].due_at for k in tasks} == {
        "order_confirmation": at(2025, 11, 11, 10),
        "production_followup": at(2025, 11, 24, 10),
        "after_sales_followup": at(2025, 12, 25, 10),
        "review_request": at(2026, 1, 9, 10),
    }


def test_lost_likely_back_within_3_months_gets_a_quarterly_retouch(people, frozen):
    deal = lost_deal(people, frozen, "within_3_months")
    task = open_tasks(deal)["retouch_quarterly"]
    assert task.due_at == at(2025, 11, 10, 10) + timedelta(days=90)
    assert lists_of(deal) == {"remarketing_high"}
    assert fired_rules("deal", deal.pk) == ["lost_high_likelihood"]


def test_the_quarterly_retouch_comes_back_after_each_touch(people, frozen):
    deal = lost_deal(people, frozen, "within_3_months")
    frozen(at(2026, 2, 9, 10))
    activity_complete(
        open_tasks(deal)["retouch_quarterly"], actor=people.alice, data={"summary": "New catalogue"}
    )
    assert open_tasks(deal)["retouch_quarterly"].due_at == at(2026, 5, 10, 10)


def test_lost_maybe_back_in_6_to_12_months_gets_a_half_yearly_retouch(people, frozen):
    deal = lost_deal(people, frozen, "within_6_12_months")
    assert open_tasks(deal)["retouch_half_yearly"].due_at == at(2026, 5, 11, 10)
    assert lists_of(deal) == {"remarketing_medium"}


def test_lost_and_unlikely_back_goes_on_the_mailing_list_only(people, frozen):
    deal = lost_deal(people, frozen, "unlikely")
    assert open_tasks(deal) == {}
    assert lists_of(deal) == {"mailing_list"}


def test_lost_deals_are_grouped_by_reason_and_likelihood_counting_each_reason(people, frozen):
    first = lost_deal(people, frozen, "unlikely", reasons=("price_too_high", "stable_supplier"))
    second = lost_deal(people, frozen, "unlikely", reasons=("price_too_high",))
    groups = {(g.reason, g.likelihood): g.deals for g in remarketing_groups(people.alice)}
    assert groups == {
        ("price_too_high", "unlikely"): [first.pk, second.pk],
        ("stable_supplier", "unlikely"): [first.pk],
    }
    assert remarketing_groups(people.wendy) == []


def test_remarketing_reads_the_lost_stage_and_reason_of_the_generic_playbook(people, frozen):
    from sopcrm.playbook.loader import bundled_playbook_path
    from sopcrm.process.playbooks import playbook_activate

    playbook_activate(
        source=bundled_playbook_path("generic_b2b").read_text(),
        source_name="generic_b2b.yaml",
        actor=people.admin,
    )
    deal = deal_create(actor=people.alice, data={"title": "ERP"})
    deal = move(deal, "lose", {"lost_reason": "Budget cut"}, people.alice)
    groups = [(g.reason, g.deals) for g in remarketing_groups(people.alice)]
    assert groups == [("Budget cut", [deal.pk])]
