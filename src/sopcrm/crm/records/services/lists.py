"""Putting records on the playbook's lists (S-40) and taking them off."""

from sopcrm.core.clock import now

from ..models import ListMembership


def list_add(list_key: str, record_type: str, record_id: int, *, rule_key: str = "") -> bool:
    """Add the record to the list; False when it was on it already."""
    _membership, created = ListMembership.objects.get_or_create(
        list_key=list_key,
        record_type=record_type,
        record_id=record_id,
        defaults={"added_at": now(), "rule_key": rule_key},
    )
    return created


def list_remove(list_key: str, record_type: str, record_id: int) -> bool:
    """Take the record off the list; False when it was not on it."""
    removed, _detail = ListMembership.objects.filter(
        list_key=list_key, record_type=record_type, record_id=record_id
    ).delete()
    return bool(removed)
