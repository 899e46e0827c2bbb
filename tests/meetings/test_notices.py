"""Reminders and notices without a worker: when each slot fires, what is planned, claimed, sent, and what it says.

The outbox functions take ``now``, so time is passed in rather than frozen;
mail goes to Django's locmem backend (``mailoutbox``).
"""

import datetime
import email
import html
import re
import smtplib
import urllib.parse
import zoneinfo
from unittest import mock

import icalendar
import pytest
from django.core.mail.backends.locmem import EmailBackend
from django.urls import reverse
from django.utils import timezone, translation

from meetings import ical, notices, reminders, services
from meetings.models import FollowUp, Invitation, Meeting, Notification, Reminder
from portal.lib import formats
from tests.factories import InvitationFactory, MeetingFactory, PersonFactory

WITA = zoneinfo.ZoneInfo("Asia/Makassar")


def wita(*args):
    return datetime.datetime(*args, tzinfo=WITA)


def deliver(now):
    """One pass of the dispatcher and a worker at ``now``: claim what is due and send it."""
    ids = reminders.reminders_claim(now=now)
    return reminders.reminders_send_batch(ids=ids, now=now)


def run_until(until):
    """The dispatcher as it runs every minute, up to ``until``: each row goes out at its own time."""
    while True:
        following = Reminder.objects.due(until).order_by("due_at").first()
        if following is None:
            return
        deliver(following.due_at)


def rows(meeting, **filters):
    return Reminder.objects.filter(meeting=meeting, **filters)


def row(meeting, slot, invitation=None, **filters):
    if invitation is not None:
        filters["invitation"] = invitation
    return Reminder.objects.get(meeting=meeting, slot=slot, **filters)


def html_of(message):
    return message.alternatives[0][0]


def calendar_of(message) -> tuple[icalendar.Calendar, email.message.Message]:
    """The calendar part of the message as a mail client sees it: parsed from the bytes on the wire."""
    parsed = email.message_from_bytes(message.message().as_bytes())
    parts = [part for part in parsed.walk() if part.get_content_type() == "text/calendar"]
    assert len(parts) == 1
    return icalendar.Calendar.from_ical(parts[0].get_payload(decode=True)), parts[0]


def only_event(calendar):
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    return events[0]


def planned(meeting, invitation):
    return {r.slot: r for r in rows(meeting, invitation=invitation, kind=Reminder.Kind.REMINDER)}


@pytest.fixture
def invited(invitation_a):
    """officer_a invited to the week-ahead meeting, with the default reminders planned."""
    reminders.reminders_plan(meeting=invitation_a.meeting)
    return invitation_a


# --- slot computation ----------------------------------------------------------------------


def test_it_fires_h3_and_h1_at_eight_in_the_morning_wita():
    start = wita(2025, 11, 27, 9, 0)

    assert reminders.slot_due("h-3", start) == wita(2025, 11, 24, 8, 0)
    assert reminders.slot_due("h-1", start) == wita(2025, 11, 26, 8, 0)
    assert reminders.slot_due("h-7", start) == wita(2025, 11, 20, 8, 0)


@pytest.mark.parametrize(
    ("start", "h3", "h1"),
    [
        (wita(2025, 12, 2, 10, 0), wita(2025, 11, 29, 8, 0), wita(2025, 12, 1, 8, 0)),
        (wita(2026, 3, 1, 9, 0), wita(2026, 2, 26, 8, 0), wita(2026, 2, 28, 8, 0)),
        (wita(2028, 3, 1, 9, 0), wita(2028, 2, 27, 8, 0), wita(2028, 2, 29, 8, 0)),  # leap year
        (wita(2026, 1, 1, 13, 0), wita(2025, 12, 29, 8, 0), wita(2025, 12, 31, 8, 0)),  # across the year
    ],
)
def test_it_counts_days_back_across_month_and_year_ends(start, h3, h1):
    assert reminders.slot_due("h-3", start) == h3
    assert reminders.slot_due("h-1", start) == h1


def test_it_counts_days_by_the_date_in_balikpapan_not_in_utc():
    # 07.00 WITA on 1 December is still 30 November in UTC.
    start = wita(2025, 12, 1, 7, 0).astimezone(datetime.UTC)
    assert start.date() == datetime.date(2025, 11, 30)

    assert reminders.slot_due("h-1", start) == wita(2025, 11, 30, 8, 0)


def test_it_fires_hour_slots_before_the_start_whatever_the_day():
    start = wita(2025, 12, 1, 1, 30)

    assert reminders.slot_due("2h", start) == wita(2025, 11, 30, 23, 30)
    assert reminders.slot_due("1h", start) == wita(2025, 12, 1, 0, 30)
    assert reminders.slot_due("h+1", start) == wita(2025, 12, 2, 8, 0)


def test_it_refuses_an_unknown_slot():
    with pytest.raises(ValueError):
        reminders.slot_due("tomorrow", wita(2025, 12, 1, 9, 0))


def test_it_reminds_of_a_follow_up_three_days_before_and_the_day_after_its_due_date():
    due = datetime.date(2026, 3, 2)

    assert reminders.follow_up_due("due-3", due) == wita(2026, 2, 27, 8, 0)
    assert reminders.follow_up_due("overdue", due) == wita(2026, 3, 3, 8, 0)


# --- planning -----------------------------------------------------------------------------------


def test_it_plans_the_default_slots_for_every_invitee(invited):
    meeting = invited.meeting

    slots = planned(meeting, invited)

    assert set(slots) == {"h-3", "h-1", "2h"}
    assert all(r.status == Reminder.Status.SCHEDULED for r in slots.values())
    assert slots["h-3"].due_at == reminders.slot_due("h-3", meeting.start)
    assert slots["2h"].due_at == meeting.start - datetime.timedelta(hours=2)
    # The organiser's after-the-meeting reminders are planned with them.
    assert set(rows(meeting, kind=Reminder.Kind.ORGANISER).values_list("slot", flat=True)) == {"h+1", "h+3"}


def test_planning_twice_changes_nothing(invited):
    before = list(rows(invited.meeting).values_list("pk", "slot", "due_at", "status"))

    assert reminders.reminders_plan(meeting=invited.meeting) == (0, 0)

    assert list(rows(invited.meeting).values_list("pk", "slot", "due_at", "status")) == before


