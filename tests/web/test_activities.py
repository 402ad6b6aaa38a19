"""Logging contacts and adding tasks on records, completing tasks (My day: test_my_day.py)."""

from datetime import timedelta

from django.urls import reverse

from sopcrm.core.clock import now
from sopcrm.core.models import Event, EventKind, RecordType
from sopcrm.crm.records import selectors
from sopcrm.crm.records.models import ActivityStatus
from sopcrm.crm.records.services.accounts import account_create
from sopcrm.crm.records.services.activities import activity_create
from sopcrm.crm.records.services.deals import deal_create
from sopcrm.crm.records.services.leads import lead_create


def _task(actor, subject, due_in, **link):
    return activity_create(
        actor=actor,
        data={"kind": "task", "subject": subject, "due_at": now() + due_in, **link},
    )


def test_completing_a_task_from_home_records_the_outcome(client_for, people):
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    task = _task(people.alice, "Send quote", timedelta(days=1), deal=deal.pk)
    response = client_for(people.alice).post(
        reverse("activity_complete", args=[task.pk]),
        {
            "channel": "email",
            "summary": "Quote sent",
            "feedback_type": "interested",
            "next": reverse("home"),
        },
    )
    assert response.url == reverse("home")
    task.refresh_from_db()
    assert task.status == ActivityStatus.DONE
    assert (task.channel, task.summary, task.feedback_type) == ("email", "Quote sent", "interested")


