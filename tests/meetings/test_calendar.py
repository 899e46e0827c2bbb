"""Calendar pages: agenda, month view, the personal feed and its management page."""

import datetime
import zoneinfo

import icalendar
import pytest
from django.urls import reverse
from django.utils import timezone

from meetings import services
from meetings.models import CalendarFeed, Invitation, Meeting
from tests.factories import InvitationFactory, MeetingFactory

WITA = zoneinfo.ZoneInfo("Asia/Makassar")
AGENDA = reverse("meetings:agenda")
MONTH = reverse("meetings:month")
FEED_MANAGE = reverse("meetings:feed_manage")


def feed_url(token):
    return reverse("meetings:feed", args=[token])


def at(year, month, day, hour=9, minute=0):
    return datetime.datetime(year, month, day, hour, minute, tzinfo=WITA)


def meeting_at(start, **kwargs):
    """A meeting at any time, past ones included (a direct UPDATE: services refuse a start in the past)."""
    meeting = MeetingFactory(**kwargs)
    Meeting.objects.filter(pk=meeting.pk).update(start=start, end=start + datetime.timedelta(hours=2))
    meeting.refresh_from_db()
    return meeting


def invite(meeting, user):
    return InvitationFactory(meeting=meeting, person=user.person)


@pytest.fixture
def other_meeting(staff):
    """A meeting officer_a is not invited to."""
    return MeetingFactory(organiser=staff, title="Sosialisasi Khusus Forum B")


@pytest.mark.parametrize("url", [AGENDA, MONTH, FEED_MANAGE])
def test_calendar_pages_send_anonymous_users_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


# --- agenda --------------------------------------------------------------------------------------


def test_agenda_shows_an_officer_only_the_meetings_they_are_invited_to(client, officer_a, invitation_a,
                                                                       other_meeting):
    client.force_login(officer_a)
    response = client.get(AGENDA)

    assert response.status_code == 200
    body = response.content.decode()
    assert "Rakor LPM Triwulan IV" in body
    assert "Sosialisasi Khusus Forum B" not in body
    assert "Anda belum menjawab" in body
    assert "WITA" in body


def test_agenda_shows_the_officers_own_answer(client, officer_a, invitation_a):
    services.invitation_answer(invitation=invitation_a, answer=Invitation.Rsvp.ACCEPTED)
    client.force_login(officer_a)
    assert "Jawaban Anda: Hadir" in client.get(AGENDA).content.decode()


def test_agenda_shows_a_non_invited_officer_nothing(client, officer_b, invitation_a):
    client.force_login(officer_b)
    body = client.get(AGENDA).content.decode()
    assert "Rakor LPM Triwulan IV" not in body
    assert "Tidak ada rapat yang akan datang." in body


def test_agenda_shows_staff_every_meeting_with_answer_counts(client, staff, invitation_a, other_meeting):
    services.invitation_answer(invitation=invitation_a, answer=Invitation.Rsvp.ACCEPTED)
    InvitationFactory(meeting=invitation_a.meeting)
    client.force_login(staff)
    body = client.get(AGENDA).content.decode()
    assert "Rakor LPM Triwulan IV" in body and "Sosialisasi Khusus Forum B" in body
    assert "1 dari 2 akan hadir" in body
    assert "1 belum menjawab" in body


def test_agenda_lists_upcoming_first_and_past_ones_behind_a_link(client, staff, meeting):
    past = meeting_at(timezone.now() - datetime.timedelta(days=30), organiser=staff, title="Rakor bulan lalu")
    soon = meeting_at(timezone.now() + datetime.timedelta(days=1), organiser=staff, title="Rakor besok")
    client.force_login(staff)

    response = client.get(AGENDA)
    assert [m.pk for m in response.context["meetings"]] == [soon.pk, meeting.pk]
    assert f'href="{AGENDA}?lalu=1"' in response.content.decode()

    response = client.get(AGENDA + "?lalu=1")
    assert [m.pk for m in response.context["meetings"]] == [past.pk]
    assert "Rapat yang lalu" in response.content.decode()


def test_agenda_marks_a_cancelled_meeting(client, staff, officer_a, invitation_a):
    services.meeting_cancel(meeting=invitation_a.meeting, by=staff, reason="Banjir")
    client.force_login(officer_a)
    body = client.get(AGENDA).content.decode()
    assert "Dibatalkan" in body
    assert "Anda belum menjawab" not in body


