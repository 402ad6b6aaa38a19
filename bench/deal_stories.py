"""What happened to each generated deal (see bench/stories.py for the shared rules).

A deal runs New → Contacted → Requirements confirmed → Quoted (with the quote tasks of S-20 and
the chase steps of S-15/S-21, dormant after three unanswered) → Following up → Won (with the
order tasks of S-22), or is lost from any open stage (re-touch task and list by its reactivation
likelihood, S-40); 40 % of deals come from a converted lead (with the account and contact the
conversion made, S-05), the others belong to a direct customer's account."""

import random
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sopcrm.core.models import EventKind, RecordType
from sopcrm.crm.records.models import (
    Account,
    ActivityStatus,
    Contact,
    Deal,
    FeedbackType,
    Lead,
    ListMembership,
)
from sopcrm.playbook.schema import Pipeline
from sopcrm.process import engine

from .rows import ActivityRow
from .stories import (
    MANUAL_TASKS,
    entries,
    is_contact,
    last_entry,
    lead_story,
    manual,
    stage_entered_at,
)
from .world import COUNTRIES, PRODUCTS, World, pick

FROM_LEAD = 0.4  # the share of deals made by converting a lead
# The share of quoted deals a manager moved from New straight to Quoted, outside the
# transitions (S-16: a buyer's complete RFQ, quoted at once), logged as an exception.
SKIPPED_TO_QUOTE = 0.02
SKIP_REASON = "The buyer sent a complete RFQ with specifications: quoted at once."
DEAL_ENDS = {
    "new": 5,
    "contacted": 8,
    "requirements_confirmed": 8,
    "quoted": 12,
    "following_up": 7,
    "won": 20,
    "lost": 40,
}
LOST_FROM = {
    "new": 15,
    "contacted": 20,
    "requirements_confirmed": 20,
    "quoted": 30,
    "following_up": 15,
}
OPEN_PATH = ["new", "contacted", "requirements_confirmed", "quoted", "following_up"]
DEAL_TRANSITIONS = {
    "contacted": "contact",
    "requirements_confirmed": "confirm_requirements",
    "quoted": "send_quote",
    "following_up": "start_follow_up",
    "won": "win",
    "lost": "lose",
}
CHASES = (("chase_1", "pending_2nd"), ("chase_2", "pending_3rd"), ("chase_3", "chased_3_times"))
# What a lost deal's reactivation likelihood starts (the playbook's lost_* rules, S-40).
RETOUCH = {
    "within_3_months": ("retouch_quarterly", "remarketing_high", "lost_high_likelihood"),
    "within_6_12_months": ("retouch_half_yearly", "remarketing_medium", "lost_medium_likelihood"),
    "unlikely": ("", "mailing_list", "lost_low_likelihood"),
}
DEAL_SNAPSHOT = [
    "owner_id",
    "pipeline",
    "stage",
    "stage_entered_at",
    "title",
    "account_id",
    "contact_id",
    "lead_id",
    "amount",
    "currency",
    "expected_close_on",
]
# -- deals ---------------------------------------------------------------------------------


def _deal_path(rng: random.Random) -> list[str]:
    end = pick(rng, DEAL_ENDS)
    if end == "won":
        return [*OPEN_PATH[:4], *(["following_up"] if rng.random() < 0.6 else []), "won"]
    if end == "lost":
        before = pick(rng, LOST_FROM)
        return [*OPEN_PATH[: OPEN_PATH.index(before) + 1], "lost"]
    return OPEN_PATH[: OPEN_PATH.index(end) + 1]


