"""Logging a contact in two clicks on a record page (S-03): a button (Call, Email, WhatsApp,
Meeting, Note) opens a short form with its kind and channel preset, the summary is required, and
Log saves it and updates the activities and the timeline in place. Without JavaScript each button
is a link to the logging page with its kind preset."""

import pytest
from django.urls import reverse

from sopcrm.crm.records import selectors
from sopcrm.crm.records.services.accounts import account_create
from sopcrm.crm.records.services.contacts import contact_create
from sopcrm.crm.records.services.deals import deal_create
from sopcrm.crm.records.services.leads import lead_create

HTMX = {"HX-Request": "true"}

PRESETS = [
    ("call", "call", "phone", "outbound"),
    ("email", "email", "email", "outbound"),
    ("whatsapp", "message", "whatsapp", "outbound"),
    ("meeting", "meeting", "", "outbound"),
    ("note", "note", "", "internal"),
]


def _log_url(record_type, record):
    return reverse(f"{record_type}_log", args=[record.pk])


@pytest.mark.parametrize(
    ("record_type", "create", "data"),
    [
        ("lead", lead_create, {"name": "Ann"}),
        ("deal", deal_create, {"title": "Valves"}),
        ("account", account_create, {"name": "Acme"}),
        ("contact", contact_create, {"name": "Ann"}),
    ],
)
def test_record_page_has_a_log_button_per_kind_linking_to_the_preset_page(
    client_for, people, record_type, create, data
):
    record = create(actor=people.alice, data=data)
    html = (
        client_for(people.alice)
        .get(reverse(f"{record_type}_detail", args=[record.pk]))
        .content.decode()
    )
    for key, *_preset in PRESETS:
        url = f"{_log_url(record_type, record)}?kind={key}"
        assert f'href="{url}"' in html
        assert f'hx-get="{url}"' in html


@pytest.mark.parametrize(("key", "kind", "channel", "direction"), PRESETS)
def test_each_button_opens_the_short_form_with_its_kind_and_channel(
    client_for, people, key, kind, channel, direction
):
    lead = lead_create(actor=people.alice, data={"name": "Ann"})
    response = client_for(people.alice).get(_log_url("lead", lead), {"kind": key}, headers=HTMX)
    form = response.context["form"]
    assert (form.initial["kind"], form.initial["channel"]) == (kind, channel)
    html = response.content.decode()
    assert "<html" not in html
    assert 'name="summary"' in html and "autofocus" in html
    # A note is internal: it asks neither who reached out nor how the customer reacted.
    assert ("from_customer" in form.fields) == (direction != "internal")


@pytest.mark.parametrize(("key", "kind", "channel", "direction"), PRESETS)
def test_without_javascript_the_logging_page_has_the_kind_preset(
    client_for, people, key, kind, channel, direction
):
    lead = lead_create(actor=people.alice, data={"name": "Ann"})
    response = client_for(people.alice).get(_log_url("lead", lead), {"kind": key})
    assert "<html" in response.content.decode()
    initial = response.context["form"].initial
    assert (initial["kind"], initial["channel"], initial["direction"]) == (
        kind,
        channel,
        direction,
    )


@pytest.mark.parametrize(("key", "kind", "channel", "direction"), PRESETS)
def test_logging_with_a_button_saves_its_kind_channel_and_direction(
    client_for, people, key, kind, channel, direction
):
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    response = client_for(people.alice).post(
        _log_url("deal", deal),
        {"preset": key, "kind": kind, "channel": channel, "summary": "Talked about the price"},
        headers=HTMX,
    )
    assert response.status_code == 200
    [activity] = selectors.activity_list(people.alice).filter(deal=deal).exclude(kind="task")
    assert (activity.kind, activity.channel, activity.direction) == (kind, channel, direction)
    assert activity.summary == "Talked about the price"


def test_a_logged_call_appears_in_the_activities_and_the_timeline(client_for, people):
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    client = client_for(people.alice)
    response = client.post(
        _log_url("deal", deal),
        {
            "preset": "call",
            "kind": "call",
            "channel": "phone",
            "summary": "Wants 500 units",
            "feedback_type": "interested",
        },
        headers=HTMX,
    )
    html = response.content.decode()
    assert "Logged: Call" in html
    # The done activities and the timeline come along, swapped out of band.
    assert 'id="activity-history" hx-swap-oob="true"' in html
    assert 'id="timeline" aria-labelledby="timeline-heading" hx-swap-oob="true"' in html
    assert "Call logged: Call" in html
    page = client.get(reverse("deal_detail", args=[deal.pk]))
    assert "Call logged: Call" in [entry.text for entry in page.context["timeline"]]
    [call] = page.context["history"]
    assert (call.feedback_type, call.summary) == ("interested", "Wants 500 units")


def test_from_the_customer_logs_an_inbound_contact(client_for, people):
    lead = lead_create(actor=people.alice, data={"name": "Ann"})
    client_for(people.alice).post(
        _log_url("lead", lead),
        {
            "preset": "whatsapp",
            "kind": "message",
            "channel": "whatsapp",
            "from_customer": "on",
            "summary": "Asked for the catalogue",
        },
        headers=HTMX,
    )
    [message] = selectors.activity_list(people.alice).filter(lead=lead).exclude(kind="task")
    assert (message.kind, message.channel, message.direction) == ("message", "whatsapp", "inbound")


def test_an_empty_summary_is_refused_beside_the_field_and_nothing_is_logged(client_for, people):
    lead = lead_create(actor=people.alice, data={"name": "Ann"})
    response = client_for(people.alice).post(
        _log_url("lead", lead),
        {"preset": "call", "kind": "call", "channel": "phone", "summary": "  "},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert response.context["form"].errors["summary"] == ["Write a short summary of the contact."]
    assert 'id="id_quick_summary_error"' in response.content.decode()
    assert not selectors.activity_list(people.alice).filter(lead=lead).exclude(kind="task")


def test_cancel_empties_the_log_panel(client_for, people):
    lead = lead_create(actor=people.alice, data={"name": "Ann"})
    response = client_for(people.alice).get(_log_url("lead", lead), headers=HTMX)
    assert response.content == b""


def test_rep_cannot_quick_log_on_another_reps_lead(client_for, people):
    lead = lead_create(actor=people.wendy, data={"name": "Walt"})
    response = client_for(people.alice).post(
        _log_url("lead", lead),
        {"preset": "note", "kind": "note", "summary": "sneaky"},
        headers=HTMX,
    )
    assert response.status_code == 404
    assert not selectors.activity_list(people.wendy).filter(kind="note").exists()