def test_a_slot_already_past_at_planning_is_skipped_and_never_sent(staff, officer_a, mailoutbox):
    start = (timezone.localtime() + datetime.timedelta(days=2)).replace(hour=9, minute=0, second=0, microsecond=0)
    meeting = services.meeting_create(
        by=staff,
        kind="rakor",
        title="Rapat mendadak",
        start=start,
        end=start + datetime.timedelta(hours=2),
        venue="Aula",
    )
    invitation = InvitationFactory(meeting=meeting, person=officer_a.person)

    reminders.reminders_plan(meeting=meeting)

    slots = planned(meeting, invitation)
    assert slots["h-3"].status == Reminder.Status.SKIPPED
    assert slots["h-1"].status == Reminder.Status.SCHEDULED
    assert slots["2h"].status == Reminder.Status.SCHEDULED
    # Even a scan long after its time does not send it late.
    deliver(slots["h-3"].due_at + datetime.timedelta(minutes=1))
    assert mailoutbox == []
    slots["h-3"].refresh_from_db()
    assert slots["h-3"].status == Reminder.Status.SKIPPED


def test_moving_the_meeting_reschedules_unsent_reminders_and_leaves_sent_ones(invited, staff):
    meeting = invited.meeting
    sent_h3 = row(meeting, "h-3", invited)
    Reminder.objects.filter(pk=sent_h3.pk).update(status=Reminder.Status.SENT, sent_at=timezone.now())
    later = meeting.start + datetime.timedelta(days=7)

    services.meeting_update(meeting=meeting, by=staff, start=later, end=later + datetime.timedelta(hours=3))

    slots = planned(meeting, invited)
    assert slots["h-1"].due_at == reminders.slot_due("h-1", later)
    assert slots["2h"].due_at == later - datetime.timedelta(hours=2)
    assert slots["h-1"].status == slots["2h"].status == Reminder.Status.SCHEDULED
    # History stays as it was: the H-3 of the old date went out at the old time.
    assert slots["h-3"].status == Reminder.Status.SENT
    assert slots["h-3"].due_at == sent_h3.due_at
    # And the invitee hears about the move, once.
    change = rows(meeting, kind=Reminder.Kind.CHANGE).get()
    assert (change.invitation, change.slot) == (invited, "change-1")
    assert row(meeting, "h+1", kind=Reminder.Kind.ORGANISER).due_at == reminders.slot_due("h+1", later)


def test_moving_the_meeting_closer_skips_the_slots_now_past(invited, staff):
    meeting = invited.meeting
    sooner = (timezone.localtime() + datetime.timedelta(days=1, hours=6)).replace(second=0, microsecond=0)

    services.meeting_update(meeting=meeting, by=staff, start=sooner, end=sooner + datetime.timedelta(hours=2))

    slots = planned(meeting, invited)
    assert slots["h-3"].status == Reminder.Status.SKIPPED
    assert slots["2h"].status == Reminder.Status.SCHEDULED


def test_changing_the_slots_cancels_the_dropped_ones_and_adds_the_new(invited, staff):
    meeting = invited.meeting

    services.meeting_update(meeting=meeting, by=staff, reminder_slots=["h-1", "1h"])

    slots = planned(meeting, invited)
    assert slots["h-3"].status == Reminder.Status.CANCELLED
    assert slots["2h"].status == Reminder.Status.CANCELLED
    assert slots["h-1"].status == slots["1h"].status == Reminder.Status.SCHEDULED
    # Without an H-3, whoever has not answered is still asked to, at that time.
    assert slots[reminders.ASK_SLOT].status == Reminder.Status.SCHEDULED
    assert slots[reminders.ASK_SLOT].due_at == reminders.slot_due("h-3", meeting.start)
    # A time-only edit raised no sequence: no change notice for a reminder setting.
    assert not rows(meeting, kind=Reminder.Kind.CHANGE).exists()


def test_cancelling_cancels_unsent_reminders_and_sends_one_cancellation_per_invitee(invited, staff, mailoutbox):
    meeting = invited.meeting
    declined = InvitationFactory(meeting=meeting, rsvp=Invitation.Rsvp.DECLINED)
    walk_in = InvitationFactory(meeting=meeting, is_walk_in=True, person=None, email="")
    reminders.reminders_plan(meeting=meeting)

    services.meeting_cancel(meeting=meeting, by=staff, reason="Bertepatan dengan kunjungan Wali Kota")

    assert not rows(meeting, kind=Reminder.Kind.REMINDER, status=Reminder.Status.SCHEDULED).exists()
    assert rows(meeting, kind=Reminder.Kind.REMINDER, status=Reminder.Status.CANCELLED).count() == 3
    assert not rows(meeting, kind=Reminder.Kind.ORGANISER, status=Reminder.Status.SCHEDULED).exists()
    cancellations = rows(meeting, kind=Reminder.Kind.CANCELLATION)
    assert sorted(cancellations.values_list("invitation", flat=True)) == sorted([invited.pk, declined.pk])
    assert walk_in.pk not in cancellations.values_list("invitation", flat=True)

    now = timezone.now()
    deliver(now)
    deliver(now + datetime.timedelta(days=30))  # nothing left to send, ever

    assert sorted(m.to[0] for m in mailoutbox) == sorted([invited.email, declined.email])
    assert all(m.subject == "Dibatalkan: Rakor LPM Triwulan IV" for m in mailoutbox)


def test_declining_cancels_the_invitees_reminders_and_accepting_again_brings_them_back(invited, member_a):
    meeting = invited.meeting
    other = InvitationFactory(meeting=meeting, person=member_a.person)
    reminders.reminders_plan(meeting=meeting)

    services.invitation_answer(invitation=invited, answer=Invitation.Rsvp.DECLINED)

    assert {r.status for r in planned(meeting, invited).values()} == {Reminder.Status.CANCELLED}
    assert {r.status for r in planned(meeting, other).values()} == {Reminder.Status.SCHEDULED}

    services.invitation_answer(invitation=invited, answer=Invitation.Rsvp.ACCEPTED)

    slots = planned(meeting, invited)
    assert {r.status for r in slots.values()} == {Reminder.Status.SCHEDULED}
    assert slots["h-1"].due_at == reminders.slot_due("h-1", meeting.start)


def test_a_declined_invitee_gets_nothing_even_if_a_row_was_already_due(invited, mailoutbox):
    h3 = row(invited.meeting, "h-3", invited)
    # Declined without the service (as if the answer and the claim raced): the sender checks again.
    Invitation.objects.filter(pk=invited.pk).update(rsvp=Invitation.Rsvp.DECLINED)

    result = deliver(h3.due_at)

    assert (result.sent, result.skipped) == (0, 1)
    assert mailoutbox == []
    h3.refresh_from_db()
    assert h3.status == Reminder.Status.SKIPPED
    assert h3.last_error == "Undangan menjawab tidak hadir."


