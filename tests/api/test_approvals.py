"""S-33 through the API: a quote with a discount above 20% waits for the owner's manager, who
approves it (the transition then runs with the values submitted) or rejects it with a comment."""

import pytest

from sopcrm.core.models import Event, EventKind
from sopcrm.crm.records.models import ApprovalRequest, Deal

from .conftest import at, tasks_of, unchanged, utc
from .flow import LOSE, QUOTE, deal_at, problems, take


@pytest.fixture
def ready(clients, frozen):
    """Alice's deal with its requirements confirmed and a 25% discount, on Mon 3 Nov 2025."""
    frozen(at(2025, 11, 3, 10))
    deal = deal_at(clients.alice, "requirements_confirmed")
    patched = clients.alice.patch(f"/deals/{deal['id']}", {"custom": {"discount_percent": 25}})
    assert patched.status_code == 200
    return patched.json()


def request_quote(clients, deal, client=None):
    return take(client or clients.alice, "deal", deal["id"], "send_quote", QUOTE, expect=202)


def record(deal):
    return Deal.objects.get(pk=deal["id"])


def test_discount_above_20_percent_holds_the_quote_for_approval(clients, people, ready, frozen):
    frozen(at(2025, 11, 3, 11))
    events = Event.objects.count()
    held = request_quote(clients, ready)
    assert held == {
        "id": held["id"],
        "record_type": "deal",
        "record_id": ready["id"],
        "record_title": "Valves",
        "transition": "send_quote",
        "transition_label": "Quote sent",
        "data": QUOTE,
        "reason": "Discount above 20%",
        "status": "pending",
        "requested_by": people.alice.pk,
        "requested_by_name": str(people.alice),
        "requested_at": utc(at(2025, 11, 3, 11)),
        "decided_by": None,
        "decided_by_name": None,
        "decided_at": None,
        "comment": "",
        "can_decide": False,
    }
    # The deal stays where it was, without the quote values, and says what it waits for.
    deal = clients.alice.get(f"/deals/{ready['id']}").json()
    assert (deal["stage"], deal["pending_approval"]) == ("requirements_confirmed", held["id"])
    assert not set(QUOTE) & set(deal["custom"])
    assert deal["updated_at"] == ready["updated_at"]
    assert tasks_of(clients.alice, "deal", ready["id"]).keys() == set()
    # One event: the request, on the deal's timeline.
    assert Event.objects.count() == events + 1
    latest = clients.alice.get(f"/deals/{ready['id']}/timeline").json()["items"][0]
    assert (latest["kind"], latest["data"]["approval"]) == ("approval_requested", held["id"])


def test_the_pending_request_shows_on_the_transitions_page(clients, people, ready):
    held = request_quote(clients, ready)
    listed = clients.alice.get(f"/deals/{ready['id']}/transitions").json()
    assert listed["pending_approval"] == {
        "id": held["id"],
        "transition": "send_quote",
        "transition_label": "Quote sent",
        "requested_by": people.alice.pk,
        "requested_by_name": str(people.alice),
        "requested_at": utc(at(2025, 11, 3, 10)),
    }
    send_quote = next(t for t in listed["transitions"] if t["key"] == "send_quote")
    assert send_quote["approval"] == {
        "when": "discount_percent > 20",
        "reason": "Discount above 20%",
    }


def test_a_second_attempt_while_one_is_pending_is_409(clients, ready):
    request_quote(clients, ready)
    with unchanged(record(ready)):
        body = take(clients.alice, "deal", ready["id"], "send_quote", QUOTE, expect=409)
    assert body["error"]["code"] == "approval_pending"
    assert ApprovalRequest.objects.count() == 1


def test_a_discount_of_20_percent_needs_no_approval(clients, ready):
    clients.alice.patch(f"/deals/{ready['id']}", {"custom": {"discount_percent": 20}})
    moved = take(clients.alice, "deal", ready["id"], "send_quote", QUOTE, expect=200)
    assert (moved["stage"], moved["pending_approval"]) == ("quoted", None)
    assert not ApprovalRequest.objects.exists()


def test_missing_fields_are_reported_before_any_approval_is_asked(clients, ready):
    with unchanged(record(ready)):
        body = take(clients.alice, "deal", ready["id"], "send_quote", {}, expect=422)
    assert problems(body) == [(key, "required") for key in QUOTE]


# -- who may decide -------------------------------------------------------------------------------


