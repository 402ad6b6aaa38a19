"""Composing and sending: the email is an outbound contact on the record's timeline (S-03) and one
message in the outbox; retries with the same key queue nothing more; only who sees the record may
write to its customer."""

import pytest

from sopcrm.core.errors import Conflict, InvalidInput, NotFound
from sopcrm.core.models import Event, EventKind
from sopcrm.crm.mail.models import OutboundEmail
from sopcrm.crm.mail.services.outbox import reply_token_for
from sopcrm.crm.messaging.services.compose import email_compose, email_preview
from sopcrm.crm.messaging.services.templates import template_archive, template_variant_create
from sopcrm.crm.records.models import Activity
from sopcrm.crm.records.selectors import record_activities, record_timeline

from .conftest import FREE, make_deal


def _send(deal, library, actor, **kwargs):
    return email_compose(
        deal, template=library["quote_cover"], free_sections=FREE, actor=actor, **kwargs
    )


def test_compose_logs_an_outbound_email_on_the_deal_and_queues_it(people, library, signature, deal):
    activity = _send(deal, library, people.alice)

    assert (activity.kind, activity.channel, activity.direction, activity.status) == (
        "email",
        "email",
        "outbound",
        "done",
    )
    assert (activity.deal, activity.contact, activity.owner) == (deal, deal.contact, people.alice)
    assert activity.subject == "Quotation for Ball valves, valid until 1 April 2026"
    assert activity.summary == (
        "Email “Quotation cover email” to hans@acme.example. "
        "Next step: Could we have a 15-minute call on Thursday?"
    )
    assert activity.body.startswith("Dear Hans,")
    assert list(record_activities(people.alice, deal).filter(kind="email")) == [activity]
    [event] = [
        e
        for e in record_timeline(people.alice, "deal", deal.pk)
        if e.kind == EventKind.ACTIVITY_CREATED and e.data["kind"] == "email"
    ]
    assert event.data["direction"] == "outbound"

    [queued] = OutboundEmail.objects.all()
    assert queued.activity == activity
    assert (queued.deal, queued.contact, queued.sender) == (deal, deal.contact, people.alice)
    assert queued.to == ["hans@acme.example"]
    assert queued.subject == activity.subject
    assert queued.text_body == activity.body
    assert "<p>Every batch is pressure-tested.</p>" in queued.html_body
    assert queued.reply_token == reply_token_for(deal)


def test_same_idempotency_key_queues_one_message(people, library, signature, deal):
    first = _send(deal, library, people.alice, idempotency_key="retry-1")
    again = _send(deal, library, people.alice, idempotency_key="retry-1")
    assert again == first
    assert OutboundEmail.objects.count() == 1
    assert Activity.objects.filter(kind="email").count() == 1


def test_without_a_key_each_call_sends(people, library, signature, deal):
    _send(deal, library, people.alice)
    _send(deal, library, people.alice)
    assert OutboundEmail.objects.count() == 2


def test_a_key_reused_for_another_deal_is_a_conflict(people, library, signature, deal):
    _send(deal, library, people.alice, idempotency_key="k")
    other = make_deal(people.alice, title="Gate valves")
    with pytest.raises(Conflict):
        _send(other, library, people.alice, idempotency_key="k")
    assert OutboundEmail.objects.count() == 1


def test_rep_cannot_compose_on_another_reps_deal(people, library, signature, deal):
    events = Event.objects.count()
    for outsider in (people.bob, people.wendy, people.west_manager):
        with pytest.raises(NotFound):
            _send(deal, library, outsider)
        with pytest.raises(NotFound):
            email_preview(deal, template=library["quote_cover"], free_sections=FREE, actor=outsider)
    assert (OutboundEmail.objects.count(), Event.objects.count()) == (0, events)


def test_preview_writes_nothing(people, library, signature, deal):
    events = Event.objects.count()
    draft = email_preview(
        deal, template=library["quote_cover"], free_sections=FREE, actor=people.alice
    )
    assert draft.problems == []
    assert draft.next_step == FREE["next_step"]
    assert (OutboundEmail.objects.count(), Activity.objects.filter(kind="email").count()) == (0, 0)
    assert Event.objects.count() == events


def test_no_address_is_refused(people, library, signature):
    deal = make_deal(people.alice, email="")
    with pytest.raises(InvalidInput) as error:
        _send(deal, library, people.alice)
    [problem] = error.value.problems
    assert (problem.field, problem.code) == ("to", "required")


def test_given_recipients_are_checked(people, library, signature, deal):
    with pytest.raises(InvalidInput) as error:
        _send(deal, library, people.alice, to=["buyer@acme.example", "not an address"])
    assert [(p.field, p.code) for p in error.value.problems] == [("to", "invalid")]
    activity = _send(deal, library, people.alice, to=["buyer@acme.example", "boss@acme.example"])
    assert activity.emails.get().to == ["buyer@acme.example", "boss@acme.example"]


def test_unknown_free_section_is_refused(people, library, signature, deal):
    with pytest.raises(InvalidInput) as error:
        email_compose(
            deal,
            template=library["quote_cover"],
            free_sections={**FREE, "greeting": "Hi!"},
            actor=people.alice,
        )
    assert [(p.field, p.code) for p in error.value.problems] == [("sections.greeting", "not_free")]


def test_another_reps_personal_template_cannot_be_used(people, library, signature, deal):
    variant = template_variant_create(library["quote_cover"], actor=people.bob)
    with pytest.raises(NotFound):
        email_compose(deal, template=variant, free_sections=FREE, actor=people.alice)


def test_archived_template_cannot_be_sent(people, library, signature, deal):
    template_archive(library["quote_cover"], actor=people.east_manager)
    with pytest.raises(Conflict):
        _send(deal, library, people.alice)


def test_lead_email_is_logged_on_the_lead(people, library, signature):
    from sopcrm.crm.records.services.leads import lead_create

    lead = lead_create(
        actor=people.alice,
        data={
            "name": "Maria Lopez",
            "company": "Lopez SA",
            "email": "maria@lopez.example",
            "custom": {"product_interest": "Gate valves"},
        },
    )
    activity = email_compose(
        lead, template=library["first_reply"], free_sections=FREE, actor=people.alice
    )
    assert (activity.lead, activity.deal, activity.contact) == (lead, None, None)
    queued = activity.emails.get()
    assert (queued.lead, queued.reply_token) == (lead, reply_token_for(lead))
