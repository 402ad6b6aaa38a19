"""Custom fields of a record under its playbook version, and who may see or edit each.

Every read path (API, UI, exports, reports) asks `visible_field_keys` before it shows a custom
value, and every write asks `editable_field_keys`, so a manager-only field such as a floor price
(S-34) is hidden everywhere by the same rule.
"""

from sopcrm.core.models import User
from sopcrm.playbook.schema import FieldDef, ObjectType, Playbook, RoleName


def role_of(user: User) -> RoleName:
    if user.is_admin:
        return RoleName.ADMIN
    return RoleName(user.role)


def field_defs(playbook: Playbook, object_type: ObjectType | str) -> tuple[FieldDef, ...]:
    return playbook.object(object_type).fields


def visible_fields(user: User, playbook: Playbook, object_type: ObjectType | str) -> list[FieldDef]:
    role = role_of(user)
    return [f for f in field_defs(playbook, object_type) if role in f.visible_to]


def visible_field_keys(user: User, playbook: Playbook, object_type: ObjectType | str) -> set[str]:
    return {f.key for f in visible_fields(user, playbook, object_type)}


def editable_field_keys(user: User, playbook: Playbook, object_type: ObjectType | str) -> set[str]:
    role = role_of(user)
    return {f.key for f in field_defs(playbook, object_type) if role in f.editable_by}


def visible_custom_values(
    user: User, playbook: Playbook, object_type: ObjectType | str, custom: dict
) -> dict:
    keys = visible_field_keys(user, playbook, object_type)
    return {k: v for k, v in custom.items() if k in keys}
