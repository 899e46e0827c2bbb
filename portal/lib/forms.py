"""Form helpers shared by the apps."""

from django.core.exceptions import ValidationError


class ServiceErrorsMixin:
    """Put a service's ValidationError next to the fields it names (or on top when the form lacks them)."""

    def add_service_errors(self, error: ValidationError):
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for name, messages in error.error_dict.items():
            self.add_error(name if name in self.fields else None, messages)
