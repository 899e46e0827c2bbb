"""The iCalendar output, parsed back with the icalendar library (RFC 5545)."""

import datetime
import zoneinfo

import icalendar
import pytest
from django.urls import reverse

from meetings import ical, services
from meetings.models import Invitation, Meeting

WITA = zoneinfo.ZoneInfo("Asia/Makassar")


def parse(content) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(content)


def download(client, meeting):
    response = client.get(reverse("meetings:ics", args=[meeting.pk]))
    assert response.status_code == 200
    return response, parse(response.content)


def only_event(calendar):
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    return events[0]


@pytest.fixture
def online_meeting(meeting, staff):
    services.agenda_replace(meeting=meeting, items=[
        {"title": "Pembukaan", "presenter": "Kepala DP3AKB"},
        {"title": "Evaluasi program; triwulan IV, 2026"},
    ])
    Meeting.objects.filter(pk=meeting.pk).update(online_url="https://zoom.us/j/123456789",
                                                 description="Membawa laporan kegiatan.")
    meeting.refresh_from_db()
    return meeting


def test_it_downloads_a_valid_calendar_with_one_event(client, staff, online_meeting, settings):
    settings.SITE_URL = "https://lpm.balikpapan.go.id"
    response, calendar = download(client_logged_in(client, staff), online_meeting)

    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="rapat-{online_meeting.pk}.ics"'
    assert calendar["VERSION"] == "2.0"
    assert calendar["PRODID"] == ical.PRODID
    assert calendar["METHOD"] == "PUBLISH"
    event = only_event(calendar)
    assert event["UID"] == f"{online_meeting.uid}@lpm-balikpapan"
    assert event["SEQUENCE"] == 0
    assert event["SUMMARY"] == "Rakor LPM Triwulan IV"
    assert event["LOCATION"] == "Aula DP3AKB Kota Balikpapan"
    assert event["STATUS"] == "CONFIRMED"
    assert event["URL"] == f"https://lpm.balikpapan.go.id/rapat/{online_meeting.pk}/"
    assert isinstance(event.decoded("DTSTAMP"), datetime.datetime)
    description = str(event["DESCRIPTION"])
    assert "https://zoom.us/j/123456789" in description
    assert "1. Pembukaan (Kepala DP3AKB)" in description
    assert "2. Evaluasi program; triwulan IV, 2026" in description
    assert "Membawa laporan kegiatan." in description


def client_logged_in(client, user):
    client.force_login(user)
    return client


def test_it_gives_dtstart_and_dtend_in_asia_makassar_with_the_right_wall_time(client, staff, meeting):
    # 01.30 UTC is 09.30 WITA.
    start = datetime.datetime(2027, 3, 4, 1, 30, tzinfo=datetime.UTC)
    Meeting.objects.filter(pk=meeting.pk).update(start=start, end=start + datetime.timedelta(hours=2, minutes=30))

    response, calendar = download(client_logged_in(client, staff), meeting)

    event = only_event(calendar)
    assert event["DTSTART"].params["TZID"] == "Asia/Makassar"
    assert event["DTEND"].params["TZID"] == "Asia/Makassar"
    dtstart, dtend = event.decoded("DTSTART"), event.decoded("DTEND")
    assert dtstart.replace(tzinfo=None) == datetime.datetime(2027, 3, 4, 9, 30)
    assert dtend.replace(tzinfo=None) == datetime.datetime(2027, 3, 4, 12, 0)
    assert dtstart == start
    assert b"DTSTART;TZID=Asia/Makassar:20270304T093000" in response.content
    timezones = calendar.walk("VTIMEZONE")
    assert [str(tz["TZID"]) for tz in timezones] == ["Asia/Makassar"]
    assert timezones[0].walk("STANDARD")[0]["TZOFFSETTO"].td == datetime.timedelta(hours=8)


def test_it_carries_an_alarm_two_hours_before(client, staff, meeting):
    _, calendar = download(client_logged_in(client, staff), meeting)
    alarms = only_event(calendar).walk("VALARM")
    assert len(alarms) == 1
    assert alarms[0]["ACTION"] == "DISPLAY"
    assert alarms[0].decoded("TRIGGER") == -datetime.timedelta(hours=2)
    assert alarms[0]["DESCRIPTION"]


def test_the_uid_stays_and_the_sequence_grows_when_the_start_moves(client, staff, meeting):
    client_logged_in(client, staff)
    _, before = download(client, meeting)

    services.meeting_update(meeting=meeting, by=staff, start=meeting.start + datetime.timedelta(days=1),
                            end=meeting.end + datetime.timedelta(days=1))
    _, after = download(client, meeting)

    old, new = only_event(before), only_event(after)
    assert new["UID"] == old["UID"]
    assert new["SEQUENCE"] == old["SEQUENCE"] + 1 == 1
    assert new.decoded("DTSTART") == old.decoded("DTSTART") + datetime.timedelta(days=1)


def test_an_edit_invitees_need_not_hear_about_keeps_the_sequence(client, staff, meeting):
    client_logged_in(client, staff)
    services.meeting_update(meeting=meeting, by=staff, title="Rakor LPM Triwulan IV (revisi judul)")
    _, calendar = download(client, meeting)
    event = only_event(calendar)
    assert event["SEQUENCE"] == 0
    assert event["UID"] == f"{meeting.uid}@lpm-balikpapan"


