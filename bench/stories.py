"""What happened to each generated record, told as the rows the services would have left behind:
direct customers (accounts and contacts) and leads here, deals in bench/deal_stories.py.

The stories follow the export-trade playbook (`export_trade.yaml`). A lead runs New →
Contacted → Qualified → Converted, or is disqualified, with its first-response clock (S-17).
Each transition's required fields are filled in; the tasks each stage creates are there, done,
open, overdue or cancelled when the record left their stages, as their timing says; due times
come from the playbook's templates and business calendar. Times are drawn backwards from where
the record ends: now for an open record (a recent stage entry), up to two years ago for a
closed one."""

import random
from datetime import datetime, timedelta
from typing import Any

from sopcrm.core.models import EventKind, RecordType
from sopcrm.crm.records.models import (
    Account,
    ActivityKind,
    ActivityStatus,
    Contact,
    Deal,
    Direction,
    Lead,
    LeadSource,
    SlaClock,
    SlaState,
)
from sopcrm.crm.records.services.duplicates import company_index_set
from sopcrm.playbook.schema import Pipeline, parse_duration
from sopcrm.process import engine
from sopcrm.process.models import TimerKind

from .rows import ActivityRow, Customer
from .world import COUNTRIES, PRODUCTS, World, pick

HISTORY_DAYS = 720  # how far back closed records go
ACCOUNT_AGE_DAYS = 1100  # direct customers' accounts are older than any deal
LEAD_ENDS = {"new": 15, "contacted": 25, "qualified": 15, "disqualified": 45}
LEAD_TRANSITIONS = {"contacted": "contact", "qualified": "qualify", "disqualified": "disqualify"}
MANUAL_TASKS = {
    "contacted": "Send the requirement questions",
    "qualified": "Send the catalogue and a price range",
    "requirements_confirmed": "Prepare the quotation",
    "following_up": "Call about the decision",
}
LEAD_SNAPSHOT = [
    "owner_id",
    "pipeline",
    "stage",
    "stage_entered_at",
    "name",
    "company",
    "email",
    "phone",
    "country",
    "source",
    "message",
    "received_at",
    "assigned_at",
    "assignment_rule",
]
CONTACT_KINDS = {ActivityKind.CALL, ActivityKind.EMAIL, ActivityKind.MEETING, ActivityKind.MESSAGE}


def is_contact(activity: ActivityRow) -> bool:
    """slas.is_contact: a completed contact either way (what last_contact_at reads)."""
    if activity.status != ActivityStatus.DONE or activity.direction == Direction.INTERNAL:
        return False
    return activity.kind in CONTACT_KINDS or (
        activity.kind == ActivityKind.TASK and bool(activity.channel)
    )


def _dwell(rng: random.Random, pipeline: Pipeline, stage: str) -> timedelta:
    found = pipeline.stage(stage)
    expected = (found.expected_days if found else None) or 2
    return timedelta(days=max(0.05, expected * rng.lognormvariate(-0.2, 0.7)))


def entries(world: World, pipeline: Pipeline, path: list[str], last: datetime) -> list[datetime]:
    """When each stage of `path` was entered, the last one at `last`."""
    entered = [last]
    for stage in reversed(path[:-1]):
        entered.insert(0, entered[0] - _dwell(world.rng, pipeline, stage))
    return entered


def last_entry(world: World, pipeline: Pipeline, stage: str, closed: bool) -> datetime:
    rng = world.rng
    if closed:
        return world.at - timedelta(days=rng.uniform(0.5, HISTORY_DAYS))
    if stage == "new":
        return world.at - timedelta(hours=rng.uniform(0.2, 48))
    found = pipeline.stage(stage)
    expected = (found.expected_days if found else None) or 3
    return world.at - timedelta(days=min(60.0, expected * rng.expovariate(1.0)) + 0.05)


def stage_entered_at(path: list[str], entered: list[datetime], at: datetime) -> str:
    """The stage the record entered at `at` (what a task cancelled then names)."""
    for stage, when in zip(path, entered, strict=True):
        if when == at:
            return stage
    return path[-1]


