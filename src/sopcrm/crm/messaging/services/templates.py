"""Writing templates: the team library and personal variants (S-39).

Who may do what: managers and admins keep the team library (create, edit, archive, promote or
decline proposals); every user keeps their own personal variants (save, edit, propose, archive).
Every change is checked like a playbook entry and logged in TemplateChange.

Promotion replaces: a proposed variant of a team template becomes that template's new version
under the same key (the old one is archived, so emails sent from it keep their source); a variant
of nothing in the library becomes a new team template. Either way the rep's variant is archived,
since its text now lives in the library.
"""

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from sopcrm.core.clock import now
from sopcrm.core.errors import Conflict, InvalidInput, PermissionDenied
from sopcrm.core.events import jsonable
from sopcrm.core.models import User
from sopcrm.process.playbooks import active_version, playbook_for_version

from .. import selectors
from ..definitions import apply_definition, checked_definition, definition_data
from ..models import EmailTemplate, TemplateAction, TemplateChange, TemplateStatus


def log_change(
    template: EmailTemplate,
    action: TemplateAction,
    actor: User | None,
    data: dict[str, Any] | None = None,
) -> None:
    TemplateChange.objects.create(
        template=template,
        action=action,
        actor=actor,
        data=jsonable(data or {}),
        occurred_at=now(),
    )


def _keeps_library(user: User) -> bool:
    return user.is_active and (user.is_manager or user.is_admin)


def _require_editor(actor: User, template: EmailTemplate) -> None:
    if template.is_team:
        if not _keeps_library(actor):
            raise PermissionDenied(_("Only managers and admins edit the team library."))
    elif template.owner_id != actor.pk:
        raise PermissionDenied(_("Only its owner edits a personal template."))


def _lock(actor: User, template: EmailTemplate) -> EmailTemplate:
    found = selectors.template_get(actor, template.pk)
    return EmailTemplate.objects.select_for_update().get(pk=found.pk)


def _check_key_free(key: str, owner: User | None, exclude: int | None = None) -> None:
    taken = EmailTemplate.objects.filter(key=key, owner=owner).exclude(
        status=TemplateStatus.ARCHIVED
    )
    if exclude is not None:
        taken = taken.exclude(pk=exclude)
    if taken.exists():
        message = (
            _("The team library has a template with this key.")
            if owner is None
            else _("You already have a template with this key; give this one another key.")
        )
        raise InvalidInput.single("key", "unique", message)


def _playbook() -> Any:
    return playbook_for_version(active_version().pk)


@transaction.atomic
def template_create(*, actor: User, data: Mapping[str, Any], team: bool = False) -> EmailTemplate:
    """A new template from `data` (the shape of a playbook `email_templates` entry): in the team
    library with `team` (managers and admins), else as the actor's personal template."""
    if team and not _keeps_library(actor):
        raise PermissionDenied(_("Only managers and admins add to the team library."))
    definition = checked_definition(data, _playbook())
    owner = None if team else actor
    _check_key_free(definition.key, owner)
    at = now()
    template = EmailTemplate(owner=owner, created_at=at, updated_at=at, created_by=actor)
    apply_definition(template, definition)
    template.save()
    log_change(template, TemplateAction.CREATED, actor)
    return template


@transaction.atomic
def template_update(
    template: EmailTemplate, *, actor: User, data: Mapping[str, Any]
) -> EmailTemplate:
    """Change some of a template's content (`data` holds only the keys that change)."""
    template = _lock(actor, template)
    _require_editor(actor, template)
    if template.status == TemplateStatus.ARCHIVED:
        raise Conflict(_("This template is archived."), code="archived")
    before = definition_data(template)
    definition = checked_definition({**before, **data}, _playbook())
    _check_key_free(definition.key, template.owner, exclude=template.pk)
    apply_definition(template, definition)
    after = definition_data(template)
    changed = sorted(k for k in after if after[k] != before[k])
    if changed:
        template.updated_at = now()
        template.save()
        log_change(template, TemplateAction.UPDATED, actor, {"fields": changed})
    return template