def test_completing_a_task_without_a_summary_shows_the_error_beside_it(client_for, people):
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    task = _task(people.alice, "Send quote", timedelta(days=1), deal=deal.pk)
    response = client_for(people.alice).post(
        reverse("activity_complete", args=[task.pk]), {"summary": ""}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["summary"]
    task.refresh_from_db()
    assert task.status == ActivityStatus.OPEN


def test_complete_does_not_redirect_to_another_site(client_for, people):
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    task = _task(people.alice, "Send quote", timedelta(days=1), deal=deal.pk)
    response = client_for(people.alice).post(
        reverse("activity_complete", args=[task.pk]),
        {"summary": "Done", "next": "https://evil.example/"},
    )
    assert response.url == reverse("activity_detail", args=[task.pk])


def test_logging_a_call_on_a_deal_adds_it_to_the_deal_page(client_for, people):
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    client = client_for(people.alice)
    response = client.post(
        reverse("deal_log", args=[deal.pk]),
        {
            "kind": "call",
            "channel": "phone",
            "direction": "outbound",
            "subject": "Intro call",
            "summary": "Wants 500 units",
        },
    )
    assert response.url == reverse("deal_detail", args=[deal.pk])
    page = client.get(reverse("deal_detail", args=[deal.pk]))
    assert [a.subject for a in page.context["history"]] == ["Intro call"]
    assert "Call logged: Intro call" in [e.text for e in page.context["timeline"]]


def test_logging_a_call_without_a_summary_shows_the_error_beside_it(client_for, people):
    lead = lead_create(actor=people.alice, data={"name": "Ann"})
    response = client_for(people.alice).post(
        reverse("lead_log", args=[lead.pk]),
        {"kind": "call", "direction": "outbound", "summary": ""},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["summary"] == ["Write a short summary of the contact."]
    assert not selectors.activity_list(people.alice).filter(kind="call").exists()


def test_logging_a_contact_in_the_future_is_refused(client_for, people):
    lead = lead_create(actor=people.alice, data={"name": "Ann"})
    future = (now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = client_for(people.alice).post(
        reverse("lead_log", args=[lead.pk]),
        {"kind": "note", "direction": "internal", "summary": "x", "occurred_at": future},
    )
    assert response.context["form"].errors["occurred_at"]


def test_adding_a_task_on_an_account_shows_it_as_open(client_for, people):
    account = account_create(actor=people.alice, data={"name": "Acme"})
    due = (now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    client = client_for(people.alice)
    client.post(reverse("account_task", args=[account.pk]), {"subject": "Visit", "due_at": due})
    page = client.get(reverse("account_detail", args=[account.pk]))
    assert [task.subject for task, _form in page.context["open_tasks"]] == ["Visit"]


def test_rep_cannot_log_on_another_reps_lead(client_for, people):
    lead = lead_create(actor=people.wendy, data={"name": "Walt"})
    response = client_for(people.alice).post(
        reverse("lead_log", args=[lead.pk]),
        {"kind": "note", "direction": "internal", "summary": "sneaky"},
    )
    assert response.status_code == 404


def test_activity_page_shows_its_record_and_summary(client_for, people):
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    activity = activity_create(
        actor=people.alice,
        data={"kind": "meeting", "summary": "Visited the factory", "deal": deal.pk},
    )
    html = (
        client_for(people.alice)
        .get(reverse("activity_detail", args=[activity.pk]))
        .content.decode()
    )
    assert "Visited the factory" in html
    assert "Valves" in html


def test_rep_gets_404_for_another_reps_activity(client_for, people):
    deal = deal_create(actor=people.bob, data={"title": "Bob pumps"})
    activity = activity_create(
        actor=people.bob, data={"kind": "note", "summary": "Secret", "deal": deal.pk}
    )
    response = client_for(people.alice).get(reverse("activity_detail", args=[activity.pk]))
    assert response.status_code == 404


def test_editing_an_activity_summary_writes_an_event(client_for, people):
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    activity = activity_create(
        actor=people.alice, data={"kind": "note", "summary": "Draft", "deal": deal.pk}
    )
    client_for(people.alice).post(
        reverse("activity_edit", args=[activity.pk]),
        {"subject": activity.subject, "summary": "Final", "owner": people.alice.pk},
    )
    activity.refresh_from_db()
    assert activity.summary == "Final"
    assert Event.objects.filter(
        record_type=RecordType.ACTIVITY, record_id=activity.pk, kind=EventKind.FIELD_CHANGED
    ).exists()


def test_rep_edits_a_note_a_manager_logged_on_her_deal_without_changing_its_owner(
    client_for, people
):
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    note = activity_create(
        actor=people.east_manager, data={"kind": "note", "summary": "Draft", "deal": deal.pk}
    )
    client = client_for(people.alice)
    form = client.get(reverse("activity_edit", args=[note.pk])).context["form"]
    assert form.initial["owner"] == people.east_manager.pk
    response = client.post(
        reverse("activity_edit", args=[note.pk]),
        {"subject": note.subject, "summary": "Better", "owner": people.east_manager.pk},
    )
    assert response.status_code == 302
    note.refresh_from_db()
    assert (note.summary, note.owner) == ("Better", people.east_manager)


def test_completing_a_task_on_its_record_page_with_htmx_updates_the_page_in_place(
    client_for, people
):
    account = account_create(actor=people.alice, data={"name": "Acme"})
    task = _task(people.alice, "Visit", timedelta(days=1), account=account.pk)
    response = client_for(people.alice).post(
        reverse("activity_complete", args=[task.pk]),
        {"summary": "Visited", "on_record": f"account:{account.pk}"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Task completed: Visit" in html
    assert 'id="timeline" aria-labelledby="timeline-heading" hx-swap-oob="true"' in html
    assert response.context["open_tasks"] == []
    task.refresh_from_db()
    assert task.status == ActivityStatus.DONE


def test_completing_a_task_in_place_without_a_summary_shows_its_form_with_the_error(
    client_for, people
):
    account = account_create(actor=people.alice, data={"name": "Acme"})
    task = _task(people.alice, "Visit", timedelta(days=1), account=account.pk)
    response = client_for(people.alice).post(
        reverse("activity_complete", args=[task.pk]),
        {"summary": "", "on_record": f"account:{account.pk}"},
        headers={"HX-Request": "true"},
    )
    [(shown, form)] = response.context["open_tasks"]
    assert shown == task
    assert form.errors["summary"]
    assert f'id="id_done{task.pk}_summary_error"' in response.content.decode()
    task.refresh_from_db()
    assert task.status == ActivityStatus.OPEN