def test_a_delegate_with_an_address_receives_the_reminders_instead_of_the_invitee(invited, mailoutbox):
    services.invitation_answer(
        invitation=invited,
        answer=Invitation.Rsvp.DELEGATED,
        delegate_name="Rudi Hartono",
        delegate_email="Rudi@Example.org",
    )

    deliver(row(invited.meeting, "h-3", invited).due_at)

    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["rudi@example.org"]
    assert "Yth. Rudi Hartono," in message.body
    assert "Anda tercatat mewakili Siti Aminah" in message.body
    assert "Jawaban tercatat: diwakilkan oleh Rudi Hartono." in message.body


def test_a_delegate_without_an_address_leaves_the_reminders_with_the_invitee(invited, mailoutbox):
    services.invitation_answer(invitation=invited, answer=Invitation.Rsvp.DELEGATED, delegate_name="Rudi Hartono")

    deliver(row(invited.meeting, "h-3", invited).due_at)

    assert [m.to for m in mailoutbox] == [[invited.email]]
    assert "Yth. Siti Aminah," in mailoutbox[0].body


# --- claiming -----------------------------------------------------------------------------------


def test_claiming_never_returns_a_row_twice(invited, member_a, coordinator_a):
    meeting = invited.meeting
    for user in (member_a, coordinator_a):
        InvitationFactory(meeting=meeting, person=user.person)
    reminders.reminders_plan(meeting=meeting)
    now = row(meeting, "h-1", invited).due_at  # H-3 and H-1 of three invitees are due
    due = set(Reminder.objects.due(now).values_list("pk", flat=True))
    assert len(due) == 6

    first = reminders.reminders_claim(now=now, limit=4)
    second = reminders.reminders_claim(now=now, limit=4)
    third = reminders.reminders_claim(now=now, limit=4)

    assert len(first) == 4 and len(second) == 2 and third == []
    assert set(first).isdisjoint(second)
    assert set(first) | set(second) == due
    claimed = Reminder.objects.filter(pk__in=due)
    assert {(r.status, r.attempts, r.claimed_at) for r in claimed} == {(Reminder.Status.SENDING, 1, now)}


def test_claiming_leaves_future_skipped_and_cancelled_rows_alone(invited):
    meeting = invited.meeting
    h3 = row(meeting, "h-3", invited)
    Reminder.objects.filter(pk=h3.pk).update(status=Reminder.Status.CANCELLED)

    assert reminders.reminders_claim(now=h3.due_at) == []
    assert reminders.reminders_claim(now=h3.due_at - datetime.timedelta(minutes=1)) == []


def test_a_batch_claimed_elsewhere_is_not_sent_again(invited, mailoutbox):
    now = row(invited.meeting, "h-3", invited).due_at
    ids = reminders.reminders_claim(now=now)
    reminders.reminders_send_batch(ids=ids, now=now)

    # A redelivered task (acks_late) with the same ids finds nothing in "sending".
    result = reminders.reminders_send_batch(ids=ids, now=now)

    assert result.sent == 0
    assert len(mailoutbox) == 1


# --- sending ------------------------------------------------------------------------------------


def test_it_sends_due_rows_and_records_the_message_id(invited, mailoutbox):
    h3 = row(invited.meeting, "h-3", invited)

    result = deliver(h3.due_at)

    assert result.sent == 1
    h3.refresh_from_db()
    assert h3.status == Reminder.Status.SENT
    assert h3.sent_at is not None
    assert h3.recipients == invited.email
    assert h3.message_id == reminders.message_id_for(h3) == f"<reminder.{h3.pk}.h-3@lpm-balikpapan.local>"
    assert h3.last_error == ""
    assert mailoutbox[0].message()["Message-ID"] == h3.message_id
    assert mailoutbox[0].to == [invited.email]


def test_a_batch_shares_one_connection(invited, member_a, coordinator_a, mailoutbox):
    for user in (member_a, coordinator_a):
        InvitationFactory(meeting=invited.meeting, person=user.person)
    reminders.reminders_plan(meeting=invited.meeting)
    now = row(invited.meeting, "h-3", invited).due_at

    with mock.patch.object(reminders, "get_connection", wraps=reminders.get_connection) as get_connection:
        result = deliver(now)

    assert result.sent == 3
    assert get_connection.call_count == 1


def test_it_leaves_a_notice_in_the_portal_that_links_to_the_meeting(invited, officer_a):
    deliver(row(invited.meeting, "h-3", invited).due_at)

    notice = Notification.objects.get(user=officer_a)
    assert notice.text == "Mohon konfirmasi kehadiran: Rakor LPM Triwulan IV"
    assert notice.url == reverse("meetings:detail", args=[invited.meeting.pk])
    assert notice.read_at is None


@pytest.mark.parametrize(
    "error",
    [
        smtplib.SMTPServerDisconnected("Connection unexpectedly closed"),
        smtplib.SMTPResponseException(451, b"4.3.0 Try again later"),
        ConnectionRefusedError(111, "Connection refused"),
    ],
    ids=["disconnected", "451", "refused"],
)
def test_a_temporary_failure_is_retried_later(invited, error, mailoutbox):
    h3 = row(invited.meeting, "h-3", invited)
    now = h3.due_at

    with mock.patch.object(EmailBackend, "send_messages", side_effect=error):
        result = deliver(now)

    assert result.retried == 1
    h3.refresh_from_db()
    assert h3.status == Reminder.Status.SCHEDULED
    assert h3.attempts == 1
    assert h3.due_at == now + datetime.timedelta(seconds=reminders.RETRY_DELAYS[0])
    assert type(error).__name__ in h3.last_error
    assert h3.message_id == ""
    # Not before its time; then it goes out.
    assert deliver(now + datetime.timedelta(seconds=5)).sent == 0
    assert deliver(h3.due_at).sent == 1
    h3.refresh_from_db()
    assert (h3.status, h3.attempts) == (Reminder.Status.SENT, 2)
    assert len(mailoutbox) == 1


def test_a_permanent_failure_fails_at_once_and_is_not_retried(invited, mailoutbox):
    h3 = row(invited.meeting, "h-3", invited)
    refused = smtplib.SMTPRecipientsRefused({invited.email: (550, b"5.1.1 No such user")})

    with mock.patch.object(EmailBackend, "send_messages", side_effect=refused):
        result = deliver(h3.due_at)

    assert result.failed == 1
    h3.refresh_from_db()
    assert h3.status == Reminder.Status.FAILED
    assert "550" in h3.last_error and "No such user" in h3.last_error
    assert reminders.reminders_claim(now=h3.due_at + datetime.timedelta(days=1)) == []
    assert list(reminders.failed_for_meeting(invited.meeting)) == [h3]


