"""Celery tasks: thin wrappers that take primary keys and call the reminder services."""

from celery import shared_task
from django.db import transaction

from . import reminders


@shared_task(ignore_result=True)
def dispatch_due_reminders():
    """Claim every due row, in batches, and hand each batch to a sending task."""
    claimed = 0
    while True:
        ids = reminders.reminders_claim()
        if not ids:
            return claimed
        claimed += len(ids)
        transaction.on_commit(lambda ids=ids: send_reminder_batch.delay(ids))


@shared_task(ignore_result=True, acks_late=True, reject_on_worker_lost=True)
def send_reminder_batch(ids):
    reminders.reminders_send_batch(ids=ids)


@shared_task(ignore_result=True)
def sweep_stuck_reminders():
    return reminders.reminders_sweep()
