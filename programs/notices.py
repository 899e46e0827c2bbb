"""Who hears about a proposal's event, in the portal and by e-mail.

``event_notify`` runs inside the lifecycle's transaction: it writes the
in-portal notifications and one outbox row (``Notice``) per e-mail, and asks a
worker to send them once the transaction commits. The rows are the truth: a
lost task or a broker restart loses nothing, the next dispatch finds them.
A decision a cycle holds back is announced only when it is published.
"""

import datetime
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import get_connection
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from meetings.models import Notification
from meetings.reminders import PermanentFailure, classify, outbox_claim, outbox_sweep, retry_delays
from organizations.models import Membership
from portal.lib.cache import UNREAD, bump
from portal.lib.mail import build_templated_mail

from .models import Notice, Proposal, ProposalEvent

logger = logging.getLogger(__name__)
S = Proposal.Status
BATCH_SIZE = 50

# Transitions the board must hear about (staff took them) and those staff must hear about.
TO_BOARD = {S.UNDER_REVIEW, S.REVISION_REQUESTED, S.APPROVED, S.REJECTED, S.EVALUATED}
TO_STAFF = {S.SUBMITTED, S.WITHDRAWN, S.IN_PROGRESS, S.COMPLETED}


def _audience(event: ProposalEvent, actor_is_staff: bool) -> tuple[bool, bool]:
    """(board, staff): which side of the proposal hears about this event."""
    if event.kind == ProposalEvent.Kind.TRANSITION:
        if event.to_status == S.WITHDRAWN and event.from_status == S.DRAFT:
            return False, False  # nobody else had seen it
        return event.to_status in TO_BOARD, event.to_status in TO_STAFF
    if event.kind == ProposalEvent.Kind.COMMENT:
        return actor_is_staff, not actor_is_staff
    if event.kind in (ProposalEvent.Kind.RECOMMENDATION, ProposalEvent.Kind.PROGRESS):
        return False, True
    return False, False


def board_users(board_id, today=None):
    """Active accounts of the board's pengurus today."""
    return get_user_model().objects.filter(
        is_active=True,
        person__memberships__in=Membership.objects.active(today or timezone.localdate()).filter(board_id=board_id),
    ).select_related("person").distinct()


def staff_users():
    return get_user_model().objects.filter(is_active=True, groups__name=settings.STAFF_GROUP_NAME).select_related(
        "person").distinct()


def _language(user) -> str:
    language = getattr(getattr(user, "person", None), "language", "") or settings.LANGUAGE_CODE
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def subject_line(event: ProposalEvent) -> str:
    title = event.proposal.title
    if event.kind == ProposalEvent.Kind.COMMENT:
        return _("Komentar baru pada usulan \"%(title)s\"") % {"title": title}
    if event.kind == ProposalEvent.Kind.RECOMMENDATION:
        return _("Rekomendasi forum untuk usulan \"%(title)s\"") % {"title": title}
    if event.kind == ProposalEvent.Kind.PROGRESS:
        return _("Laporan kemajuan usulan \"%(title)s\"") % {"title": title}
    return _("Usulan \"%(title)s\": %(status)s") % {"title": title, "status": S(event.to_status).label}


def event_notify(event: ProposalEvent, *, published=False) -> int:
    """Record the notices for ``event``; returns how many e-mails were queued."""
    proposal = event.proposal
    if event.is_decision and proposal.decision_published_at is None and not published:
        return 0  # held with the rest of the cycle: announced by cycle_publish_decisions
    actor_is_staff = event.actor_id is not None and staff_users().filter(pk=event.actor_id).exists()
    to_board, to_staff = _audience(event, actor_is_staff)
    users = {}
    if to_board:
        users.update({user.pk: user for user in board_users(proposal.board_id)})
    if to_staff:
        users.update({user.pk: user for user in staff_users()})
    users.pop(event.actor_id, None)
    if not users:
        return 0
    url = reverse("programs:detail", args=[proposal.pk])
    now = timezone.now()
    notifications, rows = [], []
    for user in users.values():
        language = _language(user)
        with translation.override(language):
            text = subject_line(event)
        notifications.append(Notification(user=user, text=text[:300], url=url, created_at=now))
        if user.email:
            rows.append(Notice(event=event, user=user, email=user.email, language=language, due_at=now))
    Notification.objects.bulk_create(notifications)
    # bulk_create sends no signal: the recipients' unread counts are stale now.
    bump(UNREAD, *users)
    rows = Notice.objects.bulk_create(rows, ignore_conflicts=False)
    ids = [row.pk for row in rows]
    if ids:
        transaction.on_commit(lambda: _send_soon(ids))
    return len(ids)


