"""Loading the record a timer or event is about, and what rules may say about it."""

from typing import Any

from django.utils.translation import override

from sopcrm.core.models import RecordType, Role, User
from sopcrm.crm.records.models import Account, Contact, Deal, Lead
from sopcrm.crm.records.services.timing import object_def

MODELS: dict[str, type[Any]] = {
    RecordType.LEAD: Lead,
    RecordType.DEAL: Deal,
    RecordType.ACCOUNT: Account,
    RecordType.CONTACT: Contact,
}


def record_lock(record_type: str, record_id: int) -> Any | None:
    """The record, row-locked for the firing transaction (records before their tasks, the same
    order as the services, so firing cannot deadlock with a user's change)."""
    model = MODELS.get(record_type)
    if model is None:
        return None
    return model.objects.select_for_update().filter(pk=record_id).first()


def record_name(record: Any) -> str:
    return str(getattr(record, "title", "") or getattr(record, "name", "") or f"#{record.pk}")


def stage_label(record_type: str, record: Any, language: str) -> str:
    pipeline = object_def(record_type, record).pipeline(getattr(record, "pipeline", ""))
    stage = pipeline.stage(record.stage) if pipeline is not None else None
    return stage.label.for_language(language) if stage is not None else ""


def team_managers(owner: User | None) -> list[User]:
    """The active managers of the owner's team; the active admins when there are none."""
    managers: list[User] = []
    if owner is not None and owner.team_id is not None:
        managers = list(
            User.objects.filter(team_id=owner.team_id, role=Role.MANAGER, is_active=True).order_by(
                "pk"
            )
        )
    return managers or admins()


def admins() -> list[User]:
    return list(User.objects.filter(role=Role.ADMIN, is_active=True).order_by("pk"))


def in_language(user: User, text: Any) -> str:
    """A Label (or anything with for_language) in the user's language."""
    language = user.language or "zh-hans"
    with override(language):
        return str(text.for_language(language))
