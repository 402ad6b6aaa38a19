from typing import Any

from django import template
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from sopcrm.core.models import User

register = template.Library()


@register.simple_tag(takes_context=True)
def nav_link(context: template.Context, url_name: str, label: str, count: int = 0) -> SafeString:
    """A link of the top bar, marked aria-current when the page is in its section (the home
    page only on itself); `count` adds a badge (e.g. approvals waiting for you)."""
    url = reverse(url_name)
    request: HttpRequest | None = context.get("request")
    path = request.path if request is not None else ""
    current = path == url if url == "/" else path.startswith(url)
    if current and url_name == "deal_list" and path.startswith(reverse("deal_board")):
        current = False  # the board has a link of its own
    badge = (
        format_html(
            ' <span class="badge badge-count">{}<span class="visually-hidden"> {}</span></span>',
            count,
            gettext("waiting for you"),
        )
        if count
        else ""
    )
    if current:
        return format_html('<a href="{}" aria-current="page">{}{}</a>', url, label, badge)
    return format_html('<a href="{}">{}{}</a>', url, label, badge)


@register.simple_tag
def approvals_to_decide(user: User) -> int:
    """Pending approvals `user` may decide (no query for reps, who decide none)."""
    from ..views.approvals import pending_to_decide

    return pending_to_decide(user) if user.is_authenticated else 0


@register.simple_tag
def proposals_to_decide(user: User) -> int:
    """Template proposals waiting for this manager (no query for reps)."""
    from ..views.email_templates import proposals_waiting

    return proposals_waiting(user) if user.is_authenticated else 0


@register.simple_tag
def mail_to_review(user: User) -> int:
    """Received emails waiting in the review queue (managers and admins; no query for reps)."""
    from ..views.mail_review import review_waiting

    return review_waiting(user) if user.is_authenticated else 0


@register.filter
def share(value: dict[str, Any] | None) -> str:
    """A report share ({"part", "whole", "percent"}) as "62.5 % (5 / 8)"; "—" when there is
    nothing to share (never 0 %)."""
    if not value or value.get("percent") is None:
        return "—"
    return f"{value['percent']} % ({value['part']} / {value['whole']})"


@register.filter
def share_percent(value: dict[str, Any] | None) -> str:
    """The percentage of a report share ("62.5 %"), or "—"."""
    if not value or value.get("percent") is None:
        return "—"
    return f"{value['percent']} %"


@register.filter
def share_parts(value: dict[str, Any] | None) -> str:
    """What a share is made of ("5 / 8"), or "" when there is nothing to share."""
    if not value or not value.get("whole"):
        return ""
    return f"{value['part']} / {value['whole']}"


@register.filter
def figure(value: Any) -> str:
    """A report figure that may be missing: "—" for None."""
    return "—" if value is None else str(value)
