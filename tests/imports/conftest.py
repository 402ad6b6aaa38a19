"""Helpers for the import tests: files in the shapes other systems export, the CLI run the way an
operator runs it, and the clock frozen on Monday 3 November 2025, 12:00 in Shanghai, two hours
after the rows' inquiries arrived."""

import csv
import io
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

SH = ZoneInfo("Asia/Shanghai")

ZOHO_HEADER = [
    "First Name",
    "Last Name",
    "Company",
    "Email",
    "Phone",
    "Mobile",
    "Country",
    "Lead Source",
    "Description",
    "Created Time",
    "Industry",
]
ZOHO_ROWS = [
    [
        "Ann",
        "Lee",
        "Acme Pumps",
        "ann@acme-pumps.example",
        "+1 212 555 0100",
        "",
        "United States",
        "Trade Show",
        "Need 500 valves",
        "2025-11-03 10:00:00",
        "Water treatment",
    ],
    [
        "Bo",
        "Chen",
        "Chen Trading",
        "bo@chen-trading.example",
        "",
        "13800138000",
        "China",
        "Web Download",
        "DN50 price?",
        "2025-11-03 10:00:00",
        "",
    ],
    [
        "Carla",
        "Ruiz",
        "Ruiz SA",
        "carla@ruiz-sa.example",
        "",
        "",
        "Mexico",
        "Partner",
        "",
        "2025-11-03 10:00:00",
        "",
    ],
    [
        "Dev",
        "Patel",
        "Patel Agro",
        "dev@patel-agro.example",
        "",
        "",
        "India",
        "",
        "",
        "2025-11-03 10:00:00",
        "",
    ],
]


def at(y, m, d, hh=0, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=SH)


def csv_bytes(header, rows, *, encoding="utf-8-sig", delimiter=","):
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def write_csv(path: Path, header, rows, **kwargs) -> Path:
    path.write_bytes(csv_bytes(header, rows, **kwargs))
    return path


def xlsx_bytes(header, rows) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def run_import(*args) -> tuple[str, str]:
    """`sopcrm import leads ...`; returns what it printed on stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    call_command("import", "leads", *map(str, args), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def monday_noon():
    """The clock stopped at Monday 2025-11-03 12:00 Asia/Shanghai for the test."""
    with time_machine.travel(at(2025, 11, 3, 12), tick=False):
        yield


@pytest.fixture
def zoho_csv(tmp_path) -> Path:
    return write_csv(tmp_path / "zoho_leads.csv", ZOHO_HEADER, ZOHO_ROWS)
