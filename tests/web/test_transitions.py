"""Moving leads and deals from their record pages: one button per transition the user may take,
each opening a form with exactly that transition's fields (S-07, S-09), errors beside the
fields, approvals (S-33), the stage path with its steps (S-15) and the manager's exception
(S-16)."""

import time_machine
from django.urls import reverse

from sopcrm.core.models import Event, RecordType
from sopcrm.crm.records.models import ActivityStatus, ApprovalRequest, ApprovalStatus
from sopcrm.crm.records.services.deals import deal_create, deal_update
from sopcrm.crm.records.services.leads import lead_create

from ..api.flow import ALL_CLEAR
from .conftest import QUOTE, walk

CONTACT_FORM = {
    "first_contact_channel": "email",
    "requirements_clear": "true",
    "expected_purchase_time": "next_month",
}
QUOTE_FORM = {
    "quote_date": "2025-11-03",
    "quote_valid_until": "2025-12-03",
    "quote_channel": "email",
    "core_specifications": "DN50 stainless, PN16",
    "quote_type": "range_with_preconditions",  # S-30: no checklist needed
    "lead_time_requirement": "30 days",  # prefilled from the confirmation step
}


def _url(deal, key):
    return reverse("deal_transition", args=[deal.pk, key])


def _events(record, record_type=RecordType.DEAL):
    return Event.objects.filter(record_type=record_type, record_id=record.pk).count()


def _messages(response):
    return [str(m) for m in response.context["messages"]]


def test_new_deal_page_offers_contact_and_lose_and_no_stage_move_form(client_for, people):
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    response = client_for(people.alice).get(reverse("deal_detail", args=[deal.pk]))
    html = response.content.decode()
    assert [b.key for b in response.context["transitions"]] == ["contact", "lose"]
    assert f'href="{_url(deal, "contact")}"' in html
    assert f'hx-get="{_url(deal, "lose")}"' in html
    assert 'name="stage"' not in html  # no free stage select for a rep
    assert "Move to stage" not in html


def test_contact_form_asks_exactly_the_three_s09_fields(client_for, people):
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    response = client_for(people.alice).get(_url(deal, "contact"))
    form = response.context["form"]
    assert list(form.fields) == [
        "first_contact_channel",
        "requirements_clear",
        "expected_purchase_time",
    ]
    assert all(field.required for field in form.fields.values())
    html = response.content.decode()
    assert 'class="required"' in html  # the labels are marked
    assert "<html" in html  # without htmx: a page of its own


def test_htmx_loads_only_the_form_into_the_record_page(client_for, people):
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    response = client_for(people.alice).get(_url(deal, "contact"), headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "<html" not in html
    assert f'hx-post="{_url(deal, "contact")}"' in html
    assert "autofocus" in html
    assert "HX-Request" in response["Vary"]


def test_contact_form_is_prefilled_with_current_values(client_for, people):
    deal = deal_create(
        actor=people.alice,
        data={"title": "Valves", "custom": {"first_contact_channel": "phone"}},
    )
    deal = deal_update(deal, actor=people.alice, data={"custom": {"requirements_clear": False}})
    form = client_for(people.alice).get(_url(deal, "contact")).context["form"]
    assert form["first_contact_channel"].value() == "phone"
    assert form["requirements_clear"].value() == "false"


def test_empty_contact_form_shows_an_error_beside_each_field_and_changes_nothing(
    client_for, people
):
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    before = _events(deal)
    response = client_for(people.alice).post(_url(deal, "contact"), {})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"first_contact_channel", "requirements_clear", "expected_purchase_time"}
    html = response.content.decode()
    assert html.count('class="field-error"') == 3
    deal.refresh_from_db()
    assert (deal.stage, deal.custom, _events(deal)) == ("new", {}, before)


def test_filled_contact_form_moves_the_deal_to_contacted(client_for, people):
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    client = client_for(people.alice)
    response = client.post(_url(deal, "contact"), CONTACT_FORM)
    assert response.status_code == 302
    assert response.url == reverse("deal_detail", args=[deal.pk])
    deal.refresh_from_db()
    assert deal.stage == "contacted"
    assert deal.custom["requirements_clear"] is True
    assert deal.custom["expected_purchase_time"] == "next_month"
    page = client.get(response.url)
    assert "Done: First contact made. Now in Contacted." in _messages(page)
    assert [b.key for b in page.context["transitions"]] == ["confirm_requirements", "lose"]


def test_requirements_clear_answered_no_counts_as_filled(client_for, people):
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    response = client_for(people.alice).post(
        _url(deal, "contact"), {**CONTACT_FORM, "requirements_clear": "false"}
    )
    assert response.status_code == 302
    deal.refresh_from_db()
    assert deal.stage == "contacted"
    assert deal.custom["requirements_clear"] is False