def test_after_the_last_retry_the_row_fails_with_its_error(invited):
    h3 = row(invited.meeting, "h-3", invited)
    now = h3.due_at
    waits = []

    with mock.patch.object(EmailBackend, "send_messages", side_effect=smtplib.SMTPServerDisconnected("down")):
        for _try in range(len(reminders.RETRY_DELAYS) + 1):
            deliver(now)
            h3.refresh_from_db()
            if h3.status == Reminder.Status.SCHEDULED:
                waits.append((h3.due_at - now).total_seconds())
                now = h3.due_at

    assert waits == reminders.RETRY_DELAYS
    assert h3.status == Reminder.Status.FAILED
    assert h3.attempts == len(reminders.RETRY_DELAYS) + 1
    assert "SMTPServerDisconnected: down" in h3.last_error


def test_one_failure_does_not_stop_the_rest_of_the_batch(invited, member_a, mailoutbox):
    other = InvitationFactory(meeting=invited.meeting, person=member_a.person)
    reminders.reminders_plan(meeting=invited.meeting)
    real_send = EmailBackend.send_messages

    def refuse_the_first(backend, messages):
        if messages[0].to == [invited.email]:
            raise smtplib.SMTPRecipientsRefused({invited.email: (550, b"No such user")})
        return real_send(backend, messages)

    with mock.patch.object(EmailBackend, "send_messages", refuse_the_first):
        result = deliver(row(invited.meeting, "h-3", invited).due_at)

    assert (result.sent, result.failed) == (1, 1)
    assert [m.to for m in mailoutbox] == [[other.email]]


def test_the_sweeper_puts_rows_stuck_in_sending_back_and_they_go_out_once(invited, mailoutbox):
    meeting = invited.meeting
    h3, h1 = row(meeting, "h-3", invited), row(meeting, "h-1", invited)
    now = h1.due_at
    Reminder.objects.filter(pk=h3.pk).update(
        status=Reminder.Status.SENDING, claimed_at=now - datetime.timedelta(minutes=11), attempts=1
    )
    Reminder.objects.filter(pk=h1.pk).update(
        status=Reminder.Status.SENDING, claimed_at=now - datetime.timedelta(minutes=5), attempts=1
    )

    assert reminders.reminders_sweep(now=now) == 1

    h3.refresh_from_db()
    h1.refresh_from_db()
    assert (h3.status, h3.due_at, h3.claimed_at) == (Reminder.Status.SCHEDULED, now, None)
    assert h1.status == Reminder.Status.SENDING  # still within its worker's time
    assert deliver(now).sent == 1
    assert deliver(now).sent == 0
    assert len(mailoutbox) == 1


def test_staff_send_again_puts_a_failed_row_back_with_fresh_tries(invited):
    h3 = row(invited.meeting, "h-3", invited)
    Reminder.objects.filter(pk=h3.pk).update(status=Reminder.Status.FAILED, attempts=6, last_error="550")
    now = timezone.now()

    reminders.reminder_retry(reminder=h3, now=now)

    h3.refresh_from_db()
    assert (h3.status, h3.attempts, h3.last_error, h3.due_at) == (Reminder.Status.SCHEDULED, 0, "", now)


# --- the calendar attachment ---------------------------------------------------------------------


def test_the_invitation_carries_a_request_with_the_stable_uid_and_sequence(invited, mailoutbox):
    meeting = invited.meeting
    reminders.notices_enqueue(meeting=meeting, kind=Reminder.Kind.INVITATION, invitations=[invited])

    deliver(timezone.now())

    calendar, part = calendar_of(mailoutbox[0])
    assert part.get_param("method") == "REQUEST"
    assert part.get_filename() == "undangan.ics"
    assert calendar["METHOD"] == "REQUEST"
    event = only_event(calendar)
    assert event["UID"] == ical.event_uid(meeting) == f"{meeting.uid}@lpm-balikpapan"
    assert event["SEQUENCE"] == 0
    start = event.decoded("DTSTART")
    assert str(start.tzinfo) == "Asia/Makassar"
    assert event["DTSTART"].params["TZID"] == "Asia/Makassar"
    assert start == meeting.start and start.hour == 9
    assert event.decoded("DTEND") == meeting.end
    assert event["SUMMARY"] == "Rakor LPM Triwulan IV"
    assert str(event["ATTENDEE"]) == f"mailto:{invited.email}"
    assert event["ATTENDEE"].params["PARTSTAT"] == "NEEDS-ACTION"
    assert calendar.walk("VTIMEZONE")[0]["TZID"] == "Asia/Makassar"


def test_a_change_notice_moves_the_same_event_with_a_higher_sequence(invited, staff, mailoutbox):
    meeting = invited.meeting
    later = meeting.start + datetime.timedelta(days=1, hours=1)

    services.meeting_update(meeting=meeting, by=staff, start=later, end=later + datetime.timedelta(hours=2))
    deliver(timezone.now())

    assert [m.subject for m in mailoutbox] == ["Perubahan jadwal: Rakor LPM Triwulan IV"]
    calendar, part = calendar_of(mailoutbox[0])
    event = only_event(calendar)
    assert calendar["METHOD"] == part.get_param("method") == "REQUEST"
    assert event["UID"] == ical.event_uid(meeting)
    assert event["SEQUENCE"] == 1
    assert event.decoded("DTSTART") == later
    assert event.decoded("DTSTART").astimezone(WITA).hour == 10
    assert formats.time_range(later, later + datetime.timedelta(hours=2)) in mailoutbox[0].body
    assert "Jadwal rapat berikut telah berubah." in mailoutbox[0].body


def test_a_cancellation_carries_a_cancel_for_the_same_event(invited, staff, mailoutbox):
    meeting = invited.meeting

    services.meeting_cancel(meeting=meeting, by=staff, reason="Ruangan dipakai")
    deliver(timezone.now())

    calendar, part = calendar_of(mailoutbox[0])
    assert calendar["METHOD"] == part.get_param("method") == "CANCEL"
    event = only_event(calendar)
    assert event["UID"] == ical.event_uid(meeting)
    assert event["SEQUENCE"] == 1
    assert event["STATUS"] == "CANCELLED"
    assert not event.walk("VALARM")
    body = mailoutbox[0].body
    assert "Rapat berikut DIBATALKAN." in body and "Alasan: Ruangan dipakai" in body
    assert "?jawab=" not in body  # nothing to answer any more
    # Shared on to a WhatsApp group, it still says the meeting is off.
    meeting.refresh_from_db()
    assert notices.share_text(meeting).startswith("[Dibatalkan] Rakor LPM Triwulan IV\n")
    assert urllib.parse.quote(notices.share_text(meeting)) in body


