"""The pipeline board (`/deals/board/`, `/leads/board/`): a column per stage of the active
playbook's pipeline with the cards the user may see, and moving a card (S-07).

Dropping a card on a column (web/board.js) or choosing "Move to…" on it asks
`/…/<id>/move/<stage>/`, which decides on the server: the form of the one transition that leads
there (in a dialog over the board), a choice when several do, or a refusal naming the stages the
record may go to now. The form is the record page's transition form (the same `TransitionForm`),
posted back here so that the person stays on the board; the move itself is `record_transition`.
"""

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from sopcrm.crm.records import board as board_data
from sopcrm.crm.records.board import Board, Card, Column, move_decision
from sopcrm.crm.records.models import Deal, Lead
from sopcrm.crm.records.services.playbook_context import pipeline_of
from sopcrm.crm.records.transition_options import TransitionOption
from sopcrm.playbook.schema import ObjectType, Pipeline

from .. import display
from ..forms.transitions import TransitionForm
from ..http import WebRequest, wants_partial
from .common import language, record_or_404, record_url, redirect_to
from .record_pages import stage_text
from .transitions import core_keys, submit_transition


@dataclass(frozen=True)
class Badge:
    text: str
    kind: str  # a CSS modifier: warning (needs attention) or info


@dataclass(frozen=True)
class Move:
    label: str
    url: str


@dataclass(frozen=True)
class CardView:
    dom_id: str
    stage: str
    title: str
    url: str
    subtitle: str
    subtitle_url: str
    amount: str
    owner: str
    in_stage: str
    task: str
    task_due: str
    task_overdue: bool
    badges: list[Badge]
    move_url: str  # with the placeholder STAGE_PLACEHOLDER for the column it is dropped on
    next_stages: str  # space-separated keys, to highlight the columns it may go to
    moves: list[Move]


@dataclass(frozen=True)
class ColumnView:
    key: str
    label: str
    kind: str
    count: int
    closed: bool
    cards: list[CardView]
    more: int
    more_url: str


STAGE_PLACEHOLDER = "__stage__"
# Stands for a record's id in a link reversed once per board (below).
_ID_PLACEHOLDER = 2_147_483_647


@dataclass(frozen=True)
class _Links:
    """The links of a board's cards, reversed once: they differ only in the record's id and
    the stage (reverse() takes about 15 µs, and a manager's board of 140 cards needed 700)."""

    record: str
    account: str
    move: str

    @classmethod
    def of(cls, record_type: str) -> "_Links":
        return cls(
            record=record_url(record_type, _ID_PLACEHOLDER),
            account=record_url("account", _ID_PLACEHOLDER),
            move=reverse(f"{record_type}_move", args=[_ID_PLACEHOLDER, STAGE_PLACEHOLDER]),
        )

    @staticmethod
    def _with(url: str, pk: int, stage: str = STAGE_PLACEHOLDER) -> str:
        return url.replace(str(_ID_PLACEHOLDER), str(pk)).replace(STAGE_PLACEHOLDER, stage)

    def record_url(self, pk: int) -> str:
        return self._with(self.record, pk)

    def account_url(self, pk: int) -> str:
        return self._with(self.account, pk)

    def move_url(self, pk: int, stage: str = STAGE_PLACEHOLDER) -> str:
        return self._with(self.move, pk, stage)


def _object_type(record_type: str) -> ObjectType:
    return ObjectType(record_type)


def _board_url(object_type: ObjectType, pipeline: str = "") -> str:
    url = reverse(f"{object_type.value}_board")
    return f"{url}?{urlencode({'pipeline': pipeline})}" if pipeline else url


@login_required
def board_view(request: WebRequest, record_type: str) -> HttpResponse:
    object_type = _object_type(record_type)
    board = board_data.board_view(request.user, object_type, request.GET.get("pipeline", ""))
    if board is None:
        raise Http404
    lang = language()
    links = _Links.of(object_type.value)
    title = _("Deals board") if object_type == ObjectType.DEAL else _("Leads board")
    return render(
        request,
        "web/board.html",
        {
            "title": title,
            "board": board,
            "pipeline_choices": [(p.key, p.label.for_language(lang)) for p in board.pipelines],
            "columns": [_column_view(board, column, lang, links) for column in board.columns],
            "list_url": reverse(f"{object_type.value}_list"),
        },
    )


