"""Printed documents: invitation letter, attendance sheet and minutes as PDF.

The text is read back out of the PDF (pypdf) to check what a reader would see:
Indonesian dates in WITA whatever the UI language, the invitees, and user text
printed as text, never interpreted.
"""

import datetime
import io
import re
import shutil
import subprocess

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from meetings import pdf, services
from meetings.models import Invitation, Meeting
from portal.lib.formats import date_long
from tests.factories import InvitationFactory, MeetingFactory

DAYS = ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"]


def pdf_text(content: bytes) -> str:
    """The PDF's text with whitespace collapsed (line breaks inside table cells vary)."""
    try:
        from pypdf import PdfReader
    except ImportError:
        if not shutil.which("pdftotext"):
            pytest.fail("Reading PDFs back needs pypdf (requirements) or pdftotext (poppler-utils).")
        text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=content, capture_output=True,
                              check=True).stdout.decode()
    else:
        text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    return " ".join(text.split())


def page_count(content: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(content)).pages)


def url(name, meeting):
    return reverse(f"meetings:{name}", args=[meeting.pk])


def assert_pdf(response, prefix):
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF") and len(response.content) > 1000
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert re.search(rf'filename="{prefix}-[a-z0-9-]+-\d{{4}}-\d{{2}}-\d{{2}}\.pdf"', disposition), disposition
    assert "private" in response["Cache-Control"]
    return pdf_text(response.content)


def next_thursday_9am():
    today = timezone.localdate()
    days = (3 - today.weekday()) % 7 or 7
    day = today + datetime.timedelta(days=days + 7)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(9, 0)))


@pytest.fixture
def rakor(staff, officer_a, board_a):
    """A Rakor on a Thursday at 09.00 WITA, with an agenda and three invitees (one named with HTML)."""
    start = next_thursday_9am()
    meeting = MeetingFactory(organiser=staff, title="Rakor LPM Triwulan IV", start=start,
                             end=start + datetime.timedelta(hours=3), venue="Aula DP3AKB")
    services.agenda_replace(meeting=meeting, items=[
        {"title": "Pembukaan", "presenter": ""},
        {"title": "Evaluasi program ketahanan keluarga", "presenter": "Bidang KB"},
    ])
    InvitationFactory(meeting=meeting, person=officer_a.person, board=board_a, board_name=board_a.name,
                      kecamatan_name="Kecamatan A", position="Ketua")
    InvitationFactory(meeting=meeting, name="<script>alert(1)</script>", board_name="LPM Kelurahan A2",
                      position="Anggota")
    InvitationFactory(meeting=meeting, name="Dewi Lestari", rsvp=Invitation.Rsvp.DELEGATED,
                      delegate_name="Rina Marlina", board_name="LPM Kelurahan B1", position="Sekretaris")
    return meeting


def held(meeting, staff, board_a):
    now = timezone.now()
    Meeting.objects.filter(pk=meeting.pk).update(start=now - datetime.timedelta(hours=3),
                                                 end=now - datetime.timedelta(hours=1))
    meeting.refresh_from_db()
    services.minutes_save(meeting=meeting, by=staff, summary="Peserta sepakat memperbarui data pengurus.",
                          decisions="Data dikirim sebelum akhir bulan.\nForum kecamatan memverifikasi.")
    services.follow_up_add(meeting=meeting, description="Kirim data pengurus", board=board_a,
                           due_date=timezone.localdate() + datetime.timedelta(days=10))
    services.attendance_mark(meeting=meeting, invitation_ids=meeting.invitations.values_list("pk", flat=True),
                             status=Invitation.Attendance.PRESENT)
    return meeting


# --- the invitation letter ----------------------------------------------------------------------------------------


def test_staff_download_the_invitation_letter(client, staff, rakor):
    client.force_login(staff)
    text = assert_pdf(client.get(url("pdf_invitation", rakor)), "undangan")
    for expected in [
        "PEMERINTAH KOTA BALIKPAPAN",
        "DINAS PEMBERDAYAAN PEREMPUAN, PERLINDUNGAN ANAK, DAN KELUARGA BERENCANA",
        "Nomor", "Sifat", "Lampiran", "Hal", "Undangan Rapat Koordinasi", "Yth.",
        "hari/tanggal", "pukul", "tempat", "acara", "Aula DP3AKB",
        "Pembukaan", "Evaluasi program ketahanan keluarga",
        "Kepala Dinas", "NIP", "DAFTAR UNDANGAN", "Siti Aminah", "Dewi Lestari", "LPM Kelurahan B1",
    ]:
        assert expected in text, expected
    with translation.override("id"):
        day = date_long(rakor.start)
    assert day.startswith("Kamis, ") and day in text
    assert "09.00–12.00 WITA" in text
    # A name with HTML in it is printed as text.
    assert "<script>alert(1)</script>" in text


def test_the_letter_is_in_indonesian_for_an_english_speaking_user(client, staff, rakor):
    client.force_login(staff)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    text = pdf_text(client.get(url("pdf_invitation", rakor)).content)
    assert "Kamis, " in text and "Thursday" not in text
    assert "Undangan Rapat Koordinasi" in text and "Coordination" not in text


def test_an_invitee_downloads_their_letter_and_an_outsider_gets_404(client, officer_a, officer_b, rakor):
    client.force_login(officer_a)
    assert_pdf(client.get(url("pdf_invitation", rakor)), "undangan")
    client.force_login(officer_b)
    assert client.get(url("pdf_invitation", rakor)).status_code == 404


