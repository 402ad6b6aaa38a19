"""Approval requests (S-33): a transition whose approval condition holds (a discount above 20%)
waits here for the owner's manager, who approves (the transition then runs with the values the
requester submitted) or rejects it with a comment.

Everyone sees the requests they made and those on records they may see; a request you may not see
is a 404, like a record. `can_decide` says whether you may decide it.
"""

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import Field, Query, Router
from pydantic import BaseModel

from sopcrm.core.errors import InvalidInput, NotFound
from sopcrm.core.models import User
from sopcrm.crm.records import selectors
from sopcrm.crm.records.models import ApprovalRequest, ApprovalStatus, Deal, Lead
from sopcrm.crm.records.services.transitions import approval_decide, may_decide
from sopcrm.crm.records.transition_options import approval_reason
from sopcrm.playbook.schema import ObjectType
from sopcrm.process.fields import visible_field_keys
from sopcrm.process.playbooks import playbook_for_version

from .auth import actor
from .errors import READ, WRITE, responses
from .inputs import QueryInput, StrictInput
from .records import PageOut, UtcDatetime

router = Router(tags=["approvals"])


class ApprovalOut(BaseModel):
    id: int
    record_type: str = Field(description="`deal` or `lead`.")
    record_id: int
    record_title: str = Field(description="The deal's title or the lead's name.")
    transition: str
    transition_label: str = Field(description="The transition's name in your language.")
    data: dict[str, Any] = Field(
        description="The values the requester submitted with the transition; they are applied "
        "when the request is approved."
    )
    reason: str = Field(description="Why approval is needed, e.g. “Discount above 20%”.")
    status: ApprovalStatus
    requested_by: int
    requested_by_name: str
    requested_at: UtcDatetime
    decided_by: int | None
    decided_by_name: str | None
    decided_at: UtcDatetime | None
    comment: str
    can_decide: bool = Field(description="Whether you may approve or reject it now.")


class ApprovalQuery(QueryInput):
    status: ApprovalStatus | None = Field(None, description="Only requests in this status.")
    limit: int = Field(50, ge=1, le=200)
    cursor: str | None = Field(None, description="`next_cursor` of the previous page.")


class ApprovalDecide(StrictInput):
    approve: bool
    comment: str = Field("", description="Required when rejecting.")


def approval_record(approval: ApprovalRequest) -> Lead | Deal:
    record = approval.deal or approval.lead
    assert record is not None  # a request is about exactly one record (a check constraint)
    return record


def transition_label(record: Lead | Deal, key: str) -> str:
    object_type = ObjectType.LEAD if isinstance(record, Lead) else ObjectType.DEAL
    pipeline = (
        playbook_for_version(record.playbook_version_id)
        .object(object_type)
        .pipeline(record.pipeline)
    )
    found = pipeline.transition(key) if pipeline is not None else None
    return found.label.for_language(get_language()) if found is not None else key


def _visible_data(user: User, record: Lead | Deal, data: dict[str, Any]) -> dict[str, Any]:
    """The submitted values without custom fields the user may not see (a manager-only price
    submitted with a transition must not reach a rep through the request)."""
    object_type = ObjectType.LEAD if isinstance(record, Lead) else ObjectType.DEAL
    playbook = playbook_for_version(record.playbook_version_id)
    every = {f.key for f in playbook.object(object_type).fields}
    hidden = every - visible_field_keys(user, playbook, object_type)
    return {k: v for k, v in data.items() if k not in hidden}


def render_approval(user: User, approval: ApprovalRequest) -> dict[str, Any]:
    record = approval_record(approval)
    requester, decider = approval.requested_by, approval.decided_by
    return {
        "id": approval.pk,
        "record_type": "deal" if isinstance(record, Deal) else "lead",
        "record_id": record.pk,
        "record_title": record.title if isinstance(record, Deal) else record.name,
        "transition": approval.transition,
        "transition_label": transition_label(record, approval.transition),
        "data": _visible_data(user, record, approval.data or {}),
        "reason": approval_reason(approval),
        "status": approval.status,
        "requested_by": approval.requested_by_id,
        "requested_by_name": str(requester),
        "requested_at": approval.requested_at,
        "decided_by": approval.decided_by_id,
        "decided_by_name": str(decider) if decider is not None else None,
        "decided_at": approval.decided_at,
        "comment": approval.comment,
        "can_decide": approval.status == ApprovalStatus.PENDING and may_decide(user, record),
    }


def approval_get(user: User, approval_id: int) -> ApprovalRequest:
    """One request the user may see (see selectors.approval_list), or NotFound."""
    found = (
        selectors.approval_list(user)
        .select_related("deal__owner", "lead__owner")
        .filter(pk=approval_id)
        .first()
    )
    if found is None:
        raise NotFound(_("No such approval request."))
    return found


# -- the list's keyset cursor: the last row's (requested_at, id) ---------------------------------


def _cursor_encode(approval: ApprovalRequest) -> str:
    raw = json.dumps([approval.requested_at.isoformat(), approval.pk]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _cursor_filter(cursor: str) -> Q:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at_text, pk = json.loads(raw)
        at = datetime.fromisoformat(at_text)
        if not isinstance(pk, int) or isinstance(pk, bool) or at.tzinfo is None:
            raise ValueError
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput.single(
            "cursor", "invalid", _("This cursor is not valid; start from the first page.")
        ) from None
    return Q(requested_at__lt=at) | Q(requested_at=at, pk__lt=pk)


def _page(queryset: QuerySet[ApprovalRequest], params: ApprovalQuery) -> list[ApprovalRequest]:
    if params.status is not None:
        queryset = queryset.filter(status=params.status)
    if params.cursor:
        queryset = queryset.filter(_cursor_filter(params.cursor))
    return list(
        queryset.select_related("deal__owner", "lead__owner").order_by("-requested_at", "-pk")[
            : params.limit + 1
        ]
    )


@router.get("", response={200: PageOut[ApprovalOut], **responses(401, 422)})
def list_approvals(request: HttpRequest, params: Query[ApprovalQuery]) -> dict[str, Any]:
    """Approval requests you made or may see, newest first. A manager's inbox is
    `?status=pending`, with `can_decide` on the ones that are theirs to decide."""
    user = actor(request)
    rows = _page(selectors.approval_list(user), params)
    more = len(rows) > params.limit
    rows = rows[: params.limit]
    return {
        "items": [render_approval(user, a) for a in rows],
        "next_cursor": _cursor_encode(rows[-1]) if more and rows else None,
    }


@router.get("/{approval_id}", response={200: ApprovalOut, **responses(*READ)})
def get_approval(request: HttpRequest, approval_id: int) -> dict[str, Any]:
    user = actor(request)
    return render_approval(user, approval_get(user, approval_id))


@router.post("/{approval_id}/decide", response={200: ApprovalOut, **responses(*WRITE, 409)})
def decide_approval(
    request: HttpRequest, approval_id: int, payload: ApprovalDecide
) -> dict[str, Any]:
    """Approve or reject a pending request; only the record owner's manager (or an admin) may,
    and a rejection needs a `comment`. Approving runs the transition at once with the submitted
    values: `409 stale_stage` if the record has moved since (nothing is decided then), `409
    decided` if the request was decided already."""
    user = actor(request)
    approval = approval_get(user, approval_id)
    approval_decide(approval, actor=user, approve=payload.approve, comment=payload.comment)
    return render_approval(user, approval_get(user, approval_id))
