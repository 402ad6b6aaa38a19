"""Rendering a template: merge fields filled and escaped, the rep's text kept plain, the HTML
sanitised, a text part always; missing values and the SOP's structure block sending (S-37, S-38)."""

import json

import pytest

from sopcrm.core.errors import InvalidInput
from sopcrm.crm.mail.models import OutboundEmail
from sopcrm.crm.messaging.merge_fields import MERGE_FIELD_INFO
from sopcrm.crm.messaging.models import EmailTemplate
from sopcrm.crm.messaging.rendering import html_to_text, render_email
from sopcrm.crm.messaging.services.compose import email_compose, email_preview
from sopcrm.playbook.schema import MERGE_FIELDS, EmailTemplateDef

from .conftest import FREE, make_deal


def test_every_declared_merge_field_is_computed_and_documented():
    assert set(MERGE_FIELD_INFO) == MERGE_FIELDS


def test_merge_fields_render_and_values_are_escaped(people, library, signature, deal):
    draft = email_preview(
        deal, template=library["quote_cover"], free_sections=FREE, actor=people.alice
    )
    assert draft.problems == []
    assert draft.subject == "Quotation for Ball valves, valid until 1 April 2026"
    assert "Dear Hans," in draft.html
    # The account name is data, never markup.
    assert "Acme &lt;GmbH&gt; &amp; Co" in draft.html
    assert "<GmbH>" not in draft.html
    assert "EUR 12,500.00, valid until 1 April 2026" in draft.html
    assert "Specification: DN50 stainless, PN16" in draft.html
    assert "Alice Chen<br>Sales, Ningbo Valves" in draft.html
    assert draft.to == ["hans@acme.example"]


def test_text_part_says_what_the_html_says(people, library, signature, deal):
    draft = email_preview(
        deal, template=library["quote_cover"], free_sections=FREE, actor=people.alice
    )
    assert draft.text.startswith("Dear Hans,\n\nThank you for the details")
    assert "attached our quotation for Acme <GmbH> & Co." in draft.text
    assert "- Price: EUR 12,500.00, valid until 1 April 2026" in draft.text
    assert "Every batch is pressure-tested." in draft.text
    assert draft.text.endswith("Best regards,\nAlice Chen\nSales, Ningbo Valves")
    assert "<" not in draft.text.replace("<GmbH>", "")


def test_missing_merge_values_block_sending_and_name_every_field(people, library):
    deal = make_deal(people.alice, custom={"quote_valid_until": None, "lead_time_requirement": ""})
    with pytest.raises(InvalidInput) as error:
        email_compose(deal, template=library["quote_cover"], free_sections=FREE, actor=people.alice)
    problems = {p.field: p for p in error.value.problems}
    # No signature yet, no validity date, no lead time: all listed, nothing queued.
    assert set(problems) == {
        "merge_fields.quote_valid_until",
        "merge_fields.lead_time",
        "merge_fields.rep_signature",
    }
    assert problems["merge_fields.quote_valid_until"].code == "missing_value"
    assert "the subject" in problems["merge_fields.quote_valid_until"].message
    assert "Quote valid until" in problems["merge_fields.quote_valid_until"].message
    assert OutboundEmail.objects.count() == 0


def test_preview_shows_a_missing_value_as_its_name_never_as_nothing(people, library, deal):
    draft = email_preview(
        deal, template=library["quote_cover"], free_sections=FREE, actor=people.alice
    )
    assert "[rep_signature]" in draft.text
    assert [p.field for p in draft.problems] == ["merge_fields.rep_signature"]


def test_empty_required_free_section_blocks_sending_naming_it(people, library, signature, deal):
    with pytest.raises(InvalidInput) as error:
        email_compose(
            deal,
            template=library["quote_cover"],
            free_sections={"differentiators": "  \n ", "next_step": FREE["next_step"]},
            actor=people.alice,
        )
    [problem] = error.value.problems
    assert (problem.field, problem.code) == ("sections.differentiators", "required")
    assert "differentiators" in problem.message
    assert "Why us" in problem.message


