"""Celery tasks for reports: thin wrappers that take a primary key and call reports.services."""

from celery import shared_task

from . import services


@shared_task(ignore_result=True, acks_late=True, reject_on_worker_lost=True)
def run_export(job_id):
    """Write an export job's file; a second delivery of the same job does nothing."""
    return services.export_job_run(job_id=job_id)
