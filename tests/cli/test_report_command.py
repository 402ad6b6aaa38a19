"""`sopcrm report monthly`: the monthly SOP review written as XLSX (and CSV) for a named user;
bad input is one line on stderr naming the option, exit status 2, and no file."""

import csv
import io
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, ManagementUtility, call_command
from django.db import connections
from openpyxl import load_workbook

from sopcrm.cli.management.commands import report

from ..reports.conftest import frozen  # noqa: F401 (the frozen-clock fixture)
from ..reports.test_monthly import english, october  # noqa: F401 (the October history)


@pytest.fixture
def deals(request):
    """The October history of the review's tests (tests/reports/test_monthly.py): its deals."""
    return request.getfixturevalue("october")


def monthly(*args):
    out = StringIO()
    call_command("report", "monthly", *args, stdout=out)
    return out.getvalue()


def files_in(directory: Path) -> list[str]:
    return sorted(str(path.relative_to(directory)) for path in directory.rglob("*"))


def test_the_command_writes_the_workbook_and_says_where(people, deals, tmp_path):
    target = tmp_path / "review.xlsx"
    printed = monthly("--month", "2026-10", "--as", "east_manager", "--out", str(target))
    assert printed == f"Wrote {target}\n"
    summary = load_workbook(target)["Summary"]
    assert summary["A1"].value == "Monthly SOP review: October 2026, team East"
    assert [summary.cell(6, column).value for column in (3, 4, 5)] == [0.333, 1, 3]


