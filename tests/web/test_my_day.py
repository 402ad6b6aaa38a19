"""My day (S-45), the landing page: overdue and today's tasks, leads waiting for a first contact
(S-17), approvals, the playbook's steps to take (quotes to send), deals past their expected
close; each item one click from done."""

from datetime import date, timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sopcrm.core.models import Event, EventKind, RecordType
from sopcrm.crm.records.models import ActivityStatus
from sopcrm.crm.records.services.accounts import account_create
from sopcrm.crm.records.services.activities import activity_create
from sopcrm.crm.records.services.deals import deal_create, deal_update
from sopcrm.crm.records.services.leads import lead_create
from sopcrm.crm.records.services.transitions import record_transition
from sopcrm.web.views.home import span_text

from ..automation.conftest import at
from .conftest import QUOTE, walk

HTMX = {"HX-Request": "true"}
MONDAY = at(2025, 11, 3, 10)


def _task(actor, subject, due_at, **link):
    if not link:
        # On an account: the playbook adds no tasks of its own there.
        link = {"account": account_create(actor=actor, data={"name": f"{subject} Ltd"}).pk}
    return activity_create(
        actor=actor, data={"kind": "task", "subject": subject, "due_at": due_at, **link}
    )


def _held_quote(people, title="Valves"):
    """A deal of Alice's whose quote (25% discount) waits for the East manager."""
    deal = walk(
        deal_create(actor=people.alice, data={"title": title}),
        "requirements_confirmed",
        people.alice,
    )
    deal = deal_update(deal, actor=people.alice, data={"custom": {"discount_percent": 25}})
    result = record_transition(deal, transition="send_quote", data=QUOTE, actor=people.alice)
    assert not result.executed
    return deal, result.approval


def _home(client):
    return client.get(reverse("home"))


# -- tasks -------------------------------------------------------------------------------------


def test_overdue_and_today_list_my_open_tasks_by_due_time_and_leave_later_ones_out(
    client_for, people, frozen
):
    frozen(MONDAY)
    _task(people.alice, "Yesterday's call", at(2025, 11, 2, 16))
    _task(people.alice, "This evening", at(2025, 11, 3, 18))
    _task(people.alice, "This afternoon", at(2025, 11, 3, 14))
    _task(people.alice, "Tomorrow", at(2025, 11, 4, 9))
    response = _home(client_for(people.alice))
    assert [t.task.subject for t in response.context["overdue"]] == ["Yesterday's call"]
    assert [t.task.subject for t in response.context["today"]] == [
        "This afternoon",
        "This evening",
    ]
    html = response.content.decode()
    assert "Tomorrow" not in html
    assert "Overdue" in html  # marked in text, not only by colour


def test_each_section_heading_counts_its_items(client_for, people, frozen):
    frozen(MONDAY)
    _task(people.alice, "Late one", at(2025, 11, 1, 9))
    _task(people.alice, "Late two", at(2025, 11, 2, 9))
    html = _home(client_for(people.alice)).content.decode()
    assert '<span id="count-overdue" class="section-count">2</span>' in html


def test_no_one_elses_tasks_appear(client_for, people, frozen):
    frozen(MONDAY)
    _task(people.bob, "Bob's call", at(2025, 11, 3, 15))
    _task(people.wendy, "Wendy's call", at(2025, 11, 3, 15))
    response = _home(client_for(people.alice))
    assert response.context["today"] == []
    assert "Bob's call" not in response.content.decode()


def _call_task(people):
    """A call Alice has to make today about her account Acme."""
    account = account_create(actor=people.alice, data={"name": "Acme"})
    task = activity_create(
        actor=people.alice,
        data={
            "kind": "task",
            "subject": "Call Ana",
            "channel": "phone",
            "due_at": at(2025, 11, 3, 15),
            "account": account.pk,
        },
    )
    return task, account


def test_a_task_shows_its_channel_and_links_the_task_and_its_record(client_for, people, frozen):
    frozen(MONDAY)
    task, account = _call_task(people)
    html = _home(client_for(people.alice)).content.decode()
    assert '<span class="badge badge-channel">Phone</span>' in html
    assert f'href="{reverse("account_detail", args=[account.pk])}"' in html
    assert f'href="{reverse("activity_detail", args=[task.pk])}"' in html


