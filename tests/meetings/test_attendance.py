"""Taking attendance on the day: the sheet, bulk and per-row marking (htmx or plain form), walk-ins,
the refusal on cancelled meetings, permissions, query counts and the attendance-rate selector."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from meetings import services
from meetings.models import Invitation, Meeting
from meetings.selectors import attendance_rate_by_board
from tests.factories import BoardFactory, InvitationFactory, MeetingFactory

HADIR, IZIN, TIDAK = "hadir", "izin", "tidak_hadir"


def attendance_url(meeting):
    return reverse("meetings:attendance", args=[meeting.pk])


def walk_in_url(meeting):
    return reverse("meetings:walk_in", args=[meeting.pk])


def assert_login_redirect(response):
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def attendance_of(*invitations):
    return [Invitation.objects.get(pk=i.pk).attendance for i in invitations]


@pytest.fixture
def guests(meeting):
    """Three more invitees: one accepted, one delegated, one who has not answered."""
    return [
        InvitationFactory(meeting=meeting, name="Andi Saputra", rsvp=Invitation.Rsvp.ACCEPTED,
                          board_name="LPM Kelurahan A2", kecamatan_name="Kecamatan A", position="Sekretaris"),
        InvitationFactory(meeting=meeting, name="Dewi Lestari", rsvp=Invitation.Rsvp.DELEGATED,
                          delegate_name="Rina Marlina", board_name="LPM Kelurahan B1", kecamatan_name="Kecamatan B",
                          position="Ketua"),
        InvitationFactory(meeting=meeting, name="Yusuf Maulana", board_name="LPM Kelurahan B1",
                          kecamatan_name="Kecamatan B", position="Bendahara"),
    ]


# --- permissions ---------------------------------------------------------------------------------


def test_it_sends_anonymous_users_to_login(client, invitation_a):
    meeting = invitation_a.meeting
    assert_login_redirect(client.get(attendance_url(meeting)))
    assert_login_redirect(client.post(attendance_url(meeting), {"row": f"{invitation_a.pk}:{HADIR}"}))
    assert_login_redirect(client.post(walk_in_url(meeting), {"walkin-name": "Pak Lurah"}))
    assert attendance_of(invitation_a) == [""]


def test_it_forbids_an_invited_officer_to_take_attendance(client, officer_a, invitation_a):
    meeting = invitation_a.meeting
    client.force_login(officer_a)
    assert client.get(attendance_url(meeting)).status_code == 403
    assert client.post(attendance_url(meeting), {"row": f"{invitation_a.pk}:{HADIR}"}).status_code == 403
    assert client.post(walk_in_url(meeting), {"walkin-name": "Pak Lurah"}).status_code == 403
    assert attendance_of(invitation_a) == [""]
    assert not meeting.invitations.filter(is_walk_in=True).exists()


def test_it_hides_the_meeting_from_an_officer_not_invited(client, officer_b, invitation_a):
    meeting = invitation_a.meeting
    client.force_login(officer_b)
    assert client.get(attendance_url(meeting)).status_code == 404
    assert client.post(attendance_url(meeting), {"row": f"{invitation_a.pk}:{HADIR}"}).status_code == 404
    assert client.post(walk_in_url(meeting), {"walkin-name": "Pak Lurah"}).status_code == 404
    assert attendance_of(invitation_a) == [""]


def test_it_answers_404_for_a_meeting_that_does_not_exist(client, staff):
    client.force_login(staff)
    assert client.get(reverse("meetings:attendance", args=[987654])).status_code == 404


# --- the sheet -------------------------------------------------------------------------------------


def test_it_lists_every_invitee_with_board_kecamatan_position_answer_and_delegate(client, staff, invitation_a,
                                                                                 guests):
    client.force_login(staff)
    response = client.get(attendance_url(invitation_a.meeting))
    assert response.status_code == 200
    body = response.content.decode()
    for text in ["Siti Aminah", "LPM Kelurahan A1", "Kecamatan A", "Andi Saputra", "Sekretaris", "Dewi Lestari",
                 "Diwakilkan: Rina Marlina", "Yusuf Maulana", "Belum menjawab", "Bendahara"]:
        assert text in body
    # The per-row buttons work by htmx and, without JS, as plain submit buttons of the form.
    assert f'value="{invitation_a.pk}:hadir"' in body
    assert f'hx-post="{attendance_url(invitation_a.meeting)}"' in body
    assert "Semua yang menjawab hadir → hadir (1 orang)" in body


def test_it_keeps_the_page_free_of_inline_script_and_style_and_escapes_names(client, staff, meeting):
    InvitationFactory(meeting=meeting, name="<script>alert(1)</script>", board_name="<b>LPM</b>")
    client.force_login(staff)
    body = client.get(attendance_url(meeting)).content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "&lt;b&gt;LPM&lt;/b&gt;" in body
    for tag in re.findall(r"<script[^>]*>", body):
        assert "src=" in tag
    assert not re.search(r"<script[^>]*>\s*[^<\s]", body)
    assert " style=" not in body and "<style" not in body
    # htmx is told not to inject its own <style>, which the CSP would refuse.
    assert '"includeIndicatorStyles": false' in body


# --- marking -------------------------------------------------------------------------------------------


def test_it_marks_the_ticked_invitees_in_bulk(client, staff, invitation_a, guests):
    andi, dewi, yusuf = guests
    client.force_login(staff)
    response = client.post(attendance_url(invitation_a.meeting),
                           {"bulk": HADIR, "selected": [invitation_a.pk, dewi.pk]}, follow=True)
    assert response.status_code == 200
    assert "2 peserta ditandai." in response.content.decode()
    assert attendance_of(invitation_a, andi, dewi, yusuf) == [HADIR, "", HADIR, ""]

    client.post(attendance_url(invitation_a.meeting), {"bulk": IZIN, "selected": [yusuf.pk, dewi.pk]})
    assert attendance_of(invitation_a, andi, dewi, yusuf) == [HADIR, "", IZIN, IZIN]


def test_it_marks_everyone_who_answered_hadir_and_leaves_marked_rows_alone(client, staff, invitation_a, guests):
    andi, dewi, yusuf = guests
    Invitation.objects.filter(pk=invitation_a.pk).update(rsvp=Invitation.Rsvp.ACCEPTED, attendance=IZIN)
    client.force_login(staff)
    response = client.post(attendance_url(invitation_a.meeting), {"accepted": "1"}, follow=True)
    assert "1 peserta ditandai." in response.content.decode()
    assert attendance_of(invitation_a, andi, dewi, yusuf) == [IZIN, HADIR, "", ""]


def test_it_marks_one_row_with_htmx_and_answers_with_the_row_fragment(client, staff, invitation_a, guests):
    client.force_login(staff)
    response = client.post(attendance_url(invitation_a.meeting), {"row": f"{invitation_a.pk}:{TIDAK}",
                                                                   "selected": [guests[0].pk]},
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith("<tr")
    assert f'id="undangan-{invitation_a.pk}"' in body and "Siti Aminah" in body
    assert "<html" not in body and "<body" not in body
    assert 'aria-pressed="true"' in body and "Tidak hadir" in body
    # The totals come along out of band.
    assert 'id="attendance-summary"' in body and 'hx-swap-oob="true"' in body
    # Only the row pressed is marked, never the ticked boxes sent along with it.
    assert attendance_of(invitation_a, guests[0]) == [TIDAK, ""]


def test_it_marks_one_row_without_javascript_and_returns_to_that_row(client, staff, invitation_a):
    client.force_login(staff)
    response = client.post(attendance_url(invitation_a.meeting), {"row": f"{invitation_a.pk}:{HADIR}"})
    assert response.status_code == 302
    assert response["Location"] == attendance_url(invitation_a.meeting) + f"#undangan-{invitation_a.pk}"
    assert attendance_of(invitation_a) == [HADIR]


@pytest.mark.parametrize("data", [
    {"row": "abc:hadir"},
    {"row": "1:terlambat"},
    {"bulk": "terlambat", "selected": ["1"]},
    {"bulk": "hadir", "selected": ["satu"]},
    {},
])
def test_it_refuses_a_malformed_mark_and_changes_nothing(client, staff, invitation_a, data):
    client.force_login(staff)
    response = client.post(attendance_url(invitation_a.meeting), data)
    assert response.status_code == 400
    assert 'class="message error"' in response.content.decode()
    assert attendance_of(invitation_a) == [""]


def test_it_asks_to_tick_someone_before_a_bulk_mark(client, staff, invitation_a):
    client.force_login(staff)
    response = client.post(attendance_url(invitation_a.meeting), {"bulk": HADIR})
    assert response.status_code == 400
    assert "Centang dulu peserta yang akan ditandai." in response.content.decode()


def test_it_never_marks_an_invitation_of_another_meeting(client, staff, invitation_a):
    other = InvitationFactory(meeting=MeetingFactory(organiser=staff))
    client.force_login(staff)
    client.post(attendance_url(invitation_a.meeting), {"bulk": HADIR, "selected": [invitation_a.pk, other.pk]})
    client.post(attendance_url(invitation_a.meeting), {"row": f"{other.pk}:{HADIR}"})
    assert attendance_of(invitation_a, other) == [HADIR, ""]


# --- walk-ins ----------------------------------------------------------------------------------------------


def test_it_adds_a_walk_in_as_present_with_an_optional_board(client, staff, meeting, board_a):
    client.force_login(staff)
    response = client.post(walk_in_url(meeting), {"walkin-name": "  Pak   Lurah  ", "walkin-board": board_a.pk,
                                                  "walkin-position": "Lurah"})
    walk_in = meeting.invitations.get(is_walk_in=True)
    assert response.status_code == 302
    assert response["Location"].endswith(f"#undangan-{walk_in.pk}")
    assert (walk_in.name, walk_in.board_name, walk_in.kecamatan_name, walk_in.position, walk_in.attendance) == (
        "Pak Lurah", "LPM Kelurahan A1", "Kecamatan A", "Lurah", HADIR)

    client.post(walk_in_url(meeting), {"walkin-name": "Ibu Camat"})
    assert meeting.invitations.filter(is_walk_in=True, board__isnull=True, name="Ibu Camat").exists()
    body = client.get(attendance_url(meeting)).content.decode()
    assert "Pak Lurah" in body and "tanpa undangan" in body


def test_it_refuses_a_walk_in_without_a_name_and_says_so_next_to_the_field(client, staff, meeting):
    client.force_login(staff)
    response = client.post(walk_in_url(meeting), {"walkin-name": "   ", "walkin-position": "Lurah"})
    assert response.status_code == 400
    body = response.content.decode()
    assert re.search(r'Tuliskan nama peserta\.</li></ul>\s*<input[^>]*name="walkin-name"', body)
    assert "<details" in body and " open" in body
    assert not meeting.invitations.exists()


def test_it_refuses_a_walk_in_with_an_unknown_board(client, staff, meeting):
    client.force_login(staff)
    response = client.post(walk_in_url(meeting), {"walkin-name": "Pak Lurah", "walkin-board": "999999"})
    assert response.status_code == 400
    assert not meeting.invitations.exists()


def test_walk_in_is_a_post_only_action(client, staff, meeting):
    client.force_login(staff)
    assert client.get(walk_in_url(meeting)).status_code == 405


# --- cancelled meetings -------------------------------------------------------------------------------------


@pytest.fixture
def cancelled(invitation_a, staff):
    return services.meeting_cancel(meeting=invitation_a.meeting, by=staff, reason="Bentrok dengan agenda Wali Kota")


def test_it_shows_a_clear_message_and_no_form_for_a_cancelled_meeting(client, staff, cancelled):
    client.force_login(staff)
    response = client.get(attendance_url(cancelled))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Rapat ini dibatalkan; kehadiran tidak dicatat." in body
    assert 'id="attendance-form"' not in body and "walkin-name" not in body


def test_it_refuses_to_mark_or_add_on_a_cancelled_meeting(client, staff, invitation_a, cancelled):
    client.force_login(staff)
    for data in [{"bulk": HADIR, "selected": [invitation_a.pk]}, {"row": f"{invitation_a.pk}:{HADIR}"},
                 {"accepted": "1"}]:
        response = client.post(attendance_url(cancelled), data, follow=True)
        assert "Rapat ini dibatalkan; kehadiran tidak dicatat." in response.content.decode()
    response = client.post(walk_in_url(cancelled), {"walkin-name": "Pak Lurah"}, follow=True)
    assert "Rapat ini dibatalkan; kehadiran tidak dicatat." in response.content.decode()
    assert attendance_of(invitation_a) == [""]
    assert not cancelled.invitations.filter(is_walk_in=True).exists()


def test_an_htmx_mark_on_a_cancelled_meeting_reloads_the_page_to_show_why(client, staff, invitation_a, cancelled):
    client.force_login(staff)
    response = client.post(attendance_url(cancelled), {"row": f"{invitation_a.pk}:{HADIR}"}, HTTP_HX_REQUEST="true")
    assert response["HX-Refresh"] == "true"
    assert attendance_of(invitation_a) == [""]


def test_the_service_refuses_a_meeting_cancelled_after_the_page_was_opened(invitation_a, staff):
    meeting = invitation_a.meeting
    stale = Meeting.objects.get(pk=meeting.pk)
    services.meeting_cancel(meeting=meeting, by=staff, reason="Banjir")
    with pytest.raises(services.ValidationError):
        services.attendance_mark(meeting=stale, invitation_ids=[invitation_a.pk], status=HADIR)
    assert attendance_of(invitation_a) == [""]


# --- query counts ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("invitees", [10, 150])
def test_attendance_page_query_count_does_not_grow_with_invitees(client, staff, meeting, invitees,
                                                                django_assert_num_queries):
    """Prevents an N+1 on boards or people: the sheet reads only the invitations' own snapshot."""
    Invitation.objects.bulk_create(
        Invitation(meeting=meeting, name=f"Peserta {n}", board_name=f"LPM {n % 7}", position="Ketua",
                   kecamatan_name="Kecamatan A", token=f"tok-{invitees}-{n}",
                   rsvp=Invitation.Rsvp.ACCEPTED if n % 2 else Invitation.Rsvp.PENDING,
                   attendance=HADIR if n % 3 == 0 else "")
        for n in range(invitees)
    )
    client.force_login(staff)
    # session, user, staff group, user's memberships, meeting, invitations, totals, boards for the walk-in form,
    # the unread-notices count in the header
    with django_assert_num_queries(9):
        response = client.get(attendance_url(meeting))
    assert response.status_code == 200
    assert response.content.decode().count('class="attendance-row') == invitees


