"""Forms for the board's side of proposals: drafting, attachments, progress, carrying over.

Forms turn what people type into clean values and put messages next to the
field; the rules (who, when, which state, the totals) live in ``lifecycle``.
Subtotals and the total are always computed on the server, never read from
the form.
"""

import datetime
import decimal
import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.lib.forms import MultipleFileField, ServiceErrorsMixin, accept_attribute, files_help
from portal.lib.money import RupiahField
from portal.lib.uploads import DOCUMENT_KINDS, IMAGE_KINDS, validate_upload

from . import lifecycle
from .models import Beneficiary, Category, Cycle

# --- fields ----------------------------------------------------------------------------------


class MonthInput(forms.DateInput):
    input_type = "month"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m")


class MonthField(forms.Field):
    """A month as the first day of it: "2027-03" from <input type=month>, or "03/2027" typed by hand."""

    widget = MonthInput
    default_error_messages = {"invalid": _("Isi bulan dan tahun, misalnya 2027-03 (Maret 2027).")}

    def to_python(self, value):
        if isinstance(value, datetime.date):
            return value.replace(day=1)
        value = (value or "").strip()
        if not value:
            return None
        match = re.fullmatch(r"(\d{4})-(\d{1,2})(?:-\d{1,2})?", value) or re.fullmatch(r"(\d{1,2})[/.-](\d{4})", value)
        if match is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        first, second = match.groups()
        year, month = (int(first), int(second)) if len(first) == 4 else (int(second), int(first))
        if not (1 <= month <= 12 and 2000 <= year <= 2100):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return datetime.date(year, month, 1)


def parse_volume(text) -> decimal.Decimal:
    """A quantity as people type it: "2,5" and "2.5" are two and a half, "1.000" is a thousand."""
    raw = str(text).strip().replace(" ", "")
    if "," in raw:
        # Indonesian writing: dots group thousands, the comma starts the decimals.
        raw = raw.replace(".", "").replace(",", ".")
    elif re.fullmatch(r"\d{1,3}(\.\d{3})+", raw):
        raw = raw.replace(".", "")
    if not re.fullmatch(r"\d+(\.\d+)?", raw):
        raise ValidationError(_("Tulis volume dengan angka, misalnya 2 atau 2,5."), code="invalid")
    volume = decimal.Decimal(raw)
    if volume <= 0:
        raise ValidationError(_("Volume harus lebih dari nol."), code="zero")
    # Size first: quantizing a 40-digit number overflows the decimal context.
    if volume >= 100_000_000:
        raise ValidationError(_("Volume terlalu besar; periksa kembali angkanya."), code="too_large")
    if volume != volume.quantize(decimal.Decimal("0.01")):
        raise ValidationError(_("Volume paling banyak dua angka di belakang koma."), code="decimals")
    return volume.quantize(decimal.Decimal("0.01"))


class VolumeInput(forms.TextInput):
    def __init__(self, attrs=None):
        super().__init__({"inputmode": "decimal", "autocomplete": "off", **(attrs or {})})

    def format_value(self, value):
        if isinstance(value, decimal.Decimal):
            # 2.50 -> "2,5", 3.00 -> "3": as it would be written.
            text = f"{value.normalize():f}"
            return text.replace(".", ",")
        return super().format_value(value)


class VolumeField(forms.Field):
    widget = VolumeInput

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, decimal.Decimal):
            return value
        return parse_volume(value)


# --- the proposal ------------------------------------------------------------------------------


