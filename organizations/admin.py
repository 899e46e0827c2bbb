
import logging

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from import_export.admin import ImportExportMixin
from import_export.formats.base_formats import CSV, XLSX
from import_export.results import RowResult
from import_export.tmp_storages import CacheStorage
from simple_history.admin import SimpleHistoryAdmin

from . import privacy, services
from .forms import MembershipForm
from .models import Board, Membership, Person, Region, RegionAlias
from .resources import MembershipResource

logger = logging.getLogger(__name__)


class RegionAliasInline(admin.TabularInline):
    model = RegionAlias
    extra = 0


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    """Regions come from the official reference file (load_regions); only aliases are edited here."""

    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name", "aliases__name"]
    readonly_fields = ["code", "name", "level", "parent"]
    inlines = [RegionAliasInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class MembershipInlineFormSet(BaseInlineFormSet):
    """Rules between rows of one formset, which Membership.clean() cannot see."""

    def clean(self):
        super().clean()
        rows = [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE") and form.cleaned_data.get("start_date")
            and form.cleaned_data.get("end_date")
        ]
        for i, a in enumerate(rows):
            for b in rows[i + 1:]:
                if a["start_date"] > b["end_date"] or b["start_date"] > a["end_date"]:
                    continue
                same_board = (a.get("board") or self.instance) == (b.get("board") or self.instance)
                if same_board and a.get("position") == b.get("position") == Membership.Position.KETUA:
                    raise ValidationError(_("Dua baris mengangkat Ketua pada periode yang sama."))
                if same_board and (a.get("person") or self.instance) == (b.get("person") or self.instance):
                    raise ValidationError(_("Dua baris mencatat orang yang sama pada periode yang bertumpang tindih."))


class MembershipInline(admin.TabularInline):
    model = Membership
    form = MembershipForm
    formset = MembershipInlineFormSet
    extra = 0
    autocomplete_fields = ["person", "board"]
    fields = ["person", "board", "position", "field_name", "start_date", "end_date", "sk_number"]
    ordering = ["-end_date", "position"]


class BoardMembershipInline(MembershipInline):
    fields = ["person", "position", "field_name", "start_date", "end_date", "sk_number"]


class PersonMembershipInline(MembershipInline):
    fields = ["board", "position", "field_name", "start_date", "end_date", "sk_number"]


class KecamatanFilter(admin.SimpleListFilter):
    title = _("kecamatan")
    parameter_name = "kecamatan"
    # Path from the admin's model to the board's region.
    board_path = "board__"

    def lookups(self, request, model_admin):
        return [(r.pk, r.name) for r in Region.objects.filter(level=Region.Level.KECAMATAN)]

    def queryset(self, request, queryset):
        if self.value():
            region = f"{self.board_path}region"
            return queryset.filter(Q(**{f"{region}__parent_id": self.value()}) | Q(**{f"{region}_id": self.value()}))
        return queryset


class BoardKecamatanFilter(KecamatanFilter):
    board_path = ""


@admin.register(Board)
class BoardAdmin(SimpleHistoryAdmin):
    list_display = ["name", "kind", "region", "sk_number", "sk_date"]
    list_filter = ["kind", BoardKecamatanFilter]
    list_select_related = ["region"]
    search_fields = ["name", "region__name", "region__code", "region__aliases__name"]
    autocomplete_fields = ["region"]
    inlines = [BoardMembershipInline]


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["name", "gender", "phone", "email", "user"]
    list_filter = ["gender", ("user", admin.EmptyFieldListFilter)]
    list_select_related = ["user"]
    search_fields = ["name", "phone", "email"]
    autocomplete_fields = ["user"]
    inlines = [PersonMembershipInline]
    actions = ["invite_to_portal", "export_personal_data", "anonymise"]

    @admin.action(description=_("Undang ke portal (buat akun dan kirim tautan kata sandi)"))
    def invite_to_portal(self, request, queryset):
        invite_people(self, request, queryset)

    # --- Personal data (UU 27/2022): admins (superusers) only, one person at a time. ---------------

    def has_privacy_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def _one_person(self, request, queryset):
        if not self.has_privacy_permission(request):
            raise PermissionDenied
        if queryset.count() != 1:
            self.message_user(request, _("Pilih tepat satu orang untuk tindakan ini."), messages.WARNING)
            return None
        return queryset.get()

    @admin.action(description=_("Ekspor data pribadi (JSON)"), permissions=["privacy"])
    def export_personal_data(self, request, queryset):
        person = self._one_person(request, queryset)
        if person is None:
            return None
        response = HttpResponse(privacy.person_export_json(person), content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="data-pribadi-{person.pk}.json"'
        response["Cache-Control"] = "no-store"
        logger.info("Personal data of person %s exported by user %s", person.pk, request.user.pk)
        return response

    @admin.action(description=_("Anonimkan"), permissions=["privacy"])
    def anonymise(self, request, queryset):
        person = self._one_person(request, queryset)
        if person is None:
            return None
        if request.POST.get("confirm") == "yes":
            try:
                privacy.person_anonymise(person=person, by=request.user)
            except ValidationError as error:
                self.message_user(request, "; ".join(error.messages), messages.ERROR)
                return None
            person.refresh_from_db()
            self.log_change(request, person, [{"changed": {"fields": ["nama", "telepon", "e-mail"]}}])
            self.message_user(
                request,
                _("Data pribadi telah dianonimkan menjadi %(label)s. Keanggotaan dan riwayat rapat tetap tercatat.")
                % {"label": person.name},
                messages.SUCCESS,
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Anonimkan data pribadi"),
            "opts": self.model._meta,
            "person": person,
            "label": privacy.anonymous_label(person),
            "has_account": person.user_id is not None,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/organizations/person/anonymise_confirmation.html", context)


class MembershipStateFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [
            ("active", _("aktif")),
            ("expired", _("sudah berakhir")),
            ("ending", _("berakhir dalam %(days)s hari") % {"days": settings.TERM_ENDING_SOON_DAYS}),
            ("future", _("belum mulai")),
        ]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        match self.value():
            case "active":
                return queryset.active(today)
            case "expired":
                return queryset.expired(today)
            case "ending":
                return queryset.ending_within(settings.TERM_ENDING_SOON_DAYS, today)
            case "future":
                return queryset.filter(start_date__gt=today)
        return queryset


def invite_people(model_admin, request, people):
    invited = 0
    for person in people:
        try:
            services.person_invite(person=person, request=request)
            invited += 1
        except ValidationError as error:
            model_admin.message_user(request, "; ".join(error.messages), messages.WARNING)
    if invited:
        model_admin.message_user(
            request,
            ngettext("%(n)d orang diundang ke portal.", "%(n)d orang diundang ke portal.", invited) % {"n": invited},
            messages.SUCCESS,
        )


@admin.register(Membership)
class MembershipAdmin(ImportExportMixin, SimpleHistoryAdmin):
    """Memberships, with import and export of people and memberships (see organizations.resources)."""

    form = MembershipForm
    list_display = ["person", "position", "board", "start_date", "end_date", "sk_number"]
    list_filter = [MembershipStateFilter, KecamatanFilter, "position", "board__kind", "board"]
    list_select_related = ["person", "board"]
    search_fields = ["person__name", "person__phone", "person__email", "board__name", "sk_number"]
    autocomplete_fields = ["person", "board"]
    date_hierarchy = "end_date"
    actions = ["end_term_today", "invite_to_portal"]

    resource_classes = [MembershipResource]
    formats = [CSV, XLSX]
    # The uploaded file waits between preview and confirmation in the shared
    # cache, so the confirming request may reach another web process; the
    # default temporary folder is per machine and keeps personal data on disk.
    tmp_storage_class = CacheStorage

    def save_model(self, request, obj, form, change):
        services.membership_save(membership=obj)

    def has_import_permission(self, request):
        # import-export allows everyone by default; an import adds and changes
        # people and memberships, which staff may only read.
        return request.user.has_perms([
            "organizations.add_membership", "organizations.change_membership",
            "organizations.add_person", "organizations.change_person",
        ])

    def has_export_permission(self, request):
        return self.has_view_permission(request)

    def process_result(self, result, request):
        if result.has_errors() or result.has_validation_errors():
            # The preview was clean, but the data changed before confirmation;
            # the import was rolled back as a whole.
            self.message_user(
                request,
                _("Impor dibatalkan dan tidak ada yang disimpan: data berubah sejak pratinjau. "
                  "Unggah berkas itu lagi untuk melihat baris yang bermasalah."),
                messages.ERROR,
            )
            return HttpResponseRedirect(reverse("admin:organizations_membership_import"))
        return super().process_result(result, request)

    def add_success_message(self, result, request):
        self.message_user(
            request,
            _("Impor selesai: %(new)d baru, %(updated)d diperbarui, %(skipped)d tidak berubah.")
            % {
                "new": result.totals[RowResult.IMPORT_TYPE_NEW],
                "updated": result.totals[RowResult.IMPORT_TYPE_UPDATE],
                "skipped": result.totals[RowResult.IMPORT_TYPE_SKIP],
            },
            messages.SUCCESS,
        )

    @admin.action(description=_("Akhiri masa jabatan per hari ini"))
    def end_term_today(self, request, queryset):
        today = timezone.localdate()
        ended = 0
        for membership in queryset.filter(end_date__gte=today):
            try:
                services.membership_end(membership=membership, on=today)
                ended += 1
            except ValidationError as error:
                self.message_user(request, "; ".join(error.messages), messages.WARNING)
        self.message_user(
            request,
            ngettext("%(n)d masa jabatan diakhiri.", "%(n)d masa jabatan diakhiri.", ended) % {"n": ended},
            messages.SUCCESS,
        )

    @admin.action(description=_("Undang pengurus terpilih ke portal"))
    def invite_to_portal(self, request, queryset):
        people = Person.objects.filter(pk__in=queryset.values("person_id"))
        invite_people(self, request, people)