def test_a_cancelled_meeting_is_cancelled_in_the_calendar(client, staff, meeting):
    services.meeting_cancel(meeting=meeting, by=staff, reason="Bertepatan dengan kunjungan Wali Kota")
    _, calendar = download(client_logged_in(client, staff), meeting)

    event = only_event(calendar)
    assert event["STATUS"] == "CANCELLED"
    assert event["SEQUENCE"] == 1
    assert event["UID"] == f"{meeting.uid}@lpm-balikpapan"
    assert "Bertepatan dengan kunjungan Wali Kota" in str(event["DESCRIPTION"])
    # A cancelled meeting must not ring two hours before.
    assert event.walk("VALARM") == []


def test_it_builds_request_and_cancel_messages_for_one_invitee(invitation_a):
    meeting = invitation_a.meeting
    invitation_a.rsvp = Invitation.Rsvp.ACCEPTED

    request = parse(ical.meeting_calendar([meeting], method="REQUEST", attendee=invitation_a).to_ical())
    assert request["METHOD"] == "REQUEST"
    event = only_event(request)
    assert event["ORGANIZER"].startswith("mailto:")
    attendee = event["ATTENDEE"]
    assert attendee == f"mailto:{invitation_a.email}"
    assert attendee.params["PARTSTAT"] == "ACCEPTED"
    assert attendee.params["CN"] == "Siti Aminah"

    cancel = parse(ical.meeting_calendar([meeting], method="CANCEL", attendee=invitation_a).to_ical())
    assert cancel["METHOD"] == "CANCEL"
    assert only_event(cancel)["STATUS"] == "CANCELLED"


def test_it_refuses_an_unknown_method(meeting):
    with pytest.raises(ValueError):
        ical.meeting_calendar([meeting], method="REPLY")


def test_every_event_of_a_calendar_has_the_required_properties(meeting, staff):
    from tests.factories import MeetingFactory

    meetings = [meeting, MeetingFactory(organiser=staff), MeetingFactory(organiser=staff)]
    calendar = parse(ical.meeting_calendar(meetings, name="Rapat LPM Balikpapan").to_ical())

    events = calendar.walk("VEVENT")
    assert len({str(e["UID"]) for e in events}) == 3
    for event in events:
        for name in ["UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY", "SEQUENCE", "STATUS"]:
            assert name in event
    assert calendar["X-WR-CALNAME"] == "Rapat LPM Balikpapan"
    assert len(calendar.walk("VTIMEZONE")) == 1


def test_ics_download_permissions(client, officer_a, officer_b, staff, invitation_a):
    url = reverse("meetings:ics", args=[invitation_a.meeting.pk])
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))
    client.force_login(officer_a)
    assert client.get(url).status_code == 200
    client.force_login(officer_b)
    assert client.get(url).status_code == 404
    client.force_login(staff)
    assert client.get(url).status_code == 200
    assert client.get(reverse("meetings:ics", args=[999999])).status_code == 404


# --- one calendar for many invitees (the reminder batches) ------------------------------------------


@pytest.mark.parametrize("method", ["REQUEST", "CANCEL"])
def test_the_shared_calendar_gives_each_invitee_exactly_their_own_calendar(online_meeting, method):
    from tests.factories import InvitationFactory

    stamp = datetime.datetime(2026, 5, 1, 2, 3, 4, tzinfo=datetime.UTC)
    invitees = [
        InvitationFactory(meeting=online_meeting, person=None, name="Siti", email="siti@example.org"),
        # Escaping (comma, semicolon, quote, colon) and folding past 75 octets, with multi-byte characters.
        InvitationFactory(meeting=online_meeting, person=None,
                          name='Dra. Hj. "Ani", S.Sos.; M.Si: Ketua LPM Kelurahan Gunung Samarinda Baru — Ümit Çelik',
                          email="ani.panjang.sekali.namanya@kelurahan-gunung-samarinda-baru.example.org",
                          rsvp=Invitation.Rsvp.ACCEPTED),
        InvitationFactory(meeting=online_meeting, person=None, name="Wakil", email="w@example.org",
                          rsvp=Invitation.Rsvp.DELEGATED, delegate_name="Budi", delegate_email="budi@example.org"),
        InvitationFactory(meeting=online_meeting, person=None, name="Tamu", email="", rsvp=Invitation.Rsvp.DECLINED),
    ]
    online_meeting.refresh_from_db()
    shared = ical.AttendeeCalendar(online_meeting, method=method, stamp=stamp)

    for invitation in invitees:
        expected = ical.meeting_calendar([online_meeting], method=method, attendee=invitation, stamp=stamp)
        content = shared.to_ical(invitation)
        assert content == expected.to_ical()
        calendar, event = parse(content), only_event(parse(content))
        assert calendar["METHOD"] == method
        assert event["UID"] == ical.event_uid(online_meeting)
        assert event["SEQUENCE"] == online_meeting.sequence
        assert event.decoded("DTSTART") == online_meeting.start
        assert bool(event.walk("VALARM")) == (method == "REQUEST")
        assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Asia/Makassar"]
        if invitation.email:
            assert str(event["ATTENDEE"]) == f"mailto:{invitation.email}"
            assert str(event["ATTENDEE"].params["CN"]) == invitation.name
            assert event["ATTENDEE"].params["PARTSTAT"] == ical.PARTSTAT[invitation.rsvp]
        else:
            assert "ATTENDEE" not in event
    assert b"placeholder" not in shared.to_ical(invitees[0])
