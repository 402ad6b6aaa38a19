"""The public inquiry form (S-25) through HTTP: no login, assignment and the first-contact task
as any new inquiry, the honeypot, the rate limit, JSON, embedding."""

import pytest
from django.test import Client

from sopcrm.core.models import Event, EventKind, RecordType
from sopcrm.crm.records.models import Activity, Lead
from sopcrm.web.models import IntakeThrottle

from .conftest import FORM, at, post_form, post_json

INQUIRY = {
    "name": "Hans Müller",
    "email": "hans@acme.example",
    "company": "Acme GmbH",
    "country": "Germany",
    "phone": "030 901820",
    "product": "Ball valves DN50",
    "quantity": "500",
    "message": "Please quote 500 ball valves.",
}


def buyer(n):
    return {"name": f"Buyer {n}", "email": f"buyer{n}@shop{n}.example"}


@pytest.fixture
def anonymous(people):
    """A visitor of the website: no session, and CSRF checked as a real browser's post is."""
    return Client(enforce_csrf_checks=True)


def test_the_form_page_shows_the_playbook_inputs_and_the_hidden_honeypot(anonymous):
    response = anonymous.get(FORM)
    assert response.status_code == 200
    page = response.content.decode()
    for name in ("name", "email", "company", "product", "quantity", "message"):
        assert f'name="{name}"' in page
    assert 'class="intake-hp" aria-hidden="true"' in page
    assert 'name="homepage"' in page
    assert "csrfmiddlewaretoken" not in page


def test_a_post_creates_an_assigned_lead_with_its_first_contact_task(anonymous, people, frozen):
    """Monday 10:00 in Shanghai: the first contact is due 24 working hours later, Tuesday 10:00."""
    frozen(at(2025, 11, 3, 10))
    response = post_form(anonymous, INQUIRY)
    assert response.status_code == 302
    assert response["Location"] == "/intake/website/thanks/"
    lead = Lead.objects.get()
    assert (lead.name, lead.email, lead.country, lead.phone) == (
        "Hans Müller",
        "hans@acme.example",
        "DE",
        "+4930901820",
    )
    assert lead.source == "website_form"
    assert (lead.custom["product_interest"], lead.custom["quantity"]) == ("Ball valves DN50", 500)
    assert lead.owner == people.alice  # the first rep in turn
    assert lead.assigned_at == at(2025, 11, 3, 10)
    task = Activity.objects.get(lead=lead, template_key="first_contact")
    assert (task.owner, task.due_at) == (people.alice, at(2025, 11, 4, 10))
    assert Event.objects.filter(
        record_type=RecordType.LEAD, record_id=lead.pk, kind=EventKind.ASSIGNED
    ).exists()


def test_posts_take_turns_over_all_reps(anonymous, people):
    for n in range(4):
        post_form(anonymous, {"name": f"Buyer {n}", "email": f"b{n}@shop{n}.example"})
    assert [lead.owner for lead in Lead.objects.order_by("pk")] == [
        people.alice,
        people.bob,
        people.wendy,
        people.alice,
    ]


def test_the_thank_you_page_shows_the_playbook_text(anonymous):
    response = anonymous.get("/intake/website/thanks/", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    assert "We will answer within one working day." in response.content.decode()


def test_missing_and_bad_inputs_show_the_form_again_with_errors(anonymous):
    response = post_form(anonymous, {"email": "not an address", "quantity": "many"})
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert set(errors) == {"name", "email", "quantity"}
    assert Lead.objects.count() == 0


def test_a_filled_honeypot_pretends_success_and_creates_nothing(anonymous, caplog):
    response = post_form(anonymous, {**INQUIRY, "homepage": "http://cheap-pills.example"})
    assert response.status_code == 302
    assert response["Location"] == "/intake/website/thanks/"
    assert Lead.objects.count() == 0
    assert "honeypot" in caplog.text
    response = post_json(anonymous, {**INQUIRY, "homepage": "x"})
    assert (response.status_code, response.json()) == (200, {"ok": True})
    assert Lead.objects.count() == 0


def test_json_post_answers_ok(anonymous, people):
    response = post_json(anonymous, {**INQUIRY, "quantity": 500, "utm_source": "newsletter"})
    assert (response.status_code, response.json()) == (200, {"ok": True})
    lead = Lead.objects.get()
    assert (lead.source, lead.custom["quantity"], lead.owner) == ("website_form", 500, people.alice)


def test_json_post_with_bad_values_answers_422_with_every_field_error(anonymous):
    response = post_json(anonymous, {"email": "hans@", "phone": "12", "country": "Atlantis"})
    assert response.status_code == 422
    body = response.json()
    assert body["ok"] is False
    assert {(e["field"], e["code"]) for e in body["errors"]} >= {("name", "required")}
    # The form's own checks first; the service's (e-mail, phone, country) once those pass.
    response = post_json(anonymous, {"name": "Hans", "email": "hans@", "country": "Atlantis"})
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"email", "country"}
    assert Lead.objects.count() == 0