@pytest.mark.parametrize("count", [3, 20])
def test_agenda_query_count_does_not_grow_with_meetings(client, officer_a, staff, count, django_assert_num_queries):
    """Prevents an N+1 on each meeting's invitations (the officer's own answer, staff's counts)."""
    for _ in range(count):
        invite(MeetingFactory(organiser=staff), officer_a)
    client.force_login(officer_a)
    # session, user, staff group, user's memberships, page count, meetings, the officer's invitations,
    # the unread-notices count in the header
    with django_assert_num_queries(8):
        response = client.get(AGENDA)
    assert len(response.context["meetings"]) == count

    client.force_login(staff)
    # session, user, staff group, user's memberships, page count, meetings with counts, unread-notices count
    with django_assert_num_queries(7):
        response = client.get(AGENDA)
    assert len(response.context["meetings"]) == count


# --- month ---------------------------------------------------------------------------------------------


def test_month_shows_meetings_on_their_day_in_wita(client, staff):
    # 17.30 UTC on 14 January is 01.30 WITA on 15 January.
    late = meeting_at(datetime.datetime(2027, 1, 14, 17, 30, tzinfo=datetime.UTC), organiser=staff,
                      title="Rakor dini hari")
    client.force_login(staff)

    response = client.get(MONTH + "?bulan=2027-01")

    assert response.status_code == 200
    days = {day["date"]: day for week in response.context["weeks"] for day in week}
    assert [m.pk for m in days[datetime.date(2027, 1, 15)]["meetings"]] == [late.pk]
    assert days[datetime.date(2027, 1, 14)]["meetings"] == []
    body = response.content.decode()
    assert "Januari 2027" in body
    assert "Jumat, 15 Januari" in body
    assert "01.30 WITA" in body
    assert 'href="?bulan=2026-12"' in body and 'href="?bulan=2027-02"' in body
    assert 'style="' not in body and "<script>" not in body


def test_month_grid_starts_on_monday_and_links_across_years(client, staff):
    client.force_login(staff)
    response = client.get(MONTH + "?bulan=2026-12")
    weeks = response.context["weeks"]
    assert all(len(week) == 7 for week in weeks)
    assert weeks[0][0]["date"] == datetime.date(2026, 11, 30)  # a Monday
    assert not weeks[0][0]["in_month"]
    assert response.context["following"] == datetime.date(2027, 1, 1)
    assert response.context["previous"] == datetime.date(2026, 11, 1)


@pytest.mark.parametrize("value", ["", "2027-13", "abc", "2027-1", "0000-01", "2027-01-01"])
def test_month_falls_back_to_this_month_on_a_bad_parameter(client, staff, value):
    client.force_login(staff)
    response = client.get(MONTH, {"bulan": value})
    assert response.status_code == 200
    assert response.context["first"] == timezone.localdate().replace(day=1)


def test_month_shows_an_officer_only_invited_meetings(client, officer_a, officer_b, invitation_a, other_meeting):
    month = timezone.localtime(invitation_a.meeting.start).strftime("%Y-%m")
    client.force_login(officer_a)
    body = client.get(MONTH, {"bulan": month}).content.decode()
    assert "Rakor LPM Triwulan IV" in body and "Sosialisasi Khusus Forum B" not in body
    client.force_login(officer_b)
    body = client.get(MONTH, {"bulan": month}).content.decode()
    assert "Rakor LPM Triwulan IV" not in body
    assert "Tidak ada rapat pada bulan ini." in body


@pytest.mark.parametrize("count", [3, 20])
def test_month_query_count_does_not_grow_with_meetings(client, officer_a, staff, count, django_assert_num_queries):
    for day in range(count):
        invite(meeting_at(at(2027, 3, 1 + day), organiser=staff), officer_a)
    client.force_login(officer_a)
    # session, user, staff group, user's memberships, meetings (first few a day, with each day's total),
    # unread-notices count
    with django_assert_num_queries(6):
        response = client.get(MONTH, {"bulan": "2027-03"})
    assert response.context["meeting_count"] == count


@pytest.mark.parametrize("count", [3, 20])
def test_month_query_count_for_staff_does_not_grow_with_meetings_a_day(client, staff, count,
                                                                       django_assert_num_queries):
    for index in range(count):
        meeting_at(at(2027, 3, 1 + index % 2, 8 + index % 10), organiser=staff)
    client.force_login(staff)
    # session, user, staff group, user's memberships, meetings, unread-notices count
    with django_assert_num_queries(6):
        response = client.get(MONTH, {"bulan": "2027-03"})
    assert response.context["meeting_count"] == count


