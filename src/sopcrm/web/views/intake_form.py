"""The public inquiry forms of the playbook (`intake_forms`, S-25): /intake/<form_key>/.

No login. A POST is form-encoded (a browser posting the form, from this page or from a form on
another site) or JSON (`fetch()`): its inputs are mapped to lead fields by the form's `fields`,
the form's `source` is recorded, and `lead_intake` does the rest (duplicates, assignment, the
first-contact task and the response clock). docs/intake.md has the embedding snippets.

Spam: a honeypot input hidden by CSS (a bot that fills it gets the success answer and nothing is
created), and a rate limit per client address and form, counted in the database so it holds
across server processes.

Settings (Django settings, else the environment; lists comma-separated in the environment):
- SOPCRM_INTAKE_RATE_LIMIT: "posts/seconds", default "10/600" (10 posts per 10 minutes).
- SOPCRM_TRUSTED_PROXIES: addresses or networks of reverse proxies. Only when REMOTE_ADDR is one
  of them is X-Forwarded-For read (right to left, up to the first address that is not a
  trusted proxy); otherwise the header is ignored, since any client can send it.
- SOPCRM_INTAKE_EMBED_ORIGINS: origins (https://www.example.com) that may show the form in a
  frame and call it with fetch() (CORS). Without it, the form cannot be framed.
"""

import ipaddress
import json
import logging
import os
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.csp import build_policy
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from sopcrm.core.clock import now
from sopcrm.core.errors import InvalidInput
from sopcrm.core.users import system_user
from sopcrm.crm.records.models import Lead, LeadSource
from sopcrm.crm.records.services.intake import lead_intake
from sopcrm.crm.records.services.merging import inquiry_clean
from sopcrm.playbook.schema import FieldDef, IntakeForm, ObjectType, Playbook
from sopcrm.process.playbooks import active_version, playbook_for_version

from ..forms.base import WebForm
from ..forms.custom import custom_form_field, to_service
from ..models import IntakeThrottle
from .common import language

logger = logging.getLogger(__name__)

# The hidden input bots fill in. A form's `fields` must not use this name.
HONEYPOT = "homepage"
# The lead fields a form input may fill besides custom fields (not owner, not source).
CORE_INPUTS = ("name", "company", "email", "phone", "country", "message")
DEFAULT_RATE_LIMIT = "10/600"
# Rows of windows older than this are deleted as new windows start.
THROTTLE_KEEP = timedelta(days=1)


# -- settings ------------------------------------------------------------------------------------


def _setting(name: str, default: str = "") -> Any:
    value = getattr(settings, name, None)
    return os.environ.get(name, default) if value is None else value


def _setting_list(name: str) -> list[str]:
    value = _setting(name)
    items = value.split(",") if isinstance(value, str) else list(value)
    return [str(item).strip() for item in items if str(item).strip()]


def rate_limit() -> tuple[int, int]:
    """(posts, seconds) a client may post to one form."""
    value = _setting("SOPCRM_INTAKE_RATE_LIMIT", DEFAULT_RATE_LIMIT)
    try:
        posts, seconds = value.split("/") if isinstance(value, str) else value
        limit = (int(posts), int(seconds))
    except (TypeError, ValueError):
        limit = (0, 0)
    if limit[0] < 0 or limit[1] < 1:
        logger.warning("SOPCRM_INTAKE_RATE_LIMIT is not posts/seconds: %r", value)
        posts, seconds = DEFAULT_RATE_LIMIT.split("/")
        return int(posts), int(seconds)
    return limit


def embed_origins() -> list[str]:
    return [o.rstrip("/") for o in _setting_list("SOPCRM_INTAKE_EMBED_ORIGINS")]


# -- who is posting ------------------------------------------------------------------------------

type Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _networks(values: list[str]) -> list[Network]:
    found = []
    for value in values:
        try:
            found.append(ipaddress.ip_network(value, strict=False))
        except ValueError:
            logger.warning("SOPCRM_TRUSTED_PROXIES: not an address or network: %s", value)
    return found


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def client_address(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or behind a trusted proxy the last address in
    X-Forwarded-For that is not a trusted proxy. An IPv6 client counts as its /64 network,
    which one subscriber usually holds whole."""
    remote = _address(request.META.get("REMOTE_ADDR", ""))
    proxies = _networks(_setting_list("SOPCRM_TRUSTED_PROXIES"))
    if remote is not None and any(remote in network for network in proxies):
        hops = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        for hop in reversed(hops):
            address = _address(hop)
            if address is None:
                break  # a garbled header: trust nothing further left
            remote = address
            if not any(address in network for network in proxies):
                break
    if remote is None:
        return "unknown"
    if remote.version == 6:
        return str(ipaddress.ip_network(f"{remote}/64", strict=False))
    return str(remote)


def _window_start(at: datetime, seconds: int) -> datetime:
    epoch = int(at.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=UTC)


def throttle_allows(form_key: str, client: str) -> bool:
    """Count one post of `client` to the form; False when the window's posts are used up.

    One conditional UPDATE counts the post only while under the limit, so concurrent posts
    cannot both take the last place. The first post of a window creates its row (two at once:
    the loser of the unique constraint counts on the winner's row)."""
    limit, seconds = rate_limit()
    at = now()
    start = _window_start(at, seconds)
    rows = IntakeThrottle.objects.filter(form_key=form_key, client=client, window_start=start)

    def count_one() -> bool:
        return bool(rows.filter(count__lt=limit).update(count=F("count") + 1))

    if count_one():
        return True
    if limit < 1:
        return False
    if rows.exists():  # full, or created by another post since the UPDATE above: count again
        return count_one()
    try:
        with transaction.atomic():
            IntakeThrottle.objects.create(
                form_key=form_key, client=client, window_start=start, count=1
            )
    except IntegrityError:
        return count_one()
    IntakeThrottle.objects.filter(window_start__lt=at - THROTTLE_KEEP).delete()
    return True


def _retry_after() -> int:
    _limit, seconds = rate_limit()
    at = now()
    return max(
        1, int((_window_start(at, seconds) + timedelta(seconds=seconds) - at).total_seconds())
    )


# -- the form ------------------------------------------------------------------------------------


class PublicIntakeForm(WebForm):
    """The inputs of one playbook intake form, plus the honeypot."""

    def __init__(self, definition: IntakeForm, playbook: Playbook, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.definition = definition
        self.custom_defs: dict[str, FieldDef] = {}
        lang = language()
        lead = playbook.object(ObjectType.LEAD)
        for name, key in definition.fields.items():
            if name == HONEYPOT:
                logger.warning("intake form %s: input %s is the honeypot", definition.key, name)
                continue
            field: forms.Field
            if key in CORE_INPUTS:
                field = _core_field(key)
            elif (custom := lead.field(key)) is not None:
                field = custom_form_field(custom, lang)
                self.custom_defs[name] = custom
            else:
                logger.warning("intake form %s: no lead field %s", definition.key, key)
                continue
            field.required = name in definition.required
            self.fields[name] = field
        self.fields[HONEYPOT] = forms.CharField(
            required=False,
            label=_("Leave this empty"),
            widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
        )

    def lead_data(self) -> dict[str, Any]:
        """`lead_intake` input from the cleaned inputs."""
        data: dict[str, Any] = {"source": _source(self.definition)}
        custom: dict[str, Any] = {}
        for name, key in self.definition.fields.items():
            if name not in self.fields or name == HONEYPOT:
                continue
            value = self.cleaned_data.get(name)
            if name in self.custom_defs:
                stored = to_service(self.custom_defs[name], value)
                if stored is not None:
                    custom[key] = stored
            elif value not in (None, ""):
                data[key] = value
        if custom:
            data["custom"] = custom
        return data

    def input_for(self, field: str) -> str | None:
        """The input a service problem is about (`email`, `custom.quantity`), if on the form."""
        key = field.removeprefix("custom.")
        for name, mapped in self.definition.fields.items():
            if mapped == key and name in self.fields:
                return name
        return None

    def add_intake_error(self, error: InvalidInput) -> None:
        for problem in error.problems:
            name = self.input_for(problem.field)
            if name in self.errors:
                continue  # the form's own message for this input says it already
            self.add_error(name, problem.message if name else f"{problem.field}: {problem.message}")


def _core_field(key: str) -> forms.Field:
    label = capfirst(getattr(Lead._meta.get_field(key), "verbose_name", key))
    match key:
        case "email":
            return forms.CharField(label=label, widget=forms.EmailInput(), max_length=254)
        case "phone":
            return forms.CharField(label=label, widget=forms.TextInput({"type": "tel"}))
        case "message":
            return forms.CharField(label=label, widget=forms.Textarea({"rows": 5}))
    return forms.CharField(label=label, max_length=200)


def _source(definition: IntakeForm) -> str:
    if definition.source in LeadSource.values:
        return definition.source
    logger.warning("intake form %s: unknown source %s", definition.key, definition.source)
    return LeadSource.OTHER.value


def _form_of(form_key: str) -> tuple[IntakeForm, Playbook]:
    playbook = playbook_for_version(active_version().pk)
    definition = next((f for f in playbook.intake_forms if f.key == form_key), None)
    if definition is None:
        raise Http404
    return definition, playbook


# -- responses -----------------------------------------------------------------------------------


def _embedding(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Framing and CORS: allowed only for the origins SOPCRM_INTAKE_EMBED_ORIGINS lists."""
    origins = embed_origins()
    if origins:
        # CSP frame-ancestors takes a list of origins; X-Frame-Options cannot, and browsers
        # that know CSP ignore it when frame-ancestors is present: leave it off.
        response.xframe_options_exempt = True
    # The site's policy (settings.SECURE_CSP) with frame-ancestors made the embedding sites; the
    # CSP middleware leaves a header a view has set alone.
    ancestors = ["'self'", *origins] if origins else ["'none'"]
    policy: dict[str, Any] = dict(settings.SECURE_CSP)
    policy["frame-ancestors"] = ancestors
    response["Content-Security-Policy"] = build_policy(policy)
    origin = request.headers.get("Origin", "").rstrip("/")
    if origin and origin in origins:
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Allow-Methods"] = "POST"
        response["Access-Control-Allow-Headers"] = "Content-Type"
        response["Access-Control-Max-Age"] = "86400"
    patch_vary_headers(response, ["Origin"])
    return response


def _wants_json(request: HttpRequest) -> bool:
    return request.content_type == "application/json"


def _json_errors(form: PublicIntakeForm) -> list[dict[str, str]]:
    return [
        {
            "field": "" if name == "__all__" else name,
            "code": error.code or "invalid",
            "message": " ".join(str(m) for m in error.messages),
        }
        for name, errors in form.errors.as_data().items()
        for error in errors
    ]


def _json_data(request: HttpRequest) -> dict[str, Any] | None:
    """The JSON body as form data (a money object becomes its two sub-inputs), or None."""
    try:
        body = json.loads(request.body or b"null")
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    data: dict[str, Any] = {}
    for name, value in body.items():
        if isinstance(value, Mapping):
            data.update({f"{name}_{part}": v for part, v in value.items()})
        else:
            data[name] = value
    return data


def _page(
    request: HttpRequest,
    form: PublicIntakeForm,
    definition: IntakeForm,
    status: int = 200,
    notice: str = "",
) -> HttpResponse:
    context = {
        "notice": notice,
        "form": form,
        "title": definition.label.for_language(language()),
        "honeypot": form[HONEYPOT],
        "action": reverse("intake_form", args=[definition.key]),
    }
    return render(request, "web/intake/form.html", context, status=status)


# csrf_exempt: the form is posted from other sites (a company's own website embeds it) by
# anonymous visitors. CSRF protects a signed-in user's session from requests forged by another
# site; this view uses no session and acts as nobody (the automation user), so a forged post can
# do nothing a direct post cannot. Spam is the risk here, answered by the honeypot and the limit.
@csrf_exempt
@require_http_methods(["GET", "POST", "OPTIONS"])
def intake_form(request: HttpRequest, form_key: str) -> HttpResponse:
    definition, playbook = _form_of(form_key)
    if request.method == "OPTIONS":  # a CORS preflight of fetch() with a JSON body
        return _embedding(request, HttpResponse(status=204))
    if request.method == "GET":
        return _embedding(
            request, _page(request, PublicIntakeForm(definition, playbook), definition)
        )
    return _embedding(request, _submit(request, definition, playbook))


def _submit(request: HttpRequest, definition: IntakeForm, playbook: Playbook) -> HttpResponse:
    as_json = _wants_json(request)
    data = _json_data(request) if as_json else request.POST
    if data is None:
        return JsonResponse(
            {"ok": False, "error": "malformed", "message": _("Send a JSON object.")}, status=400
        )
    client = client_address(request)
    if not throttle_allows(definition.key, client):
        logger.info("intake form %s: rate limit reached by %s", definition.key, client)
        message = _("Too many submissions from your address; please try again later.")
        if as_json:
            response: HttpResponse = JsonResponse(
                {"ok": False, "error": "rate_limited", "message": message}, status=429
            )
        else:
            # What they typed stays in the inputs, to send again later.
            typed = {name: data.get(name) for name in definition.fields}
            form = PublicIntakeForm(definition, playbook, initial=typed)
            response = _page(request, form, definition, status=429, notice=message)
        response["Retry-After"] = str(_retry_after())
        return response
    if str(data.get(HONEYPOT) or "").strip():
        # A person never sees the input; answer as if it worked so the bot learns nothing.
        logger.info(
            "intake form %s: honeypot filled by %s; nothing created", definition.key, client
        )
        return _success(as_json, definition)
    form = PublicIntakeForm(definition, playbook, data=data)
    if form.is_valid():
        try:
            lead_intake(data=form.lead_data(), actor=None)
        except InvalidInput as error:
            form.add_intake_error(error)
        else:
            return _success(as_json, definition)
    else:
        # The service's checks of the inputs the form took (e-mail, phone, country...), so
        # that every problem is shown at once.
        try:
            inquiry_clean(form.lead_data(), actor=system_user())
        except InvalidInput as error:
            form.add_intake_error(error)
    if as_json:
        return JsonResponse({"ok": False, "errors": _json_errors(form)}, status=422)
    return _page(request, form, definition, status=422)


def _success(as_json: bool, definition: IntakeForm) -> HttpResponse:
    if as_json:
        return JsonResponse({"ok": True})
    return HttpResponseRedirect(reverse("intake_thanks", args=[definition.key]))


@require_http_methods(["GET"])
def intake_thanks(request: HttpRequest, form_key: str) -> HttpResponse:
    definition, _playbook = _form_of(form_key)
    text = (
        definition.thank_you.for_language(language())
        if definition.thank_you
        else _("Thank you. We will get back to you soon.")
    )
    context = {"title": definition.label.for_language(language()), "text": text}
    return _embedding(request, render(request, "web/intake/thank_you.html", context))
