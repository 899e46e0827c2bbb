"""Reminders through a real Celery worker, real Redis and a real SMTP server.

Each test plays the beat itself (``broker.dispatch()``, ``broker.sweep()``) and
waits with a deadline until the outbox rows reach their final state; the SMTP
sink says what really arrived, counted by Message-ID.
"""

import datetime
from collections import Counter

import pytest
from django.urls import reverse
from django.utils import timezone

from meetings import reminders
from meetings.models import Reminder

from .helpers import (
    all_sent,
    assert_calendar_request,
    assert_each_arrived,
    due_meeting,
    due_rows,
    statuses,
    sweep_when_stuck,
)
from .support import wait_until

TIMEOUT = 60  # seconds; each wait ends as soon as its condition holds


def test_it_delivers_each_of_200_reminders_once_with_a_calendar_invite(workers, broker, smtp, wait_idle):
    meeting, rows = due_meeting(200)
    workers.start()

    broker.dispatch()
    wait_until(lambda: all_sent(meeting, 200), timeout=TIMEOUT, what="200 reminders sent")

    assert assert_each_arrived(smtp, rows) == 0
    for _rcpts, message in smtp.messages():
        assert_calendar_request(message, meeting)
    # One SMTP connection per batch, not per message.
    assert smtp.connections() == -(-200 // reminders.BATCH_SIZE)
    sent = list(due_rows(meeting))
    assert all(row.attempts == 1 and row.sent_at and row.message_id == reminders.message_id_for(row) for row in sent)
    # Nothing else was due, and a later scan sends nothing again.
    broker.dispatch()
    wait_idle()
    assert smtp.count() == 200


def test_it_sends_once_with_two_workers_dispatching_at_the_same_time(workers, broker, smtp, wait_idle):
    meeting, rows = due_meeting(200)
    first, second = workers.start("w1"), workers.start("w2")

    # Two beats, each a little eager: four scans race for the same rows in four pool processes.
    for _ in range(4):
        broker.dispatch()
    wait_until(lambda: all_sent(meeting, 200), timeout=TIMEOUT, what="200 reminders sent")
    broker.dispatch()
    wait_idle()

    assert assert_each_arrived(smtp, rows) == 0
    assert smtp.count() == 200
    for worker in (first, second):
        assert "meetings.tasks.dispatch_due_reminders" in worker.log(), f"{worker.name} never scanned"


def test_it_loses_nothing_when_the_worker_is_killed_in_the_middle_of_a_batch(workers, broker, smtp, note,
                                                                            wait_idle):
    meeting, rows = due_meeting(200)
    smtp.delay = 0.03  # a slow server: a batch of 50 takes a couple of seconds
    worker = workers.start("doomed")

    broker.dispatch()
    wait_until(lambda: smtp.count() >= 30, timeout=TIMEOUT, what="the first reminders to arrive")
    worker.kill()
    before = statuses(meeting)
    assert before[Reminder.Status.SENDING] > 0, f"nothing was in flight when the worker died: {before}"

    smtp.delay = 0
    workers.start("survivor")
    # The batches still queued in Redis are sent by the new worker; what the dead
    # one had in hand stays "sending" until the sweeper puts it back.
    wait_idle()
    sweep_when_stuck(meeting, broker)
    wait_until(lambda: all_sent(meeting, 200), timeout=TIMEOUT, what="every reminder sent after the restart",
               tick=broker.dispatch)

    extra = assert_each_arrived(smtp, rows, at_most_extra=reminders.BATCH_SIZE)
    note(f"SIGKILL in the middle of a batch: {extra} duplicate(s) of 200 "
         f"(at kill: {dict(before)}; allowed at most {reminders.BATCH_SIZE})")


def test_it_loses_nothing_when_redis_is_flushed_in_the_middle(workers, broker, smtp, redis_client, wait_idle):
    meeting, rows = due_meeting(200)
    # A quarter falls due only after the flush: still waiting in the database when Redis is emptied.
    later = Reminder.objects.filter(pk__in=[row.pk for row in rows[-50:]])
    later.update(due_at=timezone.now() + datetime.timedelta(minutes=5))
    smtp.delay = 0.02
    workers.start()

    broker.dispatch()
    wait_until(lambda: smtp.count() >= 20, timeout=TIMEOUT, what="the first reminders to arrive")
    redis_client.flushdb()  # the queued batches, the unacknowledged ones and every binding are gone
    flushed_at = statuses(meeting)
    assert flushed_at[Reminder.Status.SCHEDULED] == 50 and flushed_at[Reminder.Status.SENDING] > 0, flushed_at
    later.update(due_at=timezone.now())

    smtp.delay = 0
    wait_idle()
    # The next scan and the sweeper find, in the database, what the broker forgot.
    sweep_when_stuck(meeting, broker)
    wait_until(lambda: all_sent(meeting, 200), timeout=TIMEOUT, what="every reminder sent after the flush",
               tick=broker.dispatch)

    assert assert_each_arrived(smtp, rows) == 0, f"at the flush: {flushed_at}"


@pytest.mark.parametrize("outage", ["server down", "451 answers"])
def test_it_retries_while_the_mail_server_is_unavailable_and_delivers_when_it_is_back(outage, workers, broker, smtp):
    meeting, rows = due_meeting(30)
    workers.start()
    if outage == "server down":
        smtp.stop()  # connection refused
        error = "Connection refused"
    else:
        smtp.refuse_all = "451 4.3.0 Mail server temporarily unavailable"
        error = "451"

    def tried(times):
        current = list(due_rows(meeting))
        return all(row.status == Reminder.Status.SCHEDULED and row.attempts >= times for row in current)

    broker.dispatch()
    wait_until(lambda: tried(2), timeout=TIMEOUT, what="every reminder tried twice", tick=broker.dispatch)
    waiting = list(due_rows(meeting))
    assert all(error in row.last_error for row in waiting), waiting[0].last_error
    assert smtp.count() == 0

    if outage == "server down":
        smtp.start()
    else:
        smtp.refuse_all = None
    wait_until(lambda: all_sent(meeting, 30), timeout=TIMEOUT, what="the reminders sent once the server is back",
               tick=broker.dispatch)

    assert assert_each_arrived(smtp, rows) == 0
    assert all(row.attempts >= 3 for row in due_rows(meeting))


def test_it_fails_a_permanently_refused_reminder_without_retrying_and_shows_it_to_staff(workers, broker, smtp,
                                                                                          client, monkeypatch):
    meeting, rows = due_meeting(20)
    refused = rows[7]
    address = refused.invitation.email
    smtp.refuse[address] = f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
    worker = workers.start()

    broker.dispatch()
    wait_until(lambda: statuses(meeting) == Counter({Reminder.Status.SENT: 19, Reminder.Status.FAILED: 1}),
               timeout=TIMEOUT, what="19 reminders sent and one failed")
    # Three more scans, all done: the failed row is not tried again.
    for _ in range(3):
        broker.dispatch()
    wait_until(lambda: worker.log().count("dispatch_due_reminders[") >= 2 * 4, timeout=TIMEOUT,
               what="four scans done")  # each task logs "received" and "succeeded"

    refused.refresh_from_db()
    assert refused.status == Reminder.Status.FAILED
    assert refused.attempts == 1
    assert "550" in refused.last_error and "User unknown" in refused.last_error
    assert smtp.rcpt_attempts[address] == 1
    assert_each_arrived(smtp, [row for row in rows if row.pk != refused.pk])
    assert list(reminders.failed_for_meeting(meeting)) == [refused]

    # Staff see it on the meeting page, with the error and a "send again" button.
    client.force_login(meeting.organiser)
    page = client.get(reverse("meetings:detail", args=[meeting.pk]))
    assert page.status_code == 200
    failed = page.content.decode().split('class="failed-deliveries"', 1)
    assert len(failed) == 2, "no failed deliveries on the meeting page"
    table = failed[1].split("</table>", 1)[0]
    assert address in table and "User unknown" in table
    resend = reverse("meetings:reminder_resend", args=[meeting.pk, refused.pk])
    assert resend in table

    # The mailbox is fixed; staff send it again. (The view's "dispatch soon" goes
    # to this test's queue: this process's own Celery settings point elsewhere.)
    del smtp.refuse[address]
    monkeypatch.setattr(reminders, "_dispatch_soon", broker.dispatch)
    assert client.post(resend).status_code == 302
    wait_until(lambda: all_sent(meeting, 20), timeout=TIMEOUT, what="the reminder sent again")
    assert smtp.message_ids()[reminders.message_id_for(refused)] == 1
    assert smtp.rcpt_attempts[address] == 2