def customer(world: World, rep: Any) -> None:
    """A direct customer of `rep`: an account made long ago, with one or two contacts."""
    rng, n = world.rng, world.number()
    country = rng.choice(list(COUNTRIES))
    created = world.at - timedelta(days=rng.uniform(HISTORY_DAYS + 1, ACCOUNT_AGE_DAYS))
    name = world.company(n)
    account = Account(
        pk=world.take_id(Account),
        name=name,
        website=f"https://www.company{n}.example",
        domain=f"company{n}.example",
        country=country,
        industry=rng.choice(["Water", "Oil and gas", "HVAC", "Chemicals"]),
        phone=world.phone(country, n),
        custom={
            "customer_tier": rng.choice(["a", "b", "c"]),
            "annual_volume": world.money(20_000, 2_000_000, "USD"),
        },
        owner_id=rep.pk,
        created_by_id=rep.pk,
        created_at=created,
        updated_at=created,
    )
    world.rows.accounts.append(account)
    fields = ["owner_id", "name", "website", "domain", "country", "industry", "phone"]
    world.created(RecordType.ACCOUNT, account, fields)
    contact_ids = []
    for k in range(rng.choice([1, 1, 2])):
        contact = _contact(world, account, country, f"buyer{n}-{k}@company{n}.example", created)
        contact.custom = {
            "decision_maker_role": rng.choice(["decision_maker", "influencer", "user"]),
            "languages": ["en"],
        }
        contact_ids.append(contact.pk)
    world.customers[rep.pk].append(Customer(account.pk, tuple(contact_ids), country, name))


def _contact(world: World, account: Account, country: str, email: str, at: datetime) -> Contact:
    contact = Contact(
        pk=world.take_id(Contact),
        account_id=account.pk,
        name=world.person(),
        job_title=world.rng.choice(["Purchasing manager", "Engineer", "Owner", ""]),
        email=email,
        phone=world.phone(country, 500_000 + world.serial),
        country=country,
        owner_id=account.owner_id,
        created_by_id=account.created_by_id,
        created_at=at,
        updated_at=at,
    )
    world.rows.contacts.append(contact)
    fields = ["owner_id", "account_id", "name", "job_title", "email", "phone", "country"]
    world.created(RecordType.CONTACT, contact, fields)
    return contact


# -- leads ---------------------------------------------------------------------------------


