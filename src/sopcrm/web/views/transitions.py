"""Moving a lead or deal through its playbook from its record page: the stage path with the
current stage's steps, one button per transition the user may take now (each opening a form with
exactly that transition's fields), the pending approval banner and a manager's exception form.

Every move goes through services.transitions (record_transition, record_exception_move), which
check permissions, required fields, rules and approvals; these views only parse and show.
"""

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as HttpForbidden
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from sopcrm.core.errors import Conflict, DomainError, InvalidInput
from sopcrm.core.models import User
from sopcrm.crm.records.models import ApprovalRequest, Deal, Lead
from sopcrm.crm.records.services.playbook_context import pipeline_of
from sopcrm.crm.records.services.transitions import (
    may_decide,
    record_exception_move,
    record_transition,
)
from sopcrm.crm.records.transition_options import (
    TransitionOption,
    approval_reason,
    exception_stages,
    pending_approval,
    transition_options,
)
from sopcrm.playbook.core_fields import REQUIRABLE_CORE_FIELDS
from sopcrm.playbook.schema import ObjectType, Stage, StageKind

from .. import display
from ..forms.transitions import ExceptionForm, TransitionForm
from ..http import WebRequest, wants_partial
from .common import (
    language,
    record_or_404,
    record_type_of,
    record_url,
    redirect_to,
    render_form_page,
)


@dataclass(frozen=True)
class TransitionButton:
    key: str
    label: str
    to_stage_label: str
    url: str
    needs_approval: bool
    to_kind: str  # open, won or lost: how the button looks


@dataclass(frozen=True)
class PendingApproval:
    request: ApprovalRequest
    transition_label: str
    reason: str
    may_decide: bool


def transition_label(record: Lead | Deal, key: str) -> str:
    """A transition's label in the reader's language (its key if the version lacks it)."""
    found = pipeline_of(record).transition(key)
    return found.label.for_language(language()) if found else key


def staged_context(user: User, record: Lead | Deal) -> dict[str, Any]:
    """What the record page of a lead or deal shows about its place in the playbook."""
    lang = language()
    record_type = record_type_of(record).value
    pipeline = pipeline_of(record)
    playbook_stage = pipeline.stage(record.stage)
    pending = pending_approval(record)
    if pending is not None:  # it is about this record: spare approval_reason a query for it
        if isinstance(record, Deal):
            pending.deal = record
        else:
            pending.lead = record
    stages = exception_stages(user, record)
    return {
        "stage": playbook_stage.label.for_language(lang) if playbook_stage else record.stage,
        "substate": _substate_text(playbook_stage, record.substate),
        "path": display.stage_path(pipeline, record.stage, lang),
        "substeps": display.substate_path(pipeline, record.stage, record.substate, lang),
        "transitions": [
            TransitionButton(
                key=option.key,
                label=option.label,
                to_stage_label=option.to_stage_label,
                url=reverse(f"{record_type}_transition", args=[record.pk, option.key]),
                needs_approval=option.approval_when is not None,
                to_kind=_kind(pipeline.stage(option.to_stage)),
            )
            for option in transition_options(user, record)
        ],
        "pending": (
            PendingApproval(
                pending,
                transition_label(record, pending.transition),
                approval_reason(pending),
                may_decide(user, record),
            )
            if pending
            else None
        ),
        "exception_form": ExceptionForm(stages=stages) if stages else None,
        "exception_url": reverse(f"{record_type}_exception", args=[record.pk]),
    }


def _kind(stage: Stage | None) -> str:
    return stage.kind.value if stage else StageKind.OPEN.value


def _staged_or_404(user: User, record_type: str, pk: int) -> Lead | Deal:
    record = record_or_404(user, record_type, pk)
    if not isinstance(record, Lead | Deal):
        raise Http404
    return record


def _option(user: User, record: Lead | Deal, key: str) -> TransitionOption | None:
    return next((o for o in transition_options(user, record) if o.key == key), None)


def core_keys(record: Lead | Deal) -> frozenset[str]:
    return REQUIRABLE_CORE_FIELDS[ObjectType.LEAD if isinstance(record, Lead) else ObjectType.DEAL]


