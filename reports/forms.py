from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from programs.models import Cycle

YEAR_FIELD = {"min_value": 2000, "max_value": 2100}


def _this_year():
    return timezone.localdate().year


class RecapForm(forms.Form):
    """A recap is for one cycle or one calendar year, not both."""

    cycle = forms.ModelChoiceField(
        label=_("Siklus usulan"), queryset=Cycle.objects.order_by("-opens_on", "-pk"), required=False,
        empty_label=_("— pilih siklus —"),
    )
    year = forms.IntegerField(label=_("Tahun"), required=False, **YEAR_FIELD)

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        if data.get("cycle") and data.get("year"):
            raise forms.ValidationError(_("Pilih satu saja: siklus atau tahun."))
        if not data.get("cycle") and not data.get("year"):
            raise forms.ValidationError(_("Pilih siklus atau isi tahun."))
        return data


class YearForm(forms.Form):
    year = forms.IntegerField(label=_("Tahun"), initial=_this_year, **YEAR_FIELD)


class CycleForm(forms.Form):
    cycle = forms.ModelChoiceField(
        label=_("Siklus usulan"), queryset=Cycle.objects.order_by("-opens_on", "-pk"),
        empty_label=None,
    )
