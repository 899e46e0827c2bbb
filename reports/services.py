"""Writes for reports: export jobs, from their creation to the file a worker leaves behind.

The job row is the queue (as the reminders' outbox is): the task gets only the
job's id, claims it with a conditional UPDATE so that a duplicate delivery does
nothing, and records its progress and outcome on the row. Who may export what
is worked out again from the owner when the job runs, not trusted from when it
was asked for.
"""

import datetime
import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from organizations.access import access_for

from . import exports
from .models import ExportJob

logger = logging.getLogger(__name__)


def stale_after() -> datetime.timedelta:
    """A job still unfinished this long after it was asked for has lost its worker."""
    return datetime.timedelta(seconds=2 * getattr(settings, "CELERY_TASK_TIME_LIMIT", 300) + 60)


def export_job_create(*, owner, kind, params, rows_total) -> ExportJob:
    """Record the job and hand it to a worker once the row is committed."""
    from . import tasks

    job = ExportJob.objects.create(owner=owner, kind=kind, params=params, rows_total=rows_total)
    transaction.on_commit(lambda: tasks.run_export.delay(job.pk))
    return job


def _fail(job_id, message):
    ExportJob.objects.filter(pk=job_id).exclude(status=ExportJob.Status.DONE).update(
        status=ExportJob.Status.FAILED, error=message, finished_at=timezone.now()
    )


def export_job_run(*, job_id) -> bool:
    """Build the job's file. False when another worker has it already (or it is finished)."""
    now = timezone.now()
    claimed = ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.PENDING).update(
        status=ExportJob.Status.RUNNING, started_at=now
    )
    if not claimed:
        return False
    job = ExportJob.objects.select_related("owner").get(pk=job_id)
    try:
        spec = exports.export_spec(job.kind, access_for(job.owner), job.params)
        total = spec.row_count()
        ExportJob.objects.filter(pk=job.pk).update(rows_total=total)

        def progress(done):
            ExportJob.objects.filter(pk=job.pk).update(rows_done=min(done, total))

        content = exports.write_xlsx(spec, progress=progress)
        job.file.save(spec.filename, ContentFile(content), save=False)
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportJob.Status.DONE, file=job.file.name, filename=spec.filename, rows_total=total,
            rows_done=total, finished_at=timezone.now(),
        )
    except PermissionDenied:
        _fail(job.pk, _("Anda tidak lagi berhak membuat ekspor ini."))
    except exports.ExportError as error:
        _fail(job.pk, str(error))
    except Exception:
        logger.exception("export job %s failed", job.pk)
        _fail(job.pk, _("Terjadi kesalahan saat menyiapkan berkas. Silakan coba lagi."))
        raise
    return True


def export_job_expire(job: ExportJob, *, now=None) -> ExportJob:
    """Mark a job that has waited too long as failed (a killed worker, a lost task), and say so."""
    now = now or timezone.now()
    if job.is_finished or job.created_at > now - stale_after():
        return job
    ExportJob.objects.filter(pk=job.pk, status__in=[ExportJob.Status.PENDING, ExportJob.Status.RUNNING]).update(
        status=ExportJob.Status.FAILED, finished_at=now,
        error=_("Berkas tidak selesai disiapkan dalam waktu yang wajar. Silakan coba lagi."),
    )
    job.refresh_from_db()
    return job
