"""Scheduling services: the rules of time and place, changes and their log, copy, conflicts, materials."""

import datetime
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from meetings import selectors, services
from meetings.models import Invitation, Material, Meeting, MeetingChange
from tests.factories import InvitationFactory, MeetingFactory, PersonFactory

PDF_BYTES = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << >> endobj\n%%EOF\n"


def soon(days=7, hours=0):
    return (timezone.now() + datetime.timedelta(days=days, hours=hours)).replace(second=0, microsecond=0)


def create(staff, **fields):
    values = {"kind": "rakor", "title": "Rakor LPM", "start": soon(), "end": soon(hours=3), "venue": "Aula A"}
    values.update(fields)
    return services.meeting_create(by=staff, **values)


# --- meeting_validate --------------------------------------------------------------------------


def test_it_accepts_a_good_meeting():
    assert services.meeting_validate(start=soon(), end=soon(hours=2), is_new=True, venue="Aula", online_url="") == {}


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"start": soon(hours=2), "end": soon()}, "end"),
        ({"start": soon(), "end": soon()}, "end"),
        ({"start": soon(), "end": soon(days=8, hours=1)}, "end"),
        ({"start": soon(days=-1), "end": soon(days=-1, hours=1)}, "start"),
        ({"start": soon(), "end": soon(hours=1), "online_url": "javascript:alert(1)"}, "online_url"),
        ({"start": soon(), "end": soon(hours=1), "online_url": "ftp://example.org/a"}, "online_url"),
        ({"start": soon(), "end": soon(hours=1), "venue": " ", "online_url": ""}, "venue"),
    ],
)
def test_it_names_the_field_of_each_broken_rule(kwargs, field):
    assert set(services.meeting_validate(is_new=True, **kwargs)) == {field}


def test_a_past_start_is_fine_for_an_existing_meeting():
    assert services.meeting_validate(start=soon(days=-1), end=soon(days=-1, hours=1), is_new=False) == {}


def test_exactly_one_day_is_allowed():
    assert services.meeting_validate(start=soon(), end=soon(days=8), is_new=True) == {}


# --- create ------------------------------------------------------------------------------------


def test_it_creates_with_an_ordered_agenda(staff):
    meeting = create(staff, agenda=[{"title": "Pembukaan"}, {"title": ""}, {"title": "Penutup", "presenter": "Camat"}])
    assert [(a.order, a.title) for a in meeting.agenda_items.all()] == [(0, "Pembukaan"), (2, "Penutup")]
    assert meeting.organiser == staff and meeting.sequence == 0


@pytest.mark.parametrize("url", ["javascript:alert(1)", "ftp://example.org/bahan"])
def test_the_service_refuses_links_that_are_not_web_links(staff, url):
    with pytest.raises(ValidationError) as error:
        create(staff, online_url=url)
    assert "online_url" in error.value.error_dict
    assert not Meeting.objects.exists()


def test_the_service_needs_a_venue_or_a_link(staff):
    with pytest.raises(ValidationError) as error:
        create(staff, venue="")
    assert "venue" in error.value.error_dict


