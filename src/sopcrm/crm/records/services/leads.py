from collections.abc import Mapping
from typing import Any

from django.db import transaction

from sopcrm.core.clock import now
from sopcrm.core.models import RecordType, User
from sopcrm.playbook.schema import ObjectType
from sopcrm.process.playbooks import playbook_for_version

from ..models import Lead, LeadSource
from . import changes as c
from .assignment import assignment_choose
from .duplicates import company_index_set
from .guards import lock_visible, require_required
from .logging import log_changes, log_created
from .ownership import log_assigned, owner_changed
from .qualification import qualification_apply, qualification_log
from .staged import place_in_pipeline, start_process, use_active_version
from .timing import record_timers_refresh

LEAD_FIELDS: dict[str, c.Cleaner] = {
    "name": c.text(200, required=True),
    "company": c.text(200),
    "email": c.email,
    "phone": c.phone,
    "country": c.country,
    "source": c.choice(LeadSource),
    "message": c.text(20_000),
    "owner": c.owner,
}
# Only at creation: an inquiry exported from a B2B platform keeps the time it really arrived.
LEAD_CREATE_FIELDS = {**LEAD_FIELDS, "received_at": c.aware_datetime(not_future=True)}


@transaction.atomic
def lead_create(
    *,
    actor: User,
    data: Mapping[str, Any],
    assign: bool = False,
    import_key: str | None = None,
) -> Lead:
    """A new lead, owned by `actor`, or with `assign` (intake: forms, batches, imports) by the
    playbook's assignment rules unless `data` names the owner."""
    require_required(data, ["name"])
    at = now()
    lead = Lead(
        owner=None if assign else actor,
        created_at=at,
        updated_at=at,
        created_by=actor,
        received_at=at,
        import_key=import_key,
    )
    values = dict(data)
    if values.get("received_at") is None:
        values.pop("received_at", None)  # not given (or null): received now
    pipeline = values.pop("pipeline", None)
    playbook = use_active_version(lead)
    c.apply_changes(
        lead,
        values,
        cleaners=LEAD_CREATE_FIELDS,
        actor=actor,
        playbook=playbook,
        object_type=ObjectType.LEAD,
    )
    company_index_set(lead)
    qualified = qualification_apply(lead, actor=actor)
    place_in_pipeline(lead, ObjectType.LEAD, pipeline)
    if assign and lead.owner_id is None:
        choice = assignment_choose(lead)
        lead.owner, lead.assignment_rule = choice.owner, choice.rule
    lead.assigned_at = at if lead.owner_id is not None else None
    lead.save()
    log_created(RecordType.LEAD, lead, actor)
    qualification_log(lead, qualified, actor=actor)
    if assign:
        log_assigned(lead, actor)
    start_process(RecordType.LEAD, lead, actor)
    return lead


@transaction.atomic
def lead_update(lead: Lead, *, actor: User, data: Mapping[str, Any]) -> Lead:
    lead = lock_visible(actor, RecordType.LEAD, lead.pk)
    changed = c.apply_changes(
        lead,
        data,
        cleaners=LEAD_FIELDS,
        actor=actor,
        playbook=playbook_for_version(lead.playbook_version_id),
        object_type=ObjectType.LEAD,
    )
    changed += qualification_apply(lead, actor=actor, changed=changed)
    if changed:
        lead.updated_at = now()
        previous_owner = next((c.old for c in changed if c.field == "owner"), False)
        if any(change.field == "company" for change in changed):
            company_index_set(lead)
        lead.save()
        log_changes(RecordType.LEAD, lead, changed, actor)
        if previous_owner is not False:
            owner_changed(lead, previous_owner, actor=actor)
        record_timers_refresh(RecordType.LEAD, lead)
    return lead