def submit_transition(
    request: WebRequest, record: Lead | Deal, option: TransitionOption, form: TransitionForm
) -> bool:
    """Take the step with a valid form's values, from the record page or the board. True when it
    is over: done, sent for approval or refused outright (a message says which); False when the
    form goes back with the service's errors beside its fields."""
    try:
        result = record_transition(
            record, transition=option.key, data=form.service_data(), actor=request.user
        )
    except InvalidInput as exc:
        form.add_service_error(exc)
        return False
    except DomainError as exc:  # Conflict (stale stage, approval pending), PermissionDenied
        messages.error(request, exc.message)
        return True
    if result.executed:
        messages.success(
            request,
            _("Done: %(label)s. Now in %(stage)s.")
            % {"label": option.label, "stage": _stage_text(result.record)},
        )
    else:
        messages.warning(
            request,
            _("Sent for approval (%(reason)s): the record moves when a manager approves.")
            % {"reason": option.approval_reason or ""},
        )
    return True


def _back_to_record(request: WebRequest, url: str) -> HttpResponse:
    """After a POST: the record page (htmx swapped a form in, so it asks the browser to go)."""
    if wants_partial(request):
        return HttpResponseClientRedirect(url)
    return redirect_to(url)


@login_required
@require_http_methods(["GET", "POST"])
def transition_view(request: WebRequest, record_type: str, pk: int, key: str) -> HttpResponse:
    """GET: the form of one transition (only the form for htmx, which loads it into the record
    page; a page of its own otherwise). POST: take the transition."""
    record = _staged_or_404(request.user, record_type, pk)
    url = record_url(record_type, record.pk)
    if pipeline_of(record).transition(key) is None:
        raise Http404
    option = _option(request.user, record, key)
    if option is None:
        # Someone moved the record meanwhile, or this user may not take this step.
        messages.error(
            request,
            _("“%(label)s” is not possible now (the record is in %(stage)s).")
            % {"label": transition_label(record, key), "stage": _stage_text(record)},
        )
        return _back_to_record(request, url)
    form = TransitionForm(
        request.POST if request.method == "POST" else None,
        option=option,
        core_keys=core_keys(record),
    )
    if (
        request.method == "POST"
        and form.is_valid()
        and submit_transition(request, record, option, form)
    ):
        return _back_to_record(request, url)
    context = {
        "record": record,
        "option": option,
        "form": form,
        "action": request.path,
        "cancel_url": url,
        "title": f"{option.label}: {record}",
        "partial": wants_partial(request),
    }
    if wants_partial(request):
        form.focus_first()  # htmx moves the focus into the form it loaded
        response = render(request, "web/includes/transition_form.html", context)
    else:
        response = render(request, "web/transition_page.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _substate_text(stage: Stage | None, substate: str) -> str:
    sub = stage.substate(substate) if stage and substate else None
    return sub.label.for_language(language()) if sub else ""


def _stage_text(record: Lead | Deal) -> str:
    """'Quoted · Pending 1st follow-up': the stage and, if it has steps, the current one."""
    stage = pipeline_of(record).stage(record.stage)
    label = stage.label.for_language(language()) if stage else record.stage
    sub = _substate_text(stage, record.substate)
    return f"{label} · {sub}" if sub else label


@login_required
@require_http_methods(["GET", "POST"])
def exception_view(request: WebRequest, record_type: str, pk: int) -> HttpResponse:
    """A manager's exception (S-16): the form is on the record page; this page shows it again
    when something is missing."""
    record = _staged_or_404(request.user, record_type, pk)
    stages = exception_stages(request.user, record)
    if not stages:
        raise HttpForbidden
    url = record_url(record_type, record.pk)
    form = ExceptionForm(request.POST if request.method == "POST" else None, stages=stages)
    if request.method == "POST" and form.is_valid():
        try:
            moved = record_exception_move(
                record,
                to_stage=form.cleaned_data["stage"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except Conflict as exc:
            messages.error(request, exc.message)
            return redirect_to(url)
        except DomainError as exc:
            form.add_service_error(exc)
        else:
            messages.success(
                request, _("Moved to %(stage)s by exception.") % {"stage": _stage_text(moved)}
            )
            return redirect_to(url)
    return render_form_page(
        request,
        form,
        title=_("Exception: %(record)s") % {"record": record},
        submit=_("Move by exception"),
        cancel_url=url,
        record=record,
    )