def test_htmx_post_with_errors_returns_the_form_and_success_asks_for_a_redirect(client_for, people):
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    client = client_for(people.alice)
    htmx = {"HX-Request": "true"}
    refused = client.post(_url(deal, "contact"), {}, headers=htmx)
    assert refused.status_code == 200
    assert "<html" not in refused.content.decode()
    assert refused.context["form"].errors
    done = client.post(_url(deal, "contact"), CONTACT_FORM, headers=htmx)
    assert done["HX-Redirect"] == reverse("deal_detail", args=[deal.pk])


def test_confirm_requirements_takes_money_and_text(client_for, people):
    deal = walk(
        deal_create(actor=people.alice, data={"title": "Valves"}), "contacted", people.alice
    )
    response = client_for(people.alice).post(
        _url(deal, "confirm_requirements"),
        {
            "target_price_amount": "12.5",
            "target_price_currency": "eur",
            "lead_time_requirement": "30 days",
            "certifications": "CE",
            "competitor": "A local maker",
        },
    )
    assert response.status_code == 302
    deal.refresh_from_db()
    assert deal.stage == "requirements_confirmed"
    assert deal.custom["target_price"] == {"amount": "12.50", "currency": "EUR"}


def test_broken_rule_is_shown_above_the_form(client_for, people):
    deal = walk(
        deal_create(actor=people.alice, data={"title": "V"}), "requirements_confirmed", people.alice
    )
    response = client_for(people.alice).post(
        _url(deal, "send_quote"), {**QUOTE_FORM, "quote_valid_until": "2025-11-01"}
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "The quote must be valid on or after the quote date."
    ]
    deal.refresh_from_db()
    assert deal.stage == "requirements_confirmed"


def test_lose_form_takes_several_reasons_and_the_optional_competitor(client_for, people):
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    form = client_for(people.alice).get(_url(deal, "lose")).context["form"]
    assert {name: field.required for name, field in form.fields.items()} == {
        "lost_reasons": True,
        "lost_note": True,
        "reactivation_likelihood": True,
        "competitor": False,
    }
    response = client_for(people.alice).post(
        _url(deal, "lose"),
        {
            "lost_reasons": ["price_too_high", "spec_mismatch"],
            "lost_note": "Went elsewhere.",
            "reactivation_likelihood": "unlikely",
        },
    )
    assert response.status_code == 302
    deal.refresh_from_db()
    assert deal.stage == "lost"
    assert deal.custom["lost_reasons"] == ["price_too_high", "spec_mismatch"]


def test_won_asks_for_the_amount(client_for, people):
    # Every checklist item clear: no change clause needed (S-32).
    deal = deal_create(actor=people.alice, data={"title": "V", "custom": {"checklist": ALL_CLEAR}})
    deal = walk(deal, "quoted", people.alice)
    client = client_for(people.alice)
    fields = list(client.get(_url(deal, "win")).context["form"].fields)
    assert fields == ["amount", "change_clause"]
    client.post(_url(deal, "win"), {"amount": "18000.50"})
    deal.refresh_from_db()
    assert deal.stage == "won"
    assert str(deal.amount) == "18000.50"


def test_discount_above_20_percent_is_held_for_approval_with_a_banner(client_for, people):
    deal = walk(
        deal_create(actor=people.alice, data={"title": "V"}), "requirements_confirmed", people.alice
    )
    deal_update(deal, actor=people.alice, data={"custom": {"discount_percent": 25}})
    client = client_for(people.alice)
    with time_machine.travel("2025-11-03 10:00 +0800", tick=False):
        response = client.post(_url(deal, "send_quote"), QUOTE_FORM, follow=True)
    deal.refresh_from_db()
    assert deal.stage == "requirements_confirmed"
    request = ApprovalRequest.objects.get(deal=deal)
    assert request.status == ApprovalStatus.PENDING
    assert request.data["quote_date"] == "2025-11-03"
    assert any(m.startswith("Sent for approval (Discount above 20%)") for m in _messages(response))
    html = response.content.decode()
    assert "Waiting for approval" in html
    assert "“Quote sent” (Discount above 20%)" in html
    assert "Requested by alice on 2025-11-03 10:00." in html
    assert response.context["pending"].may_decide is False


