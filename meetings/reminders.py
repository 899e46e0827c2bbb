"""The reminder outbox: planning rows, claiming them, sending them, retrying.

Planning happens in the same transaction as the change that causes it
(scheduling, moving, cancelling, inviting, answering), so a row exists if and
only if the change was committed. Sending is driven by the database: a
dispatcher claims due rows (``SELECT ... FOR UPDATE SKIP LOCKED`` on
PostgreSQL, a conditional UPDATE elsewhere), a worker sends a batch over one
SMTP connection and records each outcome on its row. A row is marked sent only
after the mail server accepted the message; a worker killed in between leaves
the row "sending", and the sweeper puts it back after SENDING_TIMEOUT, so at
most one batch can be sent twice and nothing is lost.
"""

import datetime
import logging
import smtplib
import socket
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import get_connection
from django.db import connection, transaction
from django.db.models import F, Prefetch
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.lib.formats import WITA

from .models import FollowUp, Invitation, Meeting, Reminder

logger = logging.getLogger(__name__)

# Slot keys a meeting may use, in the order they come before the meeting.
SLOT_CHOICES = [
    ("h-7", _("H-7, pukul 08.00 WITA")),
    ("h-3", _("H-3, pukul 08.00 WITA")),
    ("h-1", _("H-1, pukul 08.00 WITA")),
    ("2h", _("2 jam sebelum mulai")),
    ("1h", _("1 jam sebelum mulai")),
]
SLOT_KEYS = [key for key, _label in SLOT_CHOICES]
MORNING = datetime.time(8, 0)
# Asking for an answer goes with the H-3 reminder, or on its own at that time.
ASK_SLOT = "ask-h-3"
# The organiser is reminded after the meeting while attendance or minutes are missing.
ORGANISER_SLOTS = ("h+1", "h+3")
# A board is reminded three days before a follow-up is due and on the day it becomes overdue.
FOLLOW_UP_SLOTS = ("due-3", "overdue")

# Waits between tries after a temporary failure (pretix uses the same ladder),
# and how long a row may stay "sending". Defaults: settings.REMINDER_RETRY_DELAYS
# and REMINDER_SENDING_TIMEOUT (seconds) override them.
RETRY_DELAYS = [10, 30, 60, 300, 900]
SENDING_TIMEOUT = datetime.timedelta(minutes=10)
BATCH_SIZE = 50


def retry_delays() -> list[int]:
    return list(getattr(settings, "REMINDER_RETRY_DELAYS", None) or RETRY_DELAYS)


def sending_timeout() -> datetime.timedelta:
    seconds = getattr(settings, "REMINDER_SENDING_TIMEOUT", None)
    return SENDING_TIMEOUT if seconds is None else datetime.timedelta(seconds=seconds)


# --- when -----------------------------------------------------------------------------


def slot_due(slot: str, start: datetime.datetime) -> datetime.datetime:
    """When a slot fires for a meeting starting at ``start``.

    "h-N" is 08:00 WITA N days before the meeting's day, "Nh" N hours before the
    start, "h+N" 08:00 WITA N days after.
    """
    local = timezone.localtime(start, WITA)
    if slot.startswith("h-") or slot.startswith("h+"):
        days = int(slot[2:]) * (-1 if slot[1] == "-" else 1)
        day = local.date() + datetime.timedelta(days=days)
        return datetime.datetime.combine(day, MORNING, tzinfo=WITA)
    if slot.endswith("h"):
        return start - datetime.timedelta(hours=int(slot[:-1]))
    raise ValueError(f"unknown reminder slot {slot!r}")


def follow_up_due(slot: str, due_date: datetime.date) -> datetime.datetime:
    day = due_date - datetime.timedelta(days=3) if slot == "due-3" else due_date + datetime.timedelta(days=1)
    return datetime.datetime.combine(day, MORNING, tzinfo=WITA)


# --- planning ----------------------------------------------------------------------------


def _invitation_slots(meeting: Meeting):
    slots = [s for s in SLOT_KEYS if s in (meeting.reminder_slots or [])]
    if "h-3" not in slots:
        slots.append(ASK_SLOT)
    return slots


def _wants_reminders(invitation: Invitation) -> bool:
    return not invitation.is_walk_in and invitation.rsvp != Invitation.Rsvp.DECLINED


