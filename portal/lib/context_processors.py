from django.utils.functional import SimpleLazyObject

from organizations.access import access_for


def access(request):
    """Expose the user's derived role to templates, for navigation only.

    Templates use it to choose what to show; every permission is still checked
    in the view.
    """
    return {"access": access_for(getattr(request, "user", None))}


def notifications(request):
    """The unread count in the header: one query, only when a page shows it, none for visitors.

    Lazy, so responses that never render the header (fragments, files) do not pay for it.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def unread():
        from meetings.models import Notification

        return Notification.objects.filter(user=user, read_at=None).count()

    return {"unread_notifications": SimpleLazyObject(unread)}
