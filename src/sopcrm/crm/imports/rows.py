"""One row into `lead_intake`, and its problems as the error file words them."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction

from sopcrm.core.errors import DomainError, FieldProblem, InvalidInput
from sopcrm.core.models import User
from sopcrm.crm.records.services.intake import IntakeOutcome, lead_intake

from .values import RowData, columns_for


class RollBack(Exception):
    """Raised inside `transaction.atomic` to undo a dry run's writes."""


@dataclass
class RowResult:
    outcome: IntakeOutcome | None  # None: the row failed
    problems: list[FieldProblem] = field(default_factory=list)
    lead_id: int | None = None


def _service_problems(data: Mapping[str, Any], actor: User) -> list[FieldProblem]:
    """What `lead_intake` says of the readable values of a row that has unreadable cells, so the
    error file lists every problem of the row at once. Nothing is written."""
    try:
        with transaction.atomic():
            lead_intake(data=data, actor=actor)
            raise RollBack
    except InvalidInput as exc:
        return list(exc.problems)
    except RollBack:
        return []


def row_intake(row: RowData, actor: User) -> RowResult:
    if row.problems:
        bad = {p.field for p in row.problems}
        readable = {k: v for k, v in row.data.items() if k not in bad}
        if "name" in bad:
            readable["name"] = "?"  # a stand-in, so the other values are checked
        if isinstance(readable.get("custom"), dict):
            readable["custom"] = {
                k: v for k, v in readable["custom"].items() if f"custom.{k}" not in bad
            }
        more = [p for p in _service_problems(readable, actor) if p.field not in bad]
        return RowResult(None, row.problems + more)
    key = row.import_key
    for attempt in (1, 2):
        try:
            result = lead_intake(data=row.data, actor=actor, import_key=key)
        except InvalidInput as exc:
            return RowResult(None, list(exc.problems))
        except DomainError as exc:
            return RowResult(None, [FieldProblem("row", exc.code, exc.message)])
        except IntegrityError:
            # Another import took this fingerprint between our check and our insert; the
            # second attempt finds it and reports the row as imported before.
            if attempt == 2:
                raise
            continue
        return RowResult(result.outcome, lead_id=result.lead.pk)
    raise AssertionError("unreachable")


def problems_text(problems: Iterable[FieldProblem], mapping: Mapping[str, str]) -> str:
    """ "email (Email): Not an e-mail address: x; name (First Name, Last Name): ..." """
    parts = []
    for problem in problems:
        columns = columns_for(problem.field, mapping)
        where = f"{problem.field} ({', '.join(columns)})" if columns else problem.field
        parts.append(f"{where}: {problem.message}")
    return "; ".join(parts)