def test_the_complete_form_is_fetched_when_unfolded_with_the_task_channel_chosen(
    client_for, people, frozen
):
    frozen(MONDAY)
    task, _account = _call_task(people)
    client = client_for(people.alice)
    html = _home(client).content.decode()
    url = reverse("my_day_complete", args=[task.pk])
    assert f'hx-get="{url}" hx-trigger="toggle once"' in html
    response = client.get(url, headers={"HX-Request": "true"})
    assert response.context["form"]["channel"].value() == "phone"
    assert f'hx-post="{url}"' in response.content.decode()


def test_without_javascript_the_complete_form_posts_to_the_task_page_and_comes_back(
    client_for, people, frozen
):
    frozen(MONDAY)
    task = _task(people.alice, "Send samples", at(2025, 11, 3, 15))
    client = client_for(people.alice)
    html = _home(client).content.decode()
    assert f'href="{reverse("activity_complete", args=[task.pk])}"' in html
    response = client.post(
        reverse("activity_complete", args=[task.pk]),
        {"summary": "Sent by DHL", "next": reverse("home")},
    )
    assert response.url == reverse("home")
    task.refresh_from_db()
    assert task.status == ActivityStatus.DONE


def test_completing_with_htmx_answers_with_the_item_done_and_the_new_counts(
    client_for, people, frozen
):
    frozen(MONDAY)
    task = _task(people.alice, "Send samples", at(2025, 11, 3, 15))
    _task(people.alice, "Call back", at(2025, 11, 3, 16))
    response = client_for(people.alice).post(
        reverse("my_day_complete", args=[task.pk]),
        {"summary": "Sent by DHL", "channel": "email"},
        headers=HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert f'id="task-{task.pk}"' in html and "Done: Send samples" in html
    assert '<span id="count-today" class="section-count" hx-swap-oob="true">1</span>' in html
    task.refresh_from_db()
    assert (task.status, task.summary, task.channel) == (
        ActivityStatus.DONE,
        "Sent by DHL",
        "email",
    )


def test_completing_with_htmx_without_a_summary_answers_with_the_form_and_the_error(
    client_for, people, frozen
):
    frozen(MONDAY)
    task = _task(people.alice, "Send samples", at(2025, 11, 3, 15))
    response = client_for(people.alice).post(
        reverse("my_day_complete", args=[task.pk]), {"summary": ""}, headers=HTMX
    )
    html = response.content.decode()
    assert f'<li id="task-{task.pk}"' in html
    assert '<details class="complete-task" open>' in html
    assert 'class="field-error"' in html
    task.refresh_from_db()
    assert task.status == ActivityStatus.OPEN


def test_another_reps_task_cannot_be_completed_from_my_day(client_for, people, frozen):
    frozen(MONDAY)
    task = _task(people.bob, "Bob's call", at(2025, 11, 3, 15))
    response = client_for(people.alice).post(
        reverse("my_day_complete", args=[task.pk]), {"summary": "Mine now"}, headers=HTMX
    )
    assert response.status_code == 404
    task.refresh_from_db()
    assert task.status == ActivityStatus.OPEN


# -- leads waiting for a first contact (S-17) ----------------------------------------------------


def test_a_new_lead_shows_the_time_left_on_its_response_clock(client_for, people, frozen):
    frozen(MONDAY)
    lead = lead_create(actor=people.alice, data={"name": "Ana", "company": "Pumps SA"})
    frozen(at(2025, 11, 3, 12))
    response = _home(client_for(people.alice))
    [item] = response.context["leads"]
    assert (item.lead, item.clock_text, item.at_risk, item.late) == (
        lead,
        "22 h left",
        False,
        False,
    )
    html = response.content.decode()
    assert f'href="{reverse("lead_log", args=[lead.pk])}?kind=call"' in html
    assert f'href="{reverse("lead_detail", args=[lead.pk])}"' in html
    assert "2025-11-04 10:00" in html  # respond by (24 working hours, S-17)


def test_a_lead_past_its_at_risk_point_is_marked_at_risk_in_text(client_for, people, frozen):
    frozen(MONDAY)
    lead_create(actor=people.alice, data={"name": "Ana"})
    frozen(at(2025, 11, 4, 6, 40))
    response = _home(client_for(people.alice))
    [item] = response.context["leads"]
    assert (item.clock_text, item.at_risk, item.late) == ("3 h 20 min left", True, False)
    assert '<span class="badge badge-at-risk">At risk</span>' in response.content.decode()


def test_a_lead_past_its_target_is_marked_late_with_how_late(client_for, people, frozen):
    frozen(MONDAY)
    lead_create(actor=people.alice, data={"name": "Ana"})
    frozen(at(2025, 11, 4, 12))
    response = _home(client_for(people.alice))
    [item] = response.context["leads"]
    assert (item.clock_text, item.late) == ("late by 2 h", True)
    assert '<span class="badge badge-overdue">Late</span>' in response.content.decode()


def test_a_lead_contacted_leaves_the_list(client_for, people, frozen):
    frozen(MONDAY)
    lead = lead_create(actor=people.alice, data={"name": "Ana"})
    activity_create(
        actor=people.alice,
        data={"kind": "call", "channel": "phone", "summary": "Spec confirmed", "lead": lead.pk},
    )
    assert _home(client_for(people.alice)).context["leads"] == []


def test_another_reps_leads_are_not_on_my_day(client_for, people, frozen):
    frozen(MONDAY)
    lead_create(actor=people.bob, data={"name": "Bob's lead"})
    assert _home(client_for(people.alice)).context["leads"] == []


def test_time_spans_read_as_days_hours_and_minutes():
    assert [
        span_text(timedelta(minutes=45)),
        span_text(timedelta(hours=3)),
        span_text(timedelta(hours=3, minutes=20)),
        span_text(timedelta(days=2, hours=3, minutes=5)),
    ] == ["45 min", "3 h", "3 h 20 min", "2 d 3 h"]


# -- approvals ----------------------------------------------------------------------------------


def test_a_manager_approves_or_rejects_from_my_day(client_for, people, frozen):
    frozen(MONDAY)
    deal, request = _held_quote(people)
    response = _home(client_for(people.east_manager))
    [item] = response.context["approvals"]
    assert item.record == deal and item.transition_label == "Quote sent"
    html = response.content.decode()
    assert "Approvals waiting for you" in html
    assert f'action="{reverse("approval_decide", args=[request.pk])}"' in html
    assert 'value="approve"' in html and 'value="reject"' in html
    assert "Discount above 20%" in html


def test_a_rep_sees_their_pending_request_without_decide_buttons(client_for, people, frozen):
    frozen(MONDAY)
    _held_quote(people)
    response = _home(client_for(people.alice))
    [item] = response.context["approvals"]
    assert item.form is None
    html = response.content.decode()
    assert "Your requests waiting for approval" in html
    assert 'value="approve"' not in html


def test_another_teams_manager_has_no_approval_to_decide(client_for, people, frozen):
    frozen(MONDAY)
    _held_quote(people)
    assert _home(client_for(people.west_manager)).context["approvals"] == []


# -- the playbook's steps: quotes to send -------------------------------------------------------


def test_deals_with_requirements_confirmed_are_quotes_to_send_with_the_transition_button(
    client_for, people, frozen
):
    frozen(MONDAY)
    ready = walk(
        deal_create(actor=people.alice, data={"title": "Valves"}),
        "requirements_confirmed",
        people.alice,
    )
    walk(deal_create(actor=people.alice, data={"title": "Early"}), "contacted", people.alice)
    walk(
        deal_create(actor=people.bob, data={"title": "Bob's"}), "requirements_confirmed", people.bob
    )
    response = _home(client_for(people.alice))
    [step] = response.context["steps"]
    assert step.title == "Quotes to send" and step.action_label == "Quote sent"
    assert [entry.record for entry in step.records] == [ready]
    html = response.content.decode()
    assert f'href="{reverse("deal_transition", args=[ready.pk, "send_quote"])}"' in html
    assert "Bob's" not in html


def test_a_quote_waiting_for_approval_is_not_a_quote_to_send(client_for, people, frozen):
    frozen(MONDAY)
    _held_quote(people)
    assert _home(client_for(people.alice)).context["steps"] == []


def test_the_steps_heading_follows_the_readers_language(client_for, people, frozen):
    frozen(MONDAY)
    walk(
        deal_create(actor=people.alice, data={"title": "Valves"}),
        "requirements_confirmed",
        people.alice,
    )
    people.alice.language = "zh-hans"
    people.alice.save()
    response = _home(client_for(people.alice))
    [step] = response.context["steps"]
    assert step.title == "待发报价"


# -- deals past their expected close ------------------------------------------------------------


def _late_deal(people, title="Valves"):
    return deal_create(actor=people.alice, data={"title": title, "expected_close_on": "2025-10-31"})


def test_a_deal_past_its_expected_close_is_listed_with_a_date_form(client_for, people, frozen):
    frozen(MONDAY)
    deal = _late_deal(people)
    deal_create(actor=people.alice, data={"title": "Later", "expected_close_on": "2025-12-31"})
    response = _home(client_for(people.alice))
    assert [item.deal for item in response.context["late_deals"]] == [deal]
    html = response.content.decode()
    assert f'action="{reverse("my_day_expected_close", args=[deal.pk])}"' in html
    assert f'href="{reverse("deal_edit", args=[deal.pk])}"' in html


def test_moving_the_expected_close_with_htmx_updates_the_deal_through_its_service(
    client_for, people, frozen
):
    frozen(MONDAY)
    deal = _late_deal(people)
    response = client_for(people.alice).post(
        reverse("my_day_expected_close", args=[deal.pk]),
        {"expected_close_on": "2025-11-20"},
        headers=HTMX,
    )
    html = response.content.decode()
    assert "Valves: expected close moved to 2025-11-20." in html
    deal.refresh_from_db()
    assert deal.expected_close_on == date(2025, 11, 20)
    changed = Event.objects.filter(
        record_type=RecordType.DEAL, record_id=deal.pk, kind=EventKind.FIELD_CHANGED
    ).values_list("data__field", flat=True)
    assert "expected_close_on" in list(changed)


def test_a_new_expected_close_in_the_past_is_refused(client_for, people, frozen):
    frozen(MONDAY)
    deal = _late_deal(people)
    response = client_for(people.alice).post(
        reverse("my_day_expected_close", args=[deal.pk]),
        {"expected_close_on": "2025-11-01"},
        headers=HTMX,
    )
    assert "Choose today or a later date." in response.content.decode()
    deal.refresh_from_db()
    assert deal.expected_close_on == date(2025, 10, 31)


def test_without_javascript_the_date_form_comes_back_to_my_day(client_for, people, frozen):
    frozen(MONDAY)
    deal = _late_deal(people)
    response = client_for(people.alice).post(
        reverse("my_day_expected_close", args=[deal.pk]), {"expected_close_on": "2025-11-20"}
    )
    assert response.url == reverse("home")
    deal.refresh_from_db()
    assert deal.expected_close_on == date(2025, 11, 20)


def test_another_reps_deal_date_cannot_be_moved(client_for, people, frozen):
    frozen(MONDAY)
    deal = deal_create(actor=people.bob, data={"title": "Bob's", "expected_close_on": "2025-10-31"})
    response = client_for(people.alice).post(
        reverse("my_day_expected_close", args=[deal.pk]), {"expected_close_on": "2025-11-20"}
    )
    assert response.status_code == 404


# -- the page as a whole ------------------------------------------------------------------------


def test_when_all_is_done_the_page_says_so(client_for, people, frozen):
    frozen(MONDAY)
    html = _home(client_for(people.alice)).content.decode()
    assert "All done: nothing is waiting for you today." in html
    assert "<h1>My day</h1>" in html


def test_the_top_bar_calls_the_page_my_day(client_for, people):
    html = _home(client_for(people.alice)).content.decode()
    assert f'<a href="{reverse("home")}" aria-current="page">My day</a>' in html


def _busy_day(people, n):
    """n items in every section of Alice's day (and a manager's approvals to decide)."""
    for i in range(n):
        _task(people.alice, f"Late {i}", at(2025, 11, 2, 9))
        _task(people.alice, f"Today {i}", at(2025, 11, 3, 15))
        lead_create(actor=people.alice, data={"name": f"Lead {i}"})
        walk(
            deal_create(actor=people.alice, data={"title": f"Ready {i}"}),
            "requirements_confirmed",
            people.alice,
        )
        _late_deal(people, f"Late deal {i}")
        _held_quote(people, f"Held {i}")


def _queries(client):
    with CaptureQueriesContext(connection) as captured:
        assert _home(client).status_code == 200
    return len(captured)


def test_the_number_of_queries_does_not_grow_with_the_items(
    client_for, people, frozen, django_assert_max_num_queries
):
    frozen(MONDAY)
    _busy_day(people, 1)
    client = client_for(people.alice)
    few = _queries(client)
    _busy_day(people, 3)
    assert _queries(client) == few
    with django_assert_max_num_queries(15):
        _home(client)
    manager = client_for(people.east_manager)
    _home(manager)  # signing in writes the session
    with django_assert_max_num_queries(15):
        _home(manager)
