from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from .models import Membership


class MembershipForm(forms.ModelForm):
    """Membership form that shows every rule's message, whatever fields it has.

    Membership.clean() names the field a rule is about; in an inline the
    person or board field is absent, so such messages move to the form's
    general errors instead of crashing.
    """

    class Meta:
        model = Membership
        fields = ["person", "board", "position", "field_name", "start_date", "end_date", "sk_number"]

    def add_error(self, field, error):
        if field is None and isinstance(error, ValidationError) and hasattr(error, "error_dict"):
            regrouped = {}
            for name, messages in error.error_dict.items():
                key = name if name in self.fields else NON_FIELD_ERRORS
                regrouped.setdefault(key, []).extend(messages)
            error = ValidationError(regrouped)
        super().add_error(field, error)
