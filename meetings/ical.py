"""Meetings as iCalendar (RFC 5545), for downloads, the personal feed and, later, e-mails (RFC 5546).

One event per meeting, built by ``meeting_event``; ``meeting_calendar`` wraps
events in a VCALENDAR with a METHOD. Downloads and feeds use PUBLISH; the
invitation e-mails will use REQUEST (with the invitee as ATTENDEE) and CANCEL,
built by the same two functions so that a calendar client sees one event, with
one UID, whichever way it arrived.
"""

import copy
import datetime
import functools
from email.utils import parseaddr

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Alarm, Calendar, Event, Timezone, vCalAddress, vText

from portal.lib.formats import WITA

from .models import Invitation, Meeting

PRODID = "-//DP3AKB Kota Balikpapan//Portal Koordinasi LPM//ID"
METHODS = ("PUBLISH", "REQUEST", "CANCEL")
# Phones remind this long before the start, even when no e-mail arrives.
ALARM_BEFORE = datetime.timedelta(hours=2)
CONTENT_TYPE = "text/calendar; charset=utf-8"

# How an answer in the portal reads as an iCalendar participation status.
PARTSTAT = {
    Invitation.Rsvp.PENDING: "NEEDS-ACTION",
    Invitation.Rsvp.ACCEPTED: "ACCEPTED",
    Invitation.Rsvp.DECLINED: "DECLINED",
    Invitation.Rsvp.DELEGATED: "DELEGATED",
}


def event_uid(meeting: Meeting) -> str:
    """Stable for the life of the meeting: edits and cancellation keep it, so clients update one event."""
    return f"{meeting.uid}@lpm-balikpapan"


def meeting_url(meeting: Meeting) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("meetings:detail", args=[meeting.pk])


def _organizer() -> vCalAddress:
    name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    organizer = vCalAddress(f"mailto:{address or settings.DEFAULT_FROM_EMAIL}")
    organizer.params["CN"] = vText(name or _("Portal LPM Balikpapan"))
    return organizer


def _attendee(invitation: Invitation) -> vCalAddress:
    attendee = vCalAddress(f"mailto:{invitation.email}")
    attendee.params["CN"] = vText(invitation.name)
    attendee.params["ROLE"] = "REQ-PARTICIPANT"
    attendee.params["PARTSTAT"] = PARTSTAT[invitation.rsvp]
    # Answers go through the portal's link, not a calendar reply to a no-reply address.
    attendee.params["RSVP"] = "FALSE"
    return attendee


def _description(meeting: Meeting, agenda) -> str:
    parts = []
    if meeting.is_cancelled:
        reason = meeting.cancel_reason or "-"
        parts.append(_("Rapat ini DIBATALKAN. Alasan: %(reason)s") % {"reason": reason})
    if meeting.description:
        parts.append(meeting.description.strip())
    if meeting.online_url and not meeting.is_cancelled:
        parts.append(_("Tautan rapat daring: %(url)s") % {"url": meeting.online_url})
    if agenda:
        lines = [_("Acara:")]
        for number, item in enumerate(agenda, start=1):
            line = f"{number}. {item.title}"
            if item.presenter:
                line += f" ({item.presenter})"
            lines.append(line)
        parts.append("\n".join(lines))
    parts.append(_("Rincian rapat: %(url)s") % {"url": meeting_url(meeting)})
    return "\n\n".join(parts)


def meeting_event(meeting: Meeting, *, method: str = "PUBLISH", attendee: Invitation | None = None,
                  stamp: datetime.datetime | None = None) -> Event:
    """One VEVENT for ``meeting``.

    ``agenda_items`` is read through ``meeting.agenda_items.all()``: prefetch it
    when building many events. ``attendee`` (an invitation with an e-mail) is
    added for REQUEST and CANCEL messages sent to one invitee.
    """
    if method not in METHODS:
        raise ValueError(f"Unknown iCalendar method {method!r}")
    cancelled = meeting.is_cancelled or method == "CANCEL"
    summary = meeting.title
    if cancelled:
        # STATUS says it to the client; the prefix says it to a person, since
        # some clients (subscribed feeds in particular) ignore STATUS.
        summary = _("[Dibatalkan] %(title)s") % {"title": meeting.title}
    event = Event.new(
        uid=event_uid(meeting),
        sequence=meeting.sequence,
        stamp=stamp or timezone.now(),
        # Local wall time with TZID=Asia/Makassar; the VTIMEZONE comes from meeting_calendar.
        start=timezone.localtime(meeting.start, WITA),
        end=timezone.localtime(meeting.end, WITA),
        summary=summary,
        location=meeting.venue or meeting.online_url or None,
        description=_description(meeting, list(meeting.agenda_items.all())),
        url=meeting_url(meeting),
        status="CANCELLED" if cancelled else "CONFIRMED",
        transparency="TRANSPARENT" if cancelled else "OPAQUE",
        categories=[meeting.get_kind_display()],
    )
    event.add("created", meeting.created_at)
    event.add("last-modified", meeting.updated_at)
    event.add("organizer", _organizer())
    if attendee is not None and attendee.email:
        event.add("attendee", _attendee(attendee))
    if not cancelled:
        # No alarm on a cancelled meeting: a client that keeps showing the
        # struck-through event must not ring for it two hours before.
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("trigger", -ALARM_BEFORE)
        alarm.add("description", _("Pengingat: %(title)s") % {"title": meeting.title})
        event.add_component(alarm)
    return event


