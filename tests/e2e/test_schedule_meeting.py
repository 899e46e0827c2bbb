"""Staff schedule a Rakor and invite the Ketua of one kecamatan, as in the meetings issue.

On a desktop: "Kelola rapat" → new meeting with two agenda items → invitation
page → "Hitung" (htmx) → "Undang" → the meeting page. On a 360 px phone: the
same form and invitation page do not scroll sideways.
"""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from meetings.models import Invitation, InvitationScope, Meeting
from organizations.models import Board, Membership, Region
from organizations.services import read_alias_rows, read_region_rows, regions_load
from tests.e2e.helpers import horizontal_overflow, login
from tests.factories import MeetingFactory, MembershipFactory

WITA = ZoneInfo("Asia/Makassar")
TIMUR = "64.71.01"  # Balikpapan Timur: Manggar, Lamaru, Teritip, Manggar Baru, and its Forum LPM
BARAT = "64.71.02"  # Balikpapan Barat

TITLE = "Rakor LPM Kecamatan Balikpapan Timur"
VENUE = "Aula Kantor Kecamatan Balikpapan Timur"
AGENDA = ["Pembukaan dan sambutan", "Evaluasi program LPM triwulan IV"]


@pytest.fixture
def timur(transactional_db):
    """The official regions and boards; Ketua for the five boards of Balikpapan Timur, and people who must not count.

    Returns the kecamatan and the people a "Ketua saja" scope on it must reach.
    """
    regions_load(rows=read_region_rows(), aliases=read_alias_rows())
    kecamatan = Region.objects.get(code=TIMUR)
    boards = list(Board.objects.in_kecamatan([kecamatan.pk]).order_by("region__code", "kind"))
    assert sorted(b.kind for b in boards) == [Board.Kind.FORUM] + [Board.Kind.LPM] * 4
    terms = [MembershipFactory(board=board, position=Membership.Position.KETUA) for board in boards]
    ketua = [term.person for term in terms]
    # Not reached: Anggota of the same boards, the Ketua before the current one, a Ketua in another kecamatan.
    for board in boards[:3]:
        MembershipFactory(board=board, position=Membership.Position.ANGGOTA)
    predecessor_end = terms[1].start_date - datetime.timedelta(days=1)
    MembershipFactory(
        board=boards[1],
        position=Membership.Position.KETUA,
        start_date=predecessor_end - datetime.timedelta(days=5 * 365),
        end_date=predecessor_end,
    )
    barat = Board.objects.filter(region__parent__code=BARAT, kind=Board.Kind.LPM).first()
    MembershipFactory(board=barat, position=Membership.Position.KETUA)
    return {"kecamatan": kecamatan, "boards": boards, "ketua": ketua}


