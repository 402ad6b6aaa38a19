"""Writing to customers through the API: the templates suggested for a record, the preview with
its problems, and sending (S-37, S-38): one email activity on the timeline and one message in the
outbox, however often a client retries with its idempotency key."""

import json

import pytest

from sopcrm.core.models import Event
from sopcrm.crm.mail.models import OutboundEmail
from sopcrm.crm.messaging.models import EmailTemplate
from sopcrm.crm.records.models import Activity, Deal

from .conftest import at, fields_of, tasks_of, unchanged
from .flow import OUTCOME, deal_at

FREE = {
    "differentiators": "Every batch is pressure-tested.",
    "next_step": "Could we have a 15-minute call on Thursday?",
}
SIGNATURE = {"name": "Default", "body": "Best regards,\nAlice Chen\nSales, Ningbo Valves"}


def team_template(key):
    return EmailTemplate.objects.get(key=key, owner__isnull=True, status="active").pk


def customer_deal(client, *, title="Valves", email="hans@acme.example"):
    """A quoted deal (pending its 1st follow-up) with an account and an English-reading contact."""
    account = client.post("/accounts", {"name": "Acme GmbH"}).json()
    contact = client.post(
        "/contacts",
        {
            "name": "Hans Müller",
            "email": email,
            "account": account["id"],
            "custom": {"languages": ["en"]},
        },
    ).json()
    return deal_at(
        client,
        "quoted",
        title=title,
        account=account["id"],
        contact=contact["id"],
        amount="12500",
        currency="EUR",
    )


@pytest.fixture
def deal(clients, frozen):
    """Alice's quoted deal on Mon 3 Nov 2025, and her signature."""
    frozen(at(2025, 11, 3, 10))
    assert clients.alice.post("/signatures", SIGNATURE).status_code == 201
    return customer_deal(clients.alice)


def body(template="quote_cover", free=None, **extra):
    return {
        "template": team_template(template),
        "free_sections": FREE if free is None else free,
        **extra,
    }


def emails_sent():
    return OutboundEmail.objects.count(), Activity.objects.filter(kind="email").count()


def send(client, deal_id, payload, *, expect=201, headers=None):
    if headers:
        response = client.client.post(
            f"/api/deals/{deal_id}/emails",
            json.dumps(payload),
            content_type="application/json",
            headers=headers,
        )
    else:
        response = client.post(f"/deals/{deal_id}/emails", payload)
    assert response.status_code == expect, response.json()
    return response.json()


# -- suggestions ---------------------------------------------------------------------------------


def test_suggestions_for_a_quoted_deal_list_the_chase_first(clients, deal):
    listed = clients.alice.get(f"/deals/{deal['id']}/templates")
    assert listed.status_code == 200
    items = listed.json()["items"]
    assert [(t["key"], t["purpose"]) for t in items] == [
        ("chase_1", "chase_1"),
        ("quote_cover", "quote_cover"),
    ]
    assert items[0]["team"] is True and items[0]["status"] == "active"

    # The 1st follow-up done: the deal waits for the 2nd, and the 2nd follow-up comes first.
    chase = tasks_of(clients.alice, "deal", deal["id"])["chase_1"]
    assert clients.alice.post(f"/activities/{chase['id']}/complete", OUTCOME).status_code == 200
    assert Deal.objects.get(pk=deal["id"]).substate == "pending_2nd"
    items = clients.alice.get(f"/deals/{deal['id']}/templates").json()["items"]
    assert items[0]["key"] == "chase_2"
    assert "chase_1" not in [t["key"] for t in items]


def test_a_new_lead_is_suggested_the_first_reply(clients):
    lead = clients.alice.post("/leads", {"name": "Ana Souza", "email": "ana@rio.example"}).json()
    items = clients.alice.get(f"/leads/{lead['id']}/templates").json()["items"]
    assert items[0]["key"] == "first_reply"


def test_a_rep_sees_their_own_variant_among_the_suggestions(clients, deal):
    variant = clients.alice.post(
        f"/templates/{team_template('chase_1')}/variants", {"key": "my_chase"}
    ).json()
    keys = [t["key"] for t in clients.alice.get(f"/deals/{deal['id']}/templates").json()["items"]]
    assert variant["key"] in keys and keys.index("chase_1") < keys.index("my_chase")
    # Nobody else is suggested alice's personal variant.
    manager = clients.east_manager.get(f"/deals/{deal['id']}/templates").json()["items"]
    assert "my_chase" not in [t["key"] for t in manager]