def test_it_saves_nothing_when_the_agenda_cannot_be_saved(staff, monkeypatch):
    monkeypatch.setattr(services, "agenda_replace", lambda **kwargs: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        create(staff)
    assert not Meeting.objects.exists()


# --- update: the sequence and the change log -----------------------------------------------------


@pytest.mark.parametrize(
    ("change", "grows"),
    [
        ({"title": "Judul baru"}, False),
        ({"description": "Keterangan baru"}, False),
        ({"kind": "monev"}, False),
        ({"venue": "Aula B"}, True),
        ({"online_url": "https://meet.example.org/x"}, True),
        # Moved relative to the meeting itself, so that the result does not depend on the time of day.
        ({"start": lambda m: m.start + datetime.timedelta(minutes=30)}, True),
        ({"end": lambda m: m.end + datetime.timedelta(hours=1)}, True),
    ],
)
def test_only_what_invitees_must_hear_about_raises_the_sequence(staff, meeting, change, grows):
    change = {name: value(meeting) if callable(value) else value for name, value in change.items()}
    updated = services.meeting_update(meeting=meeting, by=staff, **change)
    assert updated.sequence == (1 if grows else 0)
    assert MeetingChange.objects.filter(meeting=meeting).exists() is grows


def test_saving_unchanged_values_raises_nothing(staff, meeting):
    services.meeting_update(
        meeting=meeting,
        by=staff,
        start=meeting.start,
        end=meeting.end,
        venue=meeting.venue,
        online_url=meeting.online_url,
        title=meeting.title,
    )
    meeting.refresh_from_db()
    assert meeting.sequence == 0


def test_the_change_log_records_who_what_and_the_sequence(staff, admin_user, meeting):
    services.meeting_update(meeting=meeting, by=staff, venue="Aula B", title="Tidak dicatat")
    services.meeting_update(meeting=meeting, by=admin_user, start=meeting.start + datetime.timedelta(hours=1))
    first, second = MeetingChange.objects.filter(meeting=meeting).order_by("sequence")
    assert (first.changed_by, first.sequence, first.changes) == (
        staff,
        1,
        {"venue": ["Aula DP3AKB Kota Balikpapan", "Aula B"]},
    )
    assert (second.changed_by, second.sequence, list(second.changes)) == (admin_user, 2, ["start"])
    lines = selectors.change_lines(second)
    assert lines[0].label == "Mulai" and lines[0].new.endswith("pukul 10.00 WITA")


def test_a_cancelled_or_held_meeting_cannot_be_changed(staff):
    for status in (Meeting.Status.CANCELLED, Meeting.Status.HELD):
        meeting = MeetingFactory(status=status)
        with pytest.raises(ValidationError):
            services.meeting_update(meeting=meeting, by=staff, title="Baru")


def test_cancel_raises_the_sequence_and_logs_the_reason(staff, meeting):
    services.meeting_cancel(meeting=meeting, by=staff, reason="  Hujan deras  ")
    meeting.refresh_from_db()
    assert (meeting.status, meeting.cancel_reason, meeting.sequence) == ("cancelled", "Hujan deras", 1)
    assert meeting.changes.get().note == "Hujan deras"
    with pytest.raises(ValidationError):
        services.meeting_cancel(meeting=meeting, by=staff, reason="lagi")


def test_held_only_after_the_start(staff, meeting):
    with pytest.raises(ValidationError):
        services.meeting_mark_held(meeting=meeting, by=staff)
    services.meeting_mark_held(meeting=meeting, by=staff, now=meeting.start + datetime.timedelta(minutes=1))
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.HELD
    assert selectors.meeting_actions(meeting).can_change is False


# --- copy --------------------------------------------------------------------------------------------


def test_copy_keeps_agenda_scopes_guests_and_venue(staff, meeting, officer_a, board_a, world):
    services.agenda_replace(meeting=meeting, items=[{"title": "Pembukaan"}, {"title": "Diskusi"}])
    services.invitations_add_scope(meeting=meeting, reach="kecamatan", positions="ketua", kecamatan=[world["kec_a"]])
    services.invitation_add_guest(meeting=meeting, name="Lurah A1", email="lurah@example.org", position="Lurah")
    copy = services.meeting_copy(meeting=meeting, by=staff, start=soon(days=30), end=soon(days=30, hours=2))
    assert [a.title for a in copy.agenda_items.all()] == ["Pembukaan", "Diskusi"]
    assert copy.venue == meeting.venue and copy.online_url == meeting.online_url
    scope = copy.scopes.get()
    assert (scope.reach, scope.positions, list(scope.kecamatan.all())) == ("kecamatan", "ketua", [world["kec_a"]])
    assert sorted(copy.invitations.values_list("name", flat=True)) == ["Lurah A1", "Siti Aminah"]
    assert copy.invitations.get(is_guest=True).position == "Lurah"
    assert all(i.rsvp == Invitation.Rsvp.PENDING for i in copy.invitations.all())


def test_copy_needs_a_future_date(staff, meeting):
    with pytest.raises(ValidationError):
        services.meeting_copy(meeting=meeting, by=staff, start=soon(days=-3), end=soon(days=-3, hours=1))
    assert Meeting.objects.count() == 1


# --- guests ------------------------------------------------------------------------------------------


def test_a_guest_is_invited_once_per_email(meeting):
    first = services.invitation_add_guest(
        meeting=meeting,
        name="  Camat   Timur ",
        email="Camat@Example.org",
        position="Camat",
        board_name="Kecamatan Balikpapan Timur",
    )
    again = services.invitation_add_guest(meeting=meeting, name="Camat Timur", email="camat@example.org")
    assert first.pk == again.pk
    assert (first.name, first.email, first.is_guest, first.person) == ("Camat Timur", "camat@example.org", True, None)
    assert meeting.invitations.count() == 1


def test_guests_without_email_are_allowed(meeting):
    services.invitation_add_guest(meeting=meeting, name="Lurah Manggar", email="")
    services.invitation_add_guest(meeting=meeting, name="Lurah Lamaru", email="")
    assert meeting.invitations.filter(is_guest=True).count() == 2


def test_a_guest_needs_a_name_and_an_open_meeting(meeting):
    with pytest.raises(ValidationError):
        services.invitation_add_guest(meeting=meeting, name="  ", email="a@example.org")
    meeting.status = Meeting.Status.CANCELLED
    meeting.save()
    with pytest.raises(ValidationError):
        services.invitation_add_guest(meeting=meeting, name="Camat", email="a@example.org")
    assert not meeting.invitations.exists()


# --- conflicts ----------------------------------------------------------------------------------------


def test_conflicts_find_people_already_invited_at_that_time(meeting, officer_a):
    InvitationFactory(meeting=meeting, person=officer_a.person)
    found = selectors.invitees_conflicts(
        start=meeting.start + datetime.timedelta(hours=2),
        end=meeting.end + datetime.timedelta(hours=2),
        person_ids=[officer_a.person.pk, PersonFactory().pk],
    )
    assert found == {"people": [meeting], "venue": []}


def test_touching_meetings_do_not_clash(meeting, officer_a):
    InvitationFactory(meeting=meeting, person=officer_a.person)
    found = selectors.invitees_conflicts(
        start=meeting.end,
        end=meeting.end + datetime.timedelta(hours=1),
        person_ids=[officer_a.person.pk],
        venue=meeting.venue,
    )
    assert found == {"people": [], "venue": []}


def test_conflicts_find_the_venue_ignoring_case_and_spaces(meeting):
    found = selectors.invitees_conflicts(
        start=meeting.start, end=meeting.end, person_ids=[], venue="  aula dp3akb   KOTA balikpapan "
    )
    assert found["venue"] == [meeting]


def test_conflicts_skip_cancelled_meetings_and_the_meeting_itself(meeting, officer_a):
    InvitationFactory(meeting=meeting, person=officer_a.person)
    kwargs = {"start": meeting.start, "end": meeting.end, "person_ids": [officer_a.person.pk], "venue": meeting.venue}
    assert selectors.invitees_conflicts(exclude_meeting=meeting, **kwargs) == {"people": [], "venue": []}
    meeting.status = Meeting.Status.CANCELLED
    meeting.save()
    assert selectors.invitees_conflicts(**kwargs) == {"people": [], "venue": []}


# --- materials ----------------------------------------------------------------------------------------


def test_a_pdf_is_stored_privately_with_its_checked_type(staff, meeting):
    upload = SimpleUploadedFile("../../etc/Bahan Rakor.exe.pdf", PDF_BYTES, content_type="text/html")
    material = services.material_add(meeting=meeting, upload=upload, by=staff)
    assert material.content_type == "application/pdf"
    assert material.title == "Bahan Rakor.exe"
    assert material.file.name.startswith("meetings/") and material.file.name.endswith("/Bahan_Rakor.exe.pdf")
    with material.file.open("rb") as handle:
        assert handle.read() == PDF_BYTES


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("bahan.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64),
        ("bahan.pdf", b"<html><script>alert(1)</script></html>"),
        ("besar.pdf", b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024)),
    ],
)
def test_bad_files_are_refused_and_nothing_is_stored(staff, meeting, name, content, settings):
    with pytest.raises(ValidationError) as error:
        services.material_add(meeting=meeting, upload=SimpleUploadedFile(name, content), by=staff)
    assert "file" in error.value.error_dict
    assert not Material.objects.exists()
    assert not [path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()]


def test_no_materials_on_a_cancelled_meeting(staff):
    meeting = MeetingFactory(status=Meeting.Status.CANCELLED)
    with pytest.raises(ValidationError):
        services.material_add(meeting=meeting, upload=SimpleUploadedFile("a.pdf", PDF_BYTES), by=staff)
