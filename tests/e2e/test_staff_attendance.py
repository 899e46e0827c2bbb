"""Staff take attendance on a phone: one tap marks a row without reloading the page, ticked rows are
marked together, and the printed documents download as PDFs."""

import re

from playwright.sync_api import Page, expect

from meetings.models import Invitation
from tests.e2e.helpers import horizontal_overflow, login
from tests.factories import InvitationFactory, MeetingFactory


def test_staff_mark_attendance_on_a_phone(mobile_page: Page, staff, browser_log, screenshot):
    meeting = MeetingFactory(organiser=staff, title="Rakor LPM Balikpapan Timur")
    siti = InvitationFactory(meeting=meeting, name="Siti Aminah", board_name="LPM Manggar", position="Ketua",
                             kecamatan_name="Balikpapan Timur", rsvp=Invitation.Rsvp.ACCEPTED)
    others = [InvitationFactory(meeting=meeting, name=f"Pengurus {n}", board_name="LPM Teritip", position="Ketua",
                                kecamatan_name="Balikpapan Timur") for n in range(3)]
    page = mobile_page
    login(page, staff.email, next_url=f"/rapat/{meeting.pk}/kehadiran/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Kehadiran")
    assert horizontal_overflow(page) == 0, "attendance page scrolls sideways at 360 px"

    # One tap on a row: htmx swaps the row and the totals, the page is not reloaded.
    page.evaluate("window.__notReloaded = true")
    row = page.locator(f"#undangan-{siti.pk}")
    row.get_by_role("button", name="Izin").click()
    expect(row.locator(".status")).to_have_text("Izin")
    expect(row.get_by_role("button", name="Izin")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#attendance-summary")).to_contain_text("1 izin")
    assert page.evaluate("window.__notReloaded") is True
    assert Invitation.objects.get(pk=siti.pk).attendance == "izin"

    # Filter, tick every shown row, mark them together.
    page.get_by_label("Cari nama, lembaga atau kecamatan").fill("teritip")
    expect(row).to_be_hidden()
    page.get_by_label("Centang semua yang tampil").check()
    expect(page.locator(".selected-count")).to_have_text("(3 dipilih)")
    page.locator(".bulk-bar").get_by_role("button", name="Hadir", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("3 peserta ditandai.")
    assert [Invitation.objects.get(pk=i.pk).attendance for i in others] == ["hadir"] * 3
    screenshot(page, "staff-attendance-360")

    # The documents download as PDFs.
    for path in ["undangan.pdf", "daftar-hadir.pdf"]:
        response = page.request.get(f"/rapat/{meeting.pk}/{path}")
        assert response.ok and response.body().startswith(b"%PDF")
        assert re.search(r'attachment; filename="[a-z-]+-rakor-lpm-balikpapan-timur-', response.headers[
            "content-disposition"])
    assert not browser_log.csp_violations, browser_log.csp_violations
