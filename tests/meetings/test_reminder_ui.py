"""What staff see and do about reminders: the slots on the meeting form, the outbox block, "send again".

Also the language switch, which decides the language of a person's e-mails.
"""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from meetings import reminders, services
from meetings.models import Meeting, Reminder
from meetings.templatetags.meeting_reminders import outbox_of
from portal.lib import formats
from tests.factories import InvitationFactory, MeetingFactory
from tests.helpers import assert_no_inline_code
from tests.meetings.test_schedule import local, meeting_data


def detail(meeting):
    return reverse("meetings:detail", args=[meeting.pk])


def resend_url(row):
    return reverse("meetings:reminder_resend", args=[row.meeting_id, row.pk])


def failed(invitation, slot="h-3", error="SMTPRecipientsRefused: {'x': (550, b'No such user')}", attempts=1):
    reminders.reminders_plan(meeting=invitation.meeting)
    row = Reminder.objects.get(invitation=invitation, slot=slot)
    Reminder.objects.filter(pk=row.pk).update(status=Reminder.Status.FAILED, last_error=error, attempts=attempts)
    row.refresh_from_db()
    return row


def checked_slots(body):
    return re.findall(r'<input type="checkbox" name="reminder_slots" value="([^"]+)" id="[^"]+" checked>', body)


# --- the meeting form ----------------------------------------------------------------------------


def test_the_form_offers_the_slots_with_h3_h1_and_2h_ticked(client, staff):
    client.force_login(staff)

    response = client.get(reverse("meetings:create"))

    body = response.content.decode()
    assert body.count('type="checkbox" name="reminder_slots"') == len(reminders.SLOT_CHOICES)
    assert checked_slots(body) == ["h-3", "h-1", "2h"]
    for label in ("H-3, pukul 08.00 WITA", "H-1, pukul 08.00 WITA", "2 jam sebelum mulai", "1 jam sebelum mulai"):
        assert label in body
    assert 'name="reminder_note"' in body and 'maxlength="300"' in body
    assert_no_inline_code(body)


def test_a_new_meeting_keeps_the_chosen_slots_and_message(client, staff):
    client.force_login(staff)

    response = client.post(
        reverse("meetings:create"),
        meeting_data(reminder_slots=["2h", "h-7"], reminder_note="  Mohon membawa laporan triwulan.  "),
    )

    assert response.status_code == 302
    meeting = Meeting.objects.get()
    assert meeting.reminder_slots == ["h-7", "2h"]  # in the order they come
    assert meeting.reminder_note == "Mohon membawa laporan triwulan."


def test_a_message_longer_than_300_letters_is_refused_in_indonesian(client, staff):
    client.force_login(staff)

    response = client.post(reverse("meetings:create"), meeting_data(reminder_slots=["h-1"], reminder_note="x" * 301))

    assert response.status_code == 200
    assert response.context["form"].errors["reminder_note"] == [
        "Pesan tambahan paling banyak 300 huruf (sekarang 301)."
    ]
    assert not Meeting.objects.exists()


def test_an_unknown_slot_is_refused(client, staff):
    client.force_login(staff)

    response = client.post(reverse("meetings:create"), meeting_data(reminder_slots=["h-30"]))

    assert response.context["form"].errors["reminder_slots"] == ["Pilih waktu pengingat dari daftar."]


def test_the_edit_form_shows_the_meetings_own_slots(client, staff, meeting):
    Meeting.objects.filter(pk=meeting.pk).update(reminder_slots=["h-1", "1h"], reminder_note="Bawa stempel")
    client.force_login(staff)

    body = client.get(reverse("meetings:edit", args=[meeting.pk])).content.decode()

    assert checked_slots(body) == ["h-1", "1h"]
    assert "Bawa stempel</textarea>" in body


def test_editing_the_slots_reschedules_the_reminders(client, staff, invitation_a):
    meeting = invitation_a.meeting
    reminders.reminders_plan(meeting=meeting)
    client.force_login(staff)
    start = formats.wita(meeting.start).strftime("%Y-%m-%dT%H:%M")
    end = formats.wita(meeting.end).strftime("%Y-%m-%dT%H:%M")

    response = client.post(
        reverse("meetings:edit", args=[meeting.pk]),
        meeting_data(
            title=meeting.title,
            start=start,
            end=end,
            venue=meeting.venue,
            reminder_slots=["h-1", "1h"],
            **{"agenda-2-title": ""},
        ),
    )

    assert response.status_code == 302
    statuses = dict(Reminder.objects.filter(invitation=invitation_a).values_list("slot", "status"))
    assert statuses == {
        "h-3": "cancelled",
        "h-1": "scheduled",
        "2h": "cancelled",
        "1h": "scheduled",
        reminders.ASK_SLOT: "scheduled",
    }


