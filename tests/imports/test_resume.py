"""A lead import whose worker died mid-run is taken over by another worker once its heartbeat
is older than the lease, and finished from its saved progress: each row in once, the counts
and the error file going on. The clock is frozen (conftest: Monday noon in Shanghai); a worker
"dies" by an exception nothing in the run catches, as SIGKILL stops it between two statements."""

import csv
import io
from collections import Counter
from datetime import timedelta

import pytest
import time_machine

from sopcrm.crm.imports.models import ImportJob, ImportStatus
from sopcrm.crm.imports.running import (
    LEASE,
    import_claim_stale,
    import_run,
    import_stale,
    import_take_over,
)
from sopcrm.crm.imports.services import import_upload
from sopcrm.crm.records.models import Lead

from .conftest import at, csv_bytes

pytestmark = pytest.mark.usefixtures("monday_noon")

NOON = at(2025, 11, 3, 12)
SECOND = timedelta(seconds=1)
BAD = {3, 30}  # rows with an unreadable e-mail
REPEATS = {45: 5, 50: 3}  # row -> the earlier row it repeats, cell for cell


def rows() -> list[list[str]]:
    table = [
        [f"Buyer {n}", "not-an-email" if n in BAD else f"buyer{n}@shop{n}.example"]
        for n in range(60)
    ]
    for n, earlier in REPEATS.items():
        table[n] = list(table[earlier])
    return table


class Killed(BaseException):
    """The worker stopping dead: not an Exception, so the run records no failure."""


def killed_after_first_batch(job: ImportJob) -> None:
    raise Killed


def half_done(people, *, dry_run: bool = False) -> ImportJob:
    """A job whose worker died after its first batch of 20 rows (of 60): `running`, 20 rows
    committed."""
    job = import_upload(
        actor=people.east_manager,
        file_bytes=csv_bytes(["Name", "Email"], rows()),
        file_name="leads.csv",
        dry_run=dry_run,
    )
    with pytest.raises(Killed):
        import_run(
            job,
            actor=people.east_manager,
            progress_every=20,
            on_progress=killed_after_first_batch,
        )
    job.refresh_from_db()
    assert (job.status, job.processed_rows) == (ImportStatus.RUNNING, 20)
    return job


def after_the_lease():
    return time_machine.travel(NOON + LEASE + SECOND, tick=False)


def counts(job: ImportJob) -> tuple[int, ...]:
    return (
        job.processed_rows,
        job.created_count,
        job.linked_count,
        job.merged_count,
        job.skipped_count,
        job.error_count,
    )


def test_a_stale_running_job_is_taken_over_and_finished_with_the_counts_of_one_run(people):
    job = half_done(people)
    with after_the_lease():
        taken = import_take_over()
    assert taken is not None and taken.pk == job.pk
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    # 60 rows: 3 with errors (rows 3, 30 and 50, the repeat of 3), 1 repeat skipped (45).
    assert counts(job) == (60, 56, 0, 0, 1, 3)


def test_a_job_taken_over_imports_each_row_once(people):
    half_done(people)
    with after_the_lease():
        import_take_over()
    emails = Counter(Lead.objects.values_list("email", flat=True))
    good = {email for _name, email in rows() if email != "not-an-email"}
    assert len(good) == 56
    assert emails == dict.fromkeys(good, 1)


def test_the_error_file_goes_on_after_a_take_over(people):
    job = half_done(people)
    with after_the_lease():
        import_take_over()
    job.refresh_from_db()
    lines = list(csv.reader(io.StringIO(job.errors_csv)))
    assert lines[0] == ["Name", "Email", "row", "errors"]  # the header once
    # Rows numbered as Excel does (the header is row 1).
    assert [line[2] for line in lines[1:]] == ["5", "32", "52"]


def test_a_running_job_with_a_fresh_heartbeat_is_not_taken_over(people):
    job = half_done(people)
    with time_machine.travel(NOON + LEASE - SECOND, tick=False):
        assert import_take_over() is None
    job.refresh_from_db()
    assert (job.status, job.processed_rows) == (ImportStatus.RUNNING, 20)
    assert Lead.objects.count() == 19  # the first batch: 20 rows, row 3 with an error


def test_of_two_workers_taking_a_stale_job_over_at_once_one_wins(people):
    job = half_done(people)
    with after_the_lease():
        seen_by_one, seen_by_other = import_stale(), import_stale()
        assert seen_by_one == seen_by_other == [(job.pk, NOON)]
        assert import_claim_stale(*seen_by_one[0]) is True
        assert import_claim_stale(*seen_by_other[0]) is False
        assert import_stale() == []


def test_a_runner_taken_over_stops_and_commits_nothing_more(people):
    """A worker only slower than the lease: its next batch finds the heartbeat changed, rolls
    back and stops; the job stays with its new runner."""
    job = import_upload(
        actor=people.east_manager,
        file_bytes=csv_bytes(["Name", "Email"], rows()),
        file_name="leads.csv",
    )

    def taken_over_meanwhile(job: ImportJob) -> None:
        with after_the_lease():
            [(pk, heartbeat_at)] = import_stale()
            assert import_claim_stale(pk, heartbeat_at)

    with pytest.raises(Exception, match="Another worker took this import over"):
        import_run(
            job, actor=people.east_manager, progress_every=20, on_progress=taken_over_meanwhile
        )
    job.refresh_from_db()
    assert (job.status, job.processed_rows) == (ImportStatus.RUNNING, 20)
    assert Lead.objects.count() == 19


def test_a_dry_run_taken_over_gives_the_counts_of_a_whole_dry_run_and_writes_nothing(people):
    job = half_done(people, dry_run=True)
    with after_the_lease():
        import_take_over()
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    assert counts(job) == (60, 56, 0, 0, 1, 3)
    assert not Lead.objects.exists()


def test_with_nothing_stale_the_take_over_does_nothing(people):
    assert import_take_over() is None


def test_ctrl_c_on_a_run_fails_the_job_so_no_worker_takes_it_over(people):
    job = import_upload(
        actor=people.east_manager,
        file_bytes=csv_bytes(["Name", "Email"], rows()),
        file_name="leads.csv",
    )

    def interrupted(job: ImportJob) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        import_run(job, actor=people.east_manager, progress_every=20, on_progress=interrupted)
    job.refresh_from_db()
    assert (job.status, job.processed_rows) == (ImportStatus.FAILED, 20)
    with after_the_lease():
        assert import_take_over() is None
