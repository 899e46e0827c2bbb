"""Minutes (notulen) and follow-ups (tindak lanjut): who reads and writes them, validation, status,
and the meeting page's "on the day and after" block."""

import datetime
import re

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from meetings import services
from meetings.models import FollowUp, Meeting, Minutes
from organizations.access import access_for

SUMMARY = "Rakor membahas program ketahanan keluarga dan kesiapan musrenbang kelurahan."


def minutes_url(meeting):
    return reverse("meetings:minutes", args=[meeting.pk])


def edit_url(meeting):
    return reverse("meetings:minutes_edit", args=[meeting.pk])


def follow_up_url(meeting):
    return reverse("meetings:follow_up_add", args=[meeting.pk])


def status_url(follow_up):
    return reverse("meetings:follow_up_status", args=[follow_up.pk])


def assert_login_redirect(response):
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def start_meeting(meeting, hours_ago=1):
    """Move the meeting into the past (a direct UPDATE: no service lets a start move back)."""
    now = timezone.now()
    Meeting.objects.filter(pk=meeting.pk).update(start=now - datetime.timedelta(hours=hours_ago),
                                                 end=now - datetime.timedelta(hours=hours_ago) + datetime.timedelta(
                                                     hours=2))
    meeting.refresh_from_db()
    return meeting


@pytest.fixture
def written(invitation_a, staff, board_a):
    """Minutes with two decisions and one open follow-up for LPM A."""
    meeting = invitation_a.meeting
    services.minutes_save(meeting=meeting, by=staff, summary=SUMMARY,
                          decisions="Usulan dikumpulkan paling lambat Januari.\nForum kecamatan memverifikasi.")
    follow_up = services.follow_up_add(meeting=meeting, description="Kirim data kader posyandu", board=board_a,
                                       due_date=timezone.localdate(meeting.start) + datetime.timedelta(days=14))
    return follow_up


def follow_up_data(board, due=None, description="Kirim rekap usulan RT/RW"):
    due = due or (timezone.localdate() + datetime.timedelta(days=30))
    return {"fu-description": description, "fu-board": board.pk if board else "", "fu-due_date": due.isoformat()}


# --- permissions ---------------------------------------------------------------------------------------


def test_it_sends_anonymous_users_to_login(client, written, board_a):
    meeting = written.meeting
    assert_login_redirect(client.get(minutes_url(meeting)))
    assert_login_redirect(client.get(edit_url(meeting)))
    assert_login_redirect(client.post(edit_url(meeting), {"summary": "x"}))
    assert_login_redirect(client.post(follow_up_url(meeting), follow_up_data(board_a)))
    assert_login_redirect(client.post(status_url(written), {"status": "done"}))
    assert Minutes.objects.get().summary == SUMMARY
    assert FollowUp.objects.count() == 1 and FollowUp.objects.get().status == "open"


def test_an_invited_officer_reads_the_minutes_after_the_meeting(client, officer_a, written):
    meeting = start_meeting(written.meeting)
    client.force_login(officer_a)
    response = client.get(minutes_url(meeting))
    assert response.status_code == 200
    body = response.content.decode()
    assert SUMMARY in body
    assert "Usulan dikumpulkan paling lambat Januari." in body
    assert "Kirim data kader posyandu" in body
    # Reading only: no edit link, no status buttons.
    assert edit_url(meeting) not in body and status_url(written) not in body


def test_an_invited_officer_cannot_read_minutes_before_the_meeting_or_when_there_are_none(client, officer_a,
                                                                                          written, invitation_a):
    client.force_login(officer_a)
    assert client.get(minutes_url(written.meeting)).status_code == 404  # not started yet
    start_meeting(written.meeting)
    Minutes.objects.all().delete()
    assert client.get(minutes_url(written.meeting)).status_code == 404  # none written


def test_an_invited_officer_may_read_the_minutes_of_a_meeting_marked_held(client, officer_a, written):
    Meeting.objects.filter(pk=written.meeting_id).update(status=Meeting.Status.HELD)
    client.force_login(officer_a)
    assert client.get(minutes_url(written.meeting)).status_code == 200


def test_an_invited_officer_may_not_write_minutes_or_follow_ups(client, officer_a, written, board_a):
    meeting = start_meeting(written.meeting)
    client.force_login(officer_a)
    assert client.get(edit_url(meeting)).status_code == 403
    assert client.post(edit_url(meeting), {"summary": "Diganti"}).status_code == 403
    assert client.post(follow_up_url(meeting), follow_up_data(board_a)).status_code == 403
    assert client.post(status_url(written), {"status": "done"}).status_code == 403
    assert Minutes.objects.get().summary == SUMMARY
    assert FollowUp.objects.count() == 1 and FollowUp.objects.get().status == "open"


