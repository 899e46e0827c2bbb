"""XLSX exports read back with openpyxl, and large exports as Celery jobs with progress and an owner-only file."""

import datetime
import io
import json
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from meetings.models import Invitation
from organizations.models import Membership
from reports import exports, services, tasks
from reports.models import ExportJob
from tests import factories

from .conftest import HADIR, TIDAK_HADIR

EXPORTS = reverse("reports:exports")


def create_url(kind):
    return reverse("reports:export_create", args=[kind])


def workbook(response):
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    assert response["Content-Disposition"].startswith("attachment;")
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return load_workbook(io.BytesIO(content))


def rows(sheet):
    return [list(row) for row in sheet.iter_rows(values_only=True)]


@pytest.fixture
def pengurus(world, officer_a, officer_b):
    """Three more pengurus of A, one with a name a spreadsheet would run as a formula."""
    board = world["board_a"]
    factories.MembershipFactory(board=board, position=Membership.Position.SEKRETARIS,
                                person=factories.PersonFactory(name="=HYPERLINK(\"http://evil\")", phone="+6281234"))
    factories.MembershipFactory(board=board, person=factories.PersonFactory(name="Dewi Lestari"))
    # Ended: not in the directory.
    factories.MembershipFactory(board=board, person=factories.PersonFactory(name="Mantan Pengurus"),
                                start_date=datetime.date(2015, 1, 1), end_date=datetime.date(2019, 12, 31))


# --- the membership directory ---------------------------------------------------------------------------


def test_staff_export_the_directory_with_contacts_and_formulas_kept_as_text(client, staff, pengurus):
    client.force_login(staff)
    book = workbook(client.post(create_url("directory")))
    table = rows(book["Pengurus"])
    header, body = table[0], table[1:]
    assert header[:3] == ["No.", "Kecamatan", "Lembaga"] and "E-mail" in header
    names = [row[6] for row in body]
    assert sorted(names) == sorted(["Siti Aminah", "Rahmat Hidayat", '=HYPERLINK("http://evil")', "Dewi Lestari"])
    siti = next(row for row in body if row[6] == "Siti Aminah")
    assert siti[1] == "Kecamatan A" and siti[2] == "LPM Kelurahan A1" and siti[4] == "Ketua"
    assert siti[9] == "ketua.a@example.org" and siti[8]
    # Stored as text with Excel's quote prefix, never as a formula.
    cell = next(c for c in book["Pengurus"]["G"] if c.value == '=HYPERLINK("http://evil")')
    assert cell.data_type == "s" and cell.quotePrefix
    phone = next(c for c in book["Pengurus"]["I"] if c.value == "+6281234")
    assert phone.data_type == "s" and phone.quotePrefix


def test_coordinators_cannot_export_the_directory(client, coordinator_a, pengurus):
    client.force_login(coordinator_a)
    assert client.post(create_url("directory")).status_code == 403
    assert create_url("directory") not in client.get(EXPORTS).content.decode()


def test_officers_cannot_export_anything(client, officer_a):
    client.force_login(officer_a)
    for kind in ("directory", "attendance", "proposals"):
        assert client.post(create_url(kind)).status_code == 403


def test_exports_are_posted_not_fetched(client, staff):
    client.force_login(staff)
    assert client.get(create_url("directory")).status_code == 405
    assert client.post(create_url("nonsense")).status_code == 404


# --- attendance per meeting -------------------------------------------------------------------------------


def test_attendance_per_meeting_holds_each_meeting_and_each_invitee(client, staff, world, held_meeting):
    a, b = world["board_a"], world["board_b"]
    year = timezone.localdate().year
    first = held_meeting(0.5, {a: HADIR, b: TIDAK_HADIR}, title="Rakor Triwulan")
    factories.InvitationFactory(meeting=first, name="Tamu Camat", person=None, is_walk_in=True, attendance=HADIR)
    client.force_login(staff)
    book = workbook(client.post(create_url("attendance"), {"attendance-year": year}))
    summary = rows(book["Rekap per rapat"])
    assert summary[0][:3] == ["No.", "Mulai (WITA)", "Rapat"]
    row = summary[1]
    assert row[2] == "Rakor Triwulan"
    # Invited 2, present 2 (one walk-in), absent 1, rate 1 of 2 invited = 50 %.
    assert (row[5], row[6], row[8], row[10], row[11]) == (2, 2, 1, 1, 50)
    sheet = rows(book["Daftar hadir"])
    assert len(sheet) == 4
    assert {(r[4], r[9]) for r in sheet[1:]} >= {("LPM Kelurahan A1", "Hadir"), ("LPM Kelurahan B1", "Tidak hadir")}
    # Another year holds nothing.
    empty = workbook(client.post(create_url("attendance"), {"attendance-year": year - 5}))
    assert len(rows(empty["Daftar hadir"])) == 1


