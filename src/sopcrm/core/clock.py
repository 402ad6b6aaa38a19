"""The one place the code reads the current time.

Every service takes the time from `now()` so tests can freeze it (time-machine patches the clock
underneath Django's timezone.now as well).
"""

from datetime import datetime

from django.utils import timezone


def now() -> datetime:
    return timezone.now()
