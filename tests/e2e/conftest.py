"""Real-browser tests: Playwright driving Debian's Chromium against pytest-django's live server.

One Chromium for all the e2e tests of a session (per xdist worker), a fresh
browser context per test. Every context is fenced in: requests to anything but the live server are
aborted and recorded, and Content-Security-Policy violations, console errors
and uncaught page errors are collected in ``browser_log`` for the tests to
assert on.

Chromium comes from Debian (``apt-get install -y chromium``); Playwright's own
browser download is not used. Without it the tests skip, unless
``REQUIRE_BROWSER_TESTS=1`` asks for them to fail instead (CI).

Screenshots: set ``E2E_SCREENSHOT_DIR`` to a directory outside the repository
and the tests that look at layout save PNGs there.
"""

import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    # Without these Chromium keeps trying to reach Google's hosts.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MISSING_CHROMIUM = "Debian chromium not installed: apt-get install -y chromium"
E2E_DIR = Path(__file__).resolve().parent

# Registered on every context before any page script runs. Violations are
# reported through a Playwright binding, which survives navigations and is
# not subject to the page's CSP.
_CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (e) => {
  window.__e2eReportCsp({
    page: document.location.pathname,
    directive: e.violatedDirective,
    effective: e.effectiveDirective,
    blocked: e.blockedURI,
    source: e.sourceFile,
    line: e.lineNumber,
    sample: e.sample,
  });
});
"""


def _browser_required():
    return os.environ.get("REQUIRE_BROWSER_TESTS") == "1"


def _is_e2e(item):
    return item is not None and E2E_DIR in Path(item.path).resolve().parents


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    # tryfirst: the marker must be there before `-m "not e2e"` deselects.
    chromium_missing = not os.path.exists(CHROMIUM)
    for item in items:
        if not _is_e2e(item):
            continue
        item.add_marker(pytest.mark.e2e)
        if chromium_missing and not _browser_required():
            item.add_marker(pytest.mark.skip(reason=MISSING_CHROMIUM))


class _BrowserRun:
    """Playwright and one Chromium, alive for a run of consecutive e2e tests.

    pytest-playwright keeps both for the whole session, but Playwright's sync
    API leaves an asyncio loop marked as running in the main thread, and
    Django then refuses every ORM call as "async unsafe" unless
    DJANGO_ALLOW_ASYNC_UNSAFE is set. Set for the whole session, that variable
    would switch the protection off for every other test too (and leak into
    subprocesses such as `manage.py check --deploy`). So the browser starts
    with the first e2e test, stops after the last one (pytest-django runs them
    together, with the other live-server tests), and the variable is set only
    in between.
    """

    ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"

    def __init__(self):
        self.playwright = None
        self.browser = None
        self._saved_env = None

    def start_playwright(self, api_request_contexts):
        if self.playwright is None:
            from django.db import connections

            # With a loop running, Django's thread-critical connection storage
            # switches to context variables: the main thread gets new
            # connection objects, which lack the test database's serialized
            # contents, so serialized rollback would quietly do nothing.
            serialized = {
                alias: connections[alias]._test_serialized_contents
                for alias in connections
                if hasattr(connections[alias], "_test_serialized_contents")
            }
            self._saved_env = os.environ.get(self.ASYNC_UNSAFE)
            os.environ[self.ASYNC_UNSAFE] = "true"
            self.playwright = sync_playwright().start()
            for alias, contents in serialized.items():
                connections[alias]._test_serialized_contents = contents
            if api_request_contexts:  # --tracing
                api_request_contexts.instrument(self.playwright)
        return self.playwright

    def launch(self, browser_name, launch_args):
        if self.browser is None:
            self.browser = getattr(self.playwright, browser_name).launch(**launch_args)
        return self.browser

    def stop(self):
        if self.playwright is None:
            return
        try:
            if self.browser is not None:
                self.browser.close()
        finally:
            self.playwright.stop()
            self.playwright = self.browser = None
            if self._saved_env is None:
                os.environ.pop(self.ASYNC_UNSAFE, None)
            else:
                os.environ[self.ASYNC_UNSAFE] = self._saved_env


_run = _BrowserRun()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    # After the test's own fixtures (its contexts, its database flush) are gone.
    try:
        return (yield)
    finally:
        if _is_e2e(item) and not _is_e2e(nextitem):
            _run.stop()
            if nextitem is not None:  # otherwise the test database is already gone
                _restore_migrated_rows(item.config)


def _restore_migrated_rows(config):
    """Leave the database as the e2e tests found it.

    Live-server tests end with a flush, and with serialized rollback not even
    content types and permissions are recreated. pytest-django runs them after
    the ordinary database tests, but a test that only reaches the database
    through request.getfixturevalue() counts as database-free and comes later
    still: give it back the rows migrations created (the staff group).
    """
    from django.db import connections
    from pytest_django.plugin import blocking_manager_key

    saved = [c for c in connections.all(initialized_only=True) if hasattr(c, "_test_serialized_contents")]
    if saved:
        with config.stash[blocking_manager_key].unblock():
            for connection in saved:
                connection.creation.deserialize_db_from_string(connection._test_serialized_contents)


def pytest_sessionfinish(session):
    _run.stop()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not os.path.exists(CHROMIUM):
        # Only reached with REQUIRE_BROWSER_TESTS=1; otherwise the tests were skipped at collection.
        pytest.fail(f"{MISSING_CHROMIUM} (REQUIRE_BROWSER_TESTS=1 forbids skipping)", pytrace=False)
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


# pytest-playwright's fixtures of the same names, served from _run. They are
# function-scoped here, so none of the plugin's session fixtures built on them
# (browser_type, launch_browser) may be used in these tests.
@pytest.fixture
def playwright(_pw_api_request_contexts):
    return _run.start_playwright(_pw_api_request_contexts)


@pytest.fixture
def browser(playwright, browser_name, browser_type_launch_args):
    return _run.launch(browser_name, browser_type_launch_args)


@pytest.fixture
def browser_context_args(pytestconfig, playwright, device, _pw_artifacts_folder, live_server):
    args = {}
    if device:  # --device
        args.update(playwright.devices[device])
    if pytestconfig.getoption("--video") in ("on", "retain-on-failure"):
        args["record_video_dir"] = _pw_artifacts_folder.name
    # A phone in Balikpapan: Indonesian browser, WITA clock. Chromium would
    # otherwise send Accept-Language: en-US and the portal would answer in English.
    return {**args, "base_url": live_server.url, "locale": "id-ID", "timezone_id": "Asia/Makassar"}


@dataclass
class BrowserLog:
    csp_violations: list = field(default_factory=list)
    console: list = field(default_factory=list)
    page_errors: list = field(default_factory=list)
    blocked_requests: list = field(default_factory=list)

    def csp_console_messages(self):
        return [m for m in self.console if "Content Security Policy" in m["text"]]

    def clear(self):
        for items in (self.csp_violations, self.console, self.page_errors, self.blocked_requests):
            items.clear()


@pytest.fixture
def browser_log():
    return BrowserLog()


@pytest.fixture
def new_context(new_context, live_server, browser_log):
    """pytest-playwright's context factory, with every context fenced in and observed."""
    origin = live_server.url

    def is_external(url):
        return not (url == origin or url.startswith(origin + "/"))

    def block(route):
        browser_log.blocked_requests.append(route.request.url)
        route.abort()

    def log_console(message):
        if message.type in ("error", "warning"):
            browser_log.console.append(
                {"type": message.type, "text": message.text, "page": message.page and message.page.url}
            )

    def make(**kwargs):
        context = new_context(**kwargs)
        context.set_default_timeout(10_000)
        context.route(is_external, block)
        context.expose_binding("__e2eReportCsp", lambda source, report: browser_log.csp_violations.append(report))
        context.add_init_script(_CSP_LISTENER)
        context.on("console", log_console)
        context.on("weberror", lambda error: browser_log.page_errors.append(str(error.error)))
        return context

    return make


