from django.contrib import admin

from .models import ExportJob


@admin.register(ExportJob)
class ExportJobAdmin(admin.ModelAdmin):
    """Read-only: to see why an export failed. Files are fetched through the portal, by their owner."""

    list_display = ("pk", "kind", "owner", "status", "rows_done", "rows_total", "created_at", "finished_at")
    list_filter = ("kind", "status")
    readonly_fields = [f.name for f in ExportJob._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