def meeting_calendar(meetings, *, method: str = "PUBLISH", name: str | None = None, attendee: Invitation | None = None,
                     stamp: datetime.datetime | None = None) -> Calendar:
    """A VCALENDAR with one event per meeting and the VTIMEZONE the events need.

    ``name`` titles a subscribed feed in calendar apps.
    """
    if method not in METHODS:
        raise ValueError(f"Unknown iCalendar method {method!r}")
    stamp = stamp or timezone.now()
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    if name:
        calendar.add("name", name)
        calendar.add("x-wr-calname", name)
        calendar.add("x-wr-timezone", str(WITA))
        # How often a subscribed client should fetch again (RFC 7986, and Outlook's older name).
        calendar.add("refresh-interval", datetime.timedelta(hours=1), parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", "PT1H")
    for meeting in meetings:
        calendar.add_component(meeting_event(meeting, method=method, attendee=attendee, stamp=stamp))
    # Asia/Makassar has kept UTC+8 without daylight saving since 1970.
    # What calendar.add_missing_timezones() does, with each VTIMEZONE built once
    # per process: building one scans decades of offsets (about 30 ms, most of
    # the cost of a reminder e-mail).
    position = len(calendar.timezones)
    for tzid in sorted(calendar.get_missing_tzids()):
        try:
            vtimezone = _vtimezone(tzid)
        except ValueError:  # unknown to the timezone database: left out, as add_missing_timezones() does
            continue
        calendar.subcomponents.insert(position, copy.deepcopy(vtimezone))
        position += 1
    return calendar


@functools.cache
def _vtimezone(tzid: str) -> Timezone:
    return Timezone.from_tzid(tzid)


# A stand-in for the invitee in a calendar built once for many invitees; it
# never leaves this module (see AttendeeCalendar).
_PLACEHOLDER = "mailto:attendee-placeholder@invalid"


class AttendeeCalendar:
    """One meeting's REQUEST or CANCEL, built and serialised once, for many invitees.

    ``to_ical(invitation)`` returns the bytes that
    ``meeting_calendar([meeting], method=method, attendee=invitation, stamp=stamp).to_ical()``
    would: the calendar is serialised once with a placeholder ATTENDEE, and
    each invitee's ATTENDEE line (serialised by icalendar itself, so escaping
    and folding are the library's) takes the placeholder's place. Properties
    are serialised sorted by name, so the line sits where it would anyway.
    """

    def __init__(self, meeting: Meeting, *, method: str, stamp: datetime.datetime | None = None):
        calendar = meeting_calendar([meeting], method=method, stamp=stamp)
        event = calendar.walk("VEVENT")[0]
        event.add("attendee", vCalAddress(_PLACEHOLDER))
        content = calendar.to_ical()
        parts = content.split(b"\r\nATTENDEE:" + _PLACEHOLDER.encode() + b"\r\n")
        if len(parts) != 2:  # cannot happen: property lines never start with a space-less "ATTENDEE:" twice
            raise ValueError("the attendee placeholder is not exactly once in the calendar")
        self.head, self.tail = parts[0] + b"\r\n", parts[1]

    def to_ical(self, attendee: Invitation | None) -> bytes:
        return self.head + attendee_line(attendee) + self.tail


def attendee_line(invitation: Invitation | None) -> bytes:
    """The invitee's ATTENDEE content line, folded, with its CRLF; empty without an address.

    Serialised as ``Component.to_ical()`` serialises each property (its
    ``content_line``, parameters sorted), without building a component around it.
    """
    if invitation is None or not invitation.email:
        return b""
    return Event().content_line("ATTENDEE", _attendee(invitation)).to_ical() + b"\r\n"
