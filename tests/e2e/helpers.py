"""What a person does in the browser, shared by the e2e tests."""

import re

from playwright.sync_api import Page, expect

from tests import factories

EMAIL_LABEL = re.compile(r"^e-?mail", re.IGNORECASE)
PASSWORD_LABEL = re.compile(r"^(sandi|kata sandi|password)", re.IGNORECASE)
SUBMIT_LABEL = re.compile(r"^(masuk|sign in|log in)$", re.IGNORECASE)


def login(page: Page, email: str, password: str = factories.PASSWORD, *, next_url: str | None = None):
    """Log in through the real allauth form, as a person would."""
    page.goto("/accounts/login/" + (f"?next={next_url}" if next_url else ""))
    main = page.get_by_role("main")
    main.get_by_label(EMAIL_LABEL).fill(email)
    main.get_by_label(PASSWORD_LABEL).fill(password)
    main.get_by_role("button", name=SUBMIT_LABEL).click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
    # The next page's scripts (htmx among them) are running only once it has loaded: a click
    # before that would submit the plain form instead.
    page.wait_for_load_state("load")


def horizontal_overflow(page: Page) -> int:
    """CSS pixels by which the page is wider than the viewport; 0 means no sideways scrolling.

    The usual test, scrollWidth <= innerWidth, is not enough under mobile
    emulation: Chromium zooms out to fit a too-wide page and innerWidth grows
    with it. So both are compared with the viewport the context was given.
    """
    scroll_width, inner_width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    return max(scroll_width, inner_width) - page.viewport_size["width"]
