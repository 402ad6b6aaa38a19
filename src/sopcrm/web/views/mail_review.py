"""The review queue (managers and admins): received mail that no record claimed, waiting for
someone to assign it to a lead or deal (it is then logged there as the customer's reply and stops
the chase) or to ignore it (spam, a newsletter, mail for someone else; it stays stored).

Reading and writing go through crm/mail (`inbound_review_queue`, `inbound_assign`,
`inbound_ignore`); the records offered are the reader's visible leads and deals.
"""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as HttpForbidden
from django.db.models import Q
from django.db.models.functions import Lower
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from sopcrm.core import normalise
from sopcrm.core.errors import DomainError, NotFound
from sopcrm.core.models import RecordType, User
from sopcrm.crm.mail.models import InboundEmail
from sopcrm.crm.mail.selectors import inbound_get, inbound_review_queue
from sopcrm.crm.mail.services.inbound import inbound_assign, inbound_ignore
from sopcrm.crm.records import selectors
from sopcrm.crm.records.models import Deal, Lead

from ..http import WebRequest
from .common import record_url, redirect_to, visible_or_404
from .record_pages import stage_text

# The oldest waiting mail first would bury today's; the queue shows the newest this many.
REVIEW_LIMIT = 100
SEARCH_LIMIT = 10


@dataclass(frozen=True)
class RecordChoice:
    value: str  # "deal:12": what the Assign form sends
    kind: str
    label: str
    detail: str
    url: str


@dataclass(frozen=True)
class ReviewItem:
    email: InboundEmail
    senders_records: list[RecordChoice]
    results: list[RecordChoice] | None  # a search made for this email (without JavaScript)
    query: str


def may_review(user: User) -> bool:
    return user.is_active and (user.is_manager or user.is_admin)


def review_waiting(user: User) -> int:
    """How many emails wait in the queue (the count beside Mail review); no query for reps."""
    return inbound_review_queue(user).count() if may_review(user) else 0


def _reviewer(request: WebRequest) -> User:
    if not may_review(request.user):
        raise HttpForbidden
    return request.user


def _deal_choice(deal: Deal) -> RecordChoice:
    about = " · ".join(
        filter(None, [deal.account.name if deal.account else "", str(deal.contact or "")])
    )
    return RecordChoice(
        value=f"deal:{deal.pk}",
        kind=str(RecordType.DEAL.label),
        label=deal.title,
        detail=" · ".join(filter(None, [about, stage_text(deal), str(deal.owner or "")])),
        url=record_url(RecordType.DEAL, deal.pk),
    )


def _lead_choice(lead: Lead) -> RecordChoice:
    return RecordChoice(
        value=f"lead:{lead.pk}",
        kind=str(RecordType.LEAD.label),
        label=str(lead),
        detail=" · ".join(filter(None, [lead.email, stage_text(lead), str(lead.owner or "")])),
        url=record_url(RecordType.LEAD, lead.pk),
    )


def _senders_records(user: User, emails: list[InboundEmail]) -> dict[str, list[RecordChoice]]:
    """The visible deals and leads of each sender's address (two queries for the page)."""
    addresses = {e.from_email.lower() for e in emails if e.from_email}
    found: dict[str, list[RecordChoice]] = {a: [] for a in addresses}
    if not addresses:
        return found
    deals = (
        selectors.deal_list(user)
        .annotate(sender=Lower("contact__email"))
        .filter(sender__in=addresses)
        .order_by("-updated_at", "-pk")
    )
    for deal in deals:
        found[deal.sender].append(_deal_choice(deal))
    leads = (
        selectors.lead_list(user)
        .annotate(sender=Lower("email"))
        .filter(sender__in=addresses)
        .order_by("-updated_at", "-pk")
    )
    for lead in leads:
        found[lead.sender].append(_lead_choice(lead))
    return found


def search_records(user: User, query: str) -> list[RecordChoice]:
    """Visible deals and leads whose name, company or address contains `query`."""
    query = query.strip()
    if not query:
        return []
    deals = (
        selectors.deal_list(user)
        .filter(
            Q(title__icontains=query)
            | Q(account__name__icontains=query)
            | Q(contact__name__icontains=query)
            | Q(contact__email__icontains=query)
        )
        .order_by("-updated_at", "-pk")[:SEARCH_LIMIT]
    )
    leads = (
        selectors.lead_list(user)
        .filter(Q(name__icontains=query) | Q(company__icontains=query) | Q(email__icontains=query))
        .order_by("-updated_at", "-pk")[:SEARCH_LIMIT]
    )
    return [*map(_deal_choice, deals), *map(_lead_choice, leads)]


@login_required
@require_GET
def review_queue(request: WebRequest) -> HttpResponse:
    user = _reviewer(request)
    emails = list(inbound_review_queue(user)[:REVIEW_LIMIT])
    by_sender = _senders_records(user, emails)
    searched_for = request.GET.get("for", "")
    query = request.GET.get("q", "")
    items = [
        ReviewItem(
            email=email,
            senders_records=by_sender.get(email.from_email.lower(), []),
            results=search_records(user, query) if searched_for == str(email.pk) else None,
            query=query if searched_for == str(email.pk) else "",
        )
        for email in emails
    ]
    return render(
        request,
        "web/mail_review.html",
        {"title": _("Mail review"), "items": items, "limit": REVIEW_LIMIT},
    )


@login_required
@require_GET
def review_search(request: WebRequest, pk: int) -> HttpResponse:
    """The records matching a search, as choices of one email's Assign form (htmx)."""
    user = _reviewer(request)
    email = _inbound_or_404(user, pk)
    query = request.GET.get("q", "")
    return render(
        request,
        "web/includes/review_choices.html",
        {
            "item": ReviewItem(
                email=email,
                senders_records=_senders_records(user, [email]).get(email.from_email.lower(), []),
                results=search_records(user, query),
                query=query,
            )
        },
    )


def _inbound_or_404(user: User, pk: int) -> InboundEmail:
    try:
        return inbound_get(user, pk)
    except NotFound:
        raise Http404 from None


def _chosen_record(user: User, value: str) -> Lead | Deal | None:
    kind, _colon, raw_id = value.partition(":")
    pk = normalise.record_id(raw_id)
    if pk is None:
        return None
    if kind == RecordType.DEAL:
        return visible_or_404(selectors.deal_get, user, pk)
    if kind == RecordType.LEAD:
        return visible_or_404(selectors.lead_get, user, pk)
    return None


@login_required
@require_POST
def review_assign(request: WebRequest, pk: int) -> HttpResponse:
    user = _reviewer(request)
    email = _inbound_or_404(user, pk)
    back = reverse("mail_review")
    record = _chosen_record(user, request.POST.get("record", ""))
    if record is None:
        messages.error(request, _("Choose the lead or deal this email is about."))
        return redirect_to(f"{back}#mail-{email.pk}")
    try:
        inbound_assign(email, record=record, actor=user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Assigned to %(record)s: the email is on its timeline.") % {"record": record},
        )
    return redirect_to(back)


@login_required
@require_POST
def review_ignore(request: WebRequest, pk: int) -> HttpResponse:
    user = _reviewer(request)
    email = _inbound_or_404(user, pk)
    try:
        inbound_ignore(email, actor=user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Ignored: “%(subject)s” left the queue.") % {"subject": email.subject or "—"},
        )
    return redirect_to(reverse("mail_review"))
