from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrganizationsConfig(AppConfig):
    name = "organizations"
    verbose_name = _("Kelembagaan")

    def ready(self):
        # Per-user facts in the shared cache go stale when what they derive from changes.
        from . import signals

        signals.connect()