def test_month_shows_the_first_meetings_of_a_busy_day_and_links_to_the_rest(client, staff, officer_a):
    early = [meeting_at(at(2027, 3, 8, hour), organiser=staff, title=f"Rapat pukul {hour}") for hour in (8, 9, 10)]
    later = [meeting_at(at(2027, 3, 8, hour), organiser=staff, title=f"Rapat pukul {hour}") for hour in (13, 15)]
    quiet = meeting_at(at(2027, 3, 9, 9), organiser=staff, title="Rapat hari tenang")
    client.force_login(staff)

    response = client.get(MONTH, {"bulan": "2027-03"})

    days = {day["date"]: day for week in response.context["weeks"] for day in week}
    busy = days[datetime.date(2027, 3, 8)]
    assert [m.pk for m in busy["meetings"]] == [m.pk for m in early]
    assert busy["more"] == 2
    assert [m.pk for m in days[datetime.date(2027, 3, 9)]["meetings"]] == [quiet.pk]
    assert days[datetime.date(2027, 3, 9)]["more"] == 0
    assert response.context["meeting_count"] == 6
    body = response.content.decode()
    assert f'<a href="{AGENDA}?tanggal=2027-03-08">+2 rapat lainnya</a>' in body
    assert body.count("rapat lainnya") == 1
    assert "Rapat pukul 13" not in body and "Rapat pukul 15" not in body
    assert all(m.title not in body for m in later)

    # An officer's month counts only the meetings they are invited to.
    for meeting in early[:2] + later:
        invite(meeting, officer_a)
    client.force_login(officer_a)
    response = client.get(MONTH, {"bulan": "2027-03"})
    days = {day["date"]: day for week in response.context["weeks"] for day in week}
    busy = days[datetime.date(2027, 3, 8)]
    assert [m.pk for m in busy["meetings"]] == [early[0].pk, early[1].pk, later[0].pk]
    assert busy["more"] == 1
    assert response.context["meeting_count"] == 4
    assert "Rapat hari tenang" not in response.content.decode()


# --- one day's agenda -------------------------------------------------------------------------------------


def test_agenda_of_a_day_lists_that_wita_day_past_or_not(client, staff, invitation_a):
    # 16.30 UTC on 7 March is 00.30 WITA on 8 March; 15.59 UTC is still 7 March in WITA.
    late = meeting_at(datetime.datetime(2027, 3, 7, 16, 30, tzinfo=datetime.UTC), organiser=staff, title="Dini hari")
    meeting_at(datetime.datetime(2027, 3, 7, 15, 59, tzinfo=datetime.UTC), organiser=staff, title="Hari sebelumnya")
    noon = meeting_at(at(2027, 3, 8, 12), organiser=staff, title="Siang hari")
    long_ago = meeting_at(at(2020, 3, 8, 12), organiser=staff, title="Dulu sekali")
    client.force_login(staff)

    response = client.get(AGENDA, {"tanggal": "2027-03-08"})

    assert response.status_code == 200
    assert [m.pk for m in response.context["meetings"]] == [late.pk, noon.pk]
    body = response.content.decode()
    assert "Rapat pada Senin, 8 Maret 2027" in body
    assert f'href="{MONTH}?bulan=2027-03"' in body
    assert "0 dari 0 akan hadir" in body  # staff still see the counts
    past = client.get(AGENDA, {"tanggal": "2020-03-08"})
    assert [m.pk for m in past.context["meetings"]] == [long_ago.pk]
    empty = client.get(AGENDA, {"tanggal": "2027-03-09"}).content.decode()
    assert "Tidak ada rapat pada tanggal ini." in empty


def test_agenda_of_a_day_shows_an_officer_only_their_meetings(client, officer_a, staff):
    mine = meeting_at(at(2027, 3, 8, 9), organiser=staff, title="Rapat saya")
    invite(mine, officer_a)
    meeting_at(at(2027, 3, 8, 10), organiser=staff, title="Rapat orang lain")
    client.force_login(officer_a)
    response = client.get(AGENDA, {"tanggal": "2027-03-08"})
    assert [m.pk for m in response.context["meetings"]] == [mine.pk]
    assert "Rapat orang lain" not in response.content.decode()


@pytest.mark.parametrize("value", ["2027-02-30", "2027-3-8", "kemarin", "0000-01-01"])
def test_agenda_ignores_a_bad_day(client, staff, meeting, value):
    client.force_login(staff)
    response = client.get(AGENDA, {"tanggal": value})
    assert response.status_code == 200
    assert response.context["day"] is None
    assert [m.pk for m in response.context["meetings"]] == [meeting.pk]


def test_agenda_of_a_day_keeps_the_day_across_pages(client, staff):
    for index in range(51):
        meeting_at(at(2027, 3, 8, 8) + datetime.timedelta(minutes=index), organiser=staff)
    client.force_login(staff)
    first = client.get(AGENDA, {"tanggal": "2027-03-08"})
    assert len(first.context["meetings"]) == 50
    assert '?tanggal=2027-03-08&amp;halaman=2' in first.content.decode()
    second = client.get(AGENDA, {"tanggal": "2027-03-08", "halaman": 2})
    assert len(second.context["meetings"]) == 1


# --- the feed and its page --------------------------------------------------------------------------------


