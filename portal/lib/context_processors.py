from organizations.access import access_for


def access(request):
    """Expose the user's derived role to templates, for navigation only.

    Templates use it to choose what to show; every permission is still checked
    in the view.
    """
    return {"access": access_for(getattr(request, "user", None))}