def test_reminders_carry_the_calendar_too_but_the_organiser_and_follow_ups_do_not(invited, mailoutbox):
    meeting = invited.meeting
    run_until(row(meeting, "h+1", kind=Reminder.Kind.ORGANISER).due_at)

    *reminders_sent, organiser = mailoutbox
    assert [m.subject.split(":")[0] for m in reminders_sent] == ["Mohon konfirmasi kehadiran", "Pengingat", "Pengingat"]
    for reminder in reminders_sent:
        assert calendar_of(reminder)[0]["METHOD"] == "REQUEST"
    assert organiser.to == [meeting.organiser.email]
    assert organiser.attachments == []


def test_a_batch_builds_the_calendar_once_per_language_and_each_invitee_gets_their_own(invited, mailoutbox):
    meeting = invited.meeting
    english = InvitationFactory(meeting=meeting, person=PersonFactory(language="en", name="Jane, Doe"))
    others = [InvitationFactory(meeting=meeting, person=PersonFactory(name=f"Warga; {n}")) for n in range(3)]
    Invitation.objects.filter(pk=others[0].pk).update(rsvp=Invitation.Rsvp.ACCEPTED)
    invitations = [invited, english, *others]
    reminders.notices_enqueue(meeting=meeting, kind=Reminder.Kind.INVITATION, invitations=invitations)

    with mock.patch.object(ical, "AttendeeCalendar", wraps=ical.AttendeeCalendar) as built:
        deliver(timezone.now())

    assert len(mailoutbox) == 5
    assert sorted(call.kwargs["method"] for call in built.call_args_list) == ["REQUEST", "REQUEST"]  # id and en
    meeting.refresh_from_db()
    for invitation in invitations:
        invitation.refresh_from_db()
        [message] = [m for m in mailoutbox if m.to == [invitation.email]]
        calendar, part = calendar_of(message)
        event = only_event(calendar)
        with translation.override(notices.language_of(row(meeting, "invite", invitation))):
            expected = ical.meeting_calendar([meeting], method="REQUEST", attendee=invitation,
                                             stamp=event.decoded("DTSTAMP"))
        # Byte for byte what the calendar built for this invitee alone would be.
        assert message.attachments[0][1] == expected.to_ical().decode()
        assert calendar.to_ical() == icalendar.Calendar.from_ical(expected.to_ical()).to_ical()
        assert event["ATTENDEE"].params["CN"] == invitation.name
        assert event["ATTENDEE"].params["PARTSTAT"] == ical.PARTSTAT[invitation.rsvp]
        assert invitation.name in message.body


def test_messages_built_with_the_batch_cache_are_the_messages_built_one_by_one(invited, staff):
    meeting = invited.meeting
    names = ['Ani <b>"&\'</b>', "Ümit Çelik; S.Sos., M.Si.", "Yth. {{ name }} %(name)s", ""]
    invitations = [invited] + [
        InvitationFactory(meeting=meeting, person=PersonFactory(language=language), name=name)
        for language in ("id", "en") for name in names
    ]
    Invitation.objects.filter(pk=invitations[1].pk).update(rsvp=Invitation.Rsvp.ACCEPTED)
    Invitation.objects.filter(pk=invitations[2].pk).update(rsvp=Invitation.Rsvp.DELEGATED, delegate_name="Budi",
                                                           delegate_email="budi@example.org")
    Invitation.objects.filter(pk=invitations[6].pk).update(rsvp=Invitation.Rsvp.DELEGATED, delegate_name="Wati")
    reminders.reminders_plan(meeting=meeting)
    reminders.notices_enqueue(meeting=meeting, kind=Reminder.Kind.INVITATION, invitations=invitations)
    all_rows = list(rows(meeting).exclude(invitation=None)
                    .select_related("meeting__organiser", "invitation__person__user").order_by("pk"))
    services.meeting_cancel(meeting=meeting, by=staff, reason="Ruangan <dipakai>")
    all_rows += list(rows(meeting, kind=Reminder.Kind.CANCELLATION).select_related("meeting", "invitation__person"))
    assert len(all_rows) > 40

    def parts(message):
        stamp = re.compile(r"DTSTAMP:\d{8}T\d{6}Z\r\n")
        return (message.subject, message.to, message.body, message.alternatives,
                [(name, stamp.sub("", content), mime) for name, content, mime in message.attachments])

    cache = {}
    for reminder in all_rows:
        assert parts(notices.build_message(reminder, cache=cache)) == parts(notices.build_message(reminder))
    assert any(key[0] == "bodies" for key in cache)


def test_the_shared_calendar_is_rebuilt_when_the_meeting_or_method_differs(invited):
    meeting = invited.meeting
    cache = {}
    first = notices.shared_calendar(cache, meeting, "REQUEST")
    assert notices.shared_calendar(cache, meeting, "REQUEST") is first
    assert notices.shared_calendar(cache, meeting, "CANCEL") is not first
    with translation.override("en"):
        assert notices.shared_calendar(cache, meeting, "REQUEST") is not first
    meeting.sequence += 1
    assert notices.shared_calendar(cache, meeting, "REQUEST") is not first
    assert len(cache) == 4


# --- what the e-mails say ------------------------------------------------------------------------


def test_the_invitation_is_in_indonesian_with_the_essentials_in_wita(invited, mailoutbox):
    meeting = invited.meeting
    Meeting.objects.filter(pk=meeting.pk).update(online_url="https://zoom.us/j/123")
    services.agenda_replace(meeting=meeting, items=[{"title": "Evaluasi triwulan", "presenter": "DP3AKB"}])
    reminders.notices_enqueue(meeting=meeting, kind=Reminder.Kind.INVITATION, invitations=[invited])

    deliver(timezone.now())

    message = mailoutbox[0]
    when = formats.time_range(meeting.start, meeting.end)
    assert re.fullmatch(r"\w+, \d{1,2} \w+ \d{4}, pukul 09\.00–12\.00 WITA", when)
    assert message.subject == "Undangan: Rakor LPM Triwulan IV"
    for part in (message.body, html_of(message)):
        assert "Yth. Siti Aminah," in part
        assert "DP3AKB Kota Balikpapan mengundang Anda ke rapat berikut." in part
        assert when in part
        assert "Aula DP3AKB Kota Balikpapan" in part
        assert "https://zoom.us/j/123" in part
        assert "Evaluasi triwulan" in part
        assert "Mohon konfirmasi kehadiran Anda" in part
        assert "Bagikan ke WhatsApp" in part
    assert '<html lang="id">' in html_of(message)
    assert html_of(message).count("<a ") >= 5  # three answers, the portal, WhatsApp


