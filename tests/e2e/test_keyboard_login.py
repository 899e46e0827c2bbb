"""Logging in with the keyboard alone: Tab through the form, Enter to submit."""

import re

from playwright.sync_api import Page, expect

from tests import factories


def focused(page: Page) -> str:
    return page.evaluate(
        "() => { const el = document.activeElement;"
        " return el.id ? '#' + el.id : el.tagName.toLowerCase() + (el.type ? '[' + el.type + ']' : ''); }"
    )


def tab_to(page: Page, target: str, limit: int = 15) -> list[str]:
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        seen.append(focused(page))
        if seen[-1] == target:
            return seen
    raise AssertionError(f"{target} not reached with Tab; focus went through {seen}")


def test_login_with_keyboard_only(page: Page, officer_a):
    page.goto("/accounts/login/")

    # The first Tab offers the skip link, and it becomes visible.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Langsung ke isi")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()

    tab_to(page, "#id_login")
    page.keyboard.type(officer_a.email)
    tab_to(page, "#id_password", limit=1)  # straight from e-mail to password
    page.keyboard.type(factories.PASSWORD)
    tab_to(page, "button[submit]", limit=4)  # past "forgot password" and "remember me"

    submit = page.get_by_role("main").get_by_role("button", name="Masuk")
    expect(submit).to_be_focused()
    # Keyboard focus is visible (the :focus-visible ring of portal.css).
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"

    page.keyboard.press("Enter")

    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Selamat datang")


def test_enter_in_password_field_submits(page: Page, officer_a):
    page.goto("/accounts/login/")
    tab_to(page, "#id_login")
    page.keyboard.type(officer_a.email)
    page.keyboard.press("Tab")
    page.keyboard.type(factories.PASSWORD)
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_contain_text("Selamat datang")
