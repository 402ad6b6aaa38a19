"""CSRF on every form: a POST without the CSRF token, from a signed-in browser session, is
refused (403) by every URL of the site: the web UI, the admin, the API (django-ninja checks the
token itself for session-authenticated calls) and the language switch. A URL that takes no POST
at all may answer 405 instead. The exceptions are listed with the reason they are safe."""

import re
from collections.abc import Iterator

from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

# URL (pattern) -> why it takes a POST without a CSRF token.
EXEMPT = {
    # The public inquiry form is posted from other sites that embed it; it needs no session, so
    # there is no signed-in user to ride on; it has its own per-address throttle (docs/intake.md).
    "intake/<slug:form_key>/": "public form, no session",
    # The inbound-mail webhook is called by the mail provider with a shared secret, not a session.
    "api/mail/inbound": "webhook, shared secret",
}
SAMPLE = {"int": "1", "slug": "x", "str": "x", "path": "x", "uuid": "0" * 32}
CONVERTER = re.compile(r"<(?:(\w+):)?\w+>")


def _walk(patterns: list, prefix: str = "") -> Iterator[str]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


def _concrete(pattern: str) -> str:
    """A path the pattern matches: each converter replaced by a sample value; a regular
    expression pattern (the admin's) by its literal parts."""
    path = CONVERTER.sub(lambda m: SAMPLE[m.group(1) or "str"], pattern)
    path = re.sub(r"\(\?P<\w+>[^)]*\)", "1", path)
    path = path.replace("^", "").replace("$", "").replace("\\Z", "").replace("\\", "")
    return "/" + path


PATTERNS = sorted(set(_walk(get_resolver().url_patterns)))


def test_the_walk_finds_the_forms_of_the_ui():
    """The walk covers the web UI, the admin and the API (so the test below is not vacuous)."""
    assert {"login/", "deals/<int:pk>/edit/", "api/deals", "admin/login/"} <= set(PATTERNS)


def test_post_without_csrf_token_is_refused_everywhere(people):
    """One signed-in session walks every URL (one test, not one per URL: the session and the
    personas are set up once)."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(people.admin)
    accepted = {}
    for pattern in PATTERNS:
        if pattern in EXEMPT:
            continue
        response = client.post(_concrete(pattern), {"name": "x"})
        if response.status_code not in (403, 405):
            accepted[pattern] = response.status_code
    assert accepted == {}


def test_post_with_csrf_token_is_accepted(people):
    """The control: the same session with its token gets through (here: signing out)."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(people.alice)
    client.get("/")
    token = client.cookies["csrftoken"].value
    response = client.post("/logout/", {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
