import datetime
import zoneinfo

from django.utils import translation

from portal.lib import formats

UTC = datetime.UTC


def test_it_writes_indonesian_dates_in_wita():
    # 01:00 UTC is 09:00 WITA (UTC+8, no daylight saving).
    moment = datetime.datetime(2025, 11, 27, 1, 0, tzinfo=UTC)
    with translation.override("id"):
        assert formats.datetime_long(moment) == "Kamis, 27 November 2025, pukul 09.00 WITA"
        end = moment + datetime.timedelta(hours=3)
        assert formats.time_range(moment, end) == "Kamis, 27 November 2025, pukul 09.00–12.00 WITA"


def test_it_converts_from_any_zone():
    jakarta = zoneinfo.ZoneInfo("Asia/Jakarta")
    moment = datetime.datetime(2025, 11, 27, 8, 0, tzinfo=jakarta)
    assert formats.time_wita(moment) == "09.00 WITA"


def test_it_writes_rupiah_without_space_with_dots():
    assert formats.rupiah(1250000) == "Rp1.250.000"
    assert formats.rupiah(0) == "Rp0"
    assert formats.rupiah(999) == "Rp999"
    assert formats.rupiah(None) == ""
