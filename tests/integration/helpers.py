"""Data and checks shared by the reminder integration tests."""

import datetime
from collections import Counter

from django.utils import timezone
from icalendar import Calendar

from meetings import ical, reminders
from meetings.models import Meeting, Reminder
from tests.factories import InvitationFactory, MeetingFactory, PersonFactory

from .support import SENDING_TIMEOUT, wait_until


def due_meeting(invitees: int, *, english_every: int = 4, **meeting_fields) -> tuple[Meeting, list[Reminder]]:
    """A meeting in 90 minutes whose "2 hours before" reminder is due now for each of ``invitees``.

    The reminders are planned as they were an hour ago, when the slot was still
    ahead, so they are scheduled (not skipped as too late) and due now. Every
    ``english_every``-th invitee reads English.
    """
    start = (timezone.now() + datetime.timedelta(minutes=90)).replace(microsecond=0)
    meeting = MeetingFactory(start=start, end=start + datetime.timedelta(hours=2), reminder_slots=["2h"],
                             **meeting_fields)
    for number in range(invitees):
        language = "en" if english_every and number % english_every == english_every - 1 else "id"
        InvitationFactory(meeting=meeting, person=PersonFactory(language=language))
    reminders.reminders_plan(meeting=meeting, now=timezone.now() - datetime.timedelta(hours=1))
    rows = list(due_rows(meeting))
    assert len(rows) == invitees, f"expected {invitees} due reminders, planned {len(rows)}"
    return meeting, rows


def due_rows(meeting):
    return (Reminder.objects.filter(meeting=meeting, kind=Reminder.Kind.REMINDER, slot="2h")
            .select_related("invitation").order_by("pk"))


def statuses(meeting) -> Counter:
    return Counter(due_rows(meeting).values_list("status", flat=True))


def all_sent(meeting, expected: int):
    return statuses(meeting) == Counter({Reminder.Status.SENT: expected})


def sweep_when_stuck(meeting, broker, *, timeout: float = 60):
    """Send the sweeper once every row left "sending" is older than the workers' SENDING_TIMEOUT.

    Earlier, the sweeper would leave them alone; the beat would send it again
    later, the tests send it once.
    """
    stuck = Reminder.objects.filter(meeting=meeting, status=Reminder.Status.SENDING)
    assert stuck.exists(), "nothing is stuck"

    def old_enough():
        newest = stuck.order_by("-claimed_at").values_list("claimed_at", flat=True).first()
        return newest is None or timezone.now() - newest > datetime.timedelta(seconds=SENDING_TIMEOUT + 0.5)

    wait_until(old_enough, timeout=timeout, what="the stuck rows to be old enough for the sweeper")
    broker.sweep()


def expected_message_ids(rows) -> dict[str, Reminder]:
    return {reminders.message_id_for(row): row for row in rows}


def duplicates(sink) -> int:
    return sum(count - 1 for count in sink.message_ids().values() if count > 1)


def assert_each_arrived(sink, rows, *, at_most_extra: int = 0):
    """Every row's message arrived (to its invitee); in all at most ``at_most_extra`` copies too many."""
    expected = expected_message_ids(rows)
    seen = sink.message_ids()
    missing = sorted(set(expected) - set(seen))
    unexpected = sorted(set(seen) - set(expected))
    assert not missing, f"{len(missing)} reminders never arrived, e.g. {missing[:3]}"
    assert not unexpected, f"messages nobody asked for: {unexpected[:3]}"
    extra = duplicates(sink)
    assert extra <= at_most_extra, f"{extra} duplicates (allowed {at_most_extra}): {seen.most_common(3)}"
    for rcpts, message in sink.messages():
        row = expected[message["Message-ID"]]
        assert rcpts == [row.invitation.email], (message["Message-ID"], rcpts)
    return extra


def calendar_of(message) -> Calendar:
    parts = [part for part in message.walk() if part.get_content_type() == "text/calendar"]
    assert len(parts) == 1, f"{message['Message-ID']}: {len(parts)} calendar parts"
    return Calendar.from_ical(parts[0].get_payload(decode=True))


def assert_calendar_request(message, meeting: Meeting):
    calendar = calendar_of(message)
    assert str(calendar["METHOD"]) == "REQUEST"
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    event = events[0]
    assert str(event["UID"]) == ical.event_uid(meeting)
    assert int(event["SEQUENCE"]) == meeting.sequence
    assert event.decoded("DTSTART") == meeting.start
    assert event.decoded("DTEND") == meeting.end


def seed_due_reminder() -> dict:
    """For the `make run` check, run in a subprocess against its own database: one invitee, one due reminder."""
    meeting, rows = due_meeting(1, english_every=0, title="Rapat uji make run")
    row = rows[0]
    return {"id": row.pk, "message_id": reminders.message_id_for(row), "to": row.invitation.email}
