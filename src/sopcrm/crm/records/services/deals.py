from collections.abc import Mapping
from typing import Any

from django.db import transaction

from sopcrm.core.clock import now
from sopcrm.core.models import RecordType, User
from sopcrm.playbook.schema import ObjectType
from sopcrm.process.playbooks import playbook_for_version

from .. import selectors
from ..models import Deal
from . import changes as c
from .guards import lock_visible, require_required
from .logging import log_changes, log_created
from .ownership import owner_changed
from .qualification import qualification_apply, qualification_log
from .staged import place_in_pipeline, start_process, use_active_version
from .timing import record_timers_refresh

DEAL_FIELDS: dict[str, c.Cleaner] = {
    "title": c.text(200, required=True),
    "account": c.related(selectors.account_list),
    "contact": c.related(selectors.contact_list),
    "lead": c.related(selectors.lead_list),
    "amount": c.amount,
    "currency": c.currency,
    "expected_close_on": c.plain_date,
    "owner": c.owner,
}


@transaction.atomic
def deal_create(*, actor: User, data: Mapping[str, Any]) -> Deal:
    require_required(data, ["title"])
    at = now()
    deal = Deal(owner=actor, created_at=at, updated_at=at, created_by=actor)
    values = dict(data)
    pipeline = values.pop("pipeline", None)
    playbook = use_active_version(deal)
    c.apply_changes(
        deal,
        values,
        cleaners=DEAL_FIELDS,
        actor=actor,
        playbook=playbook,
        object_type=ObjectType.DEAL,
    )
    qualified = qualification_apply(deal, actor=actor)
    place_in_pipeline(deal, ObjectType.DEAL, pipeline)
    deal.save()
    log_created(RecordType.DEAL, deal, actor)
    qualification_log(deal, qualified, actor=actor)
    start_process(RecordType.DEAL, deal, actor)
    return deal


@transaction.atomic
def deal_update(deal: Deal, *, actor: User, data: Mapping[str, Any]) -> Deal:
    deal = lock_visible(actor, RecordType.DEAL, deal.pk)
    changed = c.apply_changes(
        deal,
        data,
        cleaners=DEAL_FIELDS,
        actor=actor,
        playbook=playbook_for_version(deal.playbook_version_id),
        object_type=ObjectType.DEAL,
    )
    changed += qualification_apply(deal, actor=actor, changed=changed)
    if changed:
        deal.updated_at = now()
        previous_owner = next((c.old for c in changed if c.field == "owner"), False)
        deal.save()
        log_changes(RecordType.DEAL, deal, changed, actor)
        if previous_owner is not False:
            owner_changed(deal, previous_owner, actor=actor)
        record_timers_refresh(RecordType.DEAL, deal)
    return deal
