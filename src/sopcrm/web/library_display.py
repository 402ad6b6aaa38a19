"""Showing email templates and signatures to people: names and section titles in the reader's
language, and the playbook's regions, product lines and languages as labelled choices."""

from collections.abc import Mapping
from typing import Any

from django.utils.translation import get_language_info
from django.utils.translation import gettext as _

from sopcrm.crm.messaging.models import EmailTemplate, TemplatePurpose
from sopcrm.playbook.schema import FieldDef, ObjectType, Playbook
from sopcrm.process.playbooks import active_version, playbook_for_version


def is_chinese(language: str) -> bool:
    return language.lower().startswith("zh")


def label_text(label: Any, language: str) -> str:
    """A stored `{en, zh}` label (a section's title, a hint) in the reader's language."""
    if isinstance(label, Mapping):
        if is_chinese(language) and label.get("zh"):
            return str(label["zh"])
        return str(label.get("en") or "")
    return str(label or "")


def template_name(template: EmailTemplate, language: str) -> str:
    if is_chinese(language) and template.name_zh:
        return template.name_zh
    return template.name


def purpose_label(purpose: str) -> str:
    return str(TemplatePurpose(purpose).label) if purpose in TemplatePurpose.values else purpose


def active_playbook() -> Playbook:
    return playbook_for_version(active_version().pk)


def _field(playbook: Playbook, key: str, object_types: tuple[ObjectType, ...]) -> FieldDef | None:
    for object_type in object_types:
        found = playbook.object(object_type).field(key)
        if found is not None:
            return found
    return None


def option_choices(
    playbook: Playbook, key: str, language: str, *, object_types: tuple[ObjectType, ...] = ()
) -> list[tuple[str, str]]:
    """The options of the deal's (else the lead's) field `key`: regions, product lines."""
    found = _field(playbook, key, object_types or (ObjectType.DEAL, ObjectType.LEAD))
    if found is None:
        return []
    return [(o.key, o.label.for_language(language)) for o in found.options]


def option_label(playbook: Playbook, key: str, value: str, language: str) -> str:
    """A region or product line by its label; empty values read "any"."""
    if not value:
        return _("Any")
    return dict(option_choices(playbook, key, language)).get(value, value)


def language_name(code: str, playbook: Playbook, language: str) -> str:
    """An email language ("es") by name in the reader's language ("Spanish" / "西班牙语")."""
    playbook_name = dict(language_choices(playbook, language)).get(code)
    if playbook_name:
        return playbook_name
    try:
        info = get_language_info(code)
    except KeyError:
        return code
    return str(info["name_translated"])


def language_choices(playbook: Playbook, language: str) -> list[tuple[str, str]]:
    """The languages customers read, from the contact's `languages` field of the playbook."""
    return option_choices(playbook, "languages", language, object_types=(ObjectType.CONTACT,))
