"""In-portal notices (each user their own) and staff's "send again" for a failed e-mail.

A notice belongs to one user: anyone else asking for it gets a 404, never a
403, so that notice ids reveal nothing. Marking as read is a POST, so a link
prefetcher or a crawler cannot mark anything.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from organizations.access import access_for
from portal.lib.context_processors import forget_unread_count

from .. import reminders
from ..models import Notification, Reminder

PAGE_SIZE = 20


def _list_url(page=None):
    url = reverse("meetings:notifications")
    return f"{url}?page={page}" if page and str(page).isdigit() and str(page) != "1" else url


def notification_mark_read(*, notification: Notification, now=None) -> bool:
    """Mark one notice read; False if it already was (a second tap changes nothing)."""
    changed = Notification.objects.filter(pk=notification.pk, read_at=None).update(read_at=now or timezone.now())
    if changed:
        forget_unread_count(notification.user_id)  # update() sends no signal: the header count is cached
    return bool(changed)


def notifications_mark_all_read(*, user, now=None) -> int:
    changed = Notification.objects.filter(user=user, read_at=None).update(read_at=now or timezone.now())
    if changed:
        forget_unread_count(user.pk)
    return changed


@login_required
@require_GET
def notification_list(request):
    """The user's notices, newest first, unread ones marked; the same queries whatever the count."""
    notices = Notification.objects.filter(user=request.user).only("text", "url", "created_at", "read_at")
    page = Paginator(notices, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "meetings/notifications.html", {"page_obj": page})


@login_required
@require_POST
def notification_read(request, pk):
    """Mark one of the user's own notices read and go back to the same page of the list."""
    notification = get_object_or_404(Notification, pk=pk, user=request.user)
    notification_mark_read(notification=notification)
    return redirect(_list_url(request.POST.get("page")))


@login_required
@require_POST
def notifications_read_all(request):
    count = notifications_mark_all_read(user=request.user)
    if count:
        messages.success(request, _("Semua notifikasi ditandai sudah dibaca."))
    return redirect(_list_url())


@login_required
@require_POST
def reminder_resend(request, pk, reminder_pk):
    """Put a failed e-mail of meeting ``pk`` back in the outbox (staff; an invitee gets 403, others 404)."""
    meeting = access_for(request.user).get_managed_meeting_or_404(pk)
    reminder = get_object_or_404(Reminder, pk=reminder_pk, meeting=meeting)
    detail = reverse("meetings:detail", args=[meeting.pk]) + "#pengingat"
    if reminder.status != Reminder.Status.FAILED:
        messages.info(request, _("E-mail ini tidak gagal terkirim, jadi tidak perlu dikirim ulang."))
        return redirect(detail)
    reminders.reminder_retry(reminder=reminder)
    messages.success(
        request,
        _("E-mail untuk %(recipient)s dijadwalkan untuk dikirim ulang.")
        % {"recipient": reminder.invitation.name if reminder.invitation_id else reminder.get_kind_display()},
    )
    return redirect(detail)
