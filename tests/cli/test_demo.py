"""`sopcrm demo` loads a realistic team and records once."""

from django.core.management import call_command

from sopcrm.core.models import Role, User
from sopcrm.crm.records.models import Account, Activity, Deal, Lead


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
