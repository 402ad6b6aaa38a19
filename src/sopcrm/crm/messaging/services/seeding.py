"""Filling the team library from a playbook's `email_templates`.

Called after a playbook version is activated. A template is added only when the team library has
none under its key (live or archived): what the team edited, replaced or archived stays as they
left it, so applying a new playbook version never overwrites the library.
"""

from django.db import transaction

from sopcrm.core.clock import now
from sopcrm.process.models import PlaybookVersion
from sopcrm.process.playbooks import playbook_for_version

from ..definitions import apply_definition
from ..models import EmailTemplate, TemplateAction
from .templates import log_change


@transaction.atomic
def templates_seed_from_playbook(version: PlaybookVersion) -> list[EmailTemplate]:
    """Add the version's templates that the team library lacks; returns those added."""
    playbook = playbook_for_version(version.pk)
    if not playbook.email_templates:
        return []
    # Lock the team library's rows so that two activations do not both add the same key.
    known = set(
        EmailTemplate.objects.select_for_update()
        .filter(owner__isnull=True)
        .values_list("key", flat=True)
    )
    created = []
    at = now()
    for definition in playbook.email_templates:
        if definition.key in known:
            continue
        template = EmailTemplate(
            owner=None,
            origin=f"{version.key} v{version.number}",
            created_at=at,
            updated_at=at,
            created_by=version.applied_by,
        )
        apply_definition(template, definition)
        template.save()
        log_change(template, TemplateAction.SEEDED, version.applied_by, {"origin": template.origin})
        known.add(definition.key)
        created.append(template)
    return created