def _send_soon(ids):
    # Without waiting for the next minute's scan; if the broker is down, the scan sends them.
    from .tasks import send_notices

    try:
        send_notices.delay(ids)
    except Exception:  # noqa: BLE001 - the rows are the queue
        logger.warning("could not enqueue proposal notices; the next scan will send them", exc_info=True)


# --- sending -----------------------------------------------------------------------------------


def notices_claim(*, ids=None, now=None, limit=BATCH_SIZE) -> list[int]:
    """Due rows to "sending", claimed as the reminders are: by one worker only, each claim an attempt."""
    now = now or timezone.now()
    due = Notice.objects.due(now)
    if ids is not None:
        due = due.filter(pk__in=ids)
    return outbox_claim(due.order_by("due_at", "pk"), now=now, limit=limit)


def notices_sweep(*, now=None) -> int:
    """Rows a killed worker left in "sending" go back to the queue."""
    return outbox_sweep(Notice, now=now or timezone.now())


def build_message(notice: Notice):
    event = notice.event
    proposal = event.proposal
    with translation.override(notice.language):
        context = {
            "event": event,
            "proposal": proposal,
            "subject": subject_line(event),
            "status_label": proposal.status_label_for_board(),
            "url": settings.SITE_URL.rstrip("/") + reverse("programs:detail", args=[proposal.pk]),
        }
        message = build_templated_mail("programs/email/notice", to=[notice.email], context=context)
    message.extra_headers["Message-ID"] = (
        f"<usulan-notice-{notice.pk}@{getattr(settings, 'REMINDER_MESSAGE_ID_DOMAIN', 'localhost')}>"
    )
    return message


def notices_send(*, ids, now=None) -> int:
    """Send claimed rows over one SMTP connection; a row is "sent" only once the server accepted it."""
    rows = list(Notice.objects.filter(pk__in=ids, status=Notice.Status.SENDING)
                .select_related("event__proposal__board", "event__proposal__cycle"))
    if not rows:
        return 0
    sent = 0
    connection = get_connection()
    try:
        for row in rows:
            now = timezone.now()
            try:
                message = build_message(row)
                message.connection = connection
                message.send()
            except Exception as error:  # noqa: BLE001 - every failure is recorded on its row
                _failed(row, error, now)
                continue
            Notice.objects.filter(pk=row.pk, status=Notice.Status.SENDING).update(
                status=Notice.Status.SENT, sent_at=now, last_error="")
            sent += 1
    finally:
        try:
            connection.close()
        except Exception:  # noqa: BLE001
            logger.debug("closing the SMTP connection failed", exc_info=True)
    return sent


def _failed(row: Notice, error: Exception, now):
    # The claim counted this attempt already.
    delays = retry_delays()
    description = f"{type(error).__name__}: {error}"[:1000]
    if classify(error) is PermanentFailure or row.attempts > len(delays):
        Notice.objects.filter(pk=row.pk, status=Notice.Status.SENDING).update(
            status=Notice.Status.FAILED, last_error=description)
        return
    Notice.objects.filter(pk=row.pk, status=Notice.Status.SENDING).update(
        status=Notice.Status.SCHEDULED, claimed_at=None, last_error=description,
        due_at=now + datetime.timedelta(seconds=delays[row.attempts - 1]))
