"""Staff read the city-wide dashboard on a desktop and on a 360 px phone, follow a board-health link to the
board that needs attention, and watch a large export get ready without reloading the page."""

import datetime
import re

from django.utils import timezone
from playwright.sync_api import Page, expect

from meetings.models import Invitation
from organizations.models import Membership
from reports import services
from reports.models import ExportJob
from tests import factories
from tests.e2e.helpers import horizontal_overflow, login


def city(world, staff):
    """A board with no Ketua (A2), one whose term ends in 60 days (B1), a proposal, a meeting, a follow-up."""
    today = timezone.localdate()
    factories.MembershipFactory(board=world["board_a"], position=Membership.Position.KETUA,
                                person=factories.PersonFactory(name="Siti Aminah", user=factories.UserFactory()))
    factories.MembershipFactory(board=world["board_b"], position=Membership.Position.KETUA,
                                person=factories.PersonFactory(name="Rahmat Hidayat", user=factories.UserFactory()),
                                start_date=today - datetime.timedelta(days=1700),
                                end_date=today + datetime.timedelta(days=60))
    cycle = factories.CycleFactory(name="Usulan Program 2027", year=2027)
    proposal = factories.ProposalFactory(board=world["board_a"], cycle=cycle,
                                         title="Pelatihan kader posyandu di balai pertemuan kelurahan")
    proposal.status = "in_progress"
    proposal.approved_budget = proposal.total_requested
    proposal.decision_published_at = timezone.now()
    proposal.progress_percent = 40
    proposal.save()
    soon = timezone.now() + datetime.timedelta(days=2)
    meeting = factories.MeetingFactory(organiser=staff, title="Rapat Koordinasi LPM Se-Kota Balikpapan Triwulan IV",
                                       start=soon, end=soon + datetime.timedelta(hours=3))
    for board in (world["board_a"], world["board_a2"], world["board_b"]):
        factories.InvitationFactory(meeting=meeting, board=board, board_name=board.name, rsvp=Invitation.Rsvp.PENDING)


def test_staff_read_the_dashboard_on_a_desktop_and_a_phone(new_context, staff, world, browser_log, screenshot):
    city(world, staff)
    desktop = new_context(viewport={"width": 1280, "height": 900}).new_page()
    login(desktop, staff.email)
    desktop.get_by_role("navigation", name="Navigasi utama").get_by_role("link", name="Dasbor").click()
    expect(desktop.get_by_role("heading", level=1)).to_contain_text("Dasbor")
    expect(desktop.get_by_role("alert")).to_contain_text("baru 0 dari 3 undangan menjawab")
    expect(desktop.get_by_role("img", name="Anggaran per kecamatan")).to_be_visible()
    assert horizontal_overflow(desktop) == 0, "dashboard scrolls sideways on a desktop"
    screenshot(desktop, "dashboard-desktop")

    phone = new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True,
                        has_touch=True).new_page()
    login(phone, staff.email, next_url="/dasbor/")
    expect(phone.get_by_role("heading", level=1)).to_contain_text("Dasbor")
    health = phone.locator("#kesehatan")
    expect(health.locator(".health-item")).to_have_count(2)
    for chart in phone.locator("svg.chart-svg").all():
        box = chart.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 360, "a chart is wider than the phone"
    assert horizontal_overflow(phone) == 0, "dashboard scrolls sideways at 360 px"
    screenshot(phone, "dashboard-360")

    # The board whose term ends soon: its link leads to the board page.
    item = health.locator(".health-item", has_text="LPM Kelurahan B1")
    expect(item).to_contain_text("Masa bakti berakhir")
    item.get_by_role("link", name="LPM Kelurahan B1").click()
    expect(phone).to_have_url(re.compile(rf"/lembaga/{world['board_b'].pk}/$"))
    expect(phone.get_by_role("heading", level=1)).to_have_text("LPM Kelurahan B1")
    expect(phone.get_by_text("Rahmat Hidayat")).to_be_visible()
    assert not browser_log.csp_violations, browser_log.csp_violations


def test_a_large_export_shows_its_progress_and_then_the_download_link(mobile_page: Page, staff, world, browser_log,
                                                                     screenshot):
    for n in range(3):
        factories.MembershipFactory(board=world["board_a"], person=factories.PersonFactory(name=f"Pengurus {n}"))
    job = services.export_job_create(owner=staff, kind=ExportJob.Kind.DIRECTORY, params={}, rows_total=3)
    page = mobile_page
    login(page, staff.email, next_url="/dasbor/ekspor/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ekspor XLSX")
    assert horizontal_overflow(page) == 0, "exports page scrolls sideways at 360 px"
    screenshot(page, "exports-360")
    page.get_by_role("link", name="Direktori pengurus").click()
    expect(page).to_have_url(re.compile(rf"/dasbor/ekspor/berkas/{job.pk}/$"))
    expect(page.locator("#export-job").get_by_role("status")).to_contain_text("Menunggu giliran")
    download = page.get_by_role("link", name="Unduh berkas")
    expect(download).to_be_hidden()
    expect(page.get_by_role("link", name="Muat ulang untuk melihat kemajuan")).to_be_visible()

    # The worker finishes; the page notices by itself.
    services.export_job_run(job_id=job.pk)
    expect(download).to_be_visible(timeout=10_000)
    expect(page.locator("#export-job").get_by_role("status")).to_contain_text("Siap diunduh")
    expect(page.locator("#job-progress")).to_have_js_property("value", 100)
    response = page.request.get(download.get_attribute("href"))
    assert response.ok and response.body().startswith(b"PK")
    assert horizontal_overflow(page) == 0
    screenshot(page, "export-job-360")
    assert not browser_log.csp_violations, browser_log.csp_violations
