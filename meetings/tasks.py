"""Celery tasks: thin wrappers that take primary keys and call the reminder services."""

from celery import shared_task
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from . import reminders

# Batches claimed per transaction. Each claim is a transaction whose commit
# waits for the disk: claimed one batch at a time, 2,000 due rows took 41 of
# them, 0.12 s of a pool process before it could send (docs/benchmarks.md).
CLAIM_BATCHES = 10


@shared_task(ignore_result=True)
def dispatch_due_reminders():
    """Claim every due row and hand it, in batches, to sending tasks."""
    claimed = 0
    size = reminders.BATCH_SIZE
    while True:
        now = timezone.now()
        ids = reminders.reminders_claim(now=now, limit=size * CLAIM_BATCHES)
        if not ids:
            return claimed
        claimed += len(ids)
        for start in range(0, len(ids), size):
            batch = ids[start:start + size]
            transaction.on_commit(lambda batch=batch, now=now: send_reminder_batch.delay(batch, now.isoformat()))


@shared_task(ignore_result=True, acks_late=True, reject_on_worker_lost=True)
def send_reminder_batch(ids, claimed_at=None):
    reminders.reminders_send_batch(ids=ids, claimed_at=parse_datetime(claimed_at) if claimed_at else None)


@shared_task(ignore_result=True)
def sweep_stuck_reminders():
    return reminders.reminders_sweep()
