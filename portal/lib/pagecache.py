"""Whole pages kept for the user who asked, until a table they were read from changes.

``@cached_page`` on a GET view keeps the rendered page in the shared cache under a key made of the user
(their id and the fields the header shows), the full path with its query, the language, the day in WITA and
the user's CSRF secret (the forms in the page carry a token made from it). Stored with the page is a stamp:
the token of every table the view read (``portal.lib.cache.tables_read``) and of the user's access and
unread-count facts, as they were before the view ran. The page is served again only while every one of
those tokens is unchanged; any statement that writes one of the tables replaces its token
(``portal.lib.cache.watch_statements``), so nothing has to remember to invalidate. What the page shows
because of the clock (today's highlight, the age of a proposal, "in three days") is at most
``PAGE_CACHE_SECONDS`` old. The key also holds a digest of the code, templates and translations: a new
release never serves the pages of the previous one.

A page is kept only if it can be served as it was: a 200 rendered for a GET by a logged-in user with a
CSRF cookie, with no message shown or queued, no cookie or session change, and nothing read from a table
in ``UNTRACKED_TABLES`` (rows rewritten all day, whose tokens ``portal.lib.cache`` does not keep).
Requests with messages waiting and htmx fragments go straight to the view. The permission check is part
of what is kept: it ran on the data of the stamp, and a change to that data (memberships, groups, boards
are tables; the access facts have their tokens) makes the page stale.
"""

import hashlib
import logging
from functools import wraps

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.contrib.messages.storage.session import SessionStorage
from django.core.cache import cache
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils import timezone, translation

from portal.lib import cache as tokens

logger = logging.getLogger(__name__)


def _page_key(request):
    user = request.user
    parts = (
        tokens.release(),
        request.get_full_path(),
        user.pk,
        user.get_username(),
        user.get_full_name(),
        user.email,
        user.is_staff,
        user.is_superuser,
        translation.get_language(),
        timezone.localdate().isoformat(),
        request.META["CSRF_COOKIE"],
    )
    return "portal:page:" + hashlib.sha256(repr(parts).encode()).hexdigest()


def _has_messages(request):
    return bool(request.COOKIES.get(CookieStorage.cookie_name)) or SessionStorage.session_key in request.session


def _servable(request):
    return (
        settings.PAGE_CACHE_SECONDS > 0
        and request.method == "GET"
        and request.user.is_authenticated
        and "CSRF_COOKIE" in request.META
        and not request.headers.get("HX-Request")
        and not _has_messages(request)
    )


def _keepable(request, response, read):
    storage = getattr(request, "_messages", None)
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not request.session.modified
        and not (storage is not None and (storage.used or storage._queued_messages))
        and not read & tokens.UNTRACKED_TABLES
    )


def _served(request, entry):
    headers, content, used_csrf = entry
    response = HttpResponse(content, headers=headers)
    if used_csrf:
        get_token(request)  # as rendering did: the CSRF cookie is sent again
    return response


def cached_page(view):
    """Serve the view's page from the shared cache while nothing it was made from has changed."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not _servable(request):
            return view(request, *args, **kwargs)
        key = _page_key(request)
        user_keys = tokens.user_tokens(request.user.pk)
        try:
            entry = cache.get(key)
            if entry is not None and tokens.fresh(entry[0]):
                return _served(request, entry[1])
            before = tokens.current_tokens([*tokens.table_keys(), *user_keys])
        except Exception:  # noqa: BLE001 - the cache server is away: the database still answers
            logger.warning("cache unavailable; page %s rendered without it", request.path, exc_info=True)
            return view(request, *args, **kwargs)

        with tokens.tables_read() as read:
            response = view(request, *args, **kwargs)
            if hasattr(response, "render") and not response.is_rendered:
                response.render()
        if _keepable(request, response, read):
            stamp = tokens.stamp_of(before, read)
            stamp.update((key_, before[key_]) for key_ in user_keys)
            payload = (list(response.items()), response.content, bool(request.META.get("CSRF_COOKIE_NEEDS_UPDATE")))
            try:
                cache.set(key, (stamp, payload), settings.PAGE_CACHE_SECONDS)
            except Exception:  # noqa: BLE001
                logger.warning("cache unavailable; page %s not kept", request.path, exc_info=True)
        return response

    return wrapper
