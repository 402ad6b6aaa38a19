"""The import pages: upload -> preview (a dry run of the first rows) -> start -> the job page with
its progress bar, polled by htmx until the job is done, and the error file. Managers and
administrators only."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from sopcrm.core.errors import Conflict, PermissionDenied
from sopcrm.crm.imports.models import ColumnPreset, ImportJob, ImportStatus
from sopcrm.crm.imports.services import import_run, import_upload
from sopcrm.crm.records.models import Activity, Lead
from sopcrm.worker.runner import run_tasks_once

from .conftest import ZOHO_HEADER, ZOHO_ROWS, at, csv_bytes

pytestmark = pytest.mark.usefixtures("monday_noon")

BAD_ROW = ["Eve", "Stone", "Stone Ltd", "not-an-email", "", "", "", "", "", "", ""]


def upload(client, rows=ZOHO_ROWS, preset="zoho", name="zoho_leads.csv"):
    file = SimpleUploadedFile(name, csv_bytes(ZOHO_HEADER, rows), content_type="text/csv")
    return client.post(reverse("import_upload"), {"file": file, "preset": preset})


def signed_in(client, user):
    client.force_login(user)
    return client


def mapping_post(job, **extra):
    """The preview form as the browser sends it: one select per column (col-N)."""
    data = {f"col-{i}": job.mapping.get(header, "") for i, header in enumerate(ZOHO_HEADER)}
    return {**data, **extra}


def test_upload_shows_the_preview_and_writes_no_lead(people, client):
    client = signed_in(client, people.east_manager)

    response = upload(client, rows=[*ZOHO_ROWS, BAD_ROW])

    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("import_preview", args=[job.pk])
    assert job.status == ImportStatus.DRAFT
    assert job.total_rows == 5
    assert job.mapping["Created Time"] == "received_at"
    page = client.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count("New lead") >= 4
    assert "email (Email): " in html  # the bad row's problem, named with its column
    assert "1 of these rows has problems" in html
    assert Lead.objects.count() == 0
    assert Activity.objects.count() == 0


def test_changing_a_column_in_the_preview_changes_the_mapping(people, client):
    client = signed_in(client, people.east_manager)
    upload(client)
    job = ImportJob.objects.get()
    url = reverse("import_preview", args=[job.pk])

    client.post(url, mapping_post(job, **{"col-8": "", "action": "preview"}))  # Description

    job.refresh_from_db()
    assert "Description" not in job.mapping
    assert job.mapping["Email"] == "email"


def test_start_runs_the_job_and_the_job_page_shows_the_counts(people, client):
    """The test settings run tasks at once (django.tasks' immediate backend)."""
    client = signed_in(client, people.east_manager)
    upload(client, rows=[*ZOHO_ROWS, BAD_ROW])
    job = ImportJob.objects.get()

    response = client.post(
        reverse("import_preview", args=[job.pk]), mapping_post(job, action="start")
    )

    assert response["Location"] == reverse("import_job", args=[job.pk])
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    assert (job.created_count, job.error_count, job.processed_rows) == (4, 1, 5)
    assert Lead.objects.count() == 4
    lead = Lead.objects.get(email="ann@acme-pumps.example")
    assert Activity.objects.get(lead=lead, template_key="first_contact").due_at == at(
        2025, 11, 4, 10
    )
    page = client.get(response["Location"]).content.decode()
    assert '<progress value="5" max="5"' in page
    assert 'hx-trigger="every 1s"' not in page  # done: no more polling
    assert reverse("import_job_errors", args=[job.pk]) in page


def test_error_file_download_has_the_failed_rows(people, client):
    client = signed_in(client, people.east_manager)
    upload(client, rows=[ZOHO_ROWS[0], BAD_ROW])
    job = ImportJob.objects.get()
    client.post(reverse("import_preview", args=[job.pk]), mapping_post(job, action="start"))

    response = client.get(reverse("import_job_errors", args=[job.pk]))

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="zoho_leads-errors.csv"' in response["Content-Disposition"]
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert len(rows) == 1
    assert rows[0]["Email"] == "not-an-email"
    assert rows[0]["row"] == "3"
    assert rows[0]["errors"].startswith("email (Email): ")


def test_dry_run_from_the_page_writes_nothing(people, client):
    client = signed_in(client, people.admin)
    upload(client)
    job = ImportJob.objects.get()

    client.post(
        reverse("import_preview", args=[job.pk]), mapping_post(job, action="start", dry_run="1")
    )

    job.refresh_from_db()
    assert job.dry_run
    assert (job.status, job.created_count) == (ImportStatus.DONE, 4)
    assert Lead.objects.count() == 0


def test_saving_and_applying_a_preset_from_the_preview(people, client):
    client = signed_in(client, people.east_manager)
    upload(client)
    job = ImportJob.objects.get()
    url = reverse("import_preview", args=[job.pk])

    client.post(url, mapping_post(job, action="save_preset", preset_name="Zoho minus notes"))
    client.post(url, mapping_post(job, action="apply_preset", preset="salesforce"))

    assert ColumnPreset.objects.get(name="Zoho minus notes").mapping["Lead Source"] == "source"
    job.refresh_from_db()
    # Salesforce names its columns otherwise: Zoho's "Mobile" and "Created Time" are not in it.
    assert "Mobile" not in job.mapping
    assert "Created Time" not in job.mapping
    assert job.mapping["First Name"] == "first_name"


def test_a_mapping_without_a_name_cannot_start(people, client):
    client = signed_in(client, people.east_manager)
    upload(client)
    job = ImportJob.objects.get()
    data = mapping_post(job, action="start", **{"col-0": "", "col-1": ""})

    response = client.post(reverse("import_preview", args=[job.pk]), data, follow=True)

    assert "Map a column to the contact name" in response.content.decode()
    job.refresh_from_db()
    assert job.status == ImportStatus.DRAFT
    assert Lead.objects.count() == 0


def test_an_unreadable_upload_is_refused_on_the_form(people, client):
    client = signed_in(client, people.east_manager)
    file = SimpleUploadedFile("old.xls", b"\xd0\xcf\x11\xe0", content_type="text/plain")

    response = client.post(reverse("import_upload"), {"file": file, "preset": ""})

    assert response.status_code == 200
    assert "save the file as .xlsx or CSV" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_reps_are_refused(people, client):
    job = import_upload(
        actor=people.east_manager,
        file_bytes=csv_bytes(ZOHO_HEADER, ZOHO_ROWS),
        file_name="zoho.csv",
        preset="zoho",
    )
    client = signed_in(client, people.alice)

    assert client.get(reverse("import_upload")).status_code == 403
    assert upload(client).status_code == 403
    for name in ("import_preview", "import_job", "import_job_errors"):
        assert client.get(reverse(name, args=[job.pk])).status_code == 403
    assert ImportJob.objects.count() == 1


def test_a_manager_sees_only_own_jobs_and_an_admin_sees_all(people, client):
    job = import_upload(
        actor=people.east_manager,
        file_bytes=csv_bytes(ZOHO_HEADER, ZOHO_ROWS),
        file_name="east.csv",
        preset="zoho",
    )

    west = signed_in(client, people.west_manager)
    assert west.get(reverse("import_preview", args=[job.pk])).status_code == 404
    assert "east.csv" not in west.get(reverse("import_upload")).content.decode()
    admin = signed_in(client, people.admin)
    assert "east.csv" in admin.get(reverse("import_upload")).content.decode()
    assert admin.get(reverse("import_preview", args=[job.pk])).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_a_queued_job_and_the_progress_endpoint_follows_it(
    people, client, settings
):
    """With the database task queue (the product's setting), starting queues the job; the
    page polls; the worker's tick runs the task; the next poll shows it done."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    client = signed_in(client, people.east_manager)
    upload(client)
    job = ImportJob.objects.get()
    client.post(reverse("import_preview", args=[job.pk]), mapping_post(job, action="start"))
    progress_url = reverse("import_job", args=[job.pk])

    queued = client.get(progress_url, headers={"HX-Request": "true"})
    html = queued.content.decode()
    assert "<html" not in html  # the progress section alone
    assert 'hx-trigger="every 1s"' in html
    assert '<progress value="0" max="4"' in html
    assert Lead.objects.count() == 0

    run_tasks_once("test-worker")

    done = client.get(progress_url, headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger="every 1s"' not in done
    assert '<progress value="4" max="4"' in done
    job.refresh_from_db()
    assert (job.status, job.created_count) == (ImportStatus.DONE, 4)
    assert list(Lead.objects.order_by("pk").values_list("owner__username", flat=True)) == [
        "alice",
        "bob",
        "wendy",
        "alice",
    ]


def test_a_job_whose_importer_became_a_rep_fails_and_says_why(people):
    job = import_upload(
        actor=people.east_manager,
        file_bytes=csv_bytes(ZOHO_HEADER, ZOHO_ROWS),
        file_name="zoho.csv",
        preset="zoho",
    )
    people.east_manager.role = "rep"
    people.east_manager.save()

    with pytest.raises(PermissionDenied):
        import_run(job, actor=people.east_manager)

    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    assert job.failure == "Only managers and administrators import leads."
    assert job.finished_at is not None
    assert Lead.objects.count() == 0


def test_a_job_runs_once(people):
    job = import_upload(
        actor=people.admin,
        file_bytes=csv_bytes(ZOHO_HEADER, ZOHO_ROWS),
        file_name="zoho.csv",
        preset="zoho",
    )
    import_run(job, actor=people.admin)

    with pytest.raises(Conflict):
        import_run(job, actor=people.admin)
    assert Lead.objects.count() == 4