# -- preview -------------------------------------------------------------------------------------


def test_preview_renders_the_customer_and_writes_nothing(clients, deal):
    record = Deal.objects.get(pk=deal["id"])
    with unchanged(record):
        response = clients.alice.post(f"/deals/{deal['id']}/emails/preview", body())
    assert response.status_code == 200
    draft = response.json()
    assert draft["to"] == ["hans@acme.example"]
    assert draft["subject"] == "Quotation for Valves, valid until 3 December 2025"
    assert draft["html"].startswith("<p>Dear Hans,</p>")
    assert "<p>Every batch is pressure-tested.</p>" in draft["html"]
    assert draft["text"].startswith("Dear Hans,\n\n")
    assert draft["text"].endswith("Best regards,\nAlice Chen\nSales, Ningbo Valves")
    assert draft["next_step"] == FREE["next_step"]
    assert draft["problems"] == []
    assert emails_sent() == (0, 0)


def test_preview_lists_every_problem_by_field(clients, deal):
    record = Deal.objects.get(pk=deal["id"])
    [signature] = clients.alice.get("/signatures").json()["items"]
    assert clients.alice.delete(f"/signatures/{signature['id']}").status_code == 204
    with unchanged(record):
        response = clients.alice.post(
            f"/deals/{deal['id']}/emails/preview",
            body(free={"differentiators": "  ", "next_step": ""}, to=["not an address"]),
        )
    assert response.status_code == 200
    draft = response.json()
    assert [(p["field"], p["code"]) for p in draft["problems"]] == [
        ("sections.differentiators", "required"),
        ("sections.next_step", "no_call_to_action"),
        ("merge_fields.rep_signature", "missing_value"),
        ("to", "invalid"),
    ]
    assert all(p["message"] for p in draft["problems"])
    assert "[rep_signature]" in draft["text"]
    assert emails_sent() == (0, 0)


def test_a_script_escapes_in_free_text(clients, deal):
    free = {**FREE, "differentiators": "<script>alert(1)</script>"}
    draft = clients.alice.post(f"/deals/{deal['id']}/emails/preview", body(free=free)).json()
    assert "<script>" not in draft["html"]
    assert "&lt;script&gt;" in draft["html"]


# -- send ----------------------------------------------------------------------------------------


def test_an_empty_required_section_is_refused_and_nothing_is_queued(clients, deal):
    record = Deal.objects.get(pk=deal["id"])
    with unchanged(record):
        response = clients.alice.post(
            f"/deals/{deal['id']}/emails", body(free={"next_step": FREE["next_step"]})
        )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid"
    assert fields_of(response) == [("sections.differentiators", "required")]
    assert emails_sent() == (0, 0)


def test_every_broken_rule_is_listed_at_once(clients, people, frozen):
    frozen(at(2025, 11, 3, 10))
    deal = customer_deal(clients.alice, email="")  # no address, and alice has no signature yet
    response = clients.alice.post(
        f"/deals/{deal['id']}/emails",
        body(free={"differentiators": "", "next_step": " ", "recap": "Hi"}),
    )
    assert response.status_code == 422
    assert fields_of(response) == [
        ("sections.recap", "not_free"),
        ("sections.differentiators", "required"),
        ("sections.next_step", "no_call_to_action"),
        ("merge_fields.rep_signature", "missing_value"),
        ("to", "required"),
    ]
    assert emails_sent() == (0, 0)


