"""The review queue: mail no record claimed waits for a manager (or the rep whose customer sent
it) to assign it to a deal or lead, which logs it there and stops the chase, or to ignore it."""

import json

import pytest
from django.test import Client

from sopcrm.core.errors import Conflict, NotFound
from sopcrm.crm.mail.models import InboundEmail, InboundStatus
from sopcrm.crm.mail.selectors import inbound_review_queue
from sopcrm.crm.mail.services.inbound import inbound_assign, inbound_ignore, inbound_receive
from sopcrm.crm.records.models import Activity, ActivityKind, ActivityStatus
from sopcrm.crm.records.services.deals import deal_create
from sopcrm.crm.records.services.leads import lead_create
from tests.process.test_export_deal_flow import quoted_deal

from .conftest import mime, reply_to_address


def receive(**kwargs):
    return inbound_receive(mime(**kwargs), source="test")


def post(client, path, body=None):
    return client.post(f"/api{path}", json.dumps(body or {}), content_type="application/json")


@pytest.fixture
def stranger_mail(db):
    return receive(sender="stranger@nowhere.example", text="Do you sell pumps?")


@pytest.fixture
def ambiguous_mail(people):
    """From a customer with two open leads: alice's and bob's."""
    lead_create(actor=people.alice, data={"name": "Buyer", "email": "buyer@example.com"})
    lead_create(actor=people.bob, data={"name": "Buyer", "email": "buyer@example.com"})
    return receive(sender="buyer@example.com")


def test_managers_and_admins_see_all_waiting_mail(people, stranger_mail, ambiguous_mail):
    for user in (people.east_manager, people.west_manager, people.admin):
        assert set(inbound_review_queue(user)) == {stranger_mail, ambiguous_mail}


def test_a_rep_sees_waiting_mail_only_from_their_own_customers(
    people, stranger_mail, ambiguous_mail
):
    assert list(inbound_review_queue(people.alice)) == [ambiguous_mail]
    assert list(inbound_review_queue(people.bob)) == [ambiguous_mail]
    assert list(inbound_review_queue(people.wendy)) == []


def test_matched_mail_is_seen_with_its_record_not_in_the_queue(people, api_as):
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    matched = receive(to=reply_to_address(deal))
    assert list(inbound_review_queue(people.east_manager)) == []
    ids = [i["id"] for i in api_as(people.alice).get("/api/mail/inbound").json()["items"]]
    assert ids == [matched.pk]
    assert api_as(people.wendy).get("/api/mail/inbound").json()["items"] == []


def test_review_queue_over_the_api(people, api_as, stranger_mail):
    receive(sender="other@nowhere.example", headers={"Auto-Submitted": "auto-replied"})
    response = api_as(people.east_manager).get("/api/mail/inbound", {"status": "unmatched"})
    assert response.status_code == 200
    [item] = response.json()["items"]
    assert (item["id"], item["from_email"], item["text"], item["status"]) == (
        stranger_mail.pk,
        "stranger@nowhere.example",
        "Do you sell pumps?",
        "unmatched",
    )


def test_review_queue_pages_with_a_cursor(people, api_as):
    mails = [receive(sender=f"s{n}@nowhere.example") for n in range(3)]
    client = api_as(people.admin)
    first = client.get("/api/mail/inbound", {"limit": 2}).json()
    second = client.get("/api/mail/inbound", {"limit": 2, "cursor": first["next_cursor"]}).json()
    ids = [i["id"] for i in first["items"] + second["items"]]
    assert ids == [m.pk for m in reversed(mails)]
    assert second["next_cursor"] is None
    bad = client.get("/api/mail/inbound", {"cursor": "x"})
    assert bad.status_code == 422


def test_assigning_logs_the_mail_on_the_deal_and_stops_the_chase(people, frozen, api_as):
    deal = quoted_deal(people, frozen)
    mail = receive(sender="new-address@buyer.example", text="We accept the quote.")
    response = post(
        api_as(people.east_manager), f"/mail/inbound/{mail.pk}/assign", {"deal": deal.pk}
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["match_method"], body["deal"]) == ("assigned", "manual", deal.pk)
    assert body["handled_by"] == people.east_manager.pk
    activity = Activity.objects.get(pk=body["activity"])
    assert (activity.kind, activity.direction, activity.body) == (
        ActivityKind.EMAIL,
        "inbound",
        "We accept the quote.",
    )
    assert activity.owner == people.alice  # the deal's owner, who follows the customer
    chase = Activity.objects.get(deal=deal, template_key="chase_1")
    assert chase.status == ActivityStatus.CANCELLED


