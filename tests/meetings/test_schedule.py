"""Scheduling views: create, edit, cancel, mark held, copy, the staff list, the meeting page, materials."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from meetings import services
from meetings.models import AgendaItem, Material, Meeting, MeetingChange
from portal.lib.formats import WITA
from tests.factories import InvitationFactory, MeetingFactory

PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


def local(days=7, hour=9, minute=0):
    """A wall-clock time in WITA ``days`` from today, as the form's datetime-local text."""
    day = timezone.localdate() + datetime.timedelta(days=days)
    return datetime.datetime(day.year, day.month, day.day, hour, minute).strftime("%Y-%m-%dT%H:%M")


def aware(text):
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M").replace(tzinfo=WITA)


def meeting_data(**overrides):
    data = {
        "kind": "rakor",
        "title": "Rakor LPM Balikpapan Timur",
        "start": local(hour=9),
        "end": local(hour=12),
        "venue": "Aula Kantor Camat Balikpapan Timur",
        "online_url": "",
        "description": "Sinkronisasi program 2026.",
        "agenda-TOTAL_FORMS": "3",
        "agenda-INITIAL_FORMS": "0",
        "agenda-MIN_NUM_FORMS": "0",
        "agenda-MAX_NUM_FORMS": "50",
        "agenda-0-title": "Pembukaan",
        "agenda-0-presenter": "Kepala DP3AKB",
        "agenda-0-duration_minutes": "15",
        "agenda-0-ORDER": "1",
        "agenda-1-title": "Paparan program",
        "agenda-1-ORDER": "2",
        "agenda-2-title": "",
    }
    data.update(overrides)
    return data


def field_errors(response, name):
    return [str(e) for e in response.context["form"].errors.get(name, [])]


# --- permissions ---------------------------------------------------------------------------

STAFF_ONLY_MEETING_VIEWS = ["edit", "cancel", "mark_held", "copy", "material_add"]


@pytest.mark.parametrize("name", ["list", "create"])
def test_it_sends_anonymous_to_login_from_staff_pages(client, db, name):
    response = client.get(reverse(f"meetings:{name}"))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("name", ["detail", *STAFF_ONLY_MEETING_VIEWS])