def reminders_plan(*, meeting: Meeting, now=None, invitations=None):
    """Create or reschedule the meeting's reminder rows; cancel what no longer applies.

    Idempotent. Sent rows are history and never touched. A slot already past
    is recorded as skipped, never sent late.
    """
    now = now or timezone.now()
    invitations = list(invitations if invitations is not None else meeting.invitations.all())
    slots = _invitation_slots(meeting)
    due_of = {slot: (slot_due("h-3", meeting.start) if slot == ASK_SLOT else slot_due(slot, meeting.start))
              for slot in slots}
    existing = {
        (r.invitation_id, r.slot): r
        for r in Reminder.objects.filter(meeting=meeting, kind=Reminder.Kind.REMINDER,
                                         invitation__in=[i.pk for i in invitations])
    }
    scheduled = meeting.status == Meeting.Status.SCHEDULED
    to_create, to_update = [], []
    for invitation in invitations:
        wanted = scheduled and _wants_reminders(invitation)
        for slot in SLOT_KEYS + [ASK_SLOT]:
            row = existing.get((invitation.pk, slot))
            if row is not None and row.status not in Reminder.UNSENT:
                continue  # sent, failed or in flight: history
            if slot in due_of and wanted:
                due = due_of[slot]
                status = Reminder.Status.SCHEDULED if due > now else Reminder.Status.SKIPPED
            elif row is None:
                continue
            else:
                due, status = row.due_at, Reminder.Status.CANCELLED
            if row is None:
                to_create.append(Reminder(meeting=meeting, invitation=invitation, kind=Reminder.Kind.REMINDER,
                                          slot=slot, due_at=due, status=status))
            elif (row.due_at, row.status) != (due, status):
                row.due_at, row.status = due, status
                to_update.append(row)
    Reminder.objects.bulk_create(to_create, batch_size=500)
    Reminder.objects.bulk_update(to_update, ["due_at", "status"], batch_size=500)
    _plan_organiser(meeting, now)
    return len(to_create), len(to_update)


def _plan_one(*, rows, create, due, wanted, now):
    """Create or reschedule one unsent row found by ``rows``; sent rows are history."""
    if wanted:
        status = Reminder.Status.SCHEDULED if due > now else Reminder.Status.SKIPPED
    else:
        status = Reminder.Status.CANCELLED
    row = rows.first()
    if row is None:
        Reminder.objects.create(due_at=due, status=status, **create)
    elif row.status in Reminder.UNSENT and (row.due_at, row.status) != (due, status):
        row.due_at, row.status = due, status
        row.save(update_fields=["due_at", "status"])


def _plan_organiser(meeting, now):
    for slot in ORGANISER_SLOTS:
        _plan_one(
            rows=Reminder.objects.filter(meeting=meeting, invitation=None, follow_up=None, slot=slot),
            create={"meeting": meeting, "kind": Reminder.Kind.ORGANISER, "slot": slot},
            due=slot_due(slot, meeting.start), wanted=meeting.status != Meeting.Status.CANCELLED, now=now,
        )


def follow_up_plan(*, follow_up: FollowUp, now=None):
    """Reminders to the responsible board before a follow-up is due and when it becomes overdue."""
    now = now or timezone.now()
    for slot in FOLLOW_UP_SLOTS:
        _plan_one(
            rows=Reminder.objects.filter(follow_up=follow_up, slot=slot),
            create={"meeting_id": follow_up.meeting_id, "follow_up": follow_up, "kind": Reminder.Kind.FOLLOW_UP,
                    "slot": slot},
            due=follow_up_due(slot, follow_up.due_date), wanted=follow_up.status == FollowUp.Status.OPEN, now=now,
        )


def notices_enqueue(*, meeting: Meeting, kind: str, invitations=None, now=None) -> int:
    """One notice per invitee for an event (invited, changed, cancelled), due now.

    The slot carries the meeting's sequence, so a second change is a second
    notice and a retried request is not.
    """
    now = now or timezone.now()
    invitations = invitations if invitations is not None else meeting.invitations.all()
    slot = {
        Reminder.Kind.INVITATION: "invite",
        Reminder.Kind.CHANGE: f"change-{meeting.sequence}",
        Reminder.Kind.CANCELLATION: f"cancel-{meeting.sequence}",
    }[kind]
    rows = [
        Reminder(meeting=meeting, invitation=invitation, kind=kind, slot=slot, due_at=now)
        for invitation in invitations
        if not invitation.is_walk_in
        and (kind == Reminder.Kind.CANCELLATION or invitation.rsvp != Invitation.Rsvp.DECLINED)
    ]
    Reminder.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)
    if rows:
        transaction.on_commit(_dispatch_soon)
    return len(rows)


