"""Writing an email from a record (S-37, S-38): the templates that fit the record first, the fixed
sections filled in, the free ones written by the rep; Preview shows the email and every problem
beside its input; Send logs it on the record and queues it once, however often the form is sent;
the timeline shows the email with its outbox status and the customer's reply."""

import re

import pytest
import time_machine
from django.urls import reverse

from sopcrm.core.events import event_record
from sopcrm.core.models import EventKind, RecordType
from sopcrm.crm.mail.models import OutboundEmail, OutboundStatus
from sopcrm.crm.mail.services.inbound import inbound_receive
from sopcrm.crm.mail.services.outbox import reply_token_for
from sopcrm.crm.messaging.models import EmailTemplate
from sopcrm.crm.messaging.services.signatures import signature_create
from sopcrm.crm.records.models import Activity, ActivityStatus
from sopcrm.crm.records.services.leads import lead_create
from tests.mail.conftest import mime
from tests.messaging.conftest import make_deal

from .conftest import walk

DIFFERENTIATORS = "Every batch is pressure-tested."
NEXT_STEP = "Could we have a 15-minute call on Thursday?"


@pytest.fixture
def signature(people):
    return signature_create(
        actor=people.alice,
        data={"name": "Default", "body": "Best regards,\nAlice Chen\nSales, Ningbo Valves"},
    )


@pytest.fixture
def quoted(people, signature):
    """Alice's deal with Hans Müller of Acme, quoted and waiting for the 1st follow-up."""
    with time_machine.travel("2025-11-03 10:00 +0800", tick=False):
        return walk(make_deal(people.alice), "quoted", people.alice)


def _template(key: str) -> EmailTemplate:
    return EmailTemplate.objects.get(owner__isnull=True, key=key, status="active")


def _url(record, **query) -> str:
    base = reverse(f"{RecordType(type(record)._meta.model_name)}_compose", args=[record.pk])
    return base + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def _form(client, record, template) -> dict:
    """The compose form as the browser would send it back (hidden fields included)."""
    html = client.get(_url(record, template=template.pk)).content.decode()
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))
    to = re.search(r'name="to" value="([^"]*)"', html)
    return {**fields, "to": to.group(1) if to else ""}


def _filled(form: dict, **sections) -> dict:
    return {
        **form,
        "section_differentiators": DIFFERENTIATORS,
        "section_next_step": NEXT_STEP,
        **{f"section_{k}": v for k, v in sections.items()},
    }


def test_compose_page_suggests_the_chase_templates_first_for_a_quoted_deal(
    client_for, people, quoted
):
    response = client_for(people.alice).get(_url(quoted))
    assert response.status_code == 200
    suggested = [choice.name for choice in response.context["suggested"]]
    assert suggested[0] == _template("chase_1").name
    assert _template("quote_cover").name in suggested
    # Templates for other stages are in the rest of the library, not among the suggestions.
    assert _template("first_reply").name not in suggested
    library = [choice.name for choice in response.context["library"]]
    assert _template("first_reply").name in library
    html = response.content.decode()
    assert html.index("Suggested templates") < html.index(_template("chase_1").name)
    assert f'href="{_url(quoted, template=_template("chase_1").pk)}"' in html


def test_the_form_shows_fixed_sections_filled_in_and_free_ones_to_write(client_for, people, quoted):
    template = _template("chase_1")
    response = client_for(people.alice).get(_url(quoted, template=template.pk))
    assert response.status_code == 200
    blocks = {block.key: block for block in response.context["blocks"]}
    assert blocks["greeting"].fixed and "Dear Hans," in blocks["greeting"].text
    assert blocks["closing"].fixed and "Alice Chen" in blocks["closing"].text
    assert not blocks["differentiators"].fixed and blocks["differentiators"].required
    assert blocks["next_step"].is_cta
    html = response.content.decode()
    assert 'name="section_differentiators"' in html
    assert 'name="section_greeting"' not in html
    assert 'name="idempotency_key"' in html
    assert 'value="hans@acme.example"' in html
    assert 'data-preset-for="id_compose_section_differentiators"' in html
    assert 'class="required"' in html
    assert "web/compose.js" in html
    # Nothing is written yet, so nothing is a problem yet.
    assert response.context["problems"] == []