@transaction.atomic
def template_variant_create(
    base: EmailTemplate, *, actor: User, data: Mapping[str, Any] | None = None
) -> EmailTemplate:
    """Save a personal variant of a visible template: a copy owned by the actor, with the
    changes in `data` (by default under the same key, which personal templates may share with
    the library)."""
    base = selectors.template_get(actor, base.pk)
    definition = checked_definition({**definition_data(base), **(data or {})}, _playbook())
    _check_key_free(definition.key, actor)
    at = now()
    variant = EmailTemplate(
        owner=actor, based_on=base, created_at=at, updated_at=at, created_by=actor
    )
    apply_definition(variant, definition)
    variant.save()
    log_change(variant, TemplateAction.VARIANT_CREATED, actor, {"based_on": base.pk})
    return variant


@transaction.atomic
def template_propose(template: EmailTemplate, *, actor: User, note: str = "") -> EmailTemplate:
    """Offer a personal variant to the team library; a manager promotes or declines it."""
    template = _lock(actor, template)
    if template.is_team or template.owner_id != actor.pk:
        raise PermissionDenied(_("You can propose only your own personal templates."))
    if template.status != TemplateStatus.ACTIVE:
        raise Conflict(_("Only an active personal template can be proposed."), code="not_active")
    template.status = TemplateStatus.PROPOSED
    template.proposal_note = note.strip()
    template.updated_at = now()
    template.save()
    log_change(template, TemplateAction.PROPOSED, actor, {"note": template.proposal_note})
    return template


def _decidable(actor: User, template: EmailTemplate) -> EmailTemplate:
    if not _keeps_library(actor):
        raise PermissionDenied(_("Only managers and admins decide on proposals."))
    template = _lock(actor, template)
    if template.is_team or template.status != TemplateStatus.PROPOSED:
        raise Conflict(_("This template is not proposed."), code="not_proposed")
    if template.owner_id == actor.pk and not actor.is_admin:
        raise PermissionDenied(_("Another manager decides on your own proposal."))
    return template


@transaction.atomic
def template_promote(template: EmailTemplate, *, actor: User) -> EmailTemplate:
    """Put a proposed variant into the team library (see the module's doc for how) and return
    the new team template."""
    variant = _decidable(actor, template)
    base = variant.based_on
    replaced = None
    if base is not None and base.is_team:
        # The live team template under the base's key: the base itself, or a newer version
        # promoted since the variant was made.
        replaced = (
            EmailTemplate.objects.select_for_update()
            .filter(owner__isnull=True, key=base.key)
            .exclude(status=TemplateStatus.ARCHIVED)
            .first()
        )
    if replaced is not None:
        replaced.status = TemplateStatus.ARCHIVED
        replaced.updated_at = now()
        replaced.save()
        log_change(replaced, TemplateAction.ARCHIVED, actor, {"replaced_by_variant": variant.pk})
    data = definition_data(variant)
    if replaced is not None:
        data["key"] = replaced.key
    else:
        _check_key_free(variant.key, None)
    at = now()
    promoted = EmailTemplate(
        owner=None,
        based_on=variant,
        origin=replaced.origin if replaced is not None else "",
        created_at=at,
        updated_at=at,
        created_by=actor,
    )
    apply_definition(promoted, checked_definition(data, None))
    promoted.save()
    log_change(
        promoted,
        TemplateAction.PROMOTED,
        actor,
        {"variant": variant.pk, "replaces": replaced.pk if replaced is not None else None},
    )
    variant.status = TemplateStatus.ARCHIVED
    variant.updated_at = at
    variant.save()
    log_change(variant, TemplateAction.PROMOTED, actor, {"team_template": promoted.pk})
    return promoted


@transaction.atomic
def template_decline(template: EmailTemplate, *, actor: User, reason: str) -> EmailTemplate:
    """Send a proposal back: the variant stays the rep's own, active, with the reason logged."""
    variant = _decidable(actor, template)
    reason = reason.strip()
    if not reason:
        raise InvalidInput.single("reason", "required", _("Say why the proposal is declined."))
    variant.status = TemplateStatus.ACTIVE
    variant.updated_at = now()
    variant.save()
    log_change(variant, TemplateAction.DECLINED, actor, {"reason": reason})
    return variant


@transaction.atomic
def template_archive(template: EmailTemplate, *, actor: User) -> EmailTemplate:
    """Take a template out of use (kept for the emails sent from it)."""
    template = _lock(actor, template)
    _require_editor(actor, template)
    if template.status != TemplateStatus.ARCHIVED:
        template.status = TemplateStatus.ARCHIVED
        template.updated_at = now()
        template.save()
        log_change(template, TemplateAction.ARCHIVED, actor)
    return template