def _dispatch_soon():
    # Notices should not wait for the next minute's scan; if the broker is
    # down the scan still finds them.
    from .tasks import dispatch_due_reminders

    try:
        dispatch_due_reminders.delay()
    except Exception:  # the database is the queue; the beat scan will pick them up
        logger.warning("could not enqueue the dispatcher; the next scan will send the notices", exc_info=True)


# --- claiming ------------------------------------------------------------------------------


def outbox_claim(due, *, now, limit) -> list[int]:
    """Atomically move up to ``limit`` rows of ``due`` from "scheduled" to "sending"; no row is taken twice.

    ``due`` is an ordered queryset of an outbox model with ``status``,
    ``claimed_at`` and ``attempts`` (meetings.Reminder, programs.Notice). The
    claim counts as an attempt, and ``claimed_at`` is ``now``.
    """
    model = due.model
    claim = {"status": "sending", "claimed_at": now, "attempts": F("attempts") + 1}
    with transaction.atomic():
        if connection.vendor == "postgresql":
            ids = list(due.select_for_update(skip_locked=True).values_list("pk", flat=True)[:limit])
            model.objects.filter(pk__in=ids).update(**claim)
            return ids
        # Elsewhere a conditional UPDATE per row: if nothing was updated,
        # another process got there first.
        return [pk for pk in due.values_list("pk", flat=True)[:limit]
                if model.objects.filter(pk=pk, status="scheduled").update(**claim)]


def outbox_sweep(model, *, now) -> int:
    """Put an outbox's rows stuck in "sending" (a killed worker, a lost task) back in the queue."""
    return model.objects.filter(status="sending", claimed_at__lt=now - sending_timeout()).update(
        status="scheduled", due_at=now, claimed_at=None
    )


def reminders_claim(*, now=None, limit=BATCH_SIZE) -> list[int]:
    """Atomically take up to ``limit`` due reminders for sending; the task gets ``now`` to know its claim."""
    now = now or timezone.now()
    return outbox_claim(Reminder.objects.due(now).order_by("due_at", "pk"), now=now, limit=limit)


def reminders_sweep(*, now=None) -> int:
    return outbox_sweep(Reminder, now=now or timezone.now())


def reminder_retry(*, reminder: Reminder, now=None) -> Reminder:
    """Staff's "send again" for a failed row: back in the queue with a fresh set of tries."""
    now = now or timezone.now()
    Reminder.objects.filter(pk=reminder.pk, status=Reminder.Status.FAILED).update(
        status=Reminder.Status.SCHEDULED, due_at=now, attempts=0, last_error=""
    )
    transaction.on_commit(_dispatch_soon)
    reminder.refresh_from_db()
    return reminder


# --- sending --------------------------------------------------------------------------------


class PermanentFailure(Exception):
    pass


class TemporaryFailure(Exception):
    pass


@dataclass
class BatchResult:
    sent: int = 0
    skipped: int = 0
    retried: int = 0
    failed: int = 0


def classify(error: Exception) -> type[Exception]:
    """Permanent for 5xx answers (an unknown mailbox), temporary for 4xx and connection trouble."""
    code = getattr(error, "smtp_code", None)
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [c for c, _msg in error.recipients.values()]
        code = min(codes) if codes else None
    if isinstance(error, smtplib.SMTPServerDisconnected | ConnectionError | socket.timeout | OSError) and not code:
        return TemporaryFailure
    if code is not None and 500 <= code < 600:
        return PermanentFailure
    return TemporaryFailure


def message_id_for(reminder: Reminder) -> str:
    """Stable per row, so a resend after a crash is recognisable as the same message."""
    domain = settings.REMINDER_MESSAGE_ID_DOMAIN
    return f"<reminder.{reminder.pk}.{reminder.slot}@{domain}>"