def test_missing_call_to_action_blocks_sending(people, library, signature, deal):
    with pytest.raises(InvalidInput) as error:
        email_compose(
            deal,
            template=library["quote_cover"],
            free_sections={"differentiators": FREE["differentiators"]},
            actor=people.alice,
        )
    [problem] = error.value.problems
    assert (problem.field, problem.code) == ("sections.next_step", "no_call_to_action")
    assert "next step" in problem.message


def test_both_structure_problems_are_reported_at_once(people, library, signature, deal):
    with pytest.raises(InvalidInput) as error:
        email_compose(deal, template=library["quote_cover"], free_sections={}, actor=people.alice)
    assert [p.field for p in error.value.problems] == [
        "sections.differentiators",
        "sections.next_step",
    ]


def test_script_in_a_free_section_never_survives(people, library, signature, deal):
    draft = email_preview(
        deal,
        template=library["quote_cover"],
        free_sections={
            "differentiators": '<script>alert("x")</script><img src=x onerror=alert(1)>',
            "next_step": "Call me.\n\nOr <b>reply</b>.",
        },
        actor=people.alice,
    )
    assert "<script" not in draft.html
    assert "<img" not in draft.html
    assert "&lt;script&gt;" in draft.html
    assert "<p>Call me.</p><p>Or &lt;b&gt;reply&lt;/b&gt;.</p>" in draft.html
    assert "Or <b>reply</b>." in draft.text


def _definition(text):
    return EmailTemplateDef.model_validate_json(
        json.dumps(
            {
                "key": "raw",
                "name": {"en": "Raw"},
                "purpose": "other",
                "subject": "Hi {{ contact_first_name }}",
                "sections": [
                    {"key": "body", "title": {"en": "Body"}, "kind": "fixed", "text": text},
                    {"key": "next", "title": {"en": "Next"}, "kind": "free", "role": "cta"},
                ],
            }
        )
    )


def test_html_that_slipped_into_a_stored_template_is_sanitised():
    """Saving refuses such markup; rendering still never lets it through."""
    definition = _definition(
        '<p onclick="x()">Hi<script>steal()</script> <a href="javascript:x()">a</a> '
        '<a href="https://example.com">site</a> <iframe src="https://e.vil"></iframe></p>'
    )
    rendered = render_email(definition, {"contact_first_name": "Ann"}, {"next": "Call"})
    assert rendered.html == (
        '<p>Hi <a rel="noopener noreferrer">a</a> '
        '<a href="https://example.com" rel="noopener noreferrer">site</a> </p><p>Call</p>'
    )
    assert rendered.text == "Hi a site (https://example.com)\n\nCall"
    assert rendered.subject == "Hi Ann"


def test_merge_values_are_substituted_once_not_evaluated():
    definition = _definition("Dear {{ contact_first_name }}")
    rendered = render_email(
        definition, {"contact_first_name": "{{ rep_email }} <b>"}, {"next": "Call"}
    )
    assert "Dear {{ rep_email }} &lt;b&gt;" in rendered.html
    assert rendered.subject == "Hi {{ rep_email }} <b>"


def test_plain_text_of_lists_and_line_breaks():
    html = "<p>One<br>two</p><ul><li>a</li><li>b</li></ul><ol><li>x</li><li>y</li></ol>"
    assert html_to_text(html) == "One\ntwo\n\n- a\n- b\n\n1. x\n2. y"


def test_lead_email_uses_the_leads_own_fields(people, library, signature):
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
    draft = email_preview(
        lead, template=library["first_reply"], free_sections=FREE, actor=people.alice
    )
    assert draft.problems == []
    assert draft.subject == "Your inquiry about Gate valves"
    assert draft.text.startswith("Dear Maria,\n\nThank you for your inquiry about Gate valves.")
    assert draft.to == ["maria@lopez.example"]


def test_stored_templates_keep_their_sections_in_order(library):
    template: EmailTemplate = library["chase_2"]
    assert [s["key"] for s in template.sections] == [
        "greeting",
        "recap",
        "key_info",
        "differentiators",
        "next_step",
        "closing",
    ]


def test_a_subject_too_long_after_merging_is_refused():
    definition = _definition("Dear {{ contact_first_name }}")
    rendered = render_email(definition, {"contact_first_name": "x" * 400}, {"next": "Call"})
    assert [(p.field, p.code) for p in rendered.problems] == [("subject", "max_length")]