def test_a_bad_year_is_refused_with_a_message_next_to_the_field(client, staff):
    client.force_login(staff)
    response = client.post(create_url("attendance"), {"attendance-year": "dua ribu"})
    assert response.status_code == 400
    assert "errorlist" in response.content.decode()


# --- proposals with their budgets ---------------------------------------------------------------------------


def test_proposals_export_holds_each_proposal_and_its_budget_lines(client, staff, world, proposal, cycle):
    proposal(world["board_a"], "approved", title="Bank sampah",
             lines=[("Tong sampah", 10, "buah", 150_000), ("Timbangan", 1, "unit", 500_000)], approved_budget=1_800_000)
    proposal(world["board_b"], "submitted", title="Posyandu remaja")
    proposal(world["board_b"], "draft", title="Masih draf")
    client.force_login(staff)
    book = workbook(client.post(create_url("proposals"), {"proposals-cycle": cycle.pk}))
    table = rows(book["Usulan"])
    by_title = {row[4]: row for row in table[1:]}
    assert set(by_title) == {"Bank sampah", "Posyandu remaja"}
    bank = by_title["Bank sampah"]
    assert (bank[1], bank[2], bank[6], bank[9], bank[10]) == (
        "Kecamatan A", "LPM Kelurahan A1", "Disetujui", 2_000_000, 1_800_000)
    lines = rows(book["Rincian anggaran"])
    assert [(r[2], r[3], r[7]) for r in lines[1:] if r[2] == "Bank sampah"] == [
        ("Bank sampah", "Tong sampah", 1_500_000), ("Bank sampah", "Timbangan", 500_000)]
    assert len(lines) == 4  # header, two lines of Bank sampah, one of Posyandu remaja


def test_a_coordinator_exports_their_kecamatan_without_unpublished_decisions(client, coordinator_a, world, proposal,
                                                                              cycle):
    proposal(world["board_a"], "approved", title="Belum diumumkan", decision_published_at=None)
    proposal(world["board_b"], "submitted", title="Kecamatan lain")
    client.force_login(coordinator_a)
    book = workbook(client.post(create_url("proposals"), {"proposals-cycle": cycle.pk}))
    table = rows(book["Usulan"])
    assert [row[4] for row in table[1:]] == ["Belum diumumkan"]
    assert table[1][6] == "Sedang ditinjau" and table[1][10] is None


# --- large exports run as a job -----------------------------------------------------------------------------


@pytest.fixture
def small_threshold(settings):
    settings.REPORTS_EXPORT_ASYNC_ROWS = 2


def test_a_large_export_becomes_a_job_a_worker_finishes(client, staff, pengurus, small_threshold,
                                                        django_capture_on_commit_callbacks):
    client.force_login(staff)
    with mock.patch.object(tasks.run_export, "delay") as delay:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(create_url("directory"))
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("reports:export_job", args=[job.pk])
    # Enqueued after commit, with the job's id only.
    delay.assert_called_once_with(job.pk)
    assert (job.status, job.owner, job.rows_total) == ("pending", staff, 4)

    page = client.get(response["Location"]).content.decode()
    assert "Menunggu giliran" in page and 'src="/static/js/reports.js"' in page
    assert f'href="{reverse("reports:export_job", args=[job.pk])}"' in page  # the no-JavaScript refresh link
    status = json.loads(client.get(reverse("reports:export_job_status", args=[job.pk])).content)
    assert status["status"] == "pending" and status["download_url"] is None and not status["finished"]
    assert client.get(reverse("reports:export_download", args=[job.pk])).status_code == 404

    # What the worker runs; a second delivery of the same job does nothing.
    assert tasks.run_export(job.pk) is True
    assert tasks.run_export(job.pk) is False
    job.refresh_from_db()
    assert (job.status, job.progress, job.rows_done) == ("done", 100, 4)
    status = json.loads(client.get(reverse("reports:export_job_status", args=[job.pk])).content)
    assert status["finished"] and status["download_url"] == reverse("reports:export_download", args=[job.pk])
    book = workbook(client.get(status["download_url"]))
    assert len(rows(book["Pengurus"])) == 5
    assert "Unduh berkas" in client.get(reverse("reports:export_job", args=[job.pk])).content.decode()


