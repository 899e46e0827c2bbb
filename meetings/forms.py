"""Forms for scheduling and inviting. Rules live in services; forms put their messages next to the field."""

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from organizations.models import Board, Region
from portal.lib import formats
from portal.lib.forms import IdsMultipleChoiceField, MultipleFileField, ServiceErrorsMixin, accept_attribute
from portal.lib.uploads import DOCUMENT_KINDS, MAX_UPLOAD_BYTES, validate_upload

from . import selectors, services
from .models import Invitation, InvitationScope, Meeting, default_reminder_slots
from .reminders import SLOT_CHOICES, SLOT_KEYS

DATETIME_INPUT_FORMAT = "%Y-%m-%dT%H:%M"
ACCEPTED_FILES = accept_attribute(DOCUMENT_KINDS)


class WitaDateTimeField(forms.DateTimeField):
    """A date and time typed in WITA (Asia/Makassar), whatever time zone is active."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_INPUT_FORMAT)
    default_error_messages = {"invalid": _("Isi tanggal dan jam dengan lengkap, misalnya 27-11-2025 09.00.")}

    def prepare_value(self, value):
        if isinstance(value, datetime.datetime) and timezone.is_aware(value):
            return formats.wita(value).replace(tzinfo=None)
        return value

    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return None
        # super() made it aware in the active time zone; the form always means WITA.
        typed = timezone.make_naive(value, timezone.get_current_timezone())
        return timezone.make_aware(typed, formats.WITA)


class MeetingForm(ServiceErrorsMixin, forms.Form):
    kind = forms.ChoiceField(
        label=_("Jenis rapat"),
        choices=Meeting.Kind.choices,
        error_messages={
            "required": _("Pilih salah satu jenis rapat."),
            "invalid_choice": _("Pilih salah satu jenis rapat."),
        },
    )
    title = forms.CharField(
        label=_("Judul"), max_length=200, error_messages={"required": _("Judul rapat wajib diisi.")}
    )
    start = WitaDateTimeField(label=_("Mulai (WITA)"), error_messages={"required": _("Isi tanggal dan jam mulai.")})
    end = WitaDateTimeField(label=_("Selesai (WITA)"), error_messages={"required": _("Isi tanggal dan jam selesai.")})
    venue = forms.CharField(
        label=_("Tempat"),
        max_length=255,
        required=False,
        help_text=_("Misalnya: Aula DP3AKB Kota Balikpapan. Isi tempat, tautan daring, atau keduanya."),
    )
    online_url = forms.URLField(
        label=_("Tautan rapat daring"),
        max_length=200,
        required=False,
        assume_scheme="https",
        help_text=_("Diawali https://, misalnya tautan Zoom atau Google Meet."),
        error_messages={"invalid": _("Tautan tidak valid; tulis lengkap, diawali https://.")},
    )
    description = forms.CharField(label=_("Keterangan"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    materials = MultipleFileField(
        label=_("Bahan rapat"),
        required=False,
        # No cap on how many: a meeting may come with a whole folder of materials.
        max_files=100,
    )
    reminder_slots = forms.MultipleChoiceField(
        label=_("Pengingat lewat e-mail"),
        choices=SLOT_CHOICES,
        required=False,
        initial=default_reminder_slots,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Dikirim kepada setiap undangan yang tidak menolak. Waktu yang sudah lewat dilewati."),
        error_messages={"invalid_choice": _("Pilih waktu pengingat dari daftar.")},
    )
    reminder_note = forms.CharField(
        label=_("Pesan tambahan pada pengingat"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Boleh dikosongkan. Dimuat di setiap e-mail pengingat rapat ini, paling banyak 300 huruf."),
        error_messages={
            "max_length": _("Pesan tambahan paling banyak %(limit_value)d huruf (sekarang %(show_value)d)."),
        },
    )

    def __init__(self, *args, meeting=None, **kwargs):
        self.meeting = meeting
        if meeting is not None and "initial" not in kwargs:
            kwargs["initial"] = {name: getattr(meeting, name) for name in self.meeting_fields()}
        super().__init__(*args, **kwargs)

    @staticmethod
    def meeting_fields():
        return ("kind", "title", "start", "end", "venue", "online_url", "description", "reminder_slots",
                "reminder_note")

    def clean_title(self):
        title = " ".join(self.cleaned_data["title"].split())
        if not title:
            raise ValidationError(_("Judul rapat wajib diisi."))
        return title

    def clean_venue(self):
        return " ".join(self.cleaned_data["venue"].split())

    def clean_reminder_slots(self):
        # In the order they come before the meeting, whatever order the browser sent.
        return [key for key in SLOT_KEYS if key in self.cleaned_data["reminder_slots"]]

    def clean(self):
        data = super().clean()
        errors = services.meeting_validate(
            start=data.get("start"),
            end=data.get("end"),
            is_new=self.meeting is None,
            venue=data.get("venue", "") if "venue" not in self.errors else None,
            online_url=data.get("online_url", "") if "online_url" not in self.errors else None,
        )
        for name, message in errors.items():
            if name not in self.errors:
                self.add_error(name, message)
        return data

    def meeting_values(self):
        return {name: self.cleaned_data[name] for name in self.meeting_fields()}


class AgendaItemForm(forms.Form):
    title = forms.CharField(label=_("Acara"), max_length=255, required=False)
    presenter = forms.CharField(label=_("Penyaji"), max_length=150, required=False)
    duration_minutes = forms.IntegerField(
        label=_("Durasi (menit)"),
        required=False,
        min_value=1,
        max_value=24 * 60,
        error_messages={
            "min_value": _("Durasi paling sedikit 1 menit."),
            "max_value": _("Durasi paling lama 1.440 menit (satu hari)."),
        },
    )

    def clean(self):
        data = super().clean()
        if not data.get("title") and (data.get("presenter") or data.get("duration_minutes")):
            self.add_error("title", _("Tuliskan nama acaranya, atau kosongkan baris ini."))
        return data


class BaseAgendaFormSet(forms.BaseFormSet):
    """Agenda rows in order; blank or deleted rows are dropped."""

    def add_fields(self, form, index):
        super().add_fields(form, index)
        form.fields["ORDER"].label = _("Urutan")
        form.fields["ORDER"].required = False
        form.fields["ORDER"].widget.attrs["min"] = 1
        form.fields["DELETE"].label = _("Hapus baris ini")

    def agenda(self):
        """The rows to save, as dicts for services.agenda_replace, in the chosen order."""
        return [
            {name: form.cleaned_data.get(name) for name in ("title", "presenter", "duration_minutes")}
            for form in self.ordered_forms
            if form.cleaned_data.get("title") and not self._should_delete_form(form)
        ]


AgendaFormSet = forms.formset_factory(
    AgendaItemForm,
    formset=BaseAgendaFormSet,
    extra=3,
    can_order=True,
    can_delete=True,
    max_num=50,
    absolute_max=60,
    validate_max=True,
)


def agenda_formset(data=None, *, meeting=None, prefix="agenda"):
    initial = None
    if meeting is not None:
        initial = [
            {
                "title": item.title,
                "presenter": item.presenter,
                "duration_minutes": item.duration_minutes,
                "ORDER": index,
            }
            for index, item in enumerate(meeting.agenda_items.all(), start=1)
        ]
    formset = AgendaFormSet(data, initial=initial, prefix=prefix)
    formset.extra = 2 if initial else 3
    return formset


class CopyForm(ServiceErrorsMixin, forms.Form):
    start = WitaDateTimeField(label=_("Mulai (WITA)"), error_messages={"required": _("Isi tanggal dan jam mulai.")})
    end = WitaDateTimeField(label=_("Selesai (WITA)"), error_messages={"required": _("Isi tanggal dan jam selesai.")})

    def clean(self):
        data = super().clean()
        errors = services.meeting_validate(start=data.get("start"), end=data.get("end"), is_new=True)
        for name, message in errors.items():
            if name not in self.errors:
                self.add_error(name, message)
        return data


class CancelForm(ServiceErrorsMixin, forms.Form):
    reason = forms.CharField(
        label=_("Alasan pembatalan"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Alasan ini disampaikan kepada semua undangan."),
        error_messages={"required": _("Tuliskan alasan pembatalan.")},
    )

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise ValidationError(_("Tuliskan alasan pembatalan."))
        return reason


class GroupedMultipleChoiceField(forms.TypedMultipleChoiceField):
    """Board ids from grouped checkboxes; choices are set when the form is built."""

    def __init__(self, **kwargs):
        super().__init__(coerce=int, **kwargs)


class ScopeForm(forms.Form):
    reach = forms.ChoiceField(
        label=_("Lembaga yang diundang"),
        choices=InvitationScope.Reach.choices,
        widget=forms.RadioSelect,
        initial=InvitationScope.Reach.ALL,
        error_messages={
            "required": _("Pilih lembaga yang diundang."),
            "invalid_choice": _("Pilih lembaga yang diundang."),
        },
    )
    positions = forms.ChoiceField(
        label=_("Jabatan yang diundang"),
        choices=InvitationScope.Positions.choices,
        widget=forms.RadioSelect,
        initial=InvitationScope.Positions.KETUA,
        error_messages={
            "required": _("Pilih jabatan yang diundang."),
            "invalid_choice": _("Pilih jabatan yang diundang."),
        },
    )
    kecamatan = IdsMultipleChoiceField(
        label=_("Kecamatan"),
        required=False,
        queryset=Region.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Untuk pilihan “Lembaga di kecamatan terpilih”."),
    )
    boards = GroupedMultipleChoiceField(
        label=_("Lembaga"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Untuk pilihan “Lembaga terpilih”."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kecamatan"].queryset = selectors.kecamatan_choices()
        self.fields["kecamatan"].label_from_instance = lambda region: region.name
        self.fields["boards"].choices = selectors.board_choices()

    def clean(self):
        data = super().clean()
        reach = data.get("reach")
        if reach == InvitationScope.Reach.KECAMATAN and not data.get("kecamatan"):
            self.add_error("kecamatan", _("Pilih sedikitnya satu kecamatan."))
        if reach == InvitationScope.Reach.BOARDS and not data.get("boards"):
            self.add_error("boards", _("Pilih sedikitnya satu lembaga."))
        # Only what the chosen reach uses is kept, so a stray tick elsewhere changes nothing.
        if reach != InvitationScope.Reach.KECAMATAN:
            data["kecamatan"] = []
        if reach != InvitationScope.Reach.BOARDS:
            data["boards"] = []
        else:
            data["boards"] = list(Board.objects.filter(pk__in=data.get("boards") or []))
        return data

    def board_groups(self):
        """The board checkboxes per kecamatan, for one fieldset each: [(label, [BoundWidget])]."""
        widgets = iter(self["boards"].subwidgets)
        return [(label, [next(widgets) for _choice in choices]) for label, choices in self.fields["boards"].choices]

    def scope(self):
        data = self.cleaned_data
        return {
            "reach": data["reach"],
            "positions": data["positions"],
            "kecamatan": list(data["kecamatan"]),
            "boards": list(data["boards"]),
        }


class GuestForm(ServiceErrorsMixin, forms.Form):
    name = forms.CharField(
        label=_("Nama tamu"), max_length=150, error_messages={"required": _("Nama tamu wajib diisi.")}
    )
    email = forms.EmailField(
        label=_("E-mail"),
        required=False,
        help_text=_("Boleh dikosongkan bila undangan disampaikan dengan surat."),
        error_messages={"invalid": _("Alamat e-mail tidak valid, misalnya camat@balikpapan.go.id.")},
    )
    position = forms.CharField(
        label=_("Jabatan"), max_length=100, required=False, help_text=_("Misalnya: Lurah, Camat.")
    )
    board_name = forms.CharField(
        label=_("Instansi"), max_length=150, required=False, help_text=_("Misalnya: Kelurahan Manggar.")
    )

    def __init__(self, *args, meeting, **kwargs):
        self.meeting = meeting
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs["autocomplete"] = "off"

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise ValidationError(_("Nama tamu wajib diisi."))
        return name

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        if email and Invitation.objects.filter(meeting=self.meeting, email__iexact=email).exists():
            raise ValidationError(_("Alamat e-mail ini sudah ada dalam daftar undangan rapat ini."))
        return email


class MaterialForm(ServiceErrorsMixin, forms.Form):
    title = forms.CharField(
        label=_("Judul bahan"),
        max_length=200,
        required=False,
        help_text=_("Boleh dikosongkan: nama berkas yang dipakai."),
    )
    file = forms.FileField(
        label=_("Berkas"),
        help_text=lazy(
            lambda: gettext("PDF, JPEG, PNG, DOCX atau XLSX, paling besar %(max)s MB.")
            % {"max": MAX_UPLOAD_BYTES // 1048576},
            str,
        )(),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPTED_FILES}),
        error_messages={"required": _("Pilih berkas yang akan diunggah.")},
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        validate_upload(upload)
        return upload


class MeetingFilterForm(forms.Form):
    kind = forms.ChoiceField(label=_("Jenis"), required=False, choices=[("", _("Semua jenis"))] + Meeting.Kind.choices)
    kecamatan = forms.ModelChoiceField(
        label=_("Kecamatan"),
        required=False,
        queryset=Region.objects.none(),
        empty_label=_("Semua kecamatan"),
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Semua status"))] + Meeting.Status.choices
    )
    date_from = forms.DateField(
        label=_("Dari tanggal"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    date_to = forms.DateField(
        label=_("Sampai tanggal"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kecamatan"].queryset = selectors.kecamatan_choices()
        self.fields["kecamatan"].label_from_instance = lambda region: region.name

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            self.add_error("date_to", _("Tanggal akhir harus sama dengan atau sesudah tanggal awal."))
        return data

    def filters(self):
        if not self.is_valid():
            return {}
        return {name: value for name, value in self.cleaned_data.items() if value not in (None, "")}




# --- Forms for the day of the meeting and after: attendance, walk-ins, minutes, follow-ups.
class IdListField(forms.Field):
    """Checked rows as a list of primary keys; anything not a number is refused."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        ids = []
        for item in value or []:
            try:
                ids.append(int(item))
            except (TypeError, ValueError):
                raise ValidationError(_("Pilihan peserta tidak valid.")) from None
        return ids


