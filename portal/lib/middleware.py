import logging
import sys

from django.conf import settings
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.middleware.locale import LocaleMiddleware
from django.shortcuts import redirect
from django.template import loader
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_cache_control

from organizations.access import access_for, has_totp

# Paths a staff member without a second factor may still reach: setting one up,
# logging out, switching language, static files and the health check.
_ALLOWED_PREFIXES = ("/accounts/", "/i18n/", "/static/", "/healthz")


class RequireMFAForStaffMiddleware:
    """Send staff and admins without TOTP to its setup page while the setting is on."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.REQUIRE_MFA_FOR_STAFF and self._needs_mfa(request):
            return redirect(reverse("mfa_activate_totp"))
        return self.get_response(request)

    def _needs_mfa(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or request.path.startswith(_ALLOWED_PREFIXES):
            return False
        if not (user.is_staff or access_for(user).sees_everything):
            return False
        # From the shared cache; adding or removing an authenticator makes it stale (organizations.signals).
        return not has_totp(user)


class ChosenLanguageMiddleware(LocaleMiddleware):
    """Indonesian unless the user chose English with the language switch.

    Django's LocaleMiddleware also follows the browser's Accept-Language, so
    an office PC set up in English would get an English portal nobody asked
    for; here only the switch's cookie counts.
    """

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if chosen not in dict(settings.LANGUAGES):
            chosen = settings.LANGUAGE_CODE
        translation.activate(chosen)
        request.LANGUAGE_CODE = translation.get_language()


_DATABASE_ERRORS = (OperationalError, InterfaceError)
_DB_DOWN_FLAG = "_portal_database_unavailable"
_db_logger = logging.getLogger("portal.database")


def _flag_database_errors(sender, request=None, **kwargs):
    """Mark a request whose unhandled exception was the database being unreachable.

    Django turns an exception raised inside a middleware (the session or user
    lookup, the MFA check) into a 500 response right where it happens, so the
    outer middleware never sees it; this receiver of got_request_exception,
    sent while the exception is being handled, leaves a note on the request.
    """
    if request is not None and isinstance(sys.exc_info()[1], _DATABASE_ERRORS):
        setattr(request, _DB_DOWN_FLAG, True)


class DatabaseUnavailableMiddleware:
    """Answer 503 with the friendly page, not 500, while the database is down.

    Catches django.db.OperationalError and InterfaceError from the view
    (process_exception) and from the middleware inside this one (through the
    note left by _flag_database_errors). The page is rendered without a
    request, so no context processor, session or user lookup touches the
    database. Placed after the security and CSP middleware, so the response
    still carries their headers.
    """

    retry_after = 60

    def __init__(self, get_response):
        self.get_response = get_response
        got_request_exception.connect(_flag_database_errors, dispatch_uid="portal-database-unavailable")

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(request, _DB_DOWN_FLAG, False):
            return self.unavailable()
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, _DATABASE_ERRORS):
            _db_logger.error("Database unavailable while serving %s", request.path,
                             exc_info=(type(exception), exception, exception.__traceback__))
            return self.unavailable()
        return None

    def unavailable(self):
        try:
            body = loader.render_to_string("503.html")
        except Exception:  # the page must never fail in its turn
            _db_logger.exception("Could not render 503.html")
            body = "<!DOCTYPE html><title>503</title><h1>Layanan sedang tidak tersedia</h1>"
        response = HttpResponse(body, status=503)
        response["Retry-After"] = str(self.retry_after)
        patch_cache_control(response, no_cache=True, no_store=True, must_revalidate=True)
        return response
