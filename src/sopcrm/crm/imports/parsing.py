"""Reading an uploaded CSV or XLSX file into a header and rows of strings.

CSV: UTF-8 (with or without the BOM Excel writes), UTF-16 with a BOM (Excel's "Unicode text"),
else GB18030, the superset of GBK that Excel in China saves "CSV" in. The delimiter is sniffed
among comma, semicolon (European Excel), tab and bar. XLSX: the first sheet, read with openpyxl in
read-only mode; dates become ISO strings (naive, as Excel stores them), whole numbers lose their
".0" (a phone number typed as a number must not become 8613800138000.0).
"""

import csv
import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from django.utils.translation import gettext as _

from sopcrm.core.errors import InvalidInput

from .models import ImportKind

# A file longer or larger than this is refused; split it.
MAX_ROWS = 100_000
MAX_FILE_BYTES = 20 * 1024 * 1024
_SNIFF_BYTES = 64 * 1024


@dataclass(frozen=True)
class SheetRow:
    number: int  # the row as the user sees it: the header is row 1 (Excel numbering)
    cells: tuple[str, ...]  # one per header


@dataclass(frozen=True)
class Sheet:
    headers: tuple[str, ...]
    rows: tuple[SheetRow, ...]


def _invalid(message: str) -> InvalidInput:
    return InvalidInput.single("file", "invalid", message)


def file_kind(file_name: str, data: bytes) -> ImportKind:
    """CSV or XLSX from the name, else from the content (an XLSX file is a zip archive)."""
    lower = file_name.lower()
    if lower.endswith((".xlsx", ".xlsm")):
        return ImportKind.XLSX
    if lower.endswith(".xls"):
        raise _invalid(_("Old Excel files (.xls) cannot be read: save the file as .xlsx or CSV."))
    if lower.endswith((".csv", ".txt", ".tsv")):
        return ImportKind.CSV
    return ImportKind.XLSX if data[:4] == b"PK\x03\x04" else ImportKind.CSV


def read_sheet(data: bytes, kind: ImportKind | str) -> Sheet:
    """The header (first non-empty row) and the data rows after it; empty rows are left out."""
    raw = _xlsx_rows(data) if kind == ImportKind.XLSX else _csv_rows(data)
    return _to_sheet(raw)


def decode_text(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise _invalid(
            _("The file is neither UTF-8 nor GB18030 text: save it as CSV (UTF-8) or XLSX.")
        ) from None


def _delimiter(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        # A one-column file, or too few rows to tell: the delimiter the first line has most of.
        first = sample.splitlines()[0] if sample else ""
        return max(",;\t|", key=first.count) if any(d in first for d in ",;\t|") else ","


def _csv_rows(data: bytes) -> list[tuple[int, list[str]]]:
    text = decode_text(data)
    if "\x00" in text:
        raise _invalid(_("The file is not a text file: upload a CSV or XLSX file."))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text[:_SNIFF_BYTES]))
    rows: list[tuple[int, list[str]]] = []
    try:
        for number, row in enumerate(reader, start=1):
            rows.append((number, row))
            if len(rows) > MAX_ROWS + 1:
                break
    except csv.Error as exc:
        raise _invalid(
            _("The CSV file cannot be read near row %(row)d: %(error)s")
            % {"row": reader.line_num, "error": exc}
        ) from None
    return rows


def cell_text(value: Any) -> str:
    """One spreadsheet cell as text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ") if value.time() != time() else value.date().isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return str(value)


def _xlsx_rows(data: bytes) -> list[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise _invalid(_("The file is not a readable XLSX workbook.")) from None
    try:
        if not book.worksheets:
            return []
        rows: list[tuple[int, list[str]]] = []
        for number, values in enumerate(book.worksheets[0].iter_rows(values_only=True), start=1):
            rows.append((number, [cell_text(v) for v in values]))
            if len(rows) > MAX_ROWS + 1:
                break
        return rows
    finally:
        book.close()


def _headers(cells: list[str]) -> tuple[str, ...]:
    """Names for the columns: blank ones get "Column N", repeated ones a " (2)" suffix, so every
    name maps to exactly one column."""
    names: list[str] = []
    for index, cell in enumerate(cells, start=1):
        base = cell.strip().lstrip("\ufeff") or _("Column %(n)d") % {"n": index}
        name, n = base, 2
        while name in names:
            name, n = f"{base} ({n})", n + 1
        names.append(name)
    return tuple(names)


def _to_sheet(raw: list[tuple[int, list[str]]]) -> Sheet:
    filled = [(n, cells) for n, cells in raw if any(c.strip() for c in cells)]
    if not filled:
        raise _invalid(_("The file has no rows."))
    _number, header_cells = filled[0]
    # Trailing empty header cells are spreadsheet noise unless some row has data there.
    width = max(len(cells) for _n, cells in filled)
    while width > 0 and not any(
        len(cells) >= width and cells[width - 1].strip() for _n, cells in filled
    ):
        width -= 1
    headers = _headers((header_cells + [""] * width)[:width])
    rows = tuple(
        SheetRow(number, tuple((cells + [""] * width)[:width])) for number, cells in filled[1:]
    )
    if len(rows) > MAX_ROWS:
        raise _invalid(
            _("The file has more than %(n)d rows: split it into smaller files.") % {"n": MAX_ROWS}
        )
    return Sheet(headers=headers, rows=rows)


def read_upload(file_bytes: bytes, file_name: str) -> Sheet:
    """An uploaded file's sheet; InvalidInput (on `file`) if it is empty, too large or cannot be
    read."""
    if not file_bytes:
        raise InvalidInput.single("file", "required", _("The file is empty."))
    if len(file_bytes) > MAX_FILE_BYTES:
        raise InvalidInput.single(
            "file",
            "too_large",
            _("The file is larger than %(mb)d MB: split it.") % {"mb": MAX_FILE_BYTES >> 20},
        )
    return read_sheet(file_bytes, file_kind(file_name, file_bytes))