def test_people_who_chose_english_get_english(invited, officer_a, mailoutbox):
    officer_a.person.language = "en"
    officer_a.person.save(update_fields=["language"])
    meeting = invited.meeting
    reminders.notices_enqueue(meeting=meeting, kind=Reminder.Kind.INVITATION, invitations=[invited])

    deliver(timezone.now())
    run_until(row(meeting, "h-1", invited).due_at)

    invitation, _h3, reminder = mailoutbox
    with translation.override("en"):
        when = formats.time_range(meeting.start, meeting.end)
    assert "pukul" not in when and "WITA" in when
    assert invitation.subject == "Invitation: Rakor LPM Triwulan IV"
    assert reminder.subject == "Reminder: Rakor LPM Triwulan IV"
    for part in (invitation.body, html_of(invitation)):
        assert "Dear Siti Aminah," in part
        assert "DP3AKB Kota Balikpapan invites you to the following meeting." in part
        assert when in part
        assert "Please confirm your attendance" in part
        assert "Share on WhatsApp" in part
        assert "Yth." not in part and "mengundang" not in part
    assert '<html lang="en">' in html_of(invitation)
    assert "Reminder: the following meeting is tomorrow." in reminder.body
    # The notice in the portal follows the same language.
    assert Notification.objects.filter(user=officer_a, text="Invitation: Rakor LPM Triwulan IV").exists()


def test_the_others_still_get_indonesian(invited, officer_a, member_a, mailoutbox):
    officer_a.person.language = "en"
    officer_a.person.save(update_fields=["language"])
    other = InvitationFactory(meeting=invited.meeting, person=member_a.person)
    reminders.notices_enqueue(meeting=invited.meeting, kind=Reminder.Kind.INVITATION, invitations=[invited, other])

    deliver(timezone.now())

    subjects = {m.to[0]: m.subject for m in mailoutbox}
    assert subjects == {
        invited.email: "Invitation: Rakor LPM Triwulan IV",
        other.email: "Undangan: Rakor LPM Triwulan IV",
    }


def test_the_answer_links_open_the_answer_page_without_login(invited, client, mailoutbox, settings):
    settings.SITE_URL = "https://lpm.balikpapan.go.id"
    deliver(row(invited.meeting, "h-3", invited).due_at)
    message = mailoutbox[0]

    hrefs = [html.unescape(h) for h in re.findall(r'href="([^"]+)"', html_of(message))]
    answers = [h for h in hrefs if "?jawab=" in h]
    assert [urllib.parse.urlsplit(h).query for h in answers] == ["jawab=hadir", "jawab=tidak", "jawab=wakil"]
    for href in answers:
        assert href in message.body  # the text part has the same links
        assert href.startswith("https://lpm.balikpapan.go.id/rapat/u/")
        response = client.get(href.removeprefix(settings.SITE_URL))
        assert response.status_code == 200
        assert "Rakor LPM Triwulan IV" in response.content.decode()
    response = client.get(answers[0].removeprefix(settings.SITE_URL))
    # One tap: the page opens with "Hadir" already chosen, ready to confirm.
    assert response.context["form"].initial["answer"] == "hadir"


def test_the_whatsapp_link_shares_the_meeting_text_url_encoded(invited, mailoutbox):
    meeting = invited.meeting
    Meeting.objects.filter(pk=meeting.pk).update(
        title="Rakor LPM & Forum: Triwulan IV #2", online_url="https://meet.example.org/a?b=c"
    )
    deliver(row(meeting, "h-3", invited).due_at)
    message = mailoutbox[0]
    meeting.refresh_from_db()

    hrefs = [html.unescape(h) for h in re.findall(r'href="(https://wa\.me/[^"]+)"', html_of(message))]
    assert len(hrefs) == 1
    link = hrefs[0]
    assert link in message.body
    assert not re.search(r"[\s&#]", link.split("?text=", 1)[1]), "the text must be fully percent-encoded"
    text = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)["text"][0]
    assert text == notices.share_text(meeting)
    assert text.splitlines() == [
        "Rakor LPM & Forum: Triwulan IV #2",
        formats.time_range(meeting.start, meeting.end),
        "Aula DP3AKB Kota Balikpapan",
        "https://meet.example.org/a?b=c",
    ]


def test_the_html_part_escapes_what_people_typed(invited, mailoutbox):
    meeting = invited.meeting
    Meeting.objects.filter(pk=meeting.pk).update(
        title='<script>alert("x")</script> Rakor',
        venue="Aula <b>Utama</b>",
        reminder_note="Bawa <img src=x onerror=alert(1)> & laptop",
    )
    invited.name = "Siti <i>Aminah</i>"
    invited.save(update_fields=["name"])

    deliver(row(meeting, "h-3", invited).due_at)

    message = mailoutbox[0]
    body = html_of(message)
    assert "<script>" not in body and "<img" not in body and "<b>" not in body and "<i>" not in body
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Rakor" in body
    assert "Aula &lt;b&gt;Utama&lt;/b&gt;" in body
    assert "Bawa &lt;img src=x onerror=alert(1)&gt; &amp; laptop" in body
    # Text and subject are plain text: no entities there.
    assert message.subject == 'Mohon konfirmasi kehadiran: <script>alert("x")</script> Rakor'
    assert '<script>alert("x")</script> Rakor' in message.body
    assert "Bawa <img src=x onerror=alert(1)> & laptop" in message.body
    assert "Yth. Siti <i>Aminah</i>," in message.body


def test_the_h3_reminder_asks_those_who_have_not_answered(invited, member_a, mailoutbox):
    meeting = invited.meeting
    answered = InvitationFactory(meeting=meeting, person=member_a.person, rsvp=Invitation.Rsvp.ACCEPTED)
    reminders.reminders_plan(meeting=meeting)

    deliver(row(meeting, "h-3", invited).due_at)

    by_address = {m.to[0]: m for m in mailoutbox}
    pending, accepted = by_address[invited.email], by_address[answered.email]
    assert pending.subject == "Mohon konfirmasi kehadiran: Rakor LPM Triwulan IV"
    assert "Anda belum menjawab undangan ini." in pending.body
    assert accepted.subject == "Pengingat: Rakor LPM Triwulan IV"
    assert "Jawaban tercatat: Hadir." in accepted.body
    assert "Anda belum menjawab" not in accepted.body


