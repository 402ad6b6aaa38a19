"""POST /api/leads/batch: many inquiries in one call (a B2B platform's export, a website's queue).

Each item is what POST /api/leads takes, and goes through `lead_intake` like the public form:
duplicates are found and linked (or merged, by the playbook's policy), and a lead without an
`owner` is assigned by the playbook's rules. Items are taken in order (`leads_intake_many`), 50
to a transaction, each in a savepoint of its own, so good items go in and a bad one is reported
with its errors and leaves nothing; a later item sees the earlier ones (a repeat inside the
batch is a duplicate).

Any signed-in user may send a batch. A rep's leads are assigned by the rules too (to someone
else, maybe, whom the rep then cannot see); `owner` may only be what the sender may assign.
The answer names the leads the batch created, and other leads (the one a duplicate links to,
the one an inquiry was merged into) only if the sender may see them: duplicates are found
across owners, but another rep's lead is not revealed.
"""

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router
from pydantic import BaseModel, ConfigDict
from pydantic import ValidationError as PydanticError

from sopcrm.core.errors import DomainError, FieldProblem, InvalidInput
from sopcrm.core.models import User
from sopcrm.core.visibility import can_see_owner
from sopcrm.crm.records.models import Lead
from sopcrm.crm.records.services.intake import IntakeItem, IntakeResult, leads_intake_many
from sopcrm.crm.records.services.merging import inquiry_clean

from .auth import actor
from .errors import FieldErrorOut, responses, validation_problems
from .leads import LeadCreate

router = Router(tags=["leads"])

MAX_BATCH = 1000


class LeadBatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    leads: list[dict[str, Any]] = Field(
        description=f"Up to {MAX_BATCH} leads, each with the fields of POST /api/leads "
        "(`LeadCreate`: `name` required; `received_at` for when it really arrived; `owner` "
        "to skip the assignment rules).",
        json_schema_extra={"maxItems": MAX_BATCH},
    )


class LeadBatchItemOut(BaseModel):
    index: int = Field(description="The item's position in `leads`, from 0.")
    outcome: str = Field(
        description="created, linked (created and linked to the lead it duplicates), merged "
        "(added to an existing lead), already_imported, or invalid (see `errors`)."
    )
    lead: int | None = Field(
        description="The lead created, or the one merged into if you may see it; else null."
    )
    duplicate_of: int | None = Field(
        description="The lead this one duplicates, if you may see it; else null."
    )
    errors: list[FieldErrorOut] = Field(description="Why an invalid item was not taken.")


class LeadBatchOut(BaseModel):
    results: list[LeadBatchItemOut]


def _item_problems(error: PydanticError) -> list[FieldProblem]:
    # validation_problems reads ninja's locations, (source, parameter, *field path).
    return validation_problems(
        [{**e, "loc": ("body", "item", *e["loc"])} for e in error.errors(include_url=False)]
    )


def _checked(item: dict[str, Any], user: User) -> tuple[dict[str, Any], list[FieldProblem]]:
    """The item as service input, and every problem with it: its JSON types, then the values
    as `lead_create` checks them (for the fields whose types were right), all at once."""
    problems: list[FieldProblem] = []
    try:
        data = LeadCreate.model_validate(item).sent()
    except PydanticError as error:
        problems = _item_problems(error)
        wrong = {p.field.split(".")[0] for p in problems}
        data = {k: v for k, v in item.items() if k in LeadCreate.model_fields and k not in wrong}
    try:
        inquiry_clean(data, actor=user)
    except InvalidInput as error:
        named = {p.field for p in problems}
        problems += [p for p in error.problems if p.field not in named]
    return data, problems


def _visible_id(user: User, lead: Lead | None) -> int | None:
    if lead is None:
        return None
    return lead.pk if can_see_owner(user, lead.owner) else None


def _result(index: int, user: User, result: IntakeResult) -> dict[str, Any]:
    created = result.outcome in ("created", "linked")
    return {
        "index": index,
        "outcome": result.outcome.value,
        "lead": result.lead.pk if created else _visible_id(user, result.lead),
        "duplicate_of": _visible_id(user, result.duplicate_of),
        "errors": [],
    }


def _invalid(index: int, problems: list[FieldProblem]) -> dict[str, Any]:
    return {
        "index": index,
        "outcome": "invalid",
        "lead": None,
        "duplicate_of": None,
        "errors": [{"field": p.field, "code": p.code, "message": p.message} for p in problems],
    }


@router.post(
    "/leads/batch",
    response={200: LeadBatchOut, **responses(400, 401, 422)},
    summary="Take in a batch of leads",
)
def leads_batch(request: HttpRequest, payload: LeadBatchIn) -> dict[str, Any]:
    """Each item as POST /api/leads; one result per item, in order. A `422` (nothing taken)
    only for a body that is not `{"leads": [...]}` or has more than 1000 items; a bad item is
    an `invalid` result and the others go in."""
    user = actor(request)
    if len(payload.leads) > MAX_BATCH:
        raise InvalidInput.single(
            "leads", "max_items", _("At most %(n)d leads per batch.") % {"n": MAX_BATCH}
        )
    results: dict[int, dict[str, Any]] = {}
    valid: list[tuple[int, IntakeItem]] = []
    for index, item in enumerate(payload.leads):
        data, problems = _checked(item, user)
        if problems:
            results[index] = _invalid(index, problems)
        else:
            valid.append((index, IntakeItem(data)))
    taken = leads_intake_many([item for _index, item in valid], actor=user)
    for (index, _item), outcome in zip(valid, taken, strict=True):
        if isinstance(outcome, InvalidInput):
            results[index] = _invalid(index, outcome.problems)
        elif isinstance(outcome, DomainError):
            results[index] = _invalid(index, [FieldProblem("", outcome.code, outcome.message)])
        else:
            results[index] = _result(index, user, outcome)
    return {"results": [results[index] for index in sorted(results)]}
