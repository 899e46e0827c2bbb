"""How the portal writes dates, times and money, in one place."""

import datetime
import zoneinfo

from django.utils import formats, timezone
from django.utils.translation import gettext as _

WITA = zoneinfo.ZoneInfo("Asia/Makassar")


def wita(value: datetime.datetime) -> datetime.datetime:
    return timezone.localtime(value, WITA)


def date_long(value: datetime.date) -> str:
    """"Kamis, 27 November 2025" in the active language."""
    return formats.date_format(value, "l, j F Y")


def time_wita(value: datetime.datetime) -> str:
    """"09.00 WITA": the Indonesian way, with a dot, in every language."""
    return f"{wita(value):%H.%M} WITA"


def datetime_long(value: datetime.datetime) -> str:
    """"Kamis, 27 November 2025, pukul 09.00 WITA"."""
    local = wita(value)
    return _("%(date)s, pukul %(time)s") % {"date": date_long(local), "time": time_wita(local)}


def time_range(start: datetime.datetime, end: datetime.datetime) -> str:
    """"Kamis, 27 November 2025, pukul 09.00–12.00 WITA" (end date named if it differs)."""
    s, e = wita(start), wita(end)
    if s.date() == e.date():
        return _("%(date)s, pukul %(start)s–%(end)s") % {
            "date": date_long(s), "start": f"{s:%H.%M}", "end": time_wita(e)}
    return f"{datetime_long(s)} – {datetime_long(e)}"


def rupiah(amount) -> str:
    """Whole Rupiah as "Rp1.250.000" (no space, dots for thousands)."""
    if amount is None or amount == "":
        return ""
    amount = int(amount)
    sign = "-" if amount < 0 else ""
    return f"{sign}Rp{abs(amount):,}".replace(",", ".")
