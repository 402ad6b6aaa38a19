"""Checks of a playbook's intake (S-25..S-32) that the schema cannot express, each reported at
the position of the offending key: the qualification checklist and the mappings it sets (which
must be total: every count and every buyer strength has a value), assignment rules, the
duplicate policy, conversion and the public intake forms."""

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from sopcrm.core.fieldtypes import FieldType

from .core_fields import CORE_FIELDS, REQUIRABLE_CORE_FIELDS
from .hints import did_you_mean, duplicates
from .loader import PathKey, Problem
from .schema import (
    AssignmentDef,
    Band,
    ConversionDef,
    FieldDef,
    GradeDef,
    IntakeForm,
    ObjectType,
    Playbook,
    QualificationDef,
)

if TYPE_CHECKING:
    from .checks import _ObjectChecker

# The same keys as crm's LeadSource choices (a test keeps them equal): this package knows no
# models.
LEAD_SOURCES = (
    "website_form",
    "trade_show",
    "whatsapp",
    "b2b_platform",
    "email",
    "social",
    "referral",
    "import",
    "other",
)
# The grade for a buyer whose strength nobody has judged yet (an empty strength field).
UNKNOWN_STRENGTH = "unknown"
# Number fields the checklist keeps up to date when the object defines them.
COUNT_FIELDS = ("checklist_confirmed", "checklist_core_confirmed")
_STAGED = (ObjectType.LEAD, ObjectType.DEAL)
_CHOICE = (FieldType.CHOICE,)


