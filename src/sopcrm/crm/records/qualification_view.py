"""What the record page shows of a lead's or deal's checklist (S-27..S-29): each item, clear
or open, the counts, the values the checklist set (grade, priority, track) and the open items,
core first: the goal of the next follow-up. A read model; writing is services.qualification."""

from dataclasses import dataclass
from typing import NamedTuple

from django.utils.translation import get_language

from sopcrm.core.models import User
from sopcrm.process.fields import visible_field_keys

from .models import Deal, Lead
from .services.playbook_context import object_of, playbook_of, record_type_of
from .services.qualification import qualification_evaluate


class ChecklistItem(NamedTuple):
    key: str
    label: str
    confirmed: bool
    core: bool
    key_item: bool


class QualificationValue(NamedTuple):
    field: str
    label: str  # the field's label
    value: str | None  # the option key
    text: str  # the option's label, "" when empty


@dataclass(frozen=True)
class QualificationView:
    label: str  # the checklist field's label
    items: list[ChecklistItem]
    count: int
    core_count: int
    core_total: int
    open_items: list[ChecklistItem]  # core first
    values: list[QualificationValue]  # the scores in the playbook's order, then the grade

    @property
    def total(self) -> int:
        return len(self.items)

    def value(self, field: str) -> str | None:
        return next((v.value for v in self.values if v.field == field), None)


def qualification_view(
    record: Lead | Deal, *, user: User | None = None, language: str | None = None
) -> QualificationView | None:
    """The checklist of `record`, labelled in `language` (default: the active one); None when
    its playbook has none, or when `user` may not see the checklist field. Values of fields
    `user` may not see are left out."""
    obj = object_of(record)
    q = obj.qualification
    checklist = obj.field(q.field) if q is not None else None
    if q is None or checklist is None:
        return None
    visible = None
    if user is not None:
        visible = visible_field_keys(user, playbook_of(record), record_type_of(record).value)
        if q.field not in visible:
            return None
    language = language or get_language()
    custom = record.custom or {}
    evaluation = qualification_evaluate(obj, custom)
    assert evaluation is not None
    core, key_items, confirmed = set(q.core), set(q.key_items), set(evaluation.confirmed)
    items = {
        option.key: ChecklistItem(
            option.key,
            option.label.for_language(language),
            option.key in confirmed,
            option.key in core,
            option.key in key_items,
        )
        for option in checklist.options
    }
    values = []
    for key in [s.field for s in q.scores] + ([q.grade.field] if q.grade else []):
        field = obj.field(key)
        if field is None or (visible is not None and key not in visible):
            continue
        value = custom.get(key)
        values.append(
            QualificationValue(
                key,
                field.label.for_language(language),
                value,
                field.option_label(value, language) if value else "",
            )
        )
    return QualificationView(
        label=checklist.label.for_language(language),
        items=list(items.values()),
        count=len(evaluation.confirmed),
        core_count=len(evaluation.core_confirmed),
        core_total=len([k for k in q.core if k in items]),
        open_items=[items[key] for key in evaluation.open_items],
        values=values,
    )