class AttendanceMarkForm(forms.Form):
    """One of three actions, chosen by the button pressed.

    - ``row=<id>:<status>``: one invitee (the per-row buttons, with or without htmx);
    - ``bulk=<status>`` with ``selected``: every checked row;
    - ``accepted``: everyone who answered "hadir" and is not marked yet.
    """

    row = forms.CharField(required=False)
    bulk = forms.ChoiceField(choices=Invitation.Attendance.choices, required=False)
    accepted = forms.BooleanField(required=False)
    selected = IdListField(required=False)

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        if data.get("row"):
            pk, _sep, status = data["row"].partition(":")
            if not pk.isdigit() or status not in Invitation.Attendance.values:
                raise ValidationError(_("Tanda kehadiran tidak valid."))
            data["action"] = ("row", int(pk), status)
        elif data.get("bulk"):
            if not data.get("selected"):
                raise ValidationError(_("Centang dulu peserta yang akan ditandai."))
            data["action"] = ("bulk", data["selected"], data["bulk"])
        elif data.get("accepted"):
            data["action"] = ("accepted",)
        else:
            raise ValidationError(_("Pilih tanda kehadiran."))
        return data


class WalkInForm(forms.Form):
    name = forms.CharField(
        label=_("Nama"), max_length=150, error_messages={"required": _("Tuliskan nama peserta.")}
    )
    board = forms.ModelChoiceField(
        label=_("Lembaga (bila ada)"), queryset=Board.objects.order_by("name"), required=False,
        empty_label=_("— tanpa lembaga —"),
    )
    position = forms.CharField(label=_("Jabatan"), max_length=100, required=False)


class MinutesForm(forms.Form):
    summary = forms.CharField(
        label=_("Ringkasan"), widget=forms.Textarea(attrs={"rows": 8}),
        error_messages={"required": _("Ringkasan notulen wajib diisi.")},
    )
    decisions = forms.CharField(
        label=_("Keputusan"), widget=forms.Textarea(attrs={"rows": 6}), required=False,
        help_text=_("Satu keputusan per baris."),
    )


class FollowUpForm(forms.Form):
    description = forms.CharField(
        label=_("Tindak lanjut"), widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Tuliskan tindak lanjut yang harus dikerjakan.")},
    )
    board = forms.ModelChoiceField(
        label=_("Lembaga penanggung jawab"), queryset=Board.objects.order_by("name"),
        error_messages={"required": _("Pilih lembaga penanggung jawab."),
                        "invalid_choice": _("Pilih lembaga dari daftar.")},
    )
    due_date = forms.DateField(
        label=_("Tenggat"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": _("Isi tenggat tindak lanjut."),
                        "invalid": _("Tulis tanggal seperti 31-12-2025.")},
    )
