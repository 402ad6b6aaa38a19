"""The approvals page (S-33): the owner's manager approves or rejects held transitions; reps see
their own requests without decide buttons; the top bar counts what waits for the user."""

import time_machine
from django.urls import reverse
from django.utils import translation

from sopcrm.crm.records.models import ApprovalRequest, ApprovalStatus
from sopcrm.crm.records.services.deals import deal_create, deal_update
from sopcrm.crm.records.services.transitions import record_transition

from .conftest import QUOTE, walk


def _held_quote(people, title="Valves"):
    """A deal of Alice's whose quote (25% discount) waits for the East manager."""
    deal = walk(
        deal_create(actor=people.alice, data={"title": title}),
        "requirements_confirmed",
        people.alice,
    )
    deal = deal_update(deal, actor=people.alice, data={"custom": {"discount_percent": 25}})
    with time_machine.travel("2025-11-03 10:00 +0800", tick=False):
        result = record_transition(deal, transition="send_quote", data=QUOTE, actor=people.alice)
    assert not result.executed
    return deal, result.approval


def _decide(client, request, decision, comment=""):
    return client.post(
        reverse("approval_decide", args=[request.pk]),
        {"decision": decision, "comment": comment},
        follow=True,
    )


def test_manager_sees_the_pending_request_with_what_was_submitted(client_for, people):
    deal, _request = _held_quote(people)
    response = client_for(people.east_manager).get(reverse("approval_list"))
    [item] = response.context["pending"]
    assert item.record == deal and item.transition_label == "Quote sent"
    assert item.form is not None
    values = {row.label: row.value for row in item.values}
    assert values["Quote date"] == "2025-11-03"
    assert values["Quote channel"] == "Email"
    html = response.content.decode()
    assert "Discount above 20%" in html
    assert "2025-11-03 10:00" in html
    assert f'href="{reverse("deal_detail", args=[deal.pk])}"' in html
    assert 'value="approve"' in html and 'value="reject"' in html


def test_manager_approves_from_the_approvals_page_and_the_deal_is_quoted(client_for, people):
    deal, request = _held_quote(people)
    client = client_for(people.east_manager)
    response = _decide(client, request, "approve", "OK for this key account")
    deal.refresh_from_db()
    assert deal.stage == "quoted"
    assert deal.custom["quote_date"] == "2025-11-03"
    request.refresh_from_db()
    assert request.status == ApprovalStatus.APPROVED
    assert request.decided_by == people.east_manager
    messages = [str(m) for m in response.context["messages"]]
    assert "Approved: “Quote sent” was carried out on Valves." in messages
    assert response.context["pending"] == []
    assert [item.request for item in response.context["decided"]] == [request]
    # The record page no longer shows the banner, and its timeline tells the story.
    page = client.get(reverse("deal_detail", args=[deal.pk]))
    assert page.context["pending"] is None
    texts = [entry.text for entry in page.context["timeline"]]
    assert "Approved: “Quote sent”" in texts
    assert "Entered stage Quoted after approval" in texts


def test_rep_sees_the_own_request_but_no_approve_buttons(client_for, people):
    _deal, request = _held_quote(people)
    response = client_for(people.alice).get(reverse("approval_list"))
    [item] = response.context["pending"]
    assert item.request == request
    assert item.form is None
    html = response.content.decode()
    assert 'value="approve"' not in html
    assert reverse("approval_decide", args=[request.pk]) not in html


def test_requester_cannot_approve_the_own_request_by_posting(client_for, people):
    _deal, request = _held_quote(people)
    response = _decide(client_for(people.alice), request, "approve")
    assert "Only the owner's manager may decide this approval." in [
        str(m) for m in response.context["messages"]
    ]
    request.refresh_from_db()
    assert request.status == ApprovalStatus.PENDING


def test_other_rep_and_manager_of_another_team_get_404(client_for, people):
    _deal, request = _held_quote(people)
    client = client_for(people.west_manager)
    assert client.get(reverse("approval_list")).context["pending"] == []
    response = client.post(reverse("approval_decide", args=[request.pk]), {"decision": "approve"})
    assert response.status_code == 404


def test_rejecting_without_a_comment_shows_the_error_beside_it(client_for, people):
    _deal, request = _held_quote(people)
    response = client_for(people.east_manager).post(
        reverse("approval_decide", args=[request.pk]), {"decision": "reject", "comment": " "}
    )
    assert response.status_code == 200
    [item] = response.context["pending"]
    assert item.form.errors["comment"] == ["Say why you reject it."]
    assert "Say why you reject it." in response.content.decode()
    request.refresh_from_db()
    assert request.status == ApprovalStatus.PENDING


def test_rejection_keeps_the_deal_and_the_timeline_shows_the_comment(client_for, people):
    deal, request = _held_quote(people)
    client = client_for(people.east_manager)
    _decide(client, request, "reject", "Max 15% for this customer")
    deal.refresh_from_db()
    assert deal.stage == "requirements_confirmed"
    assert ApprovalRequest.objects.get(pk=request.pk).status == ApprovalStatus.REJECTED
    page = client.get(reverse("deal_detail", args=[deal.pk]))
    entries = {entry.text: entry.detail for entry in page.context["timeline"]}
    assert entries["Rejected: “Quote sent”"] == "Max 15% for this customer"


def test_withdrawn_request_reads_as_such_on_the_timeline(client_for, people):
    deal, _request = _held_quote(people)
    walk(deal, "lost", people.alice)
    page = client_for(people.alice).get(reverse("deal_detail", args=[deal.pk]))
    texts = [entry.text for entry in page.context["timeline"]]
    assert "Approval request withdrawn: the record moved on before a decision" in texts


def test_top_bar_counts_the_approvals_the_manager_may_decide(client_for, people):
    _held_quote(people, "One")
    _held_quote(people, "Two")
    html = client_for(people.east_manager).get(reverse("home")).content.decode()
    assert 'class="badge badge-count">2<' in html
    rep_html = client_for(people.alice).get(reverse("home")).content.decode()
    assert f'href="{reverse("approval_list")}"' in rep_html
    assert "badge-count" not in rep_html


def test_pending_requests_come_before_decided_ones(client_for, people):
    _deal, first = _held_quote(people, "First")
    client = client_for(people.east_manager)
    _decide(client, first, "reject", "No")
    _deal, second = _held_quote(people, "Second")
    html = client.get(reverse("approval_list")).content.decode()
    assert html.index(f'id="approval-{second.pk}"') < html.index(f'id="approval-{first.pk}"')


def test_reason_is_shown_in_the_readers_language(client_for, people):
    with translation.override("zh-hans"):  # the rep works in Chinese
        _deal, request = _held_quote(people)
    assert request.reason == "折扣超过20%"
    response = client_for(people.east_manager).get(reverse("approval_list"))
    [item] = response.context["pending"]
    assert item.reason == "Discount above 20%"
