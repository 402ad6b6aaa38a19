"""Fuzzing the import's reading and mapping: whatever file is uploaded (random bytes, GBK text,
huge cells, formula-looking cells, no usable header), the result is a sheet of text or an
InvalidInput naming the file, the row or the column — never a traceback — and a refused file
leaves nothing behind."""

import contextlib
import csv

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from sopcrm.core.errors import InvalidInput
from sopcrm.core.models import Role
from sopcrm.core.users import user_create
from sopcrm.crm.imports.mapping import mapping_clean
from sopcrm.crm.imports.models import ImportJob
from sopcrm.crm.imports.parsing import read_upload
from sopcrm.crm.imports.services import import_preview, import_upload
from sopcrm.crm.imports.values import import_fields, row_data
from sopcrm.crm.records.models import Lead

from .conftest import csv_bytes, xlsx_bytes

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Examples that use the test's database: the function-scoped `db` fixture is shared on purpose
# (each example asserts on what it changed, not on a fresh database).
WITH_DB = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

FILE_NAMES = st.sampled_from(["leads.csv", "leads.xlsx", "leads.txt", "leads", "LEADS.TSV"])
# Text a spreadsheet cell may hold: anything but NUL (which marks a binary file) and surrogates.
cell_text = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"),
    max_size=30,
)
# Chinese company and person names as GBK (Excel's "CSV" in China) encodes them.
gbk_text = st.text(
    alphabet=st.sampled_from("宁波阀门王伟李娜张陈静有限公司贸易进出口机械电子上海深圳广州市省"),
    min_size=1,
    max_size=12,
)


def _reads_or_names_the_file(data: bytes, name: str):
    """The sheet read from `data`, or None after checking the refusal names the file."""
    try:
        sheet = read_upload(data, name)
    except InvalidInput as error:
        assert [p.field for p in error.problems] == ["file"]
        assert all(p.message for p in error.problems)
        return None
    assert sheet.headers and all(sheet.headers)
    assert len(set(sheet.headers)) == len(sheet.headers)
    numbers = [row.number for row in sheet.rows]
    assert numbers == sorted(set(numbers)) and all(n >= 2 for n in numbers)
    assert all(len(row.cells) == len(sheet.headers) for row in sheet.rows)
    return sheet


@FAST
@given(st.binary(max_size=2000), FILE_NAMES)
def test_random_bytes_give_a_sheet_or_an_error_on_the_file(data, name):
    _reads_or_names_the_file(data, name)


@FAST
@given(st.binary(max_size=200))
def test_random_bytes_after_a_zip_signature_give_a_sheet_or_an_error_on_the_file(data):
    """What looks like an XLSX (a zip archive) but is not one."""
    _reads_or_names_the_file(b"PK\x03\x04" + data, "leads.xlsx")


@FAST
@given(st.lists(st.lists(cell_text, min_size=1, max_size=5), min_size=1, max_size=6))
def test_any_csv_text_is_read_as_text(rows):
    _reads_or_names_the_file(csv_bytes(rows[0], rows[1:]), "leads.csv")


@FAST
@given(
    st.lists(gbk_text, min_size=2, max_size=4, unique=True),
    st.lists(st.lists(gbk_text, min_size=4, max_size=4), min_size=1, max_size=5),
)
def test_gbk_files_are_read_back_exactly(header, rows):
    rows = [row[: len(header)] for row in rows]
    data = csv_bytes(header, rows, encoding="gbk")
    # A few short GBK byte sequences are valid UTF-8 as well (e.g. "止" is D6 B9, also U+05B9);
    # no reader can tell those apart, and real files are long enough not to be one.
    try:
        data.decode("utf-8")
        assume(False)
    except UnicodeDecodeError:
        pass
    sheet = read_upload(data, "leads.csv")
    assert sheet.headers == tuple(header)
    assert [row.cells for row in sheet.rows] == [tuple(row) for row in rows]


@FAST
@given(gbk_text, st.sampled_from(["big5", "shift_jis", "euc_kr", "latin-1", "utf-16-le"]))
def test_other_encodings_give_a_sheet_or_an_error_on_the_file(text, encoding):
    data = f"Name,Company\n{text},{text}\n".encode(encoding, errors="replace")
    _reads_or_names_the_file(data, "leads.csv")


