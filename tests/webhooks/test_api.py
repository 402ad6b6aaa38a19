"""GET /api/webhooks and /api/webhooks/deliveries: administrators only, never the secret; the
delivery log filters by status and pages newest first."""

import pytest
from django.test import Client

from sopcrm.core.tokens import token_create
from sopcrm.crm.webhooks.models import DeliveryStatus, WebhookDelivery
from sopcrm.crm.webhooks.services import webhook_create, webhook_queue


@pytest.fixture
def signed_in(people):
    def make(user):
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def deliveries(people):
    webhook_create(key="erp", url="https://erp.example.com/hooks", description="ERP orders")
    webhook_create(key="chat", url="http://chat.internal/hooks")
    rows = [
        webhook_queue(
            webhook_key="erp" if n % 2 else "chat",
            event="deal.won",
            payload={"deal": n},
            idempotency_key=f"deal-{n}",
            record_type="deal",
            record_id=n,
        )
        for n in range(1, 6)
    ]
    WebhookDelivery.objects.filter(pk__in=[rows[0].pk, rows[3].pk]).update(
        status=DeliveryStatus.FAILED, attempts=6, last_status_code=500, last_error="HTTP 500"
    )
    return rows


def test_an_admin_lists_the_webhooks_without_their_secrets(people, signed_in, deliveries):
    response = signed_in(people.admin).get("/api/webhooks")
    assert response.status_code == 200
    items = response.json()["items"]
    assert [w["key"] for w in items] == ["chat", "erp"]
    assert items[1] == {
        "key": "erp",
        "url": "https://erp.example.com/hooks",
        "description": "ERP orders",
        "active": True,
        "created_at": items[1]["created_at"],
    }
    assert "secret" not in response.content.decode()


@pytest.mark.parametrize("name", ["alice", "east_manager"])
def test_anyone_but_an_admin_gets_403(people, signed_in, deliveries, name):
    client = signed_in(getattr(people, name))
    for path in ("/api/webhooks", "/api/webhooks/deliveries"):
        response = client.get(path)
        assert response.status_code == 403, path
        assert response.json()["error"]["code"] == "permission_denied"


def test_a_rep_gets_403_even_with_a_bad_cursor(people, signed_in, deliveries):
    response = signed_in(people.alice).get("/api/webhooks/deliveries", {"cursor": "x"})
    assert response.status_code == 403


def test_without_credentials_it_is_401(db):
    assert Client().get("/api/webhooks").status_code == 401


def test_an_admin_token_reads_the_delivery_log(people, deliveries):
    secret = token_create(user=people.admin, name="ops").secret
    client = Client(headers={"Authorization": f"Bearer {secret}"})
    response = client.get("/api/webhooks/deliveries")
    assert response.status_code == 200
    assert len(response.json()["items"]) == 5


def test_the_delivery_log_filters_by_status(people, signed_in, deliveries):
    response = signed_in(people.admin).get("/api/webhooks/deliveries", {"status": "failed"})
    items = response.json()["items"]
    assert [d["id"] for d in items] == [deliveries[3].pk, deliveries[0].pk]
    assert items[0]["last_status_code"] == 500
    assert items[0]["last_error"] == "HTTP 500"
    assert items[0]["webhook"] == "chat"
    assert items[0]["payload"] == {"deal": 4}


def test_the_delivery_log_filters_by_webhook(people, signed_in, deliveries):
    response = signed_in(people.admin).get("/api/webhooks/deliveries", {"webhook": "erp"})
    assert [d["payload"]["deal"] for d in response.json()["items"]] == [5, 3, 1]


def test_the_delivery_log_pages_newest_first_with_a_cursor(people, signed_in, deliveries):
    client = signed_in(people.admin)
    first = client.get("/api/webhooks/deliveries", {"limit": 2}).json()
    assert [d["id"] for d in first["items"]] == [deliveries[4].pk, deliveries[3].pk]
    second = client.get(
        "/api/webhooks/deliveries", {"limit": 2, "cursor": first["next_cursor"]}
    ).json()
    assert [d["id"] for d in second["items"]] == [deliveries[2].pk, deliveries[1].pk]
    third = client.get(
        "/api/webhooks/deliveries", {"limit": 2, "cursor": second["next_cursor"]}
    ).json()
    assert [d["id"] for d in third["items"]] == [deliveries[0].pk]
    assert third["next_cursor"] is None


@pytest.mark.parametrize(
    "params", [{"cursor": "abc"}, {"status": "lost"}, {"limit": 0}, {"limit": 201}]
)
def test_bad_query_values_are_422(people, signed_in, deliveries, params):
    response = signed_in(people.admin).get("/api/webhooks/deliveries", params)
    assert response.status_code == 422


def test_the_operations_document_403_and_422(db):
    paths = Client().get("/api/openapi.json").json()["paths"]
    assert set(paths["/api/webhooks"]["get"]["responses"]) == {"200", "401", "403"}
    assert set(paths["/api/webhooks/deliveries"]["get"]["responses"]) == {
        "200",
        "401",
        "403",
        "422",
    }