def test_feed_page_creates_the_feed_on_first_visit_and_shows_its_url(client, officer_a, settings):
    settings.SITE_URL = "https://lpm.balikpapan.go.id"
    client.force_login(officer_a)

    response = client.get(FEED_MANAGE)

    assert response.status_code == 200
    feed = CalendarFeed.objects.get(user=officer_a)
    body = response.content.decode()
    assert f"https://lpm.balikpapan.go.id{feed_url(feed.token)}" in body
    assert f"webcal://lpm.balikpapan.go.id{feed_url(feed.token)}" in body
    assert client.get(FEED_MANAGE).status_code == 200
    assert CalendarFeed.objects.filter(user=officer_a).count() == 1


def test_regenerating_the_feed_revokes_the_old_url(client, officer_a, invitation_a):
    client.force_login(officer_a)
    client.get(FEED_MANAGE)
    old = CalendarFeed.objects.get(user=officer_a).token
    assert client.get(feed_url(old)).status_code == 200

    response = client.post(FEED_MANAGE, {"action": "regenerate"})

    assert response.status_code == 302
    new = CalendarFeed.objects.get(user=officer_a).token
    assert new != old
    client.logout()
    assert client.get(feed_url(old)).status_code == 404
    assert client.get(feed_url(new)).status_code == 200


def test_regenerating_is_post_only_and_csrf_protected(officer_a):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(officer_a)
    browser.get(FEED_MANAGE)
    old = CalendarFeed.objects.get(user=officer_a).token
    assert browser.post(FEED_MANAGE).status_code == 403
    assert CalendarFeed.objects.get(user=officer_a).token == old


def _feed_events(response):
    calendar = icalendar.Calendar.from_ical(response.content)
    return {str(event["SUMMARY"]) for event in calendar.walk("VEVENT")}


def test_feed_needs_no_login_and_holds_only_the_users_meetings(client, officer_a, invitation_a, other_meeting):
    feed = services.calendar_feed_get_or_create(user=officer_a)
    long_ago = meeting_at(timezone.now() - datetime.timedelta(days=120), title="Rakor lama sekali")
    invite(long_ago, officer_a)
    recent = meeting_at(timezone.now() - datetime.timedelta(days=30), title="Rakor bulan lalu")
    invite(recent, officer_a)

    response = client.get(feed_url(feed.token))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert _feed_events(response) == {"Rakor LPM Triwulan IV", "Rakor bulan lalu"}


def test_feed_shows_cancelled_meetings_as_cancelled(client, officer_a, invitation_a, staff):
    services.meeting_cancel(meeting=invitation_a.meeting, by=staff, reason="Banjir")
    feed = services.calendar_feed_get_or_create(user=officer_a)
    calendar = icalendar.Calendar.from_ical(client.get(feed_url(feed.token)).content)
    (event,) = calendar.walk("VEVENT")
    assert event["STATUS"] == "CANCELLED"


def test_feed_of_staff_holds_every_meeting(client, staff, invitation_a, other_meeting):
    feed = services.calendar_feed_get_or_create(user=staff)
    assert _feed_events(client.get(feed_url(feed.token))) == {"Rakor LPM Triwulan IV", "Sosialisasi Khusus Forum B"}


def test_feed_of_a_non_invited_officer_is_empty(client, officer_b, invitation_a):
    feed = services.calendar_feed_get_or_create(user=officer_b)
    response = client.get(feed_url(feed.token))
    assert response.status_code == 200
    assert _feed_events(response) == set()


@pytest.mark.parametrize("token", ["x" * 43, "pendek", "x" * 200])
def test_feed_with_an_unknown_token_is_404(client, officer_a, token):
    services.calendar_feed_get_or_create(user=officer_a)
    assert client.get(feed_url(token)).status_code == 404


def test_feed_of_a_deactivated_account_is_404(client, officer_a, invitation_a):
    feed = services.calendar_feed_get_or_create(user=officer_a)
    officer_a.is_active = False
    officer_a.save()
    assert client.get(feed_url(feed.token)).status_code == 404


@pytest.mark.parametrize("count", [3, 20])
def test_feed_query_count_does_not_grow_with_meetings(client, officer_a, staff, count, django_assert_num_queries):
    """Prevents an N+1 on each meeting's agenda items."""
    for _ in range(count):
        meeting = MeetingFactory(organiser=staff)
        services.agenda_replace(meeting=meeting, items=[{"title": "Pembukaan"}, {"title": "Diskusi"}])
        invite(meeting, officer_a)
    feed = services.calendar_feed_get_or_create(user=officer_a)
    # feed with its user, staff group, user's memberships, meetings, agenda items
    with django_assert_num_queries(5):
        response = client.get(feed_url(feed.token))
    assert len(_feed_events(response)) == count