@settings(max_examples=10, deadline=None)
@given(st.integers(min_value=131_073, max_value=400_000))
def test_a_huge_csv_cell_is_refused_naming_its_row(size):
    assert csv.field_size_limit() < size  # the csv module's limit, 128 KiB
    data = csv_bytes(["Name", "Message"], [["Ann", "hello"], ["Bo", "x" * size]])
    with pytest.raises(InvalidInput) as caught:
        read_upload(data, "leads.csv")
    [problem] = caught.value.problems
    assert problem.field == "file"
    assert "row 3" in problem.message


def test_a_cell_just_under_the_csv_limit_is_read_whole():
    data = csv_bytes(["Name", "Message"], [["Ann", "x" * 131_000]])
    assert read_upload(data, "leads.csv").rows[0].cells[1] == "x" * 131_000


formula = st.builds(
    lambda sign, body: sign + body,
    st.sampled_from(["=", "+", "-", "@", "=cmd|"]),
    st.sampled_from(["1+1", 'HYPERLINK("http://x.example","y")', "SUM(A1:A9)", "' /C calc'!A0"]),
)


@FAST
@given(st.lists(formula, min_size=1, max_size=4))
def test_formula_looking_csv_cells_are_read_as_plain_text(cells):
    sheet = read_upload(csv_bytes(["Name"] * len(cells), [cells]), "leads.csv")
    assert sheet.rows[0].cells == tuple(cells)


def test_formula_cells_of_an_xlsx_without_cached_values_read_as_blank():
    """openpyxl reads the values Excel cached; a formula never calculated has none."""
    sheet = read_upload(xlsx_bytes(["Name", "Total"], [["Ann", "=1+1"]]), "leads.xlsx")
    assert sheet.rows[0].cells == ("Ann", "")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(cell_text, max_size=4), min_size=1, max_size=5))
def test_xlsx_of_any_text_is_read_as_text(rows):
    # Excel refuses control characters in cells; so does openpyxl when writing.
    rows = [[c for c in row if c.isprintable()] for row in rows]
    header = rows[0] or ["Name"]
    _reads_or_names_the_file(xlsx_bytes(header, rows[1:]), "leads.xlsx")


# -- mapping --------------------------------------------------------------------------------


headers_st = st.lists(
    st.text(min_size=1, max_size=12).filter(lambda h: h.strip()), min_size=1, max_size=6
)


@WITH_DB
@given(st.data())
def test_any_mapping_is_cleaned_or_refused_naming_the_column(db, data):
    fields = import_fields()
    headers = data.draw(headers_st)
    targets = st.one_of(
        st.sampled_from(list(fields.targets)), st.text(max_size=10), st.none(), st.integers()
    )
    mapping = data.draw(st.dictionaries(st.sampled_from(headers), targets))
    try:
        cleaned = mapping_clean(mapping, headers, fields)
    except InvalidInput as error:
        for problem in error.problems:
            assert problem.field == "mapping" or (
                problem.field.startswith("mapping.")
                and problem.field.removeprefix("mapping.") in headers
            )
            assert problem.message
    else:
        assert set(cleaned) <= set(headers)
        assert set(cleaned.values()) <= set(fields.targets)


@WITH_DB
@given(st.data())
def test_any_row_is_read_into_lead_data_or_problems_naming_the_field(db, data):
    fields = import_fields()
    targets = list(fields.targets)
    headers = [f"c{i}" for i in range(len(targets))]
    mapping = dict(zip(headers, targets, strict=True))
    cells = data.draw(st.lists(cell_text, min_size=len(headers), max_size=len(headers)))
    row = row_data(headers, cells, mapping, fields)
    for problem in row.problems:
        assert problem.field in targets and problem.message


# -- nothing half-written -------------------------------------------------------------------


@pytest.fixture
def importer(db):
    return user_create(username="importer", password="pw-importer-1", role=Role.ADMIN)


@WITH_DB
@given(st.binary(max_size=500), FILE_NAMES)
def test_a_refused_upload_keeps_no_job(importer, data, name):
    before = ImportJob.objects.count()
    try:
        import_upload(actor=importer, file_bytes=data, file_name=name)
    except InvalidInput:
        assert ImportJob.objects.count() == before
    else:
        assert ImportJob.objects.count() == before + 1


@WITH_DB
@given(st.lists(st.lists(cell_text, min_size=3, max_size=3), min_size=1, max_size=4))
def test_a_preview_of_any_rows_writes_no_lead(importer, rows):
    before = Lead.objects.count()
    with contextlib.suppress(InvalidInput):
        import_preview(csv_bytes(["Name", "Email", "Country"], rows), "leads.csv", actor=importer)
    assert Lead.objects.count() == before
