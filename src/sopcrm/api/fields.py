"""The custom fields a user may see, per object, for scripts that build or check their input."""

from typing import Any

from django.http import HttpRequest
from ninja import Router
from pydantic import BaseModel

from sopcrm.playbook.schema import Label, ObjectType
from sopcrm.process.fields import editable_field_keys, visible_fields
from sopcrm.process.playbooks import active_version, playbook_for_version

from .auth import actor
from .errors import responses

router = Router(tags=["fields"])


class LabelOut(BaseModel):
    en: str
    zh: str | None


class OptionOut(BaseModel):
    key: str
    label: LabelOut


class FieldOut(BaseModel):
    key: str
    label: LabelOut
    type: str
    help: LabelOut | None
    options: list[OptionOut]
    editable: bool


class FieldListOut(BaseModel):
    playbook: str
    playbook_version: int
    items: list[FieldOut]


def _label(label: Label | None) -> dict[str, Any] | None:
    return None if label is None else {"en": label.en, "zh": label.zh}


@router.get("/{object_type}", response={200: FieldListOut, **responses(401, 422)})
def list_fields(request: HttpRequest, object_type: ObjectType) -> dict[str, Any]:
    """Custom fields of the active playbook that you may see; `editable` says if you may set
    them. Filter and sort on them as `custom.<key>`."""
    user = actor(request)
    version = active_version()
    playbook = playbook_for_version(version.pk)
    editable = editable_field_keys(user, playbook, object_type)
    return {
        "playbook": version.key,
        "playbook_version": version.number,
        "items": [
            {
                "key": f.key,
                "label": _label(f.label),
                "type": f.type.value,
                "help": _label(f.help),
                "options": [{"key": o.key, "label": _label(o.label)} for o in f.options],
                "editable": f.key in editable,
            }
            for f in visible_fields(user, playbook, object_type)
        ],
    }
