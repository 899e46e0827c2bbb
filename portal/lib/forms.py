"""Form helpers shared by the apps."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.functional import lazy
from django.utils.translation import gettext

from .uploads import DOCUMENT_KINDS, MAX_UPLOAD_BYTES, validate_upload

MAX_FILES = 10


class ServiceErrorsMixin:
    """Put a service's ValidationError next to the fields it names (or on top when the form lacks them)."""

    def add_service_errors(self, error: ValidationError):
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for name, messages in error.error_dict.items():
            self.add_error(name if name in self.fields else None, messages)


def accept_attribute(kinds=DOCUMENT_KINDS) -> str:
    """The file input's ``accept``: extensions and types, so phones offer the right pickers."""
    extensions = [f".{kind.extension}" for kind in kinds]
    if any(kind.extension == "jpg" for kind in kinds):
        extensions.append(".jpeg")
    return ",".join(extensions + [kind.content_type for kind in kinds])


def files_help(kinds=DOCUMENT_KINDS):
    return lazy(
        lambda: gettext("%(kinds)s, masing-masing paling besar %(max)s MB.")
        % {"kinds": ", ".join(kind.label for kind in kinds), "max": MAX_UPLOAD_BYTES // 1048576},
        str,
    )()


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files at once, each checked by size and content against ``kinds``."""

    widget = MultipleFileInput

    def __init__(self, *, kinds=DOCUMENT_KINDS, max_files=MAX_FILES, **kwargs):
        self.kinds = kinds
        self.max_files = max_files
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": accept_attribute(kinds)}))
        kwargs.setdefault("help_text", files_help(kinds))
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        if not files and self.required:
            raise ValidationError(self.error_messages["required"], code="required")
        if len(files) > self.max_files:
            raise ValidationError(
                gettext("Paling banyak %(max)s berkas sekaligus.") % {"max": self.max_files}, code="too_many"
            )
        cleaned = [super(MultipleFileField, self).clean(item, initial) for item in files]
        errors = []
        for upload in cleaned:
            try:
                validate_upload(upload, kinds=self.kinds)
            except ValidationError as error:
                errors.extend(f"{upload.name}: {message}" for message in error.messages)
        if errors:
            raise ValidationError(errors)
        return cleaned


class IdsMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Objects by id; an id outside a 64-bit integer is an invalid choice, not a query.

    Django checks each id alone (where it handles overflow) and then all of them in one ``IN``, which SQLite
    cannot bind past 64 bits: a forged id gave a 500 instead of an error next to the field.
    """

    def _check_values(self, value):
        for pk in value:
            try:
                number = int(str(pk).strip())
            except ValueError:
                continue  # Django's own check names it
            if not -(2**63) <= number < 2**63:
                raise ValidationError(self.error_messages["invalid_pk_value"], code="invalid_pk_value",
                                      params={"pk": pk})
        return super()._check_values(value)
