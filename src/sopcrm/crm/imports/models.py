from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportKind(models.TextChoices):
    CSV = "csv", _("CSV")
    XLSX = "xlsx", _("Excel (XLSX)")


class ImportStatus(models.TextChoices):
    # Uploaded through the web page, its mapping not yet confirmed: the preview works on it.
    DRAFT = "draft", _("Uploaded")
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ImportJob(models.Model):
    """One file to import and what became of its rows.

    The uploaded bytes are kept in the row (`file`), not under the data directory: the worker
    that runs the job may be another process or machine sharing only the database, a backup of
    the database then holds everything needed to audit an import, and deleting a job leaves no
    orphan file behind. Uploads are capped (services.MAX_FILE_BYTES), so the column stays small;
    list queries defer it.

    Counts are saved with each batch of rows in the same transaction as the leads they count, so
    `processed_rows` always matches what was committed, also after a crash.

    `heartbeat_at` is written when the job is claimed and with every batch, in the batch's
    transaction: a running job whose heartbeat is older than the lease (running.LEASE) lost its
    worker, and another worker takes it over from `processed_rows` on (running.py).
    """

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), db_index=True)
    file_name = models.CharField(_("file name"), max_length=255)
    file = models.BinaryField(_("file"))
    kind = models.CharField(_("kind"), max_length=8, choices=ImportKind.choices)
    mapping = models.JSONField(
        _("column mapping"),
        default=dict,
        blank=True,
        help_text=_("Column name to lead field; columns left out are ignored."),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=ImportStatus.choices, default=ImportStatus.DRAFT
    )
    dry_run = models.BooleanField(
        _("dry run"), default=False, help_text=_("Check every row, write nothing.")
    )
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("processed rows"), default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    linked_count = models.PositiveIntegerField(
        _("created as duplicates"),
        default=0,
        help_text=_("New leads linked to the earlier lead they duplicate."),
    )
    merged_count = models.PositiveIntegerField(
        _("merged"), default=0, help_text=_("Rows added to an existing lead.")
    )
    skipped_count = models.PositiveIntegerField(
        _("already imported"), default=0, help_text=_("Rows imported before, skipped.")
    )
    error_count = models.PositiveIntegerField(_("rows with errors"), default=0)
    errors_csv = models.TextField(
        _("error file"),
        blank=True,
        help_text=_("The rows that failed, with their columns and an errors column."),
    )
    failure = models.TextField(
        _("failure"), blank=True, help_text=_("Why the job stopped, if it failed.")
    )
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(
        _("last progress at"),
        null=True,
        blank=True,
        help_text=_("When the worker running the job last saved its progress."),
    )

    class Meta:
        verbose_name = _("lead import")
        verbose_name_plural = _("lead imports")

    def __str__(self) -> str:
        return f"{self.file_name} #{self.pk}"

    @property
    def is_finished(self) -> bool:
        return self.status in (ImportStatus.DONE, ImportStatus.FAILED)

    @property
    def progress_percent(self) -> int:
        if not self.total_rows:
            return 100 if self.is_finished else 0
        return min(100, self.processed_rows * 100 // self.total_rows)


class ColumnPreset(models.Model):
    """A saved column mapping, offered when the next file comes from the same place. The
    built-in presets (Zoho CRM, Salesforce, HubSpot) are code, in presets.py."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    mapping = models.JSONField(_("column mapping"), default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("column preset")
        verbose_name_plural = _("column presets")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