def test_an_officer_not_invited_gets_404_everywhere(client, officer_b, written, board_b):
    meeting = start_meeting(written.meeting)
    client.force_login(officer_b)
    assert client.get(minutes_url(meeting)).status_code == 404
    assert client.get(edit_url(meeting)).status_code == 404
    assert client.post(edit_url(meeting), {"summary": "Diganti"}).status_code == 404
    assert client.post(follow_up_url(meeting), follow_up_data(board_b)).status_code == 404
    assert client.post(status_url(written), {"status": "done"}).status_code == 404
    assert client.post(reverse("meetings:follow_up_status", args=[987654]), {"status": "done"}).status_code == 404
    assert Minutes.objects.get().summary == SUMMARY and FollowUp.objects.get().status == "open"


def test_staff_read_and_edit_at_any_time(client, staff, written):
    client.force_login(staff)
    response = client.get(minutes_url(written.meeting))
    assert response.status_code == 200
    assert edit_url(written.meeting) in response.content.decode()
    response = client.get(edit_url(written.meeting))
    assert response.status_code == 200
    body = response.content.decode()
    assert SUMMARY in body and "Kirim data kader posyandu" in body and "Tandai selesai" in body


def test_staff_see_that_no_minutes_are_written_yet(client, staff, meeting):
    client.force_login(staff)
    response = client.get(minutes_url(meeting))
    assert response.status_code == 200
    assert "Notulen belum ditulis." in response.content.decode()


# --- writing minutes -------------------------------------------------------------------------------------


def test_staff_write_and_then_update_the_minutes(client, staff, meeting):
    client.force_login(staff)
    response = client.post(edit_url(meeting), {"summary": f"  {SUMMARY}  ", "decisions": "Satu\nDua"})
    assert response.status_code == 302 and response["Location"] == edit_url(meeting)
    minutes = Minutes.objects.get(meeting=meeting)
    assert (minutes.summary, minutes.decisions, minutes.written_by) == (SUMMARY, "Satu\nDua", staff)

    client.post(edit_url(meeting), {"summary": "Ringkasan baru", "decisions": ""})
    assert Minutes.objects.get(meeting=meeting).summary == "Ringkasan baru"
    assert Minutes.objects.count() == 1


def test_an_empty_summary_is_refused_next_to_the_field_and_nothing_saved(client, staff, meeting):
    client.force_login(staff)
    response = client.post(edit_url(meeting), {"summary": "   ", "decisions": "Keputusan tanpa ringkasan"})
    assert response.status_code == 400
    body = response.content.decode()
    assert re.search(r'Ringkasan notulen wajib diisi\.</li></ul>\s*<textarea[^>]*name="summary"', body)
    assert "Keputusan tanpa ringkasan" in body  # what was typed is kept
    assert not Minutes.objects.exists()


def test_minutes_cannot_be_written_for_a_cancelled_meeting(client, staff, meeting):
    services.meeting_cancel(meeting=meeting, by=staff, reason="Ditunda")
    client.force_login(staff)
    assert "Rapat ini dibatalkan; notulen tidak dapat ditulis." in client.get(edit_url(meeting)).content.decode()
    response = client.post(edit_url(meeting), {"summary": SUMMARY})
    assert response.status_code == 400
    assert "Rapat ini dibatalkan; notulen tidak dapat ditulis." in response.content.decode()
    assert not Minutes.objects.exists()


def test_minutes_escape_what_staff_typed(client, staff, officer_a, invitation_a):
    meeting = start_meeting(invitation_a.meeting)
    services.minutes_save(meeting=meeting, by=staff, summary="<script>alert(1)</script>", decisions="<b>x</b>")
    client.force_login(officer_a)
    body = client.get(minutes_url(meeting)).content.decode()
    assert "<script>alert(1)</script>" not in body and "&lt;script&gt;" in body and "&lt;b&gt;x&lt;/b&gt;" in body


# --- follow-ups ------------------------------------------------------------------------------------------


def test_staff_add_a_follow_up_with_a_board_and_a_due_date(client, staff, meeting, board_b):
    client.force_login(staff)
    due = timezone.localdate() + datetime.timedelta(days=21)
    response = client.post(follow_up_url(meeting), follow_up_data(board_b, due=due))
    assert response.status_code == 302
    follow_up = FollowUp.objects.get()
    assert (follow_up.meeting, follow_up.board, follow_up.due_date, follow_up.status) == (meeting, board_b, due,
                                                                                         "open")
    assert "Kirim rekap usulan RT/RW" in client.get(edit_url(meeting)).content.decode()