def deal_story(world: World) -> Deal:
    rng, obj = world.rng, world.deal_obj
    pipeline = obj.pipeline("export")
    assert pipeline is not None
    rep = world.rep()
    path = _deal_path(rng)
    if "quoted" in path and rng.random() < SKIPPED_TO_QUOTE:
        path = ["new", *path[path.index("quoted") :]]
    closed = path[-1] in ("won", "lost")
    entered = entries(world, pipeline, path, last_entry(world, pipeline, path[-1], closed))
    created = entered[0]
    deal = Deal(
        pk=world.take_id(Deal),
        owner_id=rep.pk,
        created_by_id=rep.pk,
        created_at=created,
        updated_at=created,
        playbook_version_id=world.version_id,
        pipeline="export",
        stage="new",
        substate="",
        stage_entered_at=created,
        currency=world.currency(),
    )
    world.rows.deals.append(deal)
    if closed:
        deal.expected_close_on = entered[-1].date()
    else:
        deal.expected_close_on = (world.at + timedelta(days=rng.randint(-20, 90))).date()
    custom: dict[str, Any]
    if rng.random() < FROM_LEAD:
        lead = lead_story(world, rep=rep, converted_at=created)
        custom = _convert(world, lead, deal)
    else:
        found = rng.choice(world.customers[rep.pk])
        deal.account_id, deal.contact_id = found.account_id, rng.choice(found.contact_ids)
        deal.title = f"{found.name}: {rng.choice(PRODUCTS)}"
        custom = {
            "region": COUNTRIES[found.country][1],
            "product_line": rng.choice(["standard", "custom"]),
        }
        if rng.random() < 0.6:
            custom["checklist"] = world.checklist(obj)
        if rng.random() < 0.5:
            custom["buyer_strength"] = rng.choice(["strong", "medium", "price_only"])
    deal.custom = world.qualified(obj, custom)
    world.created(RecordType.DEAL, deal, DEAL_SNAPSHOT)
    world.started(deal)

    activities = _deal_tasks(world, deal, pipeline, path, entered, custom)
    quote_start = entered[path.index("quoted")] if "quoted" in path else entered[-1]
    if quote_start > created:
        activities += world.logged(
            deal, created, quote_start, rng.choice([0, 1, 1, 1, 2]), inbound=True
        )
    if path[-1] in MANUAL_TASKS:
        activities.append(manual(world, deal, path[-1], entered[-1]))

    if "quoted" in path or rng.random() < 0.4:
        deal.amount = Decimal(rng.randint(2_000, 250_000))
    deal.custom = world.qualified(obj, custom)
    deal.stage, deal.stage_entered_at = path[-1], entered[-1]
    deal.closed_at = entered[-1] if closed else None
    deal.updated_at = max(entered[-1], deal.updated_at)
    contacts = [a.occurred_at for a in activities if is_contact(a) and a.occurred_at]
    deal.last_contact_at = max(contacts) if contacts else None
    touched = [deal.updated_at, *(a.completed_at for a in activities if a.completed_at)]
    world.idle_timers(deal, obj, max(t for t in touched if t is not None))
    world.date_timers(deal, obj)
    return deal


def _convert(world: World, lead: Lead, deal: Deal) -> dict[str, Any]:
    """What lead_convert makes at the lead's conversion: an account, a contact and the deal's
    custom values through the playbook's mapping; the CONVERTED event on the lead."""
    conversion = world.lead_obj.conversion
    assert conversion is not None
    at, rep_id = deal.created_at, deal.owner_id
    account = Account(
        pk=world.take_id(Account),
        name=lead.company,
        country=lead.country,
        owner_id=rep_id,
        created_by_id=rep_id,
        created_at=at,
        updated_at=at,
    )
    world.rows.accounts.append(account)
    world.created(RecordType.ACCOUNT, account, ["owner_id", "name", "country"])
    contact = Contact(
        pk=world.take_id(Contact),
        account_id=account.pk,
        name=lead.name,
        email=lead.email,
        phone=lead.phone,
        country=lead.country,
        owner_id=rep_id,
        created_by_id=rep_id,
        created_at=at,
        updated_at=at,
    )
    world.rows.contacts.append(contact)
    world.created(
        RecordType.CONTACT, contact, ["owner_id", "account_id", "name", "email", "phone", "country"]
    )
    deal.lead_id, deal.account_id, deal.contact_id, deal.title = (
        lead.pk,
        account.pk,
        contact.pk,
        lead.company,
    )
    values = lead.custom or {}
    custom = {
        target: values[source]
        for target, source in conversion.deal.items()
        if target != "title" and values.get(source) not in (None, "", [])
    }
    world.event(
        RecordType.LEAD,
        lead.pk,
        EventKind.CONVERTED,
        at,
        rep_id,
        {"account": account.pk, "contact": contact.pk, "deal": deal.pk},
    )
    return custom


