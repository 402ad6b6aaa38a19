"""S-23 (idle in stage) and overdue tasks with the default playbook, with frozen time."""

from sopcrm.core.models import Event, EventKind
from sopcrm.crm.records.services.activities import activity_create, activity_update
from sopcrm.crm.records.services.deals import deal_create

from ..process.test_export_deal_flow import CONTACT, move
from .conftest import at, fire, fired_rules, notified, pending

IDLE = "Valves 在“已联系”阶段无更新"


def contacted_deal(people, frozen):
    frozen(at(2025, 11, 3, 10))
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    return move(deal, "contact", CONTACT, people.alice)


def test_a_deal_idle_past_its_stage_limit_reminds_the_owner_and_copies_the_manager(people, frozen):
    deal = contacted_deal(people, frozen)
    assert pending("deal", deal.pk, "idle") == {"deal_idle": at(2025, 11, 6, 10)}
    frozen(at(2025, 11, 6, 10, 1))
    fire()
    assert IDLE in notified(people.alice)
    assert notified(people.east_manager) == [IDLE]


def test_the_idle_reminder_repeats_once_per_limit_not_every_minute(people, frozen):
    deal = contacted_deal(people, frozen)
    for minute in (1, 2, 30):
        frozen(at(2025, 11, 6, 10, minute))
        fire()
    assert notified(people.east_manager) == [IDLE]
    frozen(at(2025, 11, 11, 10, 2))  # three working days later
    fire()
    assert notified(people.east_manager) == [IDLE, IDLE]
    counts = [
        e.data["count"]
        for e in Event.objects.filter(record_id=deal.pk, kind=EventKind.IDLE_IN_STAGE)
    ]
    assert counts == [1, 2]


def test_a_contact_logged_on_the_deal_restarts_its_idle_clock(people, frozen):
    deal = contacted_deal(people, frozen)
    frozen(at(2025, 11, 5, 9))
    activity_create(
        actor=people.alice,
        data={"kind": "call", "summary": "Discussed the spec", "deal": deal.pk},
    )
    assert pending("deal", deal.pk, "idle") == {"deal_idle": at(2025, 11, 10, 9)}
    frozen(at(2025, 11, 6, 10, 1))
    fire()
    assert "deal_idle" not in fired_rules("deal", deal.pk)


def test_a_closed_deal_has_no_idle_clock(people, frozen):
    deal = contacted_deal(people, frozen)
    move(
        deal,
        "lose",
        {
            "lost_reasons": ["price_too_high"],
            "lost_note": "Too expensive",
            "reactivation_likelihood": "unlikely",
        },
        people.alice,
    )
    assert pending("deal", deal.pk, "idle") == {}


def task_due_tuesday(people, frozen, deal):
    return activity_create(
        actor=people.alice,
        data={
            "kind": "task",
            "subject": "Send the datasheet",
            "due_at": "2025-11-04T10:00:00+08:00",
            "deal": deal.pk,
        },
    )


def test_an_overdue_task_notifies_its_assignee(people, frozen):
    deal = contacted_deal(people, frozen)
    task_due_tuesday(people, frozen, deal)
    frozen(at(2025, 11, 4, 10, 1))
    fire()
    assert notified(people.alice) == ["Valves 的任务已逾期（应于 2025-11-04 10:00 完成）"]
    overdue = Event.objects.get(record_id=deal.pk, kind=EventKind.TASK_OVERDUE)
    assert overdue.data["subject"] == "Send the datasheet"


def test_moving_a_task_later_moves_its_overdue_alert(people, frozen):
    deal = contacted_deal(people, frozen)
    task = task_due_tuesday(people, frozen, deal)
    activity_update(task, actor=people.alice, data={"due_at": "2025-11-05T10:00:00+08:00"})
    frozen(at(2025, 11, 4, 10, 1))
    fire()
    assert notified(people.alice) == []
    assert pending("activity", task.pk) == {"": at(2025, 11, 5, 10)}


def test_a_task_done_in_time_raises_no_alert(people, frozen):
    from sopcrm.crm.records.services.activities import activity_complete

    deal = contacted_deal(people, frozen)
    task = task_due_tuesday(people, frozen, deal)
    activity_complete(task, actor=people.alice, data={"summary": "Sent"})
    frozen(at(2025, 11, 4, 10, 1))
    fire()
    assert (notified(people.alice), pending("activity", task.pk)) == ([], {})


def test_generic_playbook_reminds_about_a_deal_in_discovery_for_over_7_days(people, frozen):
    from sopcrm.playbook.loader import bundled_playbook_path
    from sopcrm.process.playbooks import playbook_activate

    playbook_activate(
        source=bundled_playbook_path("generic_b2b").read_text(),
        source_name="generic_b2b.yaml",
        actor=people.admin,
    )
    frozen(at(2025, 11, 3, 10))
    deal = deal_create(actor=people.alice, data={"title": "ERP"})
    qualify = {
        "industry": "Retail",
        "company_size": "small",
        "decision_maker_title": "CIO",
        "budget_range": "over_200k",
    }
    deal = move(deal, "qualify", qualify, people.alice)
    discover = {
        "pain_points": "Stock-outs",
        "use_case": "Replenishment",
        "competitors": "None",
        "decision_cycle": "under_1_month",
    }
    deal = move(deal, "start_discovery", discover, people.alice)
    assert deal.stage == "discovery"
    assert pending("deal", deal.pk, "idle") == {"discovery_idle": at(2025, 11, 12, 10)}
    frozen(at(2025, 11, 12, 10, 1))
    fire()
    assert notified(people.east_manager) == ["ERP 在“需求挖掘”阶段无更新"]