def test_a_body_that_is_not_a_json_object_is_malformed(anonymous):
    response = anonymous.post(FORM, "[1, 2", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"] == "malformed"


def test_unknown_form_is_404(anonymous):
    assert anonymous.get("/intake/nope/").status_code == 404
    assert post_form(anonymous, INQUIRY, form="/intake/nope/").status_code == 404
    assert anonymous.get("/intake/nope/thanks/").status_code == 404


def test_rate_limit_per_client_address(anonymous, settings, frozen):
    settings.SOPCRM_INTAKE_RATE_LIMIT = "3/600"
    frozen(at(2025, 11, 3, 10, 1))
    for n in range(3):
        assert post_json(anonymous, buyer(n)).status_code == 200
    refused = post_json(anonymous, buyer(4))
    assert refused.status_code == 429
    assert refused.json()["error"] == "rate_limited"
    assert 0 < int(refused["Retry-After"]) <= 600
    assert post_form(anonymous, buyer(5)).status_code == 429
    # Honeypot posts count too: a bot cannot probe for free.
    assert post_json(anonymous, {**buyer(6), "homepage": "x"}).status_code == 429
    # Another address has its own count; a new window starts afresh.
    assert post_json(anonymous, buyer(7), address="198.51.100.9").status_code == 200
    frozen(at(2025, 11, 3, 10, 11))
    assert post_json(anonymous, buyer(8)).status_code == 200
    assert Lead.objects.count() == 5


def test_forwarded_for_counts_only_behind_a_trusted_proxy(anonymous, settings):
    settings.SOPCRM_INTAKE_RATE_LIMIT = "1/600"
    proxy = {"address": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "192.0.2.1"}
    assert post_json(anonymous, buyer("A"), **proxy).status_code == 200
    # Untrusted: the header is the client's word, so both posts are the proxy's address.
    spoofed = {"address": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "192.0.2.2"}
    assert post_json(anonymous, buyer("B"), **spoofed).status_code == 429
    settings.SOPCRM_TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert post_json(anonymous, buyer("C"), **spoofed).status_code == 200
    # A client's own X-Forwarded-For before the proxy's entry is not believed.
    forged = {"address": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "192.0.2.99, 192.0.2.2"}
    assert post_json(anonymous, buyer("D"), **forged).status_code == 429
    assert set(IntakeThrottle.objects.values_list("client", flat=True)) == {
        "10.0.0.2",
        "192.0.2.2",
    }


def test_the_form_cannot_be_framed_unless_origins_are_listed(anonymous, settings):
    response = anonymous.get(FORM)
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"].split("; ")
    settings.SOPCRM_INTAKE_EMBED_ORIGINS = ["https://www.acme-valves.example"]
    response = anonymous.get(FORM)
    assert "X-Frame-Options" not in response
    assert "frame-ancestors 'self' https://www.acme-valves.example" in (
        response["Content-Security-Policy"].split("; ")
    )


def test_fetch_from_a_listed_origin_passes_the_cors_preflight(anonymous, settings):
    settings.SOPCRM_INTAKE_EMBED_ORIGINS = "https://www.acme-valves.example"
    origin = {"Origin": "https://www.acme-valves.example"}
    preflight = anonymous.options(FORM, headers=origin)
    assert preflight.status_code == 204
    assert preflight["Access-Control-Allow-Origin"] == "https://www.acme-valves.example"
    assert "Content-Type" in preflight["Access-Control-Allow-Headers"]
    response = post_json(anonymous, INQUIRY, headers=origin)
    assert response["Access-Control-Allow-Origin"] == "https://www.acme-valves.example"
    other = anonymous.options(FORM, headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other


def test_a_signed_in_user_posting_the_form_is_not_the_author(people, client):
    """The form acts as nobody: a CRM user's session gives a post no rights."""
    client.force_login(people.east_manager)
    post_form(client, {"name": "Buyer", "email": "buyer@shop.example"})
    lead = Lead.objects.get()
    assert lead.created_by.username == "sopcrm-automation"
    assert lead.owner == people.alice
