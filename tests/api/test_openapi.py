"""The OpenAPI schema documents every operation's errors, so schema checks find no surprises."""

from django.test import Client


def schema():
    return Client().get("/api/openapi.json").json()


def test_openapi_schema_is_public_json(db):
    response = Client().get("/api/openapi.json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "sopcrm API"


def test_docs_page_is_served(db):
    assert Client().get("/api/docs").status_code == 200


def test_every_operation_documents_401_and_its_error_shape(db):
    for path, operations in schema()["paths"].items():
        for method, operation in operations.items():
            assert "401" in operation["responses"], (method, path)
            assert operation["responses"]["401"]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/ErrorOut"
            }


def test_every_operation_with_input_documents_422(db):
    for path, operations in schema()["paths"].items():
        for method, operation in operations.items():
            if operation.get("parameters") or operation.get("requestBody"):
                assert "422" in operation["responses"], (method, path)


def test_both_auth_schemes_are_documented(db):
    schemes = schema()["components"]["securitySchemes"]
    assert schemes["TokenAuth"] == {"type": "http", "scheme": "bearer"}
    assert schemes["SessionAuth"]["in"] == "cookie"


def test_strict_inputs_forbid_unknown_properties(db):
    deal_create = schema()["components"]["schemas"]["DealCreate"]
    assert deal_create["additionalProperties"] is False
    assert deal_create["required"] == ["title"]


def test_playbook_operations_document_their_outcomes(db):
    paths = schema()["paths"]
    expected = {
        ("post", "/api/deals/{deal_id}/transitions"): {
            "200",
            "202",
            "400",
            "401",
            "403",
            "404",
            "409",
            "422",
        },
        ("post", "/api/leads/{lead_id}/transitions"): {
            "200",
            "202",
            "400",
            "401",
            "403",
            "404",
            "409",
            "422",
        },
        ("get", "/api/deals/{deal_id}/transitions"): {"200", "401", "404", "422"},
        ("get", "/api/leads/{lead_id}/transitions"): {"200", "401", "404", "422"},
        ("post", "/api/deals/{deal_id}/exception"): {"200", "400", "401", "403", "404", "422"},
        ("post", "/api/leads/{lead_id}/exception"): {"200", "400", "401", "403", "404", "422"},
        ("get", "/api/approvals"): {"200", "401", "422"},
        ("get", "/api/approvals/{approval_id}"): {"200", "401", "404", "422"},
        ("post", "/api/approvals/{approval_id}/decide"): {
            "200",
            "400",
            "401",
            "403",
            "404",
            "409",
            "422",
        },
        ("get", "/api/playbook"): {"200", "401", "404", "422"},
        ("get", "/api/playbook/diagram"): {"200", "401", "404", "422"},
    }
    for (method, path), statuses in expected.items():
        assert set(paths[path][method]["responses"]) == statuses, (method, path)
    held = paths["/api/deals/{deal_id}/transitions"]["post"]["responses"]["202"]
    assert held["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ApprovalOut"
    }


def test_transition_and_decision_bodies_are_strict(db):
    schemas = schema()["components"]["schemas"]
    for name, required in (
        ("TransitionTake", ["transition"]),
        ("ExceptionMove", ["stage", "reason"]),
        ("ApprovalDecide", ["approve"]),
    ):
        assert schemas[name]["additionalProperties"] is False, name
        assert schemas[name]["required"] == required, name


def test_records_and_tasks_document_their_process_state(db):
    schemas = schema()["components"]["schemas"]
    for name in ("DealOut", "LeadOut"):
        assert {"stage_label", "substate", "substate_label", "pending_approval"} <= set(
            schemas[name]["properties"]
        )
    assert {"template_key", "completion_requires"} <= set(schemas["ActivityOut"]["properties"])
    assert "from" in schemas["TransitionDefOut"]["properties"]
