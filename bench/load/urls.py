"""portal.urls plus one bare view: the ceiling every page of the load benchmark is compared with."""

from django.http import HttpResponse
from django.urls import path

from portal.urls import urlpatterns as portal_urlpatterns


def ok(request):
    """Everything a page costs except the page: the middleware, routing and a response."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/ok", ok), *portal_urlpatterns]