class IntakeChecker:
    def __init__(self, checker: "_ObjectChecker", playbook: Playbook) -> None:
        self.c = checker
        self.obj = checker.obj
        self.object_type = checker.object_type
        self.playbook = playbook

    def problem(self, path: PathKey, message: str, hint: str = "") -> Problem:
        return self.c.problem(path, message, hint)

    def run(self) -> Iterator[Problem]:
        if self.obj.qualification is not None:
            yield from self.qualification(self.obj.qualification)
        for name in ("assignment", "duplicates", "conversion"):
            if getattr(self.obj, name) is not None and self.object_type != ObjectType.LEAD:
                yield self.problem((name,), f"'{name}' applies to leads only", "move it to lead")
        if self.obj.assignment is not None:
            yield from self.assignment(self.obj.assignment)
        if self.obj.conversion is not None and self.object_type == ObjectType.LEAD:
            yield from self.conversion(self.obj.conversion)
        if self.checks_forms():
            yield from self.forms()

    # -- qualification (S-27..S-29) ------------------------------------------------------------

    def qualification(self, q: QualificationDef) -> Iterator[Problem]:
        at: PathKey = ("qualification",)
        if self.object_type not in _STAGED:
            yield self.problem(at, "only leads and deals have a checklist")
            return
        checklist = self.field_of(q.field, (*at, "field"), (FieldType.MULTI_CHOICE,))
        if not isinstance(checklist, FieldDef):
            yield from checklist
        items = checklist.option_keys if isinstance(checklist, FieldDef) else None
        for name in ("core", "key_items"):
            keys: tuple[str, ...] = getattr(q, name)
            for index, key in duplicates(keys):
                yield self.problem((*at, name, index), f"item '{key}' twice")
            for index, key in enumerate(keys):
                if items is not None and key not in items:
                    yield self.problem(
                        (*at, name, index),
                        f"'{key}' is not an item of the checklist '{q.field}'",
                        did_you_mean(key, items),
                    )
        set_fields = [s.field for s in q.scores] + ([q.grade.field] if q.grade else [])
        for index, key in duplicates(set_fields):
            path = (*at, "scores", index, "field") if index < len(q.scores) else (*at, "grade")
            yield self.problem(path, f"'{key}' is set twice by the checklist")
        for index, score in enumerate(q.scores):
            s_at: PathKey = (*at, "scores", index)
            target = self.field_of(score.field, (*s_at, "field"), _CHOICE)
            if not isinstance(target, FieldDef):
                yield from target
            yield from self.bands(
                score.bands, (*s_at, "bands"), target if isinstance(target, FieldDef) else None
            )
        if q.grade is not None:
            yield from self.grade(q.grade, (*at, "grade"))
        for index, field in enumerate(self.obj.fields):
            if field.key in COUNT_FIELDS and field.type != FieldType.NUMBER:
                yield self.problem(
                    ("fields", index, "type"),
                    f"the checklist keeps a count in '{field.key}'; it must be a number field",
                )

    def field_of(
        self, key: str, path: PathKey, types: Sequence[FieldType]
    ) -> FieldDef | list[Problem]:
        """The custom field `key` if it has one of `types`, else the problems to report."""
        field = self.obj.field(key)
        wanted = " or ".join(types)
        if field is None:
            candidates = [f.key for f in self.obj.fields if f.type in types]
            return [self.problem(path, f"unknown field '{key}'", did_you_mean(key, candidates))]
        if field.type not in types:
            return [self.problem(path, f"'{key}' is a {field.type} field; a {wanted} is needed")]
        return field

    def bands(
        self, bands: Sequence[Band], path: PathKey, target: FieldDef | None
    ) -> Iterator[Problem]:
        yield from self.descending([b.at_least for b in bands], path)
        if target is None:
            return
        for index, band in enumerate(bands):
            if band.value not in target.option_keys:
                yield self.problem(
                    (*path, index, "value"),
                    f"'{band.value}' is not an option of '{target.key}'",
                    did_you_mean(band.value, target.option_keys),
                )

    def descending(self, counts: Sequence[int], path: PathKey) -> Iterator[Problem]:
        """Bands go from the highest count down and end at 0, so every count has one value."""
        for index in range(1, len(counts)):
            if counts[index] >= counts[index - 1]:
                yield self.problem(
                    (*path, index, "at_least"),
                    f"bands go from the highest count down: {counts[index]} after "
                    f"{counts[index - 1]}",
                )
        if counts and counts[-1] != 0:
            yield self.problem(
                (*path, len(counts) - 1, "at_least"),
                "the last band needs 'at_least: 0' so that every count has a value",
                "add a band with at_least: 0",
            )

    def grade(self, grade: GradeDef, at: PathKey) -> Iterator[Problem]:
        target = self.field_of(grade.field, (*at, "field"), _CHOICE)
        if not isinstance(target, FieldDef):
            yield from target
        strength = self.field_of(grade.strength, (*at, "strength"), _CHOICE)
        if not isinstance(strength, FieldDef):
            yield from strength
        yield from self.descending([b.at_least for b in grade.bands], (*at, "bands"))
        for index, band in enumerate(grade.bands):
            b_at: PathKey = (*at, "bands", index, "grades")
            if isinstance(strength, FieldDef):
                known = (*strength.option_keys, UNKNOWN_STRENGTH)
                missing = [k for k in known if k not in band.grades]
                if missing:
                    yield self.problem(
                        b_at,
                        "no grade for " + ", ".join(f"'{k}'" for k in missing),
                        f"give a grade for every option of '{strength.key}' and for "
                        f"'{UNKNOWN_STRENGTH}' (not judged yet)",
                    )
                for key in band.grades:
                    if key not in known:
                        yield self.problem(
                            (*b_at, key),
                            f"'{key}' is not an option of '{strength.key}'",
                            did_you_mean(key, known),
                        )
            if isinstance(target, FieldDef):
                for key, value in band.grades.items():
                    if value not in target.option_keys:
                        yield self.problem(
                            (*b_at, key),
                            f"'{value}' is not an option of '{target.key}'",
                            did_you_mean(value, target.option_keys),
                        )

    # -- assignment (S-26) ---------------------------------------------------------------------

    def assignment(self, assignment: AssignmentDef) -> Iterator[Problem]:
        at: PathKey = ("assignment", "rules")
        for index, key in duplicates([r.key for r in assignment.rules]):
            yield self.problem((*at, index, "key"), f"assignment rule '{key}' twice")
        catch_all: str | None = None
        for index, rule in enumerate(assignment.rules):
            r_at: PathKey = (*at, index)
            if catch_all is not None:
                yield self.problem(
                    (*r_at, "key"),
                    f"rule '{rule.key}' is never used: '{catch_all}' before it has no 'when' "
                    "and takes every lead",
                    f"move '{catch_all}' to the end or give it a condition",
                )
            if rule.when is not None:
                yield from self.c.condition(rule.when, (*r_at, "when"))
            elif catch_all is None:
                catch_all = rule.key
            if rule.pool and rule.team is not None:
                yield self.problem((*r_at, "team"), "give 'pool' or 'team', not both")
            names = [m.user.strip() for m in rule.pool]
            for m_index, name in enumerate(names):
                if not name:
                    yield self.problem(
                        (*r_at, "pool", m_index, "user"), "a pool member needs a username"
                    )
            for m_index, name in duplicates(names):
                if name:
                    yield self.problem(
                        (*r_at, "pool", m_index, "user"), f"'{name}' is in the pool twice"
                    )

    # -- conversion (S-05) ---------------------------------------------------------------------

    def conversion(self, conversion: ConversionDef) -> Iterator[Problem]:
        at: PathKey = ("conversion",)
        transitions = sorted({t.key for p in self.obj.pipelines for t in p.transitions})
        if conversion.transition not in transitions:
            yield self.problem(
                (*at, "transition"),
                f"unknown transition '{conversion.transition}'",
                did_you_mean(conversion.transition, transitions),
            )
        lead_types = self.c.types
        for target_type in (ObjectType.ACCOUNT, ObjectType.CONTACT, ObjectType.DEAL):
            target_obj = self.playbook.object(target_type)
            writable = {
                **{k: CORE_FIELDS[target_type][k] for k in REQUIRABLE_CORE_FIELDS[target_type]},
                **{f.key: f.type for f in target_obj.fields},
            }
            mapping: dict[str, str] = getattr(conversion, target_type.value)
            for target, source in mapping.items():
                m_at: PathKey = (*at, target_type.value, target)
                if target not in writable:
                    yield self.problem(
                        m_at,
                        f"'{target}' is not a field of a {target_type} that conversion can fill",
                        did_you_mean(target, sorted(writable)),
                    )
                if source not in lead_types:
                    yield self.problem(
                        m_at,
                        f"'{source}' is not a lead field",
                        did_you_mean(source, sorted(lead_types)),
                    )
                if target in writable and source in lead_types:
                    yield from self.conversion_fits(
                        source, target, target_type, writable[target], m_at
                    )

    def conversion_fits(
        self,
        source: str,
        target: str,
        target_type: ObjectType,
        target_kind: FieldType,
        at: PathKey,
    ) -> Iterator[Problem]:
        """A value copied across must fit the field it lands in: same type, known options."""
        source_kind = self.c.types[source]
        if source_kind != target_kind:
            yield self.problem(
                at,
                f"the lead's '{source}' is a {source_kind} field, the {target_type}'s "
                f"'{target}' a {target_kind} field",
            )
            return
        source_def = self.obj.field(source)
        target_def = self.playbook.object(target_type).field(target)
        if source_def is None or target_def is None or not source_def.options:
            return
        missing = [k for k in source_def.option_keys if k not in target_def.option_keys]
        if missing:
            yield self.problem(
                at,
                f"options of the lead's '{source}' that the {target_type}'s '{target}' lacks: "
                + ", ".join(missing),
            )

    # -- intake forms (S-25) -------------------------------------------------------------------

    def checks_forms(self) -> bool:
        """The forms belong to the playbook, not to one object: the lead's checker checks them,
        or, in a playbook without leads, the first object's."""
        if ObjectType.LEAD in self.playbook.objects:
            return self.object_type == ObjectType.LEAD
        return next(iter(self.playbook.objects), None) == self.object_type

    def forms(self) -> Iterator[Problem]:
        lead = self.playbook.object(ObjectType.LEAD)
        fillable = sorted(REQUIRABLE_CORE_FIELDS[ObjectType.LEAD] | {f.key for f in lead.fields})
        problem = self.c.source.problem
        for index, key in duplicates([f.key for f in self.playbook.intake_forms]):
            yield problem(("intake_forms", index, "key"), f"form '{key}' twice")
        for index, form in enumerate(self.playbook.intake_forms):
            yield from self.form(form, ("intake_forms", index), fillable)

    def form(self, form: IntakeForm, at: PathKey, fillable: list[str]) -> Iterator[Problem]:
        problem = self.c.source.problem
        filled: dict[str, str] = {}
        for name, target in form.fields.items():
            if target not in fillable:
                yield problem(
                    (*at, "fields", name),
                    f"'{target}' is not a lead field a form can fill",
                    did_you_mean(target, fillable),
                )
            elif target in filled:
                yield problem(
                    (*at, "fields", name),
                    f"'{target}' is filled by the input '{filled[target]}' already",
                )
            else:
                filled[target] = name
        if "name" not in filled:
            yield problem(
                (*at, "fields"), "a form must fill the lead's name", "add e.g. 'name: name'"
            )
        inputs = list(form.fields)
        for r_index, name in enumerate(form.required):
            if name not in form.fields:
                yield problem(
                    (*at, "required", r_index),
                    f"'{name}' is not an input of this form",
                    did_you_mean(name, inputs),
                )
        if form.source not in LEAD_SOURCES:
            yield problem(
                (*at, "source"),
                f"unknown lead source '{form.source}'",
                did_you_mean(form.source, LEAD_SOURCES),
            )
