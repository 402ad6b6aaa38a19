from collections.abc import Mapping
from typing import Any

from django.db import transaction

from sopcrm.core.clock import now
from sopcrm.core.models import RecordType, User
from sopcrm.playbook.schema import ObjectType
from sopcrm.process.playbooks import active_version, playbook_for_version

from .. import selectors
from ..models import Contact
from . import changes as c
from .guards import lock_visible, require_required
from .logging import log_changes, log_created
from .timing import record_timers_refresh

CONTACT_FIELDS: dict[str, c.Cleaner] = {
    "name": c.text(200, required=True),
    "account": c.related(selectors.account_list),
    "job_title": c.text(200),
    "email": c.email,
    "phone": c.phone,
    "country": c.country,
    "owner": c.owner,
}


@transaction.atomic
def contact_create(*, actor: User, data: Mapping[str, Any]) -> Contact:
    require_required(data, ["name"])
    at = now()
    contact = Contact(owner=actor, created_at=at, updated_at=at, created_by=actor)
    playbook = playbook_for_version(active_version().pk)
    c.apply_changes(
        contact,
        data,
        cleaners=CONTACT_FIELDS,
        actor=actor,
        playbook=playbook,
        object_type=ObjectType.CONTACT,
    )
    contact.save()
    log_created(RecordType.CONTACT, contact, actor)
    record_timers_refresh(RecordType.CONTACT, contact)
    return contact


@transaction.atomic
def contact_update(contact: Contact, *, actor: User, data: Mapping[str, Any]) -> Contact:
    contact = lock_visible(actor, RecordType.CONTACT, contact.pk)
    playbook = playbook_for_version(active_version().pk)
    changed = c.apply_changes(
        contact,
        data,
        cleaners=CONTACT_FIELDS,
        actor=actor,
        playbook=playbook,
        object_type=ObjectType.CONTACT,
    )
    if changed:
        contact.updated_at = now()
        contact.save()
        log_changes(RecordType.CONTACT, contact, changed, actor)
        record_timers_refresh(RecordType.CONTACT, contact)
    return contact