def test_it_sends_anonymous_to_login_from_meeting_pages(client, meeting, name):
    response = client.get(reverse(f"meetings:{name}", args=[meeting.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("name", ["list", "create"])
def test_it_forbids_officers_the_staff_pages(client, officer_a, name):
    client.force_login(officer_a)
    assert client.get(reverse(f"meetings:{name}")).status_code == 403
    assert client.post(reverse(f"meetings:{name}"), meeting_data()).status_code == (403 if name == "create" else 405)
    assert not Meeting.objects.exists()


@pytest.mark.parametrize("name", STAFF_ONLY_MEETING_VIEWS)
def test_it_forbids_an_invited_officer_staff_actions(client, invitation_a, officer_a, name):
    client.force_login(officer_a)
    url = reverse(f"meetings:{name}", args=[invitation_a.meeting.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"reason": "x", **meeting_data()}).status_code == 403
    meeting = Meeting.objects.get(pk=invitation_a.meeting.pk)
    assert meeting.status == Meeting.Status.SCHEDULED and meeting.title == "Rakor LPM Triwulan IV"


@pytest.mark.parametrize("name", ["detail", *STAFF_ONLY_MEETING_VIEWS])
def test_it_hides_the_meeting_from_an_officer_not_invited(client, invitation_a, officer_b, name):
    client.force_login(officer_b)
    url = reverse(f"meetings:{name}", args=[invitation_a.meeting.pk])
    assert client.get(url).status_code == 404
    if name != "detail":
        assert client.post(url, {"reason": "x"}).status_code == 404


def test_it_shows_the_meeting_to_an_invited_officer_without_staff_buttons(client, invitation_a, officer_a):
    client.force_login(officer_a)
    response = client.get(reverse("meetings:detail", args=[invitation_a.meeting.pk]))
    assert response.status_code == 200
    assert response.context["my_invitation"] == invitation_a
    assert response.context["can_manage"] is False
    body = response.content.decode()
    assert "Rakor LPM Triwulan IV" in body
    assert reverse("meetings:edit", args=[invitation_a.meeting.pk]) not in body
    assert reverse("meetings:cancel", args=[invitation_a.meeting.pk]) not in body


@pytest.mark.parametrize("name", ["list", "create"])
def test_it_shows_staff_pages_to_staff(client, staff, name):
    client.force_login(staff)
    assert client.get(reverse(f"meetings:{name}")).status_code == 200


@pytest.mark.parametrize("name", ["detail", "edit", "cancel", "copy", "material_add", "mark_held"])
def test_it_shows_meeting_pages_to_staff(client, staff, meeting, name):
    client.force_login(staff)
    assert client.get(reverse(f"meetings:{name}", args=[meeting.pk])).status_code == 200


def test_it_lets_an_admin_manage_meetings(client, admin_user, meeting):
    client.force_login(admin_user)
    assert client.get(reverse("meetings:edit", args=[meeting.pk])).status_code == 200


# --- create -----------------------------------------------------------------------------------


def test_it_creates_a_meeting_with_its_agenda_in_wita(client, staff):
    client.force_login(staff)
    response = client.post(reverse("meetings:create"), meeting_data())
    meeting = Meeting.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("meetings:invite", args=[meeting.pk])
    assert meeting.organiser == staff
    assert meeting.start == aware(local(hour=9))
    assert timezone.localtime(meeting.start, WITA).hour == 9
    assert meeting.end - meeting.start == datetime.timedelta(hours=3)
    assert meeting.sequence == 0 and meeting.status == Meeting.Status.SCHEDULED
    assert [(a.title, a.presenter, a.duration_minutes) for a in meeting.agenda_items.all()] == [
        ("Pembukaan", "Kepala DP3AKB", 15),
        ("Paparan program", "", None),
    ]


def test_it_reads_the_time_as_wita_whatever_zone_is_active(client, staff):
    client.force_login(staff)
    with timezone.override("Asia/Jakarta"):
        client.post(reverse("meetings:create"), meeting_data())
    assert Meeting.objects.get().start == aware(local(hour=9))


def test_it_orders_the_agenda_by_the_order_column(client, staff):
    client.force_login(staff)
    client.post(
        reverse("meetings:create"),
        meeting_data(
            **{
                "agenda-0-ORDER": "2",
                "agenda-1-ORDER": "1",
                "agenda-2-title": "Penutup",
                "agenda-2-ORDER": "",
            }
        ),
    )
    assert [a.title for a in Meeting.objects.get().agenda_items.all()] == ["Paparan program", "Pembukaan", "Penutup"]


def test_it_accepts_an_online_meeting_without_a_venue(client, staff):
    client.force_login(staff)
    client.post(reverse("meetings:create"), meeting_data(venue="", online_url="https://meet.example.org/rakor"))
    assert Meeting.objects.get().online_url == "https://meet.example.org/rakor"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"title": "   "}, "title", "Judul rapat wajib diisi."),
        ({"end": local(hour=8)}, "end", "Waktu selesai harus sesudah waktu mulai."),
        ({"end": local(hour=9)}, "end", "Waktu selesai harus sesudah waktu mulai."),
        ({"start": local(days=-1), "end": local(days=-1, hour=12)}, "start", "Waktu mulai sudah lewat"),
        ({"end": local(days=8, hour=10)}, "end", "tidak boleh lebih dari satu hari"),
        ({"online_url": "javascript:alert(1)"}, "online_url", "Tautan tidak valid"),
        ({"online_url": "ftp://files.example.org/bahan"}, "online_url", "harus diawali http:// atau https://"),
        ({"venue": "", "online_url": ""}, "venue", "Isi tempat rapat, tautan rapat daring, atau keduanya."),
        ({"start": "besok pagi"}, "start", "Isi tanggal dan jam dengan lengkap"),
        ({"kind": "pesta"}, "kind", "Pilih salah satu jenis rapat."),
    ],
)
def test_it_refuses_bad_input_next_to_the_field_and_saves_nothing(client, staff, overrides, field, message):
    client.force_login(staff)
    response = client.post(reverse("meetings:create"), meeting_data(**overrides))
    assert response.status_code == 200
    assert any(message in error for error in field_errors(response, field)), response.context["form"].errors
    assert message.split("{")[0] in response.content.decode().replace("&quot;", '"')
    assert not Meeting.objects.exists()
    assert not AgendaItem.objects.exists()


