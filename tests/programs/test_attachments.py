"""Attachments and report photos: checked by content, stored privately, served only to those who may see them."""

import io
import os
import zipfile

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from portal.lib.uploads import MAX_UPLOAD_BYTES
from programs import lifecycle
from programs.models import Attachment, Proposal

from .test_board_views import proposal_post

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def docx_bytes():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


def add_url(proposal):
    return reverse("programs:attachment_add", args=[proposal.pk])


def download_url(attachment):
    return reverse("programs:attachment_download", args=[attachment.proposal_id, attachment.pk])


@pytest.fixture
def attachment(draft_a, officer_a):
    upload = SimpleUploadedFile("RAB kegiatan.pdf", PDF, "application/pdf")
    return lifecycle.attachment_add(proposal=draft_a, upload=upload, by=officer_a, title="RAB rinci")


# --- adding -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name, content, kind", [
    ("denah.pdf", PDF, "application/pdf"),
    ("foto.jpeg", JPEG, "image/jpeg"),
    ("peta.png", PNG, "image/png"),
    ("surat.docx", docx_bytes(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
])
def test_a_pengurus_adds_an_attachment(client, member_a, draft_a, name, content, kind):
    client.force_login(member_a)
    response = client.post(add_url(draft_a), {"title": "Dokumen", "file": SimpleUploadedFile(name, content)})
    assert response.status_code == 302
    stored = draft_a.attachments.get()
    assert stored.content_type == kind
    assert stored.size == len(content)
    # Outside anything served as static files: only the permission-checked view hands it out.
    assert os.path.abspath(stored.file.path).startswith(os.path.abspath(settings.MEDIA_ROOT))
    page = client.get(reverse("programs:detail", args=[draft_a.pk])).content.decode()
    assert download_url(stored) in page


def test_an_oversize_file_is_refused(client, officer_a, draft_a):
    client.force_login(officer_a)
    big = SimpleUploadedFile("besar.pdf", PDF + b"0" * (MAX_UPLOAD_BYTES + 1 - len(PDF)))
    response = client.post(add_url(draft_a), {"title": "Besar", "file": big})
    assert response.status_code == 400
    assert "Berkas terlalu besar" in response.content.decode()
    assert not Attachment.objects.exists()


def test_a_renamed_executable_is_refused(client, officer_a, draft_a):
    client.force_login(officer_a)
    fake = SimpleUploadedFile("laporan.pdf", b"MZ\x90\x00" + b"\x00" * 200, "application/pdf")
    response = client.post(add_url(draft_a), {"title": "Laporan", "file": fake})
    assert response.status_code == 400
    assert "Jenis berkas tidak diterima" in response.content.decode()
    assert not Attachment.objects.exists()
    assert not any(files for _root, _dirs, files in os.walk(settings.MEDIA_ROOT))


def test_the_file_name_is_sanitised(client, officer_a, draft_a):
    client.force_login(officer_a)
    upload = SimpleUploadedFile("../../etc/<b>rab kegiatan;rm -rf.exe.pdf", PDF)
    client.post(add_url(draft_a), {"title": "", "file": upload})
    stored = draft_a.attachments.get()
    assert "/" not in stored.filename and "<" not in stored.filename and ";" not in stored.filename
    assert stored.filename.endswith(".pdf")
    assert ".." not in stored.file.name
    response = client.get(download_url(stored))
    assert stored.filename in response["Content-Disposition"]


def test_the_file_type_follows_the_content_not_the_name(client, officer_a, draft_a):
    client.force_login(officer_a)
    client.post(add_url(draft_a), {"title": "Foto", "file": SimpleUploadedFile("foto.pdf", PNG)})
    stored = draft_a.attachments.get()
    assert stored.content_type == "image/png"
    assert stored.filename == "foto.png"


def test_a_missing_file_is_reported_next_to_the_field(client, officer_a, draft_a):
    client.force_login(officer_a)
    response = client.post(add_url(draft_a), {"title": "Tanpa berkas"})
    assert response.status_code == 400
    assert "Pilih berkas yang akan diunggah." in response.content.decode()


def test_attachments_may_be_added_on_create(client, officer_a, cycle):
    client.force_login(officer_a)
    data = proposal_post(cycle, attachments=[SimpleUploadedFile("denah.pdf", PDF),
                                             SimpleUploadedFile("foto.jpg", JPEG)])
    response = client.post(reverse("programs:create"), data)
    assert response.status_code == 302
    assert sorted(Proposal.objects.get().attachments.values_list("filename", flat=True)) == ["denah.pdf", "foto.jpg"]


def test_a_bad_attachment_on_create_saves_nothing(client, officer_a, cycle):
    client.force_login(officer_a)
    data = proposal_post(cycle, attachments=[SimpleUploadedFile("laporan.pdf", b"MZ\x90\x00" + b"\x00" * 20)])
    response = client.post(reverse("programs:create"), data)
    assert response.status_code == 400
    assert "laporan.pdf: Jenis berkas tidak diterima" in response.content.decode()
    assert not Proposal.objects.exists()
    assert not Attachment.objects.exists()


