"""`sopcrm demo` loads a realistic team and records once, with eight weeks of history behind
them so the report dashboards have something to show."""

from datetime import date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction

from sopcrm.cli.demo_data import load_demo_data
from sopcrm.core.models import Event, EventKind, Role, User
from sopcrm.crm.messaging.services.seeding import templates_seed_from_playbook
from sopcrm.crm.records.models import (
    Account,
    Activity,
    ActivityKind,
    ActivityStatus,
    ApprovalRequest,
    Deal,
    Lead,
    SlaClock,
    SlaState,
)
from sopcrm.process.engine import calendar_for
from sopcrm.process.playbooks import playbook_ensure_default, playbook_for_version

SH = ZoneInfo("Asia/Shanghai")
# A Wednesday afternoon; the eight weeks before it include China's National Day holidays.
NOW = datetime(2026, 11, 18, 15, 0, tzinfo=SH)


def test_demo_creates_admin_manager_and_three_reps_in_one_team(db):
    call_command("demo", "--no-serve")
    reps = User.objects.filter(role=Role.REP)
    manager = User.objects.get(role=Role.MANAGER)
    assert reps.count() == 3
    assert {r.team_id for r in reps} == {manager.team_id}
    assert User.objects.filter(role=Role.ADMIN).count() == 1


def test_demo_spreads_deals_over_the_stages(db):
    call_command("demo", "--no-serve")
    assert set(Deal.objects.values_list("stage", flat=True)) == {
        "new",
        "contacted",
        "requirements_confirmed",
        "quoted",
        "following_up",
        "won",
        "lost",
    }


def test_running_demo_twice_does_not_duplicate_data(db):
    call_command("demo", "--no-serve")
    counts = [m.objects.count() for m in (User, Account, Lead, Deal, Activity)]
    call_command("demo", "--no-serve")
    assert [m.objects.count() for m in (User, Account, Lead, Deal, Activity)] == counts


# -- the history ----------------------------------------------------------------------------


def _local_day(moment: datetime) -> date:
    return moment.astimezone(SH).date()


def _snapshot() -> dict[str, list[tuple[object, ...]]]:
    """What the demo wrote, without database ids (sequences are not rolled back on
    PostgreSQL)."""
    return {
        "deals": list(
            Deal.objects.order_by("title").values_list(
                "title", "stage", "substate", "amount", "created_at", "closed_at", "custom"
            )
        ),
        "leads": list(
            Lead.objects.order_by("email").values_list("email", "stage", "received_at", "custom")
        ),
        "activities": sorted(
            Activity.objects.values_list("subject", "status", "due_at", "completed_at"), key=str
        ),
        "events": sorted(Event.objects.values_list("record_type", "kind", "occurred_at"), key=str),
    }