def test_it_refuses_an_agenda_row_without_a_title(client, staff):
    client.force_login(staff)
    response = client.post(reverse("meetings:create"), meeting_data(**{"agenda-2-presenter": "Camat"}))
    assert response.status_code == 200
    assert response.context["agenda"].forms[2].errors["title"] == ["Tuliskan nama acaranya, atau kosongkan baris ini."]
    assert not Meeting.objects.exists()


def test_it_saves_nothing_when_the_agenda_fails(client, staff, monkeypatch):
    """Meeting and agenda are one transaction: no meeting without its agenda."""

    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "agenda_replace", broken)
    client.force_login(staff)
    client.raise_request_exception = False
    response = client.post(reverse("meetings:create"), meeting_data())
    assert response.status_code == 500
    assert not Meeting.objects.exists()


def test_it_keeps_the_rows_of_a_form_with_errors(client, staff):
    client.force_login(staff)
    response = client.post(reverse("meetings:create"), meeting_data(title=""))
    body = response.content.decode()
    assert 'value="Pembukaan"' in body and 'value="Aula Kantor Camat Balikpapan Timur"' in body


def test_the_form_has_a_label_for_every_field_and_no_inline_script(client, staff):
    client.force_login(staff)
    response = client.get(reverse("meetings:create"))
    body = response.content.decode()
    for name in [
        "kind",
        "title",
        "start",
        "end",
        "venue",
        "online_url",
        "description",
        "materials",
        "agenda-0-title",
        "agenda-0-ORDER",
    ]:
        assert f'for="id_{name}"' in body, name
    assert 'type="datetime-local"' in body
    assert "<script>" not in body and "style=" not in body
    assert "js/meetings-form.js" in body


# --- conflicts on create and edit ---------------------------------------------------------------


def test_it_warns_when_the_venue_is_booked_and_saves_after_confirmation(client, staff):
    other = MeetingFactory(
        title="Sosialisasi Posyandu",
        venue="Aula Kantor Camat Balikpapan Timur",
        start=aware(local(hour=10)),
        end=aware(local(hour=13)),
    )
    client.force_login(staff)
    data = meeting_data(venue="aula kantor  camat Balikpapan Timur")
    response = client.post(reverse("meetings:create"), data)
    assert response.status_code == 200
    assert response.context["conflicts"]["venue"] == [other]
    body = response.content.decode()
    assert "Sosialisasi Posyandu" in body and "Tetap simpan" in body
    assert Meeting.objects.count() == 1

    response = client.post(reverse("meetings:create"), {**data, "confirmed_conflicts": str(other.pk)})
    assert response.status_code == 302
    assert Meeting.objects.count() == 2


def test_it_asks_again_when_a_new_clash_appears_after_confirmation(client, staff):
    first = MeetingFactory(venue="Aula A", start=aware(local(hour=10)), end=aware(local(hour=11)))
    second = MeetingFactory(venue="Aula A", start=aware(local(hour=11)), end=aware(local(hour=12)))
    client.force_login(staff)
    response = client.post(reverse("meetings:create"), meeting_data(venue="Aula A", confirmed_conflicts=str(first.pk)))
    assert response.status_code == 200
    assert set(response.context["conflicts"]["venue"]) == {first, second}


def test_it_ignores_cancelled_and_other_times_when_looking_for_clashes(client, staff):
    MeetingFactory(venue="Aula A", start=aware(local(hour=12)), end=aware(local(hour=14)))
    MeetingFactory(venue="Aula A", start=aware(local(hour=9)), end=aware(local(hour=11)), status="cancelled")
    client.force_login(staff)
    response = client.post(reverse("meetings:create"), meeting_data(venue="Aula A"))
    assert response.status_code == 302


def test_it_warns_on_edit_when_invitees_already_have_a_meeting_then(client, staff, invitation_a, officer_a):
    meeting = invitation_a.meeting
    other = MeetingFactory(
        title="Musyawarah Kelurahan",
        venue="Kantor Lurah",
        start=meeting.start + datetime.timedelta(days=1),
        end=meeting.end + datetime.timedelta(days=1),
    )
    InvitationFactory(meeting=other, person=officer_a.person)
    client.force_login(staff)
    moved = {
        "start": timezone.localtime(other.start, WITA).strftime("%Y-%m-%dT%H:%M"),
        "end": timezone.localtime(other.end, WITA).strftime("%Y-%m-%dT%H:%M"),
    }
    response = client.post(reverse("meetings:edit", args=[meeting.pk]), edit_data(meeting, **moved))
    assert response.status_code == 200
    assert response.context["conflicts"]["people"] == [other]
    meeting.refresh_from_db()
    assert meeting.sequence == 0

    response = client.post(
        reverse("meetings:edit", args=[meeting.pk]), edit_data(meeting, **moved, confirmed_conflicts=str(other.pk))
    )
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.start == other.start and meeting.sequence == 1


