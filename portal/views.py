from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django.views.i18n import set_language as django_set_language
from kombu import Connection

from organizations import selectors
from organizations.access import access_for
from organizations.models import Person
from portal.lib.pagecache import cached_page
from reports.selectors import board_numbers


@login_required
@cached_page
def home(request):
    access = access_for(request.user)
    context = {}
    if access.sees_everything:
        context["summary"] = selectors.city_summary()
        context["attention"] = selectors.boards_needing_attention(access.visible_boards())
    if access.is_coordinator:
        context["coordinated_boards"] = selectors.boards_with_officers(
            access.visible_boards().in_kecamatan(access.coordinated_kecamatan_ids)
        )
    if access.is_officer:
        context["my_boards"] = selectors.boards_with_officers(access.visible_boards().filter(pk__in=access.board_ids))
        context["board_numbers"] = board_numbers(access)
    return render(request, "portal/home.html", context)


def _database_ok():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return True
    except Exception:
        return False


def _broker_ok():
    try:
        with Connection(
            settings.CELERY_BROKER_URL,
            transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS,
            connect_timeout=2,
        ) as broker:
            broker.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:
        return False


@never_cache
@require_GET
def healthz(request):
    """Liveness for load balancers: which dependency is down, never why (no secrets)."""
    checks = {"database": _database_ok(), "broker": _broker_ok()}
    healthy = all(checks.values())
    body = {"status": "ok" if healthy else "error", **{k: "ok" if v else "error" for k, v in checks.items()}}
    return JsonResponse(body, status=200 if healthy else 503)


def set_language(request):
    """Django's language switch, remembered on the person so their e-mails follow it too.

    The session and cookie still carry the choice for the browser; Person.language
    is what reminders, sent later by a worker with no request, are written in.
    """
    response = django_set_language(request)
    language = request.POST.get("language") if request.method == "POST" else None
    if language in dict(settings.LANGUAGES) and request.user.is_authenticated:
        Person.objects.filter(user=request.user).exclude(language=language).update(language=language)
    return response
