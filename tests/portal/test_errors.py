"""Error pages: friendly, Indonesian, no internals; 503 while the database is down.

This module is also the URLconf of the tests that need a view that fails
(``settings.ROOT_URLCONF = __name__``): its ``urlpatterns`` add those views in
front of the portal's own.
"""

from unittest import mock

import pytest
from django.core.exceptions import SuspiciousOperation
from django.db.utils import InterfaceError, OperationalError
from django.test import RequestFactory
from django.urls import include, path
from django.views import defaults

from tests.helpers import assert_no_inline_code

SECRET = "rahasia-internal-jangan-bocor"


def _fails(request):
    raise RuntimeError(SECRET)


def _suspicious(request):
    raise SuspiciousOperation(SECRET)


def _database_error(request):
    raise OperationalError(f"could not connect to server: {SECRET}")


urlpatterns = [
    path("uji/gagal/", _fails),
    path("uji/curiga/", _suspicious),
    path("uji/basis-data/", _database_error),
    path("", include("portal.urls")),
]

# A well-formed RSVP token: the page looks it up without a login.
RSVP_URL = "/rapat/u/" + "a" * 43 + "/"

# Executing any SQL fails as it does when PostgreSQL is down or unreachable.
DATABASE_DOWN = "django.db.backends.utils.CursorWrapper.execute"


@pytest.fixture
def production(settings):
    settings.DEBUG = False
    return settings


@pytest.fixture
def failing_urls(production):
    production.ROOT_URLCONF = __name__
    return production


def assert_no_internals(html):
    for leak in (SECRET, "Traceback", "SECRET_KEY", "DATABASES", "settings.py", "OperationalError",
                 "RuntimeError", "Request Method", "Django Version"):
        assert leak not in html, f"error page shows {leak!r}"


# --- 404, 403 ----------------------------------------------------------------------------------


def test_unknown_address_gets_the_indonesian_404_page(client, db, production):
    response = client.get("/halaman-yang-tidak-pernah-ada/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Halaman tidak ditemukan" in html
    assert '<html lang="id">' in html
    assert "Not Found" not in html and "Page not found" not in html
    assert "Kembali ke beranda" in html
    assert_no_internals(html)
    assert_no_inline_code(html)


def test_404_page_keeps_the_portal_layout_for_a_logged_in_user(client, officer_a, production):
    client.force_login(officer_a)
    response = client.get("/rapat/999999/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Halaman tidak ditemukan" in html
    # The navigation of base.html, as on every other page.
    assert "site-header" in html and "Keluar" in html and "Beranda" in html


def test_staff_page_is_refused_to_an_officer_with_the_indonesian_403_page(client, officer_a, production):
    client.force_login(officer_a)
    response = client.get("/rapat/kelola/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "Akses ditolak" in html
    assert "Forbidden" not in html
    assert_no_internals(html)
    assert_no_inline_code(html)


# --- 500, 400 ----------------------------------------------------------------------------------


def test_unexpected_error_gets_the_indonesian_500_page_without_internals(client, db, failing_urls):
    client.raise_request_exception = False
    response = client.get("/uji/gagal/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "Maaf, terjadi kesalahan di server" in html
    assert "Server Error" not in html
    assert_no_internals(html)
    assert_no_inline_code(html)
    assert "Content-Security-Policy" in response


def test_500_page_needs_no_database_no_context_processor_and_no_urlconf(db, settings, django_assert_num_queries):
    settings.DEBUG = False
    # A URLconf that cannot even be imported: the page must not reverse URLs.
    settings.ROOT_URLCONF = "tests.portal.no_such_urlconf"
    request = RequestFactory().get("/")
    with django_assert_num_queries(0), mock.patch(DATABASE_DOWN, side_effect=OperationalError("down")):
        response = defaults.server_error(request)
    assert response.status_code == 500
    assert "Maaf, terjadi kesalahan di server" in response.content.decode()


def test_bad_request_gets_the_indonesian_400_page(client, db, failing_urls):
    response = client.get("/uji/curiga/")
    assert response.status_code == 400
    html = response.content.decode()
    assert "Permintaan tidak dapat diproses" in html
    assert "Bad Request" not in html
    assert_no_internals(html)


# --- the database is down: 503 --------------------------------------------------------------------


def assert_friendly_503(response):
    assert response.status_code == 503
    html = response.content.decode()
    assert "Portal sedang tidak dapat melayani" in html
    # The template itself, not the bare fallback: rendering it touched no database.
    assert "css/portal.css" in html and "Kembali ke beranda" in html
    assert response["Retry-After"].isdigit()
    assert "no-store" in response["Cache-Control"]
    # Still behind the security middleware.
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert_no_internals(html)
    assert_no_inline_code(html)


@pytest.mark.parametrize("error", [OperationalError, InterfaceError])
def test_an_anonymous_page_reading_the_database_answers_503(client, db, production, error):
    # The RSVP link needs no login and looks the invitation up at once.
    with mock.patch(DATABASE_DOWN, side_effect=error("connection refused")):
        response = client.get(RSVP_URL)
    assert_friendly_503(response)


def test_a_logged_in_user_gets_503_when_the_session_cannot_be_read(client, officer_a, production):
    client.force_login(officer_a)
    with mock.patch(DATABASE_DOWN, side_effect=OperationalError("server closed the connection unexpectedly")):
        response = client.get("/")
    assert_friendly_503(response)


def test_503_also_when_a_middleware_is_the_first_to_reach_the_database(client, staff, production):
    # With MFA required (production), RequireMFAForStaffMiddleware reads the user
    # before any view runs; Django turns that exception into a 500 right there.
    production.REQUIRE_MFA_FOR_STAFF = True
    client.force_login(staff)
    client.raise_request_exception = False
    with mock.patch(DATABASE_DOWN, side_effect=OperationalError("down")):
        response = client.get("/lembaga/")
    assert_friendly_503(response)


def test_a_database_error_raised_by_a_view_answers_503(client, db, failing_urls):
    response = client.get("/uji/basis-data/")
    assert_friendly_503(response)


def test_other_errors_stay_500(client, db, failing_urls):
    client.raise_request_exception = False
    assert client.get("/uji/gagal/").status_code == 500
    # And a later request is not affected by the earlier outage.
    with mock.patch(DATABASE_DOWN, side_effect=OperationalError("down")):
        assert client.get(RSVP_URL).status_code == 503
    assert client.get("/uji/gagal/").status_code == 500


# --- /healthz names the dependency that failed ----------------------------------------------------


def _broker_down(settings):
    # Nothing listens on port 1: the connection is refused at once.
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}


def test_healthz_names_the_database_when_only_the_database_is_down(client, db, production):
    with mock.patch(DATABASE_DOWN, side_effect=OperationalError(f"password authentication failed {SECRET}")):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "error", "database": "error", "broker": "ok"}
    assert SECRET not in response.content.decode()


def test_healthz_names_both_when_both_are_down(client, db, production):
    _broker_down(production)
    with mock.patch(DATABASE_DOWN, side_effect=OperationalError("down")):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "error", "broker": "error"}
