"""What each outbox row says, to whom, and in which language.

Decisions are taken when the row is sent, from the state at that moment: a
reminder for a meeting that was cancelled meanwhile, or for an invitee who
declined, is skipped with the reason on the row.
"""

import copy
import datetime
import re
import secrets
import urllib.parse

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext as _

from organizations.models import Membership
from portal.lib.formats import time_range
from portal.lib.mail import TemplatedMail, build_templated_mail

from . import ical
from .models import FollowUp, Invitation, Meeting, Minutes, Notification, Reminder
from .reminders import ASK_SLOT

LATE_AFTER = datetime.timedelta(hours=3)
INVITEE_KINDS = (Reminder.Kind.INVITATION, Reminder.Kind.CHANGE, Reminder.Kind.CANCELLATION, Reminder.Kind.REMINDER)


def skip_reason(row: Reminder, now) -> str:
    """Why this row should not be sent now, or "" to send it."""
    meeting, invitation = row.meeting, row.invitation
    if row.kind in (Reminder.Kind.REMINDER, Reminder.Kind.INVITATION, Reminder.Kind.CHANGE):
        if meeting.status == Meeting.Status.CANCELLED:
            return _("Rapat dibatalkan.")
        if now >= meeting.start:
            return _("Rapat sudah dimulai.")
        if invitation is not None and invitation.rsvp == Invitation.Rsvp.DECLINED:
            return _("Undangan menjawab tidak hadir.")
        if row.slot == ASK_SLOT and invitation is not None and invitation.rsvp != Invitation.Rsvp.PENDING:
            return _("Undangan sudah menjawab.")
        # A reminder first picked up long after its time (the workers were down
        # overnight, say) is stale: never send it late. Retries move due_at, so
        # this only judges the first try.
        if row.kind == Reminder.Kind.REMINDER and row.attempts <= 1 and now - row.due_at > LATE_AFTER:
            return _("Terlambat: waktu pengingat sudah lama lewat.")
    if row.kind == Reminder.Kind.ORGANISER:
        if meeting.status == Meeting.Status.CANCELLED:
            return _("Rapat dibatalkan.")
        if not organiser_missing(meeting):
            return _("Kehadiran dan notulen sudah lengkap.")
    if row.kind == Reminder.Kind.FOLLOW_UP:
        if row.follow_up.status != FollowUp.Status.OPEN:
            return _("Tindak lanjut sudah selesai.")
        if meeting.status == Meeting.Status.CANCELLED:
            return _("Rapat dibatalkan.")
    return ""


def organiser_missing(meeting) -> list[str]:
    """What the organiser still has to record after the meeting."""
    missing = []
    invitations = meeting.invitations.filter(is_walk_in=False)
    if invitations.exists() and not invitations.exclude(attendance="").exists():
        missing.append(_("daftar hadir"))
    if not Minutes.objects.filter(meeting=meeting).exists():
        missing.append(_("notulen"))
    return missing


def recipients(row: Reminder) -> list[str]:
    invitation = row.invitation
    if invitation is not None:
        # A delegate with an address hears instead of the invitee.
        if invitation.rsvp == Invitation.Rsvp.DELEGATED and invitation.delegate_email:
            return [invitation.delegate_email]
        return [invitation.email] if invitation.email else []
    if row.kind == Reminder.Kind.ORGANISER:
        email = row.meeting.organiser.email
        return [email] if email else []
    if row.kind == Reminder.Kind.FOLLOW_UP:
        board = row.follow_up.board
        addresses = [board.email] if board.email else []
        addresses += [
            m.person.email
            for m in Membership.objects.active()
            .filter(board=board, position__in=(Membership.Position.KETUA, Membership.Position.SEKRETARIS))
            .select_related("person")
            if m.person.email
        ]
        return sorted(set(addresses))
    return []


def for_delegate(invitation) -> bool:
    return (invitation is not None and invitation.rsvp == Invitation.Rsvp.DELEGATED
            and bool(invitation.delegate_email))


def greeting_name(row: Reminder) -> str:
    if row.invitation is not None:
        return row.invitation.delegate_name if for_delegate(row.invitation) else row.invitation.name
    if row.kind == Reminder.Kind.ORGANISER:
        organiser = row.meeting.organiser
        return organiser.get_full_name() or getattr(getattr(organiser, "person", None), "name", "")
    return ""


