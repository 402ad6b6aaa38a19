"""Small helpers the playbook checks share: finding repeated keys and suggesting a key."""

from collections.abc import Iterator, Sequence
from difflib import get_close_matches


def duplicates(keys: Sequence[str]) -> Iterator[tuple[int, str]]:
    seen: set[str] = set()
    for index, key in enumerate(keys):
        if key in seen:
            yield index, key
        seen.add(key)


def did_you_mean(wrong: str, known: Sequence[str]) -> str:
    close = get_close_matches(wrong, list(known), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else f"known: {', '.join(sorted(known))}"
