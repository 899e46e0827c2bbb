"""The portal's settings for the load benchmark: production's, plus a bench-only URL and static folder.

``bench/load/run.py`` starts gunicorn with ``DJANGO_SETTINGS_MODULE=bench.load.settings``
and the production environment (``DEBUG=0`` and the rest); nothing here changes how a
page is served.
"""

from portal.settings import *  # noqa: F403
from portal.settings import VAR_DIR, env

# portal.urls plus /bench/ok, the bare view that measures the machine's ceiling.
ROOT_URLCONF = "bench.load.urls"
# collectstatic's output for this run (DEBUG=0 serves the hashed files through whitenoise),
# outside the checkout's own staticfiles/.
STATIC_ROOT = env("BENCH_STATIC_ROOT", default=str(VAR_DIR / "bench-load" / "static"))