class ProposalForm(ServiceErrorsMixin, forms.Form):
    title = forms.CharField(
        label=_("Judul kegiatan"), max_length=200,
        error_messages={"required": _("Judul kegiatan wajib diisi."),
                        "max_length": _("Judul paling banyak %(limit_value)d huruf (sekarang %(show_value)d).")},
    )
    category = forms.ModelChoiceField(
        label=_("Bidang"), queryset=Category.objects.none(), empty_label=_("— pilih bidang —"),
        error_messages={"required": _("Pilih bidang kegiatan."), "invalid_choice": _("Pilih bidang dari daftar.")},
    )
    is_physical = forms.TypedChoiceField(
        label=_("Jenis kegiatan"), widget=forms.RadioSelect,
        choices=[("0", _("Non-fisik (pelatihan, penyuluhan, kegiatan sosial)")),
                 ("1", _("Fisik (pembangunan atau perbaikan sarana)"))],
        coerce=lambda value: value == "1",
        error_messages={"required": _("Pilih fisik atau non-fisik."),
                        "invalid_choice": _("Pilih fisik atau non-fisik.")},
    )
    background = forms.CharField(
        label=_("Latar belakang"), widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Masalah apa yang ada di lingkungan dan mengapa kegiatan ini perlu."),
        error_messages={"required": _("Tuliskan latar belakang usulan.")},
    )
    goals = forms.CharField(
        label=_("Tujuan"), widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Tuliskan tujuan kegiatan.")},
    )
    location_rt_rw = forms.CharField(label=_("RT/RW"), max_length=30, required=False,
                                     help_text=_("Misalnya RT 05/RW 02. Boleh dikosongkan."))
    location = forms.CharField(
        label=_("Lokasi (alamat atau patokan)"), max_length=300,
        error_messages={"required": _("Tuliskan lokasi kegiatan.")},
    )
    beneficiary_count = forms.IntegerField(
        label=_("Jumlah penerima manfaat (orang)"), min_value=1, max_value=10_000_000,
        error_messages={"required": _("Isi jumlah penerima manfaat."),
                        "invalid": _("Tulis jumlah orang dengan angka bulat, misalnya 40."),
                        "min_value": _("Jumlah penerima manfaat paling sedikit 1 orang."),
                        "max_value": _("Jumlah penerima manfaat terlalu besar; periksa kembali.")},
    )
    beneficiary_groups = forms.MultipleChoiceField(
        label=_("Kelompok penerima manfaat"), choices=Beneficiary.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Pilih kelompok dari daftar.")},
    )
    start_month = MonthField(label=_("Bulan mulai"), error_messages={"required": _("Isi bulan mulai kegiatan.")})
    end_month = MonthField(label=_("Bulan selesai"), error_messages={"required": _("Isi bulan selesai kegiatan.")})
    priority = forms.IntegerField(
        label=_("Prioritas"), min_value=1, max_value=99, initial=1,
        help_text=_("1 = paling diutamakan di antara usulan lembaga Anda pada siklus ini."),
        error_messages={"required": _("Isi nomor prioritas."),
                        "invalid": _("Tulis nomor prioritas dengan angka, misalnya 1."),
                        "min_value": _("Prioritas paling kecil 1."), "max_value": _("Prioritas paling besar 99.")},
    )
    board = forms.ModelChoiceField(
        label=_("Lembaga"), queryset=None, empty_label=_("— pilih lembaga —"),
        error_messages={"required": _("Pilih lembaga pengusul."), "invalid_choice": _("Pilih lembaga dari daftar.")},
    )
    cycle = forms.ModelChoiceField(
        label=_("Siklus usulan"), queryset=None, empty_label=None,
        error_messages={"required": _("Pilih siklus usulan."),
                        "invalid_choice": _("Pilih siklus yang masih menerima usulan.")},
    )
    attachments = MultipleFileField(label=_("Lampiran (boleh menyusul)"), required=False)

    def __init__(self, *args, boards=None, cycles=None, proposal=None, **kwargs):
        """``boards``/``cycles``: the choices for a new proposal; ``proposal``: the one being edited."""
        self.proposal = proposal
        if proposal is not None and "initial" not in kwargs:
            kwargs["initial"] = {name: getattr(proposal, name) for name in lifecycle.PROPOSAL_FIELDS}
            kwargs["initial"]["is_physical"] = "1" if proposal.is_physical else "0"
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.filter(is_active=True)
        if proposal is not None:
            # A proposal stays with its board and cycle; carrying it over makes a new one.
            del self.fields["board"], self.fields["cycle"]
            if not proposal.category.is_active:
                self.fields["category"].queryset = Category.objects.filter(is_active=True) | Category.objects.filter(
                    pk=proposal.category_id)
            return
        self.fields["cycle"].queryset = cycles
        if boards is not None and len(boards) == 1:
            # One board: nothing to choose.
            self.fixed_board = boards[0]
            del self.fields["board"]
        else:
            self.fixed_board = None
            self.fields["board"].queryset = boards

    def _clean_text(self, name):
        return " ".join(self.cleaned_data[name].split())

    def clean_title(self):
        title = self._clean_text("title")
        if not title:
            raise ValidationError(_("Judul kegiatan wajib diisi."))
        return title

    def clean_location(self):
        location = self._clean_text("location")
        if not location:
            raise ValidationError(_("Tuliskan lokasi kegiatan."))
        return location

    def clean_location_rt_rw(self):
        return self._clean_text("location_rt_rw")

    def clean_background(self):
        text = self.cleaned_data["background"].strip()
        if not text:
            raise ValidationError(_("Tuliskan latar belakang usulan."))
        return text

    def clean_goals(self):
        text = self.cleaned_data["goals"].strip()
        if not text:
            raise ValidationError(_("Tuliskan tujuan kegiatan."))
        return text

    def clean_beneficiary_groups(self):
        chosen = self.cleaned_data["beneficiary_groups"]
        return [code for code in Beneficiary.values if code in chosen]

    def clean(self):
        data = super().clean()
        start, end = data.get("start_month"), data.get("end_month")
        if start and end and end < start:
            self.add_error("end_month", _("Bulan selesai tidak boleh sebelum bulan mulai."))
        return data

    def proposal_values(self):
        return {name: self.cleaned_data[name] for name in lifecycle.PROPOSAL_FIELDS}

    def chosen_board(self):
        return self.fixed_board if "board" not in self.fields else self.cleaned_data["board"]