@pytest.mark.parametrize("field, value, message", [
    ("fu-description", "  ", "Tuliskan tindak lanjut yang harus dikerjakan."),
    ("fu-board", "", "Pilih lembaga penanggung jawab."),
    ("fu-board", "999999", "Pilih lembaga dari daftar."),
    ("fu-due_date", "", "Isi tenggat tindak lanjut."),
    ("fu-due_date", "besok", "Tulis tanggal seperti 31-12-2025."),
])
def test_a_bad_follow_up_is_refused_next_to_its_field_and_nothing_saved(client, staff, meeting, board_a, field,
                                                                        value, message):
    client.force_login(staff)
    data = {**follow_up_data(board_a), field: value}
    response = client.post(follow_up_url(meeting), data)
    assert response.status_code == 400
    body = response.content.decode()
    tag = "textarea" if field == "fu-description" else "select" if field == "fu-board" else "input"
    assert re.search(re.escape(message) + rf'</li></ul>\s*<{tag}[^>]*name="{field}"', body), body
    assert not FollowUp.objects.exists()


def test_a_follow_up_due_before_the_meeting_is_refused(client, staff, meeting, board_a):
    client.force_login(staff)
    before = timezone.localdate(meeting.start) - datetime.timedelta(days=1)
    response = client.post(follow_up_url(meeting), follow_up_data(board_a, due=before))
    assert response.status_code == 400
    assert re.search(r'Tenggat tidak boleh sebelum tanggal rapat\.</li></ul>\s*<input[^>]*name="fu-due_date"',
                     response.content.decode())
    assert not FollowUp.objects.exists()


def test_a_follow_up_cannot_be_added_to_a_cancelled_meeting(client, staff, meeting, board_a):
    services.meeting_cancel(meeting=meeting, by=staff, reason="Ditunda")
    client.force_login(staff)
    response = client.post(follow_up_url(meeting), follow_up_data(board_a))
    assert response.status_code == 400
    assert not FollowUp.objects.exists()


def test_staff_toggle_a_follow_up_between_open_and_done(client, staff, written):
    client.force_login(staff)
    response = client.post(status_url(written), {"status": "done", "next": "read"})
    assert response.status_code == 302
    assert response["Location"] == minutes_url(written.meeting) + "#tindak-lanjut"
    assert FollowUp.objects.get().status == "done"
    response = client.post(status_url(written), {"status": "open", "next": "https://evil.example/"})
    assert response["Location"] == edit_url(written.meeting) + "#tindak-lanjut"
    assert FollowUp.objects.get().status == "open"


def test_an_unknown_follow_up_status_changes_nothing(client, staff, written):
    client.force_login(staff)
    response = client.post(status_url(written), {"status": "archived"}, follow=True)
    assert "Status tindak lanjut tidak dikenal." in response.content.decode()
    assert FollowUp.objects.get().status == "open"


def test_follow_up_actions_are_post_only(client, staff, written):
    client.force_login(staff)
    assert client.get(status_url(written)).status_code == 405
    assert client.get(follow_up_url(written.meeting)).status_code == 405


# --- the meeting page's block ------------------------------------------------------------------------------


def render_after(user, meeting):
    request = RequestFactory().get("/")
    request.user = user
    return render_to_string("meetings/_detail_after.html", {
        "meeting": meeting, "access": access_for(user), "my_invitation": None,
        "can_manage": access_for(user).can_manage_meetings(),
    }, request=request)


def test_the_block_gives_staff_every_link(staff, written):
    body = render_after(staff, written.meeting)
    meeting = written.meeting
    for name in ["attendance", "minutes_edit", "minutes", "pdf_invitation", "pdf_attendance", "pdf_minutes"]:
        assert reverse(f"meetings:{name}", args=[meeting.pk]) in body
    assert "1 tindak lanjut, 1 belum selesai." in body


def test_the_block_gives_an_invitee_the_letter_then_the_minutes_after_the_meeting(officer_a, written):
    meeting = written.meeting
    body = render_after(officer_a, meeting)
    assert reverse("meetings:pdf_invitation", args=[meeting.pk]) in body
    for name in ["attendance", "minutes_edit", "minutes", "pdf_attendance", "pdf_minutes"]:
        assert reverse(f"meetings:{name}", args=[meeting.pk]) not in body
    assert "Notulen dapat dibaca di sini setelah rapat berlangsung." in body
    assert "1 tindak lanjut" not in body

    start_meeting(meeting)
    body = render_after(officer_a, meeting)
    assert reverse("meetings:minutes", args=[meeting.pk]) in body
    assert reverse("meetings:pdf_minutes", args=[meeting.pk]) in body
    assert reverse("meetings:attendance", args=[meeting.pk]) not in body


def test_the_block_costs_one_query(staff, written, django_assert_num_queries):
    access = access_for(staff)
    access.can_manage_meetings()
    request = RequestFactory().get("/")
    request.user = staff
    with django_assert_num_queries(1):
        render_to_string("meetings/_detail_after.html", {"meeting": written.meeting, "access": access},
                         request=request)
