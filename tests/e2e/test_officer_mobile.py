"""A Ketua on a small phone finds their board and its pengurus, without sideways scrolling."""

import re

from playwright.sync_api import Page, expect

from tests.e2e.helpers import horizontal_overflow, login


def test_officer_opens_their_board_on_a_phone(mobile_page: Page, officer_a, member_a, board_a, screenshot):
    page = mobile_page

    page.goto("/accounts/login/")
    assert horizontal_overflow(page) == 0, "login page scrolls sideways at 360 px"

    login(page, officer_a.email)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Selamat datang")
    assert horizontal_overflow(page) == 0, "home page scrolls sideways at 360 px"

    # On a phone the navigation sits behind the "Menu" button.
    nav = page.get_by_role("navigation", name="Navigasi utama")
    expect(nav).to_be_hidden()
    menu = page.get_by_role("button", name="Menu")
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    nav.get_by_role("link", name="Lembaga saya").click()
    expect(page).to_have_url(re.compile(rf"/lembaga/{board_a.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(board_a.name)
    expect(page.get_by_role("heading", name="Pengurus aktif")).to_be_visible()
    officers = page.locator(".officer-list .officer")
    expect(officers).to_have_count(2)
    expect(officers.filter(has_text="Siti Aminah")).to_contain_text("Ketua")
    expect(officers.filter(has_text="Budi Santoso")).to_contain_text("Anggota")
    # Fellow pengurus can be reached from the page.
    expect(officers.filter(has_text="Budi Santoso").get_by_role("link", name="anggota.a@example.org")).to_be_visible()
    assert horizontal_overflow(page) == 0, "board page scrolls sideways at 360 px"

    screenshot(page, "officer-board-360")