# --- budget lines ------------------------------------------------------------------------------


class BudgetLineForm(forms.Form):
    """One line of the budget; a row left entirely blank is ignored."""

    item = forms.CharField(label=_("Uraian"), max_length=200, required=False)
    volume = VolumeField(label=_("Volume"), required=False)
    unit = forms.CharField(label=_("Satuan"), max_length=30, required=False)
    unit_cost = RupiahField(label=_("Harga satuan (Rp)"), required=False)

    FIELDS = ("item", "volume", "unit", "unit_cost")
    REQUIRED = {
        "item": _("Tuliskan uraian barang atau jasa."),
        "volume": _("Isi volume."),
        "unit": _("Isi satuannya."),
        "unit_cost": _("Isi harga satuan."),
    }

    subtotal = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Blank rows are handled in clean(); a row equal to its initial values must still be cleaned.
        self.empty_permitted = False

    def has_any(self):
        """Did the person type anything in this row (errors included)?"""
        return any((self.data.get(self.add_prefix(name)) or "").strip() for name in self.FIELDS)

    def clean_item(self):
        return " ".join(self.cleaned_data["item"].split())

    def clean_unit(self):
        return " ".join(self.cleaned_data["unit"].split())

    def clean(self):
        data = super().clean()
        if not self.has_any():
            return data
        for name, message in self.REQUIRED.items():
            if name not in self.errors and data.get(name) in (None, ""):
                self.add_error(name, message)
        return data

    def line(self):
        return {name: self.cleaned_data[name] for name in self.FIELDS}


class BaseBudgetLineFormSet(forms.BaseFormSet):
    total = None

    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = _("Hapus baris ini")
            form.fields["DELETE"].label_suffix = ""

    def _kept(self):
        for form in self.forms:
            if not form.is_valid() or not form.has_any():
                continue
            if self.can_delete and self._should_delete_form(form):
                continue
            yield form

    def lines(self):
        """The lines to save, as dicts for lifecycle.budget_lines_clean, in the order shown."""
        return [form.line() for form in self._kept()]

    def compute(self):
        """Subtotals and total of the rows that are complete, as the server computes them."""
        forms_ = list(self._kept())
        try:
            rows = lifecycle.budget_lines_clean([form.line() for form in forms_])
        except ValidationError:
            return None
        for form, row in zip(forms_, rows):
            form.subtotal = row.subtotal
        self.total = sum(row.subtotal for row in rows)
        return self.total

    def clean(self):
        if any(self.errors):
            return
        if not self.lines():
            raise ValidationError(_("Isi paling sedikit satu rincian anggaran."), code="no_lines")
        forms_ = list(self._kept())
        try:
            rows = lifecycle.budget_lines_clean([form.line() for form in forms_])
        except ValidationError as error:
            raise ValidationError(error.messages, code="too_large") from error
        for form, row in zip(forms_, rows):
            form.subtotal = row.subtotal
        self.total = sum(row.subtotal for row in rows)


BudgetLineFormSet = forms.formset_factory(
    BudgetLineForm,
    formset=BaseBudgetLineFormSet,
    extra=3,
    can_delete=True,
    max_num=100,
    absolute_max=120,
    validate_max=True,
)

BUDGET_PREFIX = "lines"


def budget_formset(data=None, *, proposal=None, extra=None):
    initial = None
    if proposal is not None:
        initial = [
            {name: getattr(line, name) for name in BudgetLineForm.FIELDS}
            for line in proposal.budget_lines.all()
        ]
    formset = BudgetLineFormSet(data, initial=initial, prefix=BUDGET_PREFIX)
    formset.extra = extra if extra is not None else (1 if initial else 3)
    return formset


def with_added_row(data):
    """The posted data with one more empty budget row: "Tambah baris" without JavaScript."""
    data = data.copy()
    key = f"{BUDGET_PREFIX}-TOTAL_FORMS"
    try:
        count = int(data.get(key, 0))
    except ValueError:
        count = 0
    data[key] = str(min(count + 1, BudgetLineFormSet.max_num))
    return data