# --- edit ---------------------------------------------------------------------------------------


def edit_data(meeting, **overrides):
    items = list(meeting.agenda_items.all())
    data = {
        "kind": meeting.kind,
        "title": meeting.title,
        "start": timezone.localtime(meeting.start, WITA).strftime("%Y-%m-%dT%H:%M"),
        "end": timezone.localtime(meeting.end, WITA).strftime("%Y-%m-%dT%H:%M"),
        "venue": meeting.venue,
        "online_url": meeting.online_url,
        "description": meeting.description,
        "agenda-TOTAL_FORMS": str(len(items) + 1),
        "agenda-INITIAL_FORMS": str(len(items)),
        "agenda-MIN_NUM_FORMS": "0",
        "agenda-MAX_NUM_FORMS": "50",
    }
    for index, item in enumerate(items):
        data.update(
            {
                f"agenda-{index}-title": item.title,
                f"agenda-{index}-presenter": item.presenter,
                f"agenda-{index}-ORDER": str(index + 1),
            }
        )
    data.update(overrides)
    return data


def test_the_edit_form_shows_the_meeting_in_wita(client, staff, meeting):
    AgendaItem.objects.create(meeting=meeting, order=0, title="Pembukaan")
    client.force_login(staff)
    body = client.get(reverse("meetings:edit", args=[meeting.pk])).content.decode()
    assert f'value="{timezone.localtime(meeting.start, WITA):%Y-%m-%dT%H:%M}"' in body
    assert 'value="Pembukaan"' in body


def test_it_edits_the_title_without_raising_the_sequence(client, staff, meeting):
    client.force_login(staff)
    response = client.post(reverse("meetings:edit", args=[meeting.pk]), edit_data(meeting, title="Rakor Akhir Tahun"))
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.title == "Rakor Akhir Tahun"
    assert meeting.sequence == 0
    assert not MeetingChange.objects.exists()


def test_it_records_who_moved_the_meeting_and_raises_the_sequence(client, staff, meeting):
    client.force_login(staff)
    later = timezone.localtime(meeting.start, WITA) + datetime.timedelta(hours=1)
    data = edit_data(
        meeting,
        start=later.strftime("%Y-%m-%dT%H:%M"),
        venue="Ruang Rapat Walikota",
        online_url="https://meet.example.org/rakor",
    )
    response = client.post(reverse("meetings:edit", args=[meeting.pk]), data)
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.sequence == 1
    change = meeting.changes.get()
    assert change.changed_by == staff
    assert set(change.changes) == {"start", "venue", "online_url"}

    page = client.get(reverse("meetings:detail", args=[meeting.pk])).content.decode()
    assert "Riwayat perubahan" in page and "staf@example.org" in page
    assert "Ruang Rapat Walikota" in page and "pukul 10.00 WITA" in page


def test_it_replaces_the_agenda_on_edit(client, staff, meeting):
    AgendaItem.objects.create(meeting=meeting, order=0, title="Pembukaan")
    AgendaItem.objects.create(meeting=meeting, order=1, title="Diskusi")
    client.force_login(staff)
    data = edit_data(meeting, **{"agenda-0-DELETE": "on", "agenda-2-title": "Penutup"})
    client.post(reverse("meetings:edit", args=[meeting.pk]), data)
    assert [a.title for a in meeting.agenda_items.all()] == ["Diskusi", "Penutup"]


def test_it_allows_keeping_a_past_start_when_editing(client, staff):
    meeting = MeetingFactory(
        organiser=staff,
        start=timezone.now() - datetime.timedelta(hours=1),
        end=timezone.now() + datetime.timedelta(hours=1),
    )
    client.force_login(staff)
    response = client.post(reverse("meetings:edit", args=[meeting.pk]), edit_data(meeting, title="Ganti judul"))
    assert response.status_code == 302


