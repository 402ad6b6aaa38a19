"""The blueprint as a Mermaid state diagram: stages, transitions with the fields they require,
approvals, sub-states. `sopcrm playbook diagram` prints it; the web UI renders it locally."""

from django.utils.translation import gettext as _
from django.utils.translation import override

from .schema import ObjectDef, ObjectType, Pipeline, Playbook, StageKind


def _node(key: str) -> str:
    return f"s_{key}"


def _escape(text: str) -> str:
    # Mermaid labels cannot hold ':' after the first one, nor quotes and angle brackets.
    return text.replace(":", "∶").replace('"', "'").replace("<", "‹").replace(">", "›")


def _field_label(obj: ObjectDef | None, key: str, language: str) -> str:
    field = obj.field(key) if obj is not None else None
    return field.label.for_language(language) if field is not None else key


def pipeline_diagram(
    pipeline: Pipeline, *, language: str = "en", obj: ObjectDef | None = None
) -> str:
    """The pipeline as Mermaid text, labelled in `language` (field labels from `obj`)."""
    with override("zh-hans" if language.startswith("zh") else "en"):
        return _diagram(pipeline, language, obj)


def _diagram(pipeline: Pipeline, language: str, obj: ObjectDef | None) -> str:
    lines = ["stateDiagram-v2", "    direction LR"]
    for stage in pipeline.stages:
        label = _escape(stage.label.for_language(language))
        if stage.substates:
            lines.append(f'    state "{label}" as {_node(stage.key)} {{')
            for sub in stage.substates:
                sub_label = _escape(sub.label.for_language(language))
                lines.append(f'        state "{sub_label}" as {_node(stage.key)}__{sub.key}')
            first = stage.substates[0].key
            lines.append(f"        [*] --> {_node(stage.key)}__{first}")
            for a, b in zip(stage.substates, stage.substates[1:], strict=False):
                lines.append(f"        {_node(stage.key)}__{a.key} --> {_node(stage.key)}__{b.key}")
            lines.append("    }")
        else:
            lines.append(f'    state "{label}" as {_node(stage.key)}')
    lines.append(f"    [*] --> {_node(pipeline.initial_stage.key)}")
    for transition in pipeline.transitions:
        target = transition.to.partition(".")[0]
        parts = [transition.label.for_language(language)]
        if transition.requires:
            labels = ", ".join(_field_label(obj, key, language) for key in transition.requires)
            parts.append(_("requires %(fields)s") % {"fields": labels})
        if transition.approval is not None:
            parts.append(_("approval if %(condition)s") % {"condition": transition.approval.when})
        text = _escape(" · ".join(parts))
        origins = transition.from_
        if "*" in origins:
            origins = tuple(s.key for s in pipeline.stages if s.kind == StageKind.OPEN)
        for origin in origins:
            source = origin.partition(".")[0]
            if source != target:
                lines.append(f"    {_node(source)} --> {_node(target)}: {text}")
    for stage in pipeline.stages:
        if stage.kind != StageKind.OPEN:
            lines.append(f"    {_node(stage.key)} --> [*]")
    return "\n".join(lines) + "\n"


def playbook_diagrams(playbook: Playbook, *, language: str = "en") -> dict[str, str]:
    """One diagram per pipeline, keyed 'object.pipeline'."""
    return {
        f"{object_type.value}.{pipeline.key}": pipeline_diagram(
            pipeline, language=language, obj=playbook.object(object_type)
        )
        for object_type in ObjectType
        for pipeline in playbook.object(object_type).pipelines
    }