def test_preview_renders_the_email_with_the_contacts_name(client_for, people, quoted):
    client = client_for(people.alice)
    form = _filled(_form(client, quoted, _template("chase_1")), action="preview")
    form["action"] = "preview"
    response = client.post(_url(quoted), form, headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="compose"')  # only the form and preview (htmx)
    draft = response.context["draft"]
    assert draft.text.startswith("Dear Hans,")
    assert DIFFERENTIATORS in draft.text and NEXT_STEP in draft.text
    assert "<p>Dear Hans,</p>" in html or "Dear Hans," in html
    assert "No problems: the email is ready to send." in html
    assert OutboundEmail.objects.count() == 0


def test_preview_lists_every_problem_beside_its_input(client_for, people, quoted):
    client = client_for(people.alice)
    form = {**_form(client, quoted, _template("chase_1")), "action": "preview"}
    response = client.post(_url(quoted), form)
    blocks = {block.key: block for block in response.context["blocks"]}
    assert blocks["differentiators"].problems  # required, empty
    assert blocks["next_step"].problems  # no call to action
    assert not blocks["greeting"].problems
    assert len(response.context["problems"]) == 2
    html = response.content.decode()
    assert 'id="id_compose_section_differentiators_error"' in html
    assert 'aria-invalid="true"' in html
    assert 'href="#id_compose_section_next_step"' in html


def test_a_missing_merge_value_is_shown_beside_the_sections_that_use_it(
    client_for, people, signature
):
    deal = make_deal(people.alice, custom={"quote_valid_until": None})
    template = _template("quote_cover")
    response = client_for(people.alice).get(_url(deal, template=template.pk))
    problems = [p.message for p in response.context["problems"]]
    assert any("quote_valid_until" in message for message in problems)
    assert any("quote_valid_until" in m for m in response.context["beside"]["subject"])


def test_sending_with_an_empty_required_section_shows_the_error_and_queues_nothing(
    client_for, people, quoted
):
    client = client_for(people.alice)
    form = {
        **_filled(_form(client, quoted, _template("chase_1")), differentiators="  "),
        "action": "send",
    }
    response = client.post(_url(quoted), form)
    assert response.status_code == 200
    blocks = {block.key: block for block in response.context["blocks"]}
    assert blocks["differentiators"].problems
    assert not blocks["next_step"].problems
    html = response.content.decode()
    error = re.search(
        r'id="id_compose_section_differentiators_error">([^<]*)<', html
    )  # right under its text box
    assert error and "Why us" in error.group(1)
    assert OutboundEmail.objects.count() == 0
    assert not Activity.objects.filter(kind="email").exists()


def test_sending_queues_one_email_and_the_timeline_shows_it(client_for, people, quoted):
    client = client_for(people.alice)
    form = {**_filled(_form(client, quoted, _template("chase_1"))), "action": "send"}
    response = client.post(_url(quoted), form, follow=True)
    assert response.redirect_chain[-1][0] == reverse("deal_detail", args=[quoted.pk])
    [queued] = OutboundEmail.objects.all()
    assert queued.to == ["hans@acme.example"]
    assert queued.status == OutboundStatus.QUEUED
    assert queued.deal == quoted
    messages = [str(m) for m in response.context["messages"]]
    assert any("is queued for sending" in m for m in messages)
    [entry] = [e for e in response.context["timeline"] if e.status]
    assert entry.text == f"Email queued for sending: {queued.subject}"
    assert entry.status_label == "Queued"
    assert entry.body.startswith("Dear Hans,") and NEXT_STEP in entry.body
    html = response.content.decode()
    assert "Show the email" in html
    assert 'class="badge badge-outbox outbox-queued"' in html
    # The activity's own page shows the whole email and where it is in the outbox.
    page = client.get(entry.href)
    rows = {row.label: row.value for row in page.context["rows"]}
    assert rows["Outbox status"] == "Queued"
    assert NEXT_STEP in page.content.decode()


def test_the_same_form_sent_twice_queues_one_email(client_for, people, quoted):
    client = client_for(people.alice)
    form = {**_filled(_form(client, quoted, _template("chase_1"))), "action": "send"}
    first = client.post(_url(quoted), form)
    second = client.post(_url(quoted), form)
    assert first.status_code == second.status_code == 302
    assert OutboundEmail.objects.count() == 1
    assert Activity.objects.filter(kind="email").count() == 1
    # A form shown again is a new email.
    again = {**_filled(_form(client, quoted, _template("chase_1"))), "action": "send"}
    assert again["idempotency_key"] != form["idempotency_key"]
    client.post(_url(quoted), again)
    assert OutboundEmail.objects.count() == 2


def test_a_preset_button_without_javascript_fills_its_section(client_for, people, quoted):
    client = client_for(people.alice)
    form = {**_form(client, quoted, _template("chase_1")), "preset": "differentiators:quality"}
    response = client.post(_url(quoted), form)
    assert response.status_code == 200
    assert response.context["form"]["section_differentiators"].value().startswith("Every batch")
    assert OutboundEmail.objects.count() == 0


def test_the_timeline_shows_sent_and_failed_status(client_for, people, quoted):
    client = client_for(people.alice)
    client.post(
        _url(quoted), {**_filled(_form(client, quoted, _template("chase_1"))), "action": "send"}
    )
    OutboundEmail.objects.update(status=OutboundStatus.SENT)
    page = client.get(reverse("deal_detail", args=[quoted.pk]))
    [entry] = [e for e in page.context["timeline"] if e.status]
    assert entry.text.startswith("Email sent: ") and entry.status_label == "Sent"
    OutboundEmail.objects.update(status=OutboundStatus.FAILED)
    [queued] = OutboundEmail.objects.all()
    # The outbox gives up after its last attempt and says so on the record (crm/mail delivery).
    event_record(
        record_type=RecordType.DEAL,
        record_id=quoted.pk,
        kind=EventKind.EMAIL_FAILED,
        actor=None,
        data={
            "email": queued.pk,
            "activity": queued.activity_id,
            "subject": queued.subject,
            "to": queued.to,
            "attempts": 6,
            "reason": "550 mailbox unavailable",
        },
    )
    page = client.get(reverse("deal_detail", args=[quoted.pk]))
    [entry] = [e for e in page.context["timeline"] if e.status]
    assert entry.text.startswith("Email not delivered: ") and entry.status_label == "Failed"
    [gave_up] = [e for e in page.context["timeline"] if e.actor == "System"]
    assert gave_up.text == f"Email not delivered: {queued.subject}"
    assert gave_up.detail == "Gave up after 6 attempts: 550 mailbox unavailable"


def test_the_customers_reply_stops_the_chase_on_the_timeline(client_for, people, quoted, settings):
    settings.SOPCRM_REPLY_ADDRESS = "crm@replies.example.com"
    assert Activity.objects.filter(deal=quoted, status=ActivityStatus.OPEN).exists()
    inbound_receive(
        mime(
            sender="Hans Müller <hans@acme.example>",
            to=f"crm+{reply_token_for(quoted)}@replies.example.com",
            subject="Re: Quotation",
            text="Thanks, we will order 5,000 pieces.",
        ),
        source="test",
    )
    page = client_for(people.alice).get(reverse("deal_detail", args=[quoted.pk]))
    texts = [e.text for e in page.context["timeline"]]
    assert "Customer replied by email: Re: Quotation" in texts
    assert "Customer replied — the chase stopped" in texts
    [reply] = [e for e in page.context["timeline"] if e.text.startswith("Customer replied by")]
    assert "we will order 5,000 pieces" in reply.body
    assert not reply.status


def test_record_pages_link_to_compose(client_for, people, quoted):
    client = client_for(people.alice)
    html = client.get(reverse("deal_detail", args=[quoted.pk])).content.decode()
    assert f'href="{_url(quoted)}"' in html
    lead = lead_create(actor=people.alice, data={"name": "Rosa Díaz", "email": "rosa@x.example"})
    html = client.get(reverse("lead_detail", args=[lead.pk])).content.decode()
    assert f'href="{_url(lead)}"' in html
    html = client.get(reverse("contact_detail", args=[quoted.contact_id])).content.decode()
    assert f'href="{_url(quoted)}"' in html
    html = client.get(reverse("account_detail", args=[quoted.account_id])).content.decode()
    assert "/email/" not in html


def test_a_lead_email_goes_to_the_leads_address(client_for, people, signature):
    lead = lead_create(
        actor=people.alice,
        data={
            "name": "Rosa Díaz",
            "company": "Díaz SA",
            "email": "rosa@x.example",
            "custom": {"product_interest": "Gate valves"},
        },
    )
    client = client_for(people.alice)
    suggested = client.get(_url(lead)).context["suggested"]
    assert suggested[0].name == _template("first_reply").name
    form = {**_filled(_form(client, lead, _template("first_reply"))), "action": "send"}
    assert form["to"] == "rosa@x.example"
    response = client.post(_url(lead), form)
    assert response.status_code == 302
    [queued] = OutboundEmail.objects.all()
    assert (queued.lead, queued.to) == (lead, ["rosa@x.example"])


def test_another_reps_deal_and_an_unknown_template_are_refused(client_for, people, quoted):
    assert client_for(people.bob).get(_url(quoted)).status_code == 404
    response = client_for(people.alice).get(_url(quoted, template=999999))
    assert response.status_code == 302 and response["Location"] == _url(quoted)


def test_compose_page_queries_stay_bounded(
    client_for, people, quoted, django_assert_max_num_queries
):
    client = client_for(people.alice)
    with django_assert_max_num_queries(12):
        assert client.get(_url(quoted)).status_code == 200
    template = _template("chase_1")
    with django_assert_max_num_queries(15):
        assert client.get(_url(quoted, template=template.pk)).status_code == 200
    form = {**_filled(_form(client, quoted, template)), "action": "preview"}
    with django_assert_max_num_queries(15):
        assert client.post(_url(quoted), form).status_code == 200