def test_staff_schedule_a_rakor_and_invite_the_ketua_of_one_kecamatan(
    new_context, staff, timur, browser_log, screenshot
):
    page = new_context(viewport={"width": 1280, "height": 900}).new_page()
    heading = page.get_by_role("heading", level=1)
    login(page, staff.email)
    # On a desktop the navigation is always open: no "Menu" button.
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    page.get_by_role("navigation", name="Navigasi utama").get_by_role("link", name="Kelola rapat").click()
    expect(heading).to_have_text("Kelola rapat")
    page.get_by_role("link", name="Jadwalkan rapat baru").click()
    expect(heading).to_have_text("Jadwalkan rapat")

    # Tomorrow in Balikpapan, 09.00–12.00 WITA, typed into the form's datetime-local inputs.
    tomorrow = timezone.now().astimezone(WITA).date() + datetime.timedelta(days=1)
    page.get_by_label("Jenis rapat").select_option(label="Rapat Koordinasi")
    page.get_by_label("Judul:", exact=True).fill(TITLE)
    page.get_by_label("Mulai (WITA)").fill(f"{tomorrow:%Y-%m-%d}T09:00")
    page.get_by_label("Selesai (WITA)").fill(f"{tomorrow:%Y-%m-%d}T12:00")
    page.get_by_label("Tempat:", exact=True).fill(VENUE)

    # The first agenda item in the first empty row, the second in a row added by the script.
    rows = page.locator("[data-agenda-row]")
    expect(rows).to_have_count(3)
    page.get_by_role("group", name="Mata acara 1", exact=True).get_by_label("Acara:", exact=True).fill(AGENDA[0])
    page.get_by_role("button", name="Tambah mata acara").click()
    expect(rows).to_have_count(4)
    added = page.get_by_role("group", name="Mata acara 4", exact=True).get_by_label("Acara:", exact=True)
    expect(added).to_be_focused()
    added.fill(AGENDA[1])
    page.get_by_role("button", name="Simpan jadwal").click()

    # Saved: straight on to the invitation page.
    expect(heading).to_have_text("Undang peserta")
    meeting = Meeting.objects.get()
    expect(page).to_have_url(re.compile(re.escape(reverse("meetings:invite", args=[meeting.pk])) + "$"))
    expect(page.locator(".messages")).to_contain_text(f"Rapat “{TITLE}” dijadwalkan.")
    assert (meeting.kind, meeting.title, meeting.venue) == (Meeting.Kind.RAKOR, TITLE, VENUE)
    assert meeting.start == datetime.datetime.combine(tomorrow, datetime.time(9), tzinfo=WITA)
    assert meeting.end == datetime.datetime.combine(tomorrow, datetime.time(12), tzinfo=WITA)
    assert list(meeting.agenda_items.values_list("title", flat=True)) == AGENDA
    assert meeting.organiser == staff
    assert not meeting.invitations.exists()

    # Reach: the boards of Balikpapan Timur, Ketua only. "Hitung" swaps in the count without a reload.
    scope = page.locator("#invite-scope")
    scope.get_by_label("Lembaga di kecamatan terpilih").check()
    scope.get_by_label("Balikpapan Timur", exact=True).check()
    scope.get_by_label("Ketua saja").check()
    page.evaluate("window.__notReloaded = true")
    scope.get_by_role("button", name="Hitung").click()
    expected = len(timur["ketua"])
    expect(page.locator(".scope-count")).to_have_text(f"{expected} orang dalam cakupan ini")
    assert page.evaluate("window.__notReloaded") is True
    assert not meeting.invitations.exists(), "Hitung must not invite anyone"
    screenshot(page, "invite-preview-1280")

    page.get_by_role("button", name=f"Undang {expected} orang").click()
    expect(page.locator(".messages")).to_contain_text(f"{expected} orang ditambahkan ke undangan")
    expect(page.get_by_text(f"Sudah diundang: {expected} orang, termasuk 0 tamu.")).to_be_visible()

    page.get_by_role("link", name="Selesai, kembali ke halaman rapat").click()
    expect(heading).to_have_text(TITLE)
    expect(page.locator(".facts")).to_contain_text("pukul 09.00–12.00 WITA")
    stats = page.get_by_role("list", name="Jumlah undangan")
    expect(stats.get_by_role("listitem").filter(has_text="diundang")).to_have_text(f"{expected} diundang")
    expect(stats.get_by_role("listitem").filter(has_text="belum menjawab")).to_have_text(f"{expected} belum menjawab")
    expect(page.locator(".staff-panel")).to_contain_text("Lembaga di kecamatan terpilih: Balikpapan Timur — Ketua saja")
    expect(page.locator(".agenda-list > li")).to_have_text(AGENDA)
    screenshot(page, "meeting-detail-1280")

    # Exactly the active Ketua of the five boards of Balikpapan Timur, each once.
    invitations = list(Invitation.objects.filter(meeting=meeting))
    assert sorted(i.person_id for i in invitations) == sorted(p.pk for p in timur["ketua"])
    assert {i.board_id for i in invitations} == {b.pk for b in timur["boards"]}
    assert {(i.position, i.kecamatan_name, i.rsvp) for i in invitations} == {
        ("Ketua", "Balikpapan Timur", Invitation.Rsvp.PENDING)
    }
    saved_scope = InvitationScope.objects.get(meeting=meeting)
    assert (saved_scope.reach, saved_scope.positions) == (
        InvitationScope.Reach.KECAMATAN,
        InvitationScope.Positions.KETUA,
    )
    assert list(saved_scope.kecamatan.all()) == [timur["kecamatan"]]
    assert not browser_log.csp_violations, browser_log.csp_violations
    assert not [m for m in browser_log.console if m["type"] == "error"], browser_log.console


def test_meeting_form_and_invite_page_fit_a_phone(mobile_page: Page, staff, timur, browser_log, screenshot):
    page = mobile_page
    login(page, staff.email, next_url=reverse("meetings:create"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Jadwalkan rapat")
    page.get_by_role("button", name="Tambah mata acara").click()
    expect(page.locator("[data-agenda-row]")).to_have_count(4)
    assert horizontal_overflow(page) == 0, "the meeting form scrolls sideways at 360 px"
    screenshot(page, "meeting-form-360")

    meeting = MeetingFactory(organiser=staff, title=TITLE)
    page.goto(reverse("meetings:invite", args=[meeting.pk]))
    expect(page.get_by_role("heading", level=1)).to_have_text("Undang peserta")
    # The longest labels: every kecamatan's board list open.
    for summary in page.locator(".board-choices summary").all():
        summary.click()
    assert horizontal_overflow(page) == 0, "the invitation page scrolls sideways at 360 px"

    scope = page.locator("#invite-scope")
    scope.get_by_label("Lembaga di kecamatan terpilih").check()
    scope.get_by_label("Balikpapan Timur", exact=True).check()
    scope.get_by_label("Ketua saja").check()
    scope.get_by_role("button", name="Hitung").click()
    expect(page.locator(".scope-count")).to_have_text(f"{len(timur['ketua'])} orang dalam cakupan ini")
    page.locator(".scope-preview summary").click()
    expect(page.locator(".scope-preview tbody tr")).to_have_count(len(timur["boards"]))
    assert horizontal_overflow(page) == 0, "the count and its table scroll sideways at 360 px"
    screenshot(page, "invite-preview-360")
    assert not browser_log.csp_violations, browser_log.csp_violations
    assert not [m for m in browser_log.console if m["type"] == "error"], browser_log.console