def test_second_request_while_one_is_pending_gets_a_clear_message(client_for, people):
    deal = walk(
        deal_create(actor=people.alice, data={"title": "V"}), "requirements_confirmed", people.alice
    )
    deal_update(deal, actor=people.alice, data={"custom": {"discount_percent": 25}})
    client = client_for(people.alice)
    client.post(_url(deal, "send_quote"), QUOTE_FORM)
    response = client.post(_url(deal, "send_quote"), QUOTE_FORM, follow=True)
    assert "An approval is already pending for this record." in _messages(response)
    assert ApprovalRequest.objects.filter(deal=deal).count() == 1


def test_stale_transition_gets_a_message_and_changes_nothing(client_for, people):
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    walk(deal, "contacted", people.east_manager)
    response = client_for(people.alice).post(_url(deal, "contact"), CONTACT_FORM, follow=True)
    assert response.redirect_chain[-1][0] == reverse("deal_detail", args=[deal.pk])
    assert "“First contact made” is not possible now (the record is in Contacted)." in _messages(
        response
    )


def test_rep_cannot_open_another_reps_transition(client_for, people):
    deal = deal_create(actor=people.bob, data={"title": "Bob pumps"})
    client = client_for(people.alice)
    assert client.get(_url(deal, "contact")).status_code == 404
    assert client.post(_url(deal, "contact"), CONTACT_FORM).status_code == 404
    deal.refresh_from_db()
    assert deal.stage == "new"


def test_unknown_transition_is_404(client_for, people):
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    assert client_for(people.alice).get(_url(deal, "teleport")).status_code == 404


def test_lead_moves_through_its_own_transitions(client_for, people):
    lead = lead_create(actor=people.alice, data={"name": "Ann"})
    client = client_for(people.alice)
    page = client.get(reverse("lead_detail", args=[lead.pk]))
    assert [b.key for b in page.context["transitions"]] == ["contact", "disqualify"]
    response = client.post(
        reverse("lead_transition", args=[lead.pk, "disqualify"]), {"disqualify_reason": "spam"}
    )
    assert response.url == reverse("lead_detail", args=[lead.pk])
    lead.refresh_from_db()
    assert lead.stage == "disqualified"
    assert lead.activities.get(template_key="first_contact").status == ActivityStatus.DONE


def test_quoted_deal_shows_its_follow_up_steps_with_the_current_one_marked(client_for, people):
    with time_machine.travel("2025-11-03 10:00 +0800", tick=False):
        deal = walk(deal_create(actor=people.alice, data={"title": "V"}), "quoted", people.alice)
        response = client_for(people.alice).get(reverse("deal_detail", args=[deal.pk]))
    steps = {step.label: step.state for step in response.context["substeps"]}
    assert steps == {
        "Pending 1st follow-up": "current",
        "Pending 2nd follow-up": "future",
        "Pending 3rd follow-up": "future",
        "Followed up 3 times": "future",
    }
    html = response.content.decode()
    assert 'class="substate-path"' in html
    assert "Quoted</strong> · Pending 1st follow-up" in html


def test_completing_the_first_chase_moves_the_step_on_the_page(client_for, people):
    with time_machine.travel("2025-11-03 10:00 +0800", tick=False):
        deal = walk(deal_create(actor=people.alice, data={"title": "V"}), "quoted", people.alice)
    chase = deal.activities.get(template_key="chase_1")
    client = client_for(people.alice)
    with time_machine.travel("2025-11-06 15:00 +0800", tick=False):
        client.post(
            reverse("activity_complete", args=[chase.pk]),
            {
                "summary": "Sent CE report",
                "channel": "email",
                "feedback_type": "no_reply",
                "new_information": "new_material",
            },
        )
        response = client.get(reverse("deal_detail", args=[deal.pk]))
    steps = {step.label: step.state for step in response.context["substeps"]}
    assert steps["Pending 1st follow-up"] == "past"
    assert steps["Pending 2nd follow-up"] == "current"
    texts = [entry.text for entry in response.context["timeline"]]
    assert "Step: Pending 1st follow-up → Pending 2nd follow-up" in texts


def test_chase_complete_form_requires_channel_and_feedback(client_for, people):
    with time_machine.travel("2025-11-03 10:00 +0800", tick=False):
        deal = walk(deal_create(actor=people.alice, data={"title": "V"}), "quoted", people.alice)
    chase = deal.activities.get(template_key="chase_1")
    client = client_for(people.alice)
    page = client.get(reverse("deal_detail", args=[deal.pk]))
    forms = {task.template_key: form for task, form in page.context["open_tasks"]}
    assert forms["chase_1"].fields["channel"].required
    assert forms["chase_1"].fields["feedback_type"].required
    assert not forms["quote_confirmation"].fields["channel"].required
    assert f'for="id_done{chase.pk}_channel" class="required"' in page.content.decode()
    response = client.post(reverse("activity_complete", args=[chase.pk]), {"summary": "Called"})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"channel", "feedback_type", "new_information"}
    chase.refresh_from_db()
    assert chase.status == ActivityStatus.OPEN


