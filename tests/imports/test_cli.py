"""`sopcrm import leads FILE`: rows become assigned leads with their first-contact task, a second
import of the same rows adds nothing, bad rows go to the error file while good rows go in."""

import csv
import io
from datetime import datetime

import pytest
from django.core.management import CommandError

from sopcrm.crm.imports.models import ColumnPreset, ImportJob, ImportStatus
from sopcrm.crm.records.models import Activity, Lead

from .conftest import (
    SH,
    ZOHO_HEADER,
    ZOHO_ROWS,
    at,
    run_import,
    write_csv,
    xlsx_bytes,
)

pytestmark = pytest.mark.usefixtures("monday_noon")


def first_contact(lead: Lead) -> Activity:
    return Activity.objects.get(lead=lead, template_key="first_contact")


def read_error_file(path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def test_zoho_export_becomes_assigned_leads_with_mapped_values(people, zoho_csv):
    out, _err = run_import(zoho_csv, "--preset", "zoho", "--as", "east_manager")

    assert "4 rows: 4 created" in out
    ann = Lead.objects.get(email="ann@acme-pumps.example")
    assert ann.name == "Ann Lee"
    assert ann.company == "Acme Pumps"
    assert ann.phone == "+12125550100"
    assert ann.country == "US"
    assert ann.source == "trade_show"
    assert ann.message == "Need 500 valves"
    assert ann.received_at == at(2025, 11, 3, 10)
    assert ann.custom["industry"] == "Water treatment"
    assert ann.created_by == people.east_manager
    bo = Lead.objects.get(email="bo@chen-trading.example")
    assert bo.phone == "+8613800138000"  # the Mobile column when Phone is empty
    assert bo.country == "CN"
    assert bo.source == "website_form"  # Zoho's "Web Download"
    assert Lead.objects.get(name="Carla Ruiz").source == "referral"  # Zoho's "Partner"
    assert Lead.objects.get(name="Dev Patel").source == "import"  # no source given


def test_imported_leads_go_round_robin_over_all_reps(people, zoho_csv):
    run_import(zoho_csv, "--preset", "zoho", "--as", "east_manager")

    owners = list(Lead.objects.order_by("pk").values_list("owner__username", flat=True))
    assert owners == ["alice", "bob", "wendy", "alice"]


def test_each_lead_gets_its_first_contact_task_due_24_working_hours_after_it_arrived(
    people, zoho_csv
):
    """S-17: received Monday 10:00 in Shanghai, the first contact is due Tuesday 10:00."""
    run_import(zoho_csv, "--preset", "zoho", "--as", "east_manager")

    for lead in Lead.objects.all():
        task = first_contact(lead)
        assert task.due_at == at(2025, 11, 4, 10)
        assert task.owner == lead.owner


def test_importing_the_same_file_again_creates_nothing(people, zoho_csv):
    run_import(zoho_csv, "--preset", "zoho", "--as", "east_manager")

    out, _err = run_import(zoho_csv, "--preset", "zoho", "--as", "east_manager")

    assert "0 created" in out
    assert "4 already imported" in out
    assert Lead.objects.count() == 4
    assert Activity.objects.filter(template_key="first_contact").count() == 4
    job = ImportJob.objects.latest("pk")
    assert (job.skipped_count, job.created_count) == (4, 0)


def test_the_fingerprint_is_of_the_values_not_of_the_file_or_column_order(people, tmp_path):
    """A re-export with the columns in another order, under another name, adds nothing."""
    run_import(write_csv(tmp_path / "a.csv", ZOHO_HEADER, ZOHO_ROWS), "--preset", "zoho")
    reordered = [list(reversed(row)) for row in ZOHO_ROWS]
    again = write_csv(tmp_path / "b.csv", list(reversed(ZOHO_HEADER)), reordered)

    out, _err = run_import(again, "--preset", "zoho")

    assert "4 already imported" in out
    assert Lead.objects.count() == 4


def test_bad_rows_go_to_the_error_file_and_good_rows_go_in(people, tmp_path):
    rows = [
        ZOHO_ROWS[0],
        ["Eve", "Stone", "Stone Ltd", "not-an-email", "", "", "UK", "", "", "", ""],
        ["", "", "No Name Inc", "x@no-name.example", "", "", "", "", "", "", ""],
        ["Fay", "Wu", "Wu Co", "fay@wu.example", "", "", "Atlantis", "", "", "yesterday", ""],
        ["Gus", "Kim", "Kim Co", "gus@kim.example", "", "", "", "", "", "2025-11-05 10:00", ""],
        ZOHO_ROWS[1],
    ]
    path = write_csv(tmp_path / "mixed.csv", ZOHO_HEADER, rows)
    errors = tmp_path / "errors.csv"

    out, err = run_import(path, "--preset", "zoho", "--as", "admin", "--errors", errors)

    assert "6 rows: 2 created" in out
    assert "4 with errors" in out
    assert set(Lead.objects.values_list("name", flat=True)) == {"Ann Lee", "Bo Chen"}
    failed = read_error_file(errors)
    assert [r["row"] for r in failed] == ["3", "4", "5", "6"]
    assert [r["First Name"] for r in failed] == ["Eve", "", "Fay", "Gus"]  # original columns
    assert failed[0]["errors"].startswith("email (Email): ")
    assert failed[1]["errors"].startswith("name (First Name, Last Name): ")
    # Every problem of a row at once: the unreadable date and the unknown country.
    assert "received_at (Created Time): " in failed[2]["errors"]
    assert "country (Country): Unknown country: Atlantis" in failed[2]["errors"]
    assert "received_at (Created Time): This time is in the future." in failed[3]["errors"]
    assert str(errors) in err


def test_fixed_error_file_imports_without_a_mapping_change(people, tmp_path):
    """The error file keeps the original columns, so it can be corrected and imported; its
    row and errors columns are ignored."""
    bad = [["Eve", "Stone", "Stone Ltd", "eve@stone", "", "", "", "", "", "", ""]]
    errors = tmp_path / "errors.csv"
    run_import(
        write_csv(tmp_path / "a.csv", ZOHO_HEADER, bad), "--preset", "zoho", "--errors", errors
    )
    fixed = errors.read_text(encoding="utf-8-sig").replace("eve@stone", "eve@stone.example")
    errors.write_text(fixed, encoding="utf-8")

    out, _err = run_import(errors, "--preset", "zoho")

    assert "1 created" in out
    assert Lead.objects.get().email == "eve@stone.example"


def test_dry_run_writes_nothing_and_reports_what_would_happen(people, zoho_csv, tmp_path):
    bad = write_csv(tmp_path / "bad.csv", ZOHO_HEADER, [*ZOHO_ROWS, ZOHO_ROWS[0]])

    out, _err = run_import(bad, "--preset", "zoho", "--as", "east_manager", "--dry-run")

    assert "Dry run: nothing was written." in out
    assert "5 rows: 4 created" in out
    assert "1 already imported" in out  # the repeated row
    assert Lead.objects.count() == 0
    assert Activity.objects.count() == 0
    job = ImportJob.objects.get()
    assert job.dry_run
    assert job.status == ImportStatus.DONE


def test_xlsx_file_with_hubspot_columns(people, tmp_path):
    header = [
        "First Name",
        "Last Name",
        "Company Name",
        "Email",
        "Phone Number",
        "Country/Region",
        "Original Source",
        "Message",
        "Notes",
        "Create Date",
    ]
    rows = [
        # Excel keeps the phone as a number and the date as a date (no time zone).
        ["Ann", "Lee", "Acme", "ann@acme.example", 8613800138000, "China", "Organic Search",
         "Need valves", "Met at fair", datetime(2025, 11, 3, 10, 0)],
        ["Bo", "Chen", "Chen Co", "bo@chen.example", None, "Germany", "Offline Sources",
         None, None, datetime(2025, 11, 3, 10, 0)],
    ]  # fmt: skip
    path = tmp_path / "hubspot.xlsx"
    path.write_bytes(xlsx_bytes(header, rows))

    out, _err = run_import(path, "--preset", "hubspot", "--as", "west_manager")

    assert "2 rows: 2 created" in out
    ann = Lead.objects.get(email="ann@acme.example")
    assert ann.phone == "+8613800138000"
    assert ann.source == "website_form"
    assert ann.message == "Need valves\n\nMet at fair"
    assert ann.received_at == at(2025, 11, 3, 10)
    assert first_contact(ann).due_at == at(2025, 11, 4, 10)
    bo = Lead.objects.get(email="bo@chen.example")
    assert (bo.country, bo.source) == ("DE", "import")
    assert [ann.owner.username, bo.owner.username] == ["alice", "bob"]


def test_gb18030_csv_from_excel_in_china_with_chinese_column_names(people, tmp_path):
    header = ["姓名", "公司", "邮箱", "国家", "来源", "询盘内容", "询盘时间"]
    rows = [
        ["王伟", "宁波阀门有限公司", "wang@nbvalve.example", "中国", "展会", "询价DN50",
         "2025/11/3 10:00"]
    ]  # fmt: skip
    path = write_csv(tmp_path / "询盘.csv", header, rows, encoding="gb18030")

    out, err = run_import(path, "--as", "east_manager")

    assert "1 created" in out
    assert "姓名 -> name" in err  # the mapping guessed from the Chinese names
    lead = Lead.objects.get()
    assert (lead.name, lead.company, lead.country, lead.source) == (
        "王伟",
        "宁波阀门有限公司",
        "CN",
        "trade_show",
    )
    assert lead.message == "询价DN50"
    assert lead.received_at == at(2025, 11, 3, 10)


def test_semicolon_csv_with_map_options_and_a_saved_preset(people, tmp_path):
    header = ["Kontakt", "Firma", "E-Mail", "Land", "Menge"]
    rows = [["Jonas Weber", "Weber GmbH", "jonas@weber.example", "DE", "1,200"]]
    path = write_csv(tmp_path / "de.csv", header, rows, delimiter=";")

    out, err = run_import(
        path,
        "--map", "Kontakt=name",
        "--map", "Firma=company",
        "--map", "Land=country",
        "--map", "Menge=custom.quantity",
        "--save-preset", "German fair list",
        "--as", "admin",
    )  # fmt: skip

    assert "1 created" in out
    lead = Lead.objects.get()
    assert (lead.name, lead.company, lead.email, lead.country) == (
        "Jonas Weber",
        "Weber GmbH",
        "jonas@weber.example",
        "DE",
    )
    assert lead.custom["quantity"] == 1200
    preset = ColumnPreset.objects.get(name="German fair list")
    assert preset.mapping["Menge"] == "custom.quantity"
    assert "Saved preset German fair list." in err


def test_a_saved_preset_maps_the_next_file(people, tmp_path):
    header = ["Kontakt", "E-Mail"]
    first = write_csv(tmp_path / "a.csv", header, [["A One", "a@one.example"]])
    run_import(first, "--map", "Kontakt=name", "--save-preset", "fair")
    second = write_csv(tmp_path / "b.csv", header, [["B Two", "b@two.example"]])

    out, _err = run_import(second, "--preset", "fair")

    assert "1 created" in out
    assert Lead.objects.filter(name="B Two", email="b@two.example").exists()


def test_owner_column_names_users_by_username(people, tmp_path):
    path = write_csv(
        tmp_path / "owned.csv",
        ["Name", "Email", "Owner"],
        [["A One", "a@one.example", "bob"], ["B Two", "b@two.example", "nobody"]],
    )
    errors = tmp_path / "errors.csv"

    out, _err = run_import(path, "--as", "admin", "--errors", errors)

    assert "1 created" in out
    assert Lead.objects.get().owner == people.bob
    assert "owner (Owner): No active user nobody" in read_error_file(errors)[0]["errors"]


def test_a_rep_may_not_import(people, zoho_csv):
    with pytest.raises(CommandError, match="only active managers and administrators"):
        run_import(zoho_csv, "--as", "alice")
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--preset", "pipedrive"], "No preset named pipedrive"),
        (["--map", "Nope=email"], "No column Nope in the file"),
        (["--map", "Email=favourite_colour"], "no lead field favourite_colour"),
        (["--map", "First Name=", "--map", "Last Name="], "Map a column to the contact name"),
        (["--map", "Email"], '--map takes "Column=field"'),
        (["--as", "ghost"], "No user ghost"),
    ],
)
def test_clear_errors_for_bad_options(people, zoho_csv, args, message):
    with pytest.raises(CommandError, match=message):
        run_import(zoho_csv, *args)
    assert not Lead.objects.exists()


def test_a_file_that_is_not_a_spreadsheet_is_refused(people, tmp_path):
    path = tmp_path / "leads.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(CommandError, match="not a readable XLSX"):
        run_import(path)
    with pytest.raises(CommandError, match="No file"):
        run_import(tmp_path / "missing.csv")


def test_naive_times_are_read_in_the_configured_time_zone(people, tmp_path):
    path = write_csv(
        tmp_path / "times.csv",
        ["Name", "Email", "Created Date"],
        [
            ["A", "a@a.example", "11/3/2025 9:15 AM"],  # Salesforce report, US locale
            ["B", "b@b.example", "2025-11-03T01:15:00.000Z"],  # Salesforce Data Loader
        ],
    )

    run_import(path)

    times = dict(Lead.objects.values_list("name", "received_at"))
    assert times["A"] == datetime(2025, 11, 3, 9, 15, tzinfo=SH)
    assert times["B"] == datetime(2025, 11, 3, 9, 15, tzinfo=SH)
