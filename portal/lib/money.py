"""Rupiah as people type it: "1.250.000", "1250000", "Rp 1.250.000" -> 1250000."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from . import formats

# More than this is a typing mistake, not a community program (Rp1 triliun).
MAX_RUPIAH = 1_000_000_000_000

_PREFIX = re.compile(r"^\s*(rp\.?)?\s*", re.IGNORECASE)
_GROUPED = re.compile(r"^\d{1,3}(\.\d{3})+$")


def parse_rupiah(text, *, allow_zero=False) -> int:
    """Whole Rupiah from what people type; a ValidationError in Indonesian otherwise."""
    if isinstance(text, int) and not isinstance(text, bool):
        raw = str(text)
    else:
        raw = _PREFIX.sub("", str(text or "")).strip().replace(" ", "")
    if not raw:
        raise ValidationError(_("Isi jumlah dalam Rupiah, misalnya 1.250.000."), code="required")
    # "Rp1.250.000,-" and "1.250.000,00" are whole amounts in Indonesian writing.
    raw = re.sub(r",(-|0{1,2})$", "", raw)
    if raw.startswith("-"):
        raise ValidationError(_("Jumlah tidak boleh negatif."), code="negative")
    if "," in raw or re.fullmatch(r"\d+\.\d{1,2}", raw):
        raise ValidationError(_("Gunakan Rupiah utuh tanpa sen, misalnya 1.250.000."), code="fraction")
    if _GROUPED.match(raw):
        raw = raw.replace(".", "")
    if not raw.isdigit():
        raise ValidationError(_("Tulis jumlah dengan angka saja, misalnya 1.250.000."), code="invalid")
    amount = int(raw)
    if amount == 0 and not allow_zero:
        raise ValidationError(_("Jumlah harus lebih dari nol."), code="zero")
    if amount > MAX_RUPIAH:
        raise ValidationError(
            _("Jumlah lebih dari %(max)s; periksa kembali angkanya.") % {"max": formats.rupiah(MAX_RUPIAH)},
            code="too_large",
        )
    return amount


class RupiahInput(forms.TextInput):
    """Shows a stored amount as people write it (1.250.000); numeric keypad on phones."""

    def __init__(self, attrs=None):
        super().__init__({"inputmode": "numeric", "autocomplete": "off", **(attrs or {})})

    def format_value(self, value):
        if isinstance(value, int) and not isinstance(value, bool):
            return formats.rupiah(value).removeprefix("Rp")
        return super().format_value(value)


class RupiahField(forms.Field):
    widget = RupiahInput

    def __init__(self, *, allow_zero=False, **kwargs):
        self.allow_zero = allow_zero
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        return parse_rupiah(value, allow_zero=self.allow_zero)
