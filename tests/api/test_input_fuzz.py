"""Fuzzing the API's inputs: random JSON bodies, and valid bodies with one value replaced by
random JSON, sent to the create, update and transition endpoints. Every answer is a success or a
4xx in the one error shape — a 422 naming the field — and a refused request changes nothing."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sopcrm.core.models import Event
from sopcrm.crm.records.models import Account, Activity, ApprovalRequest, Contact, Deal, Lead

from .conftest import fields_of, state_of
from .flow import CONTACT

FUZZ = settings(
    max_examples=25,
    deadline=None,
    # The database and the signed-in client are shared by the examples of a test on purpose:
    # each example compares the database before and after its own request.
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.sampled_from(["", " ", "2025-11-03", "2025-11-03T10:00:00Z", "12.50", "USD", "²", "\x00"]),
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.text(max_size=10), children, max_size=3)
    ),
    max_leaves=8,
)

# (method, path, a valid body) per endpoint; `{lead}` and `{deal}` are the records of `world`.
ENDPOINTS = {
    "create lead": (
        "post",
        "/leads",
        {"name": "Ana", "company": "Pumps SA", "email": "ana@pumps.example", "country": "DE"},
    ),
    "create deal": (
        "post",
        "/deals",
        {"title": "Valves", "amount": "1250.50", "currency": "USD"},
    ),
    "create account": ("post", "/accounts", {"name": "Pumps SA", "country": "DE"}),
    "create contact": ("post", "/contacts", {"name": "Ana Silva", "email": "ana@pumps.example"}),
    "create activity": ("post", "/activities", {"kind": "note", "summary": "Called", "lead": 0}),
    "update lead": ("patch", "/leads/{lead}", {"company": "Pumps SA", "country": "DE"}),
    "update deal": ("patch", "/deals/{deal}", {"title": "Valves", "amount": "99"}),
    "lead transition": (
        "post",
        "/leads/{lead}/transitions",
        {"transition": "contact", "data": {}},
    ),
    "deal transition": (
        "post",
        "/deals/{deal}/transitions",
        {"transition": "contact", "data": CONTACT},
    ),
    "deal exception": (
        "post",
        "/deals/{deal}/exception",
        {"stage": "quoted", "reason": "Price agreed by phone."},
    ),
}


@pytest.fixture
def world(people, session_as):
    """Alice's client, a lead and a deal of hers."""
    client = session_as(people.alice)
    lead = client.post("/leads", {"name": "Lena"}).json()
    deal = client.post("/deals", {"title": "Pumps"}).json()
    return client, Lead.objects.get(pk=lead["id"]), Deal.objects.get(pk=deal["id"])


def _database():
    return {
        model.__name__: model.objects.count()
        for model in (Lead, Deal, Account, Contact, Activity, ApprovalRequest, Event)
    }


def _send(world, endpoint, body):
    client, lead, deal = world
    method, path, _valid = ENDPOINTS[endpoint]
    path = path.format(lead=lead.pk, deal=deal.pk)
    before = (_database(), state_of(lead), state_of(deal))
    response = getattr(client, method)(path, body)
    assert response.status_code < 500, response.content
    if response.status_code >= 300:
        error = response.json()["error"]
        assert error["code"] and error["message"]
        if response.status_code == 422:
            assert error["fields"]
            assert all(f["field"] and f["code"] and f["message"] for f in error["fields"])
        assert (_database(), state_of(lead), state_of(deal)) == before, error
    return response


def _valid_body(world, endpoint):
    _client, lead, _deal = world
    body = dict(ENDPOINTS[endpoint][2])
    if body.get("lead") == 0:
        body["lead"] = lead.pk
    return body


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@FUZZ
@given(body=json_values)
def test_a_random_json_body_is_refused_cleanly(world, endpoint, body):
    _send(world, endpoint, body)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@FUZZ
@given(data=st.data())
def test_a_valid_body_with_one_random_value_is_refused_naming_that_field(world, endpoint, data):
    body = _valid_body(world, endpoint)
    key = data.draw(st.sampled_from([*body, "unexpected"]), label="key")
    body[key] = data.draw(json_values, label="value")
    response = _send(world, endpoint, body)
    if response.status_code == 422 and "transition" not in endpoint:
        # A transition's `data` problems are named by the field key alone (as GET lists them).
        named = [f["field"] for f in response.json()["error"]["fields"]]
        assert any(f == key or f.startswith(f"{key}.") for f in named), (key, named)


# -- what the fuzzing and schemathesis found ----------------------------------------------------


def test_transition_data_with_an_empty_key_names_data(world):
    client, _lead, deal = world
    response = client.post(
        f"/deals/{deal.pk}/transitions", {"transition": "contact", "data": {"": None}}
    )
    assert response.status_code == 422
    assert ("data", "not_asked") in fields_of(response)


def test_transition_data_key_with_a_custom_prefix_is_named_as_sent(world):
    client, _lead, deal = world
    response = client.post(
        f"/deals/{deal.pk}/transitions", {"transition": "contact", "data": {"custom.x": 1}}
    )
    assert ("custom.x", "not_asked") in fields_of(response)


def test_a_list_filter_id_in_other_digits_is_422(world):
    client, _lead, _deal = world
    response = client.get("/leads", {"filter": "owner:eq:²"})
    assert response.status_code == 422
    assert [f for f, _code in fields_of(response)] == ["filter"]


def test_a_report_filter_id_in_other_digits_is_422(world):
    client, _lead, _deal = world
    response = client.get("/reports/tasks", {"team": "²"})
    assert response.status_code == 422
    assert fields_of(response) == [("team", "invalid")]


def test_a_report_filter_id_beyond_64_bits_is_422(world):
    client, _lead, _deal = world
    response = client.get("/reports/tasks", {"rep": str(2**63)})
    assert fields_of(response) == [("rep", "invalid")]


def test_a_blank_report_filter_is_not_set(world):
    client, _lead, _deal = world
    assert client.get("/reports/tasks", {"to": "", "team": " "}).status_code == 200


def test_a_cursor_in_other_digits_is_422(people, session_as):
    response = session_as(people.admin).get("/webhooks/deliveries", {"cursor": "²"})
    assert response.status_code == 422
    assert fields_of(response) == [("cursor", "invalid")]


def test_an_inbound_mail_cursor_beyond_64_bits_is_422(world):
    client, _lead, _deal = world
    response = client.get("/mail/inbound", {"cursor": str(2**63)})
    assert fields_of(response) == [("cursor", "invalid")]


def test_the_schema_keeps_the_transition_options_and_field_options_apart():
    """Two response models of one class name took each other's place in the OpenAPI schema."""
    from sopcrm.api.app import api

    schemas = api.get_openapi_schema()["components"]["schemas"]
    assert schemas["KeyTextOut"]["properties"]["label"]["type"] == "string"
    assert schemas["OptionOut"]["properties"]["label"]["$ref"].endswith("/LabelOut")