def test_the_requesting_rep_may_not_decide_403(clients, ready):
    held = request_quote(clients, ready)
    with unchanged(record(ready)):
        response = clients.alice.post(f"/approvals/{held['id']}/decide", {"approve": True})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


@pytest.mark.parametrize("who", ["bob", "wendy", "west_manager"])
def test_who_cannot_see_the_deal_gets_404_deciding_or_reading(clients, ready, who):
    # Bob is a rep of the same team, but a rep sees only his own records; the West team sees
    # nothing of East's. The request is as invisible to them as the deal.
    held = request_quote(clients, ready)
    client = getattr(clients, who)
    with unchanged(record(ready)):
        decided = client.post(f"/approvals/{held['id']}/decide", {"approve": True, "comment": "ok"})
        rejected = client.post(
            f"/approvals/{held['id']}/decide", {"approve": False, "comment": "no"}
        )
    assert (decided.status_code, rejected.status_code) == (404, 404)
    assert decided.json()["error"]["code"] == "not_found"
    assert client.get(f"/approvals/{held['id']}").status_code == 404
    assert client.get("/approvals").json()["items"] == []


def test_the_owners_manager_approves_and_the_quote_goes_out_with_the_submitted_values(
    clients, people, ready, frozen
):
    held = request_quote(clients, ready)
    inbox = clients.east_manager.get("/approvals", {"status": "pending"}).json()["items"]
    assert [(a["id"], a["can_decide"]) for a in inbox] == [(held["id"], True)]

    frozen(at(2025, 11, 3, 14))
    response = clients.east_manager.post(
        f"/approvals/{held['id']}/decide", {"approve": True, "comment": "Key account"}
    )
    assert response.status_code == 200
    decided = response.json()
    assert (
        decided["status"],
        decided["decided_by"],
        decided["comment"],
        decided["can_decide"],
    ) == (
        "approved",
        people.east_manager.pk,
        "Key account",
        False,
    )
    assert decided["decided_at"] == utc(at(2025, 11, 3, 14))

    deal = clients.alice.get(f"/deals/{ready['id']}").json()
    assert (deal["stage"], deal["substate"], deal["pending_approval"]) == (
        "quoted",
        "pending_1st",
        None,
    )
    assert {k: deal["custom"][k] for k in QUOTE} == QUOTE
    assert deal["stage_entered_at"] == utc(at(2025, 11, 3, 14))
    assert tasks_of(clients.alice, "deal", ready["id"])["chase_1"]["due_at"] == utc(at(2025, 11, 7))
    # The move is the requester's, carried out on the manager's approval.
    entered = Event.objects.filter(record_id=ready["id"], kind=EventKind.STAGE_ENTERED).latest("id")
    assert (entered.actor_id, entered.data["approval"]) == (people.alice.pk, held["id"])
    # Decided once: a second decision is a 409.
    with unchanged(record(ready)):
        again = clients.east_manager.post(
            f"/approvals/{held['id']}/decide", {"approve": False, "comment": "x"}
        )
    assert (again.status_code, again.json()["error"]["code"]) == (409, "decided")


def test_rejecting_needs_a_comment_and_leaves_the_deal(clients, people, ready):
    held = request_quote(clients, ready)
    with unchanged(record(ready)):
        response = clients.east_manager.post(f"/approvals/{held['id']}/decide", {"approve": False})
        blank = clients.east_manager.post(
            f"/approvals/{held['id']}/decide", {"approve": False, "comment": "  "}
        )
    assert response.status_code == blank.status_code == 422
    assert problems(response.json()) == problems(blank.json()) == [("comment", "required")]

    response = clients.east_manager.post(
        f"/approvals/{held['id']}/decide", {"approve": False, "comment": "Max 15% for tier B"}
    )
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["comment"]) == (
        "rejected",
        "Max 15% for tier B",
    )
    deal = clients.alice.get(f"/deals/{ready['id']}").json()
    assert (deal["stage"], deal["pending_approval"]) == ("requirements_confirmed", None)
    assert not set(QUOTE) & set(deal["custom"])
    latest = clients.alice.get(f"/deals/{ready['id']}/timeline").json()["items"][0]
    assert (latest["kind"], latest["data"]["status"], latest["data"]["comment"]) == (
        "approval_decided",
        "rejected",
        "Max 15% for tier B",
    )
    # The rep lowers the discount and quotes without approval.
    clients.alice.patch(f"/deals/{ready['id']}", {"custom": {"discount_percent": 15}})
    assert take(clients.alice, "deal", ready["id"], "send_quote", QUOTE)["stage"] == "quoted"