@pytest.mark.django_db
class TestDemoHistory:
    """The demo loaded once (at NOW, frozen) for every test of the class."""

    @pytest.fixture(scope="class", autouse=True)
    @classmethod
    def loaded(cls, django_db_setup, django_db_blocker):
        with (
            django_db_blocker.unblock(),
            time_machine.travel(NOW, tick=False),
            transaction.atomic(),
        ):
            templates_seed_from_playbook(playbook_ensure_default("export_trade"))
            assert load_demo_data()
            yield
            transaction.set_rollback(True)

    def test_deals_were_created_on_twelve_different_days_over_about_eight_weeks(self):
        days = [_local_day(at) for at in Deal.objects.values_list("created_at", flat=True)]
        assert len(days) == len(set(days)) == 12
        assert _local_day(NOW) - timedelta(days=60) <= min(days)
        assert max(days) - min(days) >= timedelta(weeks=6)

    def test_each_step_of_a_deal_is_one_to_five_working_days_after_the_previous(self):
        calendar = calendar_for(
            playbook_for_version(Deal.objects.first().playbook_version_id).calendar
        )
        for deal in Deal.objects.all():
            entered = Event.objects.filter(
                record_type="deal", record_id=deal.pk, kind=EventKind.STAGE_ENTERED
            ).order_by("occurred_at")
            days = [_local_day(event.occurred_at) for event in entered]
            for previous, day in pairwise(days):
                between = [
                    previous + timedelta(days=n)
                    for n in range(1, (day - previous).days + 1)
                    if calendar.is_working_day(previous + timedelta(days=n))
                ]
                assert calendar.is_working_day(day)
                assert 1 <= len(between) <= 5, (deal.title, previous, day)

    def test_the_deals_that_got_furthest_are_older_than_the_new_ones(self):
        furthest = Deal.objects.filter(stage__in=["following_up", "won", "lost"])
        newest = Deal.objects.filter(stage="new")
        assert max(furthest.values_list("created_at", flat=True)) < min(
            newest.values_list("created_at", flat=True)
        )

    @pytest.mark.parametrize(
        "stage", ["new", "contacted", "requirements_confirmed", "quoted", "following_up"]
    )
    def test_a_deal_stayed_days_in_each_of_the_first_stages(self, stage):
        stays = Event.objects.filter(
            record_type="deal", kind=EventKind.STAGE_LEFT, data__stage=stage
        ).values_list("data__days_in_stage", flat=True)
        assert any(days > 0.5 for days in stays)

    def test_one_deal_was_won_and_one_lost_in_the_last_two_weeks(self):
        closed = dict(
            Deal.objects.filter(stage__in=["won", "lost"]).values_list("stage", "closed_at")
        )
        assert set(closed) == {"won", "lost"}
        assert all(NOW - timedelta(weeks=2) < at < NOW for at in closed.values())

    def test_the_quote_date_is_the_day_the_quote_was_sent_valid_thirty_days(self):
        quoted = Event.objects.filter(
            record_type="deal", kind=EventKind.STAGE_ENTERED, data__stage="quoted"
        )
        assert quoted.count() == 5
        for event in quoted:
            custom = Deal.objects.get(pk=event.record_id).custom
            sent = _local_day(event.occurred_at)
            assert custom["quote_date"] == sent.isoformat()
            assert custom["quote_valid_until"] == (sent + timedelta(days=30)).isoformat()

    def test_the_25_percent_discount_waits_for_approval_asked_on_the_last_working_day(self):
        request = ApprovalRequest.objects.get(status="pending")
        assert request.deal.custom["discount_percent"] == 25
        assert _local_day(request.requested_at) == date(2026, 11, 17)

    def test_playbook_tasks_were_done_both_on_time_and_late(self):
        done = Activity.objects.filter(kind=ActivityKind.TASK, status=ActivityStatus.DONE)
        on_time = [task.completed_at <= task.due_at for task in done]
        assert on_time.count(True) > 0
        assert on_time.count(False) > 0

    def test_some_tasks_are_overdue_now(self):
        assert Activity.objects.filter(
            kind=ActivityKind.TASK, status=ActivityStatus.OPEN, due_at__lt=NOW
        ).exists()

    def test_leads_were_received_over_about_eight_weeks(self):
        received = list(Lead.objects.values_list("received_at", flat=True))
        assert len(received) == 32
        assert max(received) - min(received) >= timedelta(weeks=7)

    def test_lead_response_clocks_were_met_in_time_and_missed(self):
        states = set(SlaClock.objects.filter(record_type="lead").values_list("state", flat=True))
        assert {SlaState.MET, SlaState.MISSED} <= states

    def test_the_newest_leads_are_still_waiting_for_an_answer(self):
        assert (
            Lead.objects.filter(stage="new", received_at__gt=NOW - timedelta(hours=12)).count() == 2
        )

    def test_nothing_is_dated_after_now(self):
        assert not Event.objects.filter(occurred_at__gt=NOW).exists()
        assert not Activity.objects.filter(completed_at__gt=NOW).exists()
        assert not Activity.objects.filter(created_at__gt=NOW).exists()


def _load_at(moment: datetime, seed: int = 7) -> dict[str, list[tuple[object, ...]]]:
    """Load the demo as of `moment`, take what it wrote, and undo it."""
    with time_machine.travel(moment, tick=False), transaction.atomic():
        assert load_demo_data(seed)
        written = _snapshot()
        transaction.set_rollback(True)
    return written


def test_the_same_seed_gives_the_same_demo(db):
    assert _load_at(NOW) == _load_at(NOW)


def test_a_demo_loaded_on_the_first_working_day_after_a_long_holiday_is_all_in_the_past(db):
    after_national_day = datetime(2026, 10, 8, 8, 30, tzinfo=SH)
    with time_machine.travel(after_national_day, tick=False):
        assert load_demo_data()
    assert not Event.objects.filter(occurred_at__gt=after_national_day).exists()
    assert set(Deal.objects.values_list("stage", flat=True)) >= {"won", "lost", "following_up"}
