"""Presets, the guessed mapping, cells read as typed values, the row fingerprint, and the preview
(a dry run that writes nothing)."""

from datetime import datetime

import pytest

from sopcrm.core.errors import InvalidInput, PermissionDenied
from sopcrm.crm.imports.presets import BUILTIN_PRESETS, source_key, suggest_mapping
from sopcrm.crm.imports.services import import_preview, preset_save
from sopcrm.crm.imports.values import import_fields, import_key, parse_datetime, row_data
from sopcrm.crm.records.models import Lead

from .conftest import SH, ZOHO_HEADER, ZOHO_ROWS, csv_bytes


@pytest.mark.parametrize(
    ("preset", "columns"),
    [
        ("zoho", ["First Name", "Last Name", "Company", "Email", "Phone", "Mobile", "Country",
                  "Lead Source", "Description", "Created Time"]),
        ("salesforce", ["First Name", "Last Name", "Company", "Email", "Phone", "Country",
                        "Lead Source", "Description", "Created Date"]),
        ("hubspot", ["First Name", "Last Name", "Company Name", "Email", "Phone Number",
                     "Country/Region", "Original Source", "Message", "Notes", "Create Date"]),
    ],
)  # fmt: skip
def test_builtin_presets_know_the_export_columns(preset, columns):
    assert set(columns) <= set(BUILTIN_PRESETS[preset].mapping)


@pytest.mark.parametrize(
    ("value", "source"),
    [
        ("Trade Show", "trade_show"),
        ("Web Download", "website_form"),  # Zoho
        ("Partner Referral", "referral"),  # Salesforce
        ("Organic Social", "social"),  # HubSpot
        ("alibaba.com", "b2b_platform"),
        ("展会", "trade_show"),
        ("whatsapp", "whatsapp"),
        ("Cold Call", "other"),
        ("", "import"),
    ],
)
def test_other_systems_sources_become_ours(value, source):
    assert source_key(value) == source


def test_suggested_mapping_reads_column_names_and_custom_field_labels(db):
    fields = import_fields()
    headers = ["E-mail", "company name", "Product of interest", "意向产品", "Whatever"]
    mapping = suggest_mapping(headers, fields.targets, fields.custom_labels())
    assert mapping == {
        "E-mail": "email",
        "company name": "company",
        "Product of interest": "custom.product_interest",
        "意向产品": "custom.product_interest",
    }


def test_cells_are_read_as_typed_custom_values(db):
    fields = import_fields()
    headers = ["Name", "Qty", "Target", "Clear", "Region", "Channel"]
    mapping = {
        "Name": "name",
        "Qty": "custom.quantity",
        "Target": "custom.target_price",
        "Clear": "custom.requirements_clear",
        "Region": "custom.region",
        "Channel": "custom.first_contact_channel",
    }
    cells = ["Ann", "1,200", "$12.50", "是", "South-East Asia", "邮件"]
    row = row_data(headers, cells, mapping, fields)
    assert row.problems == []
    assert row.data["custom"] == {
        "quantity": 1200,
        "target_price": {"amount": "12.50", "currency": "USD"},
        "requirements_clear": True,
        "region": "sea",
        "first_contact_channel": "email",
    }
    bad = row_data(headers, ["Ann", "many", "12.50", "maybe", "", ""], mapping, fields)
    assert [p.field for p in bad.problems] == [
        "custom.quantity",
        "custom.target_price",
        "custom.requirements_clear",
    ]


@pytest.mark.parametrize(
    "text",
    ["2025-11-03 10:00", "2025/11/03 10:00:00", "11/03/2025 10:00 AM", "Nov 03, 2025 10:00 AM",
     "2025年11月3日 10:00", "2025-11-03T02:00:00Z", "2025-11-03T10:00:00+08:00"],
)  # fmt: skip
def test_export_date_formats_are_read(text):
    assert parse_datetime(text, SH) == datetime(2025, 11, 3, 10, 0, tzinfo=SH)


def test_the_fingerprint_ignores_case_spacing_and_how_a_time_is_written():
    a = {
        "name": "Ann  Lee",
        "email": "ANN@x.example",
        "received_at": parse_datetime("2025-11-03 10:00", SH),
    }
    b = {
        "email": "ann@x.example",
        "name": "ann lee",
        "received_at": parse_datetime("2025-11-03T02:00:00Z", SH),
    }
    assert import_key(a) == import_key(b)
    assert import_key(a) != import_key({**a, "company": "Acme"})
    assert len(import_key(a)) == 64


def test_preview_runs_the_first_rows_and_writes_nothing(people):
    data = csv_bytes(ZOHO_HEADER, [*ZOHO_ROWS, ZOHO_ROWS[0], ["", "", "X", "bad"] + [""] * 7])

    preview = import_preview(data, "zoho.csv", actor=people.east_manager)

    assert preview.total_rows == 6
    assert preview.mapping["Created Time"] == "received_at"  # suggested
    assert [r.outcome for r in preview.rows] == [
        "created",
        "created",
        "created",
        "created",
        "already_imported",  # the repeated row, as a run would see it
        None,
    ]
    assert {p.field for p in preview.rows[5].problems} == {"name", "email"}
    assert preview.rows[0].data["name"] == "Ann Lee"
    assert Lead.objects.count() == 0


def test_preview_limit_and_rep_refused(people):
    data = csv_bytes(ZOHO_HEADER, ZOHO_ROWS)
    assert len(import_preview(data, "z.csv", actor=people.admin, limit=2).rows) == 2
    with pytest.raises(PermissionDenied):
        import_preview(data, "z.csv", actor=people.alice)


def test_preset_names_and_targets_are_checked(people):
    with pytest.raises(InvalidInput, match="built-in"):
        preset_save(name="Zoho", mapping={"A": "name"}, actor=people.admin)
    with pytest.raises(InvalidInput, match="No lead field"):
        preset_save(name="mine", mapping={"A": "shoe_size"}, actor=people.admin)
    with pytest.raises(PermissionDenied):
        preset_save(name="mine", mapping={"A": "name"}, actor=people.bob)
    preset_save(name="mine", mapping={"A": "name"}, actor=people.admin)
    replaced = preset_save(name="mine", mapping={"B": "name"}, actor=people.east_manager)
    assert replaced.mapping == {"B": "name"}