def test_an_export_job_is_its_owners_alone(client, staff, admin_user, pengurus):
    job = services.export_job_create(owner=staff, kind="directory", params={}, rows_total=4)
    services.export_job_run(job_id=job.pk)
    client.force_login(admin_user)
    for name in ("export_job", "export_job_status", "export_download"):
        assert client.get(reverse(f"reports:{name}", args=[job.pk])).status_code == 404
    client.force_login(staff)
    assert client.get(reverse("reports:export_download", args=[job.pk])).status_code == 200


def test_a_job_whose_owner_lost_the_right_fails_with_a_reason(client, staff, pengurus):
    job = services.export_job_create(owner=staff, kind="directory", params={}, rows_total=4)
    staff.groups.clear()
    services.export_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == "failed" and "tidak lagi berhak" in job.error and not job.file


def test_a_job_left_behind_by_a_lost_worker_is_shown_as_failed(client, staff):
    job = services.export_job_create(owner=staff, kind="directory", params={}, rows_total=4)
    ExportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - datetime.timedelta(hours=1))
    client.force_login(staff)
    status = json.loads(client.get(reverse("reports:export_job_status", args=[job.pk])).content)
    assert status["status"] == "failed" and status["finished"] and status["error"]


def test_a_large_attendance_export_reports_progress(staff, world, held_meeting, settings):
    settings.REPORTS_EXPORT_ASYNC_ROWS = 2
    meeting = held_meeting(0.5, {})
    Invitation.objects.bulk_create(
        Invitation(meeting=meeting, name=f"Peserta {n}", token=f"t-{n}", attendance=HADIR) for n in range(1200))
    job = services.export_job_create(owner=staff, kind="attendance", params={"year": timezone.localdate().year},
                                     rows_total=0)
    seen = []
    write = exports.write_xlsx

    def watched(spec, *, progress):
        def record(done):
            progress(done)
            seen.append((done, ExportJob.objects.get(pk=job.pk).rows_done))

        return write(spec, progress=record)

    with mock.patch.object(exports, "write_xlsx", watched):
        services.export_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == "done" and job.rows_total == 1201 and job.rows_done == 1201
    # The row shows how far the worker got while it writes, every 500 rows (one summary row, 1200 invitees).
    assert seen == [(500, 500), (1000, 1000), (1201, 1201)]


# --- cost -----------------------------------------------------------------------------------------------


def queries_for(request):
    with CaptureQueriesContext(connection) as captured:
        response = request()
    assert response.status_code == 200
    return len(captured), response


def test_export_query_counts_do_not_grow_with_rows(client, staff, world, cycle, proposal):
    """Prevents a query per proposal (board, category, budget lines) or per pengurus (person, board, region)."""
    client.force_login(staff)
    client.get(reverse("reports:exports"))  # a first request caches the user's own facts (portal.lib.cache)
    counts = []
    for extra in (1, 6):
        for _n in range(extra):
            proposal(world["board_a"], "submitted", lines=[("Tenda", 1, "unit", 100_000), ("Kursi", 20, "buah", 5_000)])
            factories.MembershipFactory(board=world["board_b"])
        counts.append((
            queries_for(lambda: client.post(create_url("proposals"), {"proposals-cycle": cycle.pk}))[0],
            queries_for(lambda: client.post(create_url("directory")))[0],
        ))
    assert counts[0] == counts[1]
    book = workbook(client.post(create_url("proposals"), {"proposals-cycle": cycle.pk}))
    assert len(rows(book["Usulan"])) == 8 and len(rows(book["Rincian anggaran"])) == 15


def test_the_directory_lists_ketua_first(client, staff, world, pengurus):
    client.force_login(staff)
    table = rows(workbook(client.post(create_url("directory")))["Pengurus"])
    a_rows = [row for row in table[1:] if row[2] == "LPM Kelurahan A1"]
    assert [row[4] for row in a_rows] == ["Ketua", "Sekretaris", "Anggota"]
