"""Checking a column mapping against a file's columns and the playbook's lead fields."""

from collections.abc import Mapping, Sequence
from typing import Any

from django.utils.translation import gettext as _

from sopcrm.core.errors import FieldProblem, InvalidInput

from .presets import apply_preset, suggest_mapping
from .selectors import preset_mapping
from .values import ImportFields

NAME_TARGETS = {"name", "first_name", "last_name"}


def mapping_clean(
    mapping: Mapping[str, Any], headers: Sequence[str], fields: ImportFields
) -> dict[str, str]:
    """The mapping restricted to this file's columns, ignored columns left out. InvalidInput for
    a target that is no lead field, or when nothing gives the lead its name."""
    targets = set(fields.targets)
    cleaned: dict[str, str] = {}
    problems: list[FieldProblem] = []
    for column in headers:
        target = mapping.get(column)
        if not target:
            continue
        if not isinstance(target, str) or target not in targets:
            problems.append(
                FieldProblem(
                    f"mapping.{column}",
                    "unknown_field",
                    _("Column %(column)s: no lead field %(target)s.")
                    % {"column": column, "target": target},
                )
            )
            continue
        cleaned[column] = target
    if not problems and not NAME_TARGETS & set(cleaned.values()):
        problems.append(
            FieldProblem(
                "mapping",
                "name_missing",
                _("Map a column to the contact name (or to the first and last name)."),
            )
        )
    if problems:
        raise InvalidInput(problems)
    return cleaned


def mapping_for(
    headers: Sequence[str], fields: ImportFields, *, preset: str | None = None
) -> dict[str, str]:
    """The mapping a file starts with: the preset's, else the suggested one."""
    if preset:
        return apply_preset(headers, preset_mapping(preset), fields.targets)
    return suggest_mapping(headers, fields.targets, fields.custom_labels())
