from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("rekap/", views.recap, name="recap"),
    path("ekspor/", views.export_list, name="exports"),
    path("ekspor/<str:kind>/", views.export_create, name="export_create"),
    path("ekspor/berkas/<int:pk>/", views.export_job, name="export_job"),
    path("ekspor/berkas/<int:pk>/status/", views.export_job_status, name="export_job_status"),
    path("ekspor/berkas/<int:pk>/unduh/", views.export_download, name="export_download"),
]
