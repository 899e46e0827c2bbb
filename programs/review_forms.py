"""Forms for the staff and Forum side of proposals: review steps, recommendation, cycles.

The rules (which state, who, never more than requested) live in ``programs.lifecycle``;
these forms only read what people typed and put the lifecycle's refusals next to the field.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from portal.lib.forms import ServiceErrorsMixin
from portal.lib.money import RupiahField

from .models import Cycle, Proposal

YES_NO = [("1", _("Ya")), ("0", _("Tidak"))]


def _yes_no(value):
    return value == "1"


class RevisionForm(ServiceErrorsMixin, forms.Form):
    note = forms.CharField(
        label=_("Apa yang perlu diperbaiki"),
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Tuliskan apa yang perlu diperbaiki.")},
    )


class ApproveForm(ServiceErrorsMixin, forms.Form):
    approved_budget = RupiahField(
        label=_("Anggaran disetujui (Rp)"),
        help_text=_("Boleh lebih kecil dari yang diusulkan, tidak boleh lebih besar."),
        error_messages={"required": _("Isi anggaran yang disetujui.")},
    )
    note = forms.CharField(label=_("Catatan keputusan"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, proposal=None, **kwargs):
        super().__init__(*args, **kwargs)
        if proposal is not None:
            self.fields["approved_budget"].initial = proposal.approved_budget or proposal.total_requested


class RejectForm(ServiceErrorsMixin, forms.Form):
    reason = forms.CharField(
        label=_("Alasan penolakan"),
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Tuliskan alasan penolakan.")},
    )


class EvaluationForm(ServiceErrorsMixin, forms.Form):
    targets_met = forms.TypedChoiceField(
        label=_("Target tercapai?"), choices=YES_NO, coerce=_yes_no, widget=forms.RadioSelect,
        error_messages={"required": _("Pilih apakah target tercapai.")},
    )
    beneficiaries_reached = forms.IntegerField(
        label=_("Penerima manfaat terjangkau (orang)"), min_value=0, max_value=10_000_000,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={"required": _("Isi jumlah penerima manfaat yang terjangkau."),
                        "invalid": _("Tulis jumlah orang dengan angka bulat.")},
    )
    budget_realised = RupiahField(
        label=_("Realisasi anggaran (Rp)"), allow_zero=True,
        error_messages={"required": _("Isi realisasi anggaran; tulis 0 bila tidak ada.")},
    )
    score = forms.TypedChoiceField(
        label=_("Nilai"), choices=[(str(n), str(n)) for n in range(1, 6)], coerce=int, widget=forms.RadioSelect,
        help_text=_("1 = sangat kurang, 5 = sangat baik."),
        error_messages={"required": _("Pilih nilai 1 sampai 5."), "invalid_choice": _("Pilih nilai 1 sampai 5.")},
    )
    notes = forms.CharField(label=_("Catatan evaluasi"), required=False, widget=forms.Textarea(attrs={"rows": 4}))


class RecommendationForm(ServiceErrorsMixin, forms.Form):
    recommends = forms.TypedChoiceField(
        label=_("Forum merekomendasikan usulan ini?"), choices=YES_NO, coerce=_yes_no, widget=forms.RadioSelect,
        error_messages={"required": _("Pilih merekomendasikan atau tidak.")},
    )
    note = forms.CharField(label=_("Catatan forum"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, recommendation=None, **kwargs):
        super().__init__(*args, **kwargs)
        if recommendation is not None:
            self.fields["recommends"].initial = "1" if recommendation.recommends else "0"
            self.fields["note"].initial = recommendation.note


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class CycleForm(forms.ModelForm):
    class Meta:
        model = Cycle
        fields = ["name", "year", "opens_on", "closes_on", "max_per_board", "publication"]
        widgets = {
            "opens_on": DateInput(),
            "closes_on": DateInput(),
            "publication": forms.RadioSelect,
        }
        error_messages = {
            "name": {"required": _("Nama siklus wajib diisi."),
                     "unique": _("Sudah ada siklus dengan nama ini.")},
            "year": {"required": _("Isi tahun anggaran.")},
            "opens_on": {"required": _("Isi tanggal pengajuan dibuka.")},
            "closes_on": {"required": _("Isi tanggal pengajuan ditutup.")},
        }

    def clean_year(self):
        year = self.cleaned_data["year"]
        if not 2000 <= year <= 2100:
            raise ValidationError(_("Tahun anggaran tidak masuk akal; tulis empat angka, misalnya 2027."))
        return year

    def clean_max_per_board(self):
        cap = self.cleaned_data.get("max_per_board")
        if cap == 0:
            raise ValidationError(_("Isi 1 atau lebih, atau kosongkan bila tidak dibatasi."))
        return cap

    def clean(self):
        data = super().clean()
        opens, closes = data.get("opens_on"), data.get("closes_on")
        if opens and closes and closes < opens:
            self.add_error("closes_on", _("Tanggal ditutup harus sama dengan atau sesudah tanggal dibuka."))
        publication = data.get("publication")
        # A decision held by this cycle would never reach its board if the cycle stopped holding them.
        if (self.instance.pk and publication == Cycle.Publication.EACH
                and self.instance.publication == Cycle.Publication.TOGETHER
                and held_decisions(self.instance).exists()):
            self.add_error("publication", _(
                "Masih ada keputusan yang ditahan pada siklus ini; umumkan keputusan itu terlebih dahulu."))
        return data


def held_decisions(cycle):
    """Decisions of a cycle taken but not yet shown to their boards."""
    return Proposal.objects.filter(cycle=cycle, status__in=Proposal.DECIDED, decision_published_at__isnull=True)