def test_a_decision_body_is_strict(clients, ready):
    held = request_quote(clients, ready)
    for body in (
        {},
        {"approve": "yes"},
        {"approve": True, "comment": 5},
        {"approve": True, "why": "x"},
    ):
        with unchanged(record(ready)):
            response = clients.east_manager.post(f"/approvals/{held['id']}/decide", body)
        assert response.status_code == 422, body


def test_an_admin_may_decide(clients, people, ready):
    held = request_quote(clients, ready)
    assert clients.admin.get(f"/approvals/{held['id']}").json()["can_decide"] is True
    response = clients.admin.post(f"/approvals/{held['id']}/decide", {"approve": True})
    assert (response.status_code, response.json()["decided_by"]) == (200, people.admin.pk)


def test_a_manager_may_not_approve_a_request_on_their_own_deal(clients, people, frozen):
    frozen(at(2025, 11, 3, 10))
    deal = deal_at(clients.east_manager, "requirements_confirmed")
    clients.east_manager.patch(f"/deals/{deal['id']}", {"custom": {"discount_percent": 40}})
    held = request_quote(clients, deal, clients.east_manager)
    assert held["can_decide"] is False
    with unchanged(record(deal)):
        response = clients.east_manager.post(f"/approvals/{held['id']}/decide", {"approve": True})
    assert response.status_code == 403
    assert (
        clients.admin.post(f"/approvals/{held['id']}/decide", {"approve": True}).status_code == 200
    )


def test_moving_the_deal_on_withdraws_the_request(clients, ready):
    held = request_quote(clients, ready)
    take(clients.alice, "deal", ready["id"], "lose", LOSE)
    withdrawn = clients.east_manager.get(f"/approvals/{held['id']}").json()
    assert (withdrawn["status"], withdrawn["can_decide"]) == ("withdrawn", False)
    with unchanged(record(ready)):
        response = clients.east_manager.post(f"/approvals/{held['id']}/decide", {"approve": True})
    assert (response.status_code, response.json()["error"]["code"]) == (409, "decided")


# -- the list ---------------------------------------------------------------------------------


def test_list_is_newest_first_filters_by_status_and_pages(clients, frozen):
    ids = []
    for day in (3, 4, 5):
        frozen(at(2025, 11, day, 10))
        deal = deal_at(clients.alice, "requirements_confirmed", title=f"Deal {day}")
        clients.alice.patch(f"/deals/{deal['id']}", {"custom": {"discount_percent": 30}})
        ids.append(request_quote(clients, deal)["id"])
    clients.east_manager.post(f"/approvals/{ids[0]}/decide", {"approve": False, "comment": "No"})

    everything = clients.east_manager.get("/approvals").json()
    assert [a["id"] for a in everything["items"]] == ids[::-1]
    assert [a["record_title"] for a in everything["items"]] == ["Deal 5", "Deal 4", "Deal 3"]
    pending = clients.east_manager.get("/approvals", {"status": "pending"}).json()["items"]
    assert [a["id"] for a in pending] == [ids[2], ids[1]]
    rejected = clients.alice.get("/approvals", {"status": "rejected"}).json()["items"]
    assert [(a["id"], a["comment"]) for a in rejected] == [(ids[0], "No")]

    first = clients.east_manager.get("/approvals", {"limit": 2}).json()
    second = clients.east_manager.get(
        "/approvals", {"limit": 2, "cursor": first["next_cursor"]}
    ).json()
    assert [a["id"] for a in first["items"] + second["items"]] == ids[::-1]
    assert second["next_cursor"] is None


@pytest.mark.parametrize(
    "params",
    [{"status": "maybe"}, {"limit": 0}, {"limit": 201}, {"cursor": "not-a-cursor"}],
    ids=["status", "limit-0", "limit-201", "cursor"],
)
def test_bad_list_parameters_are_422(clients, params):
    response = clients.east_manager.get("/approvals", params)
    assert response.status_code == 422
    assert [f["field"] for f in response.json()["error"]["fields"]] == list(params)


def test_labels_follow_the_language(clients, ready):
    held = request_quote(clients, ready)
    shown = clients.east_manager.get(f"/approvals/{held['id']}", language="zh-hans").json()
    assert shown["transition_label"] == "已发报价"


def test_an_unknown_approval_is_404(clients):
    assert clients.east_manager.get("/approvals/999999").status_code == 404
    assert (
        clients.east_manager.post("/approvals/999999/decide", {"approve": True}).status_code == 404
    )
