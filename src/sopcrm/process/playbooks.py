"""Storing, activating and reading playbook versions."""

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Max

from sopcrm.core.clock import now
from sopcrm.core.errors import NotFound
from sopcrm.core.models import User
from sopcrm.playbook.loader import bundled_playbook_path, load_playbook
from sopcrm.playbook.schema import Playbook

from .models import PlaybookVersion


@transaction.atomic
def playbook_activate(*, source: str, source_name: str, actor: User | None) -> PlaybookVersion:
    """Check `source` and make it the active version (PlaybookError lists every problem)."""
    playbook, _source_map = load_playbook(source, source_name)
    # Lock the current active row so two concurrent activations cannot both become active.
    list(PlaybookVersion.objects.select_for_update().filter(is_active=True))
    last = PlaybookVersion.objects.filter(key=playbook.key).aggregate(n=Max("number"))["n"] or 0
    PlaybookVersion.objects.filter(is_active=True).update(is_active=False)
    return PlaybookVersion.objects.create(
        key=playbook.key,
        number=last + 1,
        source=source,
        source_name=source_name,
        compiled=playbook.model_dump(mode="json", by_alias=True),
        is_active=True,
        applied_at=now(),
        applied_by=actor,
    )


def playbook_ensure_default(name: str) -> PlaybookVersion:
    """The active version, activating the named bundled playbook (or file) if there is none."""
    active = PlaybookVersion.objects.filter(is_active=True).first()
    if active is not None:
        return active
    path = bundled_playbook_path(name)
    return playbook_activate(
        source=Path(path).read_text(encoding="utf-8"), source_name=path.name, actor=None
    )


@lru_cache(maxsize=64)
def _compiled(version_id: uuid.UUID) -> Playbook:
    # Versions are immutable, so a parsed playbook can be cached for the life of the process.
    version = PlaybookVersion.objects.get(pk=version_id)
    return Playbook.model_validate_json(json.dumps(version.compiled))


def playbook_for_version(version_id: uuid.UUID) -> Playbook:
    return _compiled(version_id)


# The version `active_version_pinned` read, while its block runs.
_pinned: ContextVar[PlaybookVersion | None] = ContextVar("active_version_pinned", default=None)


def active_version() -> PlaybookVersion:
    pinned = _pinned.get()
    if pinned is not None:
        return pinned
    version = PlaybookVersion.objects.filter(is_active=True).only("id", "key", "number").first()
    if version is None:
        raise NotFound("No playbook is active; run `sopcrm playbook apply FILE`.")
    return version


@contextmanager
def active_version_pinned() -> Iterator[PlaybookVersion]:
    """Read the active version once and answer `active_version()` with it while the block runs:
    for a batch (intake, many leads in one transaction) that would otherwise read it several
    times per record. A version activated meanwhile applies from the next block on, as it
    would to a transaction that had started already."""
    version = active_version()
    token = _pinned.set(version)
    try:
        yield version
    finally:
        _pinned.reset(token)


def playbook_of_record(record: Any) -> Playbook:
    """The playbook version a record runs under; accounts and contacts (which remember no
    version) follow the active one."""
    version_id = getattr(record, "playbook_version_id", None) or active_version().pk
    return playbook_for_version(version_id)
