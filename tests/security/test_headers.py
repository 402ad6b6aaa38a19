"""Security headers on every page: a Content-Security-Policy that lets scripts run only from the
site's own files (no inline script without the page's nonce, no eval), the referrer policy,
nosniff, and no framing, except the public intake form for the sites allowed to embed it. The
templates keep to the policy: no inline script without a nonce, no inline event handlers."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

import sopcrm.web

TEMPLATES = Path(sopcrm.web.__file__).parent / "templates"


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    parts = [p.strip().split() for p in policy.split(";") if p.strip()]
    return {p[0]: p[1:] for p in parts}


@pytest.fixture
def page(client_for_alice):
    return client_for_alice.get(reverse("home"))


@pytest.fixture
def client_for_alice(client, people):
    client.force_login(people.alice)
    return client


def test_scripts_run_only_from_the_site(page):
    """No template of the page asked for a nonce, so none is offered (Django adds one to the
    header only when a template used `{{ csp_nonce }}`)."""
    assert directives(page)["script-src"] == ["'self'"]


def test_policy_allows_no_inline_script_and_no_eval(page):
    policy = page["Content-Security-Policy"]
    script = " ".join(directives(page)["script-src"])
    assert "'unsafe-inline'" not in script
    assert "'unsafe-eval'" not in policy


def test_a_template_that_uses_the_nonce_gets_a_new_one_in_each_header(rf, settings):
    """The way for an inline script, should one be needed: the nonce of this response."""
    from django.middleware.csp import ContentSecurityPolicyMiddleware, get_nonce
    from django.template import engines

    template = engines["django"].from_string("<script nonce='{{ csp_nonce }}'>1</script>")

    def view(request):
        from django.http import HttpResponse

        return HttpResponse(template.render({"csp_nonce": get_nonce(request)}, request))

    middleware = ContentSecurityPolicyMiddleware(view)
    first, second = middleware(rf.get("/")), middleware(rf.get("/"))
    nonce = re.search(r"nonce='([\w-]+)'", first.content.decode()).group(1)
    assert directives(first)["script-src"] == ["'self'", f"'nonce-{nonce}'"]
    assert directives(second)["script-src"] != directives(first)["script-src"]


def test_policy_forbids_plugins_base_tags_and_foreign_forms(page):
    found = directives(page)
    assert found["object-src"] == ["'none'"]
    assert found["base-uri"] == ["'self'"]
    assert found["form-action"] == ["'self'"]
    assert found["default-src"] == ["'self'"]


def test_pages_cannot_be_framed(page):
    assert page["X-Frame-Options"] == "DENY"
    assert directives(page)["frame-ancestors"] == ["'none'"]


def test_other_security_headers(page):
    assert page["X-Content-Type-Options"] == "nosniff"
    assert page["Referrer-Policy"] == "same-origin"
    assert page["Cross-Origin-Opener-Policy"] == "same-origin"


def test_login_page_has_the_policy_too(client, db):
    response = client.get(reverse("login"))
    assert directives(response)["script-src"][0] == "'self'"


def test_api_answers_have_the_policy_too(client_for_alice):
    response = client_for_alice.get("/api/me")
    assert directives(response)["default-src"] == ["'self'"]


def test_intake_form_keeps_the_policy_with_its_own_frame_ancestors(client, db, settings):
    settings.SOPCRM_INTAKE_EMBED_ORIGINS = ["https://www.acme-valves.example"]
    response = client.get(reverse("intake_form", args=["website"]))
    found = directives(response)
    assert found["frame-ancestors"] == ["'self'", "https://www.acme-valves.example"]
    assert found["script-src"] == ["'self'"]
    assert found["object-src"] == ["'none'"]


def _templates() -> list[Path]:
    return sorted(TEMPLATES.rglob("*.html"))


def test_templates_have_no_inline_script_without_a_nonce():
    """An inline script runs only with the page's nonce; JSON data blocks don't run at all."""
    offending = []
    for path in _templates():
        for tag in re.findall(r"<script\b[^>]*>", path.read_text()):
            if "src=" in tag or "nonce=" in tag or "application/json" in tag:
                continue
            offending.append(f"{path.name}: {tag}")
    assert offending == []


def test_templates_have_no_inline_event_handlers():
    """onclick=… and htmx's hx-on (which evaluates its text) are refused by the policy."""
    handler = re.compile(r"\s(on[a-z]+|hx-on[:\w-]*)\s*=", re.IGNORECASE)
    offending = [
        f"{path.name}: {match.group(1)}"
        for path in _templates()
        for match in handler.finditer(path.read_text())
    ]
    assert offending == []


def test_htmx_is_configured_not_to_eval_or_inject_styles():
    base = (TEMPLATES / "web" / "base.html").read_text()
    assert '"allowEval": false' in base
    assert '"includeIndicatorStyles": false' in base


def test_csp_middleware_is_installed():
    assert "django.middleware.csp.ContentSecurityPolicyMiddleware" in settings.MIDDLEWARE
