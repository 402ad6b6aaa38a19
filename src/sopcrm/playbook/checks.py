"""Checks a schema cannot express: keys unique within their list, options where a type needs
them, and stages that make sense. Each problem carries the position of the offending key."""

from collections.abc import Iterator, Sequence

from sopcrm.core.fieldtypes import FieldType

from .loader import PathKey, Problem, SourceMap
from .schema import ObjectDef, Playbook, StageKind


def _duplicates(keys: Sequence[str]) -> Iterator[tuple[int, str]]:
    seen: set[str] = set()
    for index, key in enumerate(keys):
        if key in seen:
            yield index, key
        seen.add(key)


def _object_problems(obj: ObjectDef, base: PathKey, source: SourceMap) -> Iterator[Problem]:
    for index, key in _duplicates([f.key for f in obj.fields]):
        yield source.problem((*base, "fields", index, "key"), f"field '{key}' is defined twice")
    for index, field in enumerate(obj.fields):
        at = (*base, "fields", index)
        needs_options = field.type in (FieldType.CHOICE, FieldType.MULTI_CHOICE)
        if needs_options and not field.options:
            yield source.problem(
                (*at, "type"), f"a {field.type} field needs options", "add 'options: [...]'"
            )
        if field.options and not needs_options:
            yield source.problem((*at, "options"), f"a {field.type} field takes no options")
        for option_index, key in _duplicates(field.option_keys):
            yield source.problem((*at, "options", option_index, "key"), f"option '{key}' twice")
        if not set(field.editable_by) <= set(field.visible_to):
            yield source.problem(
                (*at, "editable_by"),
                "a role may edit a field it cannot see",
                "list in editable_by only roles that are in visible_to",
            )
    for index, key in _duplicates([p.key for p in obj.pipelines]):
        yield source.problem((*base, "pipelines", index, "key"), f"pipeline '{key}' twice")
    for p_index, pipeline in enumerate(obj.pipelines):
        at = (*base, "pipelines", p_index)
        for index, key in _duplicates([s.key for s in pipeline.stages]):
            yield source.problem((*at, "stages", index, "key"), f"stage '{key}' twice")
        if pipeline.initial_stage.kind != StageKind.OPEN:
            yield source.problem(
                (*at, "stages", 0, "kind"), "the first stage, where records start, must be open"
            )


def semantic_problems(playbook: Playbook, source: SourceMap) -> Iterator[Problem]:
    for object_type, obj in playbook.objects.items():
        yield from _object_problems(obj, ("objects", object_type.value), source)
