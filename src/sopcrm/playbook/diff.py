"""What changed between two playbook versions, for `sopcrm playbook apply` to show before it
activates a new one (stages, transitions, fields, task templates)."""

from collections.abc import Iterable
from dataclasses import dataclass, field

from pydantic import BaseModel

from .schema import ObjectType, Playbook


@dataclass
class Changes:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed)


@dataclass
class PlaybookDiff:
    sections: dict[str, Changes]

    def __bool__(self) -> bool:
        return any(self.sections.values())

    def lines(self) -> list[str]:
        out = []
        for name, changes in self.sections.items():
            for sign, items in (
                ("+", changes.added),
                ("-", changes.removed),
                ("~", changes.changed),
            ):
                out += [f"  {sign} {name} {item}" for item in items]
        return out or ["  (no changes)"]


def _compare(old: dict[str, BaseModel], new: dict[str, BaseModel]) -> Changes:
    return Changes(
        added=sorted(set(new) - set(old)),
        removed=sorted(set(old) - set(new)),
        changed=sorted(k for k in set(old) & set(new) if old[k] != new[k]),
    )


def _items(playbook: Playbook, kind: str) -> dict[str, BaseModel]:
    result: dict[str, BaseModel] = {}
    for object_type in ObjectType:
        obj = playbook.object(object_type)
        prefix = object_type.value
        groups: Iterable[tuple[str, BaseModel]]
        if kind == "field":
            groups = ((f"{prefix}.{f.key}", f) for f in obj.fields)
        elif kind == "task":
            groups = ((f"{prefix}.{t.key}", t) for t in obj.tasks)
        elif kind == "stage":
            groups = ((f"{prefix}.{p.key}.{s.key}", s) for p in obj.pipelines for s in p.stages)
        else:
            groups = (
                (f"{prefix}.{p.key}.{t.key}", t) for p in obj.pipelines for t in p.transitions
            )
        result.update(groups)
    return result


def playbook_diff(old: Playbook, new: Playbook) -> PlaybookDiff:
    sections = {
        kind + "s": _compare(_items(old, kind), _items(new, kind))
        for kind in ("stage", "transition", "field", "task")
    }
    sections["email templates"] = _compare(
        {t.key: t for t in old.email_templates}, {t.key: t for t in new.email_templates}
    )
    if old.calendar != new.calendar:
        sections["calendar"] = Changes(changed=["calendar"])
    return PlaybookDiff(sections)