def test_it_refuses_a_bad_edit_and_changes_nothing(client, staff, meeting):
    client.force_login(staff)
    start = timezone.localtime(meeting.start, WITA)
    response = client.post(
        reverse("meetings:edit", args=[meeting.pk]),
        edit_data(meeting, title="Baru", end=(start - datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")),
    )
    assert field_errors(response, "end") == ["Waktu selesai harus sesudah waktu mulai."]
    meeting.refresh_from_db()
    assert meeting.title == "Rakor LPM Triwulan IV" and meeting.sequence == 0


@pytest.mark.parametrize("status", [Meeting.Status.CANCELLED, Meeting.Status.HELD])
@pytest.mark.parametrize("name", ["edit", "cancel", "invite", "guest_add"])
def test_it_refuses_to_change_a_cancelled_or_held_meeting(client, staff, status, name):
    meeting = MeetingFactory(organiser=staff, status=status, title="Rapat lama")
    client.force_login(staff)
    response = client.post(
        reverse(f"meetings:{name}", args=[meeting.pk]),
        edit_data(meeting, title="Baru", reason="x", name="Camat"),
        follow=True,
    )
    assert "tidak dapat diubah" in response.content.decode()
    meeting.refresh_from_db()
    assert meeting.title == "Rapat lama" and meeting.status == status
    assert not meeting.invitations.exists()


# --- cancel, held -------------------------------------------------------------------------------


def test_it_asks_for_a_reason_before_cancelling(client, staff, meeting):
    client.force_login(staff)
    page = client.get(reverse("meetings:cancel", args=[meeting.pk])).content.decode()
    assert 'for="id_reason"' in page and "Ya, batalkan rapat" in page
    response = client.post(reverse("meetings:cancel", args=[meeting.pk]), {"reason": "   "})
    assert field_errors(response, "reason") == ["Tuliskan alasan pembatalan."]
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.SCHEDULED


def test_it_cancels_with_a_reason(client, staff, meeting):
    client.force_login(staff)
    response = client.post(reverse("meetings:cancel", args=[meeting.pk]), {"reason": "Bertepatan dengan banjir."})
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.CANCELLED and meeting.cancel_reason == "Bertepatan dengan banjir."
    assert meeting.sequence == 1
    assert meeting.changes.get().changed_by == staff
    page = client.get(reverse("meetings:detail", args=[meeting.pk])).content.decode()
    assert "Dibatalkan" in page and "Bertepatan dengan banjir." in page


def test_it_refuses_to_mark_held_before_the_start(client, staff, meeting):
    client.force_login(staff)
    assert "belum dimulai" in client.get(reverse("meetings:mark_held", args=[meeting.pk])).content.decode()
    response = client.post(reverse("meetings:mark_held", args=[meeting.pk]))
    assert response.status_code == 400
    assert "belum dimulai" in response.content.decode()
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.SCHEDULED


def test_it_marks_a_started_meeting_held(client, staff):
    meeting = MeetingFactory(
        start=timezone.now() - datetime.timedelta(hours=2), end=timezone.now() + datetime.timedelta(hours=1)
    )
    client.force_login(staff)
    assert "Tandai terlaksana" in client.get(reverse("meetings:detail", args=[meeting.pk])).content.decode()
    response = client.post(reverse("meetings:mark_held", args=[meeting.pk]))
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.HELD
    page = client.get(reverse("meetings:detail", args=[meeting.pk])).content.decode()
    assert reverse("meetings:edit", args=[meeting.pk]) not in page


# --- copy ----------------------------------------------------------------------------------------


def test_it_copies_a_meeting_to_a_new_date(client, staff, invitation_a, board_a):
    meeting = invitation_a.meeting
    AgendaItem.objects.create(meeting=meeting, order=0, title="Pembukaan", presenter="Kadis")
    services.invitation_add_guest(
        meeting=meeting, name="Camat Balikpapan Timur", email="camat@example.org", position="Camat"
    )
    services.invitations_add_scope(meeting=meeting, reach="boards", positions="ketua", boards=[board_a])
    client.force_login(staff)
    response = client.post(
        reverse("meetings:copy", args=[meeting.pk]), {"start": local(days=30, hour=13), "end": local(days=30, hour=15)}
    )
    copy = Meeting.objects.exclude(pk=meeting.pk).get()
    assert response.status_code == 302
    assert response["Location"] == reverse("meetings:detail", args=[copy.pk])
    assert (copy.title, copy.venue, copy.kind) == (meeting.title, meeting.venue, meeting.kind)
    assert copy.start == aware(local(days=30, hour=13))
    assert [a.title for a in copy.agenda_items.all()] == ["Pembukaan"]
    assert set(copy.invitations.values_list("name", flat=True)) == {"Siti Aminah", "Camat Balikpapan Timur"}
    assert copy.scopes.count() == 1
    assert copy.uid != meeting.uid and copy.sequence == 0


def test_it_copies_a_cancelled_meeting(client, staff):
    meeting = MeetingFactory(status=Meeting.Status.CANCELLED, venue="Aula B")
    client.force_login(staff)
    response = client.post(
        reverse("meetings:copy", args=[meeting.pk]), {"start": local(days=30, hour=9), "end": local(days=30, hour=11)}
    )
    assert response.status_code == 302
    assert Meeting.objects.exclude(pk=meeting.pk).get().status == Meeting.Status.SCHEDULED


def test_it_refuses_a_copy_in_the_past(client, staff, meeting):
    client.force_login(staff)
    response = client.post(
        reverse("meetings:copy", args=[meeting.pk]), {"start": local(days=-2, hour=9), "end": local(days=-2, hour=11)}
    )
    assert field_errors(response, "start") == ["Waktu mulai sudah lewat; pilih waktu yang akan datang."]
    assert Meeting.objects.count() == 1


def test_it_warns_when_a_copy_clashes_with_the_venue(client, staff, meeting):
    other = MeetingFactory(
        venue=meeting.venue, start=aware(local(days=30, hour=10)), end=aware(local(days=30, hour=12))
    )
    client.force_login(staff)
    data = {"start": local(days=30, hour=9), "end": local(days=30, hour=11)}
    response = client.post(reverse("meetings:copy", args=[meeting.pk]), data)
    assert response.context["conflicts"]["venue"] == [other]
    assert Meeting.objects.count() == 2
    response = client.post(reverse("meetings:copy", args=[meeting.pk]), {**data, "confirmed_conflicts": other.pk})
    assert response.status_code == 302 and Meeting.objects.count() == 3


# --- staff list ----------------------------------------------------------------------------------


def test_it_lists_meetings_with_filters(client, staff, world):
    rakor = MeetingFactory(title="Rakor Kecamatan A", kind="rakor")
    InvitationFactory(meeting=rakor, board=world["board_a"])
    monev = MeetingFactory(title="Monev Kecamatan B", kind="monev")
    InvitationFactory(meeting=monev, board=world["forum_b"])
    cancelled = MeetingFactory(
        title="Sosialisasi batal",
        kind="sosialisasi",
        status="cancelled",
        start=timezone.now() + datetime.timedelta(days=40),
        end=timezone.now() + datetime.timedelta(days=40, hours=2),
    )
    client.force_login(staff)
    url = reverse("meetings:list")

    def titles(**params):
        return {m.title for m in client.get(url, params).context["page_obj"]}

    assert titles() == {"Rakor Kecamatan A", "Monev Kecamatan B", "Sosialisasi batal"}
    assert titles(kind="monev") == {"Monev Kecamatan B"}
    assert titles(kecamatan=world["kec_a"].pk) == {"Rakor Kecamatan A"}
    assert titles(kecamatan=world["kec_b"].pk) == {"Monev Kecamatan B"}
    assert titles(status="cancelled") == {"Sosialisasi batal"}
    day = timezone.localtime(cancelled.start).date()
    assert titles(date_from=day.isoformat()) == {"Sosialisasi batal"}
    assert titles(date_to=(day - datetime.timedelta(days=1)).isoformat()) == {"Rakor Kecamatan A", "Monev Kecamatan B"}


def test_it_counts_a_meeting_once_in_the_kecamatan_filter(client, staff, world):
    meeting = MeetingFactory()
    for board in (world["board_a"], world["board_a2"], world["forum_a"]):
        InvitationFactory(meeting=meeting, board=board)
    client.force_login(staff)
    response = client.get(reverse("meetings:list"), {"kecamatan": world["kec_a"].pk})
    assert list(response.context["page_obj"]) == [meeting]
    assert response.context["page_obj"][0].invitation_count == 3


def test_it_explains_a_bad_date_range(client, staff):
    client.force_login(staff)
    response = client.get(reverse("meetings:list"), {"date_from": "2025-12-01", "date_to": "2025-11-01"})
    assert "Tanggal akhir harus sama dengan atau sesudah tanggal awal." in response.content.decode()


def test_it_paginates_the_list_and_keeps_the_filters(client, staff):
    for _ in range(25):
        MeetingFactory(kind="rakor")
    client.force_login(staff)
    response = client.get(reverse("meetings:list"), {"kind": "rakor"})
    assert len(response.context["page_obj"]) == 20
    assert "?kind=rakor&amp;page=2" in response.content.decode()
    assert len(client.get(reverse("meetings:list"), {"kind": "rakor", "page": 2}).context["page_obj"]) == 5


def _grow_meetings(size, board):
    for _ in range(size):
        meeting = MeetingFactory()
        for _ in range(3):
            InvitationFactory(meeting=meeting, board=board)


@pytest.mark.parametrize("size", [2, 12])
def test_list_query_count_does_not_grow_with_meetings(client, staff, board_a, size, django_assert_num_queries):
    """Prevents an N+1 on invitation counts when listing meetings."""
    _grow_meetings(size, board_a)
    client.force_login(staff)
    # session, user, staff group, user's memberships, the chosen kecamatan (form check), count,
    # page of meetings with their counts, kecamatan choices (rendering the filter), unread-notices count
    with django_assert_num_queries(9):
        response = client.get(reverse("meetings:list"), {"kecamatan": board_a.region.parent_id})
    assert response.status_code == 200
    assert len(response.context["page_obj"]) == size


# --- detail --------------------------------------------------------------------------------------


def _grow_meeting(meeting, size, staff):
    for index in range(size):
        InvitationFactory(meeting=meeting)
        AgendaItem.objects.create(meeting=meeting, order=index, title=f"Acara {index}")
        Material.objects.create(
            meeting=meeting,
            title=f"Bahan {index}",
            file=f"meetings/x/{index}.pdf",
            content_type="application/pdf",
            size=10,
        )
        MeetingChange.objects.create(
            meeting=meeting, changed_by=staff, sequence=index + 1, changes={"venue": ["A", "B"]}
        )


def _queries(client, url):
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


@pytest.mark.parametrize("who", ["staff", "officer_a"])
def test_detail_query_count_does_not_grow_with_invitees_agenda_or_materials(
    client, request, meeting, invitation_a, who
):
    """Prevents N+1s on agenda items, materials, change authors and invitation counts."""
    user = request.getfixturevalue(who)
    client.force_login(user)
    client.get(reverse("meetings:notifications"))  # the first page caches the user's facts and unread count
    url = reverse("meetings:detail", args=[meeting.pk])
    _grow_meeting(meeting, 2, user)
    small = _queries(client, url)
    _grow_meeting(meeting, 20, user)
    # This page's own: session, user, staff group, user's memberships, meeting, agenda, materials, changes
    # with their authors, the user's invitation; staff also scopes (3) and counts, an officer the invited check.
    # The included RSVP and after-meeting blocks add their own fixed queries.
    assert _queries(client, url) == small


def test_detail_shows_everything_staff_needs(client, staff, meeting, invitation_a):
    AgendaItem.objects.create(meeting=meeting, order=0, title="Pembukaan", presenter="Kadis", duration_minutes=10)
    meeting.online_url = "https://meet.example.org/rakor"
    meeting.description = "Membahas usulan program."
    meeting.save()
    client.force_login(staff)
    response = client.get(reverse("meetings:detail", args=[meeting.pk]))
    body = response.content.decode()
    assert response.context["can_manage"] is True and response.context["my_invitation"] is None
    assert response.context["counts"].total == 1 and response.context["counts"].pending == 1
    for text in [
        "Rakor LPM Triwulan IV",
        "Rapat Koordinasi",
        "Terjadwal",
        "WITA",
        "Aula DP3AKB Kota Balikpapan",
        "https://meet.example.org/rakor",
        "Membahas usulan program.",
        "Pembukaan",
        "Kadis",
    ]:
        assert text in body, text
    for name in ["invite", "edit", "copy", "cancel", "material_add"]:
        assert reverse(f"meetings:{name}", args=[meeting.pk]) in body, name
    assert reverse("meetings:mark_held", args=[meeting.pk]) not in body  # not started yet


def test_detail_escapes_what_staff_typed(client, staff):
    meeting = MeetingFactory(title="<script>alert(1)</script>", description="<b>tebal</b>")
    client.force_login(staff)
    body = client.get(reverse("meetings:detail", args=[meeting.pk])).content.decode()
    assert "<script>alert(1)</script>" not in body and "&lt;script&gt;" in body
    assert "<b>tebal</b>" not in body


# --- materials -----------------------------------------------------------------------------------


def test_it_uploads_materials_with_the_meeting(client, staff):
    client.force_login(staff)
    data = meeting_data(materials=[SimpleUploadedFile("Jadwal Rakor.pdf", PDF_BYTES, "application/pdf")])
    response = client.post(reverse("meetings:create"), data)
    assert response.status_code == 302
    material = Material.objects.get()
    assert material.content_type == "application/pdf" and material.size == len(PDF_BYTES)
    assert material.uploaded_by == staff
    assert material.file.name.endswith("/Jadwal_Rakor.pdf")


def test_it_refuses_a_renamed_executable_and_saves_no_meeting(client, staff):
    client.force_login(staff)
    data = meeting_data(materials=[SimpleUploadedFile("bahan.pdf", EXE_BYTES, "application/pdf")])
    response = client.post(reverse("meetings:create"), data)
    assert response.status_code == 200
    assert any("Jenis berkas tidak diterima" in e for e in field_errors(response, "materials"))
    assert not Meeting.objects.exists() and not Material.objects.exists()


def test_it_adds_a_material_to_a_meeting(client, staff, meeting):
    client.force_login(staff)
    upload = SimpleUploadedFile("notula.pdf", PDF_BYTES, "application/pdf")
    response = client.post(
        reverse("meetings:material_add", args=[meeting.pk]), {"file": upload, "title": "Bahan paparan"}
    )
    assert response.status_code == 302
    assert meeting.materials.get().title == "Bahan paparan"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("program.pdf", EXE_BYTES, "Jenis berkas tidak diterima"),
        ("besar.pdf", b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024), "Berkas terlalu besar"),
        ("kosong.pdf", b"", "kosong"),
    ],
)
def test_it_refuses_a_bad_material(client, staff, meeting, name, content, message):
    client.force_login(staff)
    upload = SimpleUploadedFile(name, content, "application/pdf")
    response = client.post(reverse("meetings:material_add", args=[meeting.pk]), {"file": upload})
    assert response.status_code == 200
    assert any(message in e for e in field_errors(response, "file")), response.context["form"].errors
    assert not Material.objects.exists()


