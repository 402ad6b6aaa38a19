"""Approvals (S-33): transitions held until the owner's manager decides. The page lists the
requests the user made or may decide, the pending ones first; the owner's manager (or an admin)
approves or rejects each with a comment. Approving runs the held transition."""

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sopcrm.core.errors import DomainError, InvalidInput
from sopcrm.core.models import RecordType, User
from sopcrm.crm.records import selectors
from sopcrm.crm.records.models import ApprovalRequest, ApprovalStatus, Deal, Lead
from sopcrm.crm.records.services.transitions import approval_decide, may_decide
from sopcrm.crm.records.transition_options import approval_reason
from sopcrm.process.fields import visible_field_keys
from sopcrm.process.playbooks import playbook_for_version

from .. import display
from ..display import Row
from ..forms.transitions import ApprovalDecisionForm
from ..http import WebRequest
from .common import language, record_url, redirect_to, safe_next
from .transitions import transition_label

# Decided requests shown under the pending ones; older ones are in the records' timelines.
DECIDED_LIMIT = 100


@dataclass(frozen=True)
class ApprovalItem:
    request: ApprovalRequest
    record: Lead | Deal
    record_type: RecordType
    record_url: str
    transition_label: str
    reason: str
    values: list[Row]
    form: ApprovalDecisionForm | None  # None: the user may not decide it (or it is decided)


def _visible(user: User) -> QuerySet[ApprovalRequest]:
    return selectors.approval_list(user).select_related("deal__owner", "lead__owner")


def _record(request: ApprovalRequest) -> Lead | Deal:
    record = request.deal or request.lead
    assert record is not None  # the approval_is_about_one_record constraint
    return record


def pending_to_decide(user: User) -> int:
    """How many pending requests `user` may decide (the count beside Approvals in the top bar)."""
    if not (user.is_manager or user.is_admin):
        return 0  # may_decide is false for reps: no query
    pending = _visible(user).filter(status=ApprovalStatus.PENDING)
    return sum(1 for request in pending if may_decide(user, _record(request)))


def submitted_values(user: User, request: ApprovalRequest) -> list[Row]:
    """What the requester submitted with the transition, labelled, as the approver reads it;
    values of fields the reader may not see are left out."""
    record = _record(request)
    object_type = RecordType.DEAL if isinstance(record, Deal) else RecordType.LEAD
    playbook = playbook_for_version(record.playbook_version_id)
    obj = playbook.object(object_type.value)
    visible = visible_field_keys(user, playbook, object_type.value)
    lang = language()
    rows = []
    for key, value in (request.data or {}).items():
        definition = obj.field(key)
        if definition is not None:
            if key not in visible:
                continue
            rows.append(
                Row(
                    definition.label.for_language(lang),
                    display.custom_value_text(definition, value, lang),
                )
            )
        else:
            rows.append(Row(_core_label(type(record), key), _core_text(key, value)))
    return rows


def _core_label(model: type[Lead] | type[Deal], key: str) -> str:
    try:
        return str(getattr(model._meta.get_field(key), "verbose_name", key)).capitalize()
    except FieldDoesNotExist:
        return key


def _core_text(key: str, value: Any) -> str:
    if value in (None, ""):
        return ""
    if key == "amount":
        return display.format_amount(value)
    if key == "country":
        return display.country_name(str(value))
    return str(value)


def _item(
    user: User, request: ApprovalRequest, bound: dict[int, ApprovalDecisionForm]
) -> ApprovalItem:
    record = _record(request)
    record_type = RecordType.DEAL if isinstance(record, Deal) else RecordType.LEAD
    form = None
    if request.status == ApprovalStatus.PENDING and may_decide(user, record):
        form = bound.get(request.pk) or ApprovalDecisionForm(approval_id=request.pk)
    return ApprovalItem(
        request=request,
        record=record,
        record_type=record_type,
        record_url=record_url(record_type, record.pk),
        transition_label=transition_label(record, request.transition),
        reason=approval_reason(request),
        values=submitted_values(user, request),
        form=form,
    )


def _page(
    request: WebRequest, bound: dict[int, ApprovalDecisionForm] | None = None
) -> HttpResponse:
    user = request.user
    visible = _visible(user)
    pending = list(visible.filter(status=ApprovalStatus.PENDING).order_by("requested_at", "pk"))
    decided = list(
        visible.exclude(status=ApprovalStatus.PENDING).order_by("-requested_at", "-pk")[
            :DECIDED_LIMIT
        ]
    )
    return render(
        request,
        "web/approvals.html",
        {
            "title": _("Approvals"),
            "pending": [_item(user, r, bound or {}) for r in pending],
            "decided": [_item(user, r, {}) for r in decided],
            "decided_limit": DECIDED_LIMIT,
        },
    )


@login_required
def approval_list(request: WebRequest) -> HttpResponse:
    return _page(request)


@login_required
@require_POST
def approval_decide_view(request: WebRequest, pk: int) -> HttpResponse:
    found = _visible(request.user).filter(pk=pk).first()
    if found is None:
        raise Http404
    form = ApprovalDecisionForm(request.POST, approval_id=found.pk)
    if not form.is_valid():
        messages.error(request, _("Choose approve or reject."))
        return redirect_to(safe_next(request, reverse("approval_list")))
    approve = form.cleaned_data["decision"] == "approve"
    try:
        decided = approval_decide(
            found, actor=request.user, approve=approve, comment=form.cleaned_data["comment"]
        )
    except InvalidInput as exc:
        # A missing comment is shown beside it; a held transition that can no longer run
        # (its values became invalid) is shown above the form.
        form.add_service_error(exc)
        return _page(request, {found.pk: form})
    except DomainError as exc:  # decided already, not the owner's manager, record moved on
        messages.error(request, exc.message)
        return redirect_to(safe_next(request, reverse("approval_list")))
    record = _record(decided)
    label = transition_label(record, decided.transition)
    if approve:
        messages.success(
            request,
            _("Approved: “%(label)s” was carried out on %(record)s.")
            % {"label": label, "record": record},
        )
    else:
        messages.success(
            request,
            _("Rejected: “%(label)s” on %(record)s.") % {"label": label, "record": record},
        )
    return redirect_to(safe_next(request, reverse("approval_list")))
