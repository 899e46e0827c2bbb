"""The strict Content-Security-Policy holds in a real browser: no page breaks it.

Violations are caught twice: the `securitypolicyviolation` DOM event and
Chromium's console message ("... violates the following Content Security
Policy directive ...").
"""

from playwright.sync_api import Page, expect

from organizations.models import Membership
from tests.e2e.helpers import login


def settle(page: Page):
    """Let queued violation reports (events are delivered as tasks) reach the test."""
    page.wait_for_load_state("load")
    page.evaluate("() => new Promise((resolve) => setTimeout(resolve, 100))")


def violations_on(page: Page, browser_log, path: str, interact=None):
    browser_log.clear()
    page.goto(path)
    if interact:
        interact(page)
    settle(page)
    found = browser_log.csp_violations + browser_log.csp_console_messages()
    return {"csp": found, "errors": list(browser_log.page_errors)} if found or browser_log.page_errors else None


def use_admin_widgets(page: Page):
    """Open the select2 autocomplete and the calendar: both build DOM and styles from script."""
    page.locator(".form-row.field-person .select2-selection").click()
    page.locator(".select2-container--open").get_by_role("searchbox").fill("Siti")
    expect(page.locator(".select2-container--open").get_by_role("option", name="Siti Aminah")).to_be_visible()
    page.keyboard.press("Escape")
    page.locator(".form-row.field-start_date .datetimeshortcuts a").last.click()
    expect(page.locator(".calendarbox").first).to_be_visible()


def test_pages_keep_to_the_content_security_policy(page: Page, browser_log, admin_user, officer_a, board_a, screenshot):
    problems = {}
    problems["/accounts/login/"] = violations_on(page, browser_log, "/accounts/login/")

    login(page, admin_user.email)
    problems["/"] = violations_on(page, browser_log, "/")
    expect(page.locator(".stats")).to_be_visible()
    screenshot(page, "admin-home-desktop")
    problems[f"/lembaga/{board_a.pk}/"] = violations_on(page, browser_log, f"/lembaga/{board_a.pk}/")
    add = "/admin/organizations/membership/add/"
    problems[add] = violations_on(page, browser_log, add, interact=use_admin_widgets)

    assert {path: found for path, found in problems.items() if found} == {}


def test_violation_watcher_catches_an_inline_script(page: Page, browser_log, live_server):
    """The fixture itself: a page breaking the policy must be noticed, or the test above proves nothing."""
    probe = f"{live_server.url}/__csp-probe"
    page.route(
        probe,
        lambda route: route.fulfill(
            content_type="text/html",
            headers={"Content-Security-Policy": "default-src 'self'"},
            body="<!DOCTYPE html><p style='color: red'>x</p><script>document.title = 'ran'</script>",
        ),
    )
    page.goto(probe)
    settle(page)

    assert page.title() != "ran"
    assert {v["effective"] for v in browser_log.csp_violations} == {"script-src-elem", "style-src-attr"}
    assert len(browser_log.csp_console_messages()) == 2


def test_admin_history_page_keeps_to_the_policy(page: Page, browser_log, admin_user, officer_a):
    login(page, admin_user.email)
    membership = Membership.objects.get(person__user=officer_a)
    assert violations_on(page, browser_log, f"/admin/organizations/membership/{membership.pk}/history/") is None
