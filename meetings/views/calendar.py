"""Calendar: the agenda list, the month view, .ics downloads and the personal feed."""

import calendar as pycalendar
import datetime
import hmac
import re

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from organizations.access import access_for
from portal.lib.formats import WITA, wita
from portal.lib.pagecache import cached_page

from .. import ical, selectors, services
from ..models import CalendarFeed, Invitation, Meeting

AGENDA_PAGE_SIZE = 50
# The month view shows this many meetings a day, then "+k rapat lainnya" linking to that day's agenda.
MONTH_MEETINGS_PER_DAY = 3
# The personal feed reaches this far back, so last month's meetings stay in the phone's calendar.
FEED_PAST_DAYS = 90
MONTH_PARAM = re.compile(r"(\d{4})-(\d{2})")
DATE_PARAM = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{20,64}")


def _with_context(meetings, access):
    """Staff see how many are coming (counted for the rows shown only); an invitee sees their own answer
    (one extra query)."""
    if access.sees_everything:
        return selectors.with_answer_counts(meetings)
    return meetings.prefetch_related(
        Prefetch("invitations", queryset=Invitation.objects.filter(person__user_id=access.user_id),
                 to_attr="my_invitations")
    )


def _date_of(value):
    match = DATE_PARAM.fullmatch(value or "")
    if match:
        try:
            day = datetime.date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            return None
        if 1900 < day.year < 3000:
            return day
    return None


@login_required
@require_GET
@cached_page
def agenda(request):
    """Upcoming meetings first; ``?lalu=1`` lists past ones, newest first; ``?tanggal=YYYY-MM-DD`` one day's
    (WITA), past or not: the month view links there when a day has more meetings than it shows."""
    access = access_for(request.user)
    now = timezone.now()
    day = _date_of(request.GET.get("tanggal"))
    past = day is None and request.GET.get("lalu") == "1"
    meetings = access.visible_meetings()
    if day is not None:
        day_start, day_end = selectors.day_bounds(day)
        meetings = meetings.filter(start__gte=day_start, start__lt=day_end).order_by("start", "pk")
        page_query = f"tanggal={day:%Y-%m-%d}&"
    elif past:
        meetings = meetings.filter(end__lt=now).order_by("-start", "-pk")
        page_query = "lalu=1&"
    else:
        meetings = meetings.filter(end__gte=now).order_by("start", "pk")
        page_query = ""
    page = Paginator(_with_context(meetings, access), AGENDA_PAGE_SIZE).get_page(request.GET.get("halaman"))
    return render(request, "meetings/calendar_agenda.html", {
        "page": page,
        "meetings": page.object_list,
        "past": past,
        "day": day,
        "page_query": page_query,
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
@cached_page
def month(request):
    """A month grid (Monday first) in WITA; on a narrow screen the CSS shows only days with meetings, as a list."""
    access = access_for(request.user)
    today = wita(timezone.now()).date()
    first = _month_of(request.GET.get("bulan"), today)
    following = _shift(first, 1)
    start = datetime.datetime.combine(first, datetime.time.min, tzinfo=WITA)
    end = datetime.datetime.combine(following, datetime.time.min, tzinfo=WITA)
    # The first few of each day; a busier day links to its agenda (a national rollout has hundreds a month).
    by_day, totals = selectors.month_meetings(access.visible_meetings(), start=start, end=end,
                                              per_day=MONTH_MEETINGS_PER_DAY)
    weeks = [
        [
            {"date": day, "in_month": day.month == first.month, "is_today": day == today,
             "meetings": by_day.get(day, []) if day.month == first.month else [],
             "more": totals.get(day, 0) - len(by_day.get(day, [])) if day.month == first.month else 0}
            for day in week
        ]
        for week in pycalendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    ]
    previous = _shift(first, -1)
    return render(request, "meetings/calendar_month.html", {
        "first": first,
        "weeks": weeks,
        "weekdays": [(formats.date_format(d["date"], "D"), formats.date_format(d["date"], "l")) for d in weeks[0]],
        "meeting_count": sum(totals.values()),
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
