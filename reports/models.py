"""Export jobs: a spreadsheet too large to build inside a request, prepared by a Celery worker.

The row is the job's whole state (status, progress, the file when ready), so
the progress page reads it from the database whichever process did the work.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.lib.uploads import private_storage, upload_path


def export_path(instance, filename):
    return upload_path("exports", filename)


class ExportJob(models.Model):
    class Kind(models.TextChoices):
        DIRECTORY = "directory", _("Direktori pengurus")
        ATTENDANCE = "attendance", _("Kehadiran per rapat")
        PROPOSALS = "proposals", _("Usulan program dan anggarannya")

    class Status(models.TextChoices):
        PENDING = "pending", _("Menunggu giliran")
        RUNNING = "running", _("Sedang disiapkan")
        DONE = "done", _("Siap diunduh")
        FAILED = "failed", _("Gagal")

    FINISHED = (Status.DONE, Status.FAILED)

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("jenis"), max_length=20, choices=Kind.choices)
    # What was asked for ({"cycle": 3} or {"year": 2026}); who may see what is
    # worked out again from the owner when the job runs.
    params = models.JSONField(default=dict, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to=export_path, storage=private_storage, blank=True)
    filename = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("ekspor")
        verbose_name_plural = _("ekspor")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["owner", "-created_at"])]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def progress(self) -> int:
        """Whole percent of the rows written; 100 only once the file is saved."""
        if self.status == self.Status.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(99, self.rows_done * 100 // self.rows_total)

    @property
    def is_finished(self):
        return self.status in self.FINISHED
