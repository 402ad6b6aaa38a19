"""Run inside a site's own process (site.Site.run), with Django set up on that site's database:
the people and token a workload needs, and the state it ends in, as JSON."""

import json
from collections import Counter
from typing import Any

from sopcrm.core.models import Event, Role, User
from sopcrm.core.tokens import token_create
from sopcrm.core.users import team_create, user_create
from sopcrm.crm.imports.models import ImportJob
from sopcrm.crm.notifications.models import Notification
from sopcrm.crm.records.models import Account, Activity, Contact, Deal, Lead
from sopcrm.process.models import Timer

REPS = ("alice", "bob", "carol")


def setup() -> str:
    """An administrator, a team with its manager and three reps; prints the admin's API token."""
    team = team_create(name="East")
    admin = user_create(username="admin", password="pw-admin-1", role=Role.ADMIN)
    user_create(username="manager", password="pw-manager-1", role=Role.MANAGER, team=team)
    for name in REPS:
        user_create(username=name, password=f"pw-{name}-1", team=team)
    return token_create(user=admin, name="workload").secret


def prepare() -> str:
    """Prepare the database as `sopcrm serve` does as it starts."""
    from sopcrm.cli.management.commands.serve import prepare_database

    prepare_database()
    return "prepared"


def _name(user: User | None) -> str:
    return user.username if user else ""


def _counter(pairs: Any) -> list[list[Any]]:
    return sorted([*key, count] for key, count in Counter(pairs).items())


def snapshot() -> str:
    """What the workload left, independent of row ids and of the order the workers did things
    in: each record with its stage and owner, each task, and counts of events, notifications
    and timers."""
    leads = {lead.pk: lead for lead in Lead.objects.select_related("owner")}
    deals = {deal.pk: deal for deal in Deal.objects.select_related("owner")}

    def label(activity: Activity) -> str:
        if activity.lead_id:
            return "lead " + leads[activity.lead_id].name
        if activity.deal_id:
            return "deal " + deals[activity.deal_id].title
        return "other"

    state = {
        "leads": sorted(
            [lead.name, lead.email, lead.stage, lead.substate, _name(lead.owner), lead.source]
            for lead in leads.values()
        ),
        "deals": sorted(
            [deal.title, deal.stage, deal.substate, _name(deal.owner)] for deal in deals.values()
        ),
        "accounts": sorted(a.name for a in Account.objects.all()),
        "contacts": sorted(c.name for c in Contact.objects.all()),
        "tasks": sorted(
            [label(a), a.kind, a.template_key, a.subject, a.status, _name(a.owner)]
            for a in Activity.objects.select_related("owner")
        ),
        "events": _counter(Event.objects.values_list("record_type", "kind")),
        "notifications": _counter(
            Notification.objects.values_list("user__username", "kind", "rule_key")
        ),
        "timers": _counter(Timer.objects.values_list("kind", "key", "status")),
        "imports": sorted(
            [job.status, job.total_rows, job.created_count, job.error_count]
            for job in ImportJob.objects.all()
        ),
    }
    return json.dumps(state)