def test_send_logs_the_email_on_the_deal_and_queues_one_message(clients, people, deal):
    sent = send(clients.alice, deal["id"], body())
    activity, email = sent["activity"], sent["email"]
    assert activity == {
        "id": activity["id"],
        "kind": "email",
        "channel": "email",
        "direction": "outbound",
        "subject": "Quotation for Valves, valid until 3 December 2025",
        "summary": "Email “Quotation cover email” to hans@acme.example. "
        "Next step: Could we have a 15-minute call on Thursday?",
        "body": activity["body"],
        "occurred_at": "2025-11-03T02:00:00Z",
        "lead": None,
        "deal": deal["id"],
        "contact": deal["contact"],
        "owner": people.alice.pk,
    }
    assert activity["body"].startswith("Dear Hans,")
    [queued] = OutboundEmail.objects.all()
    assert email == {
        "id": queued.pk,
        "status": "queued",
        "to": ["hans@acme.example"],
        "subject": activity["subject"],
        "message_id": queued.message_id,
        "attempts": 0,
        "sent_at": None,
        "last_error": "",
        "created_at": "2025-11-03T02:00:00Z",
        "next_attempt_at": "2025-11-03T02:00:00Z",
        "lead": None,
        "deal": deal["id"],
        "activity": activity["id"],
    }
    assert queued.message_id.startswith("<")
    assert (queued.activity_id, queued.sender) == (activity["id"], people.alice)

    # The email is on the deal's timeline, as an outbound contact.
    latest = clients.alice.get(f"/deals/{deal['id']}/timeline").json()["items"][0]
    assert latest["kind"] == "activity_created"
    assert (latest["data"]["activity"], latest["data"]["kind"], latest["data"]["direction"]) == (
        activity["id"],
        "email",
        "outbound",
    )
    listed = clients.alice.get(
        "/activities", {"filter": [f"deal:eq:{deal['id']}", "kind:eq:email"]}
    ).json()["items"]
    assert [a["id"] for a in listed] == [activity["id"]]

    # Its delivery status, for whoever sees the deal.
    status = clients.alice.get(f"/emails/{email['id']}")
    assert status.status_code == 200
    assert status.json() == email
    assert clients.east_manager.get(f"/emails/{email['id']}").json()["status"] == "queued"


def test_the_delivery_status_follows_the_outbox(clients, deal, frozen):
    email = send(clients.alice, deal["id"], body())["email"]
    queued = OutboundEmail.objects.get(pk=email["id"])
    queued.status, queued.attempts, queued.sent_at = "sent", 1, at(2025, 11, 3, 10, 1)
    queued.save()
    shown = clients.alice.get(f"/emails/{email['id']}").json()
    assert (shown["status"], shown["attempts"], shown["sent_at"], shown["next_attempt_at"]) == (
        "sent",
        1,
        "2025-11-03T02:01:00Z",
        None,
    )


def test_the_same_idempotency_key_sends_once(clients, deal):
    first = send(clients.alice, deal["id"], body(idempotency_key="retry-1"))
    events = Event.objects.count()
    again = send(clients.alice, deal["id"], body(idempotency_key="retry-1"))
    assert again == first
    assert emails_sent() == (1, 1)
    assert Event.objects.count() == events
    # Without a key, each call sends.
    send(clients.alice, deal["id"], body())
    assert emails_sent() == (2, 2)


def test_the_idempotency_key_header_works(clients, deal):
    headers = {"Idempotency-Key": "header-1"}
    first = send(clients.alice, deal["id"], body(), headers=headers)
    again = send(clients.alice, deal["id"], body(), headers=headers)
    assert again == first
    # The header and the body name one key.
    assert send(clients.alice, deal["id"], body(idempotency_key="header-1")) == first
    assert emails_sent() == (1, 1)
    refused = send(
        clients.alice, deal["id"], body(idempotency_key="other"), headers=headers, expect=422
    )
    assert [(f["field"], f["code"]) for f in refused["error"]["fields"]] == [
        ("idempotency_key", "invalid")
    ]
    assert emails_sent() == (1, 1)


def test_a_key_reused_on_another_deal_is_a_conflict(clients, deal):
    send(clients.alice, deal["id"], body(idempotency_key="k"))
    other = customer_deal(clients.alice, title="Gate valves")
    refused = send(clients.alice, other["id"], body(idempotency_key="k"), expect=409)
    assert refused["error"]["code"] == "idempotency_conflict"
    assert emails_sent() == (1, 1)
    # Keys are per user: bob's "k" is his own.
    bobs = customer_deal(clients.bob, title="Bob's valves")
    clients.bob.post("/signatures", SIGNATURE)
    send(clients.bob, bobs["id"], body(idempotency_key="k"))
    assert emails_sent() == (2, 2)


def test_an_archived_template_is_not_sent(clients, deal):
    variant = clients.alice.post(f"/templates/{team_template('quote_cover')}/variants", {}).json()
    assert clients.alice.post(f"/templates/{variant['id']}/archive").status_code == 200
    refused = send(clients.alice, deal["id"], {**body(), "template": variant["id"]}, expect=409)
    assert refused["error"]["code"] == "archived"
    assert emails_sent() == (0, 0)


