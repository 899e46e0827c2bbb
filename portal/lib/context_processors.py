from django.utils.functional import SimpleLazyObject

from organizations.access import access_for
from portal.lib import cache as user_cache


def access(request):
    """Expose the user's derived role to templates, for navigation only.

    Templates use it to choose what to show; every permission is still checked
    in the view.
    """
    return {"access": access_for(getattr(request, "user", None))}


def unread_count(user) -> int:
    """The user's unread notices, from the shared cache until a notice of theirs changes.

    A notice saved or deleted makes the count stale through ``organizations.signals``; the views that
    mark notices read with ``QuerySet.update`` (which sends no signal) call ``forget_unread_count``.
    """
    from meetings.models import Notification

    return user_cache.cached_for_user(
        user.pk, "unread", lambda: Notification.objects.filter(user=user, read_at=None).count(),
        scope=user_cache.UNREAD,
    )


def forget_unread_count(*user_ids):
    user_cache.bump(user_cache.UNREAD, *user_ids)


def notifications(request):
    """The unread count in the header: at most one query, only when a page shows it, none for visitors.

    Lazy, so responses that never render the header (fragments, files) do not pay for it.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": SimpleLazyObject(lambda: unread_count(user))}