def test_assigning_to_a_lead(people, api_as, stranger_mail):
    lead = lead_create(actor=people.alice, data={"name": "Stranger"})
    response = post(
        api_as(people.alice), f"/mail/inbound/{stranger_mail.pk}/assign", {"lead": lead.pk}
    )
    # alice does not see mail from a stranger: only a manager may hand it out.
    assert response.status_code == 404
    response = post(
        api_as(people.east_manager), f"/mail/inbound/{stranger_mail.pk}/assign", {"lead": lead.pk}
    )
    assert response.json()["lead"] == lead.pk


def test_assign_needs_exactly_one_record(people, api_as, stranger_mail):
    client = api_as(people.admin)
    path = f"/mail/inbound/{stranger_mail.pk}/assign"
    assert post(client, path, {}).status_code == 422
    assert post(client, path, {"deal": 1, "lead": 1}).status_code == 422
    assert post(client, path, {"deal": "1"}).status_code == 422
    assert post(client, path, {"deal": 999999}).status_code == 404


def test_a_record_the_user_cannot_see_is_not_found(people, api_as, ambiguous_mail):
    west_deal = deal_create(actor=people.wendy, data={"title": "Pumps"})
    response = post(
        api_as(people.alice), f"/mail/inbound/{ambiguous_mail.pk}/assign", {"deal": west_deal.pk}
    )
    assert response.status_code == 404
    ambiguous_mail.refresh_from_db()
    assert ambiguous_mail.status == InboundStatus.UNMATCHED


def test_a_rep_assigns_mail_from_their_customer_to_their_lead(people, ambiguous_mail):
    lead = lead_create(actor=people.alice, data={"name": "Buyer 2"})
    inbound_assign(ambiguous_mail, record=lead, actor=people.alice)
    ambiguous_mail.refresh_from_db()
    assert (ambiguous_mail.status, ambiguous_mail.lead) == (InboundStatus.ASSIGNED, lead)


def test_assigned_mail_cannot_be_assigned_again(people, stranger_mail):
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    inbound_assign(stranger_mail, record=deal, actor=people.admin)
    with pytest.raises(Conflict):
        inbound_assign(stranger_mail, record=deal, actor=people.admin)
    assert Activity.objects.filter(deal=deal, kind=ActivityKind.EMAIL).count() == 1


def test_ignoring_takes_mail_out_of_the_queue(people, api_as, stranger_mail):
    response = post(api_as(people.east_manager), f"/mail/inbound/{stranger_mail.pk}/ignore")
    assert response.status_code == 200
    assert response.json()["status"] == "ignored"
    assert list(inbound_review_queue(people.east_manager)) == []
    assert InboundEmail.objects.filter(pk=stranger_mail.pk).exists()


def test_ignored_mail_can_still_be_assigned(people, stranger_mail):
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    inbound_ignore(stranger_mail, actor=people.admin)
    inbound_assign(stranger_mail, record=deal, actor=people.admin)
    stranger_mail.refresh_from_db()
    assert stranger_mail.status == InboundStatus.ASSIGNED


def test_only_unmatched_mail_can_be_ignored(people, api_as, stranger_mail):
    inbound_ignore(stranger_mail, actor=people.admin)
    response = post(api_as(people.admin), f"/mail/inbound/{stranger_mail.pk}/ignore")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "not_unmatched"


def test_a_rep_cannot_ignore_mail_they_do_not_see(people, stranger_mail):
    with pytest.raises(NotFound):
        inbound_ignore(stranger_mail, actor=people.alice)


def test_review_endpoints_need_a_signed_in_user(db, stranger_mail):
    assert Client().get("/api/mail/inbound").status_code == 401
    assert Client().post(f"/api/mail/inbound/{stranger_mail.pk}/ignore").status_code == 401
