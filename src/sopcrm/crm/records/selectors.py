"""Permission-aware reads. Every query for records starts here, so no interface can list or
fetch a record its user may not see (see core/visibility.py for the rule)."""

from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from sopcrm.core.errors import NotFound
from sopcrm.core.fieldtypes import is_record_id
from sopcrm.core.models import Event, EventKind, RecordType, User
from sopcrm.core.visibility import owner_visibility
from sopcrm.playbook.schema import ObjectType, Playbook
from sopcrm.process.fields import visible_field_keys
from sopcrm.process.playbooks import playbook_of_record

from .models import Account, Activity, ApprovalRequest, Contact, Deal, Lead


def account_list(user: User) -> QuerySet[Account]:
    return Account.objects.filter(owner_visibility(user)).select_related("owner")


def contact_list(user: User) -> QuerySet[Contact]:
    return Contact.objects.filter(owner_visibility(user)).select_related("owner", "account")


def lead_list(user: User) -> QuerySet[Lead]:
    return Lead.objects.filter(owner_visibility(user)).select_related("owner")


def deal_list(user: User) -> QuerySet[Deal]:
    return Deal.objects.filter(owner_visibility(user)).select_related("owner", "account", "contact")


def activity_list(user: User) -> QuerySet[Activity]:
    """Activities the user owns or that are about a record the user may see."""
    # Each link only where it is set: a manager's rule admits unassigned records (owner IS
    # NULL), and through a missing link the owner is NULL too, which let a manager see every
    # activity not linked to, say, a lead (the permission matrix in tests/security found it).
    visible = owner_visibility(user)
    for link in ("lead", "deal", "account", "contact"):
        visible |= Q(**{f"{link}__isnull": False}) & owner_visibility(user, f"{link}__owner")
    return Activity.objects.filter(visible).select_related(
        "owner", "lead", "deal", "account", "contact"
    )


def own_activity_list(user: User) -> QuerySet[Activity]:
    """The activities the user owns: the same rows as `activity_list(user).filter(owner=user)`,
    without the test of every related record (a user sees what they own), which made counting a
    busy rep's open tasks read all their records."""
    return Activity.objects.filter(owner_visibility(user), owner=user).select_related(
        "owner", "lead", "deal", "account", "contact"
    )


LIST_SELECTORS = {
    RecordType.ACCOUNT: account_list,
    RecordType.CONTACT: contact_list,
    RecordType.LEAD: lead_list,
    RecordType.DEAL: deal_list,
    RecordType.ACTIVITY: activity_list,
}


def record_get(
    user: User, record_type: RecordType | str, record_id: Any, *, for_update: bool = False
) -> Any:
    """One visible record, or NotFound (also for records that exist but are not visible).
    `for_update`: its row locked for the rest of the transaction (its own row only, not the
    owner's or the account's it is read with)."""
    if not is_record_id(record_id):
        raise NotFound(_("No such record."))
    rows = LIST_SELECTORS[RecordType(record_type)](user)
    if for_update:
        rows = rows.select_for_update(of=("self",))
    found = rows.filter(pk=record_id).first()
    if found is None:
        raise NotFound(_("No such record."))
    return found


def account_get(user: User, account_id: int) -> Account:
    result: Account = record_get(user, RecordType.ACCOUNT, account_id)
    return result


def contact_get(user: User, contact_id: int) -> Contact:
    result: Contact = record_get(user, RecordType.CONTACT, contact_id)
    return result


def lead_get(user: User, lead_id: int) -> Lead:
    result: Lead = record_get(user, RecordType.LEAD, lead_id)
    return result


def deal_get(user: User, deal_id: int) -> Deal:
    result: Deal = record_get(user, RecordType.DEAL, deal_id)
    return result


def activity_get(user: User, activity_id: int) -> Activity:
    result: Activity = record_get(user, RecordType.ACTIVITY, activity_id)
    return result


def record_timeline(
    user: User, record_type: RecordType | str, record_id: int, *, limit: int = 200
) -> list[Event]:
    """The event log of one visible record, newest first, with the values of custom fields the
    user may not see taken out (a manager-only floor price must not leak through its history)."""
    record = record_get(user, record_type, record_id)
    events = list(
        Event.objects.filter(record_type=record_type, record_id=record_id)
        .select_related("actor")
        .order_by("-occurred_at", "-id")[:limit]
    )
    hidden = _hidden_custom_keys(user, playbook_of_record(record), record_type)
    return [_redacted(event, hidden) for event in events] if hidden else events


def _hidden_custom_keys(user: User, playbook: Playbook, record_type: RecordType | str) -> set[str]:
    if record_type not in {o.value for o in ObjectType}:
        return set()
    every = {f.key for f in playbook.object(record_type).fields}
    return every - visible_field_keys(user, playbook, record_type)


def _redacted(event: Event, hidden: set[str]) -> Event:
    data = event.data
    field = str(data.get("field", ""))
    if (
        event.kind == EventKind.FIELD_CHANGED
        and field.startswith("custom.")
        and field.removeprefix("custom.") in hidden
    ):
        event.data = {"field": data["field"], "hidden": True}
    elif isinstance(data.get("custom"), dict):
        event.data = {
            **data,
            "custom": {k: v for k, v in data["custom"].items() if k not in hidden},
        }
    return event


def approval_list(user: User) -> QuerySet[ApprovalRequest]:
    """Approval requests the user made or may decide: on records they can see, and for managers
    those of their team (an admin sees all)."""
    visible = owner_visibility(user, "deal__owner") & Q(deal__isnull=False) | (
        owner_visibility(user, "lead__owner") & Q(lead__isnull=False)
    )
    return (
        ApprovalRequest.objects.filter(visible | Q(requested_by=user))
        .select_related("deal", "lead", "requested_by", "decided_by")
        .order_by("-requested_at")
    )


def record_activities(user: User, record: Any) -> QuerySet[Activity]:
    field = {Account: "account", Contact: "contact", Lead: "lead", Deal: "deal"}[type(record)]
    return activity_list(user).filter(Q(**{field: record}))
