from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgramsConfig(AppConfig):
    name = "programs"
    verbose_name = _("Program")

    def ready(self):
        # The proposals' section of a person's export and anonymisation.
        from . import privacy  # noqa: F401