def test_moving_the_meeting_in_the_form_moves_its_reminders(client, staff, invitation_a):
    meeting = invitation_a.meeting
    reminders.reminders_plan(meeting=meeting)
    client.force_login(staff)

    client.post(
        reverse("meetings:edit", args=[meeting.pk]),
        meeting_data(
            title=meeting.title,
            start=local(days=10, hour=13),
            end=local(days=10, hour=15),
            venue=meeting.venue,
            reminder_slots=["h-3", "h-1", "2h"],
        ),
    )

    meeting.refresh_from_db()
    assert formats.wita(meeting.start).hour == 13
    two_hours = Reminder.objects.get(invitation=invitation_a, slot="2h")
    assert formats.wita(two_hours.due_at).hour == 11
    assert Reminder.objects.filter(invitation=invitation_a, kind=Reminder.Kind.CHANGE).count() == 1


def test_a_copy_keeps_the_reminder_settings(staff, meeting):
    Meeting.objects.filter(pk=meeting.pk).update(reminder_slots=["h-7"], reminder_note="Bawa laporan")
    meeting.refresh_from_db()
    start = meeting.start + datetime.timedelta(days=30)

    copy = services.meeting_copy(meeting=meeting, by=staff, start=start, end=start + datetime.timedelta(hours=2))

    assert (copy.reminder_slots, copy.reminder_note) == (["h-7"], "Bawa laporan")


# --- the outbox block on the meeting page ------------------------------------------------------------


def test_staff_see_the_planned_reminder_times_in_wita(client, staff, invitation_a):
    meeting = invitation_a.meeting
    reminders.reminders_plan(meeting=meeting)
    client.force_login(staff)

    body = client.get(detail(meeting)).content.decode()

    assert 'id="pengingat"' in body
    h3 = formats.datetime_long(reminders.slot_due("h-3", meeting.start))
    assert h3.endswith("pukul 08.00 WITA")
    assert f"H-3, pukul 08.00 WITA: <strong>{h3}</strong>" in body
    two_hours = formats.datetime_long(meeting.start - datetime.timedelta(hours=2))
    assert f"2 jam sebelum mulai: <strong>{two_hours}</strong>" in body
    assert "1 jam sebelum mulai:" not in body  # not chosen
    assert_no_inline_code(body)


def test_a_slot_already_past_is_marked_as_not_sent(client, staff):
    start = (timezone.localtime() + datetime.timedelta(days=2)).replace(hour=9, minute=0, second=0, microsecond=0)
    meeting = MeetingFactory(organiser=staff, start=start, end=start + datetime.timedelta(hours=2))
    client.force_login(staff)

    body = client.get(detail(meeting)).content.decode()

    assert body.count("sudah lewat, tidak dikirim") == 1


def test_staff_see_the_outbox_counted_by_kind_and_status(client, staff, invitation_a, member_a):
    meeting = invitation_a.meeting
    InvitationFactory(meeting=meeting, person=member_a.person)
    reminders.reminders_plan(meeting=meeting)
    reminders.notices_enqueue(meeting=meeting, kind=Reminder.Kind.INVITATION)
    failed(invitation_a)
    client.force_login(staff)

    response = client.get(detail(meeting))

    outbox = outbox_of(meeting)
    assert [c.status for c in outbox.columns] == ["scheduled", "failed"]
    counts = {k.kind: k.cells for k in outbox.kinds}
    assert counts == {"invitation": [2, 0], "reminder": [5, 1], "organiser": [2, 0]}
    assert [c.total for c in outbox.columns] == [9, 1]
    body = response.content.decode()
    assert '<tr><th scope="row">Pengingat</th><td>5</td><td>1</td></tr>' in body
    assert '<tr><th scope="row">Undangan</th><td>2</td><td>0</td></tr>' in body


def test_staff_see_failed_deliveries_with_a_send_again_button(client, staff, invitation_a):
    row = failed(invitation_a, attempts=6, error="SMTPServerDisconnected: Connection unexpectedly closed")
    client.force_login(staff)

    body = client.get(detail(invitation_a.meeting)).content.decode()

    assert "1 e-mail gagal terkirim" in body
    assert "Siti Aminah &lt;ketua.a@example.org&gt;" in body
    assert 'Pengingat <span class="muted">(h-3)</span>' in body
    assert "SMTPServerDisconnected: Connection unexpectedly closed" in body
    assert "<dt>Percobaan</dt><dd>6</dd>" in body
    assert f'action="{resend_url(row)}"' in body
    assert "Kirim ulang" in body


def test_the_block_says_so_when_nothing_is_planned(client, staff, meeting):
    Meeting.objects.filter(pk=meeting.pk).update(reminder_slots=[])
    client.force_login(staff)

    body = client.get(detail(meeting)).content.decode()

    assert "Tidak ada pengingat yang dipilih untuk rapat ini." in body
    assert "Belum ada e-mail untuk rapat ini." in body