def test_exception_form_is_shown_to_the_manager_and_not_to_the_rep(client_for, people):
    deal = deal_create(actor=people.alice, data={"title": "VIP project"})
    url = reverse("deal_detail", args=[deal.pk])
    rep_page = client_for(people.alice).get(url)
    assert rep_page.context["exception_form"] is None
    assert reverse("deal_exception", args=[deal.pk]) not in rep_page.content.decode()
    manager_page = client_for(people.east_manager).get(url)
    assert manager_page.context["exception_form"] is not None
    assert reverse("deal_exception", args=[deal.pk]) in manager_page.content.decode()


def test_manager_moves_a_deal_by_exception_and_the_timeline_says_why(client_for, people):
    deal = deal_create(actor=people.alice, data={"title": "VIP project"})
    client = client_for(people.east_manager)
    response = client.post(
        reverse("deal_exception", args=[deal.pk]),
        {"stage": "quoted", "reason": "VIP framework agreement"},
        follow=True,
    )
    deal.refresh_from_db()
    assert (deal.stage, deal.substate) == ("quoted", "pending_1st")
    assert "Moved to Quoted · Pending 1st follow-up by exception." in _messages(response)
    texts = [entry.text for entry in response.context["timeline"]]
    assert "Entered stage Quoted by exception: VIP framework agreement" in texts


def test_exception_without_a_reason_shows_the_error_and_changes_nothing(client_for, people):
    deal = deal_create(actor=people.alice, data={"title": "VIP project"})
    response = client_for(people.east_manager).post(
        reverse("deal_exception", args=[deal.pk]), {"stage": "quoted", "reason": ""}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["reason"]
    deal.refresh_from_db()
    assert deal.stage == "new"


def test_rep_may_not_post_an_exception(client_for, people):
    deal = deal_create(actor=people.alice, data={"title": "VIP project"})
    response = client_for(people.alice).post(
        reverse("deal_exception", args=[deal.pk]), {"stage": "won", "reason": "Please"}
    )
    assert response.status_code == 403
    deal.refresh_from_db()
    assert deal.stage == "new"


def test_timeline_marks_a_move_after_approval_and_a_cancelled_task(client_for, people):
    from sopcrm.crm.records.services.transitions import approval_decide, record_transition

    deal = walk(
        deal_create(actor=people.alice, data={"title": "V"}), "requirements_confirmed", people.alice
    )
    deal = deal_update(deal, actor=people.alice, data={"custom": {"discount_percent": 25}})
    request = record_transition(
        deal, transition="send_quote", data=QUOTE, actor=people.alice
    ).approval
    approval_decide(request, actor=people.east_manager, approve=True, comment="Key account")
    deal.refresh_from_db()
    walk(deal, "lost", people.alice)
    response = client_for(people.alice).get(reverse("deal_detail", args=[deal.pk]))
    entries = {entry.text: entry.detail for entry in response.context["timeline"]}
    assert "Approval requested for “Quote sent” (Discount above 20%)" in entries
    assert entries["Approved: “Quote sent”"] == "Key account"
    assert "Entered stage Quoted after approval" in entries
    assert (
        entries["Task cancelled: Confirm the quote arrived"]
        == "Reason: the record left the stage the task belongs to."
    )


def test_record_page_queries_stay_bounded(client_for, people, django_assert_max_num_queries):
    """More tasks, events and a pending approval do not add queries per item."""
    small = deal_create(actor=people.alice, data={"title": "Small"})
    with time_machine.travel("2025-11-03 10:00 +0800", tick=False):
        big = walk(deal_create(actor=people.alice, data={"title": "Big"}), "quoted", people.alice)
    for n in range(5):
        deal_update(big, actor=people.alice, data={"custom": {"competitor": f"Rival {n}"}})
    client = client_for(people.east_manager)

    def count(deal) -> int:
        with django_assert_max_num_queries(30) as captured:
            assert client.get(reverse("deal_detail", args=[deal.pk])).status_code == 200
        return len(captured.captured_queries)

    assert count(big) == count(small)
    pending = walk(
        deal_create(actor=people.alice, data={"title": "Pending"}),
        "requirements_confirmed",
        people.alice,
    )
    deal_update(pending, actor=people.alice, data={"custom": {"discount_percent": 25}})
    client_for(people.alice).post(_url(pending, "send_quote"), QUOTE_FORM)
    client = client_for(people.east_manager)
    assert count(pending) <= count(small) + 1  # the banner names the requester