def _fill(
    world: World, stage: str, custom: dict[str, Any], deal: Deal, at: datetime, final: str
) -> None:
    """What the transition into `stage` asks for (S-09, S-13, S-10, S-11, S-32)."""
    rng = world.rng
    if stage == "contacted":
        custom.setdefault("first_contact_channel", rng.choice(["email", "phone", "whatsapp"]))
        custom.setdefault("requirements_clear", rng.random() < 0.6)
        custom.setdefault(
            "expected_purchase_time",
            rng.choice(["next_month", "within_3_months", "over_6_months", "unsure"]),
        )
    elif stage == "requirements_confirmed":
        custom.setdefault("target_price", world.money(5, 80, deal.currency))
        custom.update(
            lead_time_requirement=f"{rng.choice([20, 30, 45, 60])} days",
            certifications=rng.choice(["CE", "CE, ISO 9001", "API 6D", "WRAS"]),
            competitor=rng.choice(["A local maker", "A Turkish supplier", "None known"]),
        )
    elif stage == "quoted":
        if final == "won":  # S-32: an order needs the 10 core items clear
            custom["checklist"] = world.checklist(world.deal_obj, all_core=True)
        confirmed = world.qualified(world.deal_obj, custom).get("checklist_confirmed", 0)
        day = at.astimezone(world.calendar.zone).date()
        custom.update(
            quote_date=day.isoformat(),
            quote_valid_until=(day + timedelta(days=30)).isoformat(),
            quote_channel=rng.choice(["email", "platform", "other"]),
            core_specifications="DN50 stainless, PN16",
            quote_type="precise"
            if confirmed >= 6 and rng.random() < 0.7
            else "range_with_preconditions",
        )
        if rng.random() < 0.6:
            custom["discount_percent"] = rng.randint(0, 20)  # above 20 would need an approval
        if rng.random() < 0.5:
            custom["cost_price"] = world.money(3, 40, deal.currency)
            custom["floor_price"] = world.money(4, 50, deal.currency)
    elif stage == "won":
        confirmed = world.qualified(world.deal_obj, custom).get("checklist_confirmed", 0)
        if confirmed < 16:
            custom["change_clause"] = True
    elif stage == "lost":
        reasons = [
            "price_too_high",
            "lead_time_too_long",
            "certification_not_met",
            "stable_supplier",
            "spec_mismatch",
            "customer_internal",
        ]
        custom.update(
            lost_reasons=sorted(rng.sample(reasons, rng.choice([1, 1, 2])), key=reasons.index),
            lost_note="Chose another supplier.",
            reactivation_likelihood=rng.choice(list(RETOUCH)),
        )
        if rng.random() < 0.5:
            custom["competitor"] = rng.choice(["A local maker", "A Turkish supplier"])


def _deal_tasks(
    world: World,
    deal: Deal,
    pipeline: Pipeline,
    path: list[str],
    entered: list[datetime],
    custom: dict[str, Any],
) -> list[ActivityRow]:
    """Walk the path: the transitions' values, the stage events and every task the stages create."""
    obj, lang, owner = world.deal_obj, world.language, deal.owner_id
    made: list[ActivityRow] = []

    def title(key: str) -> str:
        return world.template(obj, key)[1]

    # New: the first-contact task, done by "First contact made" or cancelled by a loss.
    template = world.template(obj, "first_contact")[0]
    anchors = engine.Anchors(created_at=deal.created_at, stage_entered_at=deal.created_at)
    due = world.due(template, deal.created_at, anchors)
    if len(path) == 1:
        status, ended, by = ActivityStatus.OPEN, None, ""
    elif path[1] == "contacted":
        transition = pipeline.transition("contact")
        assert transition is not None
        status, ended, by = ActivityStatus.DONE, entered[1], transition.label.for_language(lang)
    else:
        status, ended, by = ActivityStatus.CANCELLED, entered[1], ""
    made.append(
        world.task(
            deal,
            subject=title("first_contact"),
            template_key="first_contact",
            created=deal.created_at,
            due=due,
            active_in=["new"],
            status=status,
            ended=ended,
            owner_id=owner,
            created_by_id=owner,
            channel="email",
            completed_by=by,
            stage_left_to=path[1] if len(path) > 1 else "",
        )
    )

    substate = ""
    for i in range(1, len(path)):
        stage, at = path[i], entered[i]
        _fill(world, stage, custom, deal, at, path[-1])
        new_sub = "pending_1st" if stage == "quoted" else ""
        skipped = (path[i - 1], stage) == ("new", "quoted")
        world.stage_change(
            deal,
            at=at,
            transition=None if skipped else DEAL_TRANSITIONS[stage],
            old=(path[i - 1], substate, entered[i - 1]),
            new=(stage, new_sub),
            actor_id=world.managers.get(world.team_of[owner], owner) if skipped else owner,
            exception=SKIP_REASON if skipped else None,
        )
        substate = new_sub
        if stage == "quoted":
            substate = _quoted(world, deal, path, entered, i, custom, made, title)
        elif stage == "won":
            for key in (
                "order_confirmation",
                "production_followup",
                "after_sales_followup",
                "review_request",
            ):
                _playbook_task(world, deal, key, at, world.at, made, title, path, entered)
        elif stage == "lost":
            _lost(world, deal, at, custom, made, title, path, entered)
    deal.substate = substate if path[-1] == "quoted" else ""
    return made