def reminders_send_batch(*, ids, claimed_at=None, now=None) -> BatchResult:
    """Send claimed rows over one SMTP connection and record each outcome.

    With ``claimed_at`` only rows still held by that claim are sent: a task
    redelivered long after a crash finds its rows requeued by the sweeper
    (and perhaps claimed again by another worker) and leaves them alone.
    """
    from .notices import build_message, notify_in_portal, skip_reason

    result = BatchResult()
    held = Reminder.objects.filter(pk__in=list(ids), status=Reminder.Status.SENDING)
    if claimed_at is not None:
        held = held.filter(claimed_at=claimed_at)
    rows = list(
        held
        .select_related("invitation__person__user", "follow_up__board")
        # Each meeting once per batch, one object shared by its rows (not a copy
        # per row, as select_related makes), with its organiser and its agenda,
        # which the text, HTML and calendar of each message list.
        .prefetch_related(Prefetch("meeting", queryset=Meeting.objects.select_related("organiser")
                                   .prefetch_related("agenda_items")))
        .order_by("pk")
    )
    if not rows:
        return result
    mail = get_connection(fail_silently=False)
    # What the messages of this batch share (the calendar, the rendered bodies), built once.
    shared = {}
    try:
        for row in rows:
            now_row = now or timezone.now()
            reason = skip_reason(row, now_row)
            if reason:
                _finish(row, Reminder.Status.SKIPPED, error=reason)
                result.skipped += 1
                continue
            notify_in_portal(row)
            message = build_message(row, cache=shared)
            if message is None:
                _finish(row, Reminder.Status.SKIPPED, error=str(_("Tidak ada alamat e-mail penerima.")))
                result.skipped += 1
                continue
            message.extra_headers["Message-ID"] = message_id_for(row)
            try:
                # Opened here, send_messages() leaves the connection open for the
                # next row (it closes only the connections it opened itself);
                # after an error it was closed and is opened again.
                mail.open()
                mail.send_messages([message])
            except Exception as error:  # classified below; every outcome is recorded
                _close_quietly(mail)
                if classify(error) is PermanentFailure:
                    _finish(row, Reminder.Status.FAILED, error=_describe(error))
                    result.failed += 1
                else:
                    result.retried += _retry_later(row, error, now_row)
                continue
            _mark_sent(row, recipients=", ".join(message.to), message_id=message.extra_headers["Message-ID"])
            result.sent += 1
    finally:
        _close_quietly(mail)
    return result


def _describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:1000]


def _retry_later(row: Reminder, error: Exception, now) -> int:
    delays = retry_delays()
    if row.attempts >= len(delays) + 1:
        _finish(row, Reminder.Status.FAILED, error=_describe(error))
        return 0
    delay = delays[min(row.attempts - 1, len(delays) - 1)]
    Reminder.objects.filter(pk=row.pk, status=Reminder.Status.SENDING).update(
        status=Reminder.Status.SCHEDULED, due_at=now + datetime.timedelta(seconds=delay), claimed_at=None,
        last_error=_describe(error),
    )
    return 1


# The UPDATE that _finish(row, SENT, ...) makes, conditional on "sending" in the same way.
_MARK_SENT = (
    f"UPDATE {Reminder._meta.db_table} SET status = %s, last_error = '', sent_at = %s, recipients = %s, "
    "message_id = %s WHERE id = %s AND status = %s"
)


def _mark_sent(row: Reminder, *, recipients: str, message_id: str):
    """Record that the mail server accepted the row's message; called once per message, right after.

    As ``_finish(row, SENT, ...)``, and on PostgreSQL cheaper, in two ways
    (together more than half a millisecond a message; docs/benchmarks.md):

    - The transaction commits without waiting for its WAL record to reach
      the disk (``SET LOCAL synchronous_commit TO OFF``). The mark is kept
      like any other once the WAL writer flushes it, a fraction of a second
      later. Only a crash of the database server (or its machine) in that
      moment can lose it, and then what is lost is the mark, never a
      message: the row stays "sending", the sweeper puts it back and the
      message goes out once more, a duplicate within one batch as when a
      worker dies. A row is still marked only after the server accepted its
      message.
    - The UPDATE is written out (``_MARK_SENT``) rather than built by the
      ORM for every message, which took more CPU than running it.

    Inside a transaction of the caller's (tests, an eager task) the setting
    would reach the caller's commit too, so there the mark is written as usual.
    """
    sent_at = timezone.now()
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        _finish(row, Reminder.Status.SENT, sent_at=sent_at, recipients=recipients, message_id=message_id)
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit TO OFF")
        cursor.execute(_MARK_SENT, [Reminder.Status.SENT.value, sent_at, recipients, message_id, row.pk,
                                    Reminder.Status.SENDING.value])


def _finish(row: Reminder, status, *, error="", **fields):
    # Conditional on "sending": if the sweeper already put the row back, the
    # other worker's outcome is the one that counts.
    Reminder.objects.filter(pk=row.pk, status=Reminder.Status.SENDING).update(
        status=status, last_error=error, **fields
    )


def _close_quietly(mail):
    try:
        mail.close()
    except Exception:
        logger.debug("closing the SMTP connection failed", exc_info=True)


def failed_for_meeting(meeting):
    return meeting.reminders.filter(status=Reminder.Status.FAILED).select_related("invitation")