def test_invitees_download_materials_and_others_get_404(client, staff, meeting, invitation_a, officer_a, officer_b):
    material = services.material_add(
        meeting=meeting,
        by=staff,
        title="Paparan",
        upload=SimpleUploadedFile("paparan.pdf", PDF_BYTES, "application/pdf"),
    )
    url = reverse("meetings:material_download", args=[meeting.pk, material.pk])
    assert client.get(url).status_code == 302  # anonymous: to login

    client.force_login(officer_a)
    assert url in client.get(reverse("meetings:detail", args=[meeting.pk])).content.decode()
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"

    client.force_login(officer_b)
    assert client.get(url).status_code == 404

    other = MeetingFactory()
    client.force_login(staff)
    assert client.get(reverse("meetings:material_download", args=[other.pk, material.pk])).status_code == 404
    assert client.get(url).status_code == 200


def test_it_keeps_materials_out_of_public_urls(staff, meeting, settings):
    material = services.material_add(
        meeting=meeting, by=staff, upload=SimpleUploadedFile("a.pdf", PDF_BYTES, "application/pdf")
    )
    assert material.file.name.startswith("meetings/")
    assert material.file.path.startswith(settings.MEDIA_ROOT)


# --- navigation ----------------------------------------------------------------------------------


def test_navigation_links_meetings(client, staff, officer_a):
    client.force_login(officer_a)
    body = client.get(reverse("home")).content.decode()
    assert reverse("meetings:agenda") in body and reverse("meetings:list") not in body
    client.force_login(staff)
    body = client.get(reverse("home")).content.decode()
    assert reverse("meetings:list") in body