def _playbook_task(
    world: World,
    deal: Deal,
    key: str,
    created: datetime,
    window: datetime,
    made: list[ActivityRow],
    title: Any,
    path: list[str],
    entered: list[datetime],
    *,
    by: int | None = None,
    anchors: engine.Anchors | None = None,
) -> ActivityRow:
    template = world.template(world.deal_obj, key)[0]
    anchors = anchors or engine.Anchors(created_at=deal.created_at, stage_entered_at=created)
    due = world.due(template, created, anchors)
    status, ended = world.outcome(created, due, window)
    active = (
        []
        if template.keep_after_stage
        else list(template.active_in or [stage_entered_at(path, entered, created)])
    )
    task = world.task(
        deal,
        subject=title(key),
        template_key=key,
        created=created,
        due=due,
        active_in=active,
        status=status,
        ended=ended,
        owner_id=deal.owner_id,
        created_by_id=deal.owner_id if by is None else by,
        channel=template.channel or "",
        stage_left_to=stage_entered_at(path, entered, ended) if ended else "",
    )
    made.append(task)
    return task


def _quoted(
    world: World,
    deal: Deal,
    path: list[str],
    entered: list[datetime],
    i: int,
    custom: dict[str, Any],
    made: list[ActivityRow],
    title: Any,
) -> str:
    """Quoted (S-20, S-21, S-15): the quote tasks, then the chase, each step created when the one
    before is done; the step the deal is at when it leaves Quoted (or now)."""
    q_at = entered[i]
    quoted_end = entered[i + 1] if i + 1 < len(path) else world.at
    after = [k for k, stage in enumerate(path) if stage in ("won", "lost")]
    chase_end = entered[after[0]] if after else world.at
    anchors = engine.Anchors(created_at=deal.created_at, stage_entered_at=q_at, values=dict(custom))
    for key in ("quote_confirmation", "opportunity_assessment", "quote_check_14"):
        template = world.template(world.deal_obj, key)[0]
        window = chase_end if "following_up" in (template.active_in or []) else quoted_end
        _playbook_task(world, deal, key, q_at, window, made, title, path, entered, anchors=anchors)
    substate, created, completed = "pending_1st", q_at, {}
    for key, next_sub in CHASES:
        task = _playbook_task(
            world,
            deal,
            key,
            created,
            chase_end,
            made,
            title,
            path,
            entered,
            anchors=replace(anchors, completed=dict(completed)),
        )
        if task.status != ActivityStatus.DONE or task.completed_at is None:
            return substate
        completed[key] = created = task.completed_at
        if created < quoted_end:  # the follow-up status moves only inside Quoted
            world.event(
                RecordType.DEAL,
                deal.pk,
                EventKind.SUBSTATE_CHANGED,
                created,
                deal.owner_id,
                {
                    "pipeline": "export",
                    "stage": "quoted",
                    "from": substate,
                    "to": next_sub,
                    "task": task.pk,
                },
            )
            substate = next_sub
            deal.updated_at = max(deal.updated_at, created)
    if made[-1].feedback_type == FeedbackType.NO_REPLY:
        # dormant_after_third_chase (S-21): dormant, and a monthly touch until the deal closes.
        custom["dormant"] = True
        for _n in world.repeats():
            task = _playbook_task(
                world,
                deal,
                "dormant_touch",
                created,
                chase_end,
                made,
                title,
                path,
                entered,
                by=world.automation_id,
            )
            if task.completed_at is None:
                break
            created = task.completed_at
    return substate


def _lost(
    world: World,
    deal: Deal,
    at: datetime,
    custom: dict[str, Any],
    made: list[ActivityRow],
    title: Any,
    path: list[str],
    entered: list[datetime],
) -> None:
    """The lost_* rules (S-40): a repeating re-touch task and a list, by reactivation likelihood."""
    task_key, list_key, rule_key = RETOUCH[custom["reactivation_likelihood"]]
    fired = at + timedelta(minutes=1)  # the worker takes the change a moment later
    world.rows.memberships.append(
        ListMembership(
            list_key=list_key,
            record_type=RecordType.DEAL,
            record_id=deal.pk,
            added_at=fired,
            rule_key=rule_key,
        )
    )
    created = fired
    for _n in world.repeats() if task_key else ():
        task = _playbook_task(
            world,
            deal,
            task_key,
            created,
            world.at,
            made,
            title,
            path,
            entered,
            by=world.automation_id,
        )
        if task.completed_at is None:
            break
        created = task.completed_at