def test_send_on_a_lead_goes_to_the_lead(clients, people, frozen):
    frozen(at(2025, 11, 3, 10))
    clients.alice.post("/signatures", SIGNATURE)
    lead = clients.alice.post(
        "/leads",
        {
            "name": "Ana Souza",
            "company": "Rio Pumps",
            "email": "ana@rio.example",
            "custom": {"product_interest": "Pumps"},
        },
    ).json()
    preview = clients.alice.post(f"/leads/{lead['id']}/emails/preview", body("first_reply"))
    assert (preview.status_code, preview.json()["problems"]) == (200, [])
    assert preview.json()["subject"] == "Your inquiry about Pumps"
    response = clients.alice.post(f"/leads/{lead['id']}/emails", body("first_reply"))
    assert response.status_code == 201, response.json()
    sent = response.json()
    assert (sent["activity"]["lead"], sent["activity"]["deal"]) == (lead["id"], None)
    assert (sent["email"]["lead"], sent["email"]["to"]) == (lead["id"], ["ana@rio.example"])
    assert clients.bob.get(f"/emails/{sent['email']['id']}").status_code == 404


# -- input and visibility ------------------------------------------------------------------------


def test_unknown_fields_and_wrong_types_are_refused(clients, deal):
    record = Deal.objects.get(pk=deal["id"])
    for path in (f"/deals/{deal['id']}/emails", f"/deals/{deal['id']}/emails/preview"):
        with unchanged(record):
            response = clients.alice.post(
                path,
                {"template": "1", "free_sections": {"next_step": 1}, "to": "a@b.example", "cc": []},
            )
        assert response.status_code == 422
        assert fields_of(response) == [
            ("template", "type"),
            ("free_sections.next_step", "type"),
            ("to", "type"),
            ("cc", "unknown_field"),
        ]
        assert fields_of(clients.alice.post(path, {"free_sections": {}})) == [
            ("template", "required")
        ]
        assert clients.alice.post(path, raw="{not json").status_code == 400
    refused = send(clients.alice, deal["id"], body(idempotency_key=7), expect=422)
    assert [(f["field"], f["code"]) for f in refused["error"]["fields"]] == [
        ("idempotency_key", "type")
    ]
    refused = send(clients.alice, deal["id"], body(idempotency_key="x" * 101), expect=422)
    assert [(f["field"], f["code"]) for f in refused["error"]["fields"]] == [
        ("idempotency_key", "invalid")
    ]
    assert emails_sent() == (0, 0)


def test_a_template_you_do_not_see_is_a_422_on_template(clients, deal):
    bobs = clients.bob.post(f"/templates/{team_template('chase_1')}/variants", {}).json()
    for path in (f"/deals/{deal['id']}/emails", f"/deals/{deal['id']}/emails/preview"):
        response = clients.alice.post(path, {**body(), "template": bobs["id"]})
        assert (response.status_code, fields_of(response)) == (422, [("template", "not_found")])
        response = clients.alice.post(path, {**body(), "template": 999999})
        assert fields_of(response) == [("template", "not_found")]
    assert emails_sent() == (0, 0)


def test_another_reps_deal_is_not_found(clients, deal):
    email = send(clients.alice, deal["id"], body())["email"]
    for outsider in (clients.bob, clients.wendy, clients.west_manager):
        assert outsider.get(f"/deals/{deal['id']}/templates").status_code == 404
        assert outsider.post(f"/deals/{deal['id']}/emails/preview", body()).status_code == 404
        response = outsider.post(f"/deals/{deal['id']}/emails", body())
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
        assert outsider.get(f"/emails/{email['id']}").status_code == 404
    assert clients.alice.get("/deals/999999/templates").status_code == 404
    assert clients.alice.get("/emails/999999").status_code == 404
    assert emails_sent() == (1, 1)


def test_a_token_sends_like_a_session(people, token_as, deal):
    script = token_as(people.alice)
    response = script.post(f"/deals/{deal['id']}/emails", body(idempotency_key="cron-42"))
    assert response.status_code == 201
    assert script.post(f"/deals/{deal['id']}/emails", body(idempotency_key="cron-42")).json() == (
        response.json()
    )
    assert emails_sent() == (1, 1)
