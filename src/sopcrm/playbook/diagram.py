"""The blueprint as a Mermaid state diagram: stages, transitions with the fields they require,
approvals, sub-states. `sopcrm playbook diagram` prints it; the web UI renders it locally."""

from .schema import ObjectType, Pipeline, Playbook, StageKind


def _node(key: str) -> str:
    return f"s_{key}"


def _escape(text: str) -> str:
    # Mermaid labels cannot hold ':' after the first one, nor quotes and angle brackets.
    return text.replace(":", "∶").replace('"', "'").replace("<", "‹").replace(">", "›")


def pipeline_diagram(pipeline: Pipeline, *, language: str = "en") -> str:
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
            parts.append("requires " + ", ".join(transition.requires))
        if transition.approval is not None:
            parts.append("approval if " + transition.approval.when)
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
        f"{object_type.value}.{pipeline.key}": pipeline_diagram(pipeline, language=language)
        for object_type in ObjectType
        for pipeline in playbook.object(object_type).pipelines
    }