def test_a_cancelled_meeting_letter_says_so(client, staff, rakor):
    services.meeting_cancel(meeting=rakor, by=staff, reason="Bentrok dengan agenda Wali Kota")
    client.force_login(staff)
    text = pdf_text(client.get(url("pdf_invitation", rakor)).content)
    assert "RAPAT INI DIBATALKAN: Bentrok dengan agenda Wali Kota" in text


# --- the attendance sheet --------------------------------------------------------------------------------------


def test_staff_download_the_attendance_sheet_with_a_signature_column(client, staff, rakor):
    client.force_login(staff)
    text = assert_pdf(client.get(url("pdf_attendance", rakor)), "daftar-hadir")
    for expected in ["DAFTAR HADIR", "No", "Nama", "Lembaga", "Jabatan", "Tanda tangan", "Siti Aminah",
                     "LPM Kelurahan A1", "Rina Marlina", "mewakili Dewi Lestari", "<script>alert(1)</script>",
                     "WITA"]:
        assert expected in text, expected
    assert re.search(r"\b(" + "|".join(DAYS) + r"), \d{1,2} \w+ \d{4}", text)
    # Numbered signature places for the three invitees and five blank rows.
    assert "8." in text


def test_the_attendance_sheet_is_for_staff_only(client, officer_a, officer_b, rakor):
    client.force_login(officer_a)
    assert client.get(url("pdf_attendance", rakor)).status_code == 403
    client.force_login(officer_b)
    assert client.get(url("pdf_attendance", rakor)).status_code == 404


def test_a_long_attendance_sheet_runs_over_pages(client, staff, rakor):
    Invitation.objects.bulk_create(
        Invitation(meeting=rakor, name=f"Peserta Nomor {n:03d}", board_name="LPM Uji", position="Anggota",
                   token=f"tok-{n}")
        for n in range(150)
    )
    client.force_login(staff)
    response = client.get(url("pdf_attendance", rakor))
    text = pdf_text(response.content)
    assert "Peserta Nomor 000" in text and "Peserta Nomor 149" in text
    assert page_count(response.content) > 3


# --- the minutes -------------------------------------------------------------------------------------------------


def test_staff_download_the_minutes(client, staff, rakor, board_a):
    held(rakor, staff, board_a)
    client.force_login(staff)
    text = assert_pdf(client.get(url("pdf_minutes", rakor)), "notulen")
    for expected in ["NOTULEN RAPAT", "Rakor LPM Triwulan IV", "Peserta sepakat memperbarui data pengurus.",
                     "Data dikirim sebelum akhir bulan.", "Forum kecamatan memverifikasi.", "Kirim data pengurus",
                     "LPM Kelurahan A1", "Belum selesai", "Hadir 3 orang", "Siti Aminah",
                     "Rina Marlina (mewakili Dewi Lestari)", "<script>alert(1)</script>", "WITA"]:
        assert expected in text, expected


def test_an_invitee_downloads_the_minutes_only_after_the_meeting(client, staff, officer_a, officer_b, rakor,
                                                                 board_a):
    services.minutes_save(meeting=rakor, by=staff, summary="Ditulis lebih awal.")
    client.force_login(officer_a)
    assert client.get(url("pdf_minutes", rakor)).status_code == 404
    held(rakor, staff, board_a)
    assert_pdf(client.get(url("pdf_minutes", rakor)), "notulen")
    client.force_login(officer_b)
    assert client.get(url("pdf_minutes", rakor)).status_code == 404


def test_there_is_no_minutes_pdf_before_minutes_are_written(client, staff, rakor):
    client.force_login(staff)
    assert client.get(url("pdf_minutes", rakor)).status_code == 404


def test_every_pdf_needs_a_login(client, rakor):
    for name in ["pdf_invitation", "pdf_attendance", "pdf_minutes"]:
        response = client.get(url(name, rakor))
        assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))


# --- nothing is fetched ------------------------------------------------------------------------------------------


def test_the_fetcher_refuses_the_network_and_files_outside_static(tmp_path):
    fetcher = pdf.LocalOnlyFetcher(allowed_protocols={"file", "data"})
    for refused in ["http://example.org/logo.png", "https://example.org/x.css", "ftp://example.org/x",
                    (tmp_path / "secret.txt").as_uri(), "file:///etc/passwd",
                    (pdf.STATIC_DIR / ".." / "manage.py").as_uri()]:
        (tmp_path / "secret.txt").write_text("rahasia")
        with pytest.raises(ValueError):
            fetcher.fetch(refused)
    assert fetcher.fetch(pdf.PRINT_CSS.as_uri()).read().startswith(b"/*")
    assert fetcher.fetch("data:text/plain,halo").read() == b"halo"


def test_a_venue_with_an_image_url_is_printed_not_fetched(client, staff, rakor, monkeypatch):
    Meeting.objects.filter(pk=rakor.pk).update(venue='<img src="http://example.org/x.png"> Aula')
    fetched = []
    original = pdf.LocalOnlyFetcher.fetch

    def spy(self, url, headers=None):
        fetched.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(pdf.LocalOnlyFetcher, "fetch", spy)
    client.force_login(staff)
    text = pdf_text(client.get(url("pdf_invitation", rakor)).content)
    assert '<img src="http://example.org/x.png"> Aula' in text
    assert not any(u.startswith("http") for u in fetched)
