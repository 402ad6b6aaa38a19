"""A rep's email signatures (S-39): plain text, with the product lines, regions and languages
each suits. Each user keeps their own; one may be the default (the first one is)."""

import re
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from sopcrm.core.clock import now
from sopcrm.core.errors import FieldProblem, InvalidInput
from sopcrm.core.fieldtypes import has_nul
from sopcrm.core.models import User
from sopcrm.playbook.schema import ObjectType
from sopcrm.process.playbooks import active_version, playbook_for_version

from .. import selectors
from ..models import Signature

_LIMITS = {"name": 100, "body": 2000}
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")


def _options(key: str) -> set[str] | None:
    """The option keys of the lead's and deal's field `key` in the active playbook."""
    playbook = playbook_for_version(active_version().pk)
    found = [d for t in (ObjectType.LEAD, ObjectType.DEAL) if (d := playbook.object(t).field(key))]
    return {o for d in found for o in d.option_keys} if found else None


def _clean(data: Mapping[str, Any]) -> tuple[dict[str, Any], list[FieldProblem]]:
    cleaned: dict[str, Any] = {}
    problems: list[FieldProblem] = []
    for name, value in data.items():
        if name in _LIMITS:
            if not isinstance(value, str) or not value.strip() or has_nul(value):
                problems.append(FieldProblem(name, "required", _("This field is required.")))
            elif len(value) > _LIMITS[name]:
                problems.append(
                    FieldProblem(
                        name, "max_length", _("At most %(n)d characters.") % {"n": _LIMITS[name]}
                    )
                )
            else:
                cleaned[name] = value.strip()
        elif name in ("product_lines", "regions", "languages"):
            problems += _list_problems(name, value)
            if isinstance(value, list):
                cleaned[name] = list(dict.fromkeys(value))
        elif name == "is_default":
            if isinstance(value, bool):
                cleaned[name] = value
            else:
                problems.append(FieldProblem(name, "type", _("Enter true or false.")))
        else:
            problems.append(FieldProblem(name, "unknown_field", _("This field cannot be set.")))
    return cleaned, problems


def _list_problems(name: str, value: Any) -> list[FieldProblem]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return [FieldProblem(name, "type", _("Enter a list of keys."))]
    if name == "languages":
        known: set[str] | None = None
        bad = [v for v in value if not _LANGUAGE.match(v)]
    else:
        known = _options("region" if name == "regions" else "product_line")
        bad = [v for v in value if known is None or v not in known]
    if not bad:
        return []
    if known is not None:
        message = _("Unknown: %(bad)s. Choose from: %(options)s.") % {
            "bad": ", ".join(bad),
            "options": ", ".join(sorted(known)),
        }
    else:
        message = _("Unknown: %(bad)s.") % {"bad": ", ".join(bad)}
    return [FieldProblem(name, "choice", message)]


def _make_only_default(signature: Signature) -> None:
    Signature.objects.filter(user_id=signature.user_id, is_default=True).exclude(
        pk=signature.pk
    ).update(is_default=False, updated_at=now())


@transaction.atomic
def signature_create(*, actor: User, data: Mapping[str, Any]) -> Signature:
    cleaned, problems = _clean(data)
    problems += [
        FieldProblem(n, "required", _("This field is required."))
        for n in ("name", "body")
        if n not in cleaned and not any(p.field == n for p in problems)
    ]
    if problems:
        raise InvalidInput(problems)
    at = now()
    # Lock the user's signatures so two first signatures cannot both become the default.
    first = not Signature.objects.select_for_update().filter(user=actor).exists()
    signature = Signature(user=actor, created_at=at, updated_at=at, **cleaned)
    signature.is_default = cleaned.get("is_default", False) or first
    if signature.is_default:
        Signature.objects.filter(user=actor, is_default=True).update(is_default=False)
    signature.save()
    return signature


@transaction.atomic
def signature_update(signature: Signature, *, actor: User, data: Mapping[str, Any]) -> Signature:
    """Change one of the actor's own signatures (others' are not found)."""
    found = selectors.signature_get(actor, signature.pk)
    signature = Signature.objects.select_for_update().get(pk=found.pk)
    cleaned, problems = _clean(data)
    if problems:
        raise InvalidInput(problems)
    for name, value in cleaned.items():
        setattr(signature, name, value)
    signature.updated_at = now()
    if signature.is_default:
        _make_only_default(signature)
    signature.save()
    return signature


@transaction.atomic
def signature_delete(signature: Signature, *, actor: User) -> None:
    found = selectors.signature_get(actor, signature.pk)
    found.delete()