def _column_view(board: Board, column: Column, lang: str, links: _Links) -> ColumnView:
    list_url = reverse(f"{board.object_type.value}_list")
    return ColumnView(
        key=column.stage.key,
        label=column.stage.label.for_language(lang),
        kind=column.stage.kind.value,
        count=column.count,
        closed=column.closed,
        cards=[_card_view(board, card, lang, links) for card in column.cards],
        more=column.more,
        more_url=f"{list_url}?{urlencode({'stage': column.stage.key})}",
    )


def _card_view(board: Board, card: Card, lang: str, links: _Links) -> CardView:
    record = card.record
    record_type = board.object_type.value
    if isinstance(record, Deal):
        title = record.title
        subtitle = record.account.name if record.account else ""
        subtitle_url = links.account_url(record.account.pk) if record.account else ""
        amount = display.format_money(record.amount, record.currency)
    else:
        title, subtitle, subtitle_url, amount = record.name, record.company, "", ""
    task = card.next_task
    return CardView(
        dom_id=f"{record_type}-{record.pk}",
        stage=record.stage,
        title=title,
        url=links.record_url(record.pk),
        subtitle=subtitle,
        subtitle_url=subtitle_url,
        amount=amount,
        owner=display.user_label(record.owner),
        in_stage=(
            ngettext("%(days)d day in stage", "%(days)d days in stage", card.days_in_stage)
            % {"days": card.days_in_stage}
        ),
        task=task.subject if task else "",
        task_due=display.format_datetime(task.due_at) if task else "",
        task_overdue=bool(task and task.overdue),
        badges=_badges(board.pipeline, card),
        move_url=links.move_url(record.pk),
        next_stages=" ".join(card.next_stages),
        moves=[
            Move(_stage_label(board.pipeline, key, lang), links.move_url(record.pk, key))
            for key in card.next_stages
        ],
    )


def _badges(pipeline: Pipeline, card: Card) -> list[Badge]:
    """The warnings of a card, in words (colour only repeats them)."""
    badges = []
    if card.idle:
        stage = pipeline.stage(card.record.stage)
        limit = stage.idle_days if stage and stage.idle_days else 0
        badges.append(
            Badge(
                ngettext(
                    "Idle: over %(limit)d day in this stage",
                    "Idle: over %(limit)d days in this stage",
                    limit,
                )
                % {"limit": limit},
                "warning",
            )
        )
    if card.next_task and card.next_task.overdue:
        badges.append(Badge(_("Overdue task"), "warning"))
    if card.clock is not None:
        due = display.format_datetime(card.clock.due_at)
        if card.clock.late:
            badges.append(Badge(_("Response late (due %(due)s)") % {"due": due}, "warning"))
        else:
            badges.append(Badge(_("Response due %(due)s") % {"due": due}, "warning"))
    if card.no_contact_days is not None:
        badges.append(
            Badge(
                ngettext(
                    "No contact for %(days)d day",
                    "No contact for %(days)d days",
                    card.no_contact_days,
                )
                % {"days": card.no_contact_days},
                "info",
            )
        )
    if card.approval_pending:
        badges.append(Badge(_("Waiting for approval"), "info"))
    return badges


def _stage_label(pipeline: Pipeline, key: str, lang: str) -> str:
    stage = pipeline.stage(key)
    return stage.label.for_language(lang) if stage else key


# -- moving a card --------------------------------------------------------------------------


def _staged_or_404(request: WebRequest, record_type: str, pk: int) -> Lead | Deal:
    record = record_or_404(request.user, record_type, pk)
    if not isinstance(record, Lead | Deal):
        raise Http404
    return record


def _record_name(record: Lead | Deal) -> str:
    return record.title if isinstance(record, Deal) else str(record)


def _refusal_text(record: Lead | Deal, stage: str, refusal: str, blocked: tuple[str, ...]) -> str:
    pipeline = pipeline_of(record)
    lang = language()
    names = {
        "record": _record_name(record),
        "from": stage_text(record),
        "to": _stage_label(pipeline, stage, lang),
        "steps": ", ".join(
            f"“{t.label.for_language(lang)}”"
            for t in (pipeline.transition(k) for k in blocked)
            if t is not None
        ),
    }
    if refusal == "same_stage":
        return _("“%(record)s” is already in %(to)s.") % names
    if refusal == "approval_pending":
        return (
            _(
                "“%(record)s” is waiting for a manager's approval of %(steps)s; "
                "it moves when the manager approves."
            )
            % names
        )
    if refusal == "not_allowed":
        return _("You may not take %(steps)s on “%(record)s”.") % names
    return _("“%(record)s” cannot go from %(from)s to %(to)s: stages cannot be skipped.") % names


