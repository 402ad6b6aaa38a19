"""Reading uploaded files: encodings Excel writes, sniffed delimiters, XLSX cells as text."""

from datetime import date, datetime

import pytest

from sopcrm.core.errors import InvalidInput
from sopcrm.crm.imports.models import ImportKind
from sopcrm.crm.imports.parsing import file_kind, read_sheet

from .conftest import csv_bytes, xlsx_bytes


def test_utf8_with_bom_loses_the_bom_from_the_first_column():
    sheet = read_sheet(csv_bytes(["Name", "Email"], [["Ann", "a@x.example"]]), "csv")
    assert sheet.headers == ("Name", "Email")
    assert sheet.rows[0].cells == ("Ann", "a@x.example")
    assert sheet.rows[0].number == 2  # the header is row 1, as in Excel


def test_gb18030_is_read_when_the_file_is_not_utf8():
    data = csv_bytes(["姓名", "公司"], [["王伟", "宁波阀门"]], encoding="gb18030")
    sheet = read_sheet(data, "csv")
    assert sheet.headers == ("姓名", "公司")
    assert sheet.rows[0].cells == ("王伟", "宁波阀门")


def test_utf16_from_excel_unicode_text_is_read():
    data = "Name\tEmail\r\nAnn\ta@x.example\r\n".encode("utf-16")
    sheet = read_sheet(data, "csv")
    assert sheet.rows[0].cells == ("Ann", "a@x.example")


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_the_delimiter_is_sniffed(delimiter):
    data = csv_bytes(
        ["Name", "Company", "Email"],
        [["Ann Lee", "Acme, Inc.", "a@x.example"], ["Bo", "B Co", "b@x.example"]],
        delimiter=delimiter,
    )
    sheet = read_sheet(data, "csv")
    assert sheet.headers == ("Name", "Company", "Email")
    assert sheet.rows[0].cells == ("Ann Lee", "Acme, Inc.", "a@x.example")


def test_blank_and_repeated_headers_get_names_and_empty_rows_are_skipped():
    data = b"Name,,Name\nAnn,x,Ann2\n,,\nBo,y\n"
    sheet = read_sheet(data, "csv")
    assert sheet.headers == ("Name", "Column 2", "Name (2)")
    assert [r.cells for r in sheet.rows] == [("Ann", "x", "Ann2"), ("Bo", "y", "")]
    assert [r.number for r in sheet.rows] == [2, 4]


def test_xlsx_cells_become_text():
    data = xlsx_bytes(
        ["Name", "Phone", "Created", "Day", "Qty", "Flag"],
        [["Ann", 8613800138000, datetime(2025, 11, 3, 10, 30), date(2025, 11, 3), 2.5, True]],
    )
    sheet = read_sheet(data, "xlsx")
    assert sheet.rows[0].cells == (
        "Ann",
        "8613800138000",
        "2025-11-03 10:30:00",
        "2025-11-03",
        "2.5",
        "true",
    )


def test_kind_comes_from_the_name_else_the_content():
    assert file_kind("a.CSV", b"x") == ImportKind.CSV
    assert file_kind("a.xlsx", b"") == ImportKind.XLSX
    assert file_kind("upload", b"PK\x03\x04...") == ImportKind.XLSX
    with pytest.raises(InvalidInput, match=r"\.xls"):
        file_kind("old.xls", b"")


def test_a_file_without_rows_is_refused():
    with pytest.raises(InvalidInput, match="no rows"):
        read_sheet(b"\n,,\n", "csv")
