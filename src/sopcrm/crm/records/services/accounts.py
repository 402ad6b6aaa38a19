from collections.abc import Mapping
from typing import Any

from django.db import transaction

from sopcrm.core import normalise
from sopcrm.core.clock import now
from sopcrm.core.models import RecordType, User
from sopcrm.playbook.schema import ObjectType
from sopcrm.process.playbooks import active_version, playbook_for_version

from ..models import Account
from . import changes as c
from .guards import lock_visible, require_required
from .logging import log_changes, log_created
from .timing import record_timers_refresh

ACCOUNT_FIELDS: dict[str, c.Cleaner] = {
    "name": c.text(200, required=True),
    "website": c.website,
    "country": c.country,
    "industry": c.text(100),
    "phone": c.phone,
    "owner": c.owner,
}


def _derive_domain(account: Account) -> None:
    # The domain is kept in its own indexed column because duplicate detection looks it up.
    try:
        account.domain = normalise.web_domain(account.website) if account.website else ""
    except ValueError:
        account.domain = ""


@transaction.atomic
def account_create(*, actor: User, data: Mapping[str, Any]) -> Account:
    require_required(data, ["name"])
    at = now()
    account = Account(owner=actor, created_at=at, updated_at=at, created_by=actor)
    playbook = playbook_for_version(active_version().pk)
    c.apply_changes(
        account,
        data,
        cleaners=ACCOUNT_FIELDS,
        actor=actor,
        playbook=playbook,
        object_type=ObjectType.ACCOUNT,
    )
    _derive_domain(account)
    account.save()
    log_created(RecordType.ACCOUNT, account, actor)
    record_timers_refresh(RecordType.ACCOUNT, account)
    return account


@transaction.atomic
def account_update(account: Account, *, actor: User, data: Mapping[str, Any]) -> Account:
    account = lock_visible(actor, RecordType.ACCOUNT, account.pk)
    playbook = playbook_for_version(active_version().pk)
    changed = c.apply_changes(
        account,
        data,
        cleaners=ACCOUNT_FIELDS,
        actor=actor,
        playbook=playbook,
        object_type=ObjectType.ACCOUNT,
    )
    if changed:
        _derive_domain(account)
        account.updated_at = now()
        account.save()
        log_changes(RecordType.ACCOUNT, account, changed, actor)
        record_timers_refresh(RecordType.ACCOUNT, account)
    return account
