"""Django admin for proposals: fields (bidang) and cycles are edited here; proposals are read and corrected.

A proposal's state never changes in a form here: status and decision fields are
read-only, and the actions below go through ``programs.lifecycle`` like the portal's
buttons, so every change is checked, logged as a ProposalEvent and notified.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from organizations.models import Region

from . import lifecycle
from .models import BudgetLine, Category, Cycle, Notice, Proposal, ProposalEvent


class ReadOnlyAdminMixin:
    """A record kept by the lifecycle: shown, never written from the admin."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "order", "is_active"]
    list_editable = ["order", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name"]
    ordering = ["order", "name"]


@admin.register(Cycle)
class CycleAdmin(admin.ModelAdmin):
    list_display = ["name", "year", "opens_on", "closes_on", "max_per_board", "publication", "decisions_published_at"]
    list_filter = ["year", "publication"]
    search_fields = ["name"]
    # Publishing held decisions notifies boards: only through the portal's "Umumkan keputusan" (the lifecycle).
    readonly_fields = ["decisions_published_at", "created_at"]


class BudgetLineInline(admin.TabularInline):
    """The budget as the board entered it; changed only through the proposal form (totals stay in step)."""

    model = BudgetLine
    extra = 0
    fields = ["position", "item", "volume", "unit", "unit_cost", "subtotal"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class ProposalEventInline(admin.TabularInline):
    model = ProposalEvent
    extra = 0
    fields = ["created_at", "kind", "actor_name", "from_status", "to_status", "note"]
    readonly_fields = fields
    can_delete = False
    ordering = ["created_at", "pk"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class KecamatanFilter(admin.SimpleListFilter):
    title = _("kecamatan")
    parameter_name = "kecamatan"

    def lookups(self, request, model_admin):
        return [(region.pk, region.name)
                for region in Region.objects.filter(level=Region.Level.KECAMATAN).order_by("name")]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(board__region__parent_id=self.value())
        return queryset


@admin.register(Proposal)
class ProposalAdmin(admin.ModelAdmin):
    list_display = ["title", "board", "cycle", "category", "status", "total_requested", "approved_budget",
                    "status_changed_at"]
    list_filter = ["status", "cycle", "category", "is_physical", KecamatanFilter]
    list_select_related = ["board", "cycle", "category"]
    search_fields = ["title", "board__name", "board__region__name"]
    date_hierarchy = "submitted_at"
    inlines = [BudgetLineInline, ProposalEventInline]
    actions = ["start_review"]
    # The state, the decision and the sums belong to the lifecycle; the content may be corrected here.
    readonly_fields = [
        "board", "cycle", "status", "status_changed_at", "submitted_at", "total_requested", "approved_budget",
        "decision_note", "decided_at", "decided_by", "decision_published_at", "progress_percent", "spent",
        "carried_from", "created_by", "created_at", "updated_at",
    ]
    fieldsets = [
        (None, {"fields": ["board", "cycle", "category", "title", "is_physical", "priority"]}),
        (_("Isi usulan"), {"fields": ["background", "goals", "location_rt_rw", "location", "beneficiary_count",
                                      "beneficiary_groups", "start_month", "end_month"]}),
        (_("Status dan keputusan"), {"fields": [
            "status", "status_changed_at", "submitted_at", "total_requested", "approved_budget", "decision_note",
            "decided_at", "decided_by", "decision_published_at", "progress_percent", "spent", "carried_from",
            "created_by", "created_at", "updated_at",
        ]}),
    ]

    def has_add_permission(self, request):
        # A proposal is drafted in the portal (lifecycle.proposal_create), with its budget lines and first event.
        return False

    @admin.action(description=_("Mulai tinjau usulan terpilih"))
    def start_review(self, request, queryset):
        started = 0
        for proposal in queryset.select_related("board__region"):
            try:
                lifecycle.proposal_start_review(proposal=proposal, by=request.user)
            except (ValidationError, PermissionDenied) as error:
                reason = "; ".join(error.messages) if isinstance(error, ValidationError) else _(
                    "Anda tidak berwenang meninjau usulan.")
                self.message_user(request, f"{proposal.title}: {reason}", messages.WARNING)
            else:
                started += 1
        self.message_user(
            request,
            ngettext("%(n)d usulan mulai ditinjau.", "%(n)d usulan mulai ditinjau.", started) % {"n": started},
            messages.SUCCESS if started else messages.INFO,
        )


@admin.register(ProposalEvent)
class ProposalEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "proposal", "kind", "actor_name", "from_status", "to_status"]
    list_filter = ["kind", "to_status"]
    list_select_related = ["proposal"]
    search_fields = ["proposal__title", "actor_name", "note"]
    date_hierarchy = "created_at"


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["due_at", "email", "event", "status", "attempts", "sent_at", "last_error"]
    list_filter = ["status"]
    list_select_related = ["event__proposal"]
    search_fields = ["email", "event__proposal__title"]
    date_hierarchy = "due_at"
