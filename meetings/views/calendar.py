"""Calendar: the agenda list, the month view, .ics downloads and the personal feed."""

import calendar as pycalendar
import datetime
import hmac
import re

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from organizations.access import access_for
from portal.lib.formats import WITA, wita

from .. import ical, services
from ..models import CalendarFeed, Invitation, Meeting

AGENDA_PAGE_SIZE = 50
# The personal feed reaches this far back, so last month's meetings stay in the phone's calendar.
FEED_PAST_DAYS = 90
MONTH_PARAM = re.compile(r"(\d{4})-(\d{2})")
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{20,64}")


def _with_context(meetings, access):
    """Staff see how many are coming; an invitee sees their own answer. One extra query either way."""
    if access.sees_everything:
        invited = Q(invitations__is_walk_in=False)
        return meetings.annotate(
            invited_count=Count("invitations", filter=invited),
            coming_count=Count(
                "invitations",
                filter=invited & Q(invitations__rsvp__in=[Invitation.Rsvp.ACCEPTED, Invitation.Rsvp.DELEGATED]),
            ),
            pending_count=Count("invitations", filter=invited & Q(invitations__rsvp=Invitation.Rsvp.PENDING)),
        )
    return meetings.prefetch_related(
        Prefetch("invitations", queryset=Invitation.objects.filter(person__user_id=access.user_id),
                 to_attr="my_invitations")
    )


@login_required
@require_GET
def agenda(request):
    """Upcoming meetings first; ``?lalu=1`` lists past ones, newest first."""
    access = access_for(request.user)
    now = timezone.now()
    past = request.GET.get("lalu") == "1"
    meetings = access.visible_meetings()
    if past:
        meetings = meetings.filter(end__lt=now).order_by("-start", "-pk")
    else:
        meetings = meetings.filter(end__gte=now).order_by("start", "pk")
    page = Paginator(_with_context(meetings, access), AGENDA_PAGE_SIZE).get_page(request.GET.get("halaman"))
    return render(request, "meetings/calendar_agenda.html", {
        "page": page,
        "meetings": page.object_list,
        "past": past,
        "now": now,
        "sees_everything": access.sees_everything,
        "can_manage": access.can_manage_meetings(),
    })


def _month_of(value, today):
    match = MONTH_PARAM.fullmatch(value or "")
    if match:
        year, month = int(match[1]), int(match[2])
        if 1 <= month <= 12 and 1900 < year < 3000:
            return datetime.date(year, month, 1)
    return today.replace(day=1)


def _shift(first, months):
    index = first.year * 12 + first.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


@login_required
@require_GET
def month(request):
    """A month grid (Monday first) in WITA; on a narrow screen the CSS shows only days with meetings, as a list."""
    access = access_for(request.user)
    today = wita(timezone.now()).date()
    first = _month_of(request.GET.get("bulan"), today)
    following = _shift(first, 1)
    start = datetime.datetime.combine(first, datetime.time.min, tzinfo=WITA)
    end = datetime.datetime.combine(following, datetime.time.min, tzinfo=WITA)
    meetings = _with_context(
        access.visible_meetings().filter(start__gte=start, start__lt=end).order_by("start", "pk"), access
    )
    by_day = {}
    for meeting in meetings:
        by_day.setdefault(wita(meeting.start).date(), []).append(meeting)
    weeks = [
        [
            {"date": day, "in_month": day.month == first.month, "is_today": day == today,
             "meetings": by_day.get(day, []) if day.month == first.month else []}
            for day in week
        ]
        for week in pycalendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    ]
    previous = _shift(first, -1)
    return render(request, "meetings/calendar_month.html", {
        "first": first,
        "weeks": weeks,
        "weekdays": [(formats.date_format(d["date"], "D"), formats.date_format(d["date"], "l")) for d in weeks[0]],
        "meeting_count": sum(len(day_meetings) for day_meetings in by_day.values()),
        "previous": previous,
        "following": following,
        "this_month": today.replace(day=1),
        "sees_everything": access.sees_everything,
        "can_manage": access.can_manage_meetings(),
    })


def _ics_response(calendar, *, filename=None):
    response = HttpResponse(calendar.to_ical(), content_type=ical.CONTENT_TYPE)
    if filename:
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_GET
def meeting_ics(request, pk):
    access = access_for(request.user)
    meeting = access.get_meeting_or_404(pk, queryset=Meeting.objects.prefetch_related("agenda_items"))
    return _ics_response(ical.meeting_calendar([meeting], method="PUBLISH"), filename=f"rapat-{meeting.pk}.ics")


def feed_url(feed):
    return settings.SITE_URL.rstrip("/") + reverse("meetings:feed", args=[feed.token])


@login_required
@require_http_methods(["GET", "POST"])
@never_cache
def feed_manage(request):
    """Show the user's secret feed URL; a POST replaces the secret, so the old URL stops working."""
    if request.method == "POST":
        services.calendar_feed_regenerate(user=request.user)
        messages.success(request, _("Alamat langganan baru sudah dibuat. Alamat lama tidak berlaku lagi."))
        return redirect("meetings:feed_manage")
    feed = services.calendar_feed_get_or_create(user=request.user)
    url = feed_url(feed)
    return render(request, "meetings/calendar_feed.html", {
        "feed": feed,
        "feed_url": url,
        # webcal:// opens the subscribe dialog of Apple Calendar and many phone apps.
        "webcal_url": re.sub(r"^https?://", "webcal://", url),
        "past_days": FEED_PAST_DAYS,
    })


def feed_for_token(token):
    """The feed a URL's token belongs to, or None (also for a deactivated account)."""
    if not TOKEN_SHAPE.fullmatch(token or ""):
        return None
    feed = CalendarFeed.objects.select_related("user").filter(token=token).first()
    if feed is None or not hmac.compare_digest(feed.token.encode(), token.encode()) or not feed.user.is_active:
        return None
    return feed


@require_GET
@never_cache
def feed(request, token):
    """The personal feed, fetched by calendar apps without a login: the token is the credential."""
    found = feed_for_token(token)
    if found is None:
        raise Http404
    access = access_for(found.user)
    since = timezone.now() - datetime.timedelta(days=FEED_PAST_DAYS)
    meetings = (
        access.visible_meetings().filter(end__gte=since).order_by("start", "pk").prefetch_related("agenda_items")
    )
    return _ics_response(ical.meeting_calendar(meetings, method="PUBLISH", name=_("Rapat LPM Balikpapan")))
