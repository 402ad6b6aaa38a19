"""The one place the code reads the current time.

Every service takes the time from `now()`, never from `timezone.now()` directly, for two reasons:

- tests freeze it (time-machine patches the clock underneath Django's timezone.now as well);
- `as_of(moment)` runs code as if it were `moment`: the services then write what they would
  have written then (created_at, events, response clocks, timers, due times). The demo builds
  its weeks of history this way, through the real write path instead of back-dated rows.

Inside `as_of`, time stands still: every `now()` returns the same moment, so one block is one
instant of the history. The moment lives in a context variable, so it applies to the current
thread (or asyncio task) only: a web request served meanwhile by another thread still gets the
real time.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

from django.utils import timezone

# The moment `as_of` set for the current context; None: the real time.
_as_of: ContextVar[datetime | None] = ContextVar("sopcrm_clock_as_of", default=None)


def now() -> datetime:
    """The current moment: the one `as_of` set, else the real time (timezone.now())."""
    moment = _as_of.get()
    return moment if moment is not None else timezone.now()


@contextmanager
def as_of(moment: datetime) -> Iterator[datetime]:
    """Run the block as of `moment` (an aware datetime): `now()` returns it until the block
    ends, then whatever it returned before (so blocks nest). The moment is given in UTC, as
    timezone.now() gives it."""
    if timezone.is_naive(moment):
        raise ValueError(
            f"as_of() needs a timezone-aware datetime, got the naive {moment.isoformat()}: "
            "say which time zone it is in (tzinfo)."
        )
    at = moment.astimezone(UTC)
    token = _as_of.set(at)
    try:
        yield at
    finally:
        _as_of.reset(token)
