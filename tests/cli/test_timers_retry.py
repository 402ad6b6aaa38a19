"""`sopcrm timers --failed` and `--retry`: a timer that failed five times can be put back."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from sopcrm.core.clock import now
from sopcrm.process.models import Timer, TimerKind, TimerStatus


def failed_timer(**extra):
    return Timer.objects.create(
        kind=TimerKind.DATE,
        record_type="deal",
        record_id=1,
        key="quote_expiring",
        due_at=now(),
        created_at=now(),
        fired_at=now(),
        status=TimerStatus.FAILED,
        attempts=5,
        last_error="RuntimeError('boom')",
        **extra,
    )


def run(*args):
    out = StringIO()
    call_command("timers", *args, stdout=out)
    return out.getvalue()


def test_failed_timers_are_listed_with_their_error(db):
    timer = failed_timer()
    assert f"{timer.pk}" in run("--failed") and "RuntimeError('boom')" in run("--failed")


def test_retry_puts_a_failed_timer_back_due_now(db):
    timer = failed_timer()
    assert "will fire on the next tick" in run("--retry", str(timer.pk))
    timer.refresh_from_db()
    assert (timer.status, timer.attempts, timer.fired_at) == (TimerStatus.PENDING, 0, None)


def test_retry_of_a_timer_that_did_not_fail_is_refused(db):
    with pytest.raises(CommandError, match="No failed timer 999"):
        run("--retry", "999")


def test_retry_is_refused_when_a_newer_timer_for_the_same_deadline_is_pending(db):
    timer = failed_timer()
    Timer.objects.create(
        kind=timer.kind,
        record_type="deal",
        record_id=1,
        key="quote_expiring",
        due_at=now(),
        created_at=now(),
    )
    with pytest.raises(CommandError, match="newer timer"):
        run("--retry", str(timer.pk))
