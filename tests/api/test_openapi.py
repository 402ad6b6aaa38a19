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
