"""Who sees which records through the API: a rep their own, a manager the team's, an admin all;
another rep's record is a 404 and cannot be linked to."""

from sopcrm.core.models import Event
from sopcrm.crm.records.models import Deal
from sopcrm.crm.records.services.accounts import account_create
from sopcrm.crm.records.services.deals import deal_create
from sopcrm.crm.records.services.leads import lead_create

from .conftest import fields_of


def titles(response):
    assert response.status_code == 200, response.json()
    return {item["title"] for item in response.json()["items"]}


def make_deals(people):
    for user in (people.alice, people.bob, people.wendy):
        deal_create(actor=user, data={"title": f"{user.username}'s"})


def test_rep_lists_only_own_records(people, session_as):
    make_deals(people)
    assert titles(session_as(people.alice).get("/deals")) == {"alice's"}


def test_manager_lists_the_team_records(people, session_as):
    make_deals(people)
    assert titles(session_as(people.east_manager).get("/deals")) == {"alice's", "bob's"}


def test_admin_lists_all_records(people, session_as):
    make_deals(people)
    assert titles(session_as(people.admin).get("/deals")) == {"alice's", "bob's", "wendy's"}


def test_another_reps_record_is_404(people, alice):
    lead = lead_create(actor=people.bob, data={"name": "Bob's lead"})
    response = alice.get(f"/leads/{lead.pk}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_patching_another_reps_record_is_404_and_changes_nothing(people, alice):
    lead = lead_create(actor=people.bob, data={"name": "Bob's lead"})
    events = Event.objects.count()
    response = alice.patch(f"/leads/{lead.pk}", {"name": "Mine now"})
    assert response.status_code == 404
    lead.refresh_from_db()
    assert lead.name == "Bob's lead"
    assert Event.objects.count() == events


def test_another_reps_timeline_is_404(people, alice):
    lead = lead_create(actor=people.bob, data={"name": "Bob's lead"})
    assert alice.get(f"/leads/{lead.pk}/timeline").status_code == 404


def test_deal_on_an_invisible_account_is_422_on_account_and_not_created(people, alice):
    account = account_create(actor=people.wendy, data={"name": "West Co"})
    response = alice.post("/deals", {"title": "Sneaky", "account": account.pk})
    assert response.status_code == 422
    assert fields_of(response) == [("account", "not_found")]
    assert Deal.objects.count() == 0


def test_rep_cannot_hand_a_record_to_someone_else(people, alice):
    response = alice.post("/deals", {"title": "Gift", "owner": people.bob.pk})
    assert response.status_code == 422
    assert fields_of(response) == [("owner", "not_assignable")]


def test_manager_assigns_a_record_to_a_team_rep(people, session_as):
    response = session_as(people.east_manager).post(
        "/deals", {"title": "For Bob", "owner": people.bob.pk}
    )
    assert response.status_code == 201
    assert response.json()["owner_name"] == "bob"
    assert titles(session_as(people.bob).get("/deals")) == {"For Bob"}
