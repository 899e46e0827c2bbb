from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from . import views

# Admin logins go through allauth too, so rate limits and MFA apply there.
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = "Portal Koordinasi LPM Kota Balikpapan"
admin.site.site_title = "Admin Portal LPM"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("allauth.urls")),
    # Before Django's own, which it wraps: a logged-in user's choice is kept for their e-mails too.
    path("i18n/setlang/", views.set_language, name="set_language"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("lembaga/", include("organizations.urls")),
    path("rapat/", include("meetings.urls")),
    path("usulan/", include("programs.urls")),
    path("dasbor/", include("reports.urls")),
    path("admin/", admin.site.urls),
]