def lead_story(
    world: World, *, rep: Any, end: str | None = None, converted_at: datetime | None = None
) -> Lead:
    """A lead of `rep`. With `converted_at`, one converted into a deal at that time (the caller
    adds the CONVERTED event once the deal has its id); otherwise it ends in a stage drawn from
    LEAD_ENDS."""
    rng, obj = world.rng, world.lead_obj
    pipeline = obj.pipeline("inquiry")
    assert pipeline is not None
    if converted_at is not None:
        path = ["new", "contacted", "qualified", "converted"]
        entered = entries(world, pipeline, path, converted_at)
    else:
        end = end or pick(rng, LEAD_ENDS)
        if end == "disqualified":
            before = pick(rng, {"new": 40, "contacted": 35, "qualified": 25})
            path = [
                *["new", "contacted", "qualified"][
                    : ["new", "contacted", "qualified"].index(before) + 1
                ],
                end,
            ]
        else:
            path = ["new", "contacted", "qualified"][
                : ["new", "contacted", "qualified"].index(end) + 1
            ]
        last = last_entry(world, pipeline, path[-1], closed=end == "disqualified")
        entered = entries(world, pipeline, path, last)
    if len(path) > 1:
        # The first response comes hours after the inquiry, not days (S-17).
        entered[0] = entered[1] - timedelta(hours=min(40.0, rng.lognormvariate(1.6, 0.9)))
    received = entered[0]
    n = world.number()
    country = rng.choice(list(COUNTRIES))
    intake = rng.random() < 0.5  # the web form or a platform export; else typed in by the rep
    by = world.automation_id if intake else rep.pk
    custom: dict[str, Any] = {
        "region": COUNTRIES[country][1],
        "product_interest": rng.choice(PRODUCTS),
        "quantity": rng.choice([100, 200, 500, 1000, 5000]),
        "industry": rng.choice(["Water", "Oil and gas", "HVAC", "Chemicals"]),
    }
    if rng.random() < 0.4:
        custom["target_price"] = world.money(5, 80, "USD")
    if rng.random() < 0.5:
        custom["checklist"] = world.checklist(obj)
    if rng.random() < 0.4:
        custom["buyer_strength"] = rng.choice(["strong", "medium", "price_only"])
    lead = Lead(
        pk=world.take_id(Lead),
        name=world.person(),
        company=world.company(n),
        email=f"buyer{n}@lead{n}.example",
        phone=world.phone(country, n),
        country=country,
        source=rng.choice([LeadSource.WEBSITE_FORM, LeadSource.B2B_PLATFORM])
        if intake
        else rng.choice([LeadSource.EMAIL, LeadSource.WHATSAPP, LeadSource.TRADE_SHOW]),
        message=f"Please quote {custom['quantity']} pcs {custom['product_interest']}.",
        received_at=received,
        assigned_at=received,
        assignment_rule="everyone_in_turn" if intake else "",
        owner_id=rep.pk,
        created_by_id=by,
        created_at=received,
        updated_at=received,
        custom=world.qualified(obj, custom),
        playbook_version_id=world.version_id,
        pipeline="inquiry",
        stage="new",
        substate="",
        stage_entered_at=received,
    )
    company_index_set(lead)  # the stored form the duplicate check finds leads by
    world.rows.leads.append(lead)
    world.created(RecordType.LEAD, lead, LEAD_SNAPSHOT)
    if intake:
        world.event(
            RecordType.LEAD,
            lead.pk,
            EventKind.ASSIGNED,
            received,
            by,
            {"owner": rep.pk, "rule": "everyone_in_turn"},
        )
    world.started(lead)

    template, title = world.template(obj, "first_contact")
    anchors = engine.Anchors(created_at=received, stage_entered_at=received, received_at=received)
    due = world.due(template, received, anchors)
    activities: list[ActivityRow] = []
    if len(path) == 1:
        first = world.task(
            lead,
            subject=title,
            template_key="first_contact",
            created=received,
            due=due,
            active_in=["new"],
            status=ActivityStatus.OPEN,
            ended=None,
            owner_id=rep.pk,
            created_by_id=by,
            channel="email",
        )
    else:
        label = pipeline.transition(LEAD_TRANSITIONS.get(path[1], "contact"))
        assert label is not None
        first = world.task(
            lead,
            subject=title,
            template_key="first_contact",
            created=received,
            due=due,
            active_in=["new"],
            status=ActivityStatus.DONE,
            ended=entered[1],
            owner_id=rep.pk,
            created_by_id=by,
            channel="email",
            completed_by=label.label.for_language(world.language),
        )
    activities.append(first)
    _sla(world, lead, path, entered, first)

    for i in range(1, len(path)):
        stage = path[i]
        if stage == "contacted":
            custom.update(
                first_contact_channel=rng.choice(["email", "phone", "whatsapp"]),
                requirements_clear=rng.random() < 0.6,
                expected_purchase_time=rng.choice(
                    ["next_month", "within_3_months", "over_6_months", "unsure"]
                ),
            )
        elif stage == "disqualified":
            custom["disqualify_reason"] = rng.choice(
                ["spam", "not_our_product", "unreachable", "no_real_demand"]
            )
        world.stage_change(
            lead,
            at=entered[i],
            transition=LEAD_TRANSITIONS.get(stage, "convert"),
            old=(path[i - 1], "", entered[i - 1]),
            new=(stage, ""),
            actor_id=rep.pk,
        )
    if len(path) > 1:
        end_at = converted_at or (entered[-1] if path[-1] == "disqualified" else world.at)
        activities += world.logged(lead, entered[1], end_at, rng.choice([0, 1, 1, 2]), inbound=True)
    if path[-1] in MANUAL_TASKS and converted_at is None:
        activities.append(manual(world, lead, path[-1], entered[-1]))

    lead.custom = world.qualified(obj, custom)
    lead.stage, lead.stage_entered_at = path[-1], entered[-1]
    lead.updated_at = entered[-1]
    contacts = [a.occurred_at for a in activities if is_contact(a) and a.occurred_at]
    lead.last_contact_at = max(contacts) if contacts else None
    touched = [entered[-1], *(a.completed_at for a in activities if a.completed_at)]
    world.idle_timers(lead, obj, max(t for t in touched if t is not None))
    return lead