def test_without_an_h3_slot_only_those_who_have_not_answered_are_asked(invited, member_a, staff, mailoutbox):
    meeting = invited.meeting
    answered = InvitationFactory(meeting=meeting, person=member_a.person, rsvp=Invitation.Rsvp.ACCEPTED)
    services.meeting_update(meeting=meeting, by=staff, reminder_slots=["2h"])

    result = deliver(reminders.slot_due("h-3", meeting.start))

    assert (result.sent, result.skipped) == (1, 1)
    assert [(m.to[0], m.subject) for m in mailoutbox] == [
        (invited.email, "Mohon konfirmasi kehadiran: Rakor LPM Triwulan IV")
    ]
    assert row(meeting, reminders.ASK_SLOT, answered).last_error == "Undangan sudah menjawab."


def test_the_custom_message_goes_into_reminders_only(invited, mailoutbox):
    meeting = invited.meeting
    Meeting.objects.filter(pk=meeting.pk).update(reminder_note="Mohon membawa laporan triwulan.")
    reminders.notices_enqueue(meeting=meeting, kind=Reminder.Kind.INVITATION, invitations=[invited])

    deliver(timezone.now())
    deliver(row(meeting, "h-3", invited).due_at)

    invitation, reminder = mailoutbox
    assert "Mohon membawa laporan triwulan." not in invitation.body
    assert "Pesan dari penyelenggara:\nMohon membawa laporan triwulan." in reminder.body
    assert "Mohon membawa laporan triwulan." in html_of(reminder)


def test_a_reminder_for_a_meeting_that_started_is_skipped_not_sent_late(invited, mailoutbox):
    two_hours = row(invited.meeting, "2h", invited)

    result = deliver(invited.meeting.start + datetime.timedelta(minutes=1))

    assert result.sent == 0
    assert mailoutbox == []
    two_hours.refresh_from_db()
    assert two_hours.status == Reminder.Status.SKIPPED


def test_a_guest_without_an_address_is_skipped_with_the_reason(meeting, mailoutbox):
    guest = InvitationFactory(meeting=meeting, person=None, email="", name="Bapak Camat", is_guest=True)
    reminders.reminders_plan(meeting=meeting)
    h3 = row(meeting, "h-3", guest)

    deliver(h3.due_at)

    h3.refresh_from_db()
    assert h3.status == Reminder.Status.SKIPPED
    assert h3.last_error == "Tidak ada alamat e-mail penerima."
    assert mailoutbox == []


# --- after the meeting: the organiser and the follow-ups ------------------------------------------


def test_the_organiser_is_reminded_while_attendance_and_minutes_are_missing(invited, staff, mailoutbox):
    meeting = invited.meeting
    h1 = row(meeting, "h+1", kind=Reminder.Kind.ORGANISER)

    deliver(h1.due_at)

    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [staff.email]
    assert message.subject == "Lengkapi catatan rapat: Rakor LPM Triwulan IV"
    assert "Rapat berikut sudah berlangsung, tetapi daftar hadir, notulen belum dicatat di portal." in message.body
    assert reverse("meetings:attendance", args=[meeting.pk]) in message.body
    assert reverse("meetings:minutes_edit", args=[meeting.pk]) in message.body
    h1.refresh_from_db()
    assert h1.status == Reminder.Status.SENT


def test_the_organiser_is_reminded_of_what_is_still_missing_only(invited, staff, mailoutbox):
    meeting = invited.meeting
    services.attendance_mark(meeting=meeting, invitation_ids=[invited.pk], status=Invitation.Attendance.PRESENT)

    deliver(row(meeting, "h+1", kind=Reminder.Kind.ORGANISER).due_at)

    assert "tetapi notulen belum dicatat" in mailoutbox[0].body


def test_the_organiser_reminder_is_skipped_once_attendance_and_minutes_are_in(invited, staff, mailoutbox):
    meeting = invited.meeting
    services.attendance_mark(meeting=meeting, invitation_ids=[invited.pk], status=Invitation.Attendance.PRESENT)
    services.minutes_save(meeting=meeting, by=staff, summary="Rapat membahas evaluasi triwulan.")
    h3 = row(meeting, "h+3", kind=Reminder.Kind.ORGANISER)

    result = deliver(h3.due_at)

    assert result.sent == 0
    assert mailoutbox == []
    h3.refresh_from_db()
    assert (h3.status, h3.last_error) == (Reminder.Status.SKIPPED, "Kehadiran dan notulen sudah lengkap.")


@pytest.fixture
def follow_up(invited, board_a, officer_a):
    """Due ten days after the meeting, for LPM A (whose Ketua is officer_a)."""
    due = timezone.localdate(invited.meeting.start) + datetime.timedelta(days=10)
    return services.follow_up_add(
        meeting=invited.meeting, description="Mendata <warga> penerima bantuan", board=board_a, due_date=due
    )


def test_a_follow_up_is_planned_three_days_before_and_the_day_after_it_is_due(follow_up):
    slots = {r.slot: r for r in Reminder.objects.filter(follow_up=follow_up)}

    assert set(slots) == {"due-3", "overdue"}
    assert slots["due-3"].due_at == reminders.follow_up_due("due-3", follow_up.due_date)
    assert slots["overdue"].due_at == reminders.follow_up_due("overdue", follow_up.due_date)
    assert {r.kind for r in slots.values()} == {Reminder.Kind.FOLLOW_UP}


def test_the_board_is_reminded_of_a_follow_up_before_it_is_due_and_when_overdue(follow_up, officer_a, mailoutbox):
    due3 = Reminder.objects.get(follow_up=follow_up, slot="due-3")
    overdue = Reminder.objects.get(follow_up=follow_up, slot="overdue")

    deliver(due3.due_at)
    deliver(overdue.due_at)

    soon, late = [m for m in mailoutbox if m.subject.startswith("Tindak lanjut")]
    assert soon.to == late.to == [officer_a.email]
    assert soon.subject == "Tindak lanjut jatuh tempo 3 hari lagi: Rakor LPM Triwulan IV"
    assert late.subject == "Tindak lanjut melewati tenggat: Rakor LPM Triwulan IV"
    assert "Yth. Pengurus LPM Kelurahan A1," in soon.body
    assert "Mendata <warga> penerima bantuan" in soon.body
    assert "Mendata &lt;warga&gt; penerima bantuan" in html_of(soon)
    assert "sudah melewati tenggat" in late.body
    assert reverse("meetings:minutes", args=[follow_up.meeting_id]) + "#tindak-lanjut" in late.body