def language_of(row: Reminder) -> str:
    invitation = row.invitation
    person = invitation.person if invitation is not None else None
    if person is None and row.kind == Reminder.Kind.ORGANISER:
        person = getattr(row.meeting.organiser, "person", None)
    language = getattr(person, "language", "") or settings.LANGUAGE_CODE
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def rsvp_links(invitation: Invitation) -> dict:
    base = absolute(reverse("meetings:rsvp_token", args=[invitation.token]))
    return {"page": base, "accept": f"{base}?jawab=hadir", "decline": f"{base}?jawab=tidak",
            "delegate": f"{base}?jawab=wakil"}


def share_text(meeting: Meeting) -> str:
    title = meeting.title
    if meeting.is_cancelled:
        # Forwarded to a WhatsApp group, the text must not read as an invitation.
        title = _("[Dibatalkan] %(title)s") % {"title": meeting.title}
    lines = [title, time_range(meeting.start, meeting.end)]
    if meeting.venue:
        lines.append(meeting.venue)
    if meeting.online_url:
        lines.append(meeting.online_url)
    return "\n".join(lines)


def whatsapp_link(meeting: Meeting) -> str:
    return "https://wa.me/?text=" + urllib.parse.quote(share_text(meeting))


def subject_line(row: Reminder) -> str:
    meeting = row.meeting
    if row.kind == Reminder.Kind.INVITATION:
        return _("Undangan: %(title)s") % {"title": meeting.title}
    if row.kind == Reminder.Kind.CHANGE:
        return _("Perubahan jadwal: %(title)s") % {"title": meeting.title}
    if row.kind == Reminder.Kind.CANCELLATION:
        return _("Dibatalkan: %(title)s") % {"title": meeting.title}
    if row.kind == Reminder.Kind.ORGANISER:
        return _("Lengkapi catatan rapat: %(title)s") % {"title": meeting.title}
    if row.kind == Reminder.Kind.FOLLOW_UP:
        if row.slot == "overdue":
            return _("Tindak lanjut melewati tenggat: %(title)s") % {"title": meeting.title}
        return _("Tindak lanjut jatuh tempo 3 hari lagi: %(title)s") % {"title": meeting.title}
    if row.invitation is not None and row.invitation.rsvp == Invitation.Rsvp.PENDING and row.slot in ("h-3", ASK_SLOT):
        return _("Mohon konfirmasi kehadiran: %(title)s") % {"title": meeting.title}
    return _("Pengingat: %(title)s") % {"title": meeting.title}


def build_message(row: Reminder, *, cache: dict | None = None):
    """The e-mail for a row (text, HTML, and a calendar invite for invitees), or None without an address.

    ``cache`` (a dict kept for one batch, see reminders_send_batch) holds what
    the messages of a batch share; the messages are the same as without it.
    The calendar of a meeting is built and serialised once per method,
    sequence and language, and only the invitee's ATTENDEE line differs; an
    invitee's text and HTML are rendered once per group of invitees who get
    the same wording (see shared_bodies), and only their name and answer
    links differ.
    """
    to = recipients(row)
    if not to:
        return None
    meeting, invitation = row.meeting, row.invitation
    with translation.override(language_of(row)):
        if cache is not None and _shares_bodies(row):
            subject, text, html = shared_bodies(cache, row)
            message = TemplatedMail(subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=to)
            message.attach_alternative(html, "text/html")
        else:
            message = build_templated_mail("meetings/email/notice", to=to, context=message_context(row))
        if row.kind in INVITEE_KINDS:
            method = "CANCEL" if row.kind == Reminder.Kind.CANCELLATION else "REQUEST"
            if cache is None:
                content = ical.meeting_calendar([meeting], method=method, attendee=invitation).to_ical()
            else:
                content = shared_calendar(cache, meeting, method).to_ical(invitation)
            # MIMEText adds the charset itself; naming it here too would repeat the parameter.
            message.attach("undangan.ics", content, f"text/calendar; method={method}")
    return message


def message_context(row: Reminder, invitation: Invitation | None = None) -> dict:
    """The templates' context for a row; ``invitation`` stands in for the row's own (see shared_bodies)."""
    meeting = row.meeting
    invitation = invitation if invitation is not None else row.invitation
    return {
        "row": row,
        "kind": row.kind,
        "meeting": meeting,
        "invitation": invitation,
        "follow_up": row.follow_up,
        "when": time_range(meeting.start, meeting.end),
        "subject": subject_line(row),
        "meeting_url": absolute(reverse("meetings:detail", args=[meeting.pk])),
        "whatsapp": whatsapp_link(meeting),
        "links": rsvp_links(invitation) if invitation is not None else None,
        "asks_answer": invitation is not None and invitation.rsvp == Invitation.Rsvp.PENDING
        and row.kind in (Reminder.Kind.INVITATION, Reminder.Kind.REMINDER),
        "missing": organiser_missing(meeting) if row.kind == Reminder.Kind.ORGANISER else [],
        "agenda": list(meeting.agenda_items.all()),
        # The delegate hears instead of the invitee: greet them, and say whom they stand in for.
        "for_delegate": for_delegate(invitation),
        "greeting_name": invitation.name if invitation is not None and not for_delegate(invitation)
        else greeting_name(row),
        "has_calendar": row.kind in INVITEE_KINDS,
        "attendance_url": absolute(reverse("meetings:attendance", args=[meeting.pk])),
        "minutes_edit_url": absolute(reverse("meetings:minutes_edit", args=[meeting.pk])),
        "follow_ups_url": absolute(reverse("meetings:minutes", args=[meeting.pk])) + "#tindak-lanjut",
    }