def _next_text(record: Lead | Deal, next_stages: tuple[str, ...]) -> str:
    if not next_stages:
        return _("You cannot move it to another stage now.")
    pipeline = pipeline_of(record)
    lang = language()
    return _("It may go to: %(stages)s.") % {
        "stages": ", ".join(_stage_label(pipeline, k, lang) for k in next_stages)
    }


def _back_to_board(request: WebRequest, record: Lead | Deal) -> HttpResponse:
    """The board the record is on, scrolled to its card."""
    object_type = ObjectType.LEAD if isinstance(record, Lead) else ObjectType.DEAL
    url = f"{_board_url(object_type, record.pipeline)}#{object_type.value}-{record.pk}"
    if wants_partial(request):
        return HttpResponseClientRedirect(url)
    return redirect_to(url)


@login_required
@require_http_methods(["GET", "POST"])
def move_view(request: WebRequest, record_type: str, pk: int, stage: str) -> HttpResponse:
    """GET: what moving the record to `stage` takes: the form of the transition that leads there
    (`?transition=` picks one when several do), or why it cannot go there. POST: take it."""
    record = _staged_or_404(request, record_type, pk)
    if pipeline_of(record).stage(stage) is None:
        raise Http404
    decision = move_decision(request.user, record, stage)
    if decision.refusal:
        return _refused(
            request,
            record,
            _refusal_text(record, stage, decision.refusal, decision.blocked)
            + " "
            + _next_text(record, decision.next_stages),
        )
    chosen = request.GET.get("transition", "")
    option = next((o for o in decision.options if o.key == chosen), None)
    if option is None and len(decision.options) == 1:
        option = decision.options[0]
    if option is None:
        if request.method == "POST":  # the step was taken away meanwhile
            return _refused(request, record, _("Choose a step first."))
        return _render_move(request, record, stage, decision.options, None, None)
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
        return _back_to_board(request, record)
    if request.method == "GET":
        form.focus_first()
    return _render_move(request, record, stage, decision.options, option, form)


def _refused(request: WebRequest, record: Lead | Deal, text: str) -> HttpResponse:
    """Why the card stays where it is: beside the board for htmx (board.js puts the card back),
    as a message on the board otherwise."""
    if not wants_partial(request):
        messages.error(request, text)
        return _back_to_board(request, record)
    response = render(request, "web/includes/board_refusal.html", {"text": text})
    # The request aimed at the dialog; the refusal goes to the board's message area instead.
    response["HX-Retarget"] = "#board-message"
    response["HX-Reswap"] = "innerHTML"
    patch_vary_headers(response, ["HX-Request"])
    return response


def _render_move(
    request: WebRequest,
    record: Lead | Deal,
    stage: str,
    options: list[TransitionOption],
    option: TransitionOption | None,
    form: TransitionForm | None,
) -> HttpResponse:
    record_type = "lead" if isinstance(record, Lead) else "deal"
    url = reverse(f"{record_type}_move", args=[record.pk, stage])
    object_type = _object_type(record_type)
    context: dict[str, Any] = {
        "record": record,
        "record_name": _record_name(record),
        "record_url": record_url(record_type, record.pk),
        "from_stage": stage_text(record),
        "to_stage": _stage_label(pipeline_of(record), stage, language()),
        "option": option,
        "form": form,
        "choices": [Move(o.label, f"{url}?{urlencode({'transition': o.key})}") for o in options],
        "action": f"{url}?{urlencode({'transition': option.key})}" if option else url,
        "cancel_url": f"{_board_url(object_type, record.pipeline)}#{record_type}-{record.pk}",
        "partial": wants_partial(request),
    }
    if wants_partial(request):
        response = render(request, "web/includes/board_move.html", context)
    else:
        title = _("Move %(record)s") % {"record": _record_name(record)}
        response = render(request, "web/board.html", {**context, "title": title, "move": True})
    patch_vary_headers(response, ["HX-Request"])
    return response
