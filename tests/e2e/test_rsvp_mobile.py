"""An invitee answers through the e-mail link on a 360 px phone, and finds the meeting in the calendar."""

import datetime

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from meetings import services
from meetings.models import Invitation, Meeting
from tests.e2e.helpers import horizontal_overflow, login
from tests.factories import InvitationFactory, MeetingFactory

WITA = datetime.timezone(datetime.timedelta(hours=8))


@pytest.fixture
def invitation_a(staff, officer_a, board_a):
    meeting = MeetingFactory(organiser=staff, title="Rakor LPM Triwulan IV")
    services.agenda_replace(meeting=meeting, items=[{"title": "Pembukaan"}, {"title": "Evaluasi program"}])
    return InvitationFactory(meeting=meeting, person=officer_a.person, board=board_a, board_name=board_a.name,
                             kecamatan_name="Kecamatan A")


def test_officer_answers_through_the_link_on_a_phone(mobile_page: Page, invitation_a, browser_log, screenshot):
    page = mobile_page
    # The "Hadir" link of the e-mail: the page opens with that answer ready, nothing recorded yet.
    page.goto(reverse("meetings:rsvp_token", args=[invitation_a.token]) + "?jawab=hadir")
    expect(page.get_by_role("heading", level=1)).to_have_text("Rakor LPM Triwulan IV")
    expect(page.get_by_text("WITA").first).to_be_visible()
    expect(page.get_by_role("button", name="Hadir", exact=True)).to_be_focused()
    assert horizontal_overflow(page) == 0, "the answer page scrolls sideways at 360 px"
    screenshot(page, "rsvp-link-360")
    invitation_a.refresh_from_db()
    assert invitation_a.rsvp == Invitation.Rsvp.PENDING

    # A delegate instead: the fields open without any script, and Enter sends the delegate, not "Hadir".
    name = page.get_by_label("Nama wakil")
    expect(name).to_be_hidden()
    page.get_by_text("Diwakilkan", exact=True).click()
    name.fill("Andi Wijaya")
    name.press("Enter")
    expect(page.get_by_role("status").first).to_contain_text("diwakilkan oleh Andi Wijaya")
    invitation_a.refresh_from_db()
    assert (invitation_a.rsvp, invitation_a.delegate_name) == (Invitation.Rsvp.DELEGATED, "Andi Wijaya")

    # Changed mind: one tap.
    page.get_by_role("button", name="Hadir", exact=True).click()
    expect(page.get_by_role("status").first).to_contain_text("tercatat: Hadir")
    invitation_a.refresh_from_db()
    assert invitation_a.rsvp == Invitation.Rsvp.ACCEPTED
    assert horizontal_overflow(page) == 0
    assert not browser_log.csp_violations, browser_log.csp_violations


def test_month_is_a_list_on_a_phone_and_a_grid_on_a_desktop(mobile_page: Page, new_context, staff, officer_a,
                                                            browser_log, screenshot):
    for day in (3, 10, 21):
        meeting = MeetingFactory(organiser=staff, title=f"Rakor Kelurahan tanggal {day}")
        start = datetime.datetime(2027, 3, day, 9, tzinfo=WITA)
        Meeting.objects.filter(pk=meeting.pk).update(start=start, end=start + datetime.timedelta(hours=2))
        InvitationFactory(meeting=meeting, person=officer_a.person)

    page = mobile_page
    login(page, officer_a.email)
    page.goto(reverse("meetings:month") + "?bulan=2027-03")
    grid = page.locator(".month-grid")
    # Only the three days with meetings show, each with its full date.
    expect(grid.locator("> li:visible")).to_have_count(3)
    expect(grid.get_by_role("heading", name="Rabu, 3 Maret")).to_be_visible()
    assert horizontal_overflow(page) == 0, "the month view scrolls sideways at 360 px"
    screenshot(page, "calendar-month-360")

    desktop = new_context(viewport={"width": 1200, "height": 900}).new_page()
    login(desktop, officer_a.email)
    desktop.goto(reverse("meetings:month") + "?bulan=2027-03")
    # Every day of March 2027 (Monday 1 to Wednesday 31) and the four blanks after it.
    expect(desktop.locator(".month-grid > li:visible")).to_have_count(35)
    first, second = desktop.locator(".month-grid > li").nth(0), desktop.locator(".month-grid > li").nth(1)
    assert first.bounding_box()["y"] == second.bounding_box()["y"], "the days of a week sit in one row"
    screenshot(desktop, "calendar-month-1200")
    assert not browser_log.csp_violations, browser_log.csp_violations
