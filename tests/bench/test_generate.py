"""The benchmark data generator (bench/generate.py) writes a consistent database: tiny numbers
here; docs/performance.md has the real scale."""

from datetime import UTC, datetime

import pytest
from bench.generate import generate
from django.db import transaction

from sopcrm.core.models import Event, EventKind, Role, User
from sopcrm.crm.records import selectors
from sopcrm.crm.records.models import (
    Activity,
    ActivityKind,
    ActivityStatus,
    Deal,
    Lead,
    SlaClock,
    SlaState,
)
from sopcrm.process.models import Timer, TimerKind, TimerStatus
from sopcrm.process.playbooks import active_version, playbook_for_version

AT = datetime(2026, 3, 4, 5, 0, tzinfo=UTC)  # a Wednesday, mid-morning in Shanghai


@pytest.fixture
def generated(db):
    return generate(deals=100, seed=5, reps=6, teams=2, at=AT)


def _stages(object_type: str, pipeline: str) -> set[str]:
    found = playbook_for_version(active_version().pk).object(object_type).pipeline(pipeline)
    assert found is not None
    return {s.key for s in found.stages}


def test_generator_writes_the_deals_and_what_surrounds_them(generated):
    assert generated["rows"]["deals"] == Deal.objects.count() == 100
    assert generated["rows"]["leads"] == Lead.objects.count() > 100 // 5
    assert Activity.objects.filter(deal__isnull=False).count() >= 100 * 3
    assert Event.objects.filter(kind=EventKind.CREATED, record_type="deal").count() == 100


def test_every_deal_and_lead_is_in_a_stage_of_its_pipeline(generated):
    deal_stages = _stages("deal", "export")
    lead_stages = _stages("lead", "inquiry")
    assert {(d.pipeline, d.stage in deal_stages) for d in Deal.objects.all()} == {("export", True)}
    assert {(x.pipeline, x.stage in lead_stages) for x in Lead.objects.all()} == {("inquiry", True)}
    # Spread over the stages, not piled in one.
    assert len(set(Deal.objects.values_list("stage", flat=True))) >= 5


def test_owners_are_reps_of_teams_with_a_manager(generated):
    owners = User.objects.filter(pk__in=Deal.objects.values("owner"))
    assert {(u.role, u.team_id is not None) for u in owners} == {(Role.REP, True)}
    for team_id in owners.values_list("team_id", flat=True).distinct():
        assert User.objects.filter(team_id=team_id, role=Role.MANAGER).exists()


def test_each_record_is_visible_to_its_owner_and_their_manager(generated):
    for deal in Deal.objects.select_related("owner"):
        assert selectors.deal_get(deal.owner, deal.pk) == deal
    manager = User.objects.get(username=generated["personas"]["manager"])
    rep = User.objects.get(username=generated["personas"]["rep"])
    assert rep.team_id == manager.team_id
    mine = selectors.deal_list(rep)
    assert mine.count() == Deal.objects.filter(owner=rep).count() > 0
    assert selectors.deal_list(manager).filter(pk__in=mine).count() == mine.count()
    for lead in Lead.objects.select_related("owner"):
        assert selectors.lead_get(lead.owner, lead.pk) == lead


def test_open_tasks_belong_to_open_stages_of_their_record_and_its_owner(generated):
    tasks = Activity.objects.filter(kind=ActivityKind.TASK, status=ActivityStatus.OPEN)
    assert tasks.count() >= 30
    assert tasks.filter(due_at__lt=AT).exists()  # some overdue
    for task in tasks.select_related("deal", "lead"):
        record = task.deal or task.lead
        assert record is not None
        assert task.owner_id == record.owner_id
        assert not task.active_in or record.stage in task.active_in
        pending = Timer.objects.filter(
            kind=TimerKind.TASK_DUE, record_id=task.pk, status=TimerStatus.PENDING
        )
        assert pending.exists() == (task.due_at > AT)


def test_closed_deals_have_what_their_transitions_required(generated):
    for deal in Deal.objects.filter(stage="won"):
        assert deal.amount is not None and deal.closed_at is not None
        assert deal.custom["checklist_core_confirmed"] >= 10
    for deal in Deal.objects.filter(stage="lost"):
        assert deal.custom["lost_reasons"] and deal.custom["reactivation_likelihood"]
    for deal in Deal.objects.filter(stage="quoted"):
        assert deal.substate and deal.custom["quote_valid_until"] >= deal.custom["quote_date"]


def test_new_leads_have_a_running_response_clock(generated):
    new = Lead.objects.filter(stage="new")
    assert new.exists()
    running = SlaClock.objects.filter(state=SlaState.RUNNING, record_type="lead")
    assert set(running.values_list("record_id", flat=True)) == set(new.values_list("pk", flat=True))


def test_stage_events_tell_the_path_to_the_current_stage(generated):
    for deal in Deal.objects.all()[:20]:
        entered = list(
            Event.objects.filter(
                record_type="deal", record_id=deal.pk, kind=EventKind.STAGE_ENTERED
            ).order_by("occurred_at", "id")
        )
        assert entered[0].data["stage"] == "new"
        assert entered[-1].data["stage"] == deal.stage


def test_the_same_seed_gives_the_same_data(db):
    def fingerprint() -> list[tuple]:
        return list(
            Deal.objects.order_by("pk").values_list(
                "owner__username", "stage", "substate", "amount", "currency", "custom"
            )
        )

    with transaction.atomic():
        generate(deals=20, seed=11, reps=4, teams=2, at=AT)
        first = fingerprint()
        transaction.set_rollback(True)
    generate(deals=20, seed=11, reps=4, teams=2, at=AT)
    assert fingerprint() == first