@pytest.mark.parametrize("persona, status", [("officer_b", 404), ("coordinator_a", 403), ("staff", 403)])
def test_only_the_board_adds_attachments(client, draft_a, place, persona, status, request):
    place(draft_a, "submitted")  # so the Forum may see it
    client.force_login(request.getfixturevalue(persona))
    response = client.post(add_url(draft_a), {"title": "x", "file": SimpleUploadedFile("a.pdf", PDF)})
    assert response.status_code == status
    assert not Attachment.objects.exists()


def test_no_attachments_after_submission(client, officer_a, draft_a, place):
    place(draft_a, "submitted")
    client.force_login(officer_a)
    response = client.post(add_url(draft_a), {"title": "x", "file": SimpleUploadedFile("a.pdf", PDF)}, follow=True)
    assert "Lampiran hanya dapat ditambahkan" in response.content.decode()
    assert not Attachment.objects.exists()


# --- downloading --------------------------------------------------------------------------------------


def _body(response):
    return b"".join(response.streaming_content)


@pytest.mark.parametrize("persona", ["officer_a", "member_a", "staff", "admin_user"])
def test_the_board_and_staff_download_the_right_bytes(client, attachment, persona, request):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(download_url(attachment))
    assert response.status_code == 200
    assert _body(response) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in response["Content-Disposition"]


def test_another_board_gets_404(client, officer_b, attachment):
    client.force_login(officer_b)
    assert client.get(download_url(attachment)).status_code == 404


def test_the_coordinator_gets_a_draft_attachment_only_once_submitted(client, coordinator_a, attachment, place):
    client.force_login(coordinator_a)
    assert client.get(download_url(attachment)).status_code == 404
    place(attachment.proposal, "submitted")
    assert client.get(download_url(attachment)).status_code == 200


def test_anonymous_visitors_are_sent_to_login(client, attachment):
    response = client.get(download_url(attachment))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_an_attachment_is_only_served_under_its_own_proposal(client, officer_a, attachment, world, cycle):
    from tests import factories

    other = factories.ProposalFactory(board=world["board_a"], cycle=cycle)
    client.force_login(officer_a)
    url = reverse("programs:attachment_download", args=[other.pk, attachment.pk])
    assert client.get(url).status_code == 404


def test_a_missing_file_on_disk_is_a_404(client, officer_a, attachment):
    attachment.file.storage.delete(attachment.file.name)
    client.force_login(officer_a)
    assert client.get(download_url(attachment)).status_code == 404


# --- deleting -----------------------------------------------------------------------------------------


def test_a_pengurus_deletes_an_attachment_of_a_draft(client, member_a, attachment, django_capture_on_commit_callbacks):
    client.force_login(member_a)
    path = attachment.file.path
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("programs:attachment_delete", args=[attachment.proposal_id, attachment.pk]))
    assert response.status_code == 302
    assert not Attachment.objects.exists()
    assert not os.path.exists(path)


@pytest.mark.parametrize("persona, status", [("officer_b", 404), ("staff", 403)])
def test_others_cannot_delete(client, attachment, persona, status, request):
    client.force_login(request.getfixturevalue(persona))
    response = client.post(reverse("programs:attachment_delete", args=[attachment.proposal_id, attachment.pk]))
    assert response.status_code == status
    assert Attachment.objects.exists()


def test_delete_needs_post(client, officer_a, attachment):
    client.force_login(officer_a)
    response = client.get(reverse("programs:attachment_delete", args=[attachment.proposal_id, attachment.pk]))
    assert response.status_code == 405
    assert Attachment.objects.exists()


# --- report photos ------------------------------------------------------------------------------------------


def test_report_photos_are_stored_and_served_like_attachments(client, officer_a, officer_b, draft_a, place):
    place(draft_a, "approved")
    client.force_login(officer_a)
    response = client.post(reverse("programs:progress_add", args=[draft_a.pk]), {
        "report_date": timezone.localdate().isoformat(), "percent": "30", "narrative": "Mulai.", "spent": "0",
        "photos": [SimpleUploadedFile("kegiatan 1.jpg", JPEG), SimpleUploadedFile("kegiatan 2.png", PNG)],
    })
    assert response.status_code == 302
    photos = list(Attachment.objects.filter(report__proposal=draft_a).order_by("pk"))
    assert [photo.content_type for photo in photos] == ["image/jpeg", "image/png"]
    page = client.get(reverse("programs:detail", args=[draft_a.pk])).content.decode()
    assert f'<img src="{download_url(photos[0])}"' in page
    assert _body(client.get(download_url(photos[1]))) == PNG
    client.force_login(officer_b)
    assert client.get(download_url(photos[0])).status_code == 404


def test_a_document_is_not_a_report_photo(client, officer_a, draft_a, place):
    place(draft_a, "approved")
    client.force_login(officer_a)
    response = client.post(reverse("programs:progress_add", args=[draft_a.pk]), {
        "report_date": timezone.localdate().isoformat(), "percent": "30", "narrative": "Mulai.", "spent": "0",
        "photos": [SimpleUploadedFile("foto.jpg", PDF)],
    })
    assert response.status_code == 400
    assert "Unggah JPEG, PNG." in response.content.decode()
    assert not draft_a.progress_reports.exists()
    draft_a.refresh_from_db()
    assert draft_a.status == "approved"
