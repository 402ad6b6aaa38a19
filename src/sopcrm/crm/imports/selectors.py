"""Who imports and what they see of imports.

Managers and administrators import; reps do not. An import creates leads in bulk and hands them
out by the playbook's assignment rules to every rep, so it is a team-level act, like reviewing
unmatched mail; a rep adds a lead by hand instead. A manager sees the jobs they started (the
error file holds whole rows of the source file, which may name other teams' buyers); an
administrator sees every job. At the command line the operator imports as a named manager or
administrator (--as) or as the automation user. Presets are shared by everyone who may import.
"""

from collections.abc import Mapping

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from sopcrm.core.errors import NotFound, PermissionDenied
from sopcrm.core.models import User
from sopcrm.core.users import is_system_user

from .models import ColumnPreset, ImportJob
from .presets import BUILTIN_PRESETS

RECENT_JOBS = 20


def may_import(user: User) -> bool:
    # The automation user stands for the operator at the command line (`sopcrm import leads`
    # without --as); it cannot sign in, so the web never acts as it.
    return is_system_user(user) or (user.is_active and (user.is_admin or user.is_manager))


def require_importer(user: User) -> None:
    if not may_import(user):
        raise PermissionDenied(_("Only managers and administrators import leads."))


def import_job_list(user: User) -> QuerySet[ImportJob]:
    """The user's jobs (an administrator's: everyone's), newest first, without the file and the
    error file."""
    require_importer(user)
    jobs = ImportJob.objects.defer("file", "errors_csv").select_related("created_by")
    if not user.is_admin:
        jobs = jobs.filter(created_by=user)
    return jobs.order_by("-created_at", "-pk")


def import_job_get(user: User, pk: int) -> ImportJob:
    require_importer(user)
    # The file and the error file load when used: the progress poll reads neither.
    jobs = ImportJob.objects.defer("file", "errors_csv")
    if not user.is_admin:
        jobs = jobs.filter(created_by=user)
    job = jobs.filter(pk=pk).first()
    if job is None:
        raise NotFound(_("No such import."))
    return job


def preset_choices() -> list[tuple[str, str]]:
    """(value, label) of every preset: the built-in ones, then the saved ones by name."""
    builtin = [(p.key, p.label) for p in BUILTIN_PRESETS.values()]
    saved = [(name, name) for name in ColumnPreset.objects.values_list("name", flat=True)]
    return builtin + saved


def preset_mapping(name: str) -> Mapping[str, str]:
    """A preset's mapping by built-in key (zoho, salesforce, hubspot) or saved name."""
    builtin = BUILTIN_PRESETS.get(name.strip().lower())
    if builtin is not None:
        return builtin.mapping
    saved = ColumnPreset.objects.filter(name=name.strip()).first()
    if saved is None:
        raise NotFound(_("No preset named %(name)s.") % {"name": name})
    return dict(saved.mapping)
