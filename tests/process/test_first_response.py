"""S-17/S-18: a new inquiry gets a first-contact task due 24 working-day hours later."""

import yaml

from sopcrm.crm.records.services.deals import deal_create
from sopcrm.crm.records.services.leads import lead_create
from sopcrm.crm.records.services.playbook_apply import playbook_apply
from sopcrm.playbook.loader import bundled_playbook_path

from .conftest import at, open_tasks


def test_weekday_lead_first_contact_is_due_24_hours_after_it_arrived(people, frozen):
    frozen(at(2025, 11, 4, 10))
    lead = lead_create(actor=people.alice, data={"name": "Buyer"})
    assert open_tasks(lead)["first_contact"].due_at == at(2025, 11, 5, 10)


def test_saturday_lead_is_due_within_24_hours_of_the_next_working_day(people, frozen):
    frozen(at(2025, 11, 8, 15))
    lead = lead_create(actor=people.alice, data={"name": "Buyer"})
    assert open_tasks(lead)["first_contact"].due_at == at(2025, 11, 11, 0)


def test_lead_received_earlier_counts_from_its_received_time(people, frozen):
    frozen(at(2025, 11, 6, 9))
    lead = lead_create(
        actor=people.alice,
        data={"name": "Card from the fair", "received_at": at(2025, 11, 4, 16).isoformat()},
    )
    assert open_tasks(lead)["first_contact"].due_at == at(2025, 11, 5, 16)


def test_first_contact_clock_skips_national_day_week(people, frozen):
    # Tuesday 30 Sep 20:00: 4 hours run that day; 1-8 Oct are off; 20 hours run on 9 Oct.
    frozen(at(2025, 9, 30, 20))
    lead = lead_create(actor=people.alice, data={"name": "Buyer"})
    assert open_tasks(lead)["first_contact"].due_at == at(2025, 10, 9, 20)


def test_first_contact_clock_counts_make_up_saturday(people, frozen):
    # Friday 10 Oct 2025 18:00: 6 h on Friday, Saturday 11 Oct is a make-up working day.
    frozen(at(2025, 10, 10, 18))
    lead = lead_create(actor=people.alice, data={"name": "Buyer"})
    assert open_tasks(lead)["first_contact"].due_at == at(2025, 10, 11, 18)


def test_first_contact_task_goes_to_the_owner(people, frozen):
    frozen(at(2025, 11, 4, 10))
    lead = lead_create(actor=people.alice, data={"name": "Buyer"})
    assert open_tasks(lead)["first_contact"].owner == people.alice


def test_new_deal_gets_first_contact_task(people, frozen):
    frozen(at(2025, 11, 4, 10))
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    assert open_tasks(deal)["first_contact"].due_at == at(2025, 11, 5, 10)


def test_task_template_may_be_assigned_to_the_owners_manager(people):
    data = yaml.safe_load(bundled_playbook_path("export_trade").read_text())
    deal_object = data["objects"]["deal"]
    deal_object["tasks"].append(
        {
            "key": "manager_review",
            "title": {"en": "Review the new deal"},
            "assignee": "manager",
            "due": {"after": "2 days", "from": "created"},
        }
    )
    deal_object["pipelines"][0]["stages"][0]["on_enter"]["tasks"].append("manager_review")
    playbook_apply(source=yaml.safe_dump(data), source_name="review.yaml", actor=None)
    deal = deal_create(actor=people.alice, data={"title": "V"})
    assert open_tasks(deal)["manager_review"].owner == people.east_manager
