"""Many inquiries in one transaction (`leads_intake_many`, the API batch): the same leads, owners,
duplicates, tasks, timers and events as taking them one by one; a bad one undone alone."""

from django.db import transaction

from sopcrm.core.errors import DomainError, InvalidInput
from sopcrm.core.models import Event, RecordType
from sopcrm.crm.records.models import Activity, Lead, SlaClock
from sopcrm.crm.records.services.intake import IntakeItem, lead_intake, leads_intake_many
from sopcrm.process.models import Timer

from .conftest import at

ITEMS = [
    {"name": "Ana Souza", "email": "ana@riopumps.com.br", "country": "BR"},
    {"name": "Li Wei", "company": "Shenzhen Pumps Co., Ltd.", "source": "b2b_platform"},
    {"name": "Bad", "email": "not an address"},
    {"name": "Ana again", "email": "ANA@riopumps.com.br", "country": "BR"},  # repeat in batch
    {"name": "Pedro", "company": "Bombas Rio Ltda", "country": "BR"},  # the earlier lead
    {"name": "Zhang", "company": "Shenzhen Pumps Limited", "phone": "+86 138 0013 8000"},
    {"name": "Hans", "email": "hans@acme.example", "message": "500 pcs DN50"},
    {"name": "Jo", "email": "jo@acme.example"},  # same company domain
]


class _Undo(Exception):
    pass


def _outcome(result):
    if isinstance(result, DomainError):
        problems = getattr(result, "problems", [])
        return ("error", result.code, sorted((p.field, p.code) for p in problems))
    return (result.outcome.value, result.duplicate_of.name if result.duplicate_of else None)


def _state(first_pk):
    """What intake wrote after lead `first_pk`, with ids as positions (a rolled-back run uses
    other ids on PostgreSQL)."""
    leads = list(Lead.objects.filter(pk__gte=first_pk).order_by("pk"))
    lead_at = {lead.pk: n for n, lead in enumerate(leads)}
    tasks = list(Activity.objects.filter(lead__in=leads).order_by("pk"))
    task_at = {task.pk: n for n, task in enumerate(tasks)}

    def where(record_type, record_id):
        if record_type == RecordType.LEAD:
            return ("lead", lead_at.get(record_id, record_id))
        if record_type == RecordType.ACTIVITY:
            return ("task", task_at.get(record_id, record_id))
        return (record_type, record_id)

    ours = {*(("lead", n) for n in range(len(leads))), *(("task", n) for n in range(len(tasks)))}
    return {
        "leads": [
            (
                lead.name,
                lead.owner.username if lead.owner else None,
                lead.assignment_rule,
                lead_at.get(lead.duplicate_of_id, lead.duplicate_of_id),
                lead.stage,
                lead.company_key,
                lead.custom,
            )
            for lead in leads
        ],
        "tasks": [
            (lead_at[t.lead_id], t.subject, t.owner_id, t.due_at, t.status, t.template_key)
            for t in tasks
        ],
        "timers": sorted(
            (where(t.record_type, t.record_id), t.kind, t.key, t.due_at, t.status)
            for t in Timer.objects.all()
            if where(t.record_type, t.record_id) in ours
        ),
        "clocks": sorted(
            (lead_at[c.record_id], c.sla, c.owner_id, c.due_at, c.at_risk_at)
            for c in SlaClock.objects.filter(record_type=RecordType.LEAD, record_id__in=lead_at)
        ),
        "events": [
            (where(e.record_type, e.record_id), e.kind, e.actor_id)
            for e in Event.objects.order_by("pk")
            if where(e.record_type, e.record_id) in ours
        ],
    }


def test_a_batch_writes_what_the_same_leads_one_by_one_write(people, frozen):
    frozen(at(2025, 11, 5, 10))
    before = lead_intake(data={"name": "Old", "company": "Bombas Rio Limitada"}, actor=None)
    first_pk = before.lead.pk + 1
    try:
        with transaction.atomic():
            alone = []
            for data in ITEMS:
                try:
                    alone.append(lead_intake(data=data, actor=people.admin))
                except DomainError as error:
                    alone.append(error)
            one_by_one = ([_outcome(r) for r in alone], _state(first_pk))
            # Not a vacuous comparison: the items make new leads, duplicates and an error.
            assert {o[0] for o in one_by_one[0]} == {"created", "linked", "error"}
            raise _Undo
    except _Undo:
        pass
    # Three to a transaction: the chunks meet in the middle of the batch.
    results = leads_intake_many([IntakeItem(data) for data in ITEMS], actor=people.admin, chunk=3)
    assert ([_outcome(r) for r in results], _state(first_pk)) == one_by_one


def test_a_bad_item_in_a_batch_is_undone_alone(people, frozen):
    frozen(at(2025, 11, 5, 10))
    results = leads_intake_many(
        [
            IntakeItem({"name": "A"}),
            IntakeItem({"name": "C", "country": "Atlantis"}),
            IntakeItem({"name": "B"}),
        ],
        actor=people.admin,
    )
    assert isinstance(results[1], InvalidInput)
    assert [(p.field, p.code) for p in results[1].problems] == [("country", "invalid")]
    assert list(Lead.objects.order_by("pk").values_list("name", flat=True)) == ["A", "B"]
    recorded = set(Event.objects.values_list("record_id", flat=True))
    assert recorded <= {r.lead.pk for r in (results[0], results[2])} | set(
        Activity.objects.values_list("pk", flat=True)
    )