def test_by_default_the_first_active_admin_writes_into_the_current_directory(
    people, deals, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    monthly("--month", "2026-10")
    assert files_in(tmp_path) == ["sopcrm-review-2026-10.xlsx"]
    summary = load_workbook(tmp_path / "sopcrm-review-2026-10.xlsx")["Summary"]
    assert (summary["A1"].value, summary["B3"].value) == (
        "Monthly SOP review: October 2026, all teams",
        "admin",
    )
    assert os.stat(tmp_path / "sopcrm-review-2026-10.xlsx").st_mode & 0o644 == 0o644


def test_csv_writes_one_file_per_sheet_beside_the_workbooks_name(people, deals, tmp_path):
    (tmp_path / "csv").mkdir()
    printed = monthly(
        "--month", "2026-10", "--team", str(people.east.pk), "--out", str(tmp_path / "east.xlsx"),
        "--csv", str(tmp_path / "csv"),
    )  # fmt: skip
    names = ["east-summary.csv", "east-examples.csv", "east-reps.csv"]
    assert files_in(tmp_path) == ["csv", *sorted(f"csv/{name}" for name in names), "east.xlsx"]
    assert printed.splitlines()[1:] == [f"Wrote {tmp_path / 'csv' / name}" for name in names]
    content = (tmp_path / "csv" / "east-summary.csv").read_bytes()
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[5][:5] == ["24-hour response rate", "", "33.3%", "1", "3"]


def test_the_examples_can_be_named(people, deals, tmp_path):
    target = tmp_path / "review.xlsx"
    monthly("--month", "2026-10", "--as", "alice", "--lost", str(deals["pumps"].pk),
            "--out", str(target))  # fmt: skip
    examples = load_workbook(target).worksheets[1]
    titles = [row[1] for row in examples.iter_rows(values_only=True) if row[0] == "Deal"]
    assert titles == ["Valves", "Pumps"]


def test_the_review_is_in_the_language_of_the_user_it_is_for(people, deals, tmp_path):
    people.alice.language = "zh-hans"
    people.alice.save()
    target = tmp_path / "review.xlsx"
    monthly("--month", "2026-10", "--as", "alice", "--out", str(target))
    book = load_workbook(target)
    assert book.sheetnames[0] == "摘要"
    assert "2026年10月" in book.worksheets[0]["A1"].value


def run_failing(argv, capsys, monkeypatch):
    """Run the command as the console does; returns (exit status, stderr lines)."""
    # The console closes the connections when it ends; a test's transaction must stay open.
    monkeypatch.setattr(connections, "close_all", lambda: None)
    with pytest.raises(SystemExit) as exited:
        ManagementUtility(["sopcrm", "report", "monthly", *argv]).execute()
    return exited.value.code, capsys.readouterr().err.splitlines()


@pytest.mark.parametrize(
    ("argv", "option"),
    [
        (["--month", "2026-13"], "--month"),
        (["--month", "10/2026"], "--month"),
        (["--month", "2026-10", "--team", "east"], "--team"),
        (["--month", "2026-10", "--team", "999999"], "--team"),
        (["--month", "2026-10", "--as", "nobody"], "--as"),
        (["--month", "2026-10", "--won", "{pumps}"], "--won"),
        (["--month", "2026-10", "--as", "alice", "--lost", "{flanges}"], "--lost"),
        (["--month", "2026-10", "--out", "{tmp}/missing/review.xlsx"], "--out"),
        (["--month", "2026-10", "--out", "{tmp}"], "--out"),
        (["--month", "2026-10", "--out", "{tmp}/review.xlsx", "--csv", "{tmp}/none"], "--csv"),
    ],
)
def test_bad_input_is_one_line_naming_the_option_with_status_2_and_no_file(
    people, deals, tmp_path, monkeypatch, capsys, argv, option
):
    monkeypatch.chdir(tmp_path)
    values = {"tmp": tmp_path, "pumps": deals["pumps"].pk, "flanges": deals["flanges"].pk}
    status, errors = run_failing([arg.format(**values) for arg in argv], capsys, monkeypatch)
    assert status == 2
    assert len(errors) == 1 and errors[0].startswith(f"CommandError: {option}: "), errors
    assert files_in(tmp_path) == []


def test_without_an_active_admin_it_asks_for_a_user(people, deals, capsys, monkeypatch):
    people.admin.is_active = False
    people.admin.save()
    status, errors = run_failing(["--month", "2026-10"], capsys, monkeypatch)
    assert (status, errors) == (
        2,
        ["CommandError: --as: There is no active administrator; name a user."],
    )


def test_a_csv_name_taken_by_a_directory_writes_nothing(people, deals, tmp_path):
    (tmp_path / "csv" / "review-reps.csv").mkdir(parents=True)
    with pytest.raises(CommandError, match=r"--csv: .*review-reps\.csv is a directory"):
        monthly("--month", "2026-10", "--out", str(tmp_path / "review.xlsx"),
                "--csv", str(tmp_path / "csv"))  # fmt: skip
    assert files_in(tmp_path) == ["csv", "csv/review-reps.csv"]


def test_a_failed_write_removes_every_file_it_had_begun(people, deals, tmp_path, monkeypatch):
    (tmp_path / "csv").mkdir()
    real_fdopen = os.fdopen
    opened = []

    class FullDisk:
        def __init__(self, stream):
            self.stream = stream

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.stream.close()

        def write(self, data):
            raise OSError(28, "No space left on device")

    def fdopen(handle, mode):
        opened.append(handle)
        stream = real_fdopen(handle, mode)
        return FullDisk(stream) if len(opened) == 3 else stream  # the second CSV file

    monkeypatch.setattr(report.os, "fdopen", fdopen)
    with pytest.raises(CommandError, match=r"--csv: Cannot write .*No space left on device"):
        monthly("--month", "2026-10", "--out", str(tmp_path / "review.xlsx"),
                "--csv", str(tmp_path / "csv"))  # fmt: skip
    assert files_in(tmp_path) == ["csv"]


def test_the_console_script_prints_one_line_and_exits_2(tmp_path):
    work, data = tmp_path / "work", tmp_path / "data"
    work.mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "sopcrm.cli.main", "report", "monthly", "--month", "2026-1"],
        cwd=work,
        env={
            **{
                k: v
                for k, v in os.environ.items()
                if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
            },
            "SOPCRM_DATA_DIR": str(data),
            "SOPCRM_LANGUAGE": "en",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (done.returncode, done.stdout) == (2, ""), done.stderr
    assert done.stderr.splitlines() == [
        "CommandError: --month: Give the month as YYYY-MM, e.g. 2026-10."
    ]
    assert files_in(work) == []