def test_invitees_do_not_see_the_block(client, officer_a, invitation_a):
    failed(invitation_a)
    client.force_login(officer_a)

    body = client.get(detail(invitation_a.meeting)).content.decode()

    assert 'id="pengingat"' not in body
    assert "Kirim ulang" not in body


def test_the_block_costs_two_queries_however_many_rows(staff, invitation_a, django_assert_num_queries):
    """Prevents a query per failed row (their invitation) or per kind."""
    meeting = invitation_a.meeting
    for _ in range(5):
        failed(InvitationFactory(meeting=meeting))
    with django_assert_num_queries(2):
        outbox = outbox_of(meeting)
        labels = [row.recipient_label for row in outbox.failed]
    assert len(labels) == 5
    quiet = MeetingFactory(organiser=staff)
    with django_assert_num_queries(1):
        outbox_of(quiet)  # nothing failed: no second query


# --- send again --------------------------------------------------------------------------------------


def test_send_again_puts_the_row_back_in_the_outbox(client, staff, invitation_a):
    row = failed(invitation_a, attempts=6)
    client.force_login(staff)

    response = client.post(resend_url(row), follow=True)

    assert response.redirect_chain[0][0] == detail(invitation_a.meeting) + "#pengingat"
    assert "E-mail untuk Siti Aminah dijadwalkan untuk dikirim ulang." in response.content.decode()
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (Reminder.Status.SCHEDULED, 0, "")
    assert row.due_at <= timezone.now()


def test_send_again_is_a_post(client, staff, invitation_a):
    row = failed(invitation_a)
    client.force_login(staff)

    assert client.get(resend_url(row)).status_code == 405


def test_send_again_leaves_a_row_that_did_not_fail_alone(client, staff, invitation_a):
    reminders.reminders_plan(meeting=invitation_a.meeting)
    row = Reminder.objects.get(invitation=invitation_a, slot="h-1")
    Reminder.objects.filter(pk=row.pk).update(status=Reminder.Status.SENT)
    client.force_login(staff)

    response = client.post(resend_url(row), follow=True)

    assert "tidak perlu dikirim ulang" in response.content.decode()
    row.refresh_from_db()
    assert row.status == Reminder.Status.SENT


def test_send_again_for_a_row_of_another_meeting_is_not_found(client, staff, invitation_a):
    row = failed(invitation_a)
    other = MeetingFactory(organiser=staff)
    client.force_login(staff)

    response = client.post(reverse("meetings:reminder_resend", args=[other.pk, row.pk]))

    assert response.status_code == 404
    row.refresh_from_db()
    assert row.status == Reminder.Status.FAILED


def test_visitors_are_sent_to_login_instead_of_sending_again(client, invitation_a):
    row = failed(invitation_a)

    response = client.post(resend_url(row))

    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))
    row.refresh_from_db()
    assert row.status == Reminder.Status.FAILED


def test_an_invited_officer_may_not_send_again(client, officer_a, invitation_a):
    row = failed(invitation_a)
    client.force_login(officer_a)

    assert client.post(resend_url(row)).status_code == 403
    row.refresh_from_db()
    assert row.status == Reminder.Status.FAILED


def test_an_officer_not_invited_does_not_learn_the_meeting_exists(client, officer_b, invitation_a):
    row = failed(invitation_a)
    client.force_login(officer_b)

    assert client.post(resend_url(row)).status_code == 404
    row.refresh_from_db()
    assert row.status == Reminder.Status.FAILED


# --- the language of a person's e-mails ---------------------------------------------------------------


def test_switching_language_is_remembered_for_the_persons_emails(client, officer_a):
    client.force_login(officer_a)

    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})

    assert response.status_code == 302 and response["Location"] == "/"
    officer_a.person.refresh_from_db()
    assert officer_a.person.language == "en"
    client.post(reverse("set_language"), {"language": "id", "next": "/"})
    officer_a.person.refresh_from_db()
    assert officer_a.person.language == "id"


def test_an_unknown_language_changes_nothing(client, officer_a):
    client.force_login(officer_a)

    client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    client.get(reverse("set_language"), {"language": "en"})

    officer_a.person.refresh_from_db()
    assert officer_a.person.language == "id"


@pytest.mark.parametrize("who", ["visitor", "staff"])
def test_switching_works_without_a_person(client, request, who):
    if who == "staff":
        client.force_login(request.getfixturevalue("staff"))
    else:
        request.getfixturevalue("db")

    response = client.post(reverse("set_language"), {"language": "en", "next": "/accounts/login/"})

    assert response.status_code == 302
    assert response.cookies["django_language"].value == "en"
