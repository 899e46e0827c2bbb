"""An administrator records pengurus in Django admin, through the real widgets."""

import datetime
import re

from django.utils import timezone
from playwright.sync_api import Page, expect

from organizations.models import Membership
from tests import factories
from tests.e2e.helpers import login

ADD_URL = "/admin/organizations/membership/add/"


def choose_autocomplete(page: Page, field: str, search: str, option: str):
    """Drive Django admin's select2 autocomplete as a person does: open, type, pick."""
    row = page.locator(f".form-row.field-{field}")
    row.locator(".select2-selection").click()
    page.locator(".select2-container--open").get_by_role("searchbox").fill(search)
    page.locator(".select2-container--open").get_by_role("option", name=option, exact=True).click()
    expect(row.locator(".select2-selection__rendered")).to_contain_text(option)


def fill_membership(page: Page, *, person: str, board: str, position: str, start: datetime.date, end: datetime.date):
    choose_autocomplete(page, "person", person.split()[0], person)
    choose_autocomplete(page, "board", board.removeprefix("LPM "), board)
    page.get_by_label("Jabatan").select_option(label=position)
    # The admin's Indonesian date format, as its calendar widget writes it.
    page.get_by_label("Mulai menjabat").fill(start.strftime("%d-%m-%Y"))
    page.get_by_label("Akhir masa bakti").fill(end.strftime("%d-%m-%Y"))
    page.get_by_role("button", name="Simpan", exact=True).click()


def test_admin_adds_membership_and_is_refused_a_second_ketua(page: Page, admin_user, world):
    board = world["board_a2"]
    dewi = factories.PersonFactory(name="Dewi Lestari")
    agus = factories.PersonFactory(name="Agus Salim", gender="L")
    start = timezone.localdate() - datetime.timedelta(days=30)
    end = start.replace(year=start.year + 5) - datetime.timedelta(days=1)

    login(page, admin_user.email)
    page.get_by_role("navigation", name="Navigasi utama").get_by_role("link", name="Admin").click()
    page.locator("tr.model-membership").get_by_role("link", name="Tambah").click()
    expect(page).to_have_url(re.compile(re.escape(ADD_URL) + "$"))

    fill_membership(page, person="Dewi Lestari", board=board.name, position="Ketua", start=start, end=end)

    expect(page.locator(".messagelist .success")).to_contain_text("berhasil ditambahkan")
    saved = Membership.objects.get(board=board)
    assert (saved.person, saved.position, saved.start_date, saved.end_date) == (
        dewi,
        Membership.Position.KETUA,
        start,
        end,
    )

    # A second Ketua for the same board and period: refused with the rule's Indonesian message.
    page.goto(ADD_URL)
    fill_membership(page, person="Agus Salim", board=board.name, position="Ketua", start=start, end=end)

    expect(page.locator(".errornote")).to_be_visible()
    expect(page.locator(".form-row.field-position .errorlist")).to_contain_text(
        f"Lembaga ini sudah memiliki Ketua aktif pada periode tersebut (Dewi Lestari, s.d. {end:%d-%m-%Y})."
    )
    # The form comes back as it was filled in, so the admin can correct it.
    expect(page.locator(".form-row.field-person .select2-selection__rendered")).to_contain_text("Agus Salim")
    assert not Membership.objects.filter(person=agus).exists()
    assert Membership.objects.filter(board=board).count() == 1