def test_a_finished_follow_up_is_not_reminded(follow_up, mailoutbox):
    services.follow_up_set_status(follow_up=follow_up, status=FollowUp.Status.DONE)

    assert set(Reminder.objects.filter(follow_up=follow_up).values_list("status", flat=True)) == {
        Reminder.Status.CANCELLED
    }
    deliver(reminders.follow_up_due("overdue", follow_up.due_date))
    assert not [m for m in mailoutbox if m.subject.startswith("Tindak lanjut")]


def test_a_follow_up_finished_after_its_row_was_claimed_is_skipped(follow_up, mailoutbox):
    due3 = Reminder.objects.get(follow_up=follow_up, slot="due-3")
    ids = reminders.reminders_claim(now=due3.due_at)
    FollowUp.objects.filter(pk=follow_up.pk).update(status=FollowUp.Status.DONE)

    reminders.reminders_send_batch(ids=ids, now=due3.due_at)

    due3.refresh_from_db()
    assert (due3.status, due3.last_error) == (Reminder.Status.SKIPPED, "Tindak lanjut sudah selesai.")
    assert not [m for m in mailoutbox if m.subject.startswith("Tindak lanjut")]


def test_a_person_without_an_account_gets_the_mail_but_no_portal_notice(meeting, mailoutbox):
    person = PersonFactory(email="tanpa.akun@example.org")
    invitation = InvitationFactory(meeting=meeting, person=person)
    reminders.reminders_plan(meeting=meeting)

    deliver(row(meeting, "h-3", invitation).due_at)

    assert [m.to for m in mailoutbox] == [["tanpa.akun@example.org"]]
    assert not Notification.objects.exists()


def test_a_meeting_a_year_ahead_plans_nothing_special(staff, officer_a):
    start = wita(timezone.localdate().year + 1, 12, 31, 9, 0)
    meeting = MeetingFactory(organiser=staff, start=start, end=start + datetime.timedelta(hours=2))
    invitation = InvitationFactory(meeting=meeting, person=officer_a.person)

    reminders.reminders_plan(meeting=meeting)

    assert planned(meeting, invitation)["h-3"].due_at == wita(start.year, 12, 28, 8, 0)


def test_it_skips_a_reminder_first_picked_up_hours_after_its_time(meeting, invitation_a):
    """Workers down overnight: the stale H-1 is not sent late; a fresh one would be."""
    now = timezone.now()
    stale = Reminder.objects.create(meeting=meeting, invitation=invitation_a, kind=Reminder.Kind.REMINDER,
                                    slot="h-1", due_at=now - datetime.timedelta(hours=4))
    fresh = Reminder.objects.create(meeting=meeting, invitation=invitation_a, kind=Reminder.Kind.REMINDER,
                                    slot="2h", due_at=now - datetime.timedelta(minutes=5))
    ids = reminders.reminders_claim(now=now)
    assert set(ids) == {stale.pk, fresh.pk}
    reminders.reminders_send_batch(ids=ids, now=now)
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert stale.status == Reminder.Status.SKIPPED and "Terlambat" in stale.last_error
    assert fresh.status == Reminder.Status.SENT


def test_a_batch_redelivered_after_the_sweeper_leaves_reclaimed_rows_alone(meeting, invitation_a):
    """A crashed worker's task comes back an hour later: the rows belong to a newer claim now."""
    now = timezone.now()
    row = Reminder.objects.create(meeting=meeting, invitation=invitation_a, kind=Reminder.Kind.REMINDER,
                                  slot="h-1", due_at=now - datetime.timedelta(minutes=1))
    first_claim = now - datetime.timedelta(hours=1)
    assert reminders.reminders_claim(now=first_claim - datetime.timedelta(seconds=1)) == []
    Reminder.objects.filter(pk=row.pk).update(due_at=first_claim - datetime.timedelta(minutes=1))
    assert reminders.reminders_claim(now=first_claim) == [row.pk]
    assert reminders.reminders_sweep(now=now) == 1
    assert reminders.reminders_claim(now=now) == [row.pk]
    stale = reminders.reminders_send_batch(ids=[row.pk], claimed_at=first_claim, now=now)
    assert stale.sent == 0
    row.refresh_from_db()
    assert row.status == Reminder.Status.SENDING
    current = reminders.reminders_send_batch(ids=[row.pk], claimed_at=row.claimed_at, now=now)
    assert current.sent == 1


def test_the_mime_boundaries_are_chosen_up_front_and_the_parts_read_back(invited, mailoutbox):
    from email.generator import Generator

    from portal.lib.mail import TemplatedMail

    reminders.notices_enqueue(meeting=invited.meeting, kind=Reminder.Kind.INVITATION, invitations=[invited])
    deliver(timezone.now())
    [message] = mailoutbox
    assert isinstance(message, TemplatedMail)

    with mock.patch.object(Generator, "_make_boundary", side_effect=AssertionError("no boundary chosen")):
        data = message.message().as_bytes()
    parsed = email.message_from_bytes(data)
    boundaries = [part.get_boundary() for part in parsed.walk() if part.is_multipart()]
    assert len(boundaries) == 2 and len(set(boundaries)) == 2
    assert all(re.fullmatch(r"=+[0-9a-f]{32}==", boundary) for boundary in boundaries)
    assert boundaries[0] != email.message_from_bytes(message.message().as_bytes()).get_boundary()
    types = [part.get_content_type() for part in parsed.walk() if not part.is_multipart()]
    assert types == ["text/plain", "text/html", "text/calendar"]
    assert parsed.get_payload(0).get_payload(0).get_payload(decode=True).decode() == message.body


def test_marking_a_row_sent_is_conditional_on_it_still_being_held(invited):
    sending, requeued = list(rows(invited.meeting, kind=Reminder.Kind.REMINDER).order_by("pk")[:2])
    Reminder.objects.filter(pk=sending.pk).update(status=Reminder.Status.SENDING, last_error="old")
    now = timezone.now()

    reminders._finish(sending, Reminder.Status.SENT, sent_at=now, recipients="a@example.org", message_id="<m@x>")
    reminders._finish(requeued, Reminder.Status.SENT, sent_at=now, recipients="b@example.org", message_id="<n@x>")

    sending.refresh_from_db()
    assert (sending.status, sending.sent_at, sending.recipients, sending.message_id, sending.last_error) == (
        Reminder.Status.SENT, now, "a@example.org", "<m@x>", "")
    requeued.refresh_from_db()
    assert requeued.status == Reminder.Status.SCHEDULED and requeued.sent_at is None and requeued.message_id == ""