# Stand-ins rendered in place of an invitee's name and RSVP token, then
# replaced; random, so no text people typed can contain them.
_NAME_MARK = f"\ue000{secrets.token_hex(8)}\ue000"
_TOKEN_MARK = f"t{secrets.token_hex(16)}"


def _shares_bodies(row: Reminder) -> bool:
    """Whether the row's wording depends on the invitee only through their name and answer links.

    Delegations (the delegate's name, the board) and nameless invitees (a
    different greeting) are rendered one by one.
    """
    invitation = row.invitation
    return (row.kind in INVITEE_KINDS and invitation is not None and bool(invitation.name)
            and invitation.rsvp != Invitation.Rsvp.DELEGATED)


def shared_bodies(cache: dict, row: Reminder) -> tuple[str, str, str]:
    """Subject, text and HTML for an invitee's row, rendered once per group in the active language.

    The group is everything else the templates read: the meeting (its
    sequence and last change), the kind, the slot, the invitee's answer and
    the language. The templates are rendered for a stand-in invitee whose
    name and token are marks; each invitee's name (HTML-escaped in the HTML
    part, as the template would) and answer-page address replace them.
    """
    meeting, invitation = row.meeting, row.invitation
    key = ("bodies", meeting.pk, meeting.sequence, meeting.updated_at, row.kind, row.slot, invitation.rsvp,
           translation.get_language())
    rendered = cache.get(key)
    if rendered is None:
        stand_in = copy.copy(invitation)
        stand_in.name, stand_in.token = _NAME_MARK, _TOKEN_MARK
        context = message_context(row, stand_in)
        subject = " ".join(render_to_string("meetings/email/notice_subject.txt", context).split())
        text = render_to_string("meetings/email/notice.txt", context)
        html = render_to_string("meetings/email/notice.html", context)
        mark_page = rsvp_links(stand_in)["page"]
        if _NAME_MARK in subject or _TOKEN_MARK in subject:  # the subject names the meeting, never the invitee
            raise AssertionError("the subject must not depend on the invitee")
        rendered = cache[key] = (subject, text, html, mark_page)
    subject, text, html, mark_page = rendered
    page = rsvp_links(invitation)["page"]
    text = _fill(text, {_NAME_MARK: invitation.name, mark_page: page})
    html = _fill(html, {_NAME_MARK: escape(invitation.name), escape(mark_page): escape(page)})
    return subject, text, html


def _fill(rendered: str, values: dict) -> str:
    pattern = re.compile("|".join(re.escape(mark) for mark in values))
    return pattern.sub(lambda match: values[match.group(0)], rendered)


def shared_calendar(cache: dict, meeting: Meeting, method: str) -> ical.AttendeeCalendar:
    """The meeting's calendar for this batch, in the active language, built on first use.

    Keyed by everything the calendar is built from that could differ between
    rows of one batch: the meeting, its sequence and last change, the method
    and the language (summary, description and alarm are translated).
    """
    key = ("calendar", meeting.pk, meeting.sequence, meeting.updated_at, method, translation.get_language())
    calendar = cache.get(key)
    if calendar is None:
        calendar = cache[key] = ical.AttendeeCalendar(meeting, method=method)
    return calendar


def notify_in_portal(row: Reminder):
    """The same notice inside the portal, for invitees and organisers who have an account."""
    user = None
    if row.invitation is not None and row.invitation.person is not None:
        user = row.invitation.person.user
    elif row.kind == Reminder.Kind.ORGANISER:
        user = row.meeting.organiser
    if user is None:
        return None
    with translation.override(language_of(row)):
        text = subject_line(row)
    notification, _created = Notification.objects.get_or_create(
        reminder=row,
        defaults={"user": user, "text": text[:300], "url": reverse("meetings:detail", args=[row.meeting_id]),
                  "created_at": timezone.now()},
    )
    return notification
