"""One error shape for every failure, and the handlers that produce it.

    {"error": {"code": "invalid", "message": "...",
               "fields": [{"field": "custom.region", "code": "choice", "message": "..."}]}}

Service errors (core.errors), ninja's request validation, authentication and malformed bodies
all end here, so a client handles errors one way. Every operation declares the statuses it can
answer with (`responses`), so the OpenAPI schema documents them.
"""

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import HttpError, ValidationError
from pydantic import BaseModel

from sopcrm.core.errors import DomainError, FieldProblem, InvalidInput


class FieldErrorOut(BaseModel):
    field: str
    code: str
    message: str


class ErrorDetailOut(BaseModel):
    code: str
    message: str
    fields: list[FieldErrorOut] = []


class ErrorOut(BaseModel):
    error: ErrorDetailOut


def responses(*statuses: int) -> dict[int, type[ErrorOut]]:
    """The error statuses an operation documents, for its `response=` mapping."""
    return dict.fromkeys(statuses, ErrorOut)


READ = (401, 404, 422)
LIST = (401, 422)
WRITE = (400, 401, 403, 404, 422)


class NotAuthenticated(Exception):
    """Raised by the authenticators: a token was sent and is unknown, expired or revoked."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def error_body(
    code: str, message: str, problems: list[FieldProblem] | None = None
) -> dict[str, Any]:
    return {
        "error": {
            "code": code,
            "message": message,
            "fields": [
                {"field": p.field, "code": p.code, "message": p.message} for p in problems or []
            ],
        }
    }


def _respond(
    api: NinjaAPI,
    request: HttpRequest,
    status: int,
    code: str,
    message: str,
    problems: list[FieldProblem] | None = None,
) -> HttpResponse:
    response = api.create_response(request, error_body(code, message, problems), status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="sopcrm"'
    return response


def _domain_message(exc: DomainError) -> str:
    if isinstance(exc, InvalidInput):
        return _("Some values are not valid; see the fields.")
    return exc.message


# Pydantic's error types, as the codes our services use for the same problems.
_PYDANTIC_CODES = {
    "missing": "required",
    "extra_forbidden": "unknown_field",
    "value_error": "invalid",
    "string_pattern_mismatch": "invalid",
    "greater_than": "range",
    "greater_than_equal": "range",
    "less_than": "range",
    "less_than_equal": "range",
    "string_too_long": "max_length",
}


def _pydantic_message(code: str, error: dict[str, Any]) -> str:
    if code == "required":
        return _("This field is required.")
    if code == "unknown_field":
        return _("Unknown field.")
    if error["type"] == "value_error" and "error" in error.get("ctx", {}):
        # Our own validators raise ValueError with a translated message.
        return str(error["ctx"]["error"])
    if code == "range":
        return _("The value is out of range.")
    if code == "max_length":
        return _("The text is too long.")
    messages = {
        "int_type": _("Enter a whole number."),
        "string_type": _("Enter text."),
        "float_type": _("Enter a number."),
        "bool_type": _("Enter true or false."),
        "dict_type": _("Enter an object."),
        "model_type": _("Enter an object."),
        "model_attributes_type": _("Enter an object."),
        "list_type": _("Enter a list."),
        "int_parsing": _("Enter a whole number."),
        "enum": _("Choose one of the allowed values."),
    }
    return messages.get(error["type"], _("Enter a valid value."))


def _field_path(loc: tuple[Any, ...]) -> str:
    # ninja's loc is (source, param, *path) for a body model and (source, name) for the rest;
    # clients know neither the source nor our parameter name, only the field.
    parts = [str(p) for p in loc[1:]]
    if loc and loc[0] == "body":
        parts = parts[1:]
    return ".".join(parts) or "body"


def validation_problems(errors: list[dict[str, Any]]) -> list[FieldProblem]:
    problems = []
    for error in errors:
        error_type = str(error.get("type", ""))
        if error_type.endswith(("_type", "_parsing")):
            code = "type"
        else:
            code = _PYDANTIC_CODES.get(error_type, error_type)
        field = _field_path(tuple(error.get("loc", ())))
        problems.append(FieldProblem(field, code, _pydantic_message(code, error)))
    return problems


_HTTP_CODES = {
    400: ("malformed", lambda: _("The request body is not valid JSON.")),
    401: ("unauthenticated", lambda: _("Sign in, or send an API token as Bearer.")),
    403: ("permission_denied", lambda: _("You may not do this.")),
    404: ("not_found", lambda: _("Not found.")),
    429: ("throttled", lambda: _("Too many requests; try again later.")),
}


def install(api: NinjaAPI) -> None:
    @api.exception_handler(DomainError)
    def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        problems = exc.problems if isinstance(exc, InvalidInput) else None
        return _respond(api, request, exc.http_status, exc.code, _domain_message(exc), problems)

    @api.exception_handler(ValidationError)
    def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        return _respond(
            api,
            request,
            422,
            "invalid",
            _("Some values are not valid; see the fields."),
            validation_problems(exc.errors),
        )

    @api.exception_handler(NotAuthenticated)
    def on_not_authenticated(request: HttpRequest, exc: NotAuthenticated) -> HttpResponse:
        return _respond(api, request, 401, exc.code, exc.message)

    @api.exception_handler(HttpError)
    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        # ninja's own: 400 unparsable body, 401 no credentials, 429 throttled.
        code, message = _HTTP_CODES.get(exc.status_code, ("error", lambda: str(exc)))
        return _respond(api, request, exc.status_code, code, message())

    @api.exception_handler(Http404)
    def on_404(request: HttpRequest, exc: Http404) -> HttpResponse:
        return _respond(api, request, 404, "not_found", _("Not found."))
