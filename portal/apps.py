from django.apps import AppConfig
from django.db.backends.signals import connection_created


def _watch_statements(sender, connection, **kwargs):
    from portal.lib.cache import watch_statements

    if watch_statements not in connection.execute_wrappers:
        connection.execute_wrappers.append(watch_statements)


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Portal"

    def ready(self):
        # Every connection reports the tables it writes, so cached pages that read them go stale.
        connection_created.connect(_watch_statements, dispatch_uid="portal-watch-statements")