def initial_from(form, data):
    """What was typed into ``form``, as the initial values of an unbound copy (shown without errors)."""
    return {name: field.widget.value_from_datadict(data, {}, form.add_prefix(name))
            for name, field in form.fields.items() if not isinstance(field, forms.FileField)}


# --- attachments, progress, completion --------------------------------------------------------


class AttachmentForm(ServiceErrorsMixin, forms.Form):
    title = forms.CharField(label=_("Judul lampiran"), max_length=200, required=False,
                            help_text=_("Misalnya: Denah lokasi, RAB rinci. Boleh dikosongkan."))
    file = forms.FileField(
        label=_("Berkas"), help_text=files_help(DOCUMENT_KINDS),
        widget=forms.ClearableFileInput(attrs={"accept": accept_attribute(DOCUMENT_KINDS)}),
        error_messages={"required": _("Pilih berkas yang akan diunggah."),
                        "empty": _("Berkas yang dipilih kosong.")},
    )

    def __init__(self, *args, **kwargs):
        # Ids distinct from the other forms on the proposal's page.
        kwargs.setdefault("auto_id", "attachment_%s")
        super().__init__(*args, **kwargs)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        validate_upload(upload, kinds=DOCUMENT_KINDS)
        return upload


class _ReportForm(ServiceErrorsMixin, forms.Form):
    report_date = forms.DateField(
        label=_("Tanggal laporan"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": _("Isi tanggal laporan."),
                        "invalid": _("Isi tanggal dengan lengkap, misalnya 2027-03-15.")},
    )
    narrative = forms.CharField(
        label=_("Uraian kegiatan"), widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Apa yang sudah dikerjakan, kendala, dan rencana berikutnya."),
        error_messages={"required": _("Tuliskan uraian kegiatan.")},
    )
    spent = RupiahField(
        label=_("Anggaran terpakai sampai saat ini (Rp)"), allow_zero=True,
        help_text=_("Jumlah seluruhnya sejak awal kegiatan, misalnya 3.500.000. Tulis 0 bila belum ada."),
        error_messages={"required": _("Isi anggaran yang sudah terpakai (0 bila belum ada).")},
    )
    photos = MultipleFileField(label=_("Foto kegiatan"), required=False, kinds=IMAGE_KINDS)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"report_date": timezone.localdate()})
        super().__init__(*args, **kwargs)

    def clean_report_date(self):
        day = self.cleaned_data["report_date"]
        if day > timezone.localdate():
            raise ValidationError(_("Tanggal laporan tidak boleh di masa depan."))
        return day

    def clean_narrative(self):
        text = self.cleaned_data["narrative"].strip()
        if not text:
            raise ValidationError(_("Tuliskan uraian kegiatan."))
        return text


class ProgressForm(_ReportForm):
    percent = forms.IntegerField(
        label=_("Kemajuan (%)"), min_value=0, max_value=100,
        error_messages={"required": _("Isi persentase kemajuan (0–100)."),
                        "invalid": _("Tulis persentase dengan angka bulat, misalnya 60."),
                        "min_value": _("Persentase paling kecil 0."), "max_value": _("Persentase paling besar 100.")},
    )
    field_order = ["report_date", "percent", "narrative", "spent", "photos"]


class CompleteForm(_ReportForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["narrative"].label = _("Laporan akhir")
        self.fields["narrative"].help_text = _("Hasil kegiatan, penerima manfaat yang terjangkau, dan kendala.")
        self.fields["spent"].label = _("Anggaran terpakai seluruhnya (Rp)")


class WithdrawForm(forms.Form):
    note = forms.CharField(label=_("Alasan penarikan (boleh dikosongkan)"), required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "withdraw_%s")
        super().__init__(*args, **kwargs)


class CommentForm(ServiceErrorsMixin, forms.Form):
    text = forms.CharField(
        label=_("Komentar"), widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Tulis komentar terlebih dahulu.")},
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "comment_%s")
        super().__init__(*args, **kwargs)

    def clean_text(self):
        text = self.cleaned_data["text"].strip()
        if not text:
            raise ValidationError(_("Tulis komentar terlebih dahulu."))
        return text


class CarryOverForm(ServiceErrorsMixin, forms.Form):
    cycle = forms.ModelChoiceField(
        label=_("Lanjutkan ke siklus"), queryset=Cycle.objects.none(), empty_label=None,
        error_messages={"required": _("Pilih siklus tujuan."),
                        "invalid_choice": _("Pilih siklus berikutnya yang masih dibuka.")},
    )

    def __init__(self, *args, proposal, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cycle"].queryset = lifecycle.next_cycles(proposal)
