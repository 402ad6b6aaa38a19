"""Errors raised by services. Interfaces translate them: the API into JSON with a machine-readable
code and the offending field, the web UI into form errors, the CLI into a message and exit code.

A service raises before it writes, or inside `transaction.atomic` so that a failed operation leaves
nothing behind.
"""

from dataclasses import dataclass, field


@dataclass
class FieldProblem:
    field: str
    code: str
    message: str


class DomainError(Exception):
    code = "error"
    http_status = 400

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


@dataclass
class InvalidInput(DomainError):
    """One or more fields break a rule; every problem is reported at once."""

    problems: list[FieldProblem] = field(default_factory=list)
    code = "invalid"
    http_status = 422

    def __post_init__(self) -> None:
        self.message = "; ".join(f"{p.field}: {p.message}" for p in self.problems)
        Exception.__init__(self, self.message)

    @classmethod
    def single(cls, field_name: str, code: str, message: str) -> "InvalidInput":
        return cls([FieldProblem(field_name, code, message)])


class PermissionDenied(DomainError):
    code = "permission_denied"
    http_status = 403


class NotFound(DomainError):
    """Also raised for records that exist but are not visible to the actor, so that ids of other
    reps' records reveal nothing."""

    code = "not_found"
    http_status = 404


class Conflict(DomainError):
    code = "conflict"
    http_status = 409