def manual(world: World, record: Lead | Deal, stage: str, entered: datetime) -> ActivityRow:
    """The next step the rep noted by hand in the current stage, in the last few days: open,
    due within a week, one in five overdue by up to two days."""
    rng = world.rng
    start = max(entered, world.at - timedelta(days=rng.uniform(0, 3)))
    created = min(start + timedelta(minutes=10), world.at)
    due = created + timedelta(days=rng.uniform(0.5, 6))
    if rng.random() < 0.2:
        due = max(world.at - timedelta(hours=rng.uniform(1, 48)), created + timedelta(minutes=30))
    return world.task(
        record,
        subject=MANUAL_TASKS[stage],
        template_key="",
        created=created,
        due=due,
        active_in=[],
        status=ActivityStatus.OPEN,
        ended=None,
        owner_id=record.owner_id,
        created_by_id=record.owner_id,
    )


def _sla(
    world: World, lead: Lead, path: list[str], entered: list[datetime], first: ActivityRow
) -> None:
    """The first-response clock (S-17): running for a new lead, met or missed at the first
    contact, ended when the lead was disqualified before any."""
    sla = world.lead_obj.slas[0]
    started = lead.received_at
    values = dict(lead.custom or {})
    target = next(
        (
            t.within
            for t in sla.targets
            if engine.condition(t.when).evaluate(values, today=world.at.date())
        ),
        sla.within,
    )
    clock_name = sla.clock.value
    within = parse_duration(target)
    due = world.calendar.add(started, within, clock_name)
    points = {"breached": due}
    if sla.at_risk_before is not None:
        points["at_risk"] = world.calendar.add(
            started, max(within - parse_duration(sla.at_risk_before), timedelta(0)), clock_name
        )
    for escalation in sla.escalations:
        points[escalation.key] = world.calendar.add(
            due, parse_duration(escalation.after), clock_name
        )
    clock = SlaClock(
        record_type=RecordType.LEAD,
        record_id=lead.pk,
        owner_id=lead.owner_id,
        sla=sla.key,
        state=SlaState.RUNNING,
        started_at=started,
        target=target,
        due_at=due,
        at_risk_at=points.get("at_risk"),
    )
    world.event(
        RecordType.LEAD,
        lead.pk,
        EventKind.SLA_STARTED,
        started,
        lead.created_by_id,
        {"sla": sla.key, "target": target, "due_at": due},
    )
    if len(path) == 1:
        stop = world.at
        for point, at in points.items():
            world.timer(
                TimerKind.SLA,
                RecordType.LEAD,
                lead.pk,
                at,
                started,
                key=f"{sla.key}:{point}",
                data={"sla": sla.key, "point": point},
            )
    elif path[1] == "disqualified":  # closed before any response: the clock ends
        stop = entered[1]
        clock.state, clock.ended_at = SlaState.ENDED, stop
        world.event(
            RecordType.LEAD,
            lead.pk,
            EventKind.SLA_ENDED,
            stop,
            lead.owner_id,
            {"sla": sla.key, "due_at": due, "stage": "disqualified"},
        )
    else:
        stop = entered[1]
        clock.state = SlaState.MET if stop <= due else SlaState.MISSED
        clock.responded_at, clock.response_activity_id = stop, first.pk
        world.event(
            RecordType.LEAD,
            lead.pk,
            EventKind.SLA_MET,
            stop,
            lead.owner_id,
            {
                "sla": sla.key,
                "within_target": clock.state == SlaState.MET,
                "due_at": due,
                "responded_at": stop,
                "activity": first.pk,
                "minutes": round((stop - started).total_seconds() / 60, 1),
            },
        )
    clock.fired = [p for p, at in points.items() if at <= stop]
    clock.breached_at = due if due <= stop else None
    world.rows.clocks.append(clock)
