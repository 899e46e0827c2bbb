"""Celery tasks for proposal notices: thin wrappers that take primary keys and call programs.notices."""

from celery import shared_task

from . import notices


@shared_task(ignore_result=True, acks_late=True, reject_on_worker_lost=True)
def send_notices(ids):
    """Send the rows an event queued (claimed here, so a duplicate task sends nothing twice)."""
    claimed = notices.notices_claim(ids=ids, limit=len(ids))
    return notices.notices_send(ids=claimed)


@shared_task(ignore_result=True)
def dispatch_notices():
    """Every minute: put back rows a killed worker left behind and send whatever is due (retries included)."""
    notices.notices_sweep()
    sent = 0
    while ids := notices.notices_claim():
        sent += notices.notices_send(ids=ids)
    return sent
