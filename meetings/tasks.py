"""Celery tasks: thin wrappers that take primary keys and call the reminder services."""

from celery import shared_task
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from . import reminders


@shared_task(ignore_result=True)
def dispatch_due_reminders():
    """Claim every due row, in batches, and hand each batch to a sending task."""
    claimed = 0
    while True:
        now = timezone.now()
        ids = reminders.reminders_claim(now=now)
        if not ids:
            return claimed
        claimed += len(ids)
        transaction.on_commit(lambda ids=ids, now=now: send_reminder_batch.delay(ids, now.isoformat()))


@shared_task(ignore_result=True, acks_late=True, reject_on_worker_lost=True)
def send_reminder_batch(ids, claimed_at=None):
    reminders.reminders_send_batch(ids=ids, claimed_at=parse_datetime(claimed_at) if claimed_at else None)


@shared_task(ignore_result=True)
def sweep_stuck_reminders():
    return reminders.reminders_sweep()