@pytest.mark.parametrize("invitees", [10, 150])
def test_bulk_marking_query_count_does_not_grow_with_the_ticked(client, staff, meeting, invitees,
                                                               django_assert_num_queries):
    """Prevents marking row by row: one UPDATE for every ticked invitee."""
    ids = [i.pk for i in Invitation.objects.bulk_create(
        Invitation(meeting=meeting, name=f"Peserta {n}", token=f"tok-{invitees}-{n}") for n in range(invitees))]
    client.force_login(staff)
    # session, user, staff group, memberships, meeting, cancelled check, the one UPDATE
    with django_assert_num_queries(7):
        client.post(attendance_url(meeting), {"bulk": HADIR, "selected": ids})
    assert meeting.invitations.filter(attendance=HADIR).count() == invitees


# --- attendance rates for the dashboard ------------------------------------------------------------------------


def test_attendance_rate_by_board_counts_invited_and_present_per_board(staff, world):
    board_a, board_b = world["board_a"], world["board_b"]
    now = timezone.now()

    def past_meeting(days_ago, **kwargs):
        start = now - datetime.timedelta(days=days_ago)
        return MeetingFactory(organiser=staff, start=start, end=start + datetime.timedelta(hours=2), **kwargs)

    def invite(meeting, board, attendance=""):
        return InvitationFactory(meeting=meeting, board=board, board_name=board.name, attendance=attendance)

    first, second = past_meeting(20), past_meeting(5)
    invite(first, board_a, HADIR), invite(first, board_a, IZIN), invite(first, board_b, HADIR)
    invite(second, board_a, HADIR), invite(second, board_b, TIDAK), invite(second, board_b, "")
    services.attendance_add_walk_in(meeting=second, name="Warga", board=board_b)  # not an invitation

    # Not counted: before the period, cancelled, not yet taken, in the future.
    invite(past_meeting(90), board_a, TIDAK)
    cancelled = past_meeting(3)
    invite(cancelled, board_a, TIDAK)
    Meeting.objects.filter(pk=cancelled.pk).update(status=Meeting.Status.CANCELLED)
    invite(past_meeting(2), board_b, "")
    invite(MeetingFactory(organiser=staff), board_b, TIDAK)

    rates = {row.board_id: row for row in attendance_rate_by_board(since=now - datetime.timedelta(days=30))}

    assert set(rates) == {board_a.pk, board_b.pk}
    a, b = rates[board_a.pk], rates[board_b.pk]
    assert (a.board_name, a.meetings, a.invited, a.present, a.rate) == ("LPM Kelurahan A1", 2, 3, 2, 67)
    assert (b.board_name, b.meetings, b.invited, b.present, b.rate) == ("LPM Kelurahan B1", 2, 3, 1, 33)


def test_attendance_rate_by_board_is_one_query_and_empty_without_meetings(db, django_assert_num_queries):
    BoardFactory()
    with django_assert_num_queries(1):
        assert attendance_rate_by_board(since=timezone.now() - datetime.timedelta(days=365)) == []


def test_attendance_and_answers_read_differently_in_english():
    """'Hadir' is a promise in an answer and a fact on the attendance sheet."""
    from django.utils import translation

    from meetings.models import Invitation

    with translation.override("en"):
        assert Invitation.Attendance.PRESENT.label == "Present"
        assert Invitation.Attendance.ABSENT.label == "Absent"
        assert Invitation.Rsvp.ACCEPTED.label == "Attending"
    with translation.override("id"):
        assert Invitation.Attendance.PRESENT.label == Invitation.Rsvp.ACCEPTED.label == "Hadir"
