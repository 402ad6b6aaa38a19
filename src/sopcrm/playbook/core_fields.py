"""The built-in fields of each record type, by the name and type playbooks use for them.

Transitions may require them and conditions may read them like custom fields (a deal's `amount`,
a lead's `country`). A custom field may not reuse one of these keys.
"""

from sopcrm.core.fieldtypes import FieldType

from .schema import ObjectType

CORE_FIELDS: dict[ObjectType, dict[str, FieldType]] = {
    ObjectType.DEAL: {
        "title": FieldType.TEXT,
        "amount": FieldType.NUMBER,
        "currency": FieldType.TEXT,
        "expected_close_on": FieldType.DATE,
        "stage": FieldType.TEXT,
        "pipeline": FieldType.TEXT,
        "owner": FieldType.USER,
    },
    ObjectType.LEAD: {
        "name": FieldType.TEXT,
        "company": FieldType.TEXT,
        "email": FieldType.TEXT,
        "phone": FieldType.TEXT,
        "country": FieldType.COUNTRY,
        "source": FieldType.TEXT,
        "message": FieldType.TEXT,
        "received_at": FieldType.DATETIME,
        "stage": FieldType.TEXT,
        "pipeline": FieldType.TEXT,
        "owner": FieldType.USER,
    },
    ObjectType.ACCOUNT: {
        "name": FieldType.TEXT,
        "website": FieldType.TEXT,
        "country": FieldType.COUNTRY,
        "industry": FieldType.TEXT,
        "phone": FieldType.TEXT,
        "owner": FieldType.USER,
    },
    ObjectType.CONTACT: {
        "name": FieldType.TEXT,
        "job_title": FieldType.TEXT,
        "email": FieldType.TEXT,
        "phone": FieldType.TEXT,
        "country": FieldType.COUNTRY,
        "owner": FieldType.USER,
    },
}

# Built-in fields a transition form may ask for (the rest change through their own actions).
REQUIRABLE_CORE_FIELDS: dict[ObjectType, frozenset[str]] = {
    ObjectType.DEAL: frozenset({"title", "amount", "currency", "expected_close_on"}),
    ObjectType.LEAD: frozenset({"name", "company", "email", "phone", "country", "message"}),
    ObjectType.ACCOUNT: frozenset({"name", "website", "country", "industry", "phone"}),
    ObjectType.CONTACT: frozenset({"name", "job_title", "email", "phone", "country"}),
}


def field_types(object_type: ObjectType, custom: dict[str, FieldType]) -> dict[str, FieldType]:
    return {**CORE_FIELDS[object_type], **custom}