@pytest.fixture(autouse=True)
def _browser_stays_clean(browser_log):
    """Whatever a test checks, no page may call the internet or throw an uncaught error."""
    yield
    if browser_log.blocked_requests:
        pytest.fail(f"The page tried to reach outside the live server: {browser_log.blocked_requests}")
    if browser_log.page_errors:
        pytest.fail(f"Uncaught JavaScript errors: {browser_log.page_errors}")


@pytest.fixture(autouse=True)
def _e2e_database(django_db_serialized_rollback, transactional_db, live_server, settings):
    """Every e2e test shares its data with the live server thread: transactional.

    Serialized rollback restores the rows migrations created (the staff group)
    after an earlier transactional test has flushed the tables.
    """
    # The login form is what is under test, not the key derivation: a fast
    # hasher saves about a second per test (users hashed here, checked there).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def mobile_page(new_context) -> Page:
    """A small Android phone, the portal's design target."""
    context = new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True, has_touch=True)
    return context.new_page()


@pytest.fixture
def screenshot():
    """Save a PNG to $E2E_SCREENSHOT_DIR when set (never into the repository)."""
    directory = os.environ.get("E2E_SCREENSHOT_DIR")

    def take(page: Page, name: str):
        if not directory:
            return None
        Path(directory).mkdir(parents=True, exist_ok=True)
        path = Path(directory) / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
