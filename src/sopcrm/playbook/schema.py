"""The structure of a playbook file, as strict pydantic models.

Unknown keys are errors (a misspelt `requried` must not be silently ignored), values are not
coerced, and every model is frozen: a compiled playbook is shared between requests and never
changes after it is loaded.
"""

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from sopcrm.core.fieldtypes import FieldType

Key = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,62}$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Label(Strict):
    """A text in each shipped language. `en` is required; `zh` falls back to `en`."""

    en: str = Field(min_length=1)
    zh: str | None = None

    def for_language(self, language: str | None) -> str:
        if language and language.lower().startswith("zh") and self.zh:
            return self.zh
        return self.en


class ObjectType(StrEnum):
    LEAD = "lead"
    DEAL = "deal"
    ACCOUNT = "account"
    CONTACT = "contact"


class RoleName(StrEnum):
    REP = "rep"
    MANAGER = "manager"
    ADMIN = "admin"


ALL_ROLES = (RoleName.REP, RoleName.MANAGER, RoleName.ADMIN)


class Option(Strict):
    key: Key
    label: Label


class FieldDef(Strict):
    key: Key
    label: Label
    type: FieldType
    help: Label | None = None
    options: tuple[Option, ...] = ()
    visible_to: tuple[RoleName, ...] = ALL_ROLES
    editable_by: tuple[RoleName, ...] = ALL_ROLES

    @property
    def option_keys(self) -> tuple[str, ...]:
        return tuple(o.key for o in self.options)

    def option_label(self, key: str, language: str | None) -> str:
        for option in self.options:
            if option.key == key:
                return option.label.for_language(language)
        return key


class StageKind(StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"


class Stage(Strict):
    key: Key
    label: Label
    kind: StageKind = StageKind.OPEN
    probability: int = Field(ge=0, le=100)
    expected_days: int | None = Field(default=None, ge=0)
    idle_days: int | None = Field(default=None, ge=1)


class Pipeline(Strict):
    key: Key
    label: Label
    stages: tuple[Stage, ...] = Field(min_length=1)

    def stage(self, key: str) -> Stage | None:
        return next((s for s in self.stages if s.key == key), None)

    @property
    def initial_stage(self) -> Stage:
        return self.stages[0]


class ObjectDef(Strict):
    fields: tuple[FieldDef, ...] = ()
    pipelines: tuple[Pipeline, ...] = ()

    def field(self, key: str) -> FieldDef | None:
        return next((f for f in self.fields if f.key == key), None)

    def pipeline(self, key: str) -> Pipeline | None:
        return next((p for p in self.pipelines if p.key == key), None)

    @property
    def default_pipeline(self) -> Pipeline | None:
        return self.pipelines[0] if self.pipelines else None


class Playbook(Strict):
    key: Key
    name: Label
    description: Label | None = None
    objects: dict[ObjectType, ObjectDef] = Field(default_factory=dict)

    def object(self, object_type: ObjectType | str) -> ObjectDef:
        return self.objects.get(ObjectType(object_type)) or ObjectDef()


def _collect_keys() -> frozenset[str]:
    keys: set[str] = set()
    for model in (Label, Option, FieldDef, Stage, Pipeline, ObjectDef, Playbook):
        keys.update(model.model_fields)
    return frozenset(keys)


KNOWN_KEYS = _collect_keys()
